"""The stored records: teams, users, children, assessments and the audit trail."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heat.checklist.vocabulary import (
    ACTION_STATUSES,
    ASSESSMENT_STATUSES,
    CP_CATEGORIES,
    DECISIONS,
    FAMILY_HISTORY_KINDS,
    FLAG_RESPONSES,
    HOME_KINDS,
    NO_ACCESS_REASONS,
    PARENTS,
    PLAN_CHANGE_STATUSES,
    PLAN_STATUSES,
    PRACTICE_CASE_STATUSES,
    RECORDED,
    RELATIONSHIPS,
    RESIDENCE,
    ROLES,
    VERSION_EVENTS,
)
from heat.extensions import Base, db

if TYPE_CHECKING:
    Model = Base  # db.Model is built at run time from Base; mypy sees the declarative base itself
else:
    Model = db.Model


def is_step_down(from_status: str, to_status: str) -> bool:
    """A change to a lower plan (CP to CIN, CIN to early help, ... to no plan) needs a supervisor."""
    order = list(PLAN_STATUSES)
    return order.index(to_status) < order.index(from_status)


FLAG_REASON_LIMIT = 500


def in_the_home(residence: str | None, cares_for_child: str | None) -> bool:
    """Lives here, stays overnight, or cares for the child."""
    return residence in ("lives_here", "stays_overnight") or cares_for_child == "yes"


def must_be_seen(
    residence: str | None, cares_for_child: str | None, relationship: str | None, parental_responsibility: str | None
) -> bool:
    """In the home, or a parent with contact (the mother, the father, or anyone with parental
    responsibility): a visit that never sees them is a flag (the "unseen men" learning)."""
    parent = relationship in PARENTS or parental_responsibility == "yes"
    return in_the_home(residence, cares_for_child) or (parent and residence in RESIDENCE)


def why_seen(
    residence: str | None, cares_for_child: str | None, relationship: str | None, parental_responsibility: str | None
) -> str:
    """Why a visit must see this adult, in words: the first of `must_be_seen`'s reasons that holds."""
    if residence == "lives_here":
        return "lives here"
    if residence == "stays_overnight":
        return "stays overnight"
    if cares_for_child == "yes":
        return "cares for the child"
    if must_be_seen(residence, cares_for_child, relationship, parental_responsibility):
        return "is a parent with contact with the child"
    return ""


def relationship_label(value: str | None) -> str:
    """The label of a relationship; a visit recorded before the list keeps the words typed then."""
    return RELATIONSHIPS.get(value or "not_known", value or "")


def plan_label(status: str, category: str | None) -> str:
    """'Child Protection plan (Neglect)', 'Child in Need plan', 'No plan'."""
    label = PLAN_STATUSES[status]
    return f"{label} ({CP_CATEGORIES[category]})" if status == "cp" and category else label


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Team(Model):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class User(UserMixin, Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at sign-out and deactivation: every cookie carrying the old token stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Two-step sign-in (services/mfa.py): the TOTP secret, sealed with AES-GCM; when it was set
    # up; and the last time step used, so a code is never accepted twice.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_since: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None]
    # A secret being set up (sealed), kept here until the user enters a code from it: never in
    # the session cookie, which is signed but not encrypted.
    totp_pending: Mapped[bytes | None] = mapped_column(LargeBinary)
    # EMAIL_CHOICES; and when the worker last sent (or found nothing for) their daily summary.
    email_choice: Mapped[str] = mapped_column(String(10), default="immediate", server_default="immediate")
    daily_summary_at: Mapped[dt.datetime | None]

    team: Mapped[Team | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_password(self) -> bool:
        """False for an account made at a first single sign-on: its password lives with the
        organisation's provider, not in HEAT."""
        return bool(self.password_hash)

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


class UserSession(Model):
    """One sign-in: the cookie carries a random token whose SHA-256 is kept here. Listed under
    "Your sessions"; ending it signs that device out."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]


class RecoveryCode(Model):
    """A one-use code that signs in when the authenticator app is lost (its SHA-256 only)."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]


class Household(Model):
    """Children who live together, so one visit can cover siblings. The trend follows the child."""

    __tablename__ = "households"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)


assessment_children = Table(
    "assessment_children",
    db.metadata,
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True),
    Column("child_id", ForeignKey("children.id"), primary_key=True, index=True),
)


class Child(Model):
    __tablename__ = "children"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))  # may be empty before birth
    last_name: Mapped[str] = mapped_column(String(100))
    # A born child has a date of birth; an unborn baby an expected one (kept after birth).
    date_of_birth: Mapped[dt.date | None]
    expected_date_of_birth: Mapped[dt.date | None]
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    allocated_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    plan_status: Mapped[str] = mapped_column(String(20), default="none")
    plan_category: Mapped[str | None] = mapped_column(String(20))

    # Summary of the child's submitted visits, refreshed by services.oversight whenever a visit is
    # submitted or reviewed or the plan changes, so the team dashboard is one indexed query at any scale.
    latest_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", use_alter=True))
    last_visit_date: Mapped[dt.date | None] = mapped_column(index=True)
    next_visit_due: Mapped[dt.date | None] = mapped_column(index=True)
    latest_rating: Mapped[str | None] = mapped_column(String(20), index=True)
    direction: Mapped[str | None] = mapped_column(String(10))
    active_flags: Mapped[list] = mapped_column(JSON, default=list)
    flag_count: Mapped[int] = mapped_column(default=0, index=True)
    rooms_never_seen: Mapped[list] = mapped_column(JSON, default=list)
    # Retention (services/retention.py): records kept but shown to auditors only, or erased
    # (the row stays as a tombstone the audit trail points at, with nothing personal left).
    restricted_at: Mapped[dt.datetime | None]
    erased_at: Mapped[dt.datetime | None]

    team: Mapped[Team] = relationship()
    allocated_worker: Mapped[User | None] = relationship()
    assessments: Mapped[list[Assessment]] = relationship(
        secondary=assessment_children, back_populates="children", order_by="Assessment.visit_date"
    )

    @property
    def name(self) -> str:
        if self.first_name:
            return f"{self.first_name} {self.last_name}"
        return f"Baby {self.last_name}"

    @property
    def short_name(self) -> str:
        """The first name, or "Baby <last name>" before the baby has one: never empty."""
        return self.first_name or self.name

    @property
    def unborn(self) -> bool:
        return self.date_of_birth is None

    def due_date_passed(self, day: dt.date) -> bool:
        """Recorded as unborn though the expected date of birth is before `day`."""
        return self.unborn and self.expected_date_of_birth is not None and self.expected_date_of_birth < day

    @property
    def plan_label(self) -> str:
        return plan_label(self.plan_status, self.plan_category)

    def age_on(self, day: dt.date) -> str:
        if self.date_of_birth is None:
            due = self.expected_date_of_birth
            if due is not None and due < day:
                return f"due {due.day} {due:%B %Y}: due date passed"
            return f"unborn, due {due.day} {due:%B %Y}" if due else "unborn"
        months = (day.year - self.date_of_birth.year) * 12 + day.month - self.date_of_birth.month
        if day.day < self.date_of_birth.day:
            months -= 1
        if months < 24:
            return f"{months} month{'s' if months != 1 else ''}"
        return f"{months // 12} years"


# References are matched without regard to case (an import's batch, the register's look-up):
# this index keeps that a look-up, not a scan of every child, as the register grows.
Index("ix_children_reference_upper", func.upper(Child.reference))


class Assessment(Model):
    __tablename__ = "assessments"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checklist_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Optimistic lock: a save from a stale page loses, visibly.
    version: Mapped[int] = mapped_column(default=1)
    # Client-generated keys make starting and submitting idempotent.
    start_key: Mapped[str] = mapped_column(String(64), unique=True)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    section_status: Mapped[dict] = mapped_column(JSON, default=dict)
    # How many times each section has been saved: a save made from an older copy of the same
    # section is a conflict; saves of different sections never are.
    section_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # Visit details
    visit_date: Mapped[dt.date | None] = mapped_column(index=True)
    visit_time: Mapped[dt.time | None]
    announced: Mapped[bool | None]
    visit_type: Mapped[str | None] = mapped_column(String(20))
    plan_status: Mapped[str | None] = mapped_column(String(20))
    plan_category: Mapped[str | None] = mapped_column(String(20))
    joint_visitor: Mapped[str | None] = mapped_column(String(200))
    joint_visitor_agency: Mapped[str | None] = mapped_column(String(200))
    handover_from: Mapped[str | None] = mapped_column(String(200))
    handover_to: Mapped[str | None] = mapped_column(String(200))

    # People
    absent_members: Mapped[str | None] = mapped_column(Text)
    new_partner: Mapped[str | None] = mapped_column(String(10))
    father_involvement: Mapped[str | None] = mapped_column(Text)

    # The child and the family's view
    child_seen: Mapped[str | None] = mapped_column(String(10))
    child_seen_alone: Mapped[str | None] = mapped_column(String(10))
    infant_seen_awake: Mapped[str | None] = mapped_column(String(10))
    child_voice: Mapped[str | None] = mapped_column(Text)
    parent_view: Mapped[str | None] = mapped_column(Text)
    shown_scores: Mapped[str | None] = mapped_column(String(10))
    practitioner_notes: Mapped[str | None] = mapped_column(Text)
    parent_rating: Mapped[str | None] = mapped_column(String(2))  # the parent's own 1-5 for the home
    parent_agrees: Mapped[str | None] = mapped_column(String(10))  # with the assessment: yes, partly, no
    family_copy_given_on: Mapped[dt.date | None]
    gcp2_completed_on: Mapped[dt.date | None]  # "Graded Care Profile 2 completed on"
    photos_agreed: Mapped[bool | None]  # "The family agreed to photos": none may be added without it
    question_answers: Mapped[dict | None] = mapped_column(JSON, default=dict)  # yes/no questions (2026.3 on)
    # Since 2026.4: the age groups of the children covered (vocabulary.AGES; the items the visit
    # asks), set when it starts and when its date changes; and each child's id to how they were seen.
    ages: Mapped[list | None] = mapped_column(JSON)
    children_seen: Mapped[dict | None] = mapped_column(JSON)

    # Analysis and what happens next
    strengths: Mapped[str | None] = mapped_column(Text)
    worries: Mapped[str | None] = mapped_column(Text)
    advice_given: Mapped[list] = mapped_column(JSON, default=list)
    next_visit_date: Mapped[dt.date | None]

    # The score at submission, kept for lists; pages re-score from the grades with checklist_version.
    rating: Mapped[str | None] = mapped_column(String(20))
    mean_grade: Mapped[float | None]
    # What the Practice quality measures count at this visit (checklist.practice_quality.VisitCounts),
    # stored at each submission so the page adds up visits, never their grades.
    children_asked_awake: Mapped[int | None]
    children_seen_awake: Mapped[int | None]
    must_see_asked: Mapped[int | None]
    must_see_seen: Mapped[int | None]
    critical_graded: Mapped[int | None]
    critical_on_carer_word: Mapped[int | None]

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    team: Mapped[Team] = relationship()
    decisions: Mapped[list[ReviewDecision]] = relationship(
        order_by="ReviewDecision.decided_at", cascade="all, delete-orphan"
    )
    children: Mapped[list[Child]] = relationship(
        secondary=assessment_children, back_populates="assessments", order_by="Child.date_of_birth.desc()"
    )
    grades: Mapped[list[ItemGrade]] = relationship(cascade="all, delete-orphan", back_populates="assessment")
    rooms: Mapped[list[RoomCheck]] = relationship(cascade="all, delete-orphan", order_by="RoomCheck.id")
    people: Mapped[list[PersonPresent]] = relationship(cascade="all, delete-orphan", order_by="PersonPresent.position")
    actions: Mapped[list[Action]] = relationship(cascade="all, delete-orphan", order_by="Action.position")
    # A joint visit: the second practitioner's independent grades (this assessment is the visit of record).
    joint: Mapped[JointGrading | None] = relationship(
        cascade="all, delete-orphan", back_populates="assessment", foreign_keys="JointGrading.assessment_id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ASSESSMENT_STATUSES[self.status]

    @property
    def visited_on(self) -> dt.date:
        """The date of a visit that has been submitted (submitting needs the visit details)."""
        if self.visit_date is None:
            raise ValueError(f"assessment {self.id} has no visit date")
        return self.visit_date

    @property
    def recorded_rating(self) -> str:
        """The rating stored at submission; a draft has none yet."""
        if self.rating is None:
            raise ValueError(f"assessment {self.id} has not been rated")
        return self.rating

    @property
    def latest_decision(self) -> ReviewDecision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def grade_map(self) -> dict[str, str]:
        return {g.item_id: g.grade for g in self.grades}

    @property
    def room_map(self) -> dict[str, str]:
        return {r.room_id: r.status for r in self.rooms}


# A team's visits waiting for a decision (the dashboard's Reds and second-supervisor lists, the
# review queue): read in order from this index, not by walking every visit the team ever made.
Index(
    "ix_assessments_team_status_submitted",
    Assessment.team_id,
    Assessment.status,
    Assessment.submitted_at,
    Assessment.id,
)


class SectionSave(Model):
    """One save of one section, by the key the page (or the tablet's outbox) made for it. A retry
    of the same save, after a dropped connection or from the outbox, gets the first answer again
    and changes nothing."""

    __tablename__ = "section_saves"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    completing: Mapped[bool]
    section_version: Mapped[int]  # the section's version this save made
    # The assessment's version this save made: a tablet's outbox uses it to carry a waiting
    # "Submit assessment" forward over its own saves (and only its own).
    assessment_version: Mapped[int | None]
    saved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PendingSave(Model):
    """A section save the server could not store yet, kept so nothing typed is lost: it arrived
    after the session expired (kept until the same practitioner signs in again), or it was replayed
    from a tablet's outbox and was invalid or in conflict. The answers are encrypted; the row is
    deleted once used, and 24 hours after it was made at the latest."""

    __tablename__ = "pending_saves"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # signed_out, invalid, conflict
    seen_version: Mapped[int]
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AssessmentPhoto(Model):
    """A photo of one checklist item at one visit, taken with the family's agreement: its location
    and every other piece of metadata stripped, at most 1600 px, and sealed (AES-GCM) at rest,
    bound to its key. The key is a hash of the visit, the item and the picture: the same photo sent
    again (a retried save, the tablet's outbox sending twice) is stored once."""

    __tablename__ = "assessment_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(60))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the JPEG kept
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ItemGrade(Model):
    __tablename__ = "item_grades"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(60))
    grade: Mapped[str] = mapped_column(String(2))
    evidence_source: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="grades")


class JointGrading(Model):
    """A joint visit: a second practitioner of the same team grades the home independently, on their
    own tablet. The assessment stays the visit of record (it alone counts for ratings, trends,
    flags and reviews); these grades are kept beside it, and neither practitioner sees the other's
    grades until both have submitted (services/joint.py)."""

    __tablename__ = "joint_gradings"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), unique=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The checklist areas' answers as the assessment's own sections store them: area id -> item id ->
    # {"grade", "source", "comment"}; and the areas the second practitioner has completed.
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    completed: Mapped[list] = mapped_column(JSON, default=list)
    submitted_at: Mapped[dt.datetime | None]

    assessment: Mapped[Assessment] = relationship(back_populates="joint", foreign_keys=[assessment_id])
    second: Mapped[User] = relationship(foreign_keys=[second_id])
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    @property
    def grade_map(self) -> dict[str, str]:
        return {
            item: answer["grade"]
            for area in self.answers.values()
            for item, answer in area.items()
            if answer.get("grade")
        }

    @property
    def both_submitted(self) -> bool:
        return self.submitted_at is not None and self.assessment.status in RECORDED


class RoomCheck(Model):
    __tablename__ = "room_checks"
    __table_args__ = (UniqueConstraint("assessment_id", "room_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    room_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class PersonPresent(Model):
    __tablename__ = "people_present"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    relationship_to_child: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(10))
    residence: Mapped[str | None] = mapped_column(String(20))
    cares_for_child: Mapped[str | None] = mapped_column(String(10))
    adult_id: Mapped[int | None] = mapped_column(ForeignKey("significant_adults.id"), index=True)

    adult: Mapped[SignificantAdult | None] = relationship()


class Action(Model):
    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    task: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    carried_forward: Mapped[bool] = mapped_column(default=False)
    referral: Mapped[str | None] = mapped_column(String(30))  # REFERRALS
    drop_reason: Mapped[str | None] = mapped_column(Text)  # why a dropped action will not be done

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES[self.status]


class AssessmentVersion(Model):
    """What an assessment said at a submission, return, resubmission or decision: its answers,
    score and checklist version, who and when, and its PDF with its SHA-256, rendered from the
    snapshot by the worker just after (until then `pdf_sha256` is None: "The PDF is being
    prepared"). Never changed through the ORM: every download serves these bytes. The PDF is
    written once, by `versions.render` with a plain UPDATE; `pdf_queued_at` and `pdf_started_at`
    say when its render was queued and claimed (both None once it is stored)."""

    __tablename__ = "assessment_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    event: Mapped[str] = mapped_column(String(20))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checklist_version: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str | None] = mapped_column(String(20))
    mean_grade: Mapped[float | None]
    snapshot: Mapped[dict] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_queued_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    pdf_started_at: Mapped[dt.datetime | None]

    by: Mapped[User | None] = relationship()

    @property
    def pdf_ready(self) -> bool:
        return self.pdf_sha256 is not None

    @property
    def label(self) -> str:
        return VERSION_EVENTS[self.event]


@event.listens_for(AssessmentVersion, "before_update")
@event.listens_for(AssessmentVersion, "before_delete")
def _versions_are_immutable(mapper, connection, target):
    raise PermissionError("assessment versions are never changed")


class ReviewDecision(Model):
    """A supervisor's decision on a submitted assessment."""

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    # "Safeguarding action taken today": what was done, needed to agree a Red visit.
    action_today: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    reviewer: Mapped[User] = relationship()
    responses: Mapped[list[FlagResponse]] = relationship(
        cascade="all, delete-orphan", order_by="FlagResponse.id", back_populates="decision"
    )

    @property
    def label(self) -> str:
        return DECISIONS[self.decision]


class FlagResponse(Model):
    """A supervisor's answer to one active cumulative-harm flag of one child, given with a decision."""

    __tablename__ = "flag_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decisions.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    flag_title: Mapped[str] = mapped_column(String(200))
    response: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)

    decision: Mapped[ReviewDecision] = relationship(back_populates="responses")

    @property
    def label(self) -> str:
        return FLAG_RESPONSES[self.response]


class PlanChange(Model):
    __tablename__ = "plan_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    effective_date: Mapped[dt.date]
    from_status: Mapped[str] = mapped_column(String(20))
    from_category: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    to_category: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)  # the rationale; required for a step-down
    status: Mapped[str] = mapped_column(String(20), default="made", server_default="made", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)

    changed_by: Mapped[User] = relationship(foreign_keys=[changed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    child: Mapped[Child] = relationship()

    @property
    def from_label(self) -> str:
        return plan_label(self.from_status, self.from_category)

    @property
    def to_label(self) -> str:
        return plan_label(self.to_status, self.to_category)

    @property
    def is_step_down(self) -> bool:
        return is_step_down(self.from_status, self.to_status)

    @property
    def status_label(self) -> str:
        return PLAN_CHANGE_STATUSES[self.status]


class ChildAddress(Model):
    """Where the child lives from a date. Every address after the first is a move."""

    __tablename__ = "child_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    from_date: Mapped[dt.date] = mapped_column(index=True)
    line_1: Mapped[str] = mapped_column(String(200))
    line_2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(10))
    area: Mapped[str | None] = mapped_column(String(100))  # the local authority area
    kind: Mapped[str] = mapped_column(String(20), default="family_home")
    is_move: Mapped[bool] = mapped_column(default=False)
    until: Mapped[dt.date | None]  # moved out: recorded for an address before the child was registered
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def text(self) -> str:
        return ", ".join(p for p in (self.line_1, self.line_2, self.town, self.postcode) if p)

    @property
    def kind_label(self) -> str:
        return HOME_KINDS[self.kind]


class RecordChange(Model):
    """A correction to a child's details (registration included), for the chronology."""

    __tablename__ = "record_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(Text)


class Transfer(Model):
    """A child handed to another team. Until a supervisor of the receiving team acknowledges it,
    the sending team still sees the child, read-only."""

    __tablename__ = "transfers"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    from_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    to_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    from_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None]
    to_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    child: Mapped[Child] = relationship()
    from_team: Mapped[Team] = relationship(foreign_keys=[from_team_id])
    to_team: Mapped[Team] = relationship(foreign_keys=[to_team_id])
    by: Mapped[User] = relationship(foreign_keys=[by_id])


class ApiToken(Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; it acts as its user."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    # requests in the current minute, for the per-token limit
    window_start: Mapped[dt.datetime | None]
    window_count: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship()


class ApiAddressWindow(Model):
    """API calls without a valid token from one address in its current minute (services/api_auth.py):
    more than a few are refused, and each minute is audited once, with the count of the address's
    last minute with any."""

    __tablename__ = "api_address_windows"
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[dt.datetime]
    window_count: Mapped[int] = mapped_column(default=0)
    previous_count: Mapped[int] = mapped_column(default=0)


class SignificantAdult(Model):
    """An adult in the child's life, shared by the children of a household: whether they live
    here, stay overnight or visit, whether they care for the child, the checks done on them, and
    the visits they were seen at (people_present.adult_id)."""

    __tablename__ = "significant_adults"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)  # recorded for
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # RELATIONSHIPS (migration 0016 mapped the words typed before to the list)
    relationship_to_child: Mapped[str] = mapped_column(String(100), default="not_known", server_default="not_known")
    sex: Mapped[str | None] = mapped_column(String(10))  # SEX
    residence: Mapped[str] = mapped_column(String(20))  # RESIDENCE
    cares_for_child: Mapped[str] = mapped_column(String(10), default="unknown")  # YES_NO_UNKNOWN
    parental_responsibility: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown")
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_on: Mapped[dt.date]  # the visit (or day) they were first recorded
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    checks: Mapped[list[AdultCheck]] = relationship(order_by="AdultCheck.checked_on", cascade="all, delete-orphan")

    @property
    def residence_label(self) -> str:
        return RESIDENCE.get(self.residence, self.residence)

    @property
    def relationship_label(self) -> str:
        return relationship_label(self.relationship_to_child)

    @property
    def must_be_seen(self) -> bool:
        return must_be_seen(
            self.residence, self.cares_for_child, self.relationship_to_child, self.parental_responsibility
        )


class AdultCheck(Model):
    """A check done on an adult (police, health, children's services records): when and what."""

    __tablename__ = "adult_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    adult_id: Mapped[int] = mapped_column(ForeignKey("significant_adults.id"), index=True)
    checked_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Agency(Model):
    """Another agency involved with the child; out-of-area ones are marked."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    area: Mapped[str | None] = mapped_column(String(100))
    out_of_area: Mapped[bool] = mapped_column(default=False)
    contact: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))


class InformationRequest(Model):
    """Information asked of an agency: when, what, and when it came (if it has), what it said and
    what the worker made of it; or withdrawn, with why."""

    __tablename__ = "information_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    asked_on: Mapped[dt.date] = mapped_column(index=True)
    what: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date | None] = mapped_column(index=True)
    received_summary: Mapped[str | None] = mapped_column(Text)  # what the information said
    analysis: Mapped[str | None] = mapped_column(Text)  # what the worker makes of it
    withdrawn_on: Mapped[dt.date | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agency: Mapped[Agency] = relationship()

    @property
    def outstanding(self) -> bool:
        return self.received_on is None and self.withdrawn_on is None


class Meeting(Model):
    """A meeting about the child: who was invited, who came, who sent information instead."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    held_on: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(100))
    invited: Mapped[str] = mapped_column(Text)  # who was invited besides the child's agencies
    # The child's agencies when the meeting was recorded: those invited and those not (names)
    invited_agencies: Mapped[list] = mapped_column(JSON, default=list)
    not_invited: Mapped[list] = mapped_column(JSON, default=list)
    attended: Mapped[str | None] = mapped_column(Text)
    sent_information: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class NoAccessVisit(Model):
    """A visit where the practitioner could not get in. It is in the chronology but is not a
    visit: the child's last visit and next visit due do not move."""

    __tablename__ = "no_access_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    attempted_on: Mapped[dt.date] = mapped_column(index=True)
    attempted_at: Mapped[dt.time | None]
    reason: Mapped[str] = mapped_column(String(20))  # NO_ACCESS_REASONS
    next_steps: Mapped[str] = mapped_column(Text)  # what the practitioner did next
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    by: Mapped[User] = relationship()

    @property
    def reason_label(self) -> str:
        return NO_ACCESS_REASONS[self.reason]


class FamilyHistoryEntry(Model):
    """Something known of the family's past, with where it came from and when it was learnt. An
    entry about the household (household_id set) is shown for every child of it."""

    __tablename__ = "family_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)  # recorded for
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # FAMILY_HISTORY_KINDS
    summary: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))  # the area or agency, where it happened
    from_date: Mapped[dt.date | None]
    to_date: Mapped[dt.date | None]
    source: Mapped[str] = mapped_column(String(200))
    source_date: Mapped[dt.date]  # when the source gave the information
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return FAMILY_HISTORY_KINDS[self.kind]

    @property
    def about(self) -> str:
        return "household" if self.household_id is not None else "child"


class Handover(Model):
    __tablename__ = "handovers"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    from_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text)

    from_worker: Mapped[User | None] = relationship(foreign_keys=[from_worker_id])
    to_worker: Mapped[User] = relationship(foreign_keys=[to_worker_id])
    by: Mapped[User] = relationship(foreign_keys=[by_id])


class ChronologyEntry(Model):
    """A dated entry added by hand, e.g. information from another agency (in or out of area)."""

    __tablename__ = "chronology_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    occurred_on: Mapped[dt.date]
    source_kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)

    created_by: Mapped[User] = relationship()


class Export(Model):
    """An auditor's export, built outside the request by the task queue."""

    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    team_ids: Mapped[list] = mapped_column(JSON)
    date_from: Mapped[dt.date]
    date_to: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(String(200))
    finished_at: Mapped[dt.datetime | None]
    # Which build owns it: each claim by a worker adds one, and only that build may write to it.
    attempt: Mapped[int] = mapped_column(default=0)
    # Last queued, or last heard from the build: long silent means the worker died or the task was lost.
    progress_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    requested_by: Mapped[User] = relationship()


class AuditEvent(Model):
    """Append-only: who did what to which record, when (UTC) and from where."""

    __tablename__ = "audit_events"
    # The trail is searched by user, child or assessment, newest first: each index hands over a
    # person's or a record's events already in time order, so a search reads only its own rows
    # however long the trail grows (services/audit_search.py).
    __table_args__ = (
        Index("ix_audit_events_user_id_at", "user_id", "at"),
        Index("ix_audit_events_child_id_at", "child_id", "at"),
        Index("ix_audit_events_assessment_id_at", "assessment_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    email_tried: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(200))
    # The hash of this row's contents and the previous row's hash (services/audit.py): an
    # HMAC-SHA-256 under the audit key (scheme 2), or SHA-256 for rows from before the key (1).
    # Both it and the row's place in the chain are set once, by the sealer, after the row commits.
    row_hash: Mapped[str | None] = mapped_column(String(64))
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    scheme: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise PermissionError("audit events are append-only")


class PracticeCase(Model):
    """A calibration case: a written description of a home that practitioners grade as a private
    exercise, against the reference grades an administrator gave. Published cases are frozen."""

    __tablename__ = "practice_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    checklist_version: Mapped[str] = mapped_column(String(20))
    # The age group of the most vulnerable child in the case (vocabulary.AGES): the items it asks.
    age_group: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    reference_grades: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> grade
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None]

    photos: Mapped[list[PracticeCasePhoto]] = relationship(
        order_by="PracticeCasePhoto.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def status_label(self) -> str:
        return PRACTICE_CASE_STATUSES[self.status]


class PracticeCasePhoto(Model):
    """A photo of a practice case's home, with the words that say what it shows (read out in its
    place, and printed under it). Made again from its pixels as a visit's photos are (no metadata,
    at most 1600 px) and sealed at rest; frozen with the case when it is published."""

    __tablename__ = "practice_case_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("practice_cases.id", ondelete="CASCADE"), index=True)
    caption: Mapped[str] = mapped_column(String(200))
    sealed: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read only to show the photo itself
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the JPEG kept
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PracticeAttempt(Model):
    """One practitioner's grades of a practice case, given once. Never part of a child's record;
    the team is the one they were in when they graded it (the spread and the supervisor's view)."""

    __tablename__ = "practice_attempts"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("practice_cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    grades: Mapped[dict] = mapped_column(JSON, default=dict)  # item id -> grade
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
