"""the intake queue for grid workers and residents: report kinds, photos, tracking codes and revisits; grid
workers' sites; each site's public report code; users' contact for the poster; every hazard's source

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:00:00
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import server.common

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = server.common.UTCDateTime(timezone=True)
# The inactive account public (QR-code) reports and their photos are filed under; nobody signs in as it.
PUBLIC_REPORTER_ID = "5afe0000-0000-4000-8000-00000000c0de"


def upgrade() -> None:
    with op.batch_alter_table("hazard") as batch:
        batch.add_column(sa.Column("source", sa.String(length=20), server_default="checklist", nullable=False))
        batch.create_index("ix_hazard_source", ["source"])
    op.execute("UPDATE hazard SET source = 'officer' WHERE inspection_id IS NULL")

    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("duties", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("publish_contact", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("public_code", sa.String(length=32), nullable=True))
    site = sa.table("site", sa.column("id", sa.Uuid()), sa.column("public_code", sa.String()))
    conn = op.get_bind()
    for (site_id,) in conn.execute(sa.select(site.c.id)).all():
        conn.execute(site.update().where(site.c.id == site_id).values(public_code=secrets.token_urlsafe(12)))
    op.create_index("ix_site_public_code", "site", ["public_code"], unique=True)

    with op.batch_alter_table("intake_report") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), server_default="report", nullable=False))
        batch.add_column(sa.Column("reporter_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("photo_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("tracking_code", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("origin_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("handled_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("handled_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("revisit_answer", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("revisit_note", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("revisit_at", UTC_TIME, nullable=True))
        batch.create_foreign_key("fk_intake_reporter", "user", ["reporter_id"], ["id"])
        batch.create_foreign_key("fk_intake_handled_by", "user", ["handled_by"], ["id"])
        batch.create_foreign_key("fk_intake_origin", "intake_report", ["origin_id"], ["id"])
        batch.create_index("ix_intake_reporter", ["reporter_id", "created_at"])
        batch.create_index("ix_intake_address", ["client_address", "created_at"])
        batch.create_index("ix_intake_tracking", ["tracking_code"], unique=True)
    op.execute("UPDATE intake_report SET photo_ids = '[]' WHERE photo_ids IS NULL")

    op.create_table(
        "grid_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "site_id", name="uq_grid_assignment_user_site"),
    )
    op.create_index("ix_grid_assignment_user_id", "grid_assignment", ["user_id"])
    op.create_index("ix_grid_assignment_site_id", "grid_assignment", ["site_id"])

    user = sa.table(
        "user",
        sa.column("id", sa.Uuid()),
        sa.column("username", sa.String()),
        sa.column("password_hash", sa.String()),
        sa.column("role", sa.String()),
        sa.column("display_name", sa.String()),
        sa.column("language", sa.String()),
        sa.column("is_active", sa.Boolean()),
        sa.column("token_generation", sa.Integer()),
        sa.column("publish_contact", sa.Boolean()),
        sa.column("created_at", UTC_TIME),
        sa.column("updated_at", UTC_TIME),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        user,
        [
            {
                "id": uuid.UUID(PUBLIC_REPORTER_ID),
                "username": "saferound-public",
                "password_hash": "!",  # matches no password
                "role": "gridworker",
                "display_name": "居民扫码上报",
                "language": "zh",
                "is_active": False,
                "token_generation": 0,
                "publish_contact": False,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    user = sa.table("user", sa.column("id", sa.Uuid()))
    photo = sa.table("photo", sa.column("uploaded_by", sa.Uuid()))
    op.get_bind().execute(
        user.delete().where(user.c.id == uuid.UUID(PUBLIC_REPORTER_ID), user.c.id.not_in(sa.select(photo.c.uploaded_by)))
    )
    op.drop_table("grid_assignment")
    with op.batch_alter_table("intake_report") as batch:
        batch.drop_index("ix_intake_tracking")
        batch.drop_index("ix_intake_address")
        batch.drop_index("ix_intake_reporter")
        batch.drop_constraint("fk_intake_origin", type_="foreignkey")
        batch.drop_constraint("fk_intake_handled_by", type_="foreignkey")
        batch.drop_constraint("fk_intake_reporter", type_="foreignkey")
        for column in (
            "revisit_at",
            "revisit_note",
            "revisit_answer",
            "handled_at",
            "handled_by",
            "client_address",
            "origin_id",
            "tracking_code",
            "lon",
            "lat",
            "photo_ids",
            "reporter_id",
            "kind",
        ):
            batch.drop_column(column)
    op.drop_index("ix_site_public_code", table_name="site")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("public_code")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("publish_contact")
        batch.drop_column("duties")
    with op.batch_alter_table("hazard") as batch:
        batch.drop_index("ix_hazard_source")
        batch.drop_column("source")
