"""Sessions, sign-in state and response headers.

Sessions are revocable: the cookie carries the user's session token, rotated at sign-out and
deactivation. Idle (30 minutes) and absolute (12 hours) limits are checked on every request.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import time

from flask import Flask, current_app, flash, g, request, session
from flask_login import current_user, logout_user

from heat.extensions import db, login_manager
from heat.models import User
from heat.services import sessions

SEEN_AT_RESOLUTION = 60  # seconds
# A request id a trusted proxy passes on (X-Request-Id) is kept if it looks like one.
PASSED_ON_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# form-action: 'self', and the single sign-on provider where signing in and out go on to it
# (browsers hold a form's redirects to the policy too).
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user: their account's token (rotated to end every session at once) and this
    sign-in's own session (ended by sign-out or from "Your sessions") must both still hold."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.scalar(
        sessions.LIVE, {"id": int(user_id), "token_hash": sessions.token_hash(session.get("sid", ""))}
    )
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def start_session(user: User) -> None:
    """A fresh session at sign-in: nothing from before it survives (no session fixation), and a
    new server-side session of its own. The caller commits."""
    session.clear()
    now = int(time.time())
    session["signed_in_at"] = now
    session["seen_at"] = now
    session["sid"] = sessions.begin(user, request.user_agent.string, request.remote_addr)


def _enforce_timeouts() -> None:
    if "_user_id" not in session:
        return
    now = int(time.time())
    config = current_app.config
    idle = now - session.get("seen_at", 0) > config["HEAT_IDLE_TIMEOUT"].total_seconds()
    expired = now - session.get("signed_in_at", 0) > config["HEAT_ABSOLUTE_TIMEOUT"].total_seconds()
    if idle or expired:
        logout_user()
        session.clear()
        session["timed_out"] = True
    elif request.headers.get("X-Heat-Background") == "1" or request.args.get("refreshing") == "1":
        # The tablet storing pages for offline work, or a page refreshing itself (the exports
        # list), is not the practitioner using the app: it must not keep an idle session alive.
        return
    elif now - session.get("seen_at", 0) >= SEEN_AT_RESOLUTION:
        # Rewriting (and re-signing) the session cookie on every request costs every page; a
        # minute's resolution is plenty for a 30-minute idle limit ("Your sessions" too).
        session["seen_at"] = now
        if "sid" in session:
            sessions.touch(session["sid"])


def keep_alive() -> None:
    """ "Stay signed in": the practitioner is here, whatever the minute's resolution says."""
    session["seen_at"] = int(time.time())


def tablet_id(user: User) -> str:
    """An opaque name for the user, for the tablet's offline store: what was kept for one user is
    never shown to, sent for or deleted by another. Stable across sign-ins; says nothing personal."""
    return _tablet_id(current_app.config["SECRET_KEY"], user.id)


def tablet_key(user: User) -> str:
    """A key only this user's live session is given (base64url, 256 bits): the tablet keeps a copy
    of its data key wrapped with it, so that waiting saves whose password-wrapped key was erased
    (too many wrong passwords) can be opened again by signing in with a signal, and by nobody else."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(secret, f"tablet-key:{user.id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@functools.lru_cache(maxsize=4096)
def _tablet_id(secret: str | bytes, user_id: int) -> str:
    # Worked out once per user and key: every page names its user twice (the page and a header).
    key = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(key, f"tablet:{user_id}".encode(), hashlib.sha256).hexdigest()[:24]


def request_id() -> str:
    """This request's id: in the X-Request-Id response header, the access log (gunicorn.conf.py),
    the error pages and their log lines, so a practitioner's "reference" finds the request. The
    reverse proxy's own id when HEAT_PROXY_HOPS trusts it, so both logs agree."""
    if "request_id" not in g:
        passed_on = request.headers.get("X-Request-Id", "")
        trusted = current_app.config["HEAT_PROXY_HOPS"] and PASSED_ON_ID.fullmatch(passed_on)
        g.request_id = passed_on if trusted else secrets.token_hex(8)
    return g.request_id


def _set_headers(response):
    response.headers["X-Request-Id"] = request_id()
    response.headers["Content-Security-Policy"] = CSP.format(
        nonce=g.get("csp_nonce", ""), form_action=current_app.config["HEAT_CSP_FORM_ACTION"]
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HEAT_HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith("/static/"):
        # Pages carry personal data: never keep them in a shared or browser cache.
        response.headers["Cache-Control"] = "no-store"
        user = g.get("_login_user")  # only if this request loaded it: never a query here
        if user is not None and user.is_authenticated:
            response.headers["X-Heat-User"] = tablet_id(user)
    return response


def say_sign_in_to_continue() -> None:
    """ "Sign in to continue.", once: a tablet's page and its background refreshes can all find the
    session gone, and each would otherwise queue the message again. Not at all when the sign-in
    page already says why (timed out)."""
    message = (login_manager.login_message_category, login_manager.login_message)
    if not session.get("timed_out") and message not in session.get("_flashes", []):
        flash(message[1], message[0])


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are revoked server-side instead

    @app.before_request
    def before():
        g.csp_nonce = secrets.token_urlsafe(16)
        # The JSON API and the health, readiness and metrics pages never read or write the
        # session cookie (nor, so, the database through it).
        if request.blueprint not in ("api_v1", "ops"):
            _enforce_timeouts()

    app.after_request(_set_headers)

    @app.context_processor
    def nonce():
        return {
            "csp_nonce": g.get("csp_nonce", ""),
            "current_user": current_user,
            "tablet_id": tablet_id,
            "idle_seconds": int(app.config["HEAT_IDLE_TIMEOUT"].total_seconds()),
        }
