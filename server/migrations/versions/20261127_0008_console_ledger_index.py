"""console: the ledger sorts and filters by the time a hazard was found

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 14:30:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_hazard_found", "hazard", ["found_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_hazard_found", table_name="hazard")
