"""A child's history: their recorded visits, what the trend rules see of each, the flags, and
the trend chart and its table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from heat.caching import Recent
from heat.checklist import trends
from heat.checklist.trends import Flag, VisitSummary
from heat.checklist.vocabulary import CHILD_SEEN_ASLEEP, GRADED, PLAN_IN_EFFECT, RECORDED, UNDER_1
from heat.extensions import db
from heat.models import Assessment, Child, NoAccessVisit, PlanChange, ReviewDecision, assessment_children
from heat.reports.charts import ChartMove, ChartVisit, trend_summary, trend_svg, trend_svg_rows
from heat.services import adults
from heat.services.checklists import definition_for, score_of

# The id of the sentence that sums the trend chart up: every page and PDF with the chart shows it.
TREND_SUMMARY_ID = "heat-trend-summary"


def _recorded_visits(with_answers: bool) -> Select:
    options = [
        joinedload(Assessment.created_by),
        selectinload(Assessment.decisions).joinedload(ReviewDecision.reviewer),
    ]
    if with_answers:
        options += [selectinload(Assessment.grades), selectinload(Assessment.rooms), selectinload(Assessment.actions)]
    return (
        select(Assessment)
        .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
        .where(assessment_children.c.child_id == bindparam("child_id"), Assessment.status.in_(RECORDED))
        .order_by(Assessment.visit_date, Assessment.submitted_at, Assessment.id)
        .options(*options)
    )


# Built once (they run on every review page, decision page and printout): the child travels as a
# parameter. By `with_answers`.
_RECORDED_VISITS = {with_answers: _recorded_visits(with_answers) for with_answers in (False, True)}


def recorded_visits(child_id: int, *, with_answers: bool = False) -> list[Assessment]:
    """Submitted (and reviewed) visits covering the child, oldest first, with who made and
    reviewed them loaded up front; `with_answers` loads every grade, room and action too (for a
    printout). A fixed number of queries, however many visits."""
    return list(db.session.scalars(_RECORDED_VISITS[with_answers], {"child_id": child_id}).unique())


@dataclass(frozen=True)
class VisitFacts:
    """What one recorded version of a visit says for trends: its summary for the trend rules,
    each domain's worst grade for the chart and the adults on the register seen at it (for the
    flags about adults). Derived from the answers once per version."""

    summary: VisitSummary
    domain_worst: Mapping[str, int | None]
    adults_present: frozenset[int]


# A recorded visit's answers change only through a save, submit or decision, each of which bumps
# its version and updated_at; so facts derived for one (visit, version) stay true. Kept per process.
_facts: Recent[VisitFacts] = Recent(5000)
# Flags and charts (with the sentence that sums each up) over a set of recorded versions, derived
# once per set, like the facts.
_flags: Recent[list[Flag]] = Recent(2000)
_charts: Recent[str] = Recent(2000)  # drawn charts
_sentences: Recent[str] = Recent(2000)  # what each chart shows, in words


def _facts_key(assessment: Assessment) -> tuple[int, str, int, dt.datetime]:
    return (assessment.id, assessment.start_key, assessment.version, assessment.updated_at)


def _derive(assessment: Assessment) -> VisitFacts:
    summary = trends.summarise(
        definition_for(assessment),
        id=assessment.id,
        date=assessment.visited_on,
        rating=assessment.recorded_rating,
        grades=assessment.grade_map,
        rooms=assessment.room_map,
        actions_not_done=sum(1 for a in assessment.actions if a.status == "not_done"),
        sources={g.item_id: g.evidence_source for g in assessment.grades},
        seen_only_asleep=_seen_only_asleep(assessment),
    )
    return VisitFacts(
        summary,
        {p.domain_id: p.worst for p in score_of(assessment).profile},
        frozenset(p.adult_id for p in assessment.people if p.adult_id is not None),
    )


def _seen_only_asleep(assessment: Assessment) -> frozenset[str]:
    """The babies on a visit (since 2026.4) who were seen only asleep."""
    return frozenset(
        child["name"]
        for child in (assessment.children_seen or {}).values()
        if child.get("age") == UNDER_1 and child.get("seen") == CHILD_SEEN_ASLEEP
    )


def visit_facts(visits: list[Assessment]) -> list[VisitFacts]:
    """The facts of each visit, deriving (in five queries) only those not derived before."""
    missing = [v for v in visits if _facts_key(v) not in _facts]
    if missing:
        db.session.scalars(
            select(Assessment)
            .where(Assessment.id.in_([v.id for v in missing]))
            .options(
                selectinload(Assessment.grades),
                selectinload(Assessment.rooms),
                selectinload(Assessment.actions),
                selectinload(Assessment.people),
            )
        ).all()
        for visit in missing:
            _facts.keep(_facts_key(visit), _derive(visit))
    return [_facts.get(_facts_key(v)) or _facts.keep(_facts_key(v), _derive(v)) for v in visits]


def summarise(assessment: Assessment) -> VisitSummary:
    return visit_facts([assessment])[0].summary


def plan_changes(child_id: int) -> list[PlanChange]:
    """Every plan change of the child, oldest first, with who made and decided each: one query,
    shared by the trend (step-downs), the chronology and the child page (a waiting step-down)."""
    return list(db.session.scalars(_PLAN_CHANGES, {"child_id": child_id}))


# Built once (it runs on every child page): the child travels as a parameter.
_PLAN_CHANGES = (
    select(PlanChange)
    .where(PlanChange.child_id == bindparam("child_id"))
    .order_by(PlanChange.id)
    .options(joinedload(PlanChange.changed_by), joinedload(PlanChange.decided_by))
)


def step_downs(changes: list[PlanChange]) -> list[trends.StepDown]:
    """The step-downs to a lower plan that took effect (agreed by a supervisor, or made before
    step-downs needed agreeing), by the date they took effect."""
    taken = sorted(
        (c for c in changes if c.status in PLAN_IN_EFFECT and c.is_step_down), key=lambda c: c.effective_date
    )
    return [trends.StepDown(c.effective_date, c.from_label, c.to_label) for c in taken]


@dataclass(frozen=True)
class History:
    visits: list[Assessment]
    facts: list[VisitFacts]
    flags: list[Flag]

    @property
    def summaries(self) -> list[VisitSummary]:
        return [f.summary for f in self.facts]

    @property
    def active_flags(self) -> list[Flag]:
        return [f for f in self.flags if f.active]


def recorded_of(assessments: list[Assessment]) -> list[Assessment]:
    """The recorded visits among a child's assessments (see `child_assessments`), oldest first."""
    recorded = [a for a in assessments if a.status in RECORDED]
    return sorted(recorded, key=lambda a: (a.visited_on, a.submitted_at or dt.datetime.min, a.id))


# Built once (it runs on every child page): the child travels as a parameter.
_NO_ACCESS_DAYS = select(NoAccessVisit.attempted_on).where(NoAccessVisit.child_id == bindparam("child_id"))


def history(
    child: Child,
    *,
    with_answers: bool = False,
    assessments: list[Assessment] | None = None,
    changes: list[PlanChange] | None = None,
) -> History:
    """The child's recorded visits, what the trend rules see of them, and the flags. Pass the
    child's `assessments` and plan `changes` when they are loaded already."""
    if assessments is None:
        visits = recorded_visits(child.id, with_answers=with_answers)
    else:
        visits = recorded_of(assessments)
    facts = visit_facts(visits)
    settings = definition_for(visits[-1]).trends if visits else None
    downs = tuple(step_downs(plan_changes(child.id) if changes is None else changes)) if visits else ()
    register = adults.register_rows(child) if visits else ()
    no_access = tuple(sorted(db.session.connection().execute(_NO_ACCESS_DAYS, {"child_id": child.id}).scalars()))
    # The flags follow from the visits' recorded versions, the step-downs, the register and the
    # no-access attempts alone (who was seen at a visit is part of its version): worked out, with
    # who was seen when, once per set of them.
    key = (tuple(_facts_key(v) for v in visits), settings, downs, register, no_access)
    flags = _flags.get(key)
    if flags is None:
        summaries = [f.summary for f in facts]
        people = adults.facts(register, {v.id: f.adults_present for v, f in zip(visits, facts, strict=True)})
        flags = _flags.keep(key, trends.all_flags(summaries, settings, downs, people, no_access))
    return History(visits, facts, flags)


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
    for visit, facts in zip(record.visits, record.facts, strict=True):
        rows.append(
            TrendRow(
                visit.id,
                visit.visited_on,
                visit.recorded_rating,
                facts.summary.mean,  # none for a visit where something that must be seen was not
                tuple(facts.domain_worst.get(d) for d in domain_ids),
            )
        )
    return [d.title for d in latest.domains], rows


def _chart_visits(rows: list[TrendRow]) -> list[ChartVisit]:
    return [ChartVisit(f"{r.date.day} {r.date:%b %y}", r.rating, r.mean, r.domain_worst) for r in rows]


def _scale(record: History) -> dict[int, str]:
    return {int(g.value): g.display for g in definition_for(record.visits[-1]).grades if g.value in GRADED}


def _chart_moves(
    rows: list[TrendRow], moves: Sequence[tuple[dt.date, str]], plans: Sequence[PlanChange] = ()
) -> tuple[ChartMove, ...]:
    """Each move (date, kind of home) and each plan change that took effect (a plan starting or
    going up, or a step-down) placed between the visits before and after it."""

    def position(day: dt.date) -> float:
        return sum(1 for r in rows if r.date < day) - 0.5

    marks = [
        ChartMove(position(day), f"Moved {day.day} {day:%b %y}", f"{day.day} {day:%B %Y}", kind) for day, kind in moves
    ]
    for change in plans:
        if change.status in PLAN_IN_EFFECT:
            day = change.effective_date
            event = "step_down" if change.is_step_down else "plan"
            words = f"{change.to_label} {day.day} {day:%b %y}"
            marks.append(ChartMove(position(day), words, f"{day.day} {day:%B %Y}", change.to_label, event))
    return tuple(marks)


def trend_chart(
    record: History,
    titles: list[str],
    rows: list[TrendRow],
    moves: Sequence[tuple[dt.date, str]] = (),
    plans: Sequence[PlanChange] = (),
    *,
    printed: bool = False,
) -> str:
    """The chart of `trend_rows(record)`, its grades worded by the latest checklist version, with a
    marked line at each of the child's `moves` (date, kind of home) and `plans` changes, described
    by the sentence of `trend_sentence` (shown beside it with the id TREND_SUMMARY_ID). `printed`:
    one SVG per row of panels, so a PDF page can break between them."""
    if not rows:
        return ""
    marks = _chart_moves(rows, moves, plans)
    key = (tuple(_facts_key(v) for v in record.visits), tuple(titles), marks, printed)
    chart = _charts.get(key)
    if chart is None:
        visits, scale = _chart_visits(rows), _scale(record)
        if printed:
            drawn = "".join(
                f'<div class="heat-chart-row">{svg}</div>' for svg in trend_svg_rows(visits, titles, scale, moves=marks)
            )
        else:
            drawn = trend_svg(visits, titles, scale, described_by=TREND_SUMMARY_ID, moves=marks)
        chart = _charts.keep(key, drawn)
    return chart


def trend_sentence(
    record: History,
    titles: list[str],
    rows: list[TrendRow],
    moves: Sequence[tuple[dt.date, str]] = (),
    plans: Sequence[PlanChange] = (),
) -> str:
    """What the trend chart shows, in one sentence (and one each for the moves and plan changes)."""
    if not rows:
        return ""
    visits, scale, marks = _chart_visits(rows), _scale(record), _chart_moves(rows, moves, plans)
    # Worded once per distinct chart: keyed by everything the sentence says.
    key = (tuple(visits), tuple(titles), tuple(scale.items()), marks)
    sentence = _sentences.get(key)
    if sentence is None:
        sentence = _sentences.keep(key, trend_summary(visits, titles, scale, marks))
    return sentence
