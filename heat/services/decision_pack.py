"""The decision pack: the history a decider must have in front of them, the same on the review
page, the step-down decision page and the handover summary (page and PDF). One dataclass, one
template partial (templates/components/decision_pack.html): a new section is a field here and a
block there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from heat.checklist.trends import Flag
from heat.checklist.vocabulary import ACTIONS_OUTSTANDING, INCOMPLETE
from heat.checklist.working_days import add_working_days
from heat.models import (
    Action,
    Agency,
    Assessment,
    Child,
    FamilyHistoryEntry,
    InformationRequest,
    NoAccessVisit,
    PlanChange,
    SignificantAdult,
)
from heat.services import adults, agencies, family_history, no_access
from heat.services.history import History, history, plan_changes

RECENT_DAYS = 92  # "in the last 3 months"


@dataclass(frozen=True)
class OutstandingRequest:
    """Information asked of an agency and not yet received, with the day it was due."""

    request: InformationRequest
    due_on: dt.date
    days_overdue: int  # calendar days after `due_on`; 0 while it is not due yet


@dataclass(frozen=True)
class OutstandingAction:
    action: Action
    overdue: bool


@dataclass(frozen=True)
class DecisionPack:
    child: Child
    today: dt.date
    flags: list[Flag]  # active
    incomplete_visits: list[Assessment]  # Incomplete, in the last 3 months, newest first
    no_access: list[NoAccessVisit]  # visits where nobody could get in, in the last 3 months, newest first
    adults_never_seen: list[SignificantAdult]  # in the home, caring for the child, or a parent with contact
    requests: list[OutstandingRequest]  # not received, most overdue first
    agencies: list[Agency]
    family_history: list[FamilyHistoryEntry]
    plan_history: list[PlanChange]  # oldest first
    actions: list[OutstandingAction]  # not yet done or not done, from the latest visit
    last_complete_visit: Assessment | None
    # The visit the supervisor is deciding on: "last complete visit" is then the one before it.
    under_review: Assessment | None = None

    @property
    def overdue_actions(self) -> list[Action]:
        return [a.action for a in self.actions if a.overdue]


def last_complete_visit(record: History, before: Assessment | None = None) -> Assessment | None:
    """The latest recorded visit that was not Incomplete; with `before` (the visit under review),
    the latest one recorded before it, so the pack never offers the visit itself as its history."""
    visits = record.visits
    if before is not None:
        at = next((i for i, v in enumerate(visits) if v.id == before.id), len(visits))
        visits = visits[:at]
    return next((v for v in reversed(visits) if v.rating != INCOMPLETE.id), None)


def outstanding_actions(record: History, today: dt.date) -> list[OutstandingAction]:
    """The latest recorded visit's actions not done yet (carried forward from earlier visits
    until done, or dropped with a reason)."""
    latest = record.visits[-1] if record.visits else None
    if latest is None:
        return []
    return [
        OutstandingAction(a, a.due_date is not None and a.due_date < today)
        for a in latest.actions
        if a.status in ACTIONS_OUTSTANDING
    ]


def outstanding_requests(record: agencies.Record, today: dt.date) -> list[OutstandingRequest]:
    """Requests not received, each due `record.limit` working days after it was asked; overdue
    is counted from today."""
    found = []
    for asked in record.requests:
        if asked.received_on is not None or asked.withdrawn_on is not None:
            continue
        due = add_working_days(asked.asked_on, record.limit)
        found.append(OutstandingRequest(asked, due, max((today - due).days, 0)))
    return sorted(found, key=lambda r: (-r.days_overdue, r.request.asked_on, r.request.id))


def decision_pack(
    child: Child, record: History | None = None, today: dt.date | None = None, under_review: Assessment | None = None
) -> DecisionPack:
    """Pass the child's `record` when it is worked out already, and the visit being decided on
    (`under_review`) from the review page."""
    today = today or dt.date.today()
    record = record or history(child)
    since = today - dt.timedelta(days=RECENT_DAYS)
    agency_record = agencies.record_of(child, today)
    return DecisionPack(
        child=child,
        today=today,
        flags=record.active_flags,
        incomplete_visits=[v for v in reversed(record.visits) if v.rating == INCOMPLETE.id and v.visited_on >= since],
        no_access=list(reversed(no_access.no_access_attempts(child.id, since))),
        adults_never_seen=adults.never_seen(child, (f.adults_present for f in record.facts)),
        requests=outstanding_requests(agency_record, today),
        agencies=agency_record.agencies,
        family_history=family_history.entries_for(child),
        plan_history=plan_changes(child.id),
        actions=outstanding_actions(record, today),
        last_complete_visit=last_complete_visit(record, under_review),
        under_review=under_review,
    )
