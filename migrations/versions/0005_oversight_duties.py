"""Oversight at the points the case review names: who submitted an assessment, plan changes that
wait for a supervisor, and supervisors' answers to cumulative-harm flags

Revision ID: 0005_oversight_duties
Revises: 0004_offline_saves
Create Date: 2026-11-28 02:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_oversight_duties"
down_revision = "0004_offline_saves"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_submitted_by_id_users"), "users", ["submitted_by_id"], ["id"]
        )
    # Assessments submitted before now were submitted by the practitioner who started them.
    op.execute("UPDATE assessments SET submitted_by_id = created_by_id WHERE submitted_at IS NOT NULL")

    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), server_default="made", nullable=False))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_changes_decided_by_id_users"), "users", ["decided_by_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_plan_changes_status"), ["status"], unique=False)

    op.create_table(
        "flag_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("flag_title", sa.String(length=200), nullable=False),
        sa.Column("response", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"], name=op.f("fk_flag_responses_child_id_children")),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["review_decisions.id"],
            name=op.f("fk_flag_responses_decision_id_review_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_responses")),
    )
    with op.batch_alter_table("flag_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_responses_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flag_responses_child_id"), ["child_id"], unique=False)


def downgrade():
    with op.batch_alter_table("flag_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_responses_child_id"))
        batch_op.drop_index(batch_op.f("ix_flag_responses_decision_id"))
    op.drop_table("flag_responses")
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_changes_status"))
        batch_op.drop_constraint(batch_op.f("fk_plan_changes_decided_by_id_users"), type_="foreignkey")
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("status")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assessments_submitted_by_id_users"), type_="foreignkey")
        batch_op.drop_column("submitted_by_id")
