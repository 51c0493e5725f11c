"""Read-only views over the store for the CLI and the bot: findings lists and status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from watcher.logs import mask_url_passwords
from watcher.store import Store
from watcher.store.schema import ArticleRow, FindingRow

if TYPE_CHECKING:
    from watcher.app import Watcher


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def list_findings(
    store: Store,
    *,
    kinds: Sequence[str] = (),
    since: datetime | None = None,
    party: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Findings newest first, as plain dicts (the `watcher findings --json` form)."""
    with store.session() as s:
        q = (
            select(FindingRow, ArticleRow)
            .join(ArticleRow, ArticleRow.id == FindingRow.article_id)
            .where(FindingRow.status != "retracted")
            .order_by(FindingRow.first_seen_at.desc(), FindingRow.id.desc())
        )
        if kinds:
            q = q.where(FindingRow.kind.in_(list(kinds)))
        if since:
            q = q.where(FindingRow.first_seen_at >= since)
        rows = s.execute(q.limit(limit * 5 if party else limit)).all()
    out = []
    for f, a in rows:
        if party and party.lower() not in (p.lower() for p in f.parties):
            continue
        out.append(
            {
                "id": f.id,
                "first_seen_at": _iso(f.first_seen_at),
                "kind": f.kind,
                "parties": f.parties,
                "attribute": f.attribute,
                "baseline_fact": f.baseline_fact,
                "baseline_value": f.baseline_value,
                "new_value": f.new_value,
                "evidence": f.evidence,
                "confidence": f.confidence,
                "explanation": f.explanation,
                "status": f.status,
                "title": a.title,
                "url": a.url,
                "partial": a.partial,
            }
        )
    return out[:limit]


def status_report(w: Watcher) -> dict[str, Any]:
    deferred = w.store.entries_deferred()
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
        for f in w.store.feed_rows()
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
        for d in w.store.failed_deliveries()
    ]
    return {
        "instance": w.owner,
        "database": w.store.dialect,
        "baseline_version": w.baseline.version,
        "feeds": feeds,
        "counts": w.store.counts(),
        "deliveries": w.store.delivery_counts(),
        "failed_deliveries": failed,
        "last_digest": _iso(w.store.last_digest_end()),
        "last_poll": w.store.get_state("last_poll"),
        "muted_until": w.store.get_state("mute_until"),
    }
