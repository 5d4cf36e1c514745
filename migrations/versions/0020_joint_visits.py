"""Joint visits (issue 24, item 2): a second practitioner's independent grades of a visit, kept
beside the visit of record for grading agreement.

Revision ID: 0020_joint_visits
Revises: 0019_audit_sealer
Create Date: 2026-12-07 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_joint_visits"
down_revision = "0019_audit_sealer"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "joint_gradings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("completed", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_joint_gradings_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"], name=op.f("fk_joint_gradings_invited_by_id_users")),
        sa.ForeignKeyConstraint(["second_id"], ["users.id"], name=op.f("fk_joint_gradings_second_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_gradings")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_joint_gradings_assessment_id")),
    )
    with op.batch_alter_table("joint_gradings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_joint_gradings_second_id"), ["second_id"], unique=False)


def downgrade():
    with op.batch_alter_table("joint_gradings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_gradings_second_id"))
    op.drop_table("joint_gradings")
