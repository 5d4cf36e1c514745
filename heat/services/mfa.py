"""Two-step sign-in: a code from an authenticator app (TOTP, RFC 6238) after the password, with
one-use recovery codes for a lost phone.

Required for every account when HEAT_MFA_REQUIRED is on (the default when HEAT_ENV=production):
an account without it sets it up at its next sign-in. Outside production (where the demo accounts
live) it is each user's choice. An administrator can reset it; the user then sets it up again.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from heat.database import writing
from heat.extensions import db
from heat.models import RecoveryCode, User, utcnow
from heat.services import audit, sealing
from heat.services.accounts import end_sessions

PURPOSE = b"heat totp secrets"
ISSUER = "HEAT"
RECOVERY_CODES = 10
STEP = 30  # seconds: every authenticator app's default


def required() -> bool:
    return bool(current_app.config["HEAT_MFA_REQUIRED"])


def enrolled(user: User) -> bool:
    return user.totp_secret is not None


PENDING = b"heat totp secrets being set up"


def pending_secret(user: User) -> str:
    """The secret this user is setting up: made and kept (sealed) on their row at the first look,
    the same one until they enter a code from it. Never in the session cookie, which is signed
    but not encrypted. Made in a short write of its own (the set-up page is a GET)."""
    if user.totp_pending is None:
        db.session.commit()
        with writing():
            if user.totp_pending is None:  # read again under the write lock
                secret = pyotp.random_base32().encode()
                user.totp_pending = sealing.seal(PENDING, secret, _binding(user))
            db.session.commit()
    assert user.totp_pending is not None
    return sealing.unseal(PENDING, user.totp_pending, _binding(user)).decode()


def qr_svg(user: User, secret: str) -> Markup:
    """The QR code an authenticator app scans, as inline SVG (no image request, nothing external)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app", dark="#0b0c0c")
    return Markup(svg)  # segno writes the SVG; the URI in it is escaped as XML


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _binding(user: User) -> bytes:
    return f"totp:{user.id}".encode()


def _step_accepted(user: User, secret: str, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for a slow clock), if it
    is right and newer than the last code used."""
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // STEP
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step if user.totp_last_step is None or step > user.totp_last_step else None
    return None


def enrol(user: User, code: str) -> list[str] | None:
    """Turn two-step sign-in on with the secret being set up if the code from the app is right;
    the new recovery codes (shown once) or None."""
    if user.totp_pending is None:
        return None
    secret = pending_secret(user)
    step = _step_accepted(user, secret, _normal(code))
    # One conditional UPDATE: of two requests with the same code, only one turns it on.
    if step is None or not _claim(user, step, User.totp_secret.is_(None)):
        return None
    user.totp_secret = sealing.seal(PURPOSE, secret.encode(), _binding(user))
    user.totp_pending = None
    user.totp_since = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("two_step_set_up", user=user, target_user_id=user.id)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)
    ]  # 48 random bits each, like 3f9a-0c1e-77b2
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(_normal(c))) for c in codes)
    return codes


def _hash(normal_code: str) -> str:
    return hashlib.sha256(normal_code.encode()).hexdigest()


def _claim(user: User, step: int, *also: ColumnElement[bool]) -> bool:
    """Mark the time step used, if no other request has used it or a later one. The database
    decides, row by row: a second request with the same code waits for the first's row lock
    (PostgreSQL) or write lock (SQLite) and then finds the condition no longer holds."""
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            *also,
        )
        .values(totp_last_step=step)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is not None:
        set_committed_value(user, "totp_last_step", step)  # already written: nothing to flush
    return claimed is not None


def verify(user: User, code: str) -> str | None:
    """Check a code at sign-in: "app" for a right authenticator code, "recovery" for an unused
    recovery code (now used up), or None. Each is used up by one conditional UPDATE, so a code
    sent by several requests at once is accepted once."""
    normal = _normal(code)
    if normal.isdigit() and len(normal) == 6 and user.totp_secret is not None:
        secret = sealing.unseal(PURPOSE, user.totp_secret, _binding(user)).decode()
        step = _step_accepted(user, secret, normal)
        if step is None or not _claim(user, step):
            return None
        return "app"
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(normal), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(RecoveryCode.id)
        .execution_options(synchronize_session=False)
    ).first()
    if used is None:
        return None
    audit.record("recovery_code_used", user=user, target_user_id=user.id)
    return "recovery"


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
        or 0
    )


def reset(actor: User, user: User) -> None:
    """An administrator turns a user's two-step sign-in off (a lost phone and no recovery codes):
    their sessions end, and they set it up again at their next sign-in where it is required."""
    user.totp_secret = None
    user.totp_since = None
    user.totp_last_step = None
    user.totp_pending = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    audit.record("two_step_reset", user=actor, target_user_id=user.id)
