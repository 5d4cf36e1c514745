"""Joint visits: inviting a second practitioner, and their submission."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import InputRequired

from forms.fields import choice, submit


class InviteForm(FlaskForm):
    second = choice(
        "Who is grading this visit with you?",
        {},
        InputRequired("Select the practitioner who is grading this visit"),
        hint="They grade the home on their own tablet. Neither of you sees the other's grades until you have both "
        "submitted. This visit stays the visit of record.",
    )
    submit = submit("Invite to grade this visit")


class JointSubmitForm(FlaskForm):
    submit = submit("Submit your grades")
