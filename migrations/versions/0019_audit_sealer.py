"""The audit chain sealed after commit (issue 27): rows are appended without a hash and without a
lock; the sealer gives each committed row its place in the chain (`chain_seq`) and its hash, once.
The database lets an UPDATE do exactly that and nothing else.

The rows written so far were chained in id order: each keeps its hash and takes its id as its place.

Revision ID: 0019_audit_sealer
Revises: 0018_pdf_renders
Create Date: 2026-12-07 11:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_audit_sealer"
down_revision = "0018_pdf_renders"
branch_labels = None
depends_on = None

REFUSED = "audit events are append-only"
# The columns a seal must leave as they are (all but chain_seq and row_hash).
KEPT = (
    "id",
    "at",
    "user_id",
    "action",
    "child_id",
    "assessment_id",
    "target_user_id",
    "email_tried",
    "address",
    "detail",
    "scheme",
)
# An UPDATE is a seal when the row had no place and no hash, gets both, and keeps everything else.
SEALING = (
    "OLD.chain_seq IS NULL AND OLD.row_hash IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.row_hash IS NOT NULL AND "
    + " AND ".join(f"NEW.{name} IS NOT DISTINCT FROM OLD.{name}" for name in KEPT)
)


def _sqlite_trigger(verb: str, when: str = "") -> None:
    op.execute(
        f"CREATE TRIGGER audit_events_no_{'replace' if verb == 'INSERT' else verb.lower()} BEFORE {verb} "
        f"ON audit_events {when} BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    )


def _sqlite_triggers(sealing: bool) -> None:
    """No DELETE; no UPDATE (but a seal, from this revision on); no INSERT replacing a row."""
    _sqlite_trigger("UPDATE", f"WHEN NOT ({SEALING.replace('IS NOT DISTINCT FROM', 'IS')})" if sealing else "")
    _sqlite_trigger("DELETE")
    _sqlite_trigger("INSERT", "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Making row_hash nullable rebuilds the table on SQLite, and the triggers go with the old
        # one: they are made again below, the UPDATE one allowing a seal.
        for name in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER audit_events_{name}")
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
            batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=True)
        op.execute("UPDATE audit_events SET chain_seq = id")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
        op.add_column("audit_events", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        op.alter_column("audit_events", "row_hash", existing_type=sa.String(length=64), nullable=True)
        op.execute("UPDATE audit_events SET chain_seq = id")
        op.execute("DROP TRIGGER audit_events_no_change ON audit_events")
    op.create_index("ix_audit_events_chain_seq", "audit_events", ["chain_seq"], unique=True)
    if sqlite:
        _sqlite_triggers(sealing=True)
        return
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()"
    )
    op.execute(
        "CREATE FUNCTION audit_events_seal_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN IF {SEALING} THEN RETURN NEW; END IF; RAISE EXCEPTION '{REFUSED}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_seal_only BEFORE UPDATE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only()"
    )


def downgrade():
    # Before this revision the chain ran in id order with every row hashed: a trail with rows
    # waiting to be sealed, or sealed out of id order, would not verify there.
    connection = op.get_bind()
    unsealed = connection.execute(sa.text("SELECT count(*) FROM audit_events WHERE chain_seq IS NULL")).scalar()
    reordered = connection.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT chain_seq, lag(chain_seq) OVER (ORDER BY id) AS before "
            "FROM audit_events) AS placed WHERE before > chain_seq"
        )
    ).scalar()
    if unsealed or reordered:
        raise RuntimeError(
            f"{unsealed} audit rows wait to be sealed and {reordered} were sealed out of id order: "
            "run `flask audit seal` and keep this revision (the older chain cannot hold them)"
        )
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        for name in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER audit_events_{name}")
    else:
        op.execute("DROP TRIGGER audit_events_seal_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_seal_only()")
        op.execute("DROP TRIGGER audit_events_no_delete ON audit_events")
    op.drop_index("ix_audit_events_chain_seq", table_name="audit_events")
    if sqlite:
        with op.batch_alter_table("audit_events", schema=None) as batch_op:
            batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
            batch_op.drop_column("chain_seq")
        _sqlite_triggers(sealing=False)
        return
    op.alter_column("audit_events", "row_hash", existing_type=sa.String(length=64), nullable=False)
    op.drop_column("audit_events", "chain_seq")
    op.execute(
        "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()"
    )
