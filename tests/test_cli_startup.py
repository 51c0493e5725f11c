"""The CLI answers at once: help, version and the file-only commands import no heavy library.

Each case runs in a fresh interpreter (what a user's shell starts) and lists the top-level
modules loaded after the command finished.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = {"sqlalchemy", "alembic", "telegram", "apscheduler", "trafilatura", "psycopg", "jinja2", "httpx"}
SCRIPT = """
import json, sys
from watcher.cli import main
sys.argv = ["watcher", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit:
    pass
loaded = {m.split(".")[0] for m, module in sys.modules.items() if module is not None}  # None: marked absent
sys.stderr.write("\\nMODULES " + json.dumps(sorted(loaded)) + "\\n")
"""


def loaded_after(args: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True, text=True, timeout=120
    )
    line = done.stderr.rsplit("MODULES ", 1)[-1]
    return set(json.loads(line))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["diff", "--help"],
        ["status", "--help"],
        ["init", "--help"],
        ["config", "--help"],
    ],
)
def test_help_and_version_import_nothing_heavy(args: list[str]) -> None:
    loaded = loaded_after(args)
    assert not loaded & (HEAVY | {"pydantic", "pydantic_settings", "feedparser", "rich", "yaml"}), sorted(
        loaded & (HEAVY | {"pydantic", "pydantic_settings", "feedparser", "rich", "yaml"})
    )


@pytest.mark.parametrize(
    "args", [["baseline", "show"], ["feeds", "list"], ["config"], ["--table", "feeds", "list"]]
)
def test_file_commands_import_no_database_or_network_stack(args: list[str]) -> None:
    loaded = loaded_after(args)
    assert "click" in loaded and "watcher" in loaded
    assert not loaded & HEAVY, sorted(loaded & HEAVY)


def test_the_polling_process_loads_no_terminal_ui() -> None:
    """What a poll loads (the composition root and its pipeline) leaves out rich and pygments, which
    httpx's own command-line tool would bring (watcher/__init__.py) and backfill's progress bars use."""
    code = (
        "import json, sys; import watcher.app.root, watcher.app.backfill; "
        "print(json.dumps(sorted({m.split('.')[0] for m, v in sys.modules.items() if v is not None})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert {"httpx", "sqlalchemy"} <= loaded
    assert not loaded & {"rich", "pygments"}, sorted(loaded & {"rich", "pygments"})
