"""The adults around a child, other agencies, information requests and meetings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from forms.assessment import MIN_YEAR
from forms.fields import (
    GovDateField,
    checkboxes,
    choice,
    long_text,
    not_before,
    not_in_future,
    select,
    submit,
    text,
)
from heat.checklist.vocabulary import RELATIONSHIPS, RESIDENCE, SEX, YES_NO_UNKNOWN


class AdultForm(FlaskForm):
    name = text("Name", hint="Or a description, if you do not know their name yet")
    relationship = choice(
        "Relationship to the child",
        RELATIONSHIPS,
        InputRequired("Select their relationship to the child, or Not known"),
    )
    sex = choice("Sex", SEX)
    residence = choice(
        "Where do they live?",
        RESIDENCE,
        InputRequired("Select whether they live here, stay overnight, visit or have contact"),
    )
    cares_for_child = choice(
        "Do they care for the child?", YES_NO_UNKNOWN, InputRequired("Select whether they care for the child")
    )
    parental_responsibility = choice(
        "Do they have parental responsibility?",
        YES_NO_UNKNOWN,
        InputRequired("Select whether they have parental responsibility"),
    )
    submit = submit("Add to the register")


class CheckForm(FlaskForm):
    checked_on = GovDateField("Date of the check", [not_before(MIN_YEAR)], description="For example, 3 11 2026")
    note = long_text("What was checked and what it found", hint="For example, police check: no relevant information.")
    submit = submit("Record the check")


class AgencyForm(FlaskForm):
    name = text("Agency", hint="For example, Westshire health visiting")
    area = text("Area", max_length=100, hint="The local authority area it works in")
    out_of_area = choice(
        "Is it out of area?",
        {"no": "No, our area", "yes": "Yes, another area"},
        InputRequired("Select whether the agency is out of area"),
    )
    contact = text("Contact", hint="A name, phone number or team inbox")
    role = text("Role with the child", hint="For example, health visitor to the mother")
    submit = submit("Add agency")


class RequestForm(FlaskForm):
    agency = select("Agency asked", {})
    asked_on = GovDateField("Date asked", [not_in_future, not_before(MIN_YEAR)])
    what = long_text("Information asked for")
    submit = submit("Record the request")


class ReceivedForm(FlaskForm):
    received_on = GovDateField("Date received", [not_in_future, not_before(MIN_YEAR)])
    received_summary = long_text("What the information said", hint="The facts they gave, in short.")
    analysis = long_text(
        "What you make of it",
        hint="What it means for the child's safety, and what you will do about it.",
    )
    submit = submit("Record what was received")


class WithdrawForm(FlaskForm):
    reason = long_text("Why is the request withdrawn?", hint="For example, asked again of the right team.")
    submit = submit("Withdraw the request")


class MeetingForm(FlaskForm):
    held_on = GovDateField("Date of the meeting", [not_before(MIN_YEAR)])
    kind = text("Meeting", hint="For example, child protection conference, core group or strategy discussion")
    invited_agencies = checkboxes(
        "Which of the child's agencies were invited?", {}, hint="An agency left out is named on the meeting."
    )
    invited = long_text("Others invited", hint="Family members and anyone not on the child's list of agencies")
    attended = long_text("Who came")
    sent_information = long_text("Who sent information instead")
    submit = submit("Record the meeting")
