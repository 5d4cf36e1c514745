"""The child's history PDF: summary, trend chart and table, every assessment with its
decisions, and the chronology, with a SHA-256 of the record data on every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from markupsafe import Markup

from heat.checklist.scoring import Score
from heat.checklist.vocabulary import CHILD_SEEN, ROOM_STATUSES, ROOM_UNSEEN, YES_NO_UNKNOWN
from heat.models import Assessment, Child, relationship_label
from heat.reports.pdf import render_pdf
from heat.services import adults, agencies, family_history, register
from heat.services.checklists import definition_for, score_of
from heat.services.chronology import ChronologyItem, chronology
from heat.services.history import History, history, plan_changes, trend_chart, trend_rows, trend_sentence


def content_hash(child: Child, record: History, items: list[ChronologyItem]) -> str:
    """SHA-256 of the record data a printed history shows, so a printed copy can be checked."""
    data = {
        "child": [
            child.id,
            child.reference,
            child.first_name,
            child.last_name,
            child.date_of_birth.isoformat() if child.date_of_birth else None,
            child.expected_date_of_birth.isoformat() if child.expected_date_of_birth else None,
            child.plan_status,
            child.plan_category,
        ],
        "visits": [
            [
                v.id,
                v.checklist_version,
                v.visited_on.isoformat(),
                v.status,
                v.rating,
                sorted(v.grade_map.items()),
                sorted(v.room_map.items()),
                [[d.decision, d.rationale, d.decided_at.isoformat()] for d in v.decisions],
            ]
            for v in record.visits
        ],
        "chronology": [[i.date.isoformat(), i.kind, i.title, i.text] for i in items],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class VisitAccount:
    """What a case reviewer needs of one visit without opening its own PDF."""

    visit: Assessment
    score: Score
    found: list[str]  # what the deciding reasons found: "Not seen: Where the baby sleeps at night"
    rooms_not_seen: list[str]  # "Kitchen: Refused (carer said it was being decorated)"
    children_seen: list[str]  # "Mia: Seen asleep"
    present: list[str]  # the people recorded as present
    adults_not_seen: list[str]  # register adults who live, stay or care and were not present
    absent: str | None  # household members absent, as the practitioner wrote it


@dataclass(frozen=True)
class FlagAnswers:
    """Every answer to one flag, as one line: the first, the latest and how many."""

    flag: str
    first: ChronologyItem
    latest: ChronologyItem
    count: int


def flag_answers(items: list[ChronologyItem]) -> list[FlagAnswers]:
    """The chronology's answers to flags (newest first), grouped under their flag."""
    groups: dict[str, list[ChronologyItem]] = {}
    for item in items:
        if item.flag is not None:
            groups.setdefault(item.flag, []).append(item)
    return [FlagAnswers(flag, answers[-1], answers[0], len(answers)) for flag, answers in groups.items()]


def visit_account(visit: Assessment, register_seen: list[adults.Seen]) -> VisitAccount:
    definition = definition_for(visit)
    rooms = {r.room_id: r for r in visit.rooms}
    not_seen = [
        f"{room.label}: {ROOM_STATUSES[r.status]}" + (f" ({r.reason})" if r.reason else "")
        for room in definition.rooms
        if (r := rooms.get(room.id)) is not None and r.status in ROOM_UNSEEN
    ]
    if visit.children_seen:
        children = [
            f"{c['name']}: {CHILD_SEEN.get(c.get('seen') or '', 'Not recorded')}" for c in visit.children_seen.values()
        ]
    else:
        seen = YES_NO_UNKNOWN.get(visit.child_seen or "", "Not recorded")
        awake = {"yes": ", an infant seen awake", "no": ", an infant not seen awake"}.get(visit.infant_seen_awake or "")
        children = [f"{', '.join(c.first_name or c.name for c in visit.children)} seen: {seen}{awake or ''}"]
    day = visit.visit_date
    unseen = [
        f"{s.adult.name} ({s.adult.relationship_label})"
        for s in register_seen
        if visit.id not in s.visit_ids and s.adult.must_be_seen and (day is None or s.adult.recorded_on <= day)
    ]
    score = score_of(visit)
    return VisitAccount(
        visit=visit,
        score=score,
        found=list(dict.fromkeys(finding.text for reason in score.deciding_reasons for finding in reason.findings)),
        rooms_not_seen=not_seen,
        children_seen=children,
        present=[
            p.name + (f" ({relationship_label(p.relationship_to_child)})" if p.relationship_to_child else "")
            for p in visit.people
        ],
        adults_not_seen=unseen,
        absent=visit.absent_members,
    )


def history_pdf(child: Child, *, generated_by: str, generated_at: dt.datetime) -> bytes:
    record = history(child, with_answers=True)
    items = chronology(child, record)
    titles, rows = trend_rows(record)
    latest = record.visits[-1] if record.visits else None
    addresses = register.addresses(child.id)
    moves = [(a.from_date, a.kind_label) for a in reversed(addresses) if a.is_move]
    seen = adults.seen(child)
    plans = plan_changes(child.id)
    return render_pdf(
        "reports/history.html",
        child=child,
        record=record,
        items=[i for i in items if i.flag is None],
        flag_answers=flag_answers(items),
        titles=titles,
        rows=rows,
        means={f.summary.id: f.summary.mean for f in record.facts},
        chart=Markup(trend_chart(record, titles, rows, moves, plans, printed=True)),
        trend_summary=trend_sentence(record, titles, rows, moves, plans),
        addresses=addresses,
        seen=seen,
        accounts=[visit_account(v, seen) for v in reversed(record.visits)],
        agency_record=agencies.record_of(child),
        family_history=family_history.entries_for(child),
        latest=latest,
        latest_score=score_of(latest) if latest else None,
        versions=sorted({v.checklist_version for v in record.visits}),
        digest=content_hash(child, record, items),
        generated_by=generated_by,
        generated_at=generated_at,
    )
