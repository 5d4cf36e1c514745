"""A child's chronology: every visit, decision, flag, plan change, handover and added entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    DateTime,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)

from heat.checklist.vocabulary import DECISIONS, FLAG_RESPONSES, HOME_KINDS, NO_ACCESS_REASONS
from heat.extensions import db
from heat.models import (
    Assessment,
    Child,
    ChildAddress,
    ChronologyEntry,
    FlagResponse,
    Handover,
    Meeting,
    NoAccessVisit,
    PlanChange,
    RecordChange,
    ReviewDecision,
    Team,
    Transfer,
    User,
    assessment_children,
)
from heat.services.history import History, plan_changes

CHRONOLOGY_KINDS = {
    "visit": "Visits",
    "decision": "Supervisor decisions",
    "flag": "Flags",
    "plan": "Plan changes",
    "handover": "Handovers and transfers",
    "move": "Moves",
    "record": "Changes to the record",
    "entry": "Information added",
    "meeting": "Meetings",
}


_HANDOVERS: Table = Handover.__table__  # type: ignore[assignment]
_ENTRIES: Table = ChronologyEntry.__table__  # type: ignore[assignment]
_USERS: Table = User.__table__  # type: ignore[assignment]
_ANSWERS: Table = FlagResponse.__table__  # type: ignore[assignment]
_DECISIONS: Table = ReviewDecision.__table__  # type: ignore[assignment]
_COVERS: Table = assessment_children
_ADDRESSES: Table = ChildAddress.__table__  # type: ignore[assignment]
_CHANGES: Table = RecordChange.__table__  # type: ignore[assignment]
_TRANSFERS: Table = Transfer.__table__  # type: ignore[assignment]
_TEAMS: Table = Team.__table__  # type: ignore[assignment]
_NO_ACCESS: Table = NoAccessVisit.__table__  # type: ignore[assignment]


def _recorded_by_hand() -> CompoundSelect:
    """Handovers (a: from, b: to), entries (a: source) and supervisors' answers to the child's
    flags (a: response, b: flag, row_id: the assessment), oldest kind first, as one UNION ALL;
    `child_id` is bound at execution."""
    child_id: Any = bindparam("child_id")
    from_worker, to_worker, by = _USERS.alias("from_worker"), _USERS.alias("to_worker"), _USERS.alias("by_user")
    no_date, no_time, no_text = cast(null(), Date), cast(null(), DateTime), cast(null(), String)
    handovers = (
        select(
            literal("handover").label("kind"),
            literal(1).label("rank"),
            _HANDOVERS.c.id.label("row_id"),
            no_date.label("day"),
            _HANDOVERS.c.at.label("at"),
            from_worker.c.name.label("a"),
            to_worker.c.name.label("b"),
            cast(_HANDOVERS.c.note, Text).label("note"),
            by.c.name.label("by"),
        )
        .outerjoin(from_worker, from_worker.c.id == _HANDOVERS.c.from_worker_id)
        .join(to_worker, to_worker.c.id == _HANDOVERS.c.to_worker_id)
        .join(by, by.c.id == _HANDOVERS.c.by_id)
        .where(_HANDOVERS.c.child_id == child_id)
    )
    entries = (
        select(
            literal("entry"),
            literal(2),
            _ENTRIES.c.id,
            _ENTRIES.c.occurred_on,
            no_time,
            _ENTRIES.c.source,
            no_text,
            cast(_ENTRIES.c.summary, Text),
            _USERS.c.name,
        )
        .join(_USERS, _USERS.c.id == _ENTRIES.c.created_by_id)
        .where(_ENTRIES.c.child_id == child_id)
    )
    answers = (
        select(
            literal("answer"),
            literal(3),
            _DECISIONS.c.assessment_id,
            no_date,
            _DECISIONS.c.decided_at,
            _ANSWERS.c.response,
            _ANSWERS.c.flag_title,
            cast(_ANSWERS.c.reason, Text),
            _USERS.c.name,
        )
        .join(_DECISIONS, _DECISIONS.c.id == _ANSWERS.c.decision_id)
        .join(_USERS, _USERS.c.id == _DECISIONS.c.reviewer_id)
        .where(_ANSWERS.c.child_id == child_id)
    )
    decisions = (
        select(
            literal("decision"),
            literal(0),
            _DECISIONS.c.assessment_id,
            no_date,
            _DECISIONS.c.decided_at,
            _DECISIONS.c.decision,
            no_text,
            cast(_DECISIONS.c.rationale, Text),
            _USERS.c.name,
        )
        .join(_USERS, _USERS.c.id == _DECISIONS.c.reviewer_id)
        .join(_COVERS, _COVERS.c.assessment_id == _DECISIONS.c.assessment_id)
        .where(_COVERS.c.child_id == child_id)
    )
    moves = (
        select(
            literal("move"),
            literal(4),
            _ADDRESSES.c.id,
            _ADDRESSES.c.from_date,
            no_time,
            _ADDRESSES.c.kind,
            _ADDRESSES.c.area,
            cast(
                func.coalesce(_ADDRESSES.c.line_1, "")
                + ", "
                + func.coalesce(_ADDRESSES.c.town, "")
                + " "
                + func.coalesce(_ADDRESSES.c.postcode, ""),
                Text,
            ),
            _USERS.c.name,
        )
        .outerjoin(_USERS, _USERS.c.id == _ADDRESSES.c.recorded_by_id)
        .where(_ADDRESSES.c.child_id == child_id, _ADDRESSES.c.is_move.is_(True))
    )
    changes = (
        select(
            literal("record"),
            literal(5),
            _CHANGES.c.id,
            no_date,
            _CHANGES.c.at,
            no_text,
            no_text,
            cast(_CHANGES.c.summary, Text),
            _USERS.c.name,
        )
        .outerjoin(_USERS, _USERS.c.id == _CHANGES.c.by_id)
        .where(_CHANGES.c.child_id == child_id)
    )
    from_team, to_team = _TEAMS.alias("from_team"), _TEAMS.alias("to_team")
    acknowledger, new_worker = _USERS.alias("acknowledger"), _USERS.alias("new_worker")
    transfers = (
        select(
            literal("transfer"),
            literal(6),
            _TRANSFERS.c.id,
            no_date,
            _TRANSFERS.c.at,
            from_team.c.name,
            to_team.c.name,
            cast(_TRANSFERS.c.note, Text),
            by.c.name,
        )
        .join(from_team, from_team.c.id == _TRANSFERS.c.from_team_id)
        .join(to_team, to_team.c.id == _TRANSFERS.c.to_team_id)
        .join(by, by.c.id == _TRANSFERS.c.by_id)
        .where(_TRANSFERS.c.child_id == child_id)
    )
    acknowledgements = (
        select(
            literal("acknowledged"),
            literal(7),
            _TRANSFERS.c.id,
            no_date,
            _TRANSFERS.c.acknowledged_at,
            to_team.c.name,
            new_worker.c.name,
            no_text,
            acknowledger.c.name,
        )
        .join(to_team, to_team.c.id == _TRANSFERS.c.to_team_id)
        .join(acknowledger, acknowledger.c.id == _TRANSFERS.c.acknowledged_by_id)
        .outerjoin(new_worker, new_worker.c.id == _TRANSFERS.c.to_worker_id)
        .where(_TRANSFERS.c.child_id == child_id, _TRANSFERS.c.acknowledged_at.is_not(None))
    )
    no_access = (
        select(
            literal("no_access"),
            literal(8),
            _NO_ACCESS.c.id,
            _NO_ACCESS.c.attempted_on,
            no_time,
            _NO_ACCESS.c.reason,
            no_text,
            cast(_NO_ACCESS.c.next_steps, Text),
            _USERS.c.name,
        )
        .join(_USERS, _USERS.c.id == _NO_ACCESS.c.by_id)
        .where(_NO_ACCESS.c.child_id == child_id)
    )
    return union_all(
        handovers, entries, answers, decisions, moves, changes, transfers, acknowledgements, no_access
    ).order_by("rank", "row_id", "at")


_RECORDED_BY_HAND = _recorded_by_hand()
# What the chronology says of each meeting, as plain rows (this runs on every child page).
_MEETINGS = select(Meeting.held_on, Meeting.kind, Meeting.invited, Meeting.invited_agencies, Meeting.not_invited).where(
    Meeting.child_id == bindparam("child_id")
)


@dataclass(frozen=True)
class ChronologyItem:
    date: dt.date
    kind: str
    title: str
    text: str
    assessment_id: int | None = None
    by: str | None = None
    flag: str | None = None  # for an answer to a flag, the flag's title (the history PDF groups them)


def _plan_items(change: PlanChange) -> list[ChronologyItem]:
    """A plan change as the chronology tells it: made (and noted), or requested and decided."""
    if not change.is_step_down or change.status == "made":
        noted = f" Noted by {change.decided_by.name}." if change.decided_by else ""
        return [
            ChronologyItem(
                change.effective_date,
                "plan",
                f"Plan changed to {change.to_label}",
                f"From {change.from_label}." + (f" {change.note}" if change.note else "") + noted,
                by=change.changed_by.name,
            )
        ]
    items = [
        ChronologyItem(
            change.changed_at.date(),
            "plan",
            f"Step-down requested: {change.from_label} to {change.to_label}",
            f"To take effect on {change.effective_date.day} {change.effective_date:%B %Y}. {change.note or ''}".strip(),
            by=change.changed_by.name,
        )
    ]
    if change.decided_at is not None:
        outcome = {
            "agreed": f"Step-down agreed: plan changed to {change.to_label}",
            "not_agreed": f"Step-down not agreed: the plan stays {change.from_label}",
            "withdrawn": "Step-down request withdrawn",
        }[change.status]
        # An agreed step-down is filed on the day it takes effect, not the day it was agreed.
        agreed = change.status == "agreed"
        decided = f"{change.decided_at.day} {change.decided_at:%B %Y}"
        items.append(
            ChronologyItem(
                change.effective_date if agreed else change.decided_at.date(),
                "plan",
                outcome,
                (f"Agreed on {decided}. " if agreed else "") + (change.decision_note or ""),
                by=change.decided_by.name if change.decided_by else None,
            )
        )
    return items


def chronology(
    child: Child,
    record: History,
    kind: str | None = None,
    assessments: list[Assessment] | None = None,
    changes: list[PlanChange] | None = None,
) -> list[ChronologyItem]:
    """Every visit, decision, flag, answer to a flag, plan change, handover and added entry, newest
    first. Pass the child's `assessments` and plan `changes` when they are loaded already."""
    items: list[ChronologyItem] = []
    if assessments is None:
        assessments = list(
            db.session.scalars(
                select(Assessment)
                .join(assessment_children, assessment_children.c.assessment_id == Assessment.id)
                .where(assessment_children.c.child_id == child.id, Assessment.status == "returned")
            )
        )
    # Decisions, handovers, added entries and answers to flags in one query of plain rows (this
    # runs on every child page), with the people's names joined in.
    rows = db.session.connection().execute(_RECORDED_BY_HAND, {"child_id": child.id}).all()
    decided: dict[int, list[Any]] = {}
    for row in sorted((r for r in rows if r.kind == "decision"), key=lambda r: r.at):
        decided.setdefault(row.row_id, []).append(row)
    drafts = [a for a in assessments if a.status == "returned"]
    for visit in [*record.visits, *drafts]:
        items.append(
            ChronologyItem(
                visit.visited_on,
                "visit",
                f"Home visit: {visit.rating.title() if visit.rating else 'not rated'}",
                f"{visit.status_label}. Visited by {visit.created_by.name}.",
                visit.id,
                visit.created_by.name,
            )
        )
        for d in decided.get(visit.id, []):
            items.append(
                ChronologyItem(
                    d.at.date(), "decision", f"Supervisor decision: {DECISIONS[d.a]}", d.note, visit.id, d.by
                )
            )

    dates = {v.id: v.visited_on for v in record.visits}
    for flag in (f for f in record.flags if f.visit_ids):  # the no-access flag's attempts are listed below
        items.append(
            ChronologyItem(dates[flag.visit_ids[-1]], "flag", f"Flag: {flag.title}", flag.text, flag.visit_ids[-1])
        )
    for change in plan_changes(child.id) if changes is None else changes:
        items.extend(_plan_items(change))
    for row in rows:
        if row.kind == "decision":
            continue
        if row.kind == "handover":
            items.append(
                ChronologyItem(
                    row.at.date(),
                    "handover",
                    f"Handed over to {row.b}",
                    (f"From {row.a}. " if row.a else "") + row.note,
                    by=row.by,
                )
            )
        elif row.kind == "answer":
            items.append(
                ChronologyItem(
                    row.at.date(),
                    "decision",
                    f"Flag answered: {FLAG_RESPONSES[row.a]}",
                    f"{row.b}: {row.note}",
                    row.row_id,
                    row.by,
                    flag=row.b,
                )
            )
        elif row.kind == "move":
            where = f" in {row.b}" if row.b else ""
            items.append(
                ChronologyItem(
                    row.day, "move", f"Moved home: {HOME_KINDS[row.a]}{where}", row.note.strip(" ,"), by=row.by
                )
            )
        elif row.kind == "no_access":
            items.append(
                ChronologyItem(
                    row.day,
                    "visit",
                    f"No access: {NO_ACCESS_REASONS[row.a]}",
                    f"What was done next: {row.note}",
                    by=row.by,
                )
            )
        elif row.kind == "record":
            items.append(ChronologyItem(row.at.date(), "record", "Record changed", row.note, by=row.by))
        elif row.kind == "transfer":
            items.append(
                ChronologyItem(row.at.date(), "handover", f"Transferred from {row.a} to {row.b}", row.note, by=row.by)
            )
        elif row.kind == "acknowledged":
            worker = f" Allocated to {row.b}." if row.b else ""
            items.append(
                ChronologyItem(
                    row.at.date(), "handover", f"Transfer acknowledged by {row.a}", worker.strip(), by=row.by
                )
            )
        else:
            items.append(ChronologyItem(row.day, "entry", f"Information from {row.a}", row.note, by=row.by))
    for meeting in db.session.connection().execute(_MEETINGS, {"child_id": child.id}):
        invited = "; ".join([*meeting.invited_agencies, *([meeting.invited] if meeting.invited else [])])
        left_out = "".join(f" {name} was not invited." for name in meeting.not_invited)
        items.append(
            ChronologyItem(meeting.held_on, "meeting", f"Meeting: {meeting.kind}", f"Invited: {invited}.{left_out}")
        )
    if kind in CHRONOLOGY_KINDS:
        items = [i for i in items if i.kind == kind]
    return sorted(items, key=lambda i: i.date, reverse=True)
