"""Where watcher's default files live: the shipped defaults and the per-user data folder.

The default entity list, feed list, baseline facts and their seeds ship inside the package
(``watcher/defaults/``, packed at build time from the repository's top-level ``config/``,
``baseline/`` and ``seeds/``, which stay the one source). A relative default path that exists
where watcher runs (a checkout) wins; otherwise the shipped copy is used. In an editable
install the repository's own folders are the shipped copy.

The default database lives in the user's data folder (``platformdirs.user_data_dir``, e.g.
``~/.local/share/watcher`` on Linux) rather than in ``./data`` of wherever watcher is started.
Light on purpose: imported by the CLI before any heavy library.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

APP_NAME = "watcher"
DISTRIBUTION = (
    "watcher-deals"  # the name on the package index ("watcher" is taken); the command stays `watcher`
)
LEGACY_DATABASE = Path("data/watcher.db")  # the old default under the working folder, still used when present
DEFAULT_FILES = {
    "feeds_file": Path("config/feeds.yaml"),
    "baseline_file": Path("baseline/facts.yaml"),
    "entities_file": Path("config/entities.yaml"),
    "seeds_dir": Path("seeds"),
}


def _shipped_roots() -> list[Path]:
    package = Path(str(resources.files("watcher")))
    roots = [package / "defaults"]  # what a wheel holds
    if (package.parent / "pyproject.toml").is_file():  # an editable install or a checkout
        roots.append(package.parent)
    return roots


def shipped(relative: Path) -> Path | None:
    """The copy of a default file (e.g. ``config/entities.yaml``) that ships with watcher."""
    for root in _shipped_roots():
        candidate = root / relative
        if candidate.exists():
            return candidate
    return None


def resolve_default(relative: Path) -> Path:
    """``relative`` where it exists under the working folder, else the shipped copy, else as given
    (so that the error names the path the user would expect)."""
    if relative.exists():
        return relative
    return shipped(relative) or relative


def is_shipped(path: Path) -> bool:
    """True for a file inside the installed package (never to be edited in place)."""
    try:
        resolved = path.resolve()
        return resolved.is_relative_to((Path(str(resources.files("watcher"))) / "defaults").resolve())
    except OSError:
        return False


def user_data_dir() -> Path:
    """The per-user folder of watcher's database (created only when the default database is used)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_database_url() -> str:
    """``./data/watcher.db`` when that file already exists (the old default), else
    ``watcher.db`` in the user data folder."""
    if LEGACY_DATABASE.is_file():
        return f"sqlite:///{LEGACY_DATABASE}"
    return f"sqlite:///{user_data_dir() / 'watcher.db'}"


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for in-memory SQLite and other databases)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None
