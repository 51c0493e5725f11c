"""findings.deal_status: where a new deal stands, in words, from the differ

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 22:50:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.add_column(sa.Column('deal_status', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('findings') as batch:
        batch.drop_column('deal_status')
