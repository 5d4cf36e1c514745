"""The audit trail: one append-only row for every view, export, sign-in attempt and user change.

One rule decides how a row is written. A change (a POST) adds its row to the session, so the
row and the change commit together or not at all. A page view (a GET) writes its row at once in
a short write transaction of its own, which waits its turn for the write lock: the view's own
transaction then only ever reads, and SQLite never has to upgrade a read to a write (which fails
with "database is locked" as soon as another writer has committed).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import Table, insert

from heat.database import SAFE_METHODS, writing
from heat.extensions import db
from heat.models import AuditEvent

# One Core statement, compiled once; the values travel as parameters. A page view runs it on the
# connection itself (no ORM bulk-insert machinery on every page).
_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)


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
            db.session.connection().execute(_INSERT, values)
            db.session.commit()
    else:
        db.session.add(AuditEvent(**values))
