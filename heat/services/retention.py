"""Retention: when a child's records are due for review, and restricting or erasing them.

UK practice varies, so the rule is configuration: by default a child's records are reviewed
after their 25th birthday (HEAT_RETENTION_REVIEW_AGE). An administrator then either restricts
them (kept, shown to auditors only) or erases them. Erasure removes everything the data map
(services/data_map.py) lists for the child; the child's row stays as a tombstone with nothing
personal in it, because the audit trail (which cannot be changed) points at it. Both are audited
with the administrator's reason.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import Child, ChronologyEntry, User, assessment_children, utcnow
from heat.services import audit, data_map
from heat.services.errors import FieldError

ACTIONS = {"restrict": "Restrict", "erase": "Erase"}


def review_date(date_of_birth: dt.date) -> dt.date:
    years = current_app.config["HEAT_RETENTION_REVIEW_AGE"]
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:  # born on 29 February
        return date_of_birth.replace(year=date_of_birth.year + years, day=28)


def due(today: dt.date | None = None) -> list[Child]:
    """Children whose records are due for review and not yet erased, longest overdue first."""
    today = today or dt.date.today()
    years = current_app.config["HEAT_RETENTION_REVIEW_AGE"]
    leap_day = today.month == 2 and today.day == 29
    latest_birth = today.replace(year=today.year - years, day=28 if leap_day else today.day)
    return list(
        db.session.scalars(
            select(Child)
            .where(Child.erased_at.is_(None), Child.date_of_birth <= latest_birth)
            .order_by(Child.date_of_birth, Child.id)
        )
    )


def decide(actor: User, child: Child, action: str, reason: str, today: dt.date | None = None) -> Child:
    """Restrict or erase a child's records, with a reason. The caller commits."""
    reason = (reason or "").strip()
    if action not in ACTIONS:
        raise FieldError("action", "Select restrict or erase")
    if not reason:
        raise FieldError("reason", "Enter the reason, for the audit trail")
    if (
        child.erased_at is not None
        or child.date_of_birth is None
        or review_date(child.date_of_birth) > (today or dt.date.today())
    ):
        raise FieldError("action", "These records are not due for review")
    if action == "restrict":
        child.restricted_at = utcnow()
        audit.record("records_restricted", user=actor, child_id=child.id, detail=reason[:200])
        return child
    data_map.erase(child)
    audit.record("records_erased", user=actor, child_id=child.id, detail=reason[:200])
    return child


ERASE_BATCH = 20  # records erased again per transaction: each commit is a short write


def erase_again(batch: int | None = None) -> int:
    """Erase every erased record again under today's data map (records erased before the map
    covered addresses, adults, agencies and the rest still hold them). Returns how many. Commits
    every `batch` records, so a council's thousands of tombstones never hold the database (SQLite's
    write lock) for long, and a run stopped part way keeps what it did (run it again for the rest:
    erasing a tombstone again changes nothing else)."""
    batch = batch or ERASE_BATCH
    ids = list(db.session.scalars(select(Child.id).where(Child.erased_at.is_not(None)).order_by(Child.id)))
    db.session.commit()
    for start in range(0, len(ids), batch):
        for child in db.session.scalars(select(Child).where(Child.id.in_(ids[start : start + batch]))):
            data_map.erase(child)
            audit.record("records_erased", child_id=child.id, detail="erased again under the current data map")
        db.session.commit()
    return len(ids)


def counts(child: Child) -> dict[str, int]:
    """What is held about a child (shown before a decision)."""
    assessments = db.session.scalar(
        select(func.count()).select_from(assessment_children).where(assessment_children.c.child_id == child.id)
    )
    entries = db.session.scalar(
        select(func.count()).select_from(ChronologyEntry).where(ChronologyEntry.child_id == child.id)
    )
    return {"assessments": assessments or 0, "entries": entries or 0}
