"""Sign-in."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from forms.fields import safe_text, submit


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
