"""`watcher feeds`: the feed list in the feeds file (WATCHER_FEEDS_FILE, default config/feeds.yaml)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from watcher.cli.base import cli
from watcher.cli.output import WIDE_OPTION
from watcher.errors import ConfigError
from watcher.logs import mask_url_passwords
from watcher.types import FeedSource


def _feeds_file() -> Path:
    from watcher.config import load_settings

    return Path(load_settings().feeds_file)


def _editable_feeds_file() -> Path:
    """The feeds file for add/remove/import: never the copy shipped inside the installed package."""
    from watcher.paths import is_shipped

    path = _feeds_file()
    if is_shipped(path):
        raise ConfigError(
            f"{path} is the feed list shipped with watcher and is not edited in place: copy it, "
            "e.g. `cp " + str(path) + " ~/feeds.yaml`, and set WATCHER_FEEDS_FILE=~/feeds.yaml"
        )
    return path


def _load_or_empty(path: Path) -> list[FeedSource]:
    from watcher.ingest.feeds import load_feeds

    return load_feeds(path) if path.exists() else []


@cli.group()
def feeds() -> None:
    """List, add, remove, import and export the feeds watcher polls."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed, one per line.")
@WIDE_OPTION
def feeds_list(as_json: bool, wide: bool) -> None:
    """List configured feeds (name, interval, tags, URL): a table, tab-separated lines in a pipe."""
    from watcher.cli.output import is_terminal, print_table, print_tsv
    from watcher.ingest.feeds import load_feeds

    path = _feeds_file()
    feeds = load_feeds(path)
    if as_json:
        for feed in feeds:
            click.echo(
                json.dumps(
                    {
                        "name": feed.name,
                        "url": mask_url_passwords(feed.url),
                        "interval": feed.interval,
                        "enabled": feed.enabled,
                        "tags": list(feed.tags),
                    }
                )
            )
        return
    if not is_terminal():
        print_tsv(
            ["name", "enabled", "interval", "tags", "url"],
            [
                [
                    f.name,
                    str(f.enabled).lower(),
                    f.interval or "",
                    ",".join(f.tags),
                    mask_url_passwords(f.url),
                ]
                for f in feeds
            ],
        )
        return
    from watcher.text import plural

    columns: list[tuple[str, int, int | None]] = [
        ("name", 12, 30),
        ("interval", 8, None),
        ("tags", 4, 20),
        ("url", 20, None),
    ]
    rows = [
        [
            f.name + ("" if f.enabled else " (disabled)"),
            f"{f.interval}s" if f.interval else "default",
            ", ".join(f.tags),
            mask_url_passwords(f.url),
        ]
        for f in feeds
    ]
    print_table(f"Feeds: {path} ({plural(len(feeds), 'feed')})", columns, rows, wide=wide)


@feeds.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--interval", help="Poll interval: seconds or e.g. 15m, 2h (default: WATCHER_POLL_INTERVAL).")
@click.option("--tag", "tags", multiple=True, help="A tag for the feed (repeatable).")
def feeds_add(name: str, url: str, interval: str | None, tags: tuple[str, ...]) -> None:
    """Add the feed NAME at URL."""
    from watcher.ingest.feeds import feed_from_mapping, save_feeds

    path = _editable_feeds_file()
    current = _load_or_empty(path)
    raw: dict[str, object] = {"name": name, "url": url, "tags": list(tags)}
    if interval is not None:
        raw["interval"] = interval
    try:
        feed = feed_from_mapping(raw)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    save_feeds(path, [*current, feed])
    click.echo(f"added {feed.name} ({mask_url_passwords(feed.url)}) to {path}")


@feeds.command("remove")
@click.argument("name")
def feeds_remove(name: str) -> None:
    """Remove the feed called NAME (case-insensitive)."""
    from watcher.ingest.feeds import load_feeds, save_feeds

    path = _editable_feeds_file()
    current = load_feeds(path)
    kept = [f for f in current if f.name.casefold() != name.casefold()]
    if len(kept) == len(current):
        raise ConfigError(f"{path}: no feed named {name!r} (see `watcher feeds list`)")
    save_feeds(path, kept)
    click.echo(f"removed {name} from {path}")


@feeds.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def feeds_import_opml(file: Path) -> None:
    """Add the feeds of an OPML FILE; feeds already present (same URL or name) are skipped."""
    from watcher.ingest.feeds import import_opml, save_feeds
    from watcher.ingest.stories import canonical_url

    path = _editable_feeds_file()
    current = _load_or_empty(path)
    names = {f.name.casefold() for f in current}
    urls = {canonical_url(f.url) for f in current}
    added, skipped = [], 0
    for feed in import_opml(file.read_bytes(), where=str(file)):
        if canonical_url(feed.url) in urls:
            skipped += 1
            continue
        if feed.name.casefold() in names:  # same name, new URL: keep both, rename
            feed = replace(feed, name=f"{feed.name} ({feed.url})")
        names.add(feed.name.casefold())
        urls.add(canonical_url(feed.url))
        added.append(feed)
    save_feeds(path, [*current, *added])
    from watcher.text import plural

    click.echo(f"imported {plural(len(added), 'feed')} into {path} ({skipped} already present)")


@feeds.command("export-opml")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def feeds_export_opml(file: Path | None) -> None:
    """Write the feeds as OPML to FILE (default: stdout)."""
    from watcher.ingest.feeds import export_opml, load_feeds

    data = export_opml(load_feeds(_feeds_file()))
    if file is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        file.write_bytes(data)
        click.echo(f"wrote {file}", err=True)
