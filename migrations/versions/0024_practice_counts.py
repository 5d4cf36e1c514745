"""Practice quality counted per visit (issue 24): children seen awake, must-see rooms and items seen
and safety-critical grades on the carer's word, stored on each visit when it is submitted, so the
page adds up visits instead of reading every grade of the period.

The counts of the visits already recorded are filled by `flask practice counts`, which `make
migrate` runs after this migration: they are worked out by the checklist's own rules (the rooms
and items each version and age group asks, what counts as not seen), which SQL here would have to
copy, and a migration never imports application code.

Revision ID: 0024_practice_counts
Revises: 0023_photos
Create Date: 2026-12-07 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_practice_counts"
down_revision = "0023_photos"
branch_labels = None
depends_on = None

COUNTS = (
    "children_asked_awake",
    "children_seen_awake",
    "must_see_asked",
    "must_see_seen",
    "critical_graded",
    "critical_on_carer_word",
)


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        for name in reversed(COUNTS):
            batch_op.drop_column(name)
