"""Calibration cases: an administrator drafts a practice case (a written description of a home,
with photos if they like, each with the words that say what it shows, made again from its pixels as
a visit's photos are: services/photos.py), gives its reference grades and publishes it, frozen; each
practitioner grades it once, privately, then sees their grades beside the reference and the team's
spread; a supervisor sees how far each of their team agrees with the reference. None of it touches
a child's record, trend, flag, dashboard or export. The caller commits."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from heat.checklist import Definition, Item
from heat.checklist.calibration import MIN_SPREAD, Agreement, agreement, spread
from heat.checklist.vocabulary import AGES
from heat.extensions import db
from heat.models import PracticeAttempt, PracticeCase, PracticeCasePhoto, User, utcnow
from heat.services import audit, photos, sealing
from heat.services.checklists import definition_for_version
from heat.services.errors import FieldError
from heat.services.photos import Prepared


@dataclass(frozen=True)
class CaseDetails:
    title: str
    description: str
    checklist_version: str
    age_group: str


def versions() -> list[str]:
    """The checklist versions a case may use, newest first."""
    return sorted(current_app.extensions["heat_definitions"], reverse=True)


def definition_of(case: PracticeCase) -> Definition:
    """The checklist the case is graded with: the items asked for its child's age, as a visit would."""
    definition = definition_for_version(case.checklist_version)
    return definition.for_ages(frozenset({case.age_group})) if definition.weighs_evidence else definition


def all_cases() -> list[PracticeCase]:
    return list(db.session.scalars(select(PracticeCase).order_by(PracticeCase.created_at.desc(), PracticeCase.id)))


def published_cases() -> list[PracticeCase]:
    query = select(PracticeCase).where(PracticeCase.status == "published")
    return list(db.session.scalars(query.order_by(PracticeCase.published_at.desc(), PracticeCase.id)))


def _check(details: CaseDetails) -> None:
    if details.checklist_version not in current_app.extensions["heat_definitions"]:
        raise FieldError("checklist_version", "Select a checklist version from the list")
    if details.age_group not in AGES:
        raise FieldError("age_group", "Select the age of the most vulnerable child")


def _frozen(case: PracticeCase) -> None:
    if case.published:
        raise FieldError("submit", "This practice case has been published, so it cannot be changed")


def create(user: User, details: CaseDetails) -> PracticeCase:
    _check(details)
    case = PracticeCase(
        title=details.title,
        description=details.description,
        checklist_version=details.checklist_version,
        age_group=details.age_group,
        reference_grades={},
        created_by_id=user.id,
    )
    db.session.add(case)
    db.session.flush()
    audit.record("practice_case_created", user=user, detail=f"practice case {case.id}")
    return case


def change(case: PracticeCase, user: User, details: CaseDetails) -> PracticeCase:
    """Change a draft. Reference grades of items the new version or age no longer asks are dropped."""
    _frozen(case)
    _check(details)
    case.title, case.description = details.title, details.description
    case.checklist_version, case.age_group = details.checklist_version, details.age_group
    asked = {item.id for item in definition_of(case).items}
    case.reference_grades = {k: v for k, v in case.reference_grades.items() if k in asked}
    audit.record("practice_case_changed", user=user, detail=f"practice case {case.id}")
    return case


def _graded(case: PracticeCase, grades: dict[str, str]) -> dict[str, str]:
    """Only the items the case asks, with a grade from its checklist's scale."""
    definition = definition_of(case)
    scale = {g.value for g in definition.grades}
    return {item.id: grades[item.id] for item in definition.items if grades.get(item.id) in scale}


PHOTOS_PER_CASE = 10
PHOTO_PURPOSE = b"heat practice case photo"
CASE_FULL = f"You can add up to {PHOTOS_PER_CASE} photos to a practice case"


def add_photo(case: PracticeCase, user: User, photo: Prepared, caption: str) -> PracticeCasePhoto:
    """Keep a photo of a draft case's home (sealed), with what it shows; the same picture sent
    again is the one kept already."""
    _frozen(case)
    key = hashlib.sha256(f"practice case {case.id}\n".encode() + photo.jpeg).hexdigest()
    kept = next((p for p in case.photos if p.key == key), None)
    if kept is not None:
        return kept
    if len(case.photos) >= PHOTOS_PER_CASE:
        raise FieldError("photo", CASE_FULL)
    row = PracticeCasePhoto(caption=caption, **photos.sealed(PHOTO_PURPOSE, key, photo, user))
    case.photos.append(row)
    db.session.flush()
    audit.record("practice_photo_added", user=user, detail=f"practice case {case.id}: photo {row.id}")
    return row


def remove_photo(case: PracticeCase, user: User, photo_id: int) -> bool:
    """Take a photo off a draft case: False when the case has no such photo."""
    _frozen(case)
    photo = next((p for p in case.photos if p.id == photo_id), None)
    if photo is None:
        return False
    case.photos.remove(photo)
    audit.record("practice_photo_removed", user=user, detail=f"practice case {case.id}: photo {photo_id}")
    return True


def photo_jpeg(photo: PracticeCasePhoto) -> bytes:
    return sealing.unseal(PHOTO_PURPOSE, photo.sealed, photo.key.encode())


def set_reference(case: PracticeCase, user: User, grades: dict[str, str]) -> PracticeCase:
    _frozen(case)
    case.reference_grades = _graded(case, grades)
    audit.record("practice_reference_saved", user=user, detail=f"practice case {case.id}")
    return case


def missing_reference(case: PracticeCase) -> list[Item]:
    return [item for item in definition_of(case).items if item.id not in case.reference_grades]


def publish(case: PracticeCase, user: User) -> PracticeCase:
    _frozen(case)
    missing = missing_reference(case)
    if missing:
        raise FieldError(
            "submit",
            f"Give a reference grade for every item before publishing: {len(missing)} "
            f"item{'s have' if len(missing) != 1 else ' has'} none",
        )
    case.status, case.published_at, case.published_by_id = "published", utcnow(), user.id
    audit.record("practice_case_published", user=user, detail=f"practice case {case.id}")
    return case


def attempt_of(case: PracticeCase, user: User) -> PracticeAttempt | None:
    query = select(PracticeAttempt).where(PracticeAttempt.case_id == case.id, PracticeAttempt.user_id == user.id)
    return db.session.scalar(query)


def attempted_case_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(PracticeAttempt.case_id).where(PracticeAttempt.user_id == user.id)))


def submit(case: PracticeCase, user: User, grades: dict[str, str]) -> PracticeAttempt:
    """The practitioner's grades, once: a second submission changes nothing."""
    if not case.published or user.team_id is None:
        raise FieldError("submit", "This practice case is not open for grading")
    existing = attempt_of(case, user)
    if existing is not None:
        return existing
    attempt = PracticeAttempt(case_id=case.id, user_id=user.id, team_id=user.team_id, grades=_graded(case, grades))
    db.session.add(attempt)
    db.session.flush()
    audit.record("practice_attempt_submitted", user=user, detail=f"practice case {case.id}")
    return attempt


def _team_attempts(case: PracticeCase, team_id: int) -> list[PracticeAttempt]:
    query = (
        select(PracticeAttempt)
        .where(PracticeAttempt.case_id == case.id, PracticeAttempt.team_id == team_id)
        .order_by(PracticeAttempt.submitted_at, PracticeAttempt.id)
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class ResultRow:
    item: Item
    yours: str
    reference: str
    team: list[tuple[str, int]]  # (grade, how many in the team gave it), in the scale's order


@dataclass(frozen=True)
class Result:
    agreement: Agreement
    rows: list[tuple[str, list[ResultRow]]]  # by area: (area title, rows)
    team_count: int
    spread_shown: bool


def result(case: PracticeCase, attempt: PracticeAttempt) -> Result:
    """The practitioner's own grades beside the reference and the team's spread (counts only, and
    only from MIN_SPREAD attempts, so nobody's grades can be worked out)."""
    definition = definition_of(case)
    team = _team_attempts(case, attempt.team_id)
    shown = len(team) >= MIN_SPREAD
    counts = spread(a.grades for a in team) if shown else {}
    order = [g.value for g in definition.grades]
    rows = [
        (
            domain.title,
            [
                ResultRow(
                    item,
                    attempt.grades.get(item.id, ""),
                    case.reference_grades.get(item.id, ""),
                    _in_order(counts.get(item.id, Counter()), order),
                )
                for item in domain.items
            ],
        )
        for domain in definition.domains
    ]
    return Result(agreement(case.reference_grades, attempt.grades), rows, len(team), shown)


def _in_order(counts: Counter[str], order: list[str]) -> list[tuple[str, int]]:
    return [(grade, counts[grade]) for grade in order if counts[grade]]


@dataclass(frozen=True)
class PersonAgreement:
    name: str
    submitted_at: dt.datetime
    agreement: Agreement


def team_agreement(case: PracticeCase, team_id: int) -> list[PersonAgreement]:
    """Each of the team who graded the case, with their agreement with the reference, by name."""
    found = [
        PersonAgreement(a.user.name, a.submitted_at, agreement(case.reference_grades, a.grades))
        for a in _team_attempts(case, team_id)
    ]
    return sorted(found, key=lambda p: p.name)
