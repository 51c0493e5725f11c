"""The CLI seam: commands open their Watcher through the typed factory in ``click.Context.obj``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.app.root import Watcher, make_watcher
from watcher.cli import cli
from watcher.cli.context import WatcherFactory
from watcher.config import Settings
from watcher.store import open_store


def test_a_command_builds_its_watcher_with_the_factory_handed_in_ctx_obj(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    open_store(url, auto_upgrade=True).close()
    monkeypatch.setenv("WATCHER_DATABASE_URL", url)
    built: list[Watcher] = []

    def build(settings: Settings) -> Watcher:
        w = make_watcher(settings, channels={})
        built.append(w)
        return w

    result = CliRunner().invoke(cli, ["--plain", "findings"], obj=WatcherFactory(build=build))
    assert result.exit_code == 0, result.output
    assert [w.settings.database_url for w in built] == [url]


def test_without_a_factory_handed_in_the_group_puts_the_default_one_in_ctx_obj(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = CliRunner().invoke(cli, ["findings"])
    assert result.exit_code == 1 and "no database yet" in result.output  # read-only: nothing created
    assert not (tmp_path / "none.db").exists()
