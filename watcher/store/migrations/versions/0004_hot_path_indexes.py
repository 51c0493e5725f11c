"""indexes for the poll cycle's remaining unindexed lookups: due feeds, articles by time

``claim_due_feeds`` reads enabled feeds by ``next_poll_at`` every cycle, and the story index is
seeded every cycle from the articles fetched in the story window (``recent_fingerprints``, by
``fetched_at``); both were full table scans. Entries by feed and identity and articles by canonical
URL already have their unique indexes (issue 14; checked by tests/test_query_plans.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feeds_due", "feeds", ["enabled", "next_poll_at"])
    op.create_index("ix_articles_fetched_at", "articles", ["fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_fetched_at", table_name="articles")
    op.drop_index("ix_feeds_due", table_name="feeds")
