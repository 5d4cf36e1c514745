"""Photos of a practice case's home (issue 24 item 3, now that visits take photos): each with the
words that say what it shows, metadata stripped, at most 1600 px, sealed at rest.

Revision ID: 0026_practice_photos
Revises: 0025_reference_upper_index
Create Date: 2026-12-07 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0026_practice_photos"
down_revision = "0025_reference_upper_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "practice_case_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_cases.id"],
            name=op.f("fk_practice_case_photos_case_id_practice_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_practice_case_photos_added_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_case_photos")),
        sa.UniqueConstraint("key", name=op.f("uq_practice_case_photos_key")),
    )
    with op.batch_alter_table("practice_case_photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_case_photos_case_id"), ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("practice_case_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_case_photos_case_id"))
    op.drop_table("practice_case_photos")
