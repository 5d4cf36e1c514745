"""Exports that cannot get stuck (the build that owns one, and when it was last heard from), and
audit trail indexes by user, child and assessment in time order

Revision ID: 0013_exports_audit_idx
Revises: 0012_checklist_people
Create Date: 2026-12-07 04:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_exports_audit_idx"
down_revision = "0012_checklist_people"
branch_labels = None
depends_on = None

# (column, old single-column index): each is replaced by one on (column, at).
SEARCHED = [
    ("user_id", "ix_audit_events_user_id"),
    ("child_id", "ix_audit_events_child_id"),
    ("assessment_id", "ix_audit_events_assessment_id"),
]


def upgrade():
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(), nullable=True))
    # An export waiting or running from before this was last heard from when it was asked for: the
    # first sweep re-queues it if it is still there (a worker killed before this release left it).
    op.execute("UPDATE exports SET progress_at = requested_at")
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.alter_column("progress_at", existing_type=sa.DateTime(), nullable=False)
    # Never batch mode on audit_events: SQLite would copy the table and lose its triggers.
    for column, old in SEARCHED:
        op.create_index(f"ix_audit_events_{column}_at", "audit_events", [column, "at"], unique=False)
        op.drop_index(old, table_name="audit_events")


def downgrade():
    for column, old in SEARCHED:
        op.create_index(old, "audit_events", [column], unique=False)
        op.drop_index(f"ix_audit_events_{column}_at", table_name="audit_events")
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("progress_at")
        batch_op.drop_column("attempt")
