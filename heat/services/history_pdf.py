"""The child's history PDF: summary, trend chart and table, every assessment with its
decisions, and the chronology, with a SHA-256 of the record data on every page."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from markupsafe import Markup

from heat.models import Child
from heat.reports.pdf import render_pdf
from heat.services import adults, agencies, family_history, register
from heat.services.checklists import score_of
from heat.services.chronology import ChronologyItem, chronology
from heat.services.history import History, history, trend_chart, trend_rows, trend_sentence


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


def history_pdf(child: Child, *, generated_by: str, generated_at: dt.datetime) -> bytes:
    record = history(child, with_answers=True)
    items = chronology(child, record)
    titles, rows = trend_rows(record)
    latest = record.visits[-1] if record.visits else None
    addresses = register.addresses(child.id)
    moves = [(a.from_date, a.kind_label) for a in reversed(addresses) if a.is_move]
    return render_pdf(
        "reports/history.html",
        child=child,
        record=record,
        items=items,
        titles=titles,
        rows=rows,
        means={f.summary.id: f.summary.mean for f in record.facts},
        chart=Markup(trend_chart(record, titles, rows, moves)),
        trend_summary=trend_sentence(record, titles, rows, moves),
        addresses=addresses,
        seen=adults.seen(child),
        agency_record=agencies.record_of(child),
        family_history=family_history.entries_for(child),
        latest=latest,
        latest_score=score_of(latest) if latest else None,
        versions=sorted({v.checklist_version for v in record.visits}),
        digest=content_hash(child, record, items),
        generated_by=generated_by,
        generated_at=generated_at,
    )
