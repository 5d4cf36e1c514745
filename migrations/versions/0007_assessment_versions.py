"""Version history: an immutable snapshot of an assessment, and its PDF with the PDF's SHA-256,
at every submission, return, resubmission and decision

Revision ID: 0007_assessment_versions
Revises: 0006_audit_chain
Create Date: 2026-11-28 05:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_assessment_versions"
down_revision = "0006_audit_chain"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("checklist_version", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=True),
        sa.Column("mean_grade", sa.Float(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_versions_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name=op.f("fk_assessment_versions_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint("assessment_id", "number", name=op.f("uq_assessment_versions_assessment_id")),
    )
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_versions_assessment_id"), ["assessment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_versions_assessment_id"))
    op.drop_table("assessment_versions")
