"""Read-only views over the store for the CLI and the bot: findings lists and status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watcher.baseline.confirmed import facts_from_yaml
from watcher.logs import mask_url_passwords
from watcher.notify.items import StoryItem, group_records, newest_first, reason
from watcher.store import Store
from watcher.types import Fact


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def story_items(
    store: Store,
    *,
    kinds: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    party: str | None = None,
    deal_status: str | None = None,
    reviews: Sequence[str] = ("active", "confirmed"),
    limit: int = 50,
    with_text: bool = True,
) -> list[StoryItem]:
    """Findings newest first, one item per story and fact with all its sources.

    ``party`` matches a company name in part, case-insensitively; ``deal_status`` a word of the
    deal's status ('talks' finds 'in talks, reported')."""
    records = store.finding_records(kinds=kinds, since=since, until=until, reviews=reviews, with_text=with_text,
                                    limit=limit * 10 if (party or deal_status) else limit * 4)  # fmt: skip
    items = newest_first(group_records(records))
    if party:
        needle = party.lower().strip()
        items = [i for i in items if any(needle in p.lower() for p in i.finding.parties)]
    if deal_status:
        word = deal_status.lower().strip()
        items = [i for i in items if word in (i.finding.status or "").lower()]
    return items[:limit]


def item_json(item: StoryItem) -> dict[str, Any]:
    """The `watcher findings --json` form of one item: the finding once, its sources under it."""
    f, first = item.finding, item.sources[0]
    return {
        "id": item.id,
        "first_seen_at": _iso(item.first_seen),
        "kind": str(f.kind),
        "parties": list(f.parties),
        "attribute": f.attribute,
        "baseline_fact": f.baseline_fact,
        "baseline_value": f.baseline_value,
        "new_value": f.new_value,
        "deal_status": f.status,
        "evidence": first.evidence,
        "confidence": f.confidence,
        "reason": reason(f),
        "explanation": f.explanation,
        "status": item.review,
        "title": first.title,
        "url": first.url,
        "sources": [
            {
                "outlet": s.outlet,
                "title": s.title,
                "url": s.url,
                "first_seen_at": _iso(s.first_seen),
                "evidence": s.evidence,
                "finding_id": s.finding_id,
            }
            for s in item.sources
        ],  # fmt: skip
    }


def item_by_id(store: Store, finding_id: int) -> StoryItem | None:
    """The item (story and fact) a finding belongs to, with every source; None for no such finding."""
    record = store.finding_record(finding_id)
    if record is None:
        return None
    records = (
        store.story_sources(record.story_id, record.signature) if record.story_id is not None else [record]
    )
    items = group_records(records)
    return items[0] if items else None


def baseline_versions(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """Baseline versions newest first: the file's and each confirmed alert's, with their facts."""
    return [
        {
            "version": v.version,
            "source": v.source,
            "note": v.note,
            "created_at": v.created_at,
            "facts": facts_from_yaml([v.facts_yaml]) if v.source == "confirmed" else [],
        }
        for v in store.baseline_versions(limit=limit)
    ]


def confirmed_facts(store: Store) -> list[Fact]:
    """Facts accepted from alerts (baseline versions of source 'confirmed'), oldest first."""
    return facts_from_yaml(v.facts_yaml for v in reversed(store.baseline_versions(source="confirmed")))


def list_findings(
    store: Store,
    *,
    kinds: Sequence[str] = (),
    since: datetime | None = None,
    party: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Findings newest first (dismissed ones too), one per story and fact, as plain dicts (the
    `watcher findings --json` form)."""
    items = story_items(store, kinds=kinds, since=since, party=party, limit=limit,
                        reviews=("active", "confirmed", "dismissed"))  # fmt: skip
    return [item_json(i) for i in items]


def status_report(store: Store, *, instance: str, baseline_version: str) -> dict[str, Any]:
    """What `watcher status` and the bot's /status show: feeds, counts, deliveries, the last runs."""
    deferred = store.entries_deferred()
    feeds = [
        {
            "name": f.name,
            "url": mask_url_passwords(f.url),
            "enabled": f.enabled,
            "last_success_at": _iso(f.last_success_at),
            "last_error": mask_url_passwords(f.last_error) if f.last_error else f.last_error,
            "last_error_kind": f.last_error_kind,
            "consecutive_failures": f.consecutive_failures,
            "next_poll_at": _iso(f.next_poll_at),
            "entries_deferred": deferred.get(f.id, 0),
        }
        for f in store.feed_rows()
        if not f.name.startswith("backfill:")
    ]
    failed = [
        {
            "id": d.id,
            "status": d.status,
            "channel": d.channel,
            "target": d.target,
            "finding_id": d.finding_id,
            "error": d.error,
        }
        for d in store.failed_deliveries()
    ]
    return {
        "instance": instance,
        "database": store.dialect,
        "baseline_version": baseline_version,
        "feeds": feeds,
        "counts": store.counts(),
        "deliveries": store.delivery_counts(),
        "failed_deliveries": failed,
        "last_digest": _iso(store.last_digest_end()),
        "last_poll": store.get_state("last_poll"),
        "muted_until": store.get_state("mute_until"),
    }
