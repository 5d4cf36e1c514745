"""Visits where the practitioner could not get in (nobody answered, refused entry, family away)
and what they did next. An attempt is in the chronology and the history PDF and can raise the
"No access" flag, but it is not a visit: the child stays overdue. The caller commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from heat.checklist.vocabulary import NO_ACCESS_REASONS
from heat.extensions import db
from heat.models import Child, NoAccessVisit, User
from heat.services import audit
from heat.services.errors import FieldError
from heat.services.summaries import refresh_summary


def record(
    child: Child,
    user: User,
    attempted_on: dt.date | None,
    attempted_at: dt.time | None,
    reason: str | None,
    next_steps: str,
) -> NoAccessVisit:
    if attempted_on is None:
        raise FieldError("attempted_on", "Enter the date you tried to visit")
    if attempted_on > dt.date.today():
        raise FieldError("attempted_on", "Date you tried to visit must be today or in the past")
    if reason not in NO_ACCESS_REASONS:
        raise FieldError("reason", "Select why you could not get in")
    next_steps = (next_steps or "").strip()
    if not next_steps:
        raise FieldError("next_steps", "Say what you did next")
    attempt = NoAccessVisit(
        child_id=child.id,
        attempted_on=attempted_on,
        attempted_at=attempted_at,
        reason=reason,
        next_steps=next_steps,
        by_id=user.id,
    )
    db.session.add(attempt)
    db.session.flush()
    audit.record("no_access_recorded", user=user, child_id=child.id, detail=f"no access {attempt.id}")
    refresh_summary(child)  # the flag for no access at visits running
    return attempt


# Built once (they run on every review and decision page): the child and the date travel as
# parameters; who recorded each attempt comes in the same statement.
_ATTEMPTS = (
    select(NoAccessVisit)
    .where(NoAccessVisit.child_id == bindparam("child_id"))
    .order_by(NoAccessVisit.attempted_on, NoAccessVisit.id)
    .options(joinedload(NoAccessVisit.by))
)
_ATTEMPTS_SINCE = _ATTEMPTS.where(NoAccessVisit.attempted_on >= bindparam("since"))


def no_access_attempts(child_id: int, since: dt.date | None = None) -> list[NoAccessVisit]:
    """The child's no-access attempts (on or after `since`, if given), oldest first."""
    if since is None:
        return list(db.session.scalars(_ATTEMPTS, {"child_id": child_id}))
    return list(db.session.scalars(_ATTEMPTS_SINCE, {"child_id": child_id, "since": since}))
