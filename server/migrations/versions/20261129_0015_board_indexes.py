"""board and map indexes: the coordinator's whole-city board and map read indexes alone (issue 11)

The open hazards by site, status, category, severity and deadline (partial: the unfinished part of the
history), notices not acknowledged by issue time, the inspections by finish time with the columns the
week's rounds count (site, category, inspector), and the few inspections that name participants (the
week's joint inspections) — each figure an index(-only) scan instead of one heap page per row.
ix_inspection_finished_site replaces ix_inspection_finished (same leading column). Plain CREATE INDEX
inside alembic's transaction: upgrade with the server stopped (seconds for a city quarter).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration must not change when the rulebook does): rulebook.lifecycle's open statuses today.
OPEN = "status IN ('open', 'notified', 'rectifying', 'awaiting_verification')"
UNACKNOWLEDGED = "acknowledged_at IS NULL"
MAYBE_JOINT = "CAST(participants AS TEXT) NOT IN ('[]', 'null')"


def upgrade() -> None:
    op.create_index(
        "ix_hazard_open_site",
        "hazard",
        ["site_id", "status", "category", "severity", "deadline"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_notice_unacknowledged",
        "notice",
        ["issued_at", "organization_id"],
        postgresql_where=sa.text(UNACKNOWLEDGED),
        sqlite_where=sa.text(UNACKNOWLEDGED),
    )
    op.create_index("ix_inspection_finished_site", "inspection", ["finished_at", "site_id", "category", "inspector_id"])
    op.drop_index("ix_inspection_finished", table_name="inspection")
    op.create_index(
        "ix_inspection_joint_finished",
        "inspection",
        ["finished_at"],
        postgresql_where=sa.text(MAYBE_JOINT),
        sqlite_where=sa.text(MAYBE_JOINT),
    )


def downgrade() -> None:
    op.drop_index("ix_inspection_joint_finished", table_name="inspection")
    op.create_index("ix_inspection_finished", "inspection", ["finished_at"])
    op.drop_index("ix_inspection_finished_site", table_name="inspection")
    op.drop_index("ix_notice_unacknowledged", table_name="notice")
    op.drop_index("ix_hazard_open_site", table_name="hazard")
