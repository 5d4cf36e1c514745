"""The significant adults around a child, shared by the children of a household: who they are
(relationship, sex), whether they live here, stay overnight, visit or only have contact, whether
they care for the child or have parental responsibility, the checks done on them, and the visits
they were seen at (only a Yes to "Here at this visit?" counts). The "People present" section starts from this
register; someone new joins it. The caller commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import selectinload

from heat.checklist.trends import AdultSeen
from heat.checklist.vocabulary import RECORDED, RELATIONSHIPS, RESIDENCE, SEX, YES_NO_UNKNOWN
from heat.extensions import db
from heat.models import (
    AdultCheck,
    Assessment,
    Child,
    PersonPresent,
    SignificantAdult,
    User,
    assessment_children,
    must_be_seen,
    relationship_label,
    why_seen,
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


@dataclass(frozen=True)
class About:
    """What is recorded about an adult, on the register's form or at a visit. A value outside its
    list (or none) leaves what the register holds."""

    relationship: str | None = None  # RELATIONSHIPS
    sex: str | None = None  # SEX
    residence: str | None = None  # RESIDENCE
    cares_for_child: str | None = None  # YES_NO_UNKNOWN
    parental_responsibility: str | None = None  # YES_NO_UNKNOWN


def join_register(
    assessment: Assessment, register: list[SignificantAdult], name: str, about: About
) -> SignificantAdult:
    """Someone recorded at a visit who is not on the `register` yet (matched by name) joins it,
    whether or not they were here. Nothing is flushed: a save moves its assessment one version on,
    however many adults join."""
    for adult in register:
        if adult.name.strip().lower() == name.strip().lower():
            return adult
    child = assessment.children[0]
    adult = SignificantAdult(
        child_id=child.id,
        household_id=child.household_id,
        name=name[:200],
        residence="visiting",
        recorded_on=assessment.visit_date or dt.date.today(),
        recorded_by_id=assessment.created_by_id,
    )
    update_from_visit(adult, about)
    db.session.add(adult)
    register.append(adult)
    return adult


def update_from_visit(adult: SignificantAdult, about: About) -> None:
    """What a visit recorded about someone on the register: the register keeps the latest."""
    if about.relationship in RELATIONSHIPS:
        adult.relationship_to_child = about.relationship
    if about.sex in SEX:
        adult.sex = about.sex
    if about.residence in RESIDENCE:
        adult.residence = about.residence
    if about.cares_for_child in YES_NO_UNKNOWN:
        adult.cares_for_child = about.cares_for_child
    if about.parental_responsibility in YES_NO_UNKNOWN:
        adult.parental_responsibility = about.parental_responsibility


def add_adult(child: Child, user: User, name: str, about: About) -> SignificantAdult:
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Enter the adult's name, or a description if you do not know it")
    if about.relationship not in RELATIONSHIPS:
        raise FieldError("relationship", "Select their relationship to the child, or Not known")
    if about.sex is not None and about.sex not in SEX:
        raise FieldError("sex", "Select their sex from the list")
    if about.residence not in RESIDENCE:
        raise FieldError("residence", "Select whether they live here, stay overnight, visit or have contact")
    if about.cares_for_child not in YES_NO_UNKNOWN:
        raise FieldError("cares_for_child", "Select whether they care for the child")
    if about.parental_responsibility not in YES_NO_UNKNOWN:
        raise FieldError("parental_responsibility", "Select whether they have parental responsibility")
    if any(a.name.strip().lower() == name.lower() for a in register_for([child])):
        raise FieldError("name", f"{name} is already on the register")
    adult = SignificantAdult(
        child_id=child.id,
        household_id=child.household_id,
        name=name[:200],
        residence=about.residence,
        recorded_on=dt.date.today(),
        recorded_by_id=user.id,
    )
    update_from_visit(adult, about)
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


def never_seen(child: Child, present: Iterable[frozenset[int]]) -> list[SignificantAdult]:
    """The adults a visit must see (in the home, or a parent with contact) who have not been seen
    at any of the child's recorded visits, given who was `present` at each (their derived facts:
    the same visits `seen` finds, without its query): for the decision pages."""
    at_some_visit = frozenset().union(*present)
    return [a for a in register_for([child]) if a.must_be_seen and a.id not in at_some_visit]


# Built once (it runs on every child page with a visit): the child and household travel as parameters.
_REGISTER_FACTS = (
    select(
        SignificantAdult.id,
        SignificantAdult.name,
        SignificantAdult.relationship_to_child,
        SignificantAdult.residence,
        SignificantAdult.cares_for_child,
        SignificantAdult.parental_responsibility,
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
    id, name, relationship, residence, cares for the child, parental responsibility, recorded on."""
    return tuple(
        tuple(row)
        for row in db.session.connection().execute(
            _REGISTER_FACTS, {"child_id": child.id, "household_id": child.household_id}
        )
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
            relationship_label(relationship) if relationship not in (None, "not_known") else "relationship not known",
            must_be_seen(residence, cares, relationship, responsibility),
            recorded_on,
            frozenset(at.get(adult_id, ())),
            why_seen(residence, cares, relationship, responsibility),
        )
        for adult_id, name, relationship, residence, cares, responsibility, recorded_on in rows
    )
