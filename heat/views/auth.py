"""Signing in and out, and changing your own password."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as WerkzeugResponse

from forms.auth import ChangePasswordForm, SignInForm
from heat.extensions import db
from heat.security import start_session
from heat.services import accounts, audit, pending
from heat.views import carried_out

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
        devices = known_devices()
        result = accounts.sign_in(form.email.data, form.password.data, request.remote_addr, devices)
        if result.retry_after is not None:
            minutes = max(1, round(result.retry_after / 60))
            raise TooManyRequests(
                f"You have tried to sign in too many times. Wait {minutes} minute{'s' if minutes > 1 else ''} "
                "and try again.",
                retry_after=result.retry_after,
            )
        if result.user is not None and result.device is not None:
            start_session(result.user)
            login_user(result.user)
            session["has_kept"] = pending.any_for(result.user)  # saves kept while signed out
            response = redirect(back_to or url_for("casework.home"))
            remember_device(response, devices, result.device)
            return response
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/sign_in.html", form=form, timed_out=timed_out, kept=kept)


DEVICE_COOKIE = "heat_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 10  # accounts one shared tablet remembers


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="heat-device")


def known_devices() -> dict[str, str]:
    """The accounts that signed in on this device before (signed, so it cannot be made up)."""
    try:
        value = _device_signer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def remember_device(response: WerkzeugResponse, devices: dict[str, str], entry: tuple[str, str]) -> None:
    name, nonce = entry
    kept = {k: v for k, v in devices.items() if k != name}
    kept = dict(list(kept.items())[-(DEVICE_ACCOUNTS - 1) :]) | {name: nonce}
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps(kept),
        max_age=DEVICE_DAYS * 24 * 3600,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


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
    audit.record("sign_out", user=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Every user's own password: the current one is needed; every other session then ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        changed = carried_out(
            form,
            lambda: (
                accounts.change_password(
                    user, form.current_password.data, form.new_password.data, form.confirm_password.data
                )
                or True
            ),
        )
        if changed:
            # The new session token ended every session, this one too: start this one afresh.
            start_session(user)
            login_user(user)
            flash("Your password has been changed. You have been signed out on every other device.", "success")
            return redirect(url_for("casework.home"))
    return render_template("auth/change_password.html", form=form)
