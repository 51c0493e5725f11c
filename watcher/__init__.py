"""watcher: flags new deals and contradictions in Microsoft/OpenAI news against a baseline."""

__version__ = "0.1.0"
