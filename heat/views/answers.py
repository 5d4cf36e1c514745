"""A form's answers as label/value rows, for the check page and the edit-conflict page."""

from __future__ import annotations

import datetime as dt

from wtforms import (
    DateField,
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


# "Here at this visit?" is asked of everyone listed: a row says which, in words.
PRESENT_SHOWN = {"yes": "Here at this visit", "no": "Not here at this visit"}


def _shown_in_row(sub) -> str:
    if sub.name.endswith("-present") and sub.data:
        return PRESENT_SHOWN.get(sub.data, PRESENT_SHOWN["no"])
    return _display(sub)


def rows_of_list(field) -> list[tuple[str, str]]:
    """A list of rows (people, actions): one answer per row that has anything in it."""
    found = []
    for n, entry in enumerate(field.entries, start=1):
        parts = [v for sub in entry.form for v in [_shown_in_row(sub)] if v and not isinstance(sub, HiddenField)]
        if parts:
            found.append((f"{field.label.text or field.name.title()} {n}", "; ".join(parts)))
    return found


class CheckSpec:
    """How Check answers shows each section from its answers as a page posts them, so the tablet
    can show the answers it holds and has not sent yet (assets/check_answers.js), read from the
    same forms as `check_rows`: each question's name, label and choices in order, whether it needs
    an answer, an item's evidence and comment joined to its grade, rows of a list kept when their
    first answer is given (as the section stores keep them). Choice lists are given once each."""

    def __init__(self) -> None:
        self.choices: list[dict[str, str]] = []
        self.sections: list[dict] = []

    def add(self, section_id: str, title: str, in_progress: str, form) -> None:
        questions: list[dict] = []
        names = {field.name for field in form}
        for field in form:
            if isinstance(field, FormField) or _not_an_answer(field):
                continue
            if isinstance(field, FieldList):
                row = field.entries[0].form
                parts = [self._part(sub, sub.short_name) for sub in row if not isinstance(sub, HiddenField)]
                for part in parts:
                    if part["name"] == "present":
                        part["choices"] = self._choice_list(PRESENT_SHOWN)
                label = field.label.text or field.name.title()
                questions.append({"list": field.name, "label": label, "parts": parts, "key": parts[0]["name"]})
                continue
            question = self._part(field, field.name)
            prefix = next((p for p in _WITH_THE_GRADE if field.name.startswith(p)), None)
            grade = f"grade_{field.name.removeprefix(prefix)}" if prefix else None
            if grade in names:  # read with its grade, asked before it: never a row of its own
                question |= {"joins": grade, "prefix": "Comment: " if prefix == "comment_" else ""}
            else:
                question |= {"label": field.label.text, "required": bool(field.flags.required)}
            questions.append(question)
        self.sections.append({"id": section_id, "title": title, "in_progress": in_progress, "questions": questions})

    def _part(self, field, name: str) -> dict:
        if isinstance(field, SelectMultipleField):
            return {"name": name, "kind": "multi", "choices": self._choice_list(dict(field.choices))}
        if isinstance(field, (RadioField, SelectField)):
            return {"name": name, "kind": "choice", "choices": self._choice_list(dict(field.choices))}
        if isinstance(field, DateField):
            return {"name": name, "kind": "date"}
        return {"name": name, "kind": "text"}

    def _choice_list(self, choices: dict[str, str]) -> int:
        if choices not in self.choices:
            self.choices.append(choices)
        return self.choices.index(choices)

    def as_json(self) -> dict:
        return {"choices": self.choices, "sections": self.sections}


def compare(mine: list[tuple[str, str]], saved: list[tuple[str, str]]) -> list[tuple[str, str, str, bool]]:
    """(question, my answer, saved answer, whether they differ) for every question either answers."""
    mine_map, saved_map = dict(mine), dict(saved)
    labels = list(mine_map) + [label for label in saved_map if label not in mine_map]
    return [
        (label, mine_map.get(label, ""), saved_map.get(label, ""), mine_map.get(label, "") != saved_map.get(label, ""))
        for label in labels
    ]
