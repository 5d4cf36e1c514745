"""Template filters and helpers: dates, grades and ratings as people read them, links, and the
Jinja environment pages are rendered with."""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Callable, Hashable, MutableMapping
from collections.abc import Set as AbstractSet
from typing import Any

from flask import has_request_context, request, url_for
from flask.templating import Environment as FlaskEnvironment
from govuk_frontend_wtf.main import wtforms_errors
from markupsafe import Markup
from wtforms import DateField, FieldList, HiddenField

from heat.caching import Recent
from heat.checklist.vocabulary import (
    AGES,
    DIRECTION_ARROWS,
    RATINGS,
    REFERRALS,
    TEMPLATE_LABELS,
)
from heat.models import relationship_label


class _Globals(ChainMap):
    def keys(self) -> AbstractSet[str]:  # type: ignore[override]
        # A set, not a view of the chain: Jinja subtracts the importing template's names from
        # these at every `import` (a view tests each name against each map of the chain).
        return set().union(*self.maps)


class Environment(FlaskEnvironment):
    """Flask's Jinja environment, with each template's globals (the environment's, under its own,
    as Jinja has them) named as a set: a page makes a dozen imports, and they were a tenth of the
    child page's rendering."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _Globals({} if d is None else d, self.globals)


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


# Macros' HTML, keyed by the macro and everything it was given (so by what it shows).
_rendered: Recent[Markup] = Recent(2000)


def _frozen(value: Any) -> Hashable:
    """A macro's argument as a key: lists and dicts as tuples, each value with its type (Markup
    and a plain string of the same text render differently)."""
    kind = type(value)
    if kind in _PLAIN:  # most of a page's values: settled without the checks below
        return (kind, value)
    if isinstance(value, dict):
        return (dict, tuple((key, _frozen(v)) for key, v in value.items()))
    if isinstance(value, list | tuple):
        return (list, tuple(_frozen(v) for v in value))
    return (kind, value)


_PLAIN = frozenset({str, Markup, int, bool, float, type(None), dt.date, dt.datetime})


def rendered(macro: Any, *args: Any) -> Markup:
    """`macro(*args)`, rendered once per process for the same arguments. Only for a macro whose
    HTML follows from its arguments alone (rows of plain values, component parameters), never
    from the signed-in user or a per-request token; a table of many rows, or a GOV.UK component
    (its macros are the dearest part of a page), then costs a lookup. The key is the input
    itself, so an entry is never stale and never another page's; links follow the mount point."""
    key = (macro, request.script_root, _frozen(args))
    html = _rendered.get(key)
    if html is None:
        html = _rendered.keep(key, Markup(macro(*args)))
    return html


# Links pages build, by endpoint, arguments and mount point. The app routes by path alone (no
# hosts, subdomains or URL defaults), so a link is a function of these.
_links: Recent[str] = Recent(5000)


def page_url_for(endpoint: str, **values: Any) -> str:
    """`url_for` as templates call it, built once per process for the same endpoint and arguments:
    Werkzeug builds each link by trying the endpoint's rules, and a page builds twenty. Links
    with options (`_anchor`, `_external`...) or relative endpoints are built each time."""
    if not has_request_context() or endpoint.startswith(".") or any(name[0] == "_" for name in values):
        return url_for(endpoint, **values)
    key = (endpoint, request.script_root, *values.items(), *map(type, values.values()))  # 1 is not True
    try:
        link = _links.get(key)
    except TypeError:  # several values for one argument (a list): not a key
        return url_for(endpoint, **values)
    if link is None:
        link = _links.keep(key, url_for(endpoint, **values))
    return link


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
    app.add_template_global(rendered)
    app.add_template_global(page_url_for, "url_for")

    app.add_template_filter(date)
    app.add_template_filter(datetime_utc)
    app.add_template_filter(time)
    app.add_template_filter(mean)
    app.add_template_filter(ages_in_words)
    app.add_template_filter(children_voices)
    app.add_template_global(RATINGS, "ratings")
    app.add_template_global(DIRECTION_ARROWS, "direction_arrows")
    app.add_template_global(TEMPLATE_LABELS, "labels")  # the words stored codes stand for
    app.add_template_global(dt.date.today, "today")
    app.add_template_filter(relationship_label, "relationship")
    app.add_template_global(REFERRALS, "referrals")
