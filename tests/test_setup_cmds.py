"""`watcher init` writes editable copies of the default files; `watcher config` shows the settings
in effect, where each came from, and never a secret."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from watcher.cli import cli

SECRETS = {
    "WATCHER_TELEGRAM_TOKEN": "123456:tok-SECRET-telegram",
    "WATCHER_SMTP_PASSWORD": "smtp-SECRET-pw",
    "WATCHER_WEB_TOKEN": "web-SECRET-token",
    "WATCHER_DATABASE_URL": "postgresql+psycopg://bob:db-SECRET-pw@127.0.0.1:5432/w",
}


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def exports(out: str) -> dict[str, str]:
    pairs = {}
    for line in out.splitlines():
        assert line.startswith("export WATCHER_"), line
        name, _, value = line.removeprefix("export ").partition("=")
        pairs[name] = shlex.split(value)[0]
    return pairs


# --- init ---


def test_init_writes_the_files_and_prints_export_lines(tmp_path: Path) -> None:
    target = tmp_path / "my config"  # a space: the lines must be quoted for the shell
    code, out, err = invoke(["init", str(target)])
    assert code == 0, err
    env = exports(out)
    assert env == {
        "WATCHER_ENTITIES_FILE": str(target / "entities.yaml"),
        "WATCHER_FEEDS_FILE": str(target / "feeds.yaml"),
        "WATCHER_BASELINE_FILE": str(target / "facts.yaml"),
        "WATCHER_SEEDS_DIR": str(target / "seeds"),
    }
    root = Path(__file__).resolve().parent.parent
    assert (target / "facts.yaml").read_bytes() == (root / "baseline" / "facts.yaml").read_bytes()
    assert (target / "entities.yaml").read_bytes() == (root / "config" / "entities.yaml").read_bytes()
    assert sorted(p.name for p in (target / "seeds").iterdir()) == sorted(
        p.name for p in (root / "seeds").iterdir() if p.name.endswith((".txt", ".meta.yaml"))
    )
    assert f"wrote {3 + len(list((target / 'seeds').iterdir()))} files into {target}" in err


def test_the_written_files_are_the_ones_watcher_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = invoke(["init", str(tmp_path / "w")])
    assert code == 0
    for name, value in exports(out).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # away from the checkout's own files
    code, out, err = invoke(["baseline", "check"])
    assert code == 0, out + err
    last = out.splitlines()[-1]
    assert last.startswith(str(tmp_path / "w" / "facts.yaml")) and last.endswith(": OK")
    (tmp_path / "w" / "seeds" / "000_7bb402d73a3111ac.txt").write_text("edited away\n")
    code, out, err = invoke(["baseline", "check"])  # the check reads the written seeds, not the shipped ones
    assert code == 1 and "FAILED" in out
    code, out, _ = invoke(["feeds", "add", "Mine", "https://example.org/feed.xml"])  # editable: not shipped
    assert code == 0 and "Mine" in (tmp_path / "w" / "feeds.yaml").read_text()
    code, out, _ = invoke(["config", "--json"])
    sources = {r["name"]: r["source"] for r in json.loads(out)["settings"]}
    assert sources["WATCHER_BASELINE_FILE"] == "environment"


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "cfg"
    target.mkdir()
    (target / "feeds.yaml").write_text("feeds: []  # mine\n")
    code, out, err = invoke(["init", str(target)])
    assert code == 1 and out == ""
    assert "already there" in err and str(target / "feeds.yaml") in err and "--force" in err
    assert sorted(p.name for p in target.iterdir()) == ["feeds.yaml"]  # nothing else half-written
    assert (target / "feeds.yaml").read_text() == "feeds: []  # mine\n"
    code, out, err = invoke(["init", "--force", str(target)])
    assert code == 0, err
    assert "# mine" not in (target / "feeds.yaml").read_text()
    assert (target / "facts.yaml").is_file()


def test_init_defaults_to_the_user_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    code, out, err = invoke(["init"])
    assert code == 0, err
    assert exports(out)["WATCHER_BASELINE_FILE"] == str(tmp_path / "xdg-config" / "watcher" / "facts.yaml")


# --- config ---


def settings_json(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, dict[str, object]]:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code, out, err = invoke(["config", "--json"])
    assert code == 0, err
    return {r["name"]: r for r in json.loads(out)["settings"]}


def test_config_names_the_source_of_each_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "watcher.yaml"
    config.write_text("poll_interval: 600\ntimezone: Europe/Berlin\n")
    rows = settings_json(monkeypatch, {"WATCHER_CONFIG_FILE": str(config), "WATCHER_POLL_INTERVAL": "120"})
    assert rows["WATCHER_POLL_INTERVAL"] == {
        "name": "WATCHER_POLL_INTERVAL",
        "value": 120,
        "source": "environment",
    }
    assert rows["WATCHER_TIMEZONE"] == {
        "name": "WATCHER_TIMEZONE", "value": "Europe/Berlin", "source": f"config file {config}"
    }  # fmt: skip
    assert rows["WATCHER_SMTP_PORT"] == {"name": "WATCHER_SMTP_PORT", "value": 587, "source": "default"}
    assert rows["WATCHER_TELEGRAM_TOKEN"]["value"] is None


def test_config_never_prints_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    outputs = [invoke(args) for args in (["config"], ["config", "--json"], ["--table", "config"])]
    for code, out, err in outputs:
        assert code == 0, err
        assert "SECRET" not in out + err
    rows = settings_json(monkeypatch, {})
    assert rows["WATCHER_TELEGRAM_TOKEN"]["value"] == "********"
    assert rows["WATCHER_SMTP_PASSWORD"]["source"] == "environment"
    assert rows["WATCHER_DATABASE_URL"]["value"] == "postgresql+psycopg://bob:***@127.0.0.1:5432/w"


def test_config_in_a_pipe_and_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("WATCHER_POLL_INTERVAL", "120")
    code, out, _ = invoke(["config"])
    lines = out.splitlines()
    assert lines[0] == "setting\tvalue\tsource"
    assert "WATCHER_POLL_INTERVAL\t120\tenvironment" in lines
    code, out, _ = invoke(["--table", "config"])
    assert out.startswith("config file: none") and "\t" not in out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert any(
        line.startswith("WATCHER_POLL_INTERVAL") and "environment" in line for line in out.splitlines()
    )
