"""PDFs rendered by the worker: a version is kept (and its transaction committed) at once, its
PDF and SHA-256 follow when the worker has rendered it from the snapshot, and each version
records when its render was queued and started, so a render lost or left running is queued again

Revision ID: 0018_pdf_renders
Revises: 0017_decision_pack
Create Date: 2026-12-07 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_pdf_renders"
down_revision = "0017_decision_pack"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("pdf_sha256", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("pdf_queued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("pdf_started_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_assessment_versions_pdf_queued_at"), ["pdf_queued_at"], unique=False)


def downgrade():
    # Only a database whose every version has its PDF can go back: render the waiting ones first
    # (run the worker until `SELECT count(*) FROM assessment_versions WHERE pdf IS NULL` is 0).
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_versions_pdf_queued_at"))
        batch_op.drop_column("pdf_started_at")
        batch_op.drop_column("pdf_queued_at")
        batch_op.alter_column("pdf_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=False)
