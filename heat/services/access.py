"""Who may see and change which records. Every view goes through these; another team's record is a 404."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import Select, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Forbidden, NotFound, TooManyRequests

from heat.extensions import db
from heat.models import (
    Assessment,
    AssessmentPhoto,
    AuditEvent,
    Child,
    ChildAddress,
    Export,
    FamilyHistoryEntry,
    InformationRequest,
    JointGrading,
    PlanChange,
    PracticeCase,
    PracticeCasePhoto,
    SignificantAdult,
    Team,
    Transfer,
    User,
    assessment_children,
    utcnow,
)
from heat.services import adults, audit, family_history, joint

# Which roles each kind of route is for: every @roles_required(...) of a case record names one.
# (Admins manage accounts and teams, and are named alone on those routes.)
CASE_READERS = ("practitioner", "supervisor", "auditor")  # see children and visits; auditors every team's
CASE_WORKERS = ("practitioner", "supervisor")  # also assess and change their own team's children


def sees_all_teams(user: User) -> bool:
    return user.role == "auditor"


def can_assess(user: User) -> bool:
    """Auditors read everything and change nothing; admins manage accounts, not casework."""
    return user.role in CASE_WORKERS


def _scope(user: User, to_change: bool = False) -> str:
    """Which children a user sees: every team's, their own team's (with those they transferred
    out and are still waiting to be acknowledged), or none. `to_change`: their own team's only."""
    if sees_all_teams(user):
        return "all"
    if user.role in CASE_WORKERS and user.team_id is not None:
        return "own" if to_change else "team"
    return "none"


def _children(scope: str) -> Select:
    """Erased records are gone for everyone; restricted ones are for auditors only (retention).
    A child transferred to another team stays visible, read-only, to the sending team until the
    receiving team acknowledges the transfer."""
    query = select(Child).where(Child.erased_at.is_(None))
    if scope == "all":
        return query
    if scope == "own":
        return query.where(Child.team_id == bindparam("team_id"), Child.restricted_at.is_(None))
    if scope == "team":
        sent = select(Transfer.child_id).where(
            Transfer.from_team_id == bindparam("team_id"), Transfer.acknowledged_at.is_(None)
        )
        return query.where(
            or_(Child.team_id == bindparam("team_id"), Child.id.in_(sent.scalar_subquery())),
            Child.restricted_at.is_(None),
        )
    return query.where(false())


def _assessments(scope: str) -> Select:
    """An assessment is visible when any child it covers is: the history follows the child."""
    visible_children = _children(scope).with_only_columns(Child.id)
    return select(Assessment).where(
        exists().where(
            assessment_children.c.assessment_id == Assessment.id,
            assessment_children.c.child_id.in_(visible_children.scalar_subquery()),
        )
    )


SCOPES = ("all", "team", "own", "none")
# The rules above as statements built once per scope, for the pages every visit opens: the ids and
# the team travel as parameters, so SQLAlchemy neither rebuilds them nor works out their cache key.
_CHILD_FOR = {
    scope: _children(scope)
    .where(Child.id == bindparam("child_id"))
    .options(joinedload(Child.team), joinedload(Child.allocated_worker))
    for scope in SCOPES
}
_ASSESSMENT_FOR = {
    scope: _assessments(scope)
    .where(Assessment.id == bindparam("assessment_id"))
    .options(joinedload(Assessment.children), joinedload(Assessment.joint))
    for scope in SCOPES
}


def children_query(user: User) -> Select:
    return _children(_scope(user)).params(team_id=user.team_id)


def caseload_query(user: User) -> Select:
    """The children a user works with, by name."""
    return children_query(user).options(selectinload(Child.team)).order_by(Child.last_name, Child.first_name, Child.id)


PDF_ACTIONS = ("assessment_pdf", "history_pdf", "family_copy_pdf", "practice_pdf")


def check_pdf_allowance(user: User) -> None:
    """PDF downloads are limited per user per minute (HEAT_PDF_PER_MINUTE), counted from the audit
    trail that records each one: over the limit is a 429 with Retry-After."""
    since = utcnow() - dt.timedelta(minutes=1)
    made = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.user_id == user.id, AuditEvent.action.in_(PDF_ACTIONS), AuditEvent.at >= since)
    )
    if (made or 0) >= current_app.config["HEAT_PDF_PER_MINUTE"]:
        audit.record("pdf_limit_reached", user=user)
        db.session.commit()
        raise TooManyRequests(
            "You have downloaded a lot of PDFs in the last minute. Wait a minute and try again. "
            "For many records at once, ask an auditor for an export.",
            retry_after=60,
        )


def metrics_allowed(authorization: str | None) -> bool:
    """/metrics: only with HEAT_METRICS_TOKEN as a bearer token (the caller answers 401 without
    it); with no token set the page does not exist (404). Neither is audited: the metrics hold no
    personal data, and the page must answer while the database is down."""
    expected = current_app.config["HEAT_METRICS_TOKEN"]
    if not expected:
        raise NotFound()
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), expected.encode())


def deny(user: User | None, detail: str) -> NotFound:
    """Record the refusal in the audit trail (committed now: the 404 that follows rolls nothing back)."""
    db.session.rollback()
    audit.record("access_denied", user=user, detail=detail[:200])
    db.session.commit()
    return NotFound()


def child_for(user: User, child_id: int, *, to_change: bool = False) -> Child:
    """The child, if the user may see them (or change their record: their own team's child, as a
    practitioner or supervisor), with their team and allocated worker (every child page shows both)."""
    scope = _scope(user, to_change)
    child = db.session.scalar(_CHILD_FOR[scope], {"child_id": child_id, "team_id": user.team_id})
    if child is None or (to_change and not can_assess(user)):
        raise deny(user, f"child {child_id}")
    return child


def assessments_query(user: User) -> Select:
    return _assessments(_scope(user)).params(team_id=user.team_id)


def assessment_for(user: User, assessment_id: int, *, to_change: bool = False) -> Assessment:
    """The assessment, if the user may see it (or change it), with the children it covers."""
    assessment = (
        db.session.execute(
            _ASSESSMENT_FOR[_scope(user, to_change)], {"assessment_id": assessment_id, "team_id": user.team_id}
        )
        .unique()
        .scalar_one_or_none()
    )
    if assessment is None or (to_change and not can_assess(user)):
        raise deny(user, f"assessment {assessment_id}")
    if blinded(user, assessment):
        raise deny(user, f"assessment {assessment_id}: joint visit not yet submitted by both")
    return assessment


def blinded(user: User, assessment: Assessment) -> bool:
    """The second practitioner on a joint visit sees nothing of the visit of record (its pages, PDFs,
    API or tablet sync) until both have submitted, so their grades stay their own."""
    joint = assessment.joint
    return joint is not None and joint.second_id == user.id and not joint.both_submitted


def visit_to_invite_for(user: User, assessment_id: int) -> Assessment:
    """Inviting a second practitioner: see `joint.may_invite`."""
    assessment = assessment_for(user, assessment_id, to_change=True)
    if not joint.may_invite(user, assessment):
        raise deny(user, f"joint visit invitation {assessment_id}")
    return assessment


def joint_to_grade(user: User, assessment_id: int) -> JointGrading:
    """The second practitioner's own grading of a joint visit, while they have not submitted it."""
    joint = db.session.scalar(
        select(JointGrading)
        .where(JointGrading.assessment_id == assessment_id, JointGrading.second_id == user.id)
        .options(joinedload(JointGrading.assessment).joinedload(Assessment.children))
    )
    visible = joint is not None and can_assess(user) and user.team_id == joint.assessment.team_id
    if joint is None or not visible or joint.submitted_at is not None:
        raise deny(user, f"joint grading {assessment_id}")
    return joint


def joint_for(user: User, assessment_id: int) -> JointGrading:
    """A joint visit's two sets of grades, side by side: for the second practitioner, their own
    grading (and both, once both have submitted); for anyone else who may see the visit of record,
    both once both have submitted."""
    joint = db.session.scalar(
        select(JointGrading)
        .where(JointGrading.assessment_id == assessment_id)
        .options(joinedload(JointGrading.assessment).joinedload(Assessment.children))
    )
    if joint is not None and joint.second_id == user.id and can_assess(user):
        return joint
    if joint is None or not joint.both_submitted:
        raise deny(user, f"joint grading {assessment_id}")
    assessment_for(user, assessment_id)
    return joint


def photo_for(user: User, assessment_id: int, photo_id: int) -> AssessmentPhoto:
    """A photo of a visit, for anyone who may see the visit."""
    assessment = assessment_for(user, assessment_id)
    photo = db.session.scalar(
        select(AssessmentPhoto).where(AssessmentPhoto.id == photo_id, AssessmentPhoto.assessment_id == assessment.id)
    )
    if photo is None:
        raise deny(user, f"assessment {assessment_id}: photo {photo_id}")
    return photo


def address_to_correct(user: User, child_id: int, address_id: int) -> tuple[Child, ChildAddress]:
    """One of the addresses of a child the user may change."""
    child = child_for(user, child_id, to_change=True)
    row = db.session.get(ChildAddress, address_id)
    if row is None or row.child_id != child.id:
        raise deny(user, f"address {address_id}")
    return child, row


def adult_to_change(user: User, child_id: int, adult_id: int) -> tuple[Child, SignificantAdult]:
    """An adult on the register of a child the user may change."""
    child = child_for(user, child_id, to_change=True)
    adult = adults.adult_of(child, adult_id)
    if adult is None:
        raise deny(user, f"adult {adult_id}")
    return child, adult


def request_to_change(user: User, child_id: int, request_id: int) -> tuple[Child, InformationRequest]:
    """An information request about a child the user may change."""
    child = child_for(user, child_id, to_change=True)
    asked = db.session.get(InformationRequest, request_id)
    if asked is None or asked.child_id != child.id:
        raise deny(user, f"request {request_id}")
    return child, asked


def family_history_to_change(user: User, child_id: int, entry_id: int) -> tuple[Child, FamilyHistoryEntry]:
    """A family history entry of a child the user may change."""
    child = child_for(user, child_id, to_change=True)
    entry = family_history.entry_of(child, entry_id)
    if entry is None:
        raise deny(user, f"family history {entry_id}")
    return child, entry


def transfer_to_acknowledge(user: User, transfer_id: int) -> Transfer:
    """A transfer of a child into the user's team (its supervisor acknowledges it)."""
    moving = db.session.get(Transfer, transfer_id)
    if moving is None or moving.to_team_id != user.team_id:
        raise deny(user, f"transfer {transfer_id}")
    return moving


def dashboard_team(user: User, team_id: int | None) -> tuple[Team, list[Team]]:
    """The team whose dashboard the user sees, and the teams they may choose between: auditors
    choose any team (the first by default); everyone else sees only their own team."""
    if sees_all_teams(user):
        teams = list(db.session.scalars(select(Team).order_by(Team.name)))
        team = next((t for t in teams if t.id == team_id), teams[0] if teams else None)
        if team is None:
            raise deny(user, "dashboard: no teams")
        return team, teams
    own = db.session.get(Team, user.team_id) if user.team_id is not None else None
    if own is None:
        raise deny(user, "dashboard: no team")
    return own, []


def agreement_team(user: User, chosen: str | None) -> tuple[Team | None, list[Team]]:
    """Whose grading agreement the user sees: a supervisor, their own team's; an auditor, the team
    they choose (by id), or every team's (None) by default."""
    if sees_all_teams(user):
        teams = list(db.session.scalars(select(Team).order_by(Team.name)))
        return next((t for t in teams if str(t.id) == chosen), None), teams
    own = db.session.get(Team, user.team_id) if user.role == "supervisor" and user.team_id is not None else None
    if own is None:
        raise deny(user, "grading agreement")
    return own, []


def assessment_to_review(user: User, assessment_id: int) -> Assessment:
    """Supervisors review their own team's assessments only."""
    assessment = assessment_for(user, assessment_id)  # a child transferred since stays the team's to review
    if user.role != "supervisor" or assessment.team_id != user.team_id:
        raise deny(user, f"review {assessment_id}")
    return assessment


def held_by_another_team(user: User, assessment: Assessment) -> list[Child]:
    """The children on the assessment whose record another team now holds (transferred and waiting
    to be acknowledged): read-only for the user's team, decisions included."""
    return [c for c in assessment.children if c.team_id != user.team_id]


def decision_refused(user: User, assessment: Assessment) -> str | None:
    """Why the user may not record a review decision on the assessment, if they may not."""
    moved = held_by_another_team(user, assessment)
    if not moved:
        return None
    names = ", ".join(c.name for c in moved)
    return (
        f"{names} {'has' if len(moved) == 1 else 'have'} been transferred to another team: the record is "
        "read-only for your team, so you cannot record a decision on this assessment"
    )


def refuse_decision(user: User, assessment: Assessment) -> None:
    """A review decision on a child transferred away is a 403 (audited), and nothing is stored."""
    reason = decision_refused(user, assessment)
    if reason is None:
        return
    db.session.rollback()
    audit.record("access_denied", user=user, assessment_id=assessment.id, detail="review decision: transferred")
    db.session.commit()
    raise Forbidden(reason + ".")


def plan_change_to_decide(user: User, child_id: int, change_id: int) -> PlanChange:
    """Supervisors decide on (or note) plan changes of their own team's children only."""
    child = child_for(user, child_id, to_change=True)
    change = db.session.get(PlanChange, change_id)
    if user.role != "supervisor" or child.team_id != user.team_id or change is None or change.child_id != child.id:
        raise deny(user, f"plan change {change_id}")
    return change


def export_for(user: User, export_id: int) -> Export:
    """An export is its requester's alone."""
    export = db.session.get(Export, export_id)
    if export is None or export.requested_by_id != user.id:
        raise deny(user, f"export {export_id}")
    return export


# Lookups by case reference, name or date of birth: scoped like lookups by id.


def _to_change_by_reference(user: User) -> Select:
    """The children a user may find by case reference to change them through the register (joining
    a household, an import updating them): their own team's for practitioners and supervisors,
    every team's for administrators (who add and import children for any team), nobody's for
    auditors. Restricted and erased records are never found."""
    if user.role == "admin":
        return select(Child).where(Child.erased_at.is_(None), Child.restricted_at.is_(None))
    if not can_assess(user):
        return select(Child).where(false())
    return _children("own").params(team_id=user.team_id)


def no_child_with(reference: str) -> str:
    """What a user is told about a case reference outside their scope, as about one that is unknown."""
    return f"No child you can see has case reference {reference}"


def child_to_change_by_reference(user: User, reference: str, *, team_id: int | None = None) -> Child | None:
    """The child with this case reference (in any case), if the user may change their record; with
    `team_id`, only a child of that team (a household is one team's)."""
    query = _to_change_by_reference(user).where(func.upper(Child.reference) == reference.strip().upper())
    if team_id is not None:
        query = query.where(Child.team_id == team_id)
    return db.session.scalar(query.limit(1))


def children_to_change_by_reference(user: User, references: list[str]) -> dict[str, Child]:
    """The children with these case references that the user may change, by upper-case reference
    (an import matching a batch of rows)."""
    wanted = sorted({r.strip().upper() for r in references if r.strip()})
    if not wanted:
        return {}
    query = _to_change_by_reference(user).where(func.upper(Child.reference).in_(wanted))
    return {c.reference.upper(): c for c in db.session.scalars(query)}


def visible_ids(user: User, ids: list[int]) -> set[int]:
    """Which of these children the user may see (as on their own pages)."""
    if not ids:
        return set()
    query = children_query(user).with_only_columns(Child.id).where(Child.id.in_(ids))
    return set(db.session.scalars(query))


# Calibration cases: administrators manage them; practitioners grade published ones and see their
# own grades only; supervisors see their own team's agreement with the reference.


def practice_case_to_manage(user: User, case_id: int) -> PracticeCase:
    case = db.session.get(PracticeCase, case_id)
    if case is None or user.role != "admin":
        raise deny(user, f"practice case {case_id}")
    return case


def practice_case_to_grade(user: User, case_id: int) -> PracticeCase:
    """A published case, for a practitioner in a team (their grades join that team's spread)."""
    case = db.session.get(PracticeCase, case_id)
    if case is None or not case.published or user.role != "practitioner" or user.team_id is None:
        raise deny(user, f"practice case {case_id}")
    return case


def practice_photo_for(user: User, case_id: int, photo_id: int) -> PracticeCasePhoto:
    """A photo of a case whoever may read the case sees: an administrator any case's, a
    practitioner or supervisor in a team a published case's."""
    photo = db.session.get(PracticeCasePhoto, photo_id)
    case = db.session.get(PracticeCase, case_id)
    readable = user.role == "admin" or (
        user.role in ("practitioner", "supervisor") and user.team_id is not None and case is not None and case.published
    )
    if photo is None or case is None or photo.case_id != case.id or not readable:
        raise deny(user, f"practice case {case_id} photo {photo_id}")
    return photo


def practice_team_for(user: User, case_id: int) -> tuple[PracticeCase, int]:
    """A published case and the team whose agreement a supervisor sees: their own."""
    case = db.session.get(PracticeCase, case_id)
    if case is None or not case.published or user.role != "supervisor" or user.team_id is None:
        raise deny(user, f"practice case {case_id}")
    return case, user.team_id
