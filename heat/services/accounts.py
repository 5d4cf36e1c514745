"""Signing in and out, throttling, and managing user accounts."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import CursorResult, func, select, update

from heat import metrics
from heat.checklist.vocabulary import EMAIL_CHOICES, ROLES
from heat.extensions import db
from heat.models import ApiToken, AuditEvent, Team, User, new_session_token, utcnow
from heat.services import audit, sessions
from heat.services.errors import FieldError
from heat.services.passwords import hash_password, needs_rehash, password_problem, verify_password

# Verified against when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = ""


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    retry_after: int | None = None  # seconds, when throttled
    device: tuple[str, str] | None = None  # after a sign-in: the device cookie's entry for the account

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


def _failures(since: dt.datetime, condition) -> tuple[int, dt.datetime | None]:
    """How many failed sign-ins match since then, and when the latest was."""
    count, latest = db.session.execute(
        select(func.count(), func.max(AuditEvent.at))
        .select_from(AuditEvent)
        .where(AuditEvent.action == "sign_in_failed", AuditEvent.at >= since, condition)
    ).one()
    return count or 0, latest


def backoff(failures: int, allowed: int, base: dt.timedelta, cap: dt.timedelta) -> dt.timedelta:
    """How long to wait after the latest failure: nothing up to `allowed` failures, then `base`,
    doubling with each further failure, never more than `cap`."""
    if failures < allowed:
        return dt.timedelta(0)
    return min(cap, base * 2 ** min(failures - allowed, 16))


def _wait(now: dt.datetime, since: dt.datetime, condition, allowed: int) -> int:
    config = current_app.config
    count, latest = _failures(since, condition)
    if latest is None:
        return 0
    until = latest + backoff(count, allowed, config["HEAT_LOGIN_BACKOFF"], config["HEAT_LOGIN_WINDOW"])
    return max(0, int((until - now).total_seconds() + 0.999))


def sign_in(email: str, password: str, address: str | None, devices: Mapping[str, str] | None = None) -> SignInResult:
    """Check a sign-in attempt. Every attempt is audited. Failures for an account, or from an
    address, make the next attempt wait, longer with each failure (at most HEAT_LOGIN_WINDOW).

    A device this account signed in on before (its entry in the signed device cookie, `devices`:
    account name -> the device's own nonce, as OWASP's "device cookies") is not held up by
    failures made elsewhere, so nobody can lock a practitioner out of their own tablet; failures
    made on that device make it wait, like any other."""
    global _DUMMY_HASH
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    name = device_name(user) if user is not None else None
    nonce = (devices or {}).get(name) if name is not None else None
    trusted = nonce is not None
    wait = throttled(email, address, nonce)
    if wait:
        return SignInResult(None, retry_after=wait)

    # Unknown, wrong and deactivated accounts cost the same: one argon2 verification each.
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not a real password")
    stored, active = (user.password_hash, user.active) if user is not None else (_DUMMY_HASH, False)
    # Nothing written yet: end the transaction before the slow part, so the password check (tens
    # of milliseconds of argon2, by design) never holds SQLite's write lock (heat/database.py).
    db.session.commit()
    matches = verify_password(stored, password)
    ok = user is not None and matches and active
    fresh = hash_password(password) if ok and needs_rehash(stored) else None
    if fresh is not None and user is not None:
        # Hashed with older argon2 parameters: the password is at hand, so hash it afresh.
        user.password_hash = fresh
    audit.record(
        "sign_in" if ok else "sign_in_failed",
        user=user if ok else None,
        email_tried=email,
        detail=f"device {nonce}" if trusted and not ok else None,
    )
    db.session.commit()
    if not ok:
        metrics.SIGN_IN_FAILURES.labels("password").inc()
    if not ok or user is None:
        return SignInResult(None)
    return SignInResult(user, device=device_entry(user, devices or {}))


def device_entry(user: User, devices: Mapping[str, str]) -> tuple[str, str]:
    """The device cookie's entry for this account after a sign-in: its own nonce if this device
    knew the account before, a new one otherwise."""
    name = device_name(user)
    return name, devices.get(name) or secrets.token_hex(8)


def throttled(email: str, address: str | None, device_nonce: str | None) -> int:
    """Seconds to wait before another attempt for this account from here (0: go ahead). A wait
    is audited and committed. Failures of either step of signing in count."""
    config = current_app.config
    now = utcnow()
    since = now - config["HEAT_LOGIN_WINDOW"]
    allowed = config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]
    if device_nonce is not None:
        waits = [_wait(now, since, AuditEvent.detail == f"device {device_nonce}", allowed)]
    else:
        waits = [
            _wait(now, since, AuditEvent.email_tried == email, allowed),
            _wait(now, since, AuditEvent.address == address, config["HEAT_LOGIN_FAILURES_PER_ADDRESS"]),
        ]
    if max(waits) > 0:
        metrics.SIGN_IN_FAILURES.labels("throttled").inc()
        audit.record("sign_in_throttled", email_tried=email)
        db.session.commit()
    return max(waits)


def second_step_failed(user: User, device_nonce: str | None) -> None:
    """A wrong security code counts as a failed sign-in, for the same throttling."""
    metrics.SIGN_IN_FAILURES.labels("security_code").inc()
    audit.record(
        "sign_in_failed",
        email_tried=user.email.lower(),
        detail=f"device {device_nonce}" if device_nonce else "security code",
    )


def device_name(user: User) -> str:
    """What a device cookie says about the account that signed in on it: an opaque name, stable
    for the account (the cookie itself is signed, so it cannot be made up)."""
    secret = current_app.config["SECRET_KEY"]
    key = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(key, f"device:{user.id}".encode(), hashlib.sha256).hexdigest()[:16]


def change_password(user: User, current: str, new: str, confirm: str) -> User:
    """The user's own password, changed after they prove they know the old one. Every other
    session of theirs ends (the caller starts this one afresh)."""
    if not verify_password(user.password_hash, current):
        raise FieldError("current_password", "Your current password is not correct")
    problem = password_problem(new, user.email)
    if problem:
        raise FieldError("new_password", problem)
    if verify_password(user.password_hash, new):
        raise FieldError("new_password", "Choose a password that is different from your current one")
    if new != confirm:
        raise FieldError("confirm_password", "The new passwords do not match")
    user.password_hash = hash_password(new)
    end_sessions(user)
    end_api_tokens(user, user)
    audit.record("password_changed", user=user, target_user_id=user.id)
    return user


def choose_emails(user: User, email_choice: str) -> User:
    """The user's own choice (EMAIL_CHOICES): an email each time, or a daily summary."""
    if email_choice not in EMAIL_CHOICES:
        raise FieldError("email_choice", "Select how you want to hear about Red visits and decisions")
    if email_choice != user.email_choice:
        user.email_choice = email_choice
        audit.record("email_choice_changed", user=user, target_user_id=user.id, detail=email_choice)
    return user


def end_sessions(user: User) -> None:
    """Every session of this user ends (deactivation, password change, an administrator's say)."""
    user.session_token = new_session_token()
    sessions.end_all(user)


def end_api_tokens(actor: User | None, user: User) -> None:
    """The user's API tokens are revoked for good (a password change, a deactivation): a token
    made under the old password, or before the account was closed, never works again, and
    reactivating the account does not bring it back."""
    revoked: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if revoked.rowcount:
        audit.record("api_tokens_revoked", user=actor, target_user_id=user.id, detail=f"{revoked.rowcount} tokens")


def save_user(
    actor: User | None,
    user: User | None,
    *,
    name: str,
    email: str,
    role: str,
    team_id: int | None,
    password: str | None,
    active: bool = True,
    organisation_account: bool = False,
) -> User:
    """Create (user=None) or change an account. The caller commits. An account made at a first
    sign-in through the organisation's provider (single sign-on) has no password."""
    email = email.strip().lower()
    if role not in ROLES:
        raise FieldError("role", "Select a role")
    if role in ("practitioner", "supervisor") and team_id is None:
        raise FieldError("team_id", "Select a team for a practitioner or supervisor")
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise FieldError("team_id", "Select a team from the list")
    clash = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if clash is not None and clash is not user:
        raise FieldError("email", "An account with this email address already exists")
    if user is None and not password and not organisation_account:
        raise FieldError("password", "Enter a password for the new account")
    if password:
        problem = password_problem(password, email)
        if problem:
            raise FieldError("password", problem)

    created = user is None
    if user is None:
        user = User(email=email, name=name.strip(), role=role, team_id=team_id, password_hash="")
        db.session.add(user)
    changes = []
    for attr, value in (
        ("name", name.strip()),
        ("email", email),
        ("role", role),
        ("team_id", team_id),
        ("active", active),
    ):
        if getattr(user, attr) != value:
            changes.append(attr)
            setattr(user, attr, value)
    if password:
        user.password_hash = hash_password(password)
        changes.append("password")
    if not created and ({"password", "role", "team_id"} & set(changes) or not active):
        end_sessions(user)
    if not created and ("password" in changes or not active):
        end_api_tokens(actor, user)
    db.session.flush()
    audit.record(
        "user_created" if created else "user_changed",
        user=actor,
        target_user_id=user.id,
        detail=", ".join(c for c in changes if c != "password")
        + (" password" if "password" in changes else "")
        + (" from the organisation account" if organisation_account else ""),
    )
    return user


def create_team(actor: User | None, name: str) -> Team:
    """A new team (web and CLI alike); `actor` is None from the command line. The caller commits."""
    name = name.strip()
    if not name:
        raise FieldError("name", "Enter the team name")
    if db.session.scalar(select(Team).where(Team.name == name)):
        raise FieldError("name", "A team with this name already exists")
    team = Team(name=name)
    db.session.add(team)
    audit.record("team_created", user=actor, detail=name[:200])
    return team


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name)))
