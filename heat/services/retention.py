"""Retention: when a child's records are due for review, and restricting or erasing them.

UK practice varies, so the rule is configuration: by default a child's records are reviewed
after their 25th birthday (HEAT_RETENTION_REVIEW_AGE). An administrator then either restricts
them (kept, shown to auditors only) or erases them. Erasure removes every answer, version, PDF,
note, plan change, handover and chronology entry about the child; the child's row stays as a
tombstone with nothing personal in it, because the audit trail (which cannot be changed) points
at it. Both are audited with the administrator's reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from heat.extensions import db
from heat.models import (
    Action,
    Assessment,
    AssessmentVersion,
    Child,
    ChronologyEntry,
    FlagResponse,
    Handover,
    ItemGrade,
    PendingSave,
    PersonPresent,
    PlanChange,
    ReviewDecision,
    RoomCheck,
    SectionSave,
    User,
    assessment_children,
    utcnow,
)
from heat.services import audit
from heat.services.errors import FieldError

ACTIONS = {"restrict": "Restrict", "erase": "Erase"}
TOMBSTONE_BIRTH = dt.date(1900, 1, 1)  # an erased record's date of birth: no real one is kept


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
    _erase(child)
    audit.record("records_erased", user=actor, child_id=child.id, detail=reason[:200])
    return child


def _erase(child: Child) -> None:
    covering = select(assessment_children.c.assessment_id).where(assessment_children.c.child_id == child.id)
    others = (
        select(assessment_children.c.assessment_id)
        .where(assessment_children.c.child_id != child.id)
        .group_by(assessment_children.c.assessment_id)
    )
    only_this_child = list(db.session.scalars(covering.except_(others)))
    decisions = select(ReviewDecision.id).where(ReviewDecision.assessment_id.in_(only_this_child))
    db.session.execute(delete(FlagResponse).where(FlagResponse.child_id == child.id))
    db.session.execute(delete(FlagResponse).where(FlagResponse.decision_id.in_(decisions)))
    for answers in (ItemGrade, RoomCheck, PersonPresent, Action, ReviewDecision, SectionSave, PendingSave):
        db.session.execute(delete(answers).where(answers.assessment_id.in_(only_this_child)))
    db.session.execute(delete(AssessmentVersion).where(AssessmentVersion.assessment_id.in_(only_this_child)))
    # The assessment rows stay (the audit trail names them), with every answer gone.
    wiped: dict[str, Any] = {
        column.key: None
        for column in Assessment.__table__.columns
        if column.nullable and column.key not in ("submitted_by_id", "submitted_at", "submission_key")
    }
    wiped.update(status="erased", section_status={}, section_versions={}, advice_given=[])
    db.session.execute(update(Assessment).where(Assessment.id.in_(only_this_child)).values(**wiped))
    # A visit that also covered a brother or sister stays theirs; this child leaves it.
    db.session.execute(
        delete(assessment_children).where(
            assessment_children.c.child_id == child.id, assessment_children.c.assessment_id.not_in(only_this_child)
        )
    )
    for about_child in (ChronologyEntry, Handover, PlanChange):
        db.session.execute(delete(about_child).where(about_child.child_id == child.id))
    child.first_name = "Erased"
    child.last_name = "record"
    child.reference = f"erased-{child.id}"
    child.date_of_birth = TOMBSTONE_BIRTH
    child.allocated_worker_id = None
    child.household_id = None
    child.plan_status = "none"
    child.plan_category = None
    child.latest_assessment_id = None
    child.last_visit_date = child.next_visit_due = child.latest_rating = child.direction = None
    child.active_flags, child.flag_count, child.rooms_never_seen = [], 0, []
    child.erased_at = utcnow()
    db.session.flush()


def counts(child: Child) -> dict[str, int]:
    """What is held about a child (shown before a decision)."""
    assessments = db.session.scalar(
        select(func.count()).select_from(assessment_children).where(assessment_children.c.child_id == child.id)
    )
    entries = db.session.scalar(
        select(func.count()).select_from(ChronologyEntry).where(ChronologyEntry.child_id == child.id)
    )
    return {"assessments": assessments or 0, "entries": entries or 0}
