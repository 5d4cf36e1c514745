"""Signing in (a password, then a security code where two-step sign-in is on; or through the
organisation's single sign-on) and out, and your account: changing your password, setting up
two-step sign-in."""

import secrets
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
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

from forms.auth import (
    ChangePasswordForm,
    EmailChoiceForm,
    EndSessionForm,
    SecurityCodeForm,
    SetUpTwoStepForm,
    SignInForm,
)
from heat.checklist.vocabulary import EMAIL_CHOICES
from heat.extensions import db
from heat.models import User
from heat.security import start_session
from heat.services import access, accounts, audit, mfa, notifications, pending, sessions, sso
from heat.views import audited, carried_out

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("casework.home"))
    form = SignInForm()
    timed_out = session.get("timed_out", False)
    kept = session.get("kept_save")
    back_to = same_site_path(request.args.get("next"))
    if not sso.password_sign_in():
        if request.method == "POST":
            abort(403, "Passwords are not used to sign in to HEAT. Sign in with your organisation account.")
        return render_template("auth/sign_in.html", form=None, timed_out=timed_out, kept=kept, back_to=back_to)
    if form.validate_on_submit():
        devices = known_devices()
        result = accounts.sign_in(form.email.data, form.password.data, request.remote_addr, devices)
        if result.retry_after is not None:
            raise _too_many(result.retry_after)
        if result.user is not None and result.device is not None:
            if mfa.enrolled(result.user) or mfa.required():
                # The password was right; the second step (or setting it up) comes next.
                return _to_second_step(result.user, back_to, devices, result.device)
            return _signed_in(result.user, back_to, devices, result.device)
        form.email.errors.append("Enter a correct email address and password")
    return render_template("auth/sign_in.html", form=form, timed_out=timed_out, kept=kept, back_to=back_to)


SSO_NEXT = "sso_next"


@bp.route("/sign-in/organisation")
def sign_in_with_organisation():
    """ "Sign in with your organisation account": off to the provider. A link, not a form: the
    sign-in itself happens at the provider and on the way back."""
    if not sso.enabled():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("casework.home"))
    session[SSO_NEXT] = same_site_path(request.args.get("next"))
    started = sso.begin(url_for("auth.organisation_callback", _external=True))
    if isinstance(started, sso.Outcome):
        return _refused(started)
    return started


@bp.route("/sign-in/organisation/callback")
def organisation_callback():
    """Back from the provider: let the person in, or say plainly why not (403)."""
    if not sso.enabled():
        abort(404)
    back_to = same_site_path(session.pop(SSO_NEXT, None))
    outcome = sso.finish()
    if outcome.user is None:
        return _refused(outcome)
    devices = known_devices()
    device = accounts.device_entry(outcome.user, devices)
    if not outcome.two_factors and (mfa.enrolled(outcome.user) or mfa.required()):
        return _to_second_step(outcome.user, back_to, devices, device, id_token=outcome.id_token)
    return _signed_in(outcome.user, back_to, devices, device, id_token=outcome.id_token)


def _refused(outcome: sso.Outcome):
    """Why the organisation account did not sign in: 403, or 503 when its provider is out of reach."""
    code = 503 if outcome.refused == "unavailable" else 403
    return render_template("auth/sign_in_refused.html", refusal=outcome.page), code


SECOND_STEP = "second_step"
SECOND_STEP_SECONDS = 600  # the first step is good for 10 minutes


def _to_second_step(
    user: User, back_to: str | None, devices: dict[str, str], device: tuple[str, str], id_token: str | None = None
) -> WerkzeugResponse:
    """The first step (a password, or the organisation's sign-in) was right; HEAT's own second
    step (or setting it up) comes next."""
    session.clear()
    session[SECOND_STEP] = {
        "user": user.get_id(),
        "at": int(time.time()),
        "next": back_to,
        "device": list(device),
        "trusted": devices.get(device[0]) == device[1],
        "id_token": id_token,
    }
    return redirect(url_for("auth.security_code" if mfa.enrolled(user) else "auth.set_up_two_step"))


def _signed_in(
    user: User,
    back_to: str | None,
    devices: dict[str, str],
    device: tuple[str, str],
    page=None,
    id_token: str | None = None,
):
    start_session(user)
    login_user(user)
    db.session.commit()
    if id_token:
        session[sso.ID_TOKEN] = id_token  # for signing out of the provider too
    session["has_kept"] = pending.any_for(user)  # saves kept while signed out
    response = make_response(page) if page is not None else redirect(back_to or url_for("casework.home"))
    remember_device(response, devices, device)
    return response


def _second_step() -> tuple[User | None, dict]:
    """The user whose password was right a moment ago, waiting for their second step."""
    state = session.get(SECOND_STEP) or {}
    if not state or time.time() - state.get("at", 0) > SECOND_STEP_SECONDS:
        return None, {}
    user_id, _, token = str(state.get("user", "")).partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None, {}
    return user, state


def _too_many(retry_after: int) -> TooManyRequests:
    minutes = max(1, round(retry_after / 60))
    return TooManyRequests(
        f"You have tried to sign in too many times. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again.",
        retry_after=retry_after,
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
def security_code():
    user, state = _second_step()
    if user is None:
        return redirect(url_for("auth.sign_in"))
    if not mfa.enrolled(user):
        return redirect(url_for("auth.set_up_two_step"))
    form = SecurityCodeForm()
    if form.validate_on_submit():
        nonce = state["device"][1] if state["trusted"] else None
        wait = accounts.throttled(user.email.lower(), request.remote_addr, nonce)
        if wait:
            raise _too_many(wait)
        if mfa.verify(user, form.code.data) is None:
            accounts.second_step_failed(user, nonce)
            db.session.commit()
            form.code.errors.append(
                "The security code is not correct. Enter the code the app shows now, or a recovery code"
            )
        else:
            audit.record("sign_in_second_step", user=user)
            db.session.commit()
            return _signed_in(
                user, state["next"], known_devices(), tuple(state["device"]), id_token=state.get("id_token")
            )
    return render_template("auth/security_code.html", form=form)


@bp.route("/sign-in/set-up-two-step", methods=["GET", "POST"])
def set_up_two_step():
    """Setting up two-step sign-in: at sign-in where it is required, or from "Your account"."""
    signing_in = not current_user.is_authenticated
    user, state = _second_step() if signing_in else (current_user._get_current_object(), {})
    if user is None:
        return redirect(url_for("auth.sign_in"))
    if mfa.enrolled(user):
        return redirect(url_for("auth.security_code" if signing_in else "auth.account"))
    form = SetUpTwoStepForm()
    if form.validate_on_submit():
        codes = mfa.enrol(user, form.code.data)
        if codes is None:
            form.code.errors.append("The code is not correct. Enter the 6-digit code the app shows now")
        else:
            db.session.commit()
            if not signing_in:
                return render_template("auth/recovery_codes.html", codes=codes, onward=url_for("auth.account"))
            page = render_template(
                "auth/recovery_codes.html", codes=codes, onward=state["next"] or url_for("casework.home")
            )
            return _signed_in(
                user, state["next"], known_devices(), tuple(state["device"]), page, id_token=state.get("id_token")
            )
    secret = mfa.pending_secret(user)
    return render_template(
        "auth/set_up_two_step.html", form=form, qr=mfa.qr_svg(user, secret), secret=secret, signing_in=signing_in
    )


@bp.route("/account")
@login_required
def account():
    return _account_page(EmailChoiceForm(data={"email_choice": current_user.email_choice}))


@bp.route("/account/emails", methods=["POST"])
@login_required
def email_choice():
    """The user's own choice: an email each time there is a Red visit or a decision, or a daily summary."""
    form = EmailChoiceForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and carried_out(form, lambda: accounts.choose_emails(user, form.email_choice.data)):
        flash(f"Emails about Red visits and decisions: {EMAIL_CHOICES[user.email_choice].lower()}.", "success")
        return redirect(url_for("auth.account"))
    return _account_page(form)


def _account_page(form: EmailChoiceForm) -> str:
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        enrolled=mfa.enrolled(user),
        required=mfa.required(),
        recovery_left=mfa.recovery_codes_left(user) if mfa.enrolled(user) else 0,
        form=form,
        gets_emails=user.role in access.CASE_WORKERS,
        emails_on=notifications.enabled(),
    )


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
    """Ends this session; the user's others (listed under "Your sessions") carry on. After a
    single sign-on, the provider's session ends too where it offers that (RP-initiated logout)."""
    id_token = session.get(sso.ID_TOKEN)
    sessions.end(session.get("sid", ""))
    provider = sso.end_session_url(id_token, url_for("auth.sign_in", _external=True))
    audit.record("sign_out", user=current_user, detail="and at the organisation's provider" if provider else None)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(provider or url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Every user's own password: the current one is needed; every other session then ends."""
    if not current_user.has_password:  # single sign-on: the password is the organisation's
        return redirect(url_for("auth.account"))
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
            db.session.commit()
            flash("Your password has been changed. You have been signed out on every other device.", "success")
            return redirect(url_for("casework.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/sessions")
@login_required
@audited("own_sessions_viewed")
def your_sessions():
    live = sessions.live_for(current_user._get_current_object())
    here = sessions.token_hash(session.get("sid", ""))
    return render_template("auth/sessions.html", live=live, here=here, form=EndSessionForm())


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    form = EndSessionForm()
    if form.validate_on_submit() and sessions.end_one(current_user._get_current_object(), session_id):
        audit.record("session_ended", user=current_user, detail=f"session {session_id}")
        db.session.commit()
        flash("That session has been signed out.", "success")
    return redirect(url_for("auth.your_sessions"))


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    form = EndSessionForm()
    if form.validate_on_submit():
        ended = sessions.end_all(current_user._get_current_object(), except_token=session.get("sid", ""))
        audit.record("sessions_ended", user=current_user, detail=f"{ended} other sessions")
        db.session.commit()
        flash("Every other session has been signed out.", "success")
    return redirect(url_for("auth.your_sessions"))
