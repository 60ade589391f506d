"""joint inspections and revisits: an inspection's participants and on-site signature; the revisit of closed
red hazards

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.common

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inspection") as batch:
        batch.add_column(sa.Column("participants", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("signature", sa.JSON(), nullable=True))
    op.create_table(
        "revisit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hazard_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("closed_at", server.common.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("answered_at", server.common.UTCDateTime(timezone=True), nullable=True),
        sa.Column("photo_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_at", server.common.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.common.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazard.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.ForeignKeyConstraint(["answered_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["photo_id"], ["photo.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hazard_id"),
    )
    op.create_index("ix_revisit_site_status_due", "revisit", ["site_id", "status", "due_on"])
    op.create_index("ix_revisit_answered_at", "revisit", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_revisit_answered_at", table_name="revisit")
    op.drop_index("ix_revisit_site_status_due", table_name="revisit")
    op.drop_table("revisit")
    with op.batch_alter_table("inspection") as batch:
        batch.drop_column("signature")
        batch.drop_column("participants")
