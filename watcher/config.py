"""Settings: the only reader of WATCHER_* environment variables and of the config file.

Values come, highest first, from: keyword arguments, environment variables (prefix
``WATCHER_``), the YAML file named by ``WATCHER_CONFIG_FILE`` (default ``config/watcher.yaml``
when it exists), then the defaults below. Everything is validated at once; an invalid
value fails with a :class:`~watcher.errors.ConfigError` naming the variable.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from watcher.errors import ConfigError
from watcher.paths import DEFAULT_FILES, default_database_url, resolve_default
from watcher.yamlfile import parse_yaml, reject_unknown_keys

PREFIX = "WATCHER_"
DEFAULT_CONFIG_FILE = "config/watcher.yaml"


def _config_file() -> str | None:
    path = os.environ.get(PREFIX + "CONFIG_FILE")
    if path:
        if not Path(path).is_file():
            raise ConfigError(f"WATCHER_CONFIG_FILE: no such file: {path}")
    else:
        path = DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None
    if path:
        _check_config_file(Path(path))
    return path


def _check_config_file(path: Path) -> None:
    """The file must be UTF-8 YAML holding a mapping (or nothing): anything else is a ConfigError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read it: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "cannot parse it"
        raise ConfigError(f"config file {where} is not valid YAML: {problem}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            f"config file {path}: expected a mapping of settings (e.g. 'poll_interval: 600'), "
            f"found a {type(data).__name__}"
        )


class _CheckedYamlSource(YamlConfigSettingsSource):
    """The config file, with YAML errors and unknown keys (``poll_intervall``) named by file and line."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        text = Path(file_path).read_text(encoding="utf-8")
        data = parse_yaml(file_path, text) or {}
        if isinstance(data, dict):
            reject_unknown_keys(file_path, text, data, Settings.model_fields)
        return data


class Settings(BaseSettings):
    """All of watcher's settings. Field ``x`` is read from ``WATCHER_X``."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", case_sensitive=False)

    database_url: str = Field(default_factory=default_database_url, description="SQLAlchemy URL of the store")
    feeds_file: Path = Field(
        default_factory=lambda: resolve_default(DEFAULT_FILES["feeds_file"]), description="YAML list of feeds"
    )
    baseline_file: Path = Field(
        default_factory=lambda: resolve_default(DEFAULT_FILES["baseline_file"]),
        description="curated baseline facts",
    )
    entities_file: Path = Field(
        default_factory=lambda: resolve_default(DEFAULT_FILES["entities_file"]),
        description="known companies and aliases",
    )
    seeds_dir: Path = Field(
        default_factory=lambda: resolve_default(DEFAULT_FILES["seeds_dir"]),
        description="seed documents the baseline comes from",
    )

    telegram_token: SecretStr | None = Field(None, description="Telegram bot token")
    telegram_chat_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        (), description="comma-separated chat ids"
    )
    telegram_admin_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        (),
        description="comma-separated user ids allowed to press Confirm/Dismiss (empty: anyone in an allowed chat)",
    )
    telegram_api_url: str = Field("https://api.telegram.org", description="Bot API server root")

    smtp_host: str | None = Field(None, description="SMTP server host")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port")
    smtp_user: str | None = Field(None, description="SMTP login user")
    smtp_password: SecretStr | None = Field(None, description="SMTP login password")
    smtp_starttls: bool = Field(True, description="use STARTTLS")
    smtp_timeout: float = Field(
        30.0, gt=0, le=3600, allow_inf_nan=False, description="SMTP timeout in seconds"
    )
    digest_from: str = Field("watcher@localhost", description="digest sender address")
    digest_to: Annotated[tuple[str, ...], NoDecode] = Field((), description="comma-separated recipients")
    digest_time: time = Field(time(7, 0), description="HH:MM local time of the daily digest")
    timezone: str = Field("UTC", description="IANA time zone for the digest")

    poll_interval: int = Field(900, ge=10, le=7 * 86_400, description="seconds between poll cycles")
    allow_private_networks: bool = Field(False, description="allow fetching private/loopback addresses")
    delivery_deadline: float = Field(
        60.0, ge=0, le=86_400, allow_inf_nan=False, description="seconds one-shot commands retry deliveries"
    )
    alert_min_confidence: float = Field(
        0.5, ge=0, le=1, allow_inf_nan=False, description="lowest confidence that alerts"
    )
    http_timeout: float = Field(
        20.0, gt=0, le=3600, allow_inf_nan=False, description="HTTP timeout in seconds"
    )
    max_page_bytes: int = Field(
        5_000_000, ge=1024, le=2**31, description="size cap for a fetched page or feed"
    )
    extract_timeout: float = Field(
        10.0, gt=0, le=3600, allow_inf_nan=False, description="time budget for extracting one page"
    )
    parse_timeout: float = Field(
        60.0, gt=0, le=3600, allow_inf_nan=False, description="time budget for parsing one fetched feed"
    )
    max_new_entries_per_feed: int = Field(
        50, ge=1, le=100_000, description="new entries one feed may bring per poll cycle (newest first)"
    )
    health_port: int = Field(0, ge=0, le=65535, description="port of /healthz and /metrics (0 = off)")
    health_host: str = Field(
        "127.0.0.1", description="address /healthz and /metrics bind to (0.0.0.0 in a container)"
    )
    instance_id: str | None = Field(None, description="name of this instance (default host:pid)")
    web_host: str = Field("127.0.0.1", description="address the web dashboard listens on")
    web_port: int = Field(
        8765, ge=0, le=65535, description="port of the web dashboard in `watcher run` (0 = off)"
    )
    web_token: SecretStr | None = Field(
        None, description="access token of the web dashboard (required beyond loopback)"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path:
            sources.append(_CheckedYamlSource(settings_cls, yaml_file=path))
        return tuple(sources)

    @field_validator("telegram_chat_ids", "telegram_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            bad = [p for p in parts if not re.fullmatch(r"-?[0-9]+", p)]
            if bad:
                raise ValueError(f"expected comma-separated numeric ids, got {bad[0]!r}")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("digest_to", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
            if not m:
                raise ValueError("expected HH:MM, e.g. 07:30")
            return time(int(m.group(1)), int(m.group(2)))
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Berlin)") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not re.match(r"https?://", value):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _web_token_beyond_loopback(self) -> Settings:
        if self.web_port and not is_loopback_host(self.web_host) and self.web_token is None:
            raise ValueError(
                f"WATCHER_WEB_TOKEN is required when the dashboard listens beyond loopback "
                f"(WATCHER_WEB_HOST={self.web_host}); set a long random token or WATCHER_WEB_HOST=127.0.0.1"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None and bool(self.telegram_chat_ids)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host) and bool(self.digest_to)


def is_loopback_host(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Reads and validates all settings; raises ConfigError naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = PREFIX + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else "settings"
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file is not valid YAML: {exc}") from None


def describe_settings() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting: used by README tests and `watcher status`."""
    rows = []
    shown = {
        **{k: str(v) for k, v in DEFAULT_FILES.items()},
        "database_url": "watcher.db in the user data folder",
    }
    for name, field in Settings.model_fields.items():
        default = shown.get(name, field.default)
        if isinstance(default, tuple):
            default = ",".join(str(x) for x in default)
        rows.append((PREFIX + name.upper(), "" if default is None else str(default), field.description or ""))
    return rows
