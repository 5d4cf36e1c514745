"""Joint visits: a second practitioner of the same team grades the home independently, on their
own tablet. The first practitioner's assessment is the visit of record: it alone counts for
ratings, trends, flags and reviews. The second's grades are kept beside it and shown only when
both have submitted; until then neither sees the other's (services/access.py keeps the visit of
record from the second practitioner; nothing shows the second's grades before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from heat.checklist import Definition
from heat.checklist.vocabulary import EDITABLE
from heat.extensions import db
from heat.models import Assessment, JointGrading, User, utcnow
from heat.services import audit
from heat.services.checklists import definition_for

# A visit can still be made joint while it is being filled in, or submitted and not yet reviewed.
INVITABLE = (*EDITABLE, "submitted")
COMPLETED = "completed"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
STATUS_LABELS = {COMPLETED: "Completed", IN_PROGRESS: "In progress", NOT_STARTED: "Not started"}


class NotReady(Exception):
    """Submitting before every area is completed."""


def may_invite(user: User, assessment: Assessment) -> bool:
    """The practitioner who made the visit, or a supervisor of its team, may invite a second
    practitioner while the visit is open or waiting for review, once."""
    return (
        assessment.joint is None
        and assessment.status in INVITABLE
        and user.team_id == assessment.team_id
        and (user.id == assessment.created_by_id or user.role == "supervisor")
    )


def invitable(assessment: Assessment) -> list[User]:
    """The team's other active practitioners, by name."""
    query = (
        select(User)
        .where(
            User.team_id == assessment.team_id,
            User.role == "practitioner",
            User.active.is_(True),
            User.id != assessment.created_by_id,
        )
        .order_by(User.name, User.id)
    )
    return list(db.session.scalars(query))


def invite(user: User, assessment: Assessment, second: User) -> JointGrading:
    joint = JointGrading(assessment=assessment, second_id=second.id, invited_by_id=user.id, answers={}, completed=[])
    db.session.add(joint)
    audit.record("joint_visit_invited", user=user, assessment_id=assessment.id, target_user_id=second.id)
    return joint


def areas(assessment: Assessment) -> Definition:
    """The checklist the second practitioner grades with: the visit of record's own."""
    return definition_for(assessment)


def area_answers(joint: JointGrading, area_id: str) -> dict[str, Any]:
    return dict(joint.answers.get(area_id) or {})


def area_statuses(joint: JointGrading) -> dict[str, str]:
    definition = areas(joint.assessment)
    return {
        d.id: COMPLETED if d.id in joint.completed else IN_PROGRESS if joint.answers.get(d.id) else NOT_STARTED
        for d in definition.domains
    }


def save_area(joint: JointGrading, user: User, area_id: str, answers: dict[str, Any], *, completing: bool) -> None:
    """Store one area's answers (new JSON values, so the change is seen), completed or not."""
    joint.answers = {**joint.answers, area_id: answers}
    done = [a for a in joint.completed if a != area_id]
    joint.completed = [*done, area_id] if completing else done
    audit.record("joint_area_saved", user=user, assessment_id=joint.assessment_id, detail=area_id)


def submit(joint: JointGrading, user: User) -> None:
    if set(area_statuses(joint).values()) != {COMPLETED}:
        raise NotReady()
    joint.submitted_at = utcnow()
    audit.record("joint_visit_submitted", user=user, assessment_id=joint.assessment_id)


def waiting_for(user: User) -> list[JointGrading]:
    """The joint visits the user is asked to grade and has not submitted, oldest invitation first."""
    query = (
        select(JointGrading)
        .where(JointGrading.second_id == user.id, JointGrading.submitted_at.is_(None))
        .options(joinedload(JointGrading.assessment).joinedload(Assessment.children))
        .order_by(JointGrading.invited_at, JointGrading.id)
    )
    return list(db.session.scalars(query).unique())


# Built once (it runs on every child page a practitioner opens): the user travels as a parameter.
_SECOND_ON = (
    select(JointGrading.assessment_id, JointGrading.submitted_at, Assessment.status)
    .join(Assessment, Assessment.id == JointGrading.assessment_id)
    .where(JointGrading.second_id == bindparam("user_id"))
)


def blinded_ids(user: User) -> set[int]:
    """The visits whose grades the user may not see yet: joint visits they are the second
    practitioner on, until both have submitted."""
    return {
        assessment_id
        for assessment_id, submitted_at, status in db.session.connection().execute(_SECOND_ON, {"user_id": user.id})
        if submitted_at is None or status in EDITABLE
    }


def not_blinded(user: User, assessments: list[Assessment]) -> list[Assessment]:
    """A child's visits less those the user is the second practitioner on and may not see yet."""
    if user.role != "practitioner":
        return assessments
    hidden = blinded_ids(user)
    return [a for a in assessments if a.id not in hidden] if hidden else assessments


@dataclass(frozen=True)
class Row:
    area: str
    item: str
    first: str
    second: str

    @property
    def differ(self) -> bool:
        return self.first != self.second


def comparison(joint: JointGrading) -> list[Row]:
    """Each item of the visit's checklist, with the two practitioners' grades (shown only when both
    have submitted: the caller checks)."""
    definition = areas(joint.assessment)
    first, second = joint.assessment.grade_map, joint.grade_map

    def shown(value: str | None) -> str:
        return definition.grade(value).display if value else "Not graded"

    return [
        Row(domain.title, item.text, shown(first.get(item.id)), shown(second.get(item.id)))
        for domain in definition.domains
        for item in domain.items
    ]
