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
sys.stderr.write("\\nMODULES " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})) + "\\n")
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
