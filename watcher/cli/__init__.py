"""The `watcher` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on :data:`watcher.cli.base.cli`.
Results go to stdout, logs to stderr; a :class:`~watcher.errors.WatcherError` becomes a
clean message and exit code 1 (2 for usage errors, as click does). Any other exception is a bug
in watcher: it is logged with its traceback (through the log handler, so secrets are masked) and
the command exits with code 70 (``EX_SOFTWARE``), never swallowed into a success.
"""

from __future__ import annotations

# Command modules register themselves on `cli` when imported.
from watcher.cli import (  # noqa: F401 - imported for the commands they register
    alerts_cmds,
    baseline_cmds,
    db_cmds,
    diff_cmds,
    feeds_cmds,
    pipeline_cmds,
    setup_cmds,
    web_cmds,
)
from watcher.cli.base import EXIT_BUG, EXIT_ERROR, cli

__all__ = ["EXIT_BUG", "EXIT_ERROR", "cli", "main"]


def main() -> None:
    cli(prog_name="watcher")


if __name__ == "__main__":  # pragma: no cover
    main()
