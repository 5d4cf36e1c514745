"""Field helpers shared by every form: GOV.UK widgets and validators with plain messages."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, StopValidation, ValidationError

from heat.caching import Recent

TEXT_MAX = 200
LONG_TEXT_MAX = 5000


def _with_legend(params: dict, field) -> dict:
    """Templates may style the legend; its text is always the field's label unless they say otherwise."""
    params.setdefault("fieldset", {}).setdefault("legend", {}).setdefault("text", field.label.text)
    if not (params.get("hint") or {}).get("text"):
        params.pop("hint", None)
    return params


def _shown_value(field: Any) -> Any:
    """What a text widget shows (typed text, even when invalid); choice fields show their data."""
    return field._value() if hasattr(field, "_value") else None


class RenderedOnce:
    """A GOV.UK widget's HTML depends only on the field it shows (id, name, label, hint, choices,
    value, error) and the options the template passes, yet govuk-frontend-wtf builds its params
    and renders a whole template tree for every field, every time: three quarters of a checklist
    page's time. Each distinct rendering is kept, per process, and reused. A free-text widget is
    kept only while empty: what a practitioner typed is never held beyond the request."""

    _rendered: Recent[Markup] = Recent(4096)

    def keeps(self, field: Any) -> bool:
        return True

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if not self.keeps(field):
            return super().__call__(field, **kwargs)  # type: ignore[misc]
        key = (
            type(self),
            field.id,
            field.name,
            field.label.text,
            field.description,
            repr(field.data),
            repr(_shown_value(field)),
            tuple(field.errors),
            repr(getattr(field, "choices", None)),
            bool(field.flags.required),
            repr(kwargs),
        )
        html = self._rendered.get(key)
        if html is None:
            html = self._rendered.keep(key, super().__call__(field, **kwargs))  # type: ignore[misc]
        return html


class RenderedOnceWhenEmpty(RenderedOnce):
    def keeps(self, field: Any) -> bool:
        return not _shown_value(field)


class TextInputWidget(RenderedOnceWhenEmpty, GovTextInput):
    pass


class TextAreaWidget(RenderedOnceWhenEmpty, GovTextArea):
    pass


class RadioWidget(RenderedOnce, GovRadioInput):
    def map_gov_params(self, field, **kwargs):
        return _with_legend(super().map_gov_params(field, **kwargs), field)


class CheckboxesWidget(RenderedOnce, GovCheckboxesInput):
    def map_gov_params(self, field, **kwargs):
        return _with_legend(super().map_gov_params(field, **kwargs), field)


class SelectWidget(RenderedOnce, GovSelect):
    pass


class DateWidget(GovDateInput):
    def map_gov_params(self, field, **kwargs):
        return _with_legend(super().map_gov_params(field, **kwargs), field)


class NeededToComplete:
    """Required when the section is being completed; "Save and come back later" skips it.

    The form's `completing` attribute says which button was pressed.
    """

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        empty = field.data in (None, "", []) or (isinstance(field.data, str) and not field.data.strip())
        if empty:
            if field.process_errors:
                raise StopValidation()  # keep the message saying what was wrong with what was typed
            if getattr(form, "completing", True):
                raise StopValidation(self.message)
            raise StopValidation()


@dataclass(frozen=True)
class RequiredWhen:
    """An answer needed when another question has one of some answers (a reason for a room not
    seen): a form lists these in `required_when`, checked by the server after the form's own
    validators and, with the same message, by the tablet before the page moves on."""

    field: str
    when: str
    values: tuple[str, ...]
    message: str
    completing_only: bool = False  # like NeededToComplete: "Save and come back later" skips it

    def check(self, form) -> bool:
        if self.completing_only and not getattr(form, "completing", True):
            return True
        target = form[self.field]
        if form[self.when].data not in self.values or (target.data or "").strip():
            return True
        target.errors = [*target.errors, self.message]
        return False


def not_in_future(form, field):
    if field.data and field.data > dt.date.today():
        raise ValidationError(f"{field.label.text} must be today or in the past")


def not_before(year: int):
    def check(form, field):
        if field.data and field.data.year < year:
            raise ValidationError(f"{field.label.text} must be after {year}")

    return check


class GovDateField(DateField):
    """A day, month and year date with a message naming the field when it is not a real date."""

    widget = DateWidget()
    raw_data: list[str] | None

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        # The widget shows exactly three boxes: day, month, year.
        if self.raw_data is not None and len(self.raw_data) != 3:
            self.raw_data = (list(self.raw_data) + ["", "", ""])[:3] if self.raw_data else None

    def process_formdata(self, valuelist):
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            self.data = dt.datetime.strptime(" ".join(v.strip() for v in valuelist), "%d %m %Y").date()
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, for example 27 3 2026") from None


# NUL and other control characters (tab and line breaks aside) break storage (PostgreSQL refuses
# NUL) and printing; bidirectional overrides make text read backwards in a PDF. They are removed.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_text(value: Any) -> Any:
    return UNSAFE_CHARACTERS.sub("", value) if isinstance(value, str) else value


def text(label: str, *validators, hint: str | None = None, max_length: int = TEXT_MAX) -> StringField:
    return StringField(
        label,
        filters=[safe_text],
        validators=[
            *validators,
            Optional(),
            Length(max=max_length, message=f"{label} must be {max_length} characters or fewer"),
        ],
        description=hint or "",
        widget=TextInputWidget(),
    )


# A time as people write it: 14:30, 14.30, 2.30pm, 2:30 pm, 2pm, 9am, 0930.
TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*([ap])?\.?\s*m?\.?$", re.I)


def clock_time(value: Any) -> Any:
    """A time people wrote, on the 24-hour clock ("2.30pm" is "14:30"); anything else is left as it
    was for the validator to name."""
    if not isinstance(value, str):
        return value
    match = TIME.match(value.strip())
    if not match:
        return value
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return value
        hour = hour % 12 + (12 if half == "p" else 0)
    elif match.group(2) is None:
        return value  # "14" alone is not a time
    if hour > 23 or minute > 59:
        return value
    return f"{hour:02d}:{minute:02d}"


def time_text(label: str, *validators, hint: str | None = None) -> StringField:
    return StringField(
        label,
        filters=[safe_text, clock_time],
        validators=[*validators, Optional(), Length(max=20, message=f"{label} must be a time, like 14:30 or 2.30pm")],
        description=hint or "",
        widget=TextInputWidget(),
    )


def long_text(label: str, *validators, hint: str | None = None, max_length: int = LONG_TEXT_MAX) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[safe_text],
        validators=[
            *validators,
            Optional(),
            Length(max=max_length, message=f"{label} must be {max_length} characters or fewer"),
        ],
        description=hint or "",
        widget=TextAreaWidget(),
    )


class KnownChoice:
    """Nothing chosen is left to the validators; an unknown value gets a message naming the question."""

    data: Any
    choices: Any
    label: Any

    def pre_validate(self, form):
        if self.data in (None, ""):
            return
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError(f"Select one of the options for {self.label.text}")


class ChoiceField(KnownChoice, RadioField):
    widget = RadioWidget()


class DropdownField(KnownChoice, SelectField):
    widget = SelectWidget()


class CheckboxesField(SelectMultipleField):
    widget = CheckboxesWidget()

    def pre_validate(self, form):
        known = {value for value, _ in self.choices}
        if any(value not in known for value in self.data or []):
            raise ValidationError(f"Select one of the options for {self.label.text}")


def choice(label: str, choices: dict[str, str], *validators, hint: str | None = None) -> ChoiceField:
    return ChoiceField(label, choices=list(choices.items()), validators=list(validators), description=hint or "")


def select(label: str, choices: dict[str, str], *validators, hint: str | None = None) -> DropdownField:
    return DropdownField(label, choices=list(choices.items()), validators=list(validators), description=hint or "")


def checkboxes(label: str, choices: dict[str, str], hint: str | None = None) -> CheckboxesField:
    return CheckboxesField(label, choices=list(choices.items()), description=hint or "")


def submit(label: str) -> SubmitField:
    return SubmitField(label, widget=GovSubmitInput())
