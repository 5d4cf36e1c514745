"""Case references are matched without regard to case (`upper(reference)`): an index on that
expression, so an import's look-up of a batch is not a scan of every child (issue 27: a
100,000-row import slowed as the register grew, each batch reading the whole table).

Revision ID: 0025_reference_upper_index
Revises: 0024_practice_counts
Create Date: 2026-12-07 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025_reference_upper_index"
down_revision = "0024_practice_counts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_children_reference_upper", "children", [sa.text("upper(reference)")])


def downgrade():
    op.drop_index("ix_children_reference_upper", table_name="children")
