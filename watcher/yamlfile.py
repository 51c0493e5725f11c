"""Reading watcher's own YAML files with errors that name the file, the line and the key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from watcher.errors import ConfigError


def yaml_error(path: Path | str, exc: yaml.YAMLError) -> ConfigError:
    """``config/feeds.yaml, line 3: not valid YAML: mapping values are not allowed here``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ConfigError(f"{where}: not valid YAML: {problem}")


def parse_yaml(path: Path | str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc) from None


def key_line(text: str, key: str) -> int | None:
    """The 1-based line of a top-level ``key`` in a YAML mapping document, if found."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if getattr(k, "value", None) == key:
                return int(k.start_mark.line) + 1
    return None


def reject_unknown_keys(path: Path | str, text: str, data: dict[str, Any], known: Iterable[str]) -> None:
    """A ConfigError naming the file, the line and the first key that is not in ``known``."""
    allowed = set(known)
    unknown = [k for k in data if k not in allowed]
    if not unknown:
        return
    key = unknown[0]
    line = key_line(text, str(key))
    where = f"{path}, line {line}" if line else str(path)
    close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    elif len(allowed) <= 6:
        hint = "known keys: " + ", ".join(sorted(allowed))
    else:
        hint = "see the configuration table in README.md"
    raise ConfigError(f"{where}: unknown key {key!r} ({hint})")
