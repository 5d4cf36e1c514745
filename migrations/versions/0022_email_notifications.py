"""Email notifications (issue 24): each user's choice of an email straight away or a daily
summary, and when their last daily summary was sent.

Revision ID: 0022_email_notifications
Revises: 0021_calibration_cases
Create Date: 2026-12-07 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_email_notifications"
down_revision = "0021_calibration_cases"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_choice", sa.String(length=10), server_default="immediate", nullable=False))
        batch_op.add_column(sa.Column("daily_summary_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("daily_summary_at")
        batch_op.drop_column("email_choice")
