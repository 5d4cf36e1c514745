"""The Practice quality page: reads the period's visits, decisions, flag answers, information
requests and no-access attempts of the teams a user may see (supervisors their team, auditors
every team, a practitioner their own), and hands them to the checklist core's measures.

What a visit found (children seen awake, must-see rooms and items seen, grades on the carer's word)
is counted when it is submitted (`checklists.practice_counts_of`); the page adds those counts up in
SQL, per practitioner, team and month, and reads grades only of visits with no counts yet. A
measure's CSV lists each thing it counted, so it reads the visits' grades, with the same rules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from flask import current_app
from sqlalchemy import Date, Table, and_, bindparam, case, func, select, update
from werkzeug.exceptions import NotFound

from heat.checklist import practice_quality as practice
from heat.checklist.practice_quality import MEASURES, TALLIED, MeasureFigures, Period, Records, Tally
from heat.checklist.vocabulary import FLAG_RESPONSES, NO_ACCESS_REASONS, RECORDED
from heat.extensions import db
from heat.models import (
    Assessment,
    Child,
    FlagResponse,
    InformationRequest,
    ItemGrade,
    NoAccessVisit,
    ReviewDecision,
    RoomCheck,
    Team,
    User,
    assessment_children,
    utcnow,
)
from heat.services import access
from heat.services.checklists import asked_answers, current_definition

DEFAULT_MONTHS = 3
KINDS = {"flags_answered": tuple(FLAG_RESPONSES.values()), "no_access": tuple(NO_ACCESS_REASONS.values())}


def default_period(today: dt.date) -> Period:
    """The last three months, to today."""
    start = today.replace(day=1)
    for _ in range(DEFAULT_MONTHS - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return Period(start, today)


@dataclass(frozen=True)
class Scope:
    """Whose figures a user sees: teams (all of them listed by team) and, for a practitioner, only
    their own; `team` is the team whose practitioners are listed."""

    team: Team
    teams: list[Team]  # every team the user may choose between (auditors); empty for a team's own staff
    team_ids: list[int]  # whose records are read
    practitioner_id: int | None  # a practitioner sees their own figures only


def scope_of(user: User, team_id: int | None) -> Scope:
    team, teams = access.dashboard_team(user, team_id)
    if access.sees_all_teams(user):
        return Scope(team, teams, [t.id for t in teams], None)
    return Scope(team, [], [team.id], user.id if user.role == "practitioner" else None)


def _visit_filter(scope: Scope) -> list:
    where: list[Any] = [Assessment.team_id.in_(scope.team_ids), Assessment.status.in_(RECORDED)]
    if scope.practitioner_id is not None:
        where.append(Assessment.created_by_id == scope.practitioner_id)
    return where


def _child_visits(scope: Scope, period: Period) -> list[practice.ChildVisit]:
    """Each child on each recorded visit in the period, with the child's recorded visit before it
    (from any time, by anyone: SQL's lag over the child's visits)."""
    frequency = current_app.config["HEAT_VISIT_FREQUENCY"]
    # The children visited in the period, joined as a table: SQLite checks `IN (subquery)` row by
    # row, and that was most of the page's time.
    visited = (
        select(assessment_children.c.child_id)
        .join(Assessment, assessment_children.c.assessment_id == Assessment.id)
        .where(*_visit_filter(scope), Assessment.visit_date.between(period.start, period.end))
        .distinct()
        .subquery()
    )
    ordered = (
        select(
            Assessment.id.label("visit_id"),
            Assessment.created_by_id,
            Assessment.team_id,
            Assessment.visit_date,
            Assessment.plan_status,
            func.lag(Assessment.visit_date, type_=Date)
            .over(
                partition_by=assessment_children.c.child_id,
                order_by=(Assessment.visit_date, Assessment.id),
            )
            .label("previous_visit"),
            assessment_children.c.child_id,
        )
        .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
        .join(visited, visited.c.child_id == assessment_children.c.child_id)
        .where(Assessment.status.in_(RECORDED), Assessment.visit_date <= period.end)
        .subquery()
    )
    rows = db.session.execute(select(ordered).where(ordered.c.visit_date >= period.start))
    return [
        practice.ChildVisit(
            r.visit_id,
            r.created_by_id,
            r.team_id,
            r.visit_date,
            r.previous_visit,
            frequency.get(r.plan_status or "none"),
        )
        for r in rows
        if r.team_id in scope.team_ids and scope.practitioner_id in (None, r.created_by_id)
    ]


def _counted_items() -> list[str]:
    definitions = current_app.extensions["heat_definitions"].values()
    return sorted(frozenset[str]().union(*(practice.counted_items(d) for d in definitions)))


def _grades_and_rooms(ids: Any) -> tuple[dict, dict, dict]:
    """The grades (of the items the measures read), their sources and the rooms of these visits."""
    grades: dict[int, dict[str, str]] = defaultdict(dict)
    sources: dict[int, dict[str, str | None]] = defaultdict(dict)
    for visit_id, item_id, grade, source in db.session.execute(
        select(ItemGrade.assessment_id, ItemGrade.item_id, ItemGrade.grade, ItemGrade.evidence_source).where(
            ItemGrade.assessment_id.in_(ids), ItemGrade.item_id.in_(_counted_items())
        )
    ):
        grades[visit_id][item_id] = grade
        sources[visit_id][item_id] = source
    rooms: dict[int, dict[str, str]] = defaultdict(dict)
    for visit_id, room_id, status in db.session.execute(
        select(RoomCheck.assessment_id, RoomCheck.room_id, RoomCheck.status).where(RoomCheck.assessment_id.in_(ids))
    ):
        rooms[visit_id][room_id] = status
    return grades, rooms, sources


_HEAD = (
    Assessment.id,
    Assessment.created_by_id,
    Assessment.team_id,
    Assessment.visit_date,
    Assessment.announced,
    Assessment.children_seen,
    Assessment.infant_seen_awake,
    Assessment.checklist_version,
    Assessment.ages,
)


def _as_visits(heads: Any, ids: Any) -> list[practice.Visit]:
    grades, rooms, sources = _grades_and_rooms(ids)
    visits = []
    for h in heads:
        definition, answers = asked_answers(h.checklist_version, h.ages, grades[h.id], rooms[h.id], sources[h.id])
        seen = practice.how_seen(h.children_seen, h.infant_seen_awake)
        visits.append(
            practice.Visit(h.id, h.created_by_id, h.team_id, h.visit_date, h.announced, seen, definition, answers)
        )
    return visits


def _visits(scope: Scope, period: Period) -> list[practice.Visit]:
    """The period's recorded visits with their grades, sources and rooms, read as plain rows."""
    in_period = and_(*_visit_filter(scope), Assessment.visit_date.between(period.start, period.end))
    return _as_visits(db.session.execute(select(*_HEAD).where(in_period)).all(), select(Assessment.id).where(in_period))


def _tallies(scope: Scope, period: Period) -> dict[str, list[Tally]]:
    """The measures of what visits found, from the counts stored on each visit, added up by the
    database per practitioner, team and month. SUM skips NULLs, so visits with no counts yet
    (recorded before they were stored and `flask practice counts` not run, a restored backup, an
    older instance during an upgrade) are counted here from their grades, by the same rules."""
    a = Assessment
    in_period = and_(*_visit_filter(scope), a.visit_date.between(period.start, period.end))
    year, month = func.extract("year", a.visit_date), func.extract("month", a.visit_date)
    unannounced = func.sum(case((a.announced.is_(False), 1), else_=0))
    sums = {
        "unannounced": (func.count(a.announced), unannounced),
        "seen_awake": (func.sum(a.children_asked_awake), func.sum(a.children_seen_awake)),
        "must_see_seen": (func.sum(a.must_see_asked), func.sum(a.must_see_seen)),
        "carer_word": (func.sum(a.critical_graded), func.sum(a.critical_on_carer_word)),
    }
    rows = db.session.execute(
        select(a.created_by_id, a.team_id, year, month, *(column for pair in sums.values() for column in pair))
        .where(in_period)
        .group_by(a.created_by_id, a.team_id, year, month)
    ).all()
    tallies: dict[str, list[Tally]] = {m: [] for m in sums}
    for by, team, y, m, *counted in rows:
        first = dt.date(int(y), int(m), 1)
        for n, measure in enumerate(sums):
            count, hits = counted[2 * n : 2 * n + 2]
            tallies[measure].append(Tally(by, team, first, int(count or 0), int(hits or 0)))
    uncounted = and_(in_period, a.must_see_asked.is_(None))
    heads = db.session.execute(select(*_HEAD).where(uncounted)).all()
    for v in _as_visits(heads, select(a.id).where(uncounted)) if heads else []:
        c = practice.visit_counts(v.definition, v.answers, v.seen)
        first = v.visit_date.replace(day=1)
        for measure, count, hits in (
            ("seen_awake", c.children_asked_awake, c.children_seen_awake),
            ("must_see_seen", c.must_see_asked, c.must_see_seen),
            ("carer_word", c.critical_graded, c.critical_on_carer_word),
        ):
            tallies[measure].append(Tally(v.practitioner_id, v.team_id, first, count, hits))
    return tallies


def _submissions(scope: Scope, period: Period) -> list[practice.Submission]:
    first = (
        select(func.min(ReviewDecision.decided_at))
        .where(ReviewDecision.assessment_id == Assessment.id, ReviewDecision.decided_at >= Assessment.submitted_at)
        .correlate(Assessment)
        .scalar_subquery()
    )
    # A day either side: the period is in local days, the times in UTC.
    since = dt.datetime.combine(period.start - dt.timedelta(days=1), dt.time())
    until = dt.datetime.combine(period.end + dt.timedelta(days=2), dt.time())
    rows = db.session.execute(
        select(
            Assessment.id,
            Assessment.created_by_id,
            Assessment.team_id,
            Assessment.rating,
            Assessment.submitted_at,
            first,
        ).where(*_visit_filter(scope), Assessment.submitted_at >= since, Assessment.submitted_at < until)
    )
    return [practice.Submission(*r) for r in rows]


def _flag_answers(scope: Scope, period: Period) -> list[practice.FlagAnswer]:
    since = dt.datetime.combine(period.start - dt.timedelta(days=1), dt.time())
    until = dt.datetime.combine(period.end + dt.timedelta(days=2), dt.time())
    rows = db.session.execute(
        select(
            Assessment.id,
            Assessment.created_by_id,
            Assessment.team_id,
            ReviewDecision.decided_at,
            FlagResponse.response,
        )
        .join(ReviewDecision, FlagResponse.decision_id == ReviewDecision.id)
        .join(Assessment, ReviewDecision.assessment_id == Assessment.id)
        .where(*_visit_filter(scope), ReviewDecision.decided_at >= since, ReviewDecision.decided_at < until)
    )
    return [
        practice.FlagAnswer(visit_id, by, team, practice.local_day(at), FLAG_RESPONSES[response])
        for visit_id, by, team, at, response in rows
    ]


def _requests(scope: Scope, period: Period, limit: int) -> list[practice.Request]:
    # Asked early enough to fall due in the period: `limit` working days is at most this long.
    earliest = period.start - dt.timedelta(days=2 * limit + 14)
    query = (
        select(
            InformationRequest.id,
            InformationRequest.by_id,
            Child.team_id,
            InformationRequest.asked_on,
            InformationRequest.received_on,
            InformationRequest.withdrawn_on,
        )
        .join(Child, InformationRequest.child_id == Child.id)
        .where(
            Child.team_id.in_(scope.team_ids),
            Child.erased_at.is_(None),
            InformationRequest.by_id.is_not(None),
            InformationRequest.asked_on.between(earliest, period.end),
        )
    )
    if scope.practitioner_id is not None:
        query = query.where(InformationRequest.by_id == scope.practitioner_id)
    return [practice.Request(*r) for r in db.session.execute(query)]


def _no_access(scope: Scope, period: Period) -> list[practice.NoAccess]:
    query = (
        select(NoAccessVisit.id, NoAccessVisit.by_id, Child.team_id, NoAccessVisit.attempted_on, NoAccessVisit.reason)
        .join(Child, NoAccessVisit.child_id == Child.id)
        .where(
            Child.team_id.in_(scope.team_ids),
            Child.erased_at.is_(None),
            NoAccessVisit.attempted_on.between(period.start, period.end),
        )
    )
    if scope.practitioner_id is not None:
        query = query.where(NoAccessVisit.by_id == scope.practitioner_id)
    return [
        practice.NoAccess(id_, by, team, on, NO_ACCESS_REASONS[reason])
        for id_, by, team, on, reason in db.session.execute(query)
    ]


# The records each measure reads, by the name of their field in `Records`.
READS = {
    "visits_on_time": "child_visits",
    "decision_time": "submissions",
    "reds_same_day": "submissions",
    "unannounced": "visits",
    "seen_awake": "visits",
    "must_see_seen": "visits",
    "carer_word": "visits",
    "flags_answered": "flag_answers",
    "requests_overdue": "requests",
    "no_access": "no_access",
}


def records_for(scope: Scope, period: Period, measure_ids: list[str], now: dt.datetime | None = None) -> Records:
    """The records these measures read, and no others."""
    limit = current_definition().trends.request_working_days
    loaders: dict[str, Callable[[], Sequence[Any]]] = {
        "child_visits": lambda: _child_visits(scope, period),
        "visits": lambda: _visits(scope, period),
        "submissions": lambda: _submissions(scope, period),
        "flag_answers": lambda: _flag_answers(scope, period),
        "requests": lambda: _requests(scope, period, limit),
        "no_access": lambda: _no_access(scope, period),
    }
    needed = {READS[m] for m in measure_ids}
    return Records(
        **{name: load() for name, load in loaders.items() if name in needed},
        request_limit=limit,
        now=now or utcnow(),
    )


@dataclass(frozen=True)
class PracticeQuality:
    scope: Scope
    period: Period
    measures: list[MeasureFigures]
    team_names: dict[int, str]
    names: dict[int, str]  # practitioners by id
    # The chosen team's practitioners (or the practitioner themself), named, in name order
    practitioners: list[tuple[int, str]]


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).tuples().all())


def practice_quality(
    user: User, team_id: int | None, period: Period, measure_id: str | None = None, now: dt.datetime | None = None
) -> PracticeQuality:
    """Every measure (or just `measure_id`'s, for its CSV) over the period for the user's scope."""
    if measure_id is not None and measure_id not in MEASURES:
        raise NotFound()
    scope = scope_of(user, team_id)
    if measure_id is not None:  # a CSV: each thing counted, so from the records themselves
        records = records_for(scope, period, [measure_id], now)
        measures = [practice.measure_figures(measure_id, records, period, KINDS)]
    else:
        tallies = _tallies(scope, period)
        records = records_for(scope, period, [m for m in MEASURES if m not in TALLIED], now)
        measures = [
            practice.tallied_figures(m, tallies[m], period)
            if m in TALLIED
            else practice.measure_figures(m, records, period, KINDS)
            for m in MEASURES
        ]
    ids = {p for m in measures for p in m.by_practitioner}
    names = _names(ids | ({scope.practitioner_id} if scope.practitioner_id else set()))
    teams = scope.teams or [scope.team]
    listed = (
        [scope.practitioner_id]
        if scope.practitioner_id
        else sorted({p for m in measures for p, team in m.practitioner_teams if team == scope.team.id})
    )
    return PracticeQuality(
        scope,
        period,
        measures,
        {t.id: t.name for t in teams},
        names,
        sorted(((p, names.get(p, "Unknown")) for p in listed), key=lambda pair: (pair[1], pair[0])),
    )


def fill_counts(batch: int = 500) -> int:
    """Count what the measures count at up to `batch` recorded visits that have no counts yet (those
    recorded before the counts were stored), as submitting does. The caller commits, and calls
    again until none is left (`flask practice counts`, run by `make migrate`). Returns how many."""
    table = cast(Table, Assessment.__table__)
    heads = db.session.execute(
        select(*_HEAD)
        .where(Assessment.status.in_(RECORDED), Assessment.must_see_asked.is_(None))
        .order_by(Assessment.id)
        .limit(batch)
    ).all()
    if not heads:
        return 0
    store = (
        update(table)
        .where(table.c.id == bindparam("visit_id"))
        .values({name: bindparam(name) for name in practice.VisitCounts.__dataclass_fields__})
    )
    visits = _as_visits(heads, [h.id for h in heads])
    db.session.execute(
        store, [{"visit_id": v.id, **asdict(practice.visit_counts(v.definition, v.answers, v.seen))} for v in visits]
    )
    return len(visits)


CSV_HEADER = ("team", "practitioner", "date", "record", "value")


def csv_rows(quality: PracticeQuality) -> Iterator[tuple]:
    """One row per thing the measure counted, so each figure can be checked by hand."""
    figures = quality.measures[0]
    yield CSV_HEADER
    for o in sorted(figures.observations, key=lambda o: (o.day, o.record)):
        value = o.value
        counted = (
            "yes"
            if value is True
            else "no"
            if value is False
            else f"{value:.1f}"
            if isinstance(value, float)
            else value
        )
        yield (
            quality.team_names.get(o.team_id, ""),
            quality.names.get(o.practitioner_id, ""),
            o.day.isoformat(),
            o.record,
            counted,
        )
