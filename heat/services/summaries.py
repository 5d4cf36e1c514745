"""Each child's dashboard summary (latest rating, direction, active flags, next visit due, rooms
never seen), computed by the real trend rules and stored on the child so lists read one row.
`seed-scale` stores its generated children's summaries through `summary_values` too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask import current_app

from heat.checklist import trends
from heat.checklist.definition import Room
from heat.checklist.trends import VisitSummary
from heat.checklist.working_days import add_working_days
from heat.models import Assessment, Child
from heat.services.checklists import definition_for
from heat.services.history import History, history


def visit_frequency(plan_status: str) -> int | None:
    return current_app.config["HEAT_VISIT_FREQUENCY"].get(plan_status)


def next_visit_due(last_visit: dt.date | None, frequency: int | None, agreed: dt.date | None) -> dt.date | None:
    """The plan's visiting frequency after the last visit, or the next visit date agreed at it
    when that is earlier."""
    due = add_working_days(last_visit, frequency) if last_visit and frequency else None
    if agreed is not None and (due is None or agreed < due):
        return agreed
    return due


def summary_values(
    visits: Sequence[VisitSummary],
    flags: Sequence[trends.Flag],
    plan_status: str,
    rooms: Sequence[Room],
    agreed_next_visit: dt.date | None = None,
) -> dict[str, object]:
    """The dashboard columns of a child with these recorded visits (oldest first) and flags;
    `rooms` are the rooms of the latest visit's checklist version; `agreed_next_visit` the next
    visit date agreed at the latest visit."""
    latest = visits[-1] if visits else None
    active = [f.title for f in flags if f.active]
    frequency = visit_frequency(plan_status)
    seen = frozenset[str]().union(*(v.rooms_seen for v in visits))
    return {
        "latest_assessment_id": latest.id if latest else None,
        "last_visit_date": latest.date if latest else None,
        "latest_rating": latest.rating if latest else None,
        "direction": trends.direction(list(visits)),
        "active_flags": active,
        "flag_count": len(active),
        "next_visit_due": next_visit_due(latest.date, frequency, agreed_next_visit) if latest else None,
        "rooms_never_seen": [r.label for r in rooms if r.id not in seen | latest.rooms_not_in_home] if latest else [],
    }


def refresh_summary(child: Child) -> History:
    """Recompute the child's dashboard summary from their recorded visits. The caller commits."""
    record = history(child)
    latest = record.visits[-1] if record.visits else None
    rooms = definition_for(latest).rooms if latest else ()
    agreed = latest.next_visit_date if latest else None
    for column, value in summary_values(record.summaries, record.flags, child.plan_status, rooms, agreed).items():
        setattr(child, column, value)
    return record


def refresh_children_of(assessment: Assessment) -> None:
    for child in assessment.children:
        refresh_summary(child)
