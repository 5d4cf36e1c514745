"""Saves kept for later: pending saves and the assessment version each section save made

Revision ID: 0004_offline_saves
Revises: 0003_section_saves
Create Date: 2026-11-28 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_offline_saves"
down_revision = "0003_section_saves"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("section_saves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment_version", sa.Integer(), nullable=True))
    op.create_table(
        "pending_saves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("seen_version", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_pending_saves_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pending_saves_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_saves")),
    )
    with op.batch_alter_table("pending_saves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_saves_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_saves_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("pending_saves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_saves_expires_at"))
        batch_op.drop_index(batch_op.f("ix_pending_saves_user_id"))
    op.drop_table("pending_saves")
    with op.batch_alter_table("section_saves", schema=None) as batch_op:
        batch_op.drop_column("assessment_version")
