"""The seed documents: the baseline's sources, each with a small metadata sidecar.

``seeds/<name>.txt`` holds the text, ``seeds/<name>.meta.yaml`` its title, outlet,
approximate publication date and a note that it is a baseline source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from watcher.errors import BaselineError


@dataclass(frozen=True, slots=True)
class Seed:
    name: str  # file name, e.g. "000_7bb402d73a3111ac.txt"
    text: str
    title: str
    outlet: str | None
    published: date | None
    note: str

    def contains(self, sentence: str) -> bool:
        """True when the sentence stands in the seed (white space folded)."""
        return normalise_space(sentence) in normalise_space(self.text)


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def load_seed(path: Path) -> Seed:
    """Reads one seed and its sidecar; a missing sidecar is an error naming the file to create."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read seed {path}: {exc.strerror}", path=str(path)) from exc
    meta_path = path.with_suffix(".meta.yaml")
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise BaselineError(
            f"seed {path.name} has no metadata sidecar: create {meta_path}", path=str(meta_path)
        ) from exc
    except yaml.YAMLError as exc:
        raise BaselineError(f"{meta_path}: not valid YAML: {exc}", path=str(meta_path)) from exc
    published = meta.get("published")
    if isinstance(published, str):
        published = date.fromisoformat(published)
    return Seed(
        name=path.name,
        text=text,
        title=str(meta.get("title") or text.splitlines()[0] if text else path.stem),
        outlet=meta.get("outlet"),
        published=published,
        note=str(meta.get("note", "")),
    )


def load_seeds(directory: Path) -> dict[str, Seed]:
    """All seeds in a folder (``*.txt``), keyed by file name."""
    if not directory.is_dir():
        raise BaselineError(
            f"seeds folder not found: {directory} (set WATCHER_SEEDS_DIR)", path=str(directory)
        )
    return {p.name: load_seed(p) for p in sorted(directory.glob("*.txt"))}
