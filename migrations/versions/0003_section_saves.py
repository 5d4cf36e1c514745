"""Per-section versions and idempotent section saves

Revision ID: 0003_section_saves
Revises: 0002_oversight
Create Date: 2026-11-27 21:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_section_saves"
down_revision = "0002_oversight"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section_versions", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.alter_column("section_versions", server_default=None)
    op.create_table(
        "section_saves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("completing", sa.Boolean(), nullable=False),
        sa.Column("section_version", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_section_saves_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_section_saves_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_section_saves")),
        sa.UniqueConstraint("key", name=op.f("uq_section_saves_key")),
    )
    with op.batch_alter_table("section_saves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_section_saves_assessment_id"), ["assessment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("section_saves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_section_saves_assessment_id"))
    op.drop_table("section_saves")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("section_versions")
