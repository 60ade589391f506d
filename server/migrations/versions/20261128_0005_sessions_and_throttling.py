"""sessions that end, throttling by address

audit_event.client_request_id (the caller's X-Request-ID; request_id is the server's own);
user.token_generation (a password, role or activity change ends earlier tokens); auth_session (one per
sign-in, refresh tokens rotate within it); login_failure.address (throttle by username and address).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.common

revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): the audit table's triggers that refuse changes stay in place.
    op.add_column('audit_event', sa.Column('client_request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_generation', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failure_address'), ['address'], unique=False)
    op.create_table('auth_session',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('refresh_jti', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', server.common.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', server.common.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', server.common.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_user_id'))
    op.drop_table('auth_session')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_address'))
        batch_op.drop_column('address')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('token_generation')
    op.drop_column('audit_event', 'client_request_id')
