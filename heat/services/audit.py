"""The audit trail: one append-only row for every view, export, sign-in attempt and user change.

One rule decides how a row is written. A change (a POST) adds its row to the session, so the
row and the change commit together or not at all. A page view (a GET) writes its row at once in
a short write transaction of its own, which waits its turn for the write lock: the view's own
transaction then only ever reads, and SQLite never has to upgrade a read to a write (which fails
with "database is locked" as soon as another writer has committed).

The trail is tamper-evident. The database refuses DELETE on it, and any UPDATE but a seal
(triggers, migrations 0006 and 0019) and, on SQLite, an INSERT that would replace a row
(migration 0014). Each sealed row carries an HMAC-SHA-256 of its contents chained to the row
before it, under a key the database does not hold (HEAT_AUDIT_KEY, or one derived from the app's
secret key), so someone who can write to the database but lacks the key cannot rewrite rows and
recompute the chain: `flask audit verify` finds it. Rows written before the key came in (scheme 1)
keep their plain SHA-256 and still verify; none may follow a keyed row. `flask audit checkpoint`
prints the signed head of the chain for an operator to keep elsewhere; `flask audit verify
--since` checks the chain still reaches it (which also catches a trail rewritten wholesale as
scheme 1). `row_hash` is the one place a row's hash is made.

Appending takes no lock and computes no hash: a request only INSERTs its row, so no page view,
save or submit waits for any other (before issue 27 every one of them took one PostgreSQL
advisory lock, held to commit, and the council queued behind a submit's PDF or an import).
Sealing is a separate step, `seal()`, run by one sealer at a time: the worker's periodic task
every minute (`tasks.seal_audit_trail`) and `flask audit seal`. It takes the chain lock (a
PostgreSQL advisory lock for its own short transaction; SQLite's write lock), reads the rows
that have committed and have no place yet, and gives each the next place (`chain_seq`) and its
hash, a few hundred rows a transaction. The chain runs in the order rows are sealed, not in id
order: on PostgreSQL a row with a lower id can commit after a higher one (its request was
slower), so a sealer that went by ids would have to wait for it or skip it for ever; going by
what has committed, the late row simply takes the next place when it is seen. Each row is
sealed exactly once: the sealers take turns under the lock, and the database refuses an UPDATE
of a row that already has a place. Until a row is sealed the chain does not cover it; `flask
audit verify` checks every sealed row and says how many wait.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import Table, bindparam, func, insert, select, text, update

from heat.database import SAFE_METHODS, alone, writing
from heat.extensions import db
from heat.models import AuditEvent, utcnow

GENESIS = "0" * 64  # the "previous hash" of the first row
HASHED = ("at", "user_id", "action", "child_id", "assessment_id", "target_user_id", "email_tried", "address", "detail")
_CHAIN_LOCK = 0x4845_4154  # "HEAT": the PostgreSQL advisory lock that orders the chain

# One Core statement, compiled once; the values travel as parameters. A page view runs it on the
# connection itself (no ORM bulk-insert machinery on every page).
_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)
_SEALED = _TABLE.c.chain_seq.is_not(None)
_HEAD = select(_TABLE.c.id, _TABLE.c.chain_seq, _TABLE.c.row_hash).where(_SEALED).order_by(_TABLE.c.chain_seq.desc())
_WAITING = select(_TABLE).where(_TABLE.c.chain_seq.is_(None)).order_by(_TABLE.c.id)
_SEAL = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("sealed_id"), _TABLE.c.chain_seq.is_(None))
    .values(chain_seq=bindparam("place"), row_hash=bindparam("hashed"))
)
SEAL_BATCH = 500  # rows a sealing transaction takes: each holds the write lock a few milliseconds


PLAIN, KEYED = 1, 2  # the row's scheme: SHA-256 (rows from before migration 0013), HMAC-SHA-256
_KEY_LABEL = b"heat audit chain v1"  # derives the chain's key from the app's secret key
_CHECKPOINT_LABEL = "heat audit checkpoint"


def audit_key() -> bytes:
    """HEAT_AUDIT_KEY, or a key derived from the app's secret key under a fixed label. Kept out of
    the database, so whoever can write the database cannot recompute the chain."""
    configured = current_app.config.get("HEAT_AUDIT_KEY") or os.environ.get("HEAT_AUDIT_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    secret = current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode() if isinstance(secret, str) else secret, _KEY_LABEL, hashlib.sha256).digest()


def row_hash(previous: str, values: Mapping[str, Any], key: bytes | None = None) -> str:
    """A row's hash (hex), chained to the previous row's: an HMAC-SHA-256 under the audit key for
    a keyed row, the plain SHA-256 of migration 0006 for the rows written before the key."""
    scheme = values.get("scheme") or PLAIN
    fields = [previous] + [_plain(values.get(name)) for name in HASHED]
    if scheme == PLAIN:
        encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()
    encoded = json.dumps([scheme, *fields], ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(key or audit_key(), encoded, hashlib.sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return value


def _append(values: dict[str, Any]) -> None:
    """Insert the row in the current transaction: no lock, no hash (the sealer adds it)."""
    db.session.connection().execute(_INSERT, {**values, "scheme": KEYED})


def seal(batch: int = SEAL_BATCH) -> int:
    """Chain every committed row that has no place yet, in the order seen, a batch a transaction:
    how many were sealed. Safe to run from several processes at once (they take turns)."""
    key = audit_key()
    db.session.commit()  # whatever this session read so far: each batch begins a fresh transaction
    total = 0
    while True:
        with writing():
            connection = db.session.connection()
            if connection.dialect.name == "postgresql":
                # Taken after any other sealer's commit, so the head read below is the latest.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
            head = connection.execute(_HEAD.limit(1)).first()
            place, previous = (head.chain_seq, head.row_hash) if head is not None else (0, GENESIS)
            rows = connection.execute(_WAITING.limit(batch)).all()
            sealed = []
            for row in rows:
                place += 1
                previous = row_hash(previous, dict(row._mapping), key)
                sealed.append({"sealed_id": row.id, "place": place, "hashed": previous})
            if sealed:
                connection.execute(_SEAL, sealed)
            db.session.commit()
        total += len(rows)
        if len(rows) < batch:
            return total


def waiting() -> int:
    """How many committed rows wait to be sealed."""
    return db.session.scalar(select(func.count()).select_from(_TABLE).where(_TABLE.c.chain_seq.is_(None))) or 0


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


def verify(batch: int = 2000, since: str | None = None) -> tuple[int, Break | None]:
    """Walk the sealed trail in chain order: how many rows, and the first that does not hold. With
    a checkpoint (from `checkpoint()`), also that its row is still there with the hash it had, and
    that every row after it is keyed. Rows waiting to be sealed are not covered (`waiting()`)."""
    return walk((row._mapping for row in _rows(batch)), since=since)


@dataclass(frozen=True)
class Checkpoint:
    row_id: int
    row_hash: str


def checkpoint() -> str:
    """The head of the chain, signed with the audit key: "id:hash:hmac", for an operator to keep
    somewhere the database's writers cannot reach."""
    last = db.session.execute(_HEAD.limit(1)).first()
    row_id, hashed = (last.id, last.row_hash) if last is not None else (0, GENESIS)
    return f"{row_id}:{hashed}:{_checkpoint_mac(row_id, hashed)}"


def _checkpoint_mac(row_id: int, hashed: str) -> str:
    return hmac.new(audit_key(), f"{_CHECKPOINT_LABEL}:{row_id}:{hashed}".encode(), hashlib.sha256).hexdigest()


def read_checkpoint(value: str) -> Checkpoint:
    """A checkpoint printed by `checkpoint()`; ValueError when it is malformed or not signed with
    this key."""
    row_id, _, rest = value.strip().partition(":")
    hashed, _, mac = rest.partition(":")
    if not row_id.isdigit() or len(hashed) != 64 or not hmac.compare_digest(_checkpoint_mac(int(row_id), hashed), mac):
        raise ValueError("the checkpoint is not one this app signed (wrong key, or changed)")
    return Checkpoint(int(row_id), hashed)


def walk(rows: Iterable[Mapping[str, Any]], since: str | None = None) -> tuple[int, Break | None]:
    """Check a trail's sealed rows, in chain order (this database's, or a backup's)."""
    mark = read_checkpoint(since) if since is not None else None
    key = audit_key()
    previous, previous_id, count, keyed = GENESIS, 0, 0, False
    seen_mark = mark is None or mark.row_id == 0
    for values in rows:
        count += 1
        scheme = values.get("scheme") or PLAIN
        if values["row_hash"] is None:
            return count, Break(values["id"], "it has no hash")
        if scheme not in (PLAIN, KEYED):
            return count, Break(values["id"], f"its scheme {scheme} is unknown")
        if scheme == PLAIN and (keyed or (mark is not None and seen_mark)):
            return count, Break(values["id"], "it is not keyed, after the keyed chain began")
        if row_hash(previous, values, key) != values["row_hash"]:
            return count, Break(
                values["id"], "its contents, or the row before it, changed or went missing after it was written"
            )
        if mark is not None and values["id"] == mark.row_id:
            if values["row_hash"] != mark.row_hash:
                return count, Break(values["id"], "it is not the row the checkpoint signed")
            seen_mark = True
        keyed = keyed or scheme == KEYED
        previous, previous_id = values["row_hash"], values["id"]
    if not seen_mark and mark is not None:
        return count, Break(mark.row_id, "the checkpoint's row is missing")
    if count and not keyed:
        # Migration 0013 wrote a keyed row, and every row since is keyed: a trail with none was
        # rewritten as plain SHA-256 by someone without the key.
        return count, Break(previous_id, "no row is keyed: the trail was rewritten without the audit key")
    return count, None


def _rows(batch: int) -> Iterator[Any]:
    last = 0
    while True:
        rows = db.session.execute(
            select(_TABLE).where(_TABLE.c.chain_seq > last).order_by(_TABLE.c.chain_seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq


def record(
    action: str,
    *,
    user: Any = None,
    child_id: int | None = None,
    assessment_id: int | None = None,
    target_user_id: int | None = None,
    email_tried: str | None = None,
    detail: str | None = None,
) -> None:
    values = {
        "at": utcnow(),
        "action": action,
        "user_id": getattr(user, "id", None),
        "child_id": child_id,
        "assessment_id": assessment_id,
        "target_user_id": target_user_id,
        "email_tried": email_tried,
        "address": request.remote_addr if has_request_context() else None,
        "detail": detail,
    }
    if has_request_context() and request.headers.get("X-Heat-Background") == "1":
        # The tablet's service worker copying pages for offline work, not a person reading them.
        values["detail"] = (
            f"{detail}; copied to the tablet for offline work" if detail else "copied to the tablet for offline work"
        )
    if has_request_context() and request.method in SAFE_METHODS:
        # A page view has read what it records: end its read transaction first (our own snapshot
        # would hold back the write-ahead log behind this commit), then write the row as a
        # statement alone, its own transaction, which waits its turn for the lock.
        db.session.commit()
        with alone(db.engine) as connection:
            connection.execute(_INSERT, {**values, "scheme": KEYED})
    else:
        # A change: the row goes in the change's own transaction (after what the change has
        # written so far, which it may name), and commits with it or not at all.
        db.session.flush()
        _append(values)
