"""Photos of checklist items, with the family's agreement (issue 21 item 9): "The family agreed to
photos" on each visit, and each photo sealed (AES-GCM) at rest, metadata stripped, at most 1600 px.

Revision ID: 0023_photos
Revises: 0022_email_notifications
Create Date: 2026-12-07 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_photos"
down_revision = "0022_email_notifications"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photos_agreed", sa.Boolean(), nullable=True))
    op.create_table(
        "assessment_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_photos_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_assessment_photos_added_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_photos")),
        sa.UniqueConstraint("key", name=op.f("uq_assessment_photos_key")),
    )
    with op.batch_alter_table("assessment_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_photos_assessment_id"), ["assessment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("assessment_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_photos_assessment_id"))
    op.drop_table("assessment_photos")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("photos_agreed")
