from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from watcher.config import describe_settings, load_settings
from watcher.errors import ConfigError
from watcher.paths import user_data_dir


def test_defaults_need_no_environment() -> None:
    s = load_settings()
    assert s.database_url == f"sqlite:///{user_data_dir() / 'watcher.db'}"
    assert s.feeds_file == Path("config/feeds.yaml")  # in a checkout, the repository's own files
    assert s.telegram_api_url == "https://api.telegram.org"
    assert not s.telegram_enabled and not s.email_enabled
    assert s.allow_private_networks is False


def test_environment_is_read_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHER_TELEGRAM_CHAT_IDS", "12, -1003")
    monkeypatch.setenv("WATCHER_TELEGRAM_TOKEN", "123456:SECRETSECRETSECRET")
    monkeypatch.setenv("WATCHER_DIGEST_TIME", "18:45")
    monkeypatch.setenv("WATCHER_DIGEST_TO", "a@example.org,b@example.org")
    monkeypatch.setenv("WATCHER_TELEGRAM_API_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("WATCHER_ALLOW_PRIVATE_NETWORKS", "true")
    s = load_settings()
    assert s.telegram_chat_ids == (12, -1003)
    assert s.digest_time == time(18, 45)
    assert s.digest_to == ("a@example.org", "b@example.org")
    assert s.telegram_api_url == "http://127.0.0.1:9999"
    assert s.allow_private_networks is True
    assert s.telegram_enabled
    assert "SECRET" not in repr(s) and "SECRET" not in str(s)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("WATCHER_TIMEZONE", "Mars/Olympus", "WATCHER_TIMEZONE"),
        ("WATCHER_DIGEST_TIME", "25:99", "WATCHER_DIGEST_TIME"),
        ("WATCHER_POLL_INTERVAL", "often", "WATCHER_POLL_INTERVAL"),
        ("WATCHER_SMTP_PORT", "70000", "WATCHER_SMTP_PORT"),
        ("WATCHER_TELEGRAM_CHAT_IDS", "abc", "WATCHER_TELEGRAM_CHAT_IDS"),
        ("WATCHER_TELEGRAM_API_URL", "ftp://x", "WATCHER_TELEGRAM_API_URL"),
    ],
)
def test_invalid_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert fragment in str(err.value)


def test_config_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text("poll_interval: 120\ntimezone: Europe/Berlin\n")
    monkeypatch.setenv("WATCHER_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("WATCHER_POLL_INTERVAL", "300")
    s = load_settings()
    assert s.timezone == "Europe/Berlin"
    assert s.poll_interval == 300


def test_missing_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WATCHER_CONFIG_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="WATCHER_CONFIG_FILE"):
        load_settings()


def test_every_setting_is_documented_in_readme() -> None:
    readme = Path("README.md").read_text()
    for variable, _default, meaning in describe_settings():
        assert variable in readme, f"{variable} missing from README's configuration table"
        assert meaning, f"{variable} has no description"


def test_a_dashboard_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="WATCHER_WEB_TOKEN is required"):
        load_settings(web_host="0.0.0.0")
    assert load_settings(web_host="0.0.0.0", web_token="long-random").web_token is not None
    assert load_settings(web_host="0.0.0.0", web_port=0).web_port == 0  # dashboard off: nothing listens
    assert load_settings(web_host="::1").web_host == "::1"


def test_defaults_outside_a_checkout_are_the_shipped_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    for path in (s.feeds_file, s.baseline_file, s.entities_file, s.seeds_dir):
        assert path.is_absolute() and path.exists(), path
    assert "xdg-data" in s.database_url  # the per-user data folder (XDG_DATA_HOME in tests)
    assert not (tmp_path / "data").exists()


def test_an_old_data_folder_database_is_still_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "watcher.db").write_bytes(b"")
    assert load_settings().database_url == "sqlite:///data/watcher.db"


def test_explicit_paths_are_kept_as_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WATCHER_BASELINE_FILE", "baseline/facts.yaml")
    assert load_settings().baseline_file == Path("baseline/facts.yaml")


def test_unknown_key_in_the_config_file_is_an_error_naming_file_and_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text("timezone: UTC\npoll_intervall: 120\n")
    monkeypatch.setenv("WATCHER_CONFIG_FILE", str(cfg))
    with pytest.raises(
        ConfigError, match=r"w\.yaml, line 2: unknown key 'poll_intervall' \(did you mean 'poll_interval'"
    ):
        load_settings()


def test_yaml_syntax_error_in_the_config_file_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "w.yaml"
    cfg.write_text("timezone: UTC\npoll_interval: [\n")
    monkeypatch.setenv("WATCHER_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(cfg) in str(err.value) and "not valid YAML" in str(err.value)
    assert "<unicode string>" not in str(err.value)
