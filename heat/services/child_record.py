"""Changes to a child's record made outside a visit: plan changes, handovers and information
added to the chronology. Each is audited; the caller commits.

A change to a higher plan takes effect at once and waits in the supervisors' queue to be noted. A
change to a lower plan (a step-down) is a request with a rationale: the plan stays as it was until
a supervisor who did not ask for it agrees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from heat.checklist.vocabulary import INCOMPLETE, PLAN_DECISIONS
from heat.checklist.working_days import working_days_between
from heat.extensions import db
from heat.models import (
    Assessment,
    Child,
    ChronologyEntry,
    Handover,
    Household,
    PlanChange,
    Team,
    Transfer,
    User,
    is_step_down,
    utcnow,
)
from heat.services import access, audit
from heat.services.decision_pack import DecisionPack, decision_pack
from heat.services.errors import FieldError
from heat.services.history import history
from heat.services.summaries import refresh_summary, visit_frequency


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


def step_down_refused(change: PlanChange, visits: list[Assessment], on: dt.date) -> str | None:
    """Why a step-down from a Child Protection plan cannot be agreed on `on`: it needs a complete
    (not Incomplete) visit among the child's recorded `visits` within the plan's visiting frequency
    before the decision. None when it can be agreed."""
    frequency = visit_frequency(change.from_status)
    if change.from_status != "cp" or frequency is None:
        return None
    complete = [v for v in visits if v.rating != INCOMPLETE.id and v.visited_on <= on]
    last = max((v.visited_on for v in complete), default=None)
    if last is not None and working_days_between(last, on) <= frequency:
        return None
    seen = f"The last complete visit was on {last.day} {last:%B %Y}." if last else "There has been no complete visit."
    return (
        "A step-down from a Child Protection plan cannot be agreed without a complete visit in the "
        f"{frequency} working days before the decision. {seen} Visit first, or choose Not agreed."
    )


def decide_step_down(
    change: PlanChange, supervisor: User, decision: str, rationale: str | None, on: dt.datetime | None = None
) -> PlanChange:
    """A supervisor's decision on a step-down (made now, or `on` when recording an earlier one);
    agreed, the plan changes now. A step-down from Child Protection needs a recent complete visit."""
    if change.status != "requested":
        raise FieldError("decision", "This step-down is no longer waiting for a decision")
    if change.changed_by_id == supervisor.id:
        raise FieldError("decision", "You asked for this step-down, so another supervisor must decide it")
    if decision not in PLAN_DECISIONS:
        raise FieldError("decision", "Select Agreed or Not agreed")
    decided_at = on or utcnow()
    refused = step_down_refused(change, history(change.child).visits, decided_at.date())
    if decision == "agreed" and refused:
        raise FieldError("decision", refused)
    rationale = (rationale or "").strip()
    if not rationale:
        raise FieldError("rationale", "Enter the rationale for your decision")
    change.status, change.decided_by, change.decided_at, change.decision_note = (
        decision,
        supervisor,
        decided_at,
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
            .where(User.team_id == child.team_id, User.active.is_(True), User.role.in_(access.CASE_WORKERS))
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


# Built once (it runs on every child page): the child travels as a parameter.
_PENDING_TRANSFER = (
    select(Transfer)
    .where(Transfer.child_id == bindparam("child_id"), Transfer.acknowledged_at.is_(None))
    .options(joinedload(Transfer.from_team), joinedload(Transfer.to_team), joinedload(Transfer.by))
)


def pending_transfer(child: Child) -> Transfer | None:
    """The child's transfer to another team waiting to be acknowledged, if there is one."""
    return db.session.scalar(_PENDING_TRANSFER, {"child_id": child.id})


def transfer(child: Child, supervisor: User, to_team: Team | None, note: str) -> Transfer:
    """A supervisor hands the child to another team. The receiving team holds the record at once;
    the sending team keeps seeing it, read-only, until a receiving supervisor acknowledges it."""
    if supervisor.role != "supervisor" or child.team_id != supervisor.team_id:
        raise FieldError("to_team", "Only a supervisor of the child’s team can transfer them")
    if to_team is None or to_team.id == child.team_id:
        raise FieldError("to_team", "Select the team the child is moving to")
    if pending_transfer(child) is not None:
        raise FieldError("to_team", "This child’s transfer is already waiting to be acknowledged")
    note = note.strip()
    if not note:
        raise FieldError("note", "Enter a note for the receiving team")
    moving = Transfer(
        child_id=child.id,
        from_team_id=child.team_id,
        to_team_id=to_team.id,
        from_worker_id=child.allocated_worker_id,
        by_id=supervisor.id,
        note=note,
    )
    db.session.add(moving)
    child.team_id = to_team.id
    if child.household_id is not None:  # the household moves with the child's team
        household = db.session.get(Household, child.household_id)
        if household is not None:
            household.team_id = to_team.id
    audit.record(
        "transfer_requested", user=supervisor, child_id=child.id, detail=f"team {moving.from_team_id} to {to_team.id}"
    )
    return moving


def transfers_in(supervisor: User) -> list[Transfer]:
    """Transfers into the supervisor's team waiting to be acknowledged, oldest first."""
    return list(
        db.session.scalars(
            select(Transfer)
            .where(Transfer.to_team_id == supervisor.team_id, Transfer.acknowledged_at.is_(None))
            .order_by(Transfer.at, Transfer.id)
            .options(joinedload(Transfer.child), joinedload(Transfer.from_team), joinedload(Transfer.by))
        )
    )


def team_workers(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.team_id == team_id, User.active.is_(True), User.role.in_(access.CASE_WORKERS))
            .order_by(User.name)
        )
    )


def acknowledge(moving: Transfer, supervisor: User, worker: User | None) -> Transfer:
    """A receiving supervisor takes the child on, choosing the new allocated worker."""
    if moving.acknowledged_at is not None:
        raise FieldError("to_worker", "This transfer has already been acknowledged")
    if supervisor.role != "supervisor" or supervisor.team_id != moving.to_team_id:
        raise FieldError("to_worker", "Only a supervisor of the receiving team can acknowledge the transfer")
    if worker is None or worker.team_id != moving.to_team_id or not worker.active:
        raise FieldError("to_worker", "Select the new allocated worker")
    moving.acknowledged_by_id, moving.acknowledged_at, moving.to_worker_id = supervisor.id, utcnow(), worker.id
    child = moving.child
    child.allocated_worker_id = worker.id
    audit.record("transfer_acknowledged", user=supervisor, child_id=child.id, target_user_id=worker.id)
    return moving


@dataclass(frozen=True)
class HandoverSummary:
    """What a worker taking a child on needs first, printed with every handover and transfer: the
    child's plan, worker and next visit, and the decision pack."""

    child: Child
    today: dt.date
    pack: DecisionPack


def handover_summary(child: Child) -> HandoverSummary:
    pack = decision_pack(child)
    return HandoverSummary(child, pack.today, pack)
