"""A child's history: their recorded visits, what the trend rules see of each, the flags, and
the trend chart and its table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from heat.checklist import trends
from heat.checklist.trends import Flag, VisitSummary
from heat.checklist.vocabulary import GRADED, ROOM_SEEN
from heat.extensions import db
from heat.models import RECORDED, Assessment, Child, ReviewDecision, assessment_children
from heat.reports.charts import ChartVisit, trend_svg
from heat.services.assessments import definition_for, score_of


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
        date=assessment.visited_on,
        rating=assessment.recorded_rating,
        mean=assessment.mean_grade,
        grades=grades,
        plan_status=assessment.plan_status,
        sleeping_place_seen=trends.sleeping_place_seen(definition, grades, rooms),
        actions_not_done=sum(1 for a in assessment.actions if a.status == "not_done"),
        item_labels={i.id: i.text for i in definition.items},
        rooms_seen=frozenset(r.room_id for r in assessment.rooms if r.status == ROOM_SEEN),
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
                visit.id,
                visit.visited_on,
                visit.recorded_rating,
                visit.mean_grade,
                tuple(profile.get(d) for d in domain_ids),
            )
        )
    return [d.title for d in latest.domains], rows


def trend_chart(record: History, titles: list[str], rows: list[TrendRow]) -> str:
    """The chart of `trend_rows(record)`, its grade lines labelled by the latest checklist version."""
    if not rows:
        return ""
    visits = [ChartVisit(f"{r.date.day} {r.date:%b %y}", r.rating, r.mean, r.domain_worst) for r in rows]
    scale = {int(g.value): g.display for g in definition_for(record.visits[-1]).grades if g.value in GRADED}
    return trend_svg(visits, titles, scale)
