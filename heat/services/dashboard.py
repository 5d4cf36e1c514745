"""The team dashboard: every child of a team with their stored summary and overdue actions,
filtered, sorted and paged in one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, case, func, or_, select

from heat.checklist.vocabulary import (
    ACTIONS_OUTSTANDING,
    AMBER,
    DIRECTIONS,
    INCOMPLETE,
    PLAN_IN_EFFECT,
    PLAN_STATUSES,
    RATINGS,
    RED,
)
from heat.extensions import db
from heat.models import Action, Assessment, Child, ChildAddress, PlanChange, Team, User, utcnow
from heat.services import access, agencies, paging, reviews

STEPPED_DOWN_DAYS = 183  # "Stepped down in the last 6 months"
MOVED_DAYS = 92  # "Moved in the last 3 months"

# "Most at risk first" weighs the rating and the active flags together: Red first; then the
# rating's rank (Green 0, Amber 1, Incomplete 2) plus the number of active flags, highest first, so
# a Green child with 4 active flags comes before an Incomplete child with none; a tie goes to the
# worse rating, then to more flags, then to the direction of travel. Children never visited last.
RATING_RANK = case({r.id: r.rank for r in RATINGS.values()}, value=Child.latest_rating, else_=-1)
DASHBOARD_SORTS = {
    "rating": (
        case((Child.latest_rating == RED.id, 0), else_=1),
        (RATING_RANK + Child.flag_count).desc(),
        RATING_RANK.desc(),
        Child.flag_count.desc(),
        case({d: n for n, d in enumerate(DIRECTIONS)}, value=Child.direction, else_=len(DIRECTIONS)),
    ),
    "name": (Child.last_name, Child.first_name),
    "last_visit": (Child.last_visit_date.asc().nulls_first(),),
    "due": (Child.next_visit_due.asc().nulls_last(),),
    "flags": (Child.flag_count.desc(),),
}
DASHBOARD_FILTERS = {
    **{rating: Child.latest_rating == rating for rating in (RED.id, AMBER.id, INCOMPLETE.id)},
    "flagged": Child.flag_count > 0,
    "worse": Child.direction == "worse",
}


def dashboard_query(
    children_query: Select[Any], *, sort: str, show: str | None, plan: str | None, today: dt.date
) -> Select[Any]:
    """Children with their summaries and overdue actions, in one query."""
    overdue = (
        select(func.count(Action.id))
        .where(
            Action.assessment_id == Child.latest_assessment_id,
            Action.status.in_(ACTIONS_OUTSTANDING),
            Action.due_date < today,
        )
        .correlate(Child)
        .scalar_subquery()
    )
    query = children_query.add_columns(overdue.label("overdue_actions"))
    if show == "waiting":
        query = query.where(agencies.waiting_for_information(today))
    elif show == "moved":
        query = query.where(moved_since(today - dt.timedelta(days=MOVED_DAYS)))
    elif show == "stepped_down":
        query = query.where(stepped_down_since(today - dt.timedelta(days=STEPPED_DOWN_DAYS)))
    elif show == "overdue_visit":
        query = query.where(visit_overdue(today))
    elif show in DASHBOARD_FILTERS:
        query = query.where(DASHBOARD_FILTERS[show])
    if plan in PLAN_STATUSES:
        query = query.where(Child.plan_status == plan)
    return query.order_by(*DASHBOARD_SORTS.get(sort, DASHBOARD_SORTS["rating"]), Child.id)


def visit_overdue(today: dt.date) -> Any:
    """SQL: the child's next visit was due before `today`, or a child on a plan was never visited."""
    return or_(
        Child.next_visit_due < today,
        and_(Child.last_visit_date.is_(None), Child.plan_status.in_(("cp", "cin"))),
    )


def _plan_rank(column: Any) -> Any:
    return case({status: n for n, status in enumerate(PLAN_STATUSES)}, value=column)


def stepped_down_since(day: dt.date) -> Any:
    """The child's plan went down (a step-down that took effect) on or after `day`."""
    return (
        select(PlanChange.id)
        .where(
            PlanChange.child_id == Child.id,
            PlanChange.status.in_(PLAN_IN_EFFECT),
            PlanChange.effective_date >= day,
            _plan_rank(PlanChange.to_status) < _plan_rank(PlanChange.from_status),
        )
        .correlate(Child)
        .exists()
    )


def moved_since(day: dt.date) -> Any:
    """The child moved home (an address after their first) on or after `day`."""
    return (
        select(ChildAddress.id)
        .where(ChildAddress.child_id == Child.id, ChildAddress.is_move.is_(True), ChildAddress.from_date >= day)
        .correlate(Child)
        .exists()
    )


def time_since(then: dt.datetime, now: dt.datetime) -> str:
    """'40 minutes', '3 hours', '2 days': how long something has waited."""
    minutes = max(int((now - then).total_seconds() // 60), 0)
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size or size == 1:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class RedWaiting:
    assessment: Assessment
    waiting: str  # time since submission, in words


# The dashboard names this many of a list that grows with the team (Reds waiting, visits needing a
# second supervisor), longest waiting first, and says how many there are in all.
NAMED = 10


def _reds(team_id: int) -> Select[Any]:
    return select(Assessment).where(
        Assessment.team_id == team_id, Assessment.status == "submitted", Assessment.rating == RED.id
    )


def reds_waiting(team_id: int, now: dt.datetime, limit: int | None = None) -> list[RedWaiting]:
    """The team's Red visits waiting for a supervisor's decision, longest waiting first (the
    first `limit` of them)."""
    return [
        RedWaiting(a, time_since(a.submitted_at or now, now)) for a in reviews.longest_waiting(_reds(team_id), limit)
    ]


def count(query: Select[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


@dataclass(frozen=True)
class Dashboard:
    team: Team
    teams: list[Team]  # the teams the viewer may choose between (auditors); empty for a team's own staff
    pager: Pagination  # rows of (child, overdue action count)
    workers: dict[int, str]  # allocated worker names by id, for the children shown
    today: dt.date
    second_supervisor: list[Assessment]  # submitted, and no supervisor of the team may review them (the first NAMED)
    second_supervisor_total: int
    reds_waiting: list[RedWaiting]  # shown at the top: a Red needs action today (the first NAMED)
    reds_total: int


def dashboard(
    user: User, team_id: int | None, *, sort: str, show: str | None, plan: str | None, page: int | None
) -> Dashboard:
    team, teams = access.dashboard_team(user, team_id)
    today = dt.date.today()
    children = access.children_query(user).where(Child.team_id == team.id)
    query = dashboard_query(children, sort=sort, show=show, plan=plan, today=today)
    pager = paging.paginate(query, page, rows=True)
    worker_ids = {child.allocated_worker_id for child, _ in pager.items} - {None}
    workers = {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(worker_ids)))}
    second = reviews.needing_second_supervisor_query(team.id)
    return Dashboard(
        team,
        teams,
        pager,
        workers,
        today,
        reviews.longest_waiting(second, NAMED),
        count(second),
        reds_waiting(team.id, utcnow(), NAMED),
        count(_reds(team.id)),
    )
