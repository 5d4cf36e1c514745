"""Calibration cases (issue 24 item 3): practice cases an administrator publishes with reference
grades, and each practitioner's one private attempt at grading them.

Revision ID: 0021_calibration_cases
Revises: 0020_joint_visits
Create Date: 2026-12-07 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_calibration_cases"
down_revision = "0020_joint_visits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "practice_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("checklist_version", sa.String(length=20), nullable=False),
        sa.Column("age_group", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reference_grades", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_practice_cases_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_practice_cases_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_cases")),
    )
    with op.batch_alter_table("practice_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_cases_status"), ["status"], unique=False)
    op.create_table(
        "practice_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_cases.id"],
            name=op.f("fk_practice_attempts_case_id_practice_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_practice_attempts_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_practice_attempts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_attempts")),
        sa.UniqueConstraint("case_id", "user_id", name=op.f("uq_practice_attempts_case_id")),
    )
    with op.batch_alter_table("practice_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_attempts_team_id"), ["team_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_practice_attempts_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("practice_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_attempts_user_id"))
        batch_op.drop_index(batch_op.f("ix_practice_attempts_team_id"))
    op.drop_table("practice_attempts")
    with op.batch_alter_table("practice_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_cases_status"))
    op.drop_table("practice_cases")
