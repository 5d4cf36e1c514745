"""Assessments: start, save a section at a time, submit once, score with the version they were made with."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from heat import metrics
from heat.checklist import Definition, scoring
from heat.checklist.scoring import Finding
from heat.checklist.vocabulary import ACTIONS_CLOSED, EDITABLE, GRADED, RECORDED, ROOM_UNSEEN, UNBORN, age_group
from heat.extensions import db
from heat.models import (
    Action,
    Assessment,
    AssessmentVersion,
    Child,
    ItemGrade,
    PersonPresent,
    RoomCheck,
    SectionSave,
    SignificantAdult,
    User,
    assessment_children,
    utcnow,
)
from heat.services import adults, audit, versions
from heat.services.checklists import ages_of, current_definition, definition_for, practice_counts_of, score_of
from heat.services.summaries import refresh_children_of

Answers = dict[str, Any]  # one section's answers as plain values (see "loaded and stored" below)
NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"
STATUS_LABELS = {NOT_STARTED: "Not started", IN_PROGRESS: "In progress", COMPLETED: "Completed"}


class SectionKind(StrEnum):
    """The kinds of section an assessment has: four fixed ones, the rooms, and a checklist domain
    (one section per domain of the assessment's own checklist version)."""

    VISIT = "visit"
    PEOPLE = "people"
    ROOMS = "rooms"
    DOMAIN = "domain"
    VOICE = "voice"
    ACTIONS = "actions"


@dataclass(frozen=True)
class Section:
    """One section of an assessment, as every page, the tablet's API, Check answers and the demo
    read it: its place in the task list, how its answers are loaded and stored (plain values, see
    below), and the partial template that asks its questions. Its form is chosen by its kind
    (forms/assessment.py): services never import forms."""

    id: str
    title: str
    group: str
    kind: SectionKind
    partial: str = field(compare=False)
    load: Callable[[Assessment, str], Answers] = field(compare=False, repr=False)
    store: Callable[[Assessment, str, Answers], None] = field(compare=False, repr=False)


class EditConflict(Exception):
    """Someone saved this assessment after the page being saved was opened."""


class NotReadyToSubmit(Exception):
    def __init__(self, sections: list[Section]):
        super().__init__("sections not completed")
        self.sections = sections


def sections(definition: Definition) -> list[Section]:
    """The sections of an assessment made with this checklist version, in the order they are asked."""
    return [
        Section("visit", "Visit details", "The visit", SectionKind.VISIT, _FIELDS, _load_visit, _store_visit),
        Section(
            "people",
            "People present",
            "The visit",
            SectionKind.PEOPLE,
            _PARTIAL.format("people"),
            _load_people,
            _store_people,
        ),
        Section(
            "rooms", "Rooms seen", "The home", SectionKind.ROOMS, _PARTIAL.format("rooms"), _load_rooms, _store_rooms
        ),
        *[
            Section(
                d.id, d.title, "The home", SectionKind.DOMAIN, _PARTIAL.format("domain"), _load_domain, _store_domain
            )
            for d in definition.domains
        ],
        Section(
            "voice",
            "Child's voice and parent's view",
            "The child and family",
            SectionKind.VOICE,
            _FIELDS,
            _load_voice,
            _store_voice,
        ),
        Section(
            "actions",
            "Analysis, actions and next visit",
            "What happens next",
            SectionKind.ACTIONS,
            _PARTIAL.format("actions"),
            _load_actions,
            _store_actions,
        ),
    ]


_PARTIAL = "casework/sections/{}.html"
_FIELDS = _PARTIAL.format("fields")  # each field of the form in turn, as the form orders them


def section_of(definition: Definition, section_id: str) -> Section | None:
    return next((s for s in sections(definition) if s.id == section_id), None)


def section_statuses(assessment: Assessment) -> dict[str, str]:
    stored = assessment.section_status or {}
    return {s.id: stored.get(s.id, NOT_STARTED) for s in sections(definition_for(assessment))}


# --- reading --------------------------------------------------------------------------------


# What pages read of a past visit to list it, trend it and date it (the child page, its
# chronology, the "Last visit" grades on a section): the free-text answers stay in the database.
VISIT_COLUMNS = (
    Assessment.id,
    Assessment.status,
    Assessment.version,
    Assessment.start_key,
    Assessment.updated_at,
    Assessment.created_at,
    Assessment.created_by_id,
    Assessment.checklist_version,
    Assessment.visit_date,
    Assessment.submitted_at,
    Assessment.rating,
    Assessment.ages,
)


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The latest submitted visit to any of the same children before this one."""
    query = _PREVIOUS if assessment.visit_date is None else _PREVIOUS_BY_DATE
    params = {"child_ids": [c.id for c in assessment.children], "id": assessment.id, "date": assessment.visit_date}
    return db.session.scalar(query, params)


# The pages every visit opens run these: built once, their values travel as parameters.
_PREVIOUS = (
    select(Assessment)
    .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
    .where(
        assessment_children.c.child_id.in_(bindparam("child_ids", expanding=True)),
        Assessment.status.in_(RECORDED),
        Assessment.id != bindparam("id"),
    )
    .order_by(Assessment.visit_date.desc(), Assessment.submitted_at.desc())
    .limit(1)
    .options(load_only(*VISIT_COLUMNS, raiseload=True))
)
_PREVIOUS_BY_DATE = _PREVIOUS.where(Assessment.visit_date <= bindparam("date"))
_CHILD_ASSESSMENTS = (
    select(Assessment)
    .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
    .where(assessment_children.c.child_id == bindparam("child_id"))
    .order_by(Assessment.visit_date.desc().nulls_first(), Assessment.created_at.desc())
    .options(
        # The page reads only these; any other column read would raise (see the tests), so a
        # change that needs one adds it here rather than a query per row.
        load_only(*VISIT_COLUMNS, raiseload=True),
        joinedload(Assessment.created_by),
    )
)


def child_assessments(child: Child) -> list[Assessment]:
    """Every assessment covering the child, newest first, with who made it (the chronology reads
    the supervisors' decisions in its own query of plain rows)."""
    return list(db.session.scalars(_CHILD_ASSESSMENTS, {"child_id": child.id}))


def household_children(child: Child) -> list[Child]:
    if child.household_id is None:
        return [child]
    return list(
        db.session.scalars(
            select(Child)
            .where(Child.household_id == child.household_id, Child.team_id == child.team_id)
            .order_by(Child.date_of_birth.desc())
        )
    )


# --- writing --------------------------------------------------------------------------------


def start(user: User, children: list[Child], start_key: str) -> Assessment:
    """Start a draft for these children; the same start key again returns the same draft, even
    when two copies of the request arrive at once (the loser of the race reads the winner's)."""
    existing = db.session.scalar(select(Assessment).where(Assessment.start_key == start_key))
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():
            assessment = _new_draft(user, children, start_key)
    except IntegrityError:
        return db.session.scalars(select(Assessment).where(Assessment.start_key == start_key)).one()
    audit.record("assessment_started", user=user, assessment_id=assessment.id)
    return assessment


@contextmanager
def unsaved_draft(user: User, children: list[Child]) -> Iterator[Assessment]:
    """The draft `start` would make now, existing only inside the block: a tablet draws a new
    assessment's pages from it while it has a signal, and starts the real one later with its own
    start key. Nothing of it is kept (its id is used and rolled back)."""
    with db.session.no_autoflush:
        draft = Assessment(**_draft_columns(user, children, f"unsaved-{uuid.uuid4().hex}"))
        # Set as loaded, not as changes: no backref puts the draft in a child's list of visits.
        set_committed_value(draft, "created_by", user)
        set_committed_value(draft, "children", list(children))
        draft.id = UNSAVED_ID
        _column_defaults(draft)
        _carry_actions_forward(draft)
        yield draft
    # Never written: nothing locks the database while the pages are drawn from it (SQLite's write
    # lock was held for seconds here when the draft was flushed and rolled back).
    assert draft not in db.session, "the unsaved draft was added to the session"


# An unsaved draft's id: no row has it (ids start at 1), so anything asked of it finds nothing, as
# it would for a draft just made; the tablet's pages replace it with their own start key.
UNSAVED_ID = 0


def _column_defaults(record: Assessment) -> None:
    """What writing the record would give the columns it leaves empty (status "draft", version 1...)."""
    for attribute in sa_inspect(Assessment).column_attrs:
        default = attribute.columns[0].default
        if default is not None and getattr(record, attribute.key) is None:
            setattr(record, attribute.key, default.arg(None) if default.is_callable else default.arg)


def _new_draft(user: User, children: list[Child], start_key: str) -> Assessment:
    assessment = Assessment(**_draft_columns(user, children, start_key), created_by=user, children=children)
    db.session.add(assessment)
    db.session.flush()
    _carry_actions_forward(assessment)
    return assessment


def _draft_columns(user: User, children: list[Child], start_key: str) -> dict:
    return {
        "team_id": children[0].team_id,
        "created_by_id": user.id,
        "checklist_version": current_definition().version,
        "start_key": start_key,
        "plan_status": children[0].plan_status,
        "plan_category": children[0].plan_category,
        "section_status": {},
        "ages": ages_of(children, None),
    }


def _carry_actions_forward(assessment: Assessment) -> None:
    """Actions not yet done at the children's last visit come forward, so this visit checks them."""
    previous = previous_assessment(assessment)
    if previous is not None:
        assessment.actions = [
            Action(position=i, task=a.task, owner=a.owner, due_date=a.due_date, status="open", carried_forward=True)
            for i, a in enumerate(x for x in previous.actions if x.status not in ACTIONS_CLOSED)
        ]


# --- one section's answers, loaded and stored ------------------------------------------------
#
# Answers are plain values. The fixed sections use their own field names; rooms are keyed by room
# id ({room_id: {"status", "reason"}}) and checklist domains by item id
# ({item_id: {"grade", "source", "comment"}}). Forms translate to and from these shapes.

VISIT_TEXT = (
    "visit_type",
    "plan_status",
    "plan_category",
    "joint_visitor",
    "joint_visitor_agency",
    "handover_from",
    "handover_to",
    "gcp2_completed_on",
)
PEOPLE_TEXT = ("absent_members", "new_partner", "father_involvement")
VOICE_TEXT = (
    "child_seen",
    "child_seen_alone",
    "infant_seen_awake",
    "child_voice",
    "parent_view",
    "shown_scores",
    "parent_rating",
    "parent_agrees",
    "family_copy_given_on",
    "practitioner_notes",
)
ACTIONS_TEXT = ("strengths", "worries", "next_visit_date")
# Each child's answers in the voice section (since 2026.4): the form's field prefix, the stored key.
CHILD_PARTS = {"seen": "seen", "why": "reason", "voice": "voice"}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _load_visit(a: Assessment, section_id: str) -> Answers:
    return {
        "visit_date": a.visit_date,
        "visit_time": a.visit_time.strftime("%H:%M") if a.visit_time else None,
        "announced": None if a.announced is None else ("yes" if a.announced else "no"),
        **{k: getattr(a, k) for k in VISIT_TEXT},
        "photos_agreed": ["yes"] if a.photos_agreed else [],
    }


def _store_visit(a: Assessment, section_id: str, answers: Answers) -> None:
    a.visit_date = answers["visit_date"]
    time = _clean(answers["visit_time"])
    a.visit_time = dt.datetime.strptime(time, "%H:%M").time() if time else None
    a.announced = None if not answers["announced"] else answers["announced"] == "yes"
    a.photos_agreed = "yes" in (answers.get("photos_agreed") or [])
    for k in VISIT_TEXT:
        setattr(a, k, _clean(answers.get(k)))
    if a.plan_status != "cp":
        a.plan_category = None
    a.ages = ages_of(a.children, a.visit_date)


def _person(p: PersonPresent | None, adult: SignificantAdult | None, present: str | None) -> dict[str, Any]:
    """A row of the people section: what this visit recorded about them, else what the register holds."""
    return {
        "adult_id": str(adult.id) if adult else "",
        "present": present,
        "name": p.name if p else adult.name if adult else None,
        "relationship": p.relationship_to_child if p else adult.relationship_to_child if adult else None,
        "sex": p.sex if p else adult.sex if adult else None,
        "residence": p.residence if p else adult.residence if adult else None,
        "cares_for_child": p.cares_for_child if p else adult.cares_for_child if adult else None,
        "parental_responsibility": adult.parental_responsibility if adult else None,
    }


def _load_people(a: Assessment, section_id: str) -> Answers:
    """The people section starts from the household's register of adults: a row for each (was
    this person here?), then anyone else recorded as here at this visit."""
    register = adults.register_for(a.children)
    by_adult = {p.adult_id: p for p in a.people if p.adult_id is not None}
    saved = bool((a.section_status or {}).get("people"))
    rows = [
        _person(by_adult.get(adult.id), adult, "yes" if adult.id in by_adult else "no" if saved else None)
        for adult in register
    ]
    known = {adult.id for adult in register}
    rows += [_person(p, None, "yes") for p in a.people if p.adult_id is None or p.adult_id not in known]
    return {"people": rows, **{k: getattr(a, k) for k in PEOPLE_TEXT}}


def _store_people(a: Assessment, section_id: str, answers: Answers) -> None:
    """Who was here. Everyone listed, here or not, is on the household's register (someone new
    joins it); only those answered Yes to "Here at this visit?" are recorded as seen."""
    with db.session.no_autoflush:  # one UPDATE of the assessment: a save moves it one version on
        register = adults.register_for(a.children)
        by_id = {adult.id: adult for adult in register}
        for k in PEOPLE_TEXT:
            setattr(a, k, _clean(answers.get(k)))
        rows: list[PersonPresent] = []
        for p in (p for p in answers["people"] if _clean(p["name"])):
            about = adults.About(
                relationship=_clean(p.get("relationship")),
                sex=_clean(p.get("sex")),
                residence=_clean(p.get("residence")),
                cares_for_child=_clean(p.get("cares_for_child")),
                parental_responsibility=_clean(p.get("parental_responsibility")),
            )
            adult = by_id.get(int(p["adult_id"])) if str(p.get("adult_id") or "").isdigit() else None
            if adult is not None:  # the register keeps what was last recorded about them
                adults.update_from_visit(adult, about)
            elif a.children:
                adult = adults.join_register(a, register, _clean(p["name"]), about)
            if p.get("present") != "yes":
                continue
            rows.append(
                PersonPresent(
                    position=len(rows),
                    name=_clean(p["name"]),
                    relationship_to_child=about.relationship,
                    sex=about.sex,
                    residence=about.residence,
                    cares_for_child=about.cares_for_child,
                    adult=adult,
                )
            )
        a.people = rows


def _load_rooms(a: Assessment, section_id: str) -> Answers:
    return {r.room_id: {"status": r.status, "reason": r.reason} for r in a.rooms}


def _store_rooms(a: Assessment, section_id: str, answers: Answers) -> None:
    existing = {r.room_id: r for r in a.rooms}
    for room in definition_for(a).rooms:
        answer = answers.get(room.id) or {}
        status = _clean(answer.get("status"))
        reason = _clean(answer.get("reason")) if status in ROOM_UNSEEN else None
        row = existing.get(room.id)
        if status is None:
            if row is not None:
                a.rooms.remove(row)
        elif row is None:
            a.rooms.append(RoomCheck(room_id=room.id, status=status, reason=reason))
        else:
            row.status, row.reason = status, reason


def _load_voice(a: Assessment, section_id: str) -> Answers:
    seen = {
        f"{part}_{child_id}": answer.get(key)
        for child_id, answer in (a.children_seen or {}).items()
        for part, key in CHILD_PARTS.items()
    }
    return {**{k: getattr(a, k) for k in VOICE_TEXT}, **seen}


def _store_voice(a: Assessment, section_id: str, answers: Answers) -> None:
    """The family's view; since 2026.4, how each child born was seen and their own voice, kept
    with the child's name and age group on the day (what the trend rules read)."""
    for k in VOICE_TEXT:
        setattr(a, k, _clean(answers.get(k)))
    day = a.visit_date or dt.date.today()
    seen = {}
    for child in a.children:
        answer = {key: _clean(answers.get(f"{part}_{child.id}")) for part, key in CHILD_PARTS.items()}
        age = age_group(child.date_of_birth, day)
        if any(answer.values()) and age != UNBORN:
            seen[str(child.id)] = {"name": child.short_name, "age": age, **answer}
    a.children_seen = seen or None


def _load_actions(a: Assessment, section_id: str) -> Answers:
    return {
        "actions": [
            {
                "task": x.task,
                "owner": x.owner,
                "due_date": x.due_date,
                "status": x.status,
                "referral": x.referral or "",
                "carried_forward": "yes" if x.carried_forward else "",
                "drop_reason": x.drop_reason,
            }
            for x in a.actions
        ],
        "advice_given": list(a.advice_given or []),
        **{k: getattr(a, k) for k in ACTIONS_TEXT},
    }


def _store_actions(a: Assessment, section_id: str, answers: Answers) -> None:
    for k in ACTIONS_TEXT:
        setattr(a, k, _clean(answers.get(k)))
    a.advice_given = list(answers["advice_given"] or [])
    a.actions = [
        Action(
            position=i,
            task=_clean(x["task"]),
            owner=_clean(x["owner"]),
            due_date=x["due_date"],
            status=x["status"] or "open",
            carried_forward=x.get("carried_forward") == "yes",
            referral=_clean(x.get("referral")),
            drop_reason=_clean(x.get("drop_reason")) if x["status"] == "dropped" else None,
        )
        for i, x in enumerate(x for x in answers["actions"] if _clean(x["task"]))
    ]


def _load_domain(a: Assessment, section_id: str) -> Answers:
    stored = {g.item_id: g for g in a.grades}
    domain = definition_for(a).domain(section_id)
    answered = a.question_answers or {}
    return {
        **{q.id: {"answer": answered[q.id]} for q in domain.questions if q.id in answered},
        **{
            item.id: {"grade": g.grade, "source": g.evidence_source, "comment": g.comment}
            for item in domain.items
            if (g := stored.get(item.id)) is not None
        },
    }


def _store_domain(a: Assessment, section_id: str, answers: Answers) -> None:
    stored = {g.item_id: g for g in a.grades}
    domain = definition_for(a).domain(section_id)
    if domain.questions:
        answered = dict(a.question_answers or {})  # a new dict, so the JSON column is seen to change
        for question in domain.questions:
            answer = _clean((answers.get(question.id) or {}).get("answer"))
            if answer is None:
                answered.pop(question.id, None)
            else:
                answered[question.id] = answer
        a.question_answers = answered
    for item in domain.items:
        answer = answers.get(item.id) or {}
        grade = _clean(answer.get("grade"))
        graded = stored.get(item.id)
        if grade is None:
            if graded is not None:
                a.grades.remove(graded)
            continue
        if graded is None:
            graded = ItemGrade(item_id=item.id)
            a.grades.append(graded)
        graded.grade = grade
        graded.evidence_source = _clean(answer.get("source")) if grade in GRADED else None
        graded.comment = _clean(answer.get("comment"))


def contradictions(assessment: Assessment, section_id: str, answers: Answers) -> list[Finding]:
    """What a checklist section's answers contradict in the rest of the assessment (see
    scoring.contradictions), each about an item or question of this section."""
    definition = definition_for(assessment)
    if section_id not in {d.id for d in definition.domains}:
        return []
    domain = definition.domain(section_id)
    grades = assessment.grade_map | {i.id: (answers.get(i.id) or {}).get("grade") for i in domain.items}
    sources = {g.item_id: g.evidence_source for g in assessment.grades}
    sources |= {i.id: (answers.get(i.id) or {}).get("source") for i in domain.items}
    questions = dict(assessment.question_answers or {})
    questions |= {q.id: (answers.get(q.id) or {}).get("answer") for q in domain.questions}
    visit = scoring.Answers(
        {k: v for k, v in grades.items() if v}, assessment.room_map, sources, {k: v for k, v in questions.items() if v}
    )
    ours = {i.id for i in domain.items} | {q.id for q in domain.questions}
    return [f for f in scoring.contradictions(definition, visit) if f.item_id in ours]


def visit_contradictions(assessment: Assessment) -> list[tuple[str, str]]:
    """Answers anywhere in the assessment that cannot all be true (see scoring.contradictions), in
    words, each with the section to change. The items of one section graded as observed in a room
    not seen make one line, not one per item (the section names each when it is saved)."""
    definition = definition_for(assessment)
    visit = scoring.Answers(
        {k: v for k, v in assessment.grade_map.items() if v},
        assessment.room_map,
        {g.item_id: g.evidence_source for g in assessment.grades},
        {k: v for k, v in (assessment.question_answers or {}).items() if v},
    )
    item_section = {i.id: d for d in definition.domains for i in d.items}
    question_section = {q.id: d.id for d in definition.domains for q in d.questions}
    by_section: dict[str, list[Finding]] = {}
    lines = []
    for finding in scoring.contradictions(definition, visit):
        if (domain := item_section.get(finding.item_id or "")) is not None:
            by_section.setdefault(domain.id, []).append(finding)
        else:
            lines.append((question_section.get(finding.item_id or "", "rooms"), finding.text))
    for section_id, findings in by_section.items():
        if len(findings) == 1:
            lines.insert(0, (section_id, findings[0].text))
        else:
            title = definition.domain(section_id).title
            lines.insert(
                0,
                (
                    section_id,
                    f"{title}: {len(findings)} items are graded as observed in a room recorded as not seen or "
                    "refused. Say how you know each, or choose Not seen",
                ),
            )
    return lines


def section_answers(assessment: Assessment, section_id: str) -> Answers:
    """What is stored for a section, as plain answers."""
    return _section(assessment, section_id).load(assessment, section_id)


def _section(assessment: Assessment, section_id: str) -> Section:
    section = section_of(definition_for(assessment), section_id)
    if section is None:
        raise KeyError(f"no section {section_id} in checklist {assessment.checklist_version}")
    return section


def lock(assessment: Assessment) -> Assessment:
    """Queue up behind anyone else changing this assessment and read it afresh. PostgreSQL takes
    the row lock (SELECT ... FOR NO KEY UPDATE); on SQLite the request's IMMEDIATE transaction
    already holds the write lock. Two saves or submits of one assessment then never race.

    NO KEY UPDATE, because the id never changes: a row that names the assessment (an audit row of
    someone reading it, whose foreign key check takes KEY SHARE) is not held up behind the save."""
    return db.session.scalars(
        select(Assessment)
        .where(Assessment.id == assessment.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one()


def section_version(assessment: Assessment, section_id: str) -> int:
    return int((assessment.section_versions or {}).get(section_id, 0))


def previous_save(assessment: Assessment, user: User, section_id: str, save_key: str) -> SectionSave | None:
    """The save already made with this key, if any: the same save sent again (a retry after a
    dropped connection, or the outbox sending twice) is answered as the first was."""
    done = db.session.scalar(select(SectionSave).where(SectionSave.key == save_key))
    if done is not None and (done.assessment_id, done.section_id, done.user_id) != (
        assessment.id,
        section_id,
        user.id,
    ):
        raise EditConflict()  # a key is one save of one section by one person, never reused
    return done


def save_section(
    assessment: Assessment,
    user: User,
    section_id: str,
    answers: Answers,
    *,
    completing: bool,
    seen_version: int,
    save_key: str,
) -> SectionSave:
    """Store one section once. `seen_version` is the section's version when the page was opened:
    if someone has saved this section since, nothing is stored and EditConflict is raised (saves
    of other sections do not count). `save_key` makes the save idempotent: the same key again
    returns the first save and stores nothing. The caller commits."""
    lock(assessment)
    done = previous_save(assessment, user, section_id, save_key)
    if done is not None:
        metrics.REPLAYS.labels("section").inc()
        return done
    if assessment.status not in EDITABLE or seen_version != section_version(assessment, section_id):
        raise EditConflict()
    with db.session.no_autoflush:  # one UPDATE of the assessment, so one step of its version
        _section(assessment, section_id).store(assessment, section_id, answers)
    assessment.section_status = {
        **(assessment.section_status or {}),
        section_id: COMPLETED if completing else IN_PROGRESS,
    }
    new_version = seen_version + 1
    assessment.section_versions = {**(assessment.section_versions or {}), section_id: new_version}
    assessment.updated_at = utcnow()  # always bumps the version, even when only child rows changed
    save = SectionSave(
        key=save_key,
        assessment_id=assessment.id,
        section_id=section_id,
        user_id=user.id,
        completing=completing,
        section_version=new_version,
    )
    db.session.add(save)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict() from None
    save.assessment_version = assessment.version  # one step on from the version the save found
    audit.record("section_saved", user=user, assessment_id=assessment.id, detail=section_id)
    return save


def submit(assessment: Assessment, user: User, submission_key: str, seen_version: int) -> Assessment:
    """Submit once, scored with the assessment's own checklist version, and refresh the children's
    summaries. The same key again (a retried POST) returns the stored result unchanged. An
    assessment returned for changes is submitted again for review. The caller commits."""
    lock(assessment)
    if assessment.status not in EDITABLE:
        metrics.REPLAYS.labels("submit").inc()
        return assessment
    if seen_version != assessment.version:
        raise EditConflict()
    incomplete = [s for s in sections(definition_for(assessment)) if section_statuses(assessment)[s.id] != COMPLETED]
    if incomplete or visit_contradictions(assessment):
        # A Rooms answer changed after a checklist section was saved can leave answers that cannot
        # all be true: each section refused them when saved, and so does submitting.
        raise NotReadyToSubmit(incomplete)
    result = score_of(assessment)
    assessment.status = "submitted"
    assessment.submission_key = submission_key
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = user.id
    assessment.updated_at = assessment.submitted_at
    assessment.rating = result.rating
    assessment.mean_grade = result.mean
    for name, value in asdict(practice_counts_of(assessment)).items():
        setattr(assessment, name, value)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict() from None
    refresh_children_of(assessment)
    audit.record("assessment_submitted", user=user, assessment_id=assessment.id)
    again = db.session.scalar(select(AssessmentVersion.id).where(AssessmentVersion.assessment_id == assessment.id))
    versions.keep(assessment, "resubmitted" if again else "submitted", user, assessment.submitted_at)
    return assessment
