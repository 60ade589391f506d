"""list indexes: every paged list seeks an index in its filter and order (issue 11)

Each index leads with a list's equality filter (status, severity, site, company) and ends with the
list's order (created_at, id) / (issued_at, id) / (name, id), so a page deep in the history is a seek,
not a scan that discards every newer row; overdue hazards come from a partial index on the deadlines of
hazards not finished. Plain CREATE INDEX: alembic runs each migration in a transaction, where
PostgreSQL's CREATE INDEX CONCURRENTLY is not allowed — on a large database the tables are locked
against writes while the indexes build (seconds for a city quarter); upgrade with the server stopped.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_FINISHED = "status NOT IN ('closed', 'cancelled')"  # server/hazards/models.py NOT_FINISHED_SQL

INDEXES = [
    ("ix_hazard_status_created", "hazard", ["status", "created_at", "id"]),
    ("ix_hazard_severity_created", "hazard", ["severity", "created_at", "id"]),
    ("ix_hazard_site_created", "hazard", ["site_id", "created_at", "id"]),
    ("ix_hazard_org_created", "hazard", ["organization_id", "created_at", "id"]),
    ("ix_inspection_created", "inspection", ["created_at", "id"]),
    ("ix_inspection_site_created", "inspection", ["site_id", "created_at", "id"]),
    ("ix_notice_issued", "notice", ["issued_at", "id"]),
    ("ix_notice_org_issued", "notice", ["organization_id", "issued_at", "id"]),
    ("ix_site_name", "site", ["name", "id"]),
    ("ix_assignment_created", "assignment", ["created_at", "id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_hazard_open_deadline",
        "hazard",
        ["deadline"],
        postgresql_where=sa.text(NOT_FINISHED),
        sqlite_where=sa.text(NOT_FINISHED),
    )
    # Covered by the composite indexes above (their leading columns).
    op.drop_index("ix_inspection_created_at", table_name="inspection")
    op.drop_index("ix_notice_organization_id", table_name="notice")


def downgrade() -> None:
    op.create_index("ix_notice_organization_id", "notice", ["organization_id"])
    op.create_index("ix_inspection_created_at", "inspection", ["created_at"])
    op.drop_index("ix_hazard_open_deadline", table_name="hazard")
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
