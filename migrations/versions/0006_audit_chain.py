"""A tamper-evident audit trail: each row's SHA-256 chained to the row before it, and triggers
that refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) on the audit table

Revision ID: 0006_audit_chain
Revises: 0005_oversight_duties
Create Date: 2026-11-28 05:40:00

"""

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_chain"
down_revision = "0005_oversight_duties"
branch_labels = None
depends_on = None

REFUSED = "audit events are append-only"

# As the app hashed rows when this migration was written (a migration never imports live code).
GENESIS = "0" * 64
HASHED = ("at", "user_id", "action", "child_id", "assessment_id", "target_user_id", "email_tried", "address", "detail")


def row_hash(previous, values):
    fields = [previous] + [_plain(values.get(name)) for name in HASHED]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _plain(value):
    return value.isoformat(timespec="microseconds") if isinstance(value, dt.datetime) else value


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))

    # The rows written before now join the chain in the order they were written.
    connection = op.get_bind()
    events = sa.table("audit_events", sa.column("id"), sa.column("row_hash"), *(sa.column(c) for c in HASHED))
    events.c.at.type = sa.DateTime()
    previous = GENESIS
    rows = connection.execute(sa.select(events).order_by(events.c.id)).all()
    for row in rows:
        previous = row_hash(previous, row._mapping)
        connection.execute(events.update().where(events.c.id == row.id).values(row_hash=previous))

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)

    if connection.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSED}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION audit_events_refuse()")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("row_hash")
