"""Checklist 2026.3 and the people around the child: yes/no question answers, the Graded Care
Profile 2 date, the parent's own rating, referrals on actions, significant adults and their
checks, agencies, information requests and meetings

Revision ID: 0012_checklist_people
Revises: 0011_register
Create Date: 2026-11-28 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_checklist_people"
down_revision = "0011_register"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_rating", sa.String(2), nullable=True))
        batch_op.add_column(sa.Column("parent_agrees", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("family_copy_given_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("gcp2_completed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("question_answers", sa.JSON(), nullable=True))
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral", sa.String(30), nullable=True))
    op.create_table(
        "significant_adults",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=True, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("relationship_to_child", sa.String(100), nullable=True),
        sa.Column("residence", sa.String(20), nullable=False),
        sa.Column("cares_for_child", sa.String(10), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "adult_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("adult_id", sa.Integer(), sa.ForeignKey("significant_adults.id"), nullable=False, index=True),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    with op.batch_alter_table("people_present", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adult_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_people_present_adult_id"), ["adult_id"], unique=False)
        batch_op.create_foreign_key("fk_people_present_adult_id", "significant_adults", ["adult_id"], ["id"])
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("area", sa.String(100), nullable=True),
        sa.Column("out_of_area", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("role", sa.String(200), nullable=True),
    )
    op.create_table(
        "information_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=False, index=True),
        sa.Column("asked_on", sa.Date(), nullable=False, index=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True, index=True),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("invited", sa.Text(), nullable=False),
        sa.Column("attended", sa.Text(), nullable=True),
        sa.Column("sent_information", sa.Text(), nullable=True),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )


def downgrade():
    op.drop_table("meetings")
    op.drop_table("information_requests")
    op.drop_table("agencies")
    with op.batch_alter_table("people_present", schema=None) as batch_op:
        batch_op.drop_constraint("fk_people_present_adult_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_people_present_adult_id"))
        batch_op.drop_column("adult_id")
    op.drop_table("adult_checks")
    op.drop_table("significant_adults")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_column("referral")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("question_answers")
        batch_op.drop_column("gcp2_completed_on")
        batch_op.drop_column("family_copy_given_on")
        batch_op.drop_column("parent_agrees")
        batch_op.drop_column("parent_rating")
