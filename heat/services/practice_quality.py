"""The Practice quality page: reads the period's visits, decisions, flag answers, information
requests and no-access attempts of the teams a user may see (supervisors their team, auditors
every team, a practitioner their own), and hands them to the checklist core's measures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Date, and_, func, select
from werkzeug.exceptions import NotFound

from heat.checklist import practice_quality as practice
from heat.checklist.practice_quality import MEASURES, MeasureFigures, Period, Records
from heat.checklist.scoring import Answers
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
from heat.services.checklists import current_definition, definition_for_version

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
        .where(
            Assessment.status.in_(RECORDED),
            Assessment.visit_date <= period.end,
            assessment_children.c.child_id.in_(
                select(assessment_children.c.child_id)
                .join(Assessment, assessment_children.c.assessment_id == Assessment.id)
                .where(*_visit_filter(scope), Assessment.visit_date.between(period.start, period.end))
            ),
        )
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


def _visits(scope: Scope, period: Period) -> list[practice.Visit]:
    """The period's recorded visits with their grades, sources and rooms, read as plain rows."""
    in_period = and_(*_visit_filter(scope), Assessment.visit_date.between(period.start, period.end))
    heads = db.session.execute(
        select(
            Assessment.id,
            Assessment.created_by_id,
            Assessment.team_id,
            Assessment.visit_date,
            Assessment.announced,
            Assessment.children_seen,
            Assessment.infant_seen_awake,
            Assessment.checklist_version,
            Assessment.ages,
        ).where(in_period)
    ).all()
    ids = select(Assessment.id).where(in_period)
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
    visits = []
    for h in heads:
        definition = definition_for_version(h.checklist_version)
        ages = frozenset(h.ages) if definition.weighs_evidence and h.ages else None
        if ages is not None:
            definition = definition.for_ages(ages)
        seen = tuple(c.get("seen") or "" for c in (h.children_seen or {}).values()) or (h.infant_seen_awake or "",)
        answers = Answers(grades[h.id], rooms[h.id], sources[h.id], ages=ages)
        visits.append(
            practice.Visit(h.id, h.created_by_id, h.team_id, h.visit_date, h.announced, seen, definition, answers)
        )
    return visits


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


def records_for(scope: Scope, period: Period, now: dt.datetime | None = None) -> Records:
    limit = current_definition().trends.request_working_days
    return Records(
        child_visits=_child_visits(scope, period),
        visits=_visits(scope, period),
        submissions=_submissions(scope, period),
        flag_answers=_flag_answers(scope, period),
        requests=_requests(scope, period, limit),
        no_access=_no_access(scope, period),
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
    records = records_for(scope, period, now)
    chosen = [measure_id] if measure_id else list(MEASURES)
    measures = [practice.measure_figures(m, records, period, KINDS) for m in chosen]
    ids = {o.practitioner_id for m in measures for o in m.observations}
    names = _names(ids | ({scope.practitioner_id} if scope.practitioner_id else set()))
    teams = scope.teams or [scope.team]
    listed = (
        [scope.practitioner_id]
        if scope.practitioner_id
        else sorted({o.practitioner_id for m in measures for o in m.observations if o.team_id == scope.team.id})
    )
    return PracticeQuality(
        scope,
        period,
        measures,
        {t.id: t.name for t in teams},
        names,
        sorted(((p, names.get(p, "Unknown")) for p in listed), key=lambda pair: (pair[1], pair[0])),
    )


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
