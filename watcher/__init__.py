"""watcher: flags new deals and contradictions in Microsoft/OpenAI news against a baseline."""

import sys
from typing import Any, cast

__version__ = "0.1.0"

# httpx imports its command-line tool (httpx._main, which brings rich's syntax highlighting and
# pygments: 4 MB of a polling process) whenever click and rich are installed, as they are here.
# watcher never runs that tool; marked absent, `import httpx` falls back to its stub `main`.
cast(dict[str, Any], sys.modules).setdefault("httpx._main", None)  # None: "no such module"
