"""Sign-in and changing your own password."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms.fields import choice, safe_text, submit
from heat.checklist.vocabulary import EMAIL_CHOICES


class SignInForm(FlaskForm):
    email = StringField(
        "Email address",
        filters=[safe_text],
        validators=[
            InputRequired("Enter your email address"),
            Length(max=254, message="Enter a shorter email address"),
        ],
        widget=GovTextInput(),
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password"), Length(max=256, message="Enter a shorter password")],
        widget=GovPasswordInput(),
    )
    submit = submit("Sign in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password"), Length(max=256, message="Enter a shorter password")],
        widget=GovPasswordInput(),
    )
    new_password = PasswordField(
        "New password",
        description="At least 8 characters. Three or four words that are not about you or your work are easy to "
        "remember and hard to guess.",
        validators=[InputRequired("Enter a new password"), Length(max=256, message="Enter a shorter password")],
        widget=GovPasswordInput(),
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[InputRequired("Enter the new password again")],
        widget=GovPasswordInput(),
    )
    submit = submit("Change password")


class SecurityCodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        filters=[safe_text],
        validators=[InputRequired("Enter the security code"), Length(max=40, message="Enter a shorter code")],
        widget=GovTextInput(),
    )
    submit = submit("Continue")


class SetUpTwoStepForm(FlaskForm):
    code = StringField(
        "Code from the app",
        description="After you scan the QR code, the app shows a 6-digit code.",
        filters=[safe_text],
        validators=[
            InputRequired("Enter the 6-digit code from the app"),
            Length(max=20, message="Enter a shorter code"),
        ],
        widget=GovTextInput(),
    )
    submit = submit("Turn on two-step sign-in")


class EndSessionForm(FlaskForm):
    """A button: its CSRF token is all it carries."""


class EmailChoiceForm(FlaskForm):
    """The hint, which says what each role is emailed about, is the template's."""

    email_choice = choice(
        "How do you want to hear about Red visits and decisions?",
        EMAIL_CHOICES,
        InputRequired("Select how you want to hear about Red visits and decisions"),
    )
    submit = submit("Save email choice")
