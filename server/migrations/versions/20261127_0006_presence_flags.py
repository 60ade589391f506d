"""presence flags on inspections

Where the phone was at start and finish (with accuracy), the flags computed on receipt, the distance from the
site and the phone's clock error.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("inspection") as batch:
        batch.add_column(sa.Column("accuracy_m", sa.Float(), nullable=True))
        batch.add_column(sa.Column("start_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("start_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("start_accuracy_m", sa.Float(), nullable=True))
        batch.add_column(sa.Column("presence_flags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("distance_m", sa.Float(), nullable=True))
        batch.add_column(sa.Column("device_clock_skew_s", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inspection") as batch:
        batch.drop_column("device_clock_skew_s")
        batch.drop_column("distance_m")
        batch.drop_column("presence_flags")
        for column in ("start_accuracy_m", "start_lon", "start_lat", "accuracy_m"):
            batch.drop_column(column)
