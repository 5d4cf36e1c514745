"""Retention: a child's records can be restricted (auditors only) or erased (a tombstone stays)

Revision ID: 0010_retention
Revises: 0009_user_sessions
Create Date: 2026-11-28 06:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_retention"
down_revision = "0009_user_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(sa.Column("restricted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("restricted_at")
