"""A form's answers as label/value rows, for the check page and the edit-conflict page."""

from __future__ import annotations

import datetime as dt

from wtforms import (
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.csrf.core import CSRFTokenField


def _display(field) -> str:
    data = field.data
    if data in (None, "", []):
        return ""
    if isinstance(field, SelectMultipleField):
        labels = dict(field.choices)
        return ", ".join(labels.get(v, v) for v in data)
    if isinstance(field, (RadioField, SelectField)):
        return dict(field.choices).get(data, str(data))
    if isinstance(data, dt.date):
        return f"{data.day} {data:%B %Y}"
    return str(data)


def rows(form) -> list[tuple[str, str]]:
    result = []
    for field in form:
        if isinstance(field, (HiddenField, SubmitField, CSRFTokenField)):
            continue
        if isinstance(field, FieldList):
            for n, entry in enumerate(field.entries, start=1):
                parts = [v for sub in entry.form for v in [_display(sub)] if v and not isinstance(sub, HiddenField)]
                if parts:
                    result.append((f"{field.label.text or field.name.title()} {n}", "; ".join(parts)))
            continue
        if isinstance(field, FormField):
            continue
        result.append((field.label.text, _display(field)))
    return result


def compare(mine: list[tuple[str, str]], saved: list[tuple[str, str]]) -> list[tuple[str, str, str, bool]]:
    """(question, my answer, saved answer, whether they differ) for every question either answers."""
    mine_map, saved_map = dict(mine), dict(saved)
    labels = list(mine_map) + [label for label in saved_map if label not in mine_map]
    return [
        (label, mine_map.get(label, ""), saved_map.get(label, ""), mine_map.get(label, "") != saved_map.get(label, ""))
        for label in labels
    ]
