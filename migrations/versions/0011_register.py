"""The register: unborn children, addresses and moves, record changes, transfers between teams
and API tokens

Revision ID: 0011_register
Revises: 0010_retention
Create Date: 2026-11-28 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_register"
down_revision = "0010_retention"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.alter_column("date_of_birth", existing_type=sa.Date(), nullable=True)
        batch_op.add_column(sa.Column("expected_date_of_birth", sa.Date(), nullable=True))
    op.create_table(
        "child_addresses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("from_date", sa.Date(), nullable=False, index=True),
        sa.Column("line_1", sa.String(200), nullable=False),
        sa.Column("line_2", sa.String(200), nullable=True),
        sa.Column("town", sa.String(100), nullable=True),
        sa.Column("postcode", sa.String(10), nullable=True),
        sa.Column("area", sa.String(100), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("is_move", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("children.id"), nullable=False, index=True),
        sa.Column("from_team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("to_team_id", sa.Integer(), sa.ForeignKey("teams.id"), nullable=False, index=True),
        sa.Column("from_worker_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("to_worker_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table("api_tokens")
    op.drop_table("transfers")
    op.drop_table("record_changes")
    op.drop_table("child_addresses")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_column("expected_date_of_birth")
        batch_op.alter_column("date_of_birth", existing_type=sa.Date(), nullable=False)
