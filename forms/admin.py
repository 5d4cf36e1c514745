"""Administration: users and teams."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput
from wtforms import PasswordField
from wtforms.validators import Email, InputRequired, Optional

from forms.fields import choice, select, submit, text
from heat.checklist.vocabulary import ROLES


class TeamForm(FlaskForm):
    name = text("Team name", InputRequired("Enter the team name"), max_length=100)
    submit = submit("Save team")


class UserForm(FlaskForm):
    """Create or change a user. Team choices are filled in by the view from the database."""

    name = text("Full name", InputRequired("Enter the person's full name"), max_length=100)
    email = text(
        "Email address",
        InputRequired("Enter an email address"),
        Email("Enter an email address in the correct format, like name@example.org"),
        max_length=254,
    )
    role = choice("Role", ROLES, InputRequired("Select a role"))
    team_id = select("Team", {}, Optional(), hint="Practitioners and supervisors must belong to a team.")
    password = PasswordField(
        "Password",
        validators=[Optional()],
        description="At least 8 characters. Leave blank to keep the current password.",
        widget=GovPasswordInput(),
    )
    active = choice(
        "Account",
        {"active": "Active", "deactivated": "Deactivated"},
        InputRequired("Select whether the account is active"),
    )
    submit = submit("Save user")


class ResetTwoStepForm(FlaskForm):
    submit = submit("Reset two-step sign-in")


class RetentionForm(FlaskForm):
    action = choice(
        "What to do with these records",
        {
            "restrict": "Restrict: keep them, shown to auditors only",
            "erase": "Erase: remove every answer, PDF and note (this cannot be undone)",
        },
        InputRequired("Select restrict or erase"),
    )
    reason = text("Reason", InputRequired("Enter the reason, for the audit trail"), hint="Recorded in the audit trail.")
    submit = submit("Confirm")
