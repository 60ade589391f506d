"""escalation in SQL and a changes feed without a hot row: partial indexes for escalation's probes,
hazard/notice.change_xid (the writing transaction) and, on PostgreSQL, the sequence change_feed_seq

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration must not change when the rulebook does): rulebook.lifecycle's lists today.
OPEN = "status IN ('open', 'notified', 'rectifying', 'awaiting_verification')"
FINISHED_ESCALATED = "status IN ('closed', 'cancelled') AND escalation_level <> 0"


def upgrade() -> None:
    # Plain ADD COLUMN with a default: no table copy on SQLite, no rewrite on PostgreSQL.
    op.add_column("hazard", sa.Column("change_xid", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("notice", sa.Column("change_xid", sa.BigInteger(), nullable=False, server_default="0"))
    op.drop_index("ix_hazard_change_seq", table_name="hazard")
    op.drop_index("ix_notice_change_seq", table_name="notice")
    op.create_index("ix_hazard_feed", "hazard", ["change_xid", "change_seq"])
    op.create_index("ix_notice_feed", "notice", ["change_xid", "change_seq"])
    op.create_index(
        "ix_hazard_escalation_due",
        "hazard",
        ["escalation_level", "deadline"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_hazard_finished_escalated",
        "hazard",
        ["id"],
        postgresql_where=sa.text(FINISHED_ESCALATED),
        sqlite_where=sa.text(FINISHED_ESCALATED),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE change_feed_seq AS bigint")
        op.execute("SELECT setval('change_feed_seq', (SELECT seq FROM change_counter WHERE id = 1) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The counter carries on above every number the sequence handed out.
        op.execute(
            "UPDATE change_counter SET seq = GREATEST(seq, (SELECT coalesce(max(change_seq), 0) FROM hazard),"
            " (SELECT coalesce(max(change_seq), 0) FROM notice)) WHERE id = 1"
        )
        op.execute("DROP SEQUENCE change_feed_seq")
    op.drop_index("ix_hazard_finished_escalated", table_name="hazard")
    op.drop_index("ix_hazard_escalation_due", table_name="hazard")
    op.drop_index("ix_notice_feed", table_name="notice")
    op.drop_index("ix_hazard_feed", table_name="hazard")
    op.create_index("ix_notice_change_seq", "notice", ["change_seq"])
    op.create_index("ix_hazard_change_seq", "hazard", ["change_seq"])
    op.drop_column("notice", "change_xid")
    op.drop_column("hazard", "change_xid")
