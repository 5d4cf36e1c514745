"""A child's chronology: every visit, decision, flag, plan change, handover and added entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select

from heat.extensions import db
from heat.models import (
    CP_CATEGORIES,
    PLAN_STATUSES,
    Assessment,
    Child,
    ChronologyEntry,
    Handover,
    PlanChange,
    User,
    assessment_children,
)
from heat.services.history import History

CHRONOLOGY_KINDS = {
    "visit": "Visits",
    "decision": "Supervisor decisions",
    "flag": "Flags",
    "plan": "Plan changes",
    "handover": "Handovers",
    "entry": "Information added",
}


_PLANS = cast(Table, PlanChange.__table__)
_HANDOVERS = cast(Table, Handover.__table__)
_ENTRIES = cast(Table, ChronologyEntry.__table__)
_USERS = cast(Table, User.__table__)


@dataclass(frozen=True)
class ChronologyItem:
    date: dt.date
    kind: str
    title: str
    text: str
    assessment_id: int | None = None
    by: str | None = None


def _plan_label(status: str, category: str | None) -> str:
    label = PLAN_STATUSES[status]
    return f"{label} ({CP_CATEGORIES[category]})" if status == "cp" and category else label


def chronology(
    child: Child, record: History, kind: str | None = None, assessments: list[Assessment] | None = None
) -> list[ChronologyItem]:
    """Every visit, decision, flag, plan change, handover and added entry, newest first. Pass the
    child's `assessments` when they are loaded already."""
    items: list[ChronologyItem] = []
    if assessments is None:
        assessments = list(
            db.session.scalars(
                select(Assessment)
                .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
                .where(assessment_children.c.child_id == child.id, Assessment.status == "returned")
            )
        )
    drafts = [a for a in assessments if a.status == "returned"]
    for visit in [*record.visits, *drafts]:
        items.append(
            ChronologyItem(
                visit.visited_on,
                "visit",
                f"Home visit: {visit.rating.title() if visit.rating else 'not rated'}",
                f"{visit.status_label}. Visited by {visit.created_by.name}.",
                visit.id,
                visit.created_by.name,
            )
        )
        for d in visit.decisions:
            items.append(
                ChronologyItem(
                    d.decided_at.date(),
                    "decision",
                    f"Supervisor decision: {d.label}",
                    d.rationale,
                    visit.id,
                    d.reviewer.name,
                )
            )
    dates = {v.id: v.visited_on for v in record.visits}
    for flag in record.flags:
        items.append(
            ChronologyItem(dates[flag.visit_ids[-1]], "flag", f"Flag: {flag.title}", flag.text, flag.visit_ids[-1])
        )
    # Plain rows, people's names joined in (Core, not ORM objects: this runs on every child page).
    connection = db.session.connection()
    plans = select(_PLANS, _USERS.c.name).join(_USERS, _USERS.c.id == _PLANS.c.changed_by_id)
    for change in connection.execute(plans.where(_PLANS.c.child_id == child.id)):
        items.append(
            ChronologyItem(
                change.effective_date,
                "plan",
                f"Plan changed to {_plan_label(change.to_status, change.to_category)}",
                f"From {_plan_label(change.from_status, change.from_category)}."
                + (f" {change.note}" if change.note else ""),
                by=change.name,
            )
        )
    names: dict[int, str] = {}
    handovers = list(connection.execute(select(_HANDOVERS).where(_HANDOVERS.c.child_id == child.id)))
    if handovers:
        people = {p for h in handovers for p in (h.from_worker_id, h.to_worker_id, h.by_id)} - {None}
        users = select(_USERS.c.id, _USERS.c.name).where(_USERS.c.id.in_(people))
        names = {user.id: user.name for user in connection.execute(users)}
    for h in handovers:
        items.append(
            ChronologyItem(
                h.at.date(),
                "handover",
                f"Handed over to {names[h.to_worker_id]}",
                (f"From {names[h.from_worker_id]}. " if h.from_worker_id else "") + h.note,
                by=names[h.by_id],
            )
        )
    entries = select(_ENTRIES, _USERS.c.name).join(_USERS, _USERS.c.id == _ENTRIES.c.created_by_id)
    for e in connection.execute(entries.where(_ENTRIES.c.child_id == child.id)):
        items.append(ChronologyItem(e.occurred_on, "entry", f"Information from {e.source}", e.summary, by=e.name))
    if kind in CHRONOLOGY_KINDS:
        items = [i for i in items if i.kind == kind]
    return sorted(items, key=lambda i: i.date, reverse=True)
