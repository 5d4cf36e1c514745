"""Security findings of issue 22: the audit chain's scheme (plain SHA-256 for the rows written so
far, HMAC-SHA-256 under a key from now on) and, on SQLite, a trigger refusing an INSERT that would
replace an audit row; a TOTP secret being set up kept (sealed) on the user's row instead of the
session cookie; per-address counts of API calls without a valid token

Revision ID: 0014_security
Revises: 0013_exports_audit_idx
Create Date: 2026-12-07 05:00:00

"""

import datetime as dt
import hashlib
import hmac
import json
import os

import sqlalchemy as sa
from alembic import context, op

revision = "0014_security"
down_revision = "0013_exports_audit_idx"
branch_labels = None
depends_on = None

REFUSED = "audit events are append-only"

# As services/audit.py keys the chain today (a migration never imports live code).
HASHED = ("at", "user_id", "action", "child_id", "assessment_id", "target_user_id", "email_tried", "address", "detail")
GENESIS = "0" * 64
KEYED = 2


def _audit_key():
    settings = context.config.attributes["settings"]  # the app's, handed over by env.py
    configured = settings.get("HEAT_AUDIT_KEY") or os.environ.get("HEAT_AUDIT_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    secret = settings["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"heat audit chain v1", hashlib.sha256).digest()


def _keyed_hash(previous, values):
    fields = [KEYED, previous] + [values.get(name) for name in HASHED]
    fields[2] = values["at"].isoformat(timespec="microseconds")
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(_audit_key(), encoded, hashlib.sha256).hexdigest()


def _anchor(connection):
    """One keyed row, chained to the last plain one: from here on every row is keyed, and a trail
    rewritten as plain SHA-256 throughout (no keyed row at all) does not verify."""
    events = sa.table(
        "audit_events", sa.column("id"), sa.column("row_hash"), sa.column("scheme"), *(sa.column(c) for c in HASHED)
    )
    previous = connection.execute(sa.select(events.c.row_hash).order_by(events.c.id.desc()).limit(1)).scalar()
    values = {
        "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "user_id": None,
        "action": "audit_chain_keyed",
        "child_id": None,
        "assessment_id": None,
        "target_user_id": None,
        "email_tried": None,
        "address": None,
        "detail": "from this row on, each row's hash is an HMAC-SHA-256 under the audit key",
    }
    connection.execute(
        events.insert().values(**values, scheme=KEYED, row_hash=_keyed_hash(previous or GENESIS, values))
    )


def upgrade():
    # Adding a column with a default rewrites no row, so the no-update triggers are not involved:
    # every row written so far is scheme 1 (plain SHA-256), and still verifies as it was.
    # Not batch mode: on SQLite that rebuilds the table, and its triggers go with the old one.
    op.add_column("audit_events", sa.Column("scheme", sa.SmallInteger(), server_default=sa.text("1"), nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        # INSERT OR REPLACE deletes the row it replaces without firing the DELETE trigger.
        op.execute(
            "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
            "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
        )
    _anchor(op.get_bind())

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_pending", sa.LargeBinary(), nullable=True))

    op.create_table(
        "api_address_windows",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.Column("previous_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_api_address_windows")),
    )


def downgrade():
    op.drop_table("api_address_windows")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_pending")
    # Keyed rows (scheme 2) cannot be told from plain ones once the column goes: a trail with
    # any will not verify until the next upgrade. Dropped in place: rebuilding the table (batch
    # mode on SQLite) would drop its no-update and no-delete triggers with it.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_replace")
    op.execute("ALTER TABLE audit_events DROP COLUMN scheme")
