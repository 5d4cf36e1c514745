"""The significant adults around a child, shared by the children of a household: who they are,
whether they live here, stay overnight or visit, whether they care for the child, the checks
done on them, and the visits they were seen at. The "People present" section starts from this
register; someone new joins it. The caller commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from heat.checklist.trends import AdultSeen
from heat.extensions import db
from heat.models import (
    RECORDED,
    RESIDENCE,
    YES_NO_UNKNOWN,
    AdultCheck,
    Assessment,
    Child,
    PersonPresent,
    SignificantAdult,
    User,
    assessment_children,
    in_the_home,
)
from heat.services import audit
from heat.services.errors import FieldError


def _whose(children: Sequence[Child]):
    households = {c.household_id for c in children if c.household_id is not None}
    ids = [c.id for c in children]
    clauses = [SignificantAdult.child_id.in_(ids)]
    if households:
        clauses.append(SignificantAdult.household_id.in_(households))
    return or_(*clauses)


def register_for(children: Sequence[Child]) -> list[SignificantAdult]:
    """The adults recorded for these children or their households, oldest first."""
    if not children:
        return []
    return list(
        db.session.scalars(
            select(SignificantAdult)
            .where(_whose(children))
            .order_by(SignificantAdult.id)
            .options(selectinload(SignificantAdult.checks))
        )
    )


def join_register(
    assessment: Assessment,
    register: list[SignificantAdult],
    name: str,
    relationship: str | None,
    residence: str | None,
    cares: str | None,
) -> SignificantAdult:
    """Someone recorded as present who is not on the `register` yet (matched by name) joins it.
    Nothing is flushed: a save moves its assessment one version on, however many adults join."""
    for adult in register:
        if adult.name.strip().lower() == name.strip().lower():
            return adult
    child = assessment.children[0]
    adult = SignificantAdult(
        child_id=child.id,
        household_id=child.household_id,
        name=name[:200],
        relationship_to_child=(relationship or None),
        residence=residence if residence in RESIDENCE else "visiting",
        cares_for_child=cares if cares in YES_NO_UNKNOWN else "unknown",
        recorded_on=assessment.visit_date or dt.date.today(),
        recorded_by_id=assessment.created_by_id,
    )
    db.session.add(adult)
    register.append(adult)
    return adult


def update_from_visit(adult: SignificantAdult, residence: str | None, cares: str | None) -> None:
    """What a visit recorded about someone on the register (lives here, cares for the child)."""
    if residence in RESIDENCE:
        adult.residence = residence
    if cares in YES_NO_UNKNOWN:
        adult.cares_for_child = cares


def add_adult(
    child: Child, user: User, name: str, relationship: str | None, residence: str | None, cares: str | None
) -> SignificantAdult:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Enter the adult's name, or a description if you do not know it")
    if residence not in RESIDENCE:
        raise FieldError("residence", "Select whether they live here, stay overnight or visit")
    if cares not in YES_NO_UNKNOWN:
        raise FieldError("cares_for_child", "Select whether they care for the child")
    if any(a.name.strip().lower() == name.lower() for a in register_for([child])):
        raise FieldError("name", f"{name} is already on the register")
    adult = SignificantAdult(
        child_id=child.id,
        household_id=child.household_id,
        name=name[:200],
        relationship_to_child=(relationship or "").strip() or None,
        residence=residence,
        cares_for_child=cares,
        recorded_on=dt.date.today(),
        recorded_by_id=user.id,
    )
    db.session.add(adult)
    db.session.flush()
    audit.record("adult_added", user=user, child_id=child.id, detail=f"adult {adult.id}")
    return adult


def adult_of(child: Child, adult_id: int) -> SignificantAdult | None:
    return next((a for a in register_for([child]) if a.id == adult_id), None)


def add_check(adult: SignificantAdult, child: Child, user: User, checked_on: dt.date | None, note: str) -> AdultCheck:
    if checked_on is None:
        raise FieldError("checked_on", "Enter the date of the check")
    if checked_on > dt.date.today():
        raise FieldError("checked_on", "Date of the check must be today or in the past")
    note = (note or "").strip()
    if not note:
        raise FieldError("note", "Say what was checked and what it found")
    check = AdultCheck(adult_id=adult.id, checked_on=checked_on, note=note, by_id=user.id)
    db.session.add(check)
    audit.record("adult_check_added", user=user, child_id=child.id, detail=f"adult {adult.id}")
    return check


@dataclass(frozen=True)
class Seen:
    adult: SignificantAdult
    visit_ids: frozenset[int]  # the child's recorded visits they were seen at
    last_seen: dt.date | None


def seen(child: Child, register: list[SignificantAdult] | None = None) -> list[Seen]:
    """Each adult on the child's register with the child's recorded visits they were seen at."""
    register = register_for([child]) if register is None else register
    if not register:
        return []
    rows = db.session.execute(
        select(PersonPresent.adult_id, Assessment.id, Assessment.visit_date)
        .join(Assessment, Assessment.id == PersonPresent.assessment_id)
        .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
        .where(
            assessment_children.c.child_id == child.id,
            Assessment.status.in_(RECORDED),
            PersonPresent.adult_id.in_([a.id for a in register]),
        )
    ).all()
    visits: dict[int, set[int]] = {}
    last: dict[int, dt.date] = {}
    for adult_id, visit_id, day in rows:
        visits.setdefault(adult_id, set()).add(visit_id)
        if day is not None and (adult_id not in last or day > last[adult_id]):
            last[adult_id] = day
    return [Seen(a, frozenset(visits.get(a.id, ())), last.get(a.id)) for a in register]


# Built once (it runs on every child page with a visit): the child and household travel as parameters.
_REGISTER_FACTS = (
    select(
        SignificantAdult.id,
        SignificantAdult.name,
        SignificantAdult.residence,
        SignificantAdult.cares_for_child,
        SignificantAdult.recorded_on,
    )
    .where(
        or_(
            SignificantAdult.child_id == bindparam("child_id"),
            SignificantAdult.household_id == bindparam("household_id"),  # none matches NULL
        )
    )
    .order_by(SignificantAdult.id)
)


def register_rows(child: Child) -> tuple[tuple, ...]:
    """The child's register (as `register_for`) as plain rows of what the flags about adults read:
    id, name, residence, cares for the child, recorded on."""
    return tuple(
        tuple(row)
        for row in db.session.execute(_REGISTER_FACTS, {"child_id": child.id, "household_id": child.household_id})
    )


def facts(rows: Sequence[tuple], present: Mapping[int, frozenset[int]]) -> tuple[AdultSeen, ...]:
    """What the flags about adults need, as plain values: each adult of `register_rows` with the
    visits they were seen at, from `present` (each recorded visit's id: the adults at it) -- the
    same visits `seen` finds, read from the visits' derived facts instead of a query."""
    at: dict[int, set[int]] = {}
    for visit_id, adult_ids in present.items():
        for adult_id in adult_ids:
            at.setdefault(adult_id, set()).add(visit_id)
    return tuple(
        AdultSeen(
            adult_id,
            name,
            in_the_home(residence, cares),
            recorded_on,
            frozenset(at.get(adult_id, ())),
        )
        for adult_id, name, residence, cares, recorded_on in rows
    )
