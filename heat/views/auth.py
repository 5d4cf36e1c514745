"""Signing in and out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from forms.auth import SignInForm
from heat.extensions import db
from heat.security import start_session
from heat.services import accounts, pending

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("casework.home"))
    form = SignInForm()
    timed_out = session.get("timed_out", False)
    kept = session.get("kept_save")
    back_to = same_site_path(request.args.get("next"))
    if form.validate_on_submit():
        result = accounts.sign_in(form.email.data, form.password.data, request.remote_addr)
        if result.throttled:
            abort(429)
        if result.user is not None:
            start_session(result.user)
            login_user(result.user)
            session["has_kept"] = pending.any_for(result.user)  # saves kept while signed out
            return redirect(back_to or url_for("casework.home"))
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/sign_in.html", form=form, timed_out=timed_out, kept=kept)


def same_site_path(value: str | None) -> str | None:
    """`next` is honoured only as a path on this site: never another host, scheme or a `//` trick."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 0x21 or c == "\\" for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
