"""Checklist 2026.4: the age groups of the children a visit covers (which items it asks), and how
each child was seen at it

Revision ID: 0015_visit_ages
Revises: 0014_security
Create Date: 2026-12-07 04:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_visit_ages"
down_revision = "0014_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("children_seen", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("children_seen")
        batch_op.drop_column("ages")
