"""Setting up: `watcher init` writes editable copies of the default files, `watcher config` shows
the settings in effect and where each came from."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import click

from watcher.cli.base import cli
from watcher.errors import ConfigError

# What `watcher init` writes: setting -> (shipped default, name in the target folder)
INIT_FILES = {
    "entities_file": ("config/entities.yaml", "entities.yaml"),
    "feeds_file": ("config/feeds.yaml", "feeds.yaml"),
    "baseline_file": ("baseline/facts.yaml", "facts.yaml"),
    "seeds_dir": ("seeds", "seeds"),
}
SEED_PATTERNS = ("*.txt", "*.meta.yaml")


def default_init_dir() -> Path:
    """The per-user config folder (``platformdirs.user_config_dir``, e.g. ``~/.config/watcher``)."""
    from platformdirs import user_config_path

    from watcher.paths import APP_NAME

    return user_config_path(APP_NAME, appauthor=False)


def init_plan(target: Path) -> list[tuple[Path, Path]]:
    """(shipped source, destination) for every file `watcher init` writes into ``target``."""
    from watcher.paths import shipped

    plan = []
    for name, (relative, dest) in INIT_FILES.items():
        source = shipped(Path(relative))
        if source is None:
            raise ConfigError(
                f"the default {relative} is missing from this installation of watcher; reinstall it"
            )
        if name == "seeds_dir":
            for pattern in SEED_PATTERNS:
                plan += [(f, target / dest / f.name) for f in sorted(source.glob(pattern))]
        else:
            plan.append((source, target / dest))
    return plan


def export_lines(target: Path) -> list[str]:
    """``export WATCHER_...=...`` lines pointing at the files in ``target`` (absolute, shell-quoted)."""
    root = target.resolve()
    return [
        f"export WATCHER_{name.upper()}={shlex.quote(str(root / dest))}"
        for name, (_src, dest) in INIT_FILES.items()
    ]


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write over files that are already there.")
def init(directory: Path | None, force: bool) -> None:
    """Write editable copies of the default files into DIRECTORY and print the lines that use them.

    DIRECTORY (default: the per-user config folder, ~/.config/watcher on Linux) gets
    entities.yaml and feeds.yaml (the config), facts.yaml (the baseline) and seeds/ (the
    documents the baseline cites). When any of them is already there nothing is written, unless
    --force is given. The `export WATCHER_...` lines go to stdout, so
    `eval "$(watcher init)"` sets them in the current shell; add them to your shell profile.
    """
    import shutil

    target = directory if directory is not None else default_init_dir()
    plan = init_plan(target)
    existing = [dest for _src, dest in plan if dest.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:5]) + (" …" if len(existing) > 5 else "")
        raise ConfigError(
            f"{len(existing)} of the files are already there ({shown}); nothing was written: "
            "edit them, choose another folder, or use --force to write over them"
        )
    for _source, dest in plan:
        if dest.is_dir():
            raise ConfigError(f"{dest} is a folder; cannot write a file there")
    try:
        for source, dest in plan:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    except OSError as exc:
        raise ConfigError(f"cannot write into {target}: {exc.strerror or exc}") from None
    from watcher.text import plural

    click.echo(f"wrote {plural(len(plan), 'file')} into {target}; to use them:", err=True)
    for line in export_lines(target):
        click.echo(line)


def _config_file_data() -> tuple[str | None, str, dict[str, Any]]:
    """(config file, how it was found, its settings with lower-case keys)."""
    from watcher.config import DEFAULT_CONFIG_FILE, PREFIX, _config_file
    from watcher.yamlfile import parse_yaml

    path = _config_file()
    if path is None:
        return None, f"none (set WATCHER_CONFIG_FILE or create {DEFAULT_CONFIG_FILE})", {}
    how = (
        "WATCHER_CONFIG_FILE"
        if os.environ.get(PREFIX + "CONFIG_FILE")
        else f"{DEFAULT_CONFIG_FILE} in this folder"
    )
    data = parse_yaml(path, Path(path).read_text(encoding="utf-8")) or {}
    return path, how, {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}


def effective_settings() -> dict[str, Any]:
    """The settings in effect, each with its source (default / config file / environment); secrets
    and database passwords masked."""
    from pydantic import SecretStr

    from watcher.config import PREFIX, Settings, load_settings
    from watcher.logs import mask_url_passwords
    from watcher.paths import is_shipped

    settings = load_settings()
    path, how, file_data = _config_file_data()
    env = {k.upper() for k in os.environ}
    rows = []
    for name in Settings.model_fields:
        variable = PREFIX + name.upper()
        value = getattr(settings, name)
        if variable in env:
            source = "environment"
        elif name in file_data:
            source = f"config file {path}"
        else:
            source = "default"
        if isinstance(value, SecretStr):
            shown: Any = "********"
        elif isinstance(value, tuple):
            shown = ",".join(str(v) for v in value) or None
        elif isinstance(value, Path):
            shown = str(value)
            if source == "default" and is_shipped(value):
                source = "default (shipped with watcher)"
        elif isinstance(value, str):
            shown = mask_url_passwords(value)
        elif value is None or isinstance(value, bool | int | float):
            shown = value
        else:
            shown = str(value)
        rows.append({"name": variable, "value": shown, "source": source})
    return {"config_file": path, "config_file_found_by": how, "settings": rows}


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as one JSON object.")
def config_cmd(as_json: bool) -> None:
    """Show the settings in effect and where each came from: default, config file or environment.

    Secrets (tokens, passwords, the password in WATCHER_DATABASE_URL) are never printed. A table
    on a terminal, tab-separated lines (setting, value, source) in a pipe.
    """
    data = effective_settings()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return

    def cell(value: Any) -> str:
        if value is None:
            return "(not set)"
        return str(value).lower() if isinstance(value, bool) else str(value)

    rows = [[r["name"], cell(r["value"]), r["source"]] for r in data["settings"]]
    from watcher.cli.output import is_terminal, print_table, print_tsv

    if not is_terminal():
        print_tsv(["setting", "value", "source"], rows)
        return
    found_by = data["config_file_found_by"]
    click.echo(
        f"config file: {data['config_file']} ({found_by})"
        if data["config_file"]
        else f"config file: {found_by}"
    )
    print_table(None, [("setting", 32, None), ("value", 12, None), ("source", 11, 40)], rows)
