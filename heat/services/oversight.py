"""Oversight over time: each child's visit history and flags, their summary for the dashboard,
supervisor decisions, plan changes, handovers and the chronology."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from heat.checklist import trends
from heat.checklist.trends import Flag, VisitSummary
from heat.extensions import db
from heat.models import (
    CP_CATEGORIES,
    DECISIONS,
    PLAN_STATUSES,
    RECORDED,
    Action,
    Assessment,
    Child,
    ChronologyEntry,
    Handover,
    PlanChange,
    ReviewDecision,
    User,
    assessment_children,
    utcnow,
)
from heat.reports.charts import ChartVisit, trend_svg
from heat.reports.pdf import render_pdf
from heat.services import audit
from heat.services.assessments import definition_for, score_of

RATING_ORDER = {"red": 0, "incomplete": 1, "amber": 2, "green": 3}


# --- a child's history ----------------------------------------------------------------------


def recorded_visits(child_id: int) -> list[Assessment]:
    """Submitted (and reviewed) visits covering the child, oldest first, with what the page and
    the chronology read of them loaded up front (a fixed number of queries, however many visits)."""
    return list(
        db.session.scalars(
            select(Assessment)
            .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
            .where(assessment_children.c.child_id == child_id, Assessment.status.in_(RECORDED))
            .order_by(Assessment.visit_date, Assessment.submitted_at, Assessment.id)
            .options(
                selectinload(Assessment.grades),
                selectinload(Assessment.rooms),
                selectinload(Assessment.actions),
                selectinload(Assessment.created_by),
                selectinload(Assessment.decisions).selectinload(ReviewDecision.reviewer),
            )
        )
    )


def summarise(assessment: Assessment) -> VisitSummary:
    definition = definition_for(assessment)
    grades, rooms = assessment.grade_map, assessment.room_map
    return VisitSummary(
        id=assessment.id,
        date=assessment.visit_date,
        rating=assessment.rating,
        mean=assessment.mean_grade,
        grades=grades,
        plan_status=assessment.plan_status,
        sleeping_place_seen=trends.sleeping_place_seen(definition, grades, rooms),
        actions_not_done=sum(1 for a in assessment.actions if a.status == "not_done"),
        item_labels={i.id: i.text for i in definition.items},
    )


@dataclass(frozen=True)
class History:
    visits: list[Assessment]
    summaries: list[VisitSummary]
    flags: list[Flag]

    @property
    def active_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.active]


def history(child: Child) -> History:
    visits = recorded_visits(child.id)
    summaries = [summarise(v) for v in visits]
    settings = definition_for(visits[-1]).trends if visits else None
    return History(visits, summaries, trends.flags(summaries, settings))


def add_working_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def visit_frequency(plan_status: str) -> int | None:
    return current_app.config["HEAT_VISIT_FREQUENCY"].get(plan_status)


def refresh_summary(child: Child) -> History:
    """Recompute the child's dashboard summary from their recorded visits. The caller commits."""
    record = history(child)
    latest = record.visits[-1] if record.visits else None
    child.latest_assessment_id = latest.id if latest else None
    child.last_visit_date = latest.visit_date if latest else None
    child.latest_rating = latest.rating if latest else None
    child.direction = trends.direction(record.summaries)
    child.active_flags = [f.title for f in record.active_flags]
    child.flag_count = len(child.active_flags)
    frequency = visit_frequency(child.plan_status)
    child.next_visit_due = add_working_days(latest.visit_date, frequency) if latest and frequency else None
    seen = {r.room_id for v in record.visits for r in v.rooms if r.status == "seen"}
    rooms = definition_for(latest).rooms if latest else ()
    child.rooms_never_seen = [r.label for r in rooms if r.id not in seen] if latest else []
    return record


def refresh_children_of(assessment: Assessment) -> None:
    for child in assessment.children:
        refresh_summary(child)


# --- supervisor review ----------------------------------------------------------------------


class ReviewError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def review_queue_query(team_id: int):
    """The team's submitted assessments awaiting review, oldest first."""
    return (
        select(Assessment)
        .where(Assessment.team_id == team_id, Assessment.status == "submitted")
        .order_by(Assessment.submitted_at, Assessment.id)
        .options(selectinload(Assessment.children), selectinload(Assessment.created_by))
    )


def record_decision(assessment: Assessment, reviewer: User, decision: str, rationale: str) -> ReviewDecision:
    """A supervisor's decision. Returned assessments go back to the practitioner to change. The caller commits."""
    if assessment.status != "submitted":
        raise ReviewError("decision", "This assessment is not awaiting review")
    if decision not in DECISIONS:
        raise ReviewError("decision", "Select a decision")
    rationale = (rationale or "").strip()
    if not rationale:
        raise ReviewError("rationale", "Enter the rationale for your decision")
    record = ReviewDecision(assessment_id=assessment.id, reviewer=reviewer, decision=decision, rationale=rationale)
    assessment.decisions.append(record)
    assessment.status = decision
    assessment.updated_at = utcnow()
    db.session.flush()
    audit.record("review_decision", user=reviewer, assessment_id=assessment.id, detail=decision)
    refresh_children_of(assessment)
    return record


# --- plan changes, handovers and manual entries ---------------------------------------------


def change_plan(
    child: Child, user: User, status: str, category: str | None, effective: dt.date, note: str | None
) -> PlanChange:
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


def hand_over(child: Child, user: User, to_worker: User, note: str) -> Handover:
    handover = Handover(
        child_id=child.id, from_worker_id=child.allocated_worker_id, to_worker=to_worker, by=user, note=note.strip()
    )
    db.session.add(handover)
    child.allocated_worker_id = to_worker.id
    audit.record("handover", user=user, child_id=child.id, target_user_id=to_worker.id)
    return handover


def add_entry(
    child: Child, user: User, occurred_on: dt.date, source_kind: str, source: str, summary: str
) -> ChronologyEntry:
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


# --- chronology -----------------------------------------------------------------------------

CHRONOLOGY_KINDS = {
    "visit": "Visits",
    "decision": "Supervisor decisions",
    "flag": "Flags",
    "plan": "Plan changes",
    "handover": "Handovers",
    "entry": "Information added",
}


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


def chronology(child: Child, record: History, kind: str | None = None) -> list[ChronologyItem]:
    """Every visit, decision, flag, plan change, handover and added entry, newest first."""
    items: list[ChronologyItem] = []
    drafts = db.session.scalars(
        select(Assessment)
        .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
        .where(assessment_children.c.child_id == child.id, Assessment.status == "returned")
    ).all()
    for visit in [*record.visits, *drafts]:
        items.append(
            ChronologyItem(
                visit.visit_date,
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
    dates = {v.id: v.visit_date for v in record.visits}
    for flag in record.flags:
        items.append(
            ChronologyItem(dates[flag.visit_ids[-1]], "flag", f"Flag: {flag.title}", flag.text, flag.visit_ids[-1])
        )
    for change in db.session.scalars(select(PlanChange).where(PlanChange.child_id == child.id)):
        items.append(
            ChronologyItem(
                change.effective_date,
                "plan",
                f"Plan changed to {_plan_label(change.to_status, change.to_category)}",
                f"From {_plan_label(change.from_status, change.from_category)}."
                + (f" {change.note}" if change.note else ""),
                by=change.changed_by.name,
            )
        )
    for h in db.session.scalars(select(Handover).where(Handover.child_id == child.id)):
        items.append(
            ChronologyItem(
                h.at.date(),
                "handover",
                f"Handed over to {h.to_worker.name}",
                (f"From {h.from_worker.name}. " if h.from_worker else "") + h.note,
                by=h.by.name,
            )
        )
    for e in db.session.scalars(select(ChronologyEntry).where(ChronologyEntry.child_id == child.id)):
        items.append(
            ChronologyItem(e.occurred_on, "entry", f"Information from {e.source}", e.summary, by=e.created_by.name)
        )
    if kind in CHRONOLOGY_KINDS:
        items = [i for i in items if i.kind == kind]
    return sorted(items, key=lambda i: i.date, reverse=True)


# --- the team dashboard ---------------------------------------------------------------------

DASHBOARD_SORTS = {
    "rating": (case(RATING_ORDER, value=Child.latest_rating, else_=len(RATING_ORDER)), Child.flag_count.desc()),
    "name": (Child.last_name, Child.first_name),
    "last_visit": (Child.last_visit_date.asc().nulls_first(),),
    "due": (Child.next_visit_due.asc().nulls_last(),),
    "flags": (Child.flag_count.desc(),),
}
DASHBOARD_FILTERS = {
    "red": Child.latest_rating == "red",
    "amber": Child.latest_rating == "amber",
    "incomplete": Child.latest_rating == "incomplete",
    "flagged": Child.flag_count > 0,
    "worse": Child.direction == "worse",
}


def dashboard_query(children_query, *, sort: str, show: str | None, plan: str | None, today: dt.date):
    """Children with their summaries and overdue actions, in one query."""
    overdue = (
        select(func.count(Action.id))
        .where(Action.assessment_id == Child.latest_assessment_id, Action.status == "open", Action.due_date < today)
        .correlate(Child)
        .scalar_subquery()
    )
    query = children_query.add_columns(overdue.label("overdue_actions"))
    if show == "overdue_visit":
        query = query.where(
            or_(
                Child.next_visit_due < today,
                and_(Child.last_visit_date.is_(None), Child.plan_status.in_(("cp", "cin"))),
            )
        )
    elif show in DASHBOARD_FILTERS:
        query = query.where(DASHBOARD_FILTERS[show])
    if plan in PLAN_STATUSES:
        query = query.where(Child.plan_status == plan)
    return query.order_by(*DASHBOARD_SORTS.get(sort, DASHBOARD_SORTS["rating"]), Child.id)


# --- the trend chart and its table ------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    assessment_id: int
    date: dt.date
    rating: str
    mean: float | None
    domain_worst: tuple[int | None, ...]


def trend_rows(record: History) -> tuple[list[str], list[TrendRow]]:
    """Domain titles (of the latest version) and, per visit, its rating, mean and each domain's worst grade."""
    if not record.visits:
        return [], []
    latest = definition_for(record.visits[-1])
    domain_ids = [d.id for d in latest.domains]
    rows = []
    for visit in record.visits:
        profile = {p.domain_id: p.worst for p in score_of(visit).profile}
        rows.append(
            TrendRow(
                visit.id, visit.visit_date, visit.rating, visit.mean_grade, tuple(profile.get(d) for d in domain_ids)
            )
        )
    return [d.title for d in latest.domains], rows


def trend_chart(titles: list[str], rows: list[TrendRow]) -> str:
    if not rows:
        return ""
    visits = [ChartVisit(f"{r.date.day} {r.date:%b %y}", r.rating, r.mean, r.domain_worst) for r in rows]
    return trend_svg(visits, titles)


# --- the child history PDF ------------------------------------------------------------------


def content_hash(child: Child, record: History, items: list[ChronologyItem]) -> str:
    """SHA-256 of the record data a printed history shows, so a printed copy can be checked."""
    data = {
        "child": [
            child.id,
            child.reference,
            child.first_name,
            child.last_name,
            child.date_of_birth.isoformat(),
            child.plan_status,
            child.plan_category,
        ],
        "visits": [
            [
                v.id,
                v.checklist_version,
                v.visit_date.isoformat(),
                v.status,
                v.rating,
                sorted(v.grade_map.items()),
                sorted(v.room_map.items()),
                [[d.decision, d.rationale, d.decided_at.isoformat()] for d in v.decisions],
            ]
            for v in record.visits
        ],
        "chronology": [[i.date.isoformat(), i.kind, i.title, i.text] for i in items],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def history_pdf(child: Child, *, generated_by: str, generated_at: dt.datetime) -> bytes:
    record = history(child)
    items = chronology(child, record)
    titles, rows = trend_rows(record)
    latest = record.visits[-1] if record.visits else None
    return render_pdf(
        "reports/history.html",
        child=child,
        record=record,
        items=items,
        titles=titles,
        rows=rows,
        chart=Markup(trend_chart(titles, rows)),
        latest=latest,
        latest_score=score_of(latest) if latest else None,
        versions=sorted({v.checklist_version for v in record.visits}),
        digest=content_hash(child, record, items),
        generated_by=generated_by,
        generated_at=generated_at,
    )
