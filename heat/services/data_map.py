"""The data map: every table and column HEAT stores, which of them hold personal data, and what
erasing a child does to each. Erasure (`erase`, called by services/retention.py) runs from this
map and from nothing else, and tests/test_data_map.py fails when a table or a column is added to
the models without an entry here: a new place for personal data cannot be forgotten by erasure.

Each table's entry says:

- `personal`: the columns that hold personal data (about a child, a family member, another adult
  or a member of staff), and `plain`: the columns that hold none (ids, keys, codes, counters).
  Between them they name every column, so a new column has to be placed in one or the other.
- `erasure`: DELETE (the rows about the child go), BLANK (the rows stay because something that
  cannot change points at them, with their personal columns emptied), KEEP (kept as they are,
  for the reason given) or NONE (nothing about a child is stored here).
- `steps`: the statements erasure runs on the table, in the order of `db.metadata.sorted_tables`
  reversed (rows that point at others first), over the `Scope` worked out before anything changes.

A visit that also covered a brother or sister who is not erased is their record: it stays, with
its answers, decisions and versions, and the erased child leaves it (their link is deleted and
their entry is taken out of the stored versions' list of children). The adults on a household's
register are shared by its children: one reached by a brother or sister who stays is kept for
them (and recorded for them from then on); one reached by nobody else goes with their checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, or_, select, update

from heat import caching
from heat.checklist.practice_quality import children_awake, how_seen
from heat.checklist.vocabulary import RECORDED
from heat.extensions import db
from heat.models import (
    Agency,
    Assessment,
    AssessmentVersion,
    Child,
    Export,
    ReviewDecision,
    SignificantAdult,
    assessment_children,
    utcnow,
)
from heat.services import audit, exports, versions

DELETE = "delete"
BLANK = "blank"
KEEP = "keep"
NONE = "none"

TOMBSTONE_BIRTH = dt.date(1900, 1, 1)  # an erased record's date of birth: no real one is kept


@dataclass(frozen=True)
class Scope:
    """What erasing one child reaches, worked out before anything changes."""

    child_id: int
    only: tuple[int, ...]  # visits that covered this child alone: emptied, kept as shells
    shared: tuple[int, ...]  # visits that also covered a brother or sister: theirs, kept
    adults_gone: tuple[int, ...]  # adults no other child reaches: deleted with their checks
    adults_moved: dict[int, int]  # adult -> the brother or sister they are recorded for now
    households_gone: tuple[int, ...]  # households left with no child: deleted
    agencies: tuple[int, ...]
    exports: tuple[int, ...]  # finished exports whose ZIP held one of the child's visits


@dataclass(frozen=True)
class Entry:
    erasure: str
    why: str
    personal: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    steps: tuple[Callable[[Table, Scope], None], ...] = field(default=())


def delete_rows(where: Callable[[Table, Scope], ColumnElement[bool]]) -> Callable[[Table, Scope], None]:
    def step(table: Table, scope: Scope) -> None:
        db.session.execute(delete(table).where(where(table, scope)))

    return step


def set_values(
    where: Callable[[Table, Scope], ColumnElement[bool]], values: Callable[[Table, Scope], dict[str, Any]]
) -> Callable[[Table, Scope], None]:
    def step(table: Table, scope: Scope) -> None:
        db.session.execute(update(table).where(where(table, scope)).values(**values(table, scope)))

    return step


def of_child(table: Table, scope: Scope) -> ColumnElement[bool]:
    return table.c.child_id == scope.child_id


def of_only_visits(table: Table, scope: Scope) -> ColumnElement[bool]:
    return table.c.assessment_id.in_(scope.only)


# The columns of a visit kept in an erased visit's shell: how the app keeps track of it (the audit
# trail names it; a retried submission must still find it) and who submitted it and when.
_SHELL = ("submitted_by_id", "submitted_at", "submission_key")


def _emptied_visit(table: Table, scope: Scope) -> dict[str, Any]:
    values: dict[str, Any] = {c.key: None for c in table.columns if c.nullable and c.key not in _SHELL}
    values.update(status="erased", section_status={}, section_versions={}, advice_given=[])
    return values


def _tombstone(table: Table, scope: Scope) -> dict[str, Any]:
    return {
        "reference": f"erased-{scope.child_id}",
        "first_name": "Erased",
        "last_name": "record",
        "date_of_birth": TOMBSTONE_BIRTH,
        "expected_date_of_birth": None,
        "allocated_worker_id": None,
        "household_id": None,
        "plan_status": "none",
        "plan_category": None,
        "latest_assessment_id": None,
        "last_visit_date": None,
        "next_visit_due": None,
        "latest_rating": None,
        "direction": None,
        "active_flags": [],
        "flag_count": 0,
        "rooms_never_seen": [],
        "erased_at": func.coalesce(table.c.erased_at, utcnow()),  # erased again: when it was first
    }


def _move_adults(table: Table, scope: Scope) -> None:
    for adult_id, child_id in scope.adults_moved.items():
        db.session.execute(update(table).where(table.c.id == adult_id).values(child_id=child_id))
    # A kept adult recorded in a household that is going keeps no pointer to it.
    db.session.execute(update(table).where(table.c.household_id.in_(scope.households_gone)).values(household_id=None))


def _leave_shared_visits(table: Table, scope: Scope) -> None:
    """A brother's or sister's visit keeps how each child was seen, less the erased child's own
    answer and voice, and its count of children seen awake leaves the erased child out."""
    for visit_id, seen, infant_seen_awake, counted in db.session.execute(
        select(table.c.id, table.c.children_seen, table.c.infant_seen_awake, table.c.children_asked_awake).where(
            table.c.id.in_(scope.shared)
        )
    ):
        if seen:
            kept = versions.without_child(seen, scope.child_id)
            values: dict[str, Any] = {"children_seen": kept}
            if counted is not None:
                asked, awake = children_awake(how_seen(kept, infant_seen_awake))
                values |= {"children_asked_awake": asked, "children_seen_awake": awake}
            db.session.execute(update(table).where(table.c.id == visit_id).values(**values))


def _leave_shared_versions(table: Table, scope: Scope) -> None:
    """Versions are never changed, but for this: an erased child leaves a brother's or sister's
    visit, so each of its versions loses the child from its list of children, and its PDF (which
    names them) is deleted and queued to be rendered again from the new snapshot by the worker
    (with its new SHA-256): the caller calls `tasks.render_pdfs()` after its
    commit. Written with a plain UPDATE: the ORM refuses any change to a version."""
    for version in db.session.scalars(
        select(AssessmentVersion).where(AssessmentVersion.assessment_id.in_(scope.shared))
    ):
        db.session.execute(
            update(table)
            .where(table.c.id == version.id)
            .values(
                snapshot=versions.snapshot_without(version, scope.child_id),
                pdf=None,
                pdf_sha256=None,
                pdf_queued_at=utcnow(),
                pdf_started_at=None,
            )
        )


def _drop_export_files(table: Table, scope: Scope) -> None:
    """A finished export that held one of the child's visits has its ZIP deleted (the auditor makes
    a new one if they need it); the export's row, which names no child, stays marked deleted.
    The file goes before the caller commits: should the erasure then fail, an export says "done"
    without its file (its download fails and the auditor makes a new one), but no file that
    should be gone is left behind."""
    for export in db.session.scalars(select(Export).where(Export.id.in_(scope.exports))):
        export.status = "expired"
        audit.record("export_expired", target_user_id=export.requested_by_id, detail=f"export {export.id}: erasure")
        exports.export_path(export).unlink(missing_ok=True)


# Staff accounts, teams and sign-ins are not a child's record: an account is deactivated, never
# erased with a child, because the audit trail names who did what.
_STAFF = "staff data, not about a child: accounts are deactivated, not erased, as the audit trail names them"

MAP: dict[str, Entry] = {
    "teams": Entry(NONE, "a team's name: no child's data", plain=("id", "name")),
    # Calibration cases (services/practice.py) are training: an invented home, never a child's record.
    "practice_cases": Entry(
        NONE,
        "a practice case written for training (an invented home) and its reference grades: no child's record",
        plain=(
            "id",
            "title",
            "description",
            "checklist_version",
            "age_group",
            "status",
            "reference_grades",
            "created_by_id",
            "created_at",
            "published_by_id",
            "published_at",
        ),
    ),
    "practice_case_photos": Entry(
        NONE,
        "photos of a practice case's invented home, with what each shows (sealed): no child's record",
        plain=("id", "key", "case_id", "caption", "sealed", "width", "height", "size", "added_by_id", "added_at"),
    ),
    "practice_attempts": Entry(
        KEEP,
        "a practitioner's grades of a practice case: staff data about their grading, not about a child; "
        "kept with their account",
        personal=("grades",),
        plain=("id", "case_id", "user_id", "team_id", "submitted_at"),
    ),
    "users": Entry(
        KEEP,
        _STAFF,
        personal=("email", "name"),
        plain=(
            "id",
            "password_hash",
            "role",
            "team_id",
            "active",
            "session_token",
            "created_at",
            "totp_secret",
            "totp_since",
            "totp_last_step",
            "totp_pending",
            "email_choice",
            "daily_summary_at",
        ),
    ),
    "user_sessions": Entry(
        KEEP,
        _STAFF + "; a sign-in holds no child's data",
        personal=("device", "address"),
        plain=("id", "user_id", "token_hash", "started_at", "last_seen_at", "ended_at"),
    ),
    "api_address_windows": Entry(
        KEEP,
        "staff-facing throttling of calls without a valid token: an address and counts for one minute, "
        "never about a child",
        personal=("address",),
        plain=("window_start", "window_count", "previous_count"),
    ),
    "recovery_codes": Entry(NONE, _STAFF, plain=("id", "user_id", "code_hash", "used_at")),
    "api_tokens": Entry(
        NONE,
        _STAFF,
        plain=(
            "id",
            "user_id",
            "name",
            "token_hash",
            "created_at",
            "revoked_at",
            "last_used_at",
            "window_start",
            "window_count",
        ),
    ),
    "households": Entry(
        DELETE,
        "a household nobody is left in goes; one a brother or sister is still in stays theirs",
        plain=("id", "team_id"),
        steps=(delete_rows(lambda t, s: t.c.id.in_(s.households_gone)),),
    ),
    "children": Entry(
        BLANK,
        "the child's row stays as the tombstone the audit trail points at, with nothing personal left: "
        "its id, team, when it was restricted and when it was erased",
        personal=(
            "reference",
            "first_name",
            "last_name",
            "date_of_birth",
            "expected_date_of_birth",
            "allocated_worker_id",
            "household_id",
            "plan_status",
            "plan_category",
            "latest_assessment_id",
            "last_visit_date",
            "next_visit_due",
            "latest_rating",
            "direction",
            "active_flags",
            "flag_count",
            "rooms_never_seen",
        ),
        plain=("id", "team_id", "restricted_at", "erased_at"),
        steps=(set_values(lambda t, s: t.c.id == s.child_id, _tombstone),),
    ),
    "assessment_children": Entry(
        DELETE,
        "the child leaves every visit: their own are emptied, a brother's or sister's stays theirs",
        plain=("assessment_id", "child_id"),
        steps=(delete_rows(of_child),),
    ),
    "assessments": Entry(
        BLANK,
        "a visit of this child alone stays as an empty shell (status erased) because the audit trail "
        "names it; a visit shared with a brother or sister who stays is theirs and is kept",
        personal=(
            "visit_date",
            "visit_time",
            "announced",
            "visit_type",
            "plan_status",
            "plan_category",
            "joint_visitor",
            "joint_visitor_agency",
            "handover_from",
            "handover_to",
            "absent_members",
            "new_partner",
            "father_involvement",
            "child_seen",
            "child_seen_alone",
            "infant_seen_awake",
            "child_voice",
            "parent_view",
            "shown_scores",
            "practitioner_notes",
            "parent_rating",
            "parent_agrees",
            "family_copy_given_on",
            "gcp2_completed_on",
            "photos_agreed",
            "question_answers",
            "strengths",
            "worries",
            "advice_given",
            "next_visit_date",
            "rating",
            "mean_grade",
            "children_asked_awake",
            "children_seen_awake",
            "must_see_asked",
            "must_see_seen",
            "critical_graded",
            "critical_on_carer_word",
            "section_status",
            "section_versions",
            "ages",
            "children_seen",
        ),
        plain=(
            "id",
            "team_id",
            "created_by_id",
            "checklist_version",
            "status",
            "version",
            "start_key",
            "submission_key",
            "created_at",
            "updated_at",
            "submitted_at",
            "submitted_by_id",
        ),
        steps=(set_values(lambda t, s: t.c.id.in_(s.only), _emptied_visit), _leave_shared_visits),
    ),
    "item_grades": Entry(
        DELETE,
        "the answers of the child's own visits",
        personal=("grade", "evidence_source", "comment"),
        plain=("id", "assessment_id", "item_id"),
        steps=(delete_rows(of_only_visits),),
    ),
    "joint_gradings": Entry(
        DELETE,
        "a second practitioner's grades of the child's own joint visits",
        personal=("answers",),
        plain=("id", "assessment_id", "second_id", "invited_by_id", "invited_at", "completed", "submitted_at"),
        steps=(delete_rows(of_only_visits),),
    ),
    "room_checks": Entry(
        DELETE,
        "the answers of the child's own visits",
        personal=("status", "reason"),
        plain=("id", "assessment_id", "room_id"),
        steps=(delete_rows(of_only_visits),),
    ),
    "people_present": Entry(
        DELETE,
        "who was at the child's own visits; at a brother's or sister's visit the names stay theirs, "
        "but no longer point at an adult who is erased",
        personal=("name", "relationship_to_child", "sex", "residence", "cares_for_child", "adult_id"),
        plain=("id", "assessment_id", "position"),
        steps=(
            delete_rows(of_only_visits),
            set_values(lambda t, s: t.c.adult_id.in_(s.adults_gone), lambda t, s: {"adult_id": None}),
        ),
    ),
    "actions": Entry(
        DELETE,
        "the actions agreed at the child's own visits",
        personal=("task", "owner", "due_date", "status", "carried_forward", "referral", "drop_reason"),
        plain=("id", "assessment_id", "position"),
        steps=(delete_rows(of_only_visits),),
    ),
    "assessment_photos": Entry(
        DELETE,
        "photos taken at the child's own visits (sealed)",
        personal=("sealed",),
        plain=("id", "key", "assessment_id", "item_id", "width", "height", "size", "added_by_id", "added_at"),
        steps=(delete_rows(of_only_visits),),
    ),
    "section_saves": Entry(
        DELETE,
        "the record of saves of the child's own visits (no answers, but they date the visits)",
        plain=(
            "id",
            "key",
            "assessment_id",
            "section_id",
            "user_id",
            "completing",
            "section_version",
            "assessment_version",
            "saved_at",
        ),
        steps=(delete_rows(of_only_visits),),
    ),
    "pending_saves": Entry(
        DELETE,
        "answers to the child's own visits waiting to be saved (sealed)",
        personal=("sealed",),
        plain=("id", "user_id", "assessment_id", "section_id", "reason", "seen_version", "created_at", "expires_at"),
        steps=(delete_rows(of_only_visits),),
    ),
    "assessment_versions": Entry(
        DELETE,
        "every version and stored PDF of the child's own visits; a brother's or sister's visit keeps "
        "its versions, without the erased child in their list of children",
        personal=("snapshot", "pdf", "rating", "mean_grade"),
        plain=(
            "id",
            "assessment_id",
            "number",
            "event",
            "by_id",
            "at",
            "checklist_version",
            "pdf_sha256",
            "pdf_queued_at",
            "pdf_started_at",
        ),
        steps=(delete_rows(of_only_visits), _leave_shared_versions),
    ),
    "review_decisions": Entry(
        DELETE,
        "supervisors' decisions on the child's own visits",
        personal=("decision", "rationale", "action_today"),
        plain=("id", "assessment_id", "reviewer_id", "decided_at"),
        steps=(delete_rows(of_only_visits),),
    ),
    "flag_responses": Entry(
        DELETE,
        "answers to the child's flags, and every answer given with a decision on the child's own visits",
        personal=("flag_title", "response", "reason"),
        plain=("id", "decision_id", "child_id"),
        steps=(
            delete_rows(
                lambda t, s: or_(
                    t.c.child_id == s.child_id,
                    t.c.decision_id.in_(select(ReviewDecision.id).where(ReviewDecision.assessment_id.in_(s.only))),
                )
            ),
        ),
    ),
    "plan_changes": Entry(
        DELETE,
        "the child's plan history",
        personal=(
            "effective_date",
            "from_status",
            "from_category",
            "to_status",
            "to_category",
            "note",
            "status",
            "decided_at",
            "decision_note",
        ),
        plain=("id", "child_id", "changed_by_id", "changed_at", "decided_by_id"),
        steps=(delete_rows(of_child),),
    ),
    "child_addresses": Entry(
        DELETE,
        "where the child lived",
        personal=("from_date", "until", "line_1", "line_2", "town", "postcode", "area", "kind", "is_move"),
        plain=("id", "child_id", "recorded_by_id", "recorded_at"),
        steps=(delete_rows(of_child),),
    ),
    "no_access_visits": Entry(
        DELETE,
        "visits where the practitioner could not get in, and what they did next",
        personal=("attempted_on", "attempted_at", "reason", "next_steps", "recorded_at"),
        plain=("id", "child_id", "by_id"),
        steps=(delete_rows(of_child),),
    ),
    "record_changes": Entry(
        DELETE,
        "corrections to the child's details (they quote them)",
        personal=("summary",),
        plain=("id", "child_id", "by_id", "at"),
        steps=(delete_rows(of_child),),
    ),
    "transfers": Entry(
        DELETE,
        "the child's moves between teams",
        personal=("note",),
        plain=(
            "id",
            "child_id",
            "from_team_id",
            "to_team_id",
            "from_worker_id",
            "by_id",
            "at",
            "acknowledged_by_id",
            "acknowledged_at",
            "to_worker_id",
        ),
        steps=(delete_rows(of_child),),
    ),
    "handovers": Entry(
        DELETE,
        "the child's handovers between workers",
        personal=("note",),
        plain=("id", "child_id", "from_worker_id", "to_worker_id", "by_id", "at"),
        steps=(delete_rows(of_child),),
    ),
    "chronology_entries": Entry(
        DELETE,
        "the child's chronology",
        personal=("occurred_on", "source_kind", "source", "summary"),
        plain=("id", "child_id", "created_by_id", "created_at"),
        steps=(delete_rows(of_child),),
    ),
    "significant_adults": Entry(
        DELETE,
        "the adults no other child reaches go; one shared with a brother or sister who stays is "
        "kept for them and recorded for them from then on",
        personal=(
            "name",
            "relationship_to_child",
            "sex",
            "residence",
            "cares_for_child",
            "parental_responsibility",
            "recorded_at",
            "recorded_on",
            "child_id",
            "household_id",
        ),
        plain=("id", "recorded_by_id"),
        steps=(_move_adults, delete_rows(lambda t, s: t.c.id.in_(s.adults_gone))),
    ),
    "adult_checks": Entry(
        DELETE,
        "the checks on the adults who go (a kept adult keeps theirs)",
        personal=("checked_on", "note"),
        plain=("id", "adult_id", "by_id"),
        steps=(delete_rows(lambda t, s: t.c.adult_id.in_(s.adults_gone)),),
    ),
    "agencies": Entry(
        DELETE,
        "the agencies involved with the child (recorded per child)",
        personal=("name", "area", "out_of_area", "contact", "role"),
        plain=("id", "child_id"),
        steps=(delete_rows(of_child),),
    ),
    "information_requests": Entry(
        DELETE,
        "what was asked of the child's agencies",
        personal=(
            "asked_on",
            "what",
            "received_on",
            "received_summary",
            "analysis",
            "withdrawn_on",
            "withdrawn_reason",
        ),
        plain=("id", "child_id", "agency_id", "by_id"),
        steps=(delete_rows(lambda t, s: or_(t.c.child_id == s.child_id, t.c.agency_id.in_(s.agencies))),),
    ),
    "family_history": Entry(
        DELETE,
        "what is known of the family's past, recorded for the child (an entry about the household "
        "goes with the child it was recorded for)",
        personal=("kind", "summary", "place", "from_date", "to_date", "source", "source_date", "recorded_at"),
        plain=("id", "child_id", "household_id", "recorded_by_id"),
        steps=(delete_rows(of_child),),
    ),
    "meetings": Entry(
        DELETE,
        "meetings about the child",
        personal=("held_on", "kind", "invited", "invited_agencies", "not_invited", "attended", "sent_information"),
        plain=("id", "child_id", "by_id"),
        steps=(delete_rows(of_child),),
    ),
    "exports": Entry(
        BLANK,
        "an export's row names no child and stays (who asked for which teams and dates); the ZIP of "
        "a finished export that held one of the child's visits is deleted and the export marked deleted",
        personal=("requested_by_id",),
        plain=(
            "id",
            "requested_at",
            "team_ids",
            "date_from",
            "date_to",
            "status",
            "total",
            "done",
            "filename",
            "error",
            "finished_at",
            "attempt",
            "progress_at",
        ),
        steps=(_drop_export_files,),
    ),
    "audit_events": Entry(
        KEEP,
        "append-only and hash-chained: rows keep the ids of the tombstone and the emptied visits and "
        "never held a name or an answer, so the chain still verifies after an erasure",
        personal=("user_id", "email_tried", "address", "target_user_id"),
        plain=("id", "at", "action", "child_id", "assessment_id", "detail", "row_hash", "scheme", "chain_seq"),
    ),
}


def scope_of(child: Child) -> Scope:
    """Which rows erasing this child reaches."""
    covering = select(assessment_children.c.assessment_id).where(assessment_children.c.child_id == child.id)
    others = select(assessment_children.c.assessment_id).where(assessment_children.c.child_id != child.id)
    visits = set(db.session.scalars(covering))
    only = set(db.session.scalars(covering.except_(others)))
    reach = [SignificantAdult.child_id == child.id]
    if child.household_id is not None:
        reach.append(SignificantAdult.household_id == child.household_id)
    adults = list(db.session.scalars(select(SignificantAdult).where(or_(*reach))))
    households = {h for h in [child.household_id, *(a.household_id for a in adults)] if h is not None}
    # Who stays in each household the erasure touches (lowest id first: they inherit its adults).
    staying: dict[int, list[int]] = {h: [] for h in households}
    for household_id, child_id in db.session.execute(
        select(Child.household_id, Child.id)
        .where(Child.household_id.in_(households), Child.id != child.id, Child.erased_at.is_(None))
        .order_by(Child.id)
    ):
        staying[household_id].append(child_id)
    gone: list[int] = []
    moved: dict[int, int] = {}
    for adult in adults:
        heirs = staying.get(adult.household_id, []) if adult.household_id is not None else []
        if adult.child_id != child.id:
            continue  # recorded for a brother or sister who is not erased: theirs
        if heirs:
            moved[adult.id] = heirs[0]
        else:
            gone.append(adult.id)
    return Scope(
        child_id=child.id,
        only=tuple(sorted(only)),
        shared=tuple(sorted(visits - only)),
        adults_gone=tuple(gone),
        adults_moved=moved,
        households_gone=tuple(sorted(h for h, heirs in staying.items() if not heirs)),
        agencies=tuple(db.session.scalars(select(Agency.id).where(Agency.child_id == child.id))),
        exports=_exports_holding(visits),
    )


def _exports_holding(visit_ids: set[int]) -> tuple[int, ...]:
    """Finished exports whose teams and dates took in one of these visits (as exports choose them)."""
    if not visit_ids:
        return ()
    visits = db.session.execute(
        select(Assessment.team_id, Assessment.visit_date).where(
            Assessment.id.in_(visit_ids), Assessment.status.in_(RECORDED), Assessment.visit_date.is_not(None)
        )
    ).all()
    held = []
    for export in db.session.scalars(select(Export).where(Export.status == "done")):
        if any(team in export.team_ids and export.date_from <= day <= export.date_to for team, day in visits):
            held.append(export.id)
    return tuple(held)


def erase(child: Child) -> None:
    """Erase everything the map lists for this child, leaving the tombstone. The caller commits."""
    db.session.flush()
    scope = scope_of(child)
    for table in reversed(db.metadata.sorted_tables):
        for step in MAP[table.name].steps:
            step(table, scope)
    db.session.flush()
    # Nothing loaded before the erasure may be written back or shown from memory.
    db.session.expire_all()
    caching.forget()
