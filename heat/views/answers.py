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

from forms.assessment import NOT_ANSWER_PREFIXES


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


def _not_an_answer(field) -> bool:
    """The page's own fields, and a checklist section's photos and "I saw everything" box."""
    return isinstance(field, (HiddenField, SubmitField, CSRFTokenField)) or field.name.startswith(NOT_ANSWER_PREFIXES)


def rows(form) -> list[tuple[str, str]]:
    result = []
    for field in form:
        if _not_an_answer(field):
            continue
        if isinstance(field, FieldList):
            result += rows_of_list(field)
            continue
        if isinstance(field, FormField):
            continue
        result.append((field.label.text, _display(field)))
    return result


# A checklist item's evidence and comment are read with its grade, as one answer.
_WITH_THE_GRADE = ("source_", "comment_")


def check_rows(form) -> list[tuple[str, str]]:
    """The answers for Check answers: each question once, with "Not answered" only where an answer
    is needed; optional questions left empty are not listed; an item's evidence and comment follow
    its grade."""
    result: list[tuple[str, str]] = []
    grade_rows: dict[str, int] = {}
    for field in form:
        if isinstance(field, FormField) or _not_an_answer(field):
            continue
        if isinstance(field, FieldList):
            result += rows_of_list(field)
            continue
        value = _display(field)
        prefix = next((p for p in _WITH_THE_GRADE if field.name.startswith(p)), None)
        if prefix is not None:
            row = grade_rows.get(field.name.removeprefix(prefix))
            if row is not None:
                if value:
                    label, shown = result[row]
                    result[row] = (label, f"{shown}. {'Comment: ' if prefix == 'comment_' else ''}{value}")
                continue
        if field.name.startswith("grade_"):
            grade_rows[field.name.removeprefix("grade_")] = len(result)
        if value or field.flags.required:
            result.append((field.label.text, value or "Not answered"))
    return result


def _shown_in_row(sub) -> str:
    if sub.name.endswith("-present") and sub.data:  # asked of everyone listed: only Yes is seen
        return "Here at this visit" if sub.data == "yes" else "Not here at this visit"
    return _display(sub)


def rows_of_list(field) -> list[tuple[str, str]]:
    """A list of rows (people, actions): one answer per row that has anything in it."""
    found = []
    for n, entry in enumerate(field.entries, start=1):
        parts = [v for sub in entry.form for v in [_shown_in_row(sub)] if v and not isinstance(sub, HiddenField)]
        if parts:
            found.append((f"{field.label.text or field.name.title()} {n}", "; ".join(parts)))
    return found


def compare(mine: list[tuple[str, str]], saved: list[tuple[str, str]]) -> list[tuple[str, str, str, bool]]:
    """(question, my answer, saved answer, whether they differ) for every question either answers."""
    mine_map, saved_map = dict(mine), dict(saved)
    labels = list(mine_map) + [label for label in saved_map if label not in mine_map]
    return [
        (label, mine_map.get(label, ""), saved_map.get(label, ""), mine_map.get(label, "") != saved_map.get(label, ""))
        for label in labels
    ]
