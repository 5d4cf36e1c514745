"""A team's visits waiting for a decision are read from an index on (team, status, submitted at),
in order, instead of every visit the team ever made (issue 27: the dashboard's lists of Reds
waiting and visits needing a second supervisor grew with a team's whole history).

Revision ID: 0027_waiting_visits_index
Revises: 0026_practice_photos
Create Date: 2026-12-08 04:00:00

"""

from alembic import op

revision = "0027_waiting_visits_index"
down_revision = "0026_practice_photos"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assessments_team_status_submitted", "assessments", ["team_id", "status", "submitted_at", "id"])


def downgrade():
    op.drop_index("ix_assessments_team_status_submitted", table_name="assessments")
