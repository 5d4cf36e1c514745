"""The audit trail: one append-only row for every view, export, sign-in attempt and user change.

One rule decides how a row is written. A change (a POST) adds its row to the session, so the
row and the change commit together or not at all. A page view (a GET) writes its row at once in
a short write transaction of its own, which waits its turn for the write lock: the view's own
transaction then only ever reads, and SQLite never has to upgrade a read to a write (which fails
with "database is locked" as soon as another writer has committed).

The trail is tamper-evident. The database refuses UPDATE and DELETE on it (triggers, migration
0006), and each row carries the SHA-256 of its contents chained to the row before it, so
`flask audit verify` finds a row changed or removed by someone who got round the triggers. The
chain is extended one writer at a time: SQLite's write lock, or a PostgreSQL advisory lock held
until the transaction ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import Table, insert, select, text

from heat.database import SAFE_METHODS, writing
from heat.extensions import db
from heat.models import AuditEvent, utcnow

GENESIS = "0" * 64  # the "previous hash" of the first row
HASHED = ("at", "user_id", "action", "child_id", "assessment_id", "target_user_id", "email_tried", "address", "detail")
_CHAIN_LOCK = 0x4845_4154  # "HEAT": the PostgreSQL advisory lock that orders the chain

# One Core statement, compiled once; the values travel as parameters. A page view runs it on the
# connection itself (no ORM bulk-insert machinery on every page).
_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)
_LAST_HASH = select(_TABLE.c.row_hash).order_by(_TABLE.c.id.desc()).limit(1)


def row_hash(previous: str, values: Mapping[str, Any]) -> str:
    """The SHA-256 of a row's contents and the previous row's hash (hex)."""
    fields = [previous] + [_plain(values.get(name)) for name in HASHED]
    encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    return value


def _append(values: dict[str, Any]) -> None:
    """Insert the row in the current transaction, chained to the last row."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    previous = connection.execute(_LAST_HASH).scalar() or GENESIS
    connection.execute(_INSERT, {**values, "row_hash": row_hash(previous, values)})


@dataclass(frozen=True)
class Break:
    row_id: int
    reason: str


def verify(batch: int = 2000) -> tuple[int, Break | None]:
    """Walk the whole trail in order: how many rows, and the first that does not hold."""
    return walk(row._mapping for row in _rows(batch))


def walk(rows: Iterable[Mapping[str, Any]]) -> tuple[int, Break | None]:
    """Check a trail's rows, in id order (this database's, or a backup's)."""
    previous, count = GENESIS, 0
    for values in rows:
        count += 1
        if values["row_hash"] is None:
            return count, Break(values["id"], "it has no hash")
        if row_hash(previous, values) != values["row_hash"]:
            return count, Break(
                values["id"], "its contents, or the row before it, changed or went missing after it was written"
            )
        previous = values["row_hash"]
    return count, None


def _rows(batch: int) -> Iterator[Any]:
    last = 0
    while True:
        rows = db.session.execute(select(_TABLE).where(_TABLE.c.id > last).order_by(_TABLE.c.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


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
        # would hold back the write-ahead log behind this commit), then write in a short
        # transaction that begins IMMEDIATE and so waits its turn for the lock.
        db.session.commit()
        with writing():
            _append(values)
            db.session.commit()
    else:
        # A change: the row goes in the change's own transaction (after what the change has
        # written so far, which it may name), and commits with it or not at all.
        db.session.flush()
        _append(values)
