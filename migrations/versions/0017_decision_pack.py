"""The history in front of every decision: family history entries, a dropped action's reason and
the safeguarding action taken today for a Red visit

Revision ID: 0017_decision_pack
Revises: 0016_people_around_child
Create Date: 2026-12-07 11:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_decision_pack"
down_revision = "0016_people_around_child"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "family_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_family_history_child_id_children")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_family_history_household_id_households")
        ),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_family_history_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_history")),
    )
    with op.batch_alter_table("family_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_family_history_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_family_history_household_id"), ["household_id"], unique=False)
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drop_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action_today", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_column("action_today")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("drop_reason")
    with op.batch_alter_table("family_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_history_household_id"))
        batch_op.drop_index(batch_op.f("ix_family_history_child_id"))
    op.drop_table("family_history")
