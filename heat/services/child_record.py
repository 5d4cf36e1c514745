"""Changes to a child's record made outside a visit: plan changes, handovers and information
added to the chronology. Each is audited; the caller commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from heat.extensions import db
from heat.models import Child, ChronologyEntry, Handover, PlanChange, User
from heat.services import access, audit
from heat.services.errors import FieldError
from heat.services.summaries import refresh_summary


def change_plan(
    child: Child, user: User, status: str, category: str | None, effective: dt.date | None, note: str | None
) -> PlanChange:
    if effective is None:
        raise FieldError("effective_date", "Enter the date the plan changed")
    change = PlanChange(
        child_id=child.id,
        changed_by=user,
        effective_date=effective,
        from_status=child.plan_status,
        from_category=child.plan_category,
        to_status=status,
        to_category=category if status == "cp" else None,
        note=(note or "").strip() or None,
    )
    db.session.add(change)
    child.plan_status, child.plan_category = change.to_status, change.to_category
    audit.record("plan_changed", user=user, child_id=child.id, detail=f"{change.from_status} to {change.to_status}")
    refresh_summary(child)
    return change


def handover_candidates(child: Child) -> list[User]:
    """Active practitioners and supervisors of the child's team, other than the allocated worker."""
    return [
        u
        for u in db.session.scalars(
            select(User)
            .where(User.team_id == child.team_id, User.active.is_(True), User.role.in_(access.CASEWORK_ROLES))
            .order_by(User.name)
        )
        if u.id != child.allocated_worker_id
    ]


def hand_over(child: Child, user: User, to_worker: User, note: str) -> Handover:
    handover = Handover(
        child_id=child.id, from_worker_id=child.allocated_worker_id, to_worker=to_worker, by=user, note=note.strip()
    )
    db.session.add(handover)
    child.allocated_worker_id = to_worker.id
    audit.record("handover", user=user, child_id=child.id, target_user_id=to_worker.id)
    return handover


def add_entry(
    child: Child, user: User, occurred_on: dt.date | None, source_kind: str, source: str, summary: str
) -> ChronologyEntry:
    if occurred_on is None:
        raise FieldError("occurred_on", "Enter the date")
    entry = ChronologyEntry(
        child_id=child.id,
        created_by=user,
        occurred_on=occurred_on,
        source_kind=source_kind,
        source=source.strip(),
        summary=summary.strip(),
    )
    db.session.add(entry)
    audit.record("chronology_entry_added", user=user, child_id=child.id)
    return entry
