"""Changes to a child's record made outside a visit: plan changes, handovers and information
added to the chronology. Each is audited; the caller commits.

A change to a higher plan takes effect at once and waits in the supervisors' queue to be noted. A
change to a lower plan (a step-down) is a request with a rationale: the plan stays as it was until
a supervisor who did not ask for it agrees."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from heat.extensions import db
from heat.models import PLAN_DECISIONS, Child, ChronologyEntry, Handover, PlanChange, User, is_step_down, utcnow
from heat.services import access, audit
from heat.services.errors import FieldError
from heat.services.summaries import refresh_summary


def pending_step_down(child: Child) -> PlanChange | None:
    """The child's step-down waiting for a supervisor, if there is one."""
    return db.session.scalar(
        select(PlanChange)
        .where(PlanChange.child_id == child.id, PlanChange.status == "requested")
        .options(joinedload(PlanChange.changed_by))
    )


def change_plan(
    child: Child, user: User, status: str, category: str | None, effective: dt.date | None, note: str | None
) -> PlanChange:
    """A step-up (or a change of Child Protection category) takes effect now; a step-down is a request."""
    if effective is None:
        raise FieldError("effective_date", "Enter the date the plan changed")
    note = (note or "").strip() or None
    step_down = is_step_down(child.plan_status, status)
    waiting = pending_step_down(child)
    if step_down and note is None:
        raise FieldError("note", "Enter the rationale for stepping down to a lower plan")
    if step_down and waiting is not None:
        raise FieldError("plan_status", "A step-down is already waiting for a supervisor’s decision")
    change = PlanChange(
        child=child,
        changed_by=user,
        effective_date=effective,
        from_status=child.plan_status,
        from_category=child.plan_category,
        to_status=status,
        to_category=category if status == "cp" else None,
        note=note,
        status="requested" if step_down else "to_note" if is_step_down(status, child.plan_status) else "made",
    )
    db.session.add(change)
    detail = f"{change.from_status} to {change.to_status}"
    if step_down:
        audit.record("step_down_requested", user=user, child_id=child.id, detail=detail)
        return change
    if waiting is not None:  # the plan went up while a step-down waited: the request no longer stands
        waiting.status, waiting.decided_at = "withdrawn", utcnow()
        waiting.decision_note = f"The plan changed to {change.to_label} before a supervisor decided."
    child.plan_status, child.plan_category = change.to_status, change.to_category
    audit.record("plan_changed", user=user, child_id=child.id, detail=detail)
    refresh_summary(child)
    return change


def plan_changes_to_decide(supervisor: User) -> list[PlanChange]:
    """The team's step-downs waiting for a decision and step-ups waiting to be noted, oldest first
    (step-downs first)."""
    changes = db.session.scalars(
        select(PlanChange)
        .join(Child, Child.id == PlanChange.child_id)
        .where(Child.team_id == supervisor.team_id, PlanChange.status.in_(("requested", "to_note")))
        .order_by(PlanChange.changed_at, PlanChange.id)
        .options(joinedload(PlanChange.changed_by), joinedload(PlanChange.child))
    ).all()
    return sorted(changes, key=lambda c: c.status != "requested")


def decide_step_down(change: PlanChange, supervisor: User, decision: str, rationale: str | None) -> PlanChange:
    """A supervisor's decision on a step-down; agreed, the plan changes now."""
    if change.status != "requested":
        raise FieldError("decision", "This step-down is no longer waiting for a decision")
    if change.changed_by_id == supervisor.id:
        raise FieldError("decision", "You asked for this step-down, so another supervisor must decide it")
    if decision not in PLAN_DECISIONS:
        raise FieldError("decision", "Select Agreed or Not agreed")
    rationale = (rationale or "").strip()
    if not rationale:
        raise FieldError("rationale", "Enter the rationale for your decision")
    change.status, change.decided_by, change.decided_at, change.decision_note = (
        decision,
        supervisor,
        utcnow(),
        rationale,
    )
    child = change.child
    if decision == "agreed":
        child.plan_status, child.plan_category = change.to_status, change.to_category
    audit.record("step_down_decision", user=supervisor, child_id=child.id, detail=decision)
    refresh_summary(child)
    return change


def note_plan_change(change: PlanChange, supervisor: User) -> PlanChange:
    """A supervisor notes a step-up another person made."""
    if change.status != "to_note":
        raise FieldError("submit", "This plan change is not waiting to be noted")
    if change.changed_by_id == supervisor.id:
        raise FieldError("submit", "You made this plan change, so another supervisor must note it")
    change.status, change.decided_by, change.decided_at = "noted", supervisor, utcnow()
    audit.record("plan_change_noted", user=supervisor, child_id=change.child_id)
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
