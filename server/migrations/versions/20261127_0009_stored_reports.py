"""stored reports: the weekly reports the server makes by itself, kept for download; inspections by finish time

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.common

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", server.common.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("period", "scope", "format", name="uq_stored_report"),
    )
    op.create_index("ix_stored_report_created_at", "stored_report", ["created_at"])
    op.create_index("ix_inspection_finished", "inspection", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_inspection_finished", table_name="inspection")
    op.drop_index("ix_stored_report_created_at", table_name="stored_report")
    op.drop_table("stored_report")
