"""Template filters: dates, grades and ratings as people read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import url_for
from govuk_frontend_wtf.main import wtforms_errors
from wtforms import DateField, FieldList, HiddenField

from heat.checklist.vocabulary import (
    AGES,
    CHILD_SEEN,
    DIRECTION_ARROWS,
    DIRECTIONS,
    RATINGS,
    ROOM_NOT_IN_HOME,
    ROOM_NOT_IN_HOME_LABEL,
    ROOM_STATUSES,
)
from heat.models import (
    ACTION_STATUSES,
    ADVICE,
    CP_CATEGORIES,
    EVIDENCE_SOURCES,
    PARENT_AGREES,
    PLAN_STATUSES,
    REFERRALS,
    RESIDENCE,
    VISIT_TYPES,
    YES_NO_UNKNOWN,
)


def date(value) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def datetime_utc(value) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y at %H:%M} UTC"


def time(value) -> str:
    return "" if value is None else f"{value:%H:%M}"


def mean(value) -> str:
    return "–" if value is None else f"{value:.1f}"


# An id no record has, standing in for each row's id in `link_for`.
_ANY_ID = 987654321987


def link_for(endpoint: str, key: str) -> Callable[[int], str]:
    """`url_for(endpoint, key=id)` for any id, from one url_for: a table or list links each of
    its rows with the same pattern, and a url_for a row was a tenth of the child page's time."""
    values: dict[str, Any] = {key: _ANY_ID}
    before, after = url_for(endpoint, **values).split(str(_ANY_ID))
    return lambda record_id: f"{before}{record_id}{after}"


def _fields(fields):
    """Every field of a form, with the fields inside its lists of rows."""
    for field in fields:
        yield field
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _fields(entry)


def error_summary(form) -> dict:
    """The GOV.UK error summary for a form, each link going to a control that exists: a date's
    first box (its day), a list of rows' first row."""
    params = wtforms_errors(form)
    by_id = {field.id: field for field in _fields(form)}
    for error in params["errorList"]:
        field = by_id.get(error["href"].lstrip("#"))
        if isinstance(field, DateField):
            error["href"] = f"#{field.id}-day"
        elif isinstance(field, FieldList) and field.entries:
            shown = (f for f in _fields(field.entries[0]) if not isinstance(f, HiddenField))
            first = next(shown, field.entries[0])
            error["href"] = f"#{first.id}"
    return params


def ages_in_words(ages: frozenset[str]) -> str:
    """{'1_to_4', 'under_1'} -> 'under 1, 1 to 4': age groups in words, youngest first."""
    return ", ".join(label.lower() if label[0].isalpha() else label for age, label in AGES.items() if age in ages)


def children_voices(assessment) -> list[tuple[str, str | None]]:
    """Since 2026.4, each child's own voice, titled with their name."""
    return [(f"{child['name']}'s voice", child.get("voice")) for child in (assessment.children_seen or {}).values()]


def register(app) -> None:
    app.add_template_global(error_summary)
    app.add_template_global(link_for)

    app.add_template_filter(date)
    app.add_template_filter(datetime_utc)
    app.add_template_filter(time)
    app.add_template_filter(mean)
    app.add_template_filter(ages_in_words)
    app.add_template_filter(children_voices)
    app.add_template_global(RATINGS, "ratings")
    app.add_template_global(DIRECTION_ARROWS, "direction_arrows")
    # The words stored codes stand for, from the one place that defines them.
    app.add_template_global(
        {
            "visit_type": VISIT_TYPES,
            "room": {**ROOM_STATUSES, ROOM_NOT_IN_HOME: ROOM_NOT_IN_HOME_LABEL},
            "child_seen": CHILD_SEEN,
            "evidence": EVIDENCE_SOURCES,
            "residence": RESIDENCE,
            "yes_no": YES_NO_UNKNOWN,
            "direction": DIRECTIONS,
            "plan": PLAN_STATUSES,
            "cp_category": CP_CATEGORIES,
            "action_status": ACTION_STATUSES,
            "advice": ADVICE,
            "parent_agrees": PARENT_AGREES,
        },
        "labels",
    )
    app.add_template_global(dt.date.today, "today")
    app.add_template_global(REFERRALS, "referrals")
