"""Template filters: dates, grades and ratings as people read them."""

from __future__ import annotations

import datetime as dt

from heat.checklist.vocabulary import DIRECTIONS, RATINGS, ROOM_STATUSES
from heat.models import EVIDENCE_SOURCES, RESIDENCE, VISIT_TYPES, YES_NO_UNKNOWN


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


def register(app) -> None:

    app.add_template_filter(date)
    app.add_template_filter(datetime_utc)
    app.add_template_filter(time)
    app.add_template_filter(mean)
    app.add_template_global(RATINGS, "ratings")
    # The words stored codes stand for, from the one place that defines them.
    app.add_template_global(
        {
            "visit_type": VISIT_TYPES,
            "room": ROOM_STATUSES,
            "evidence": EVIDENCE_SOURCES,
            "residence": RESIDENCE,
            "yes_no": YES_NO_UNKNOWN,
            "direction": DIRECTIONS,
        },
        "labels",
    )
    app.add_template_global(dt.date.today, "today")
