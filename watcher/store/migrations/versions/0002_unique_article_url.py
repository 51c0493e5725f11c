"""articles unique by canonical URL (duplicates merged first)

Poll threads used to race select-then-insert, so the same link in several feeds could be stored
once per feed (issue 13). This revision merges each set of duplicates into its oldest row, then
replaces the plain index on ``articles.canonical_url`` by a unique one.

Merging a duplicate into the kept row: its entries point at the kept row; its claims move there
unless the kept row has claims of its own (then they are dropped: each row holds one analysis of
the same page); a finding whose signature the kept row also has is folded into the kept finding
(its outbox rows repointed, and a still-pending one dropped when the kept finding already has an
alert for that channel and target), any other finding moves to the kept row and its story.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 22:50:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text
from sqlalchemy.engine import Connection

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    merge_duplicate_articles(conn)
    op.drop_index("ix_articles_canonical_url", table_name="articles")
    op.create_index("uq_articles_canonical_url", "articles", ["canonical_url"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_articles_canonical_url", table_name="articles")
    op.create_index("ix_articles_canonical_url", "articles", ["canonical_url"], unique=False)


def merge_duplicate_articles(conn: Connection) -> int:
    """Folds every article into the oldest row with its canonical URL; returns how many rows went."""
    urls = conn.execute(
        text("SELECT canonical_url FROM articles GROUP BY canonical_url HAVING count(*) > 1")
    ).scalars()
    merged = 0
    for url in list(urls):
        rows = conn.execute(
            text("SELECT id, story_id FROM articles WHERE canonical_url = :u ORDER BY id"), {"u": url}
        ).all()
        keep, story = rows[0]
        for dup, _ in rows[1:]:
            _merge(conn, keep, story, dup)
            merged += 1
    return merged


def _merge(conn: Connection, keep: int, story: int | None, dup: int) -> None:
    ids = {"keep": keep, "dup": dup, "story": story}
    conn.execute(text("UPDATE entries SET article_id = :keep WHERE article_id = :dup"), ids)
    if conn.execute(text("SELECT 1 FROM claims WHERE article_id = :keep"), ids).first() is None:
        conn.execute(text("UPDATE claims SET article_id = :keep WHERE article_id = :dup"), ids)
    else:
        conn.execute(text("DELETE FROM claims WHERE article_id = :dup"), ids)
    kept: dict[str, int] = dict(
        conn.execute(text("SELECT signature, id FROM findings WHERE article_id = :keep"), ids).all()
    )
    for finding, signature in conn.execute(
        text("SELECT id, signature FROM findings WHERE article_id = :dup ORDER BY id"), ids
    ).all():
        if signature in kept:
            _fold_finding(conn, kept[signature], finding)
        else:
            conn.execute(
                text(
                    "UPDATE findings SET article_id = :keep, story_id = COALESCE(:story, story_id) "
                    "WHERE id = :finding"
                ),
                {**ids, "finding": finding},
            )
            kept[signature] = finding
    conn.execute(text("DELETE FROM articles WHERE id = :dup"), ids)


def _fold_finding(conn: Connection, kept: int, finding: int) -> None:
    """The outbox rows of ``finding`` go to ``kept``; a pending one that would alert twice is dropped."""
    ids = {"kept": kept, "finding": finding}
    conn.execute(
        text(
            "DELETE FROM deliveries WHERE finding_id = :finding AND status = 'pending' AND EXISTS ("
            "SELECT 1 FROM deliveries d WHERE d.finding_id = :kept "
            "AND d.channel = deliveries.channel AND d.target = deliveries.target)"
        ),
        ids,
    )
    conn.execute(text("UPDATE deliveries SET finding_id = :kept WHERE finding_id = :finding"), ids)
    conn.execute(text("DELETE FROM findings WHERE id = :finding"), ids)
