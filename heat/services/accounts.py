"""Signing in and out, throttling, and managing user accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import ROLES, AuditEvent, Team, User, new_session_token, utcnow
from heat.services import audit
from heat.services.errors import FieldError
from heat.services.passwords import hash_password, password_problem, verify_password

# Verified against when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY_HASH = None


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    throttled: bool = False


def _failures_since(since: dt.datetime, *, email: str | None = None, address: str | None = None) -> int:
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "sign_in_failed", AuditEvent.at >= since)
    )
    query = query.where(AuditEvent.email_tried == email) if email else query.where(AuditEvent.address == address)
    return db.session.scalar(query) or 0


def sign_in(email: str, password: str, address: str | None) -> SignInResult:
    """Check a sign-in attempt. Every attempt is audited; too many failures refuse further tries."""
    global _DUMMY_HASH
    email = email.strip().lower()
    config = current_app.config
    since = utcnow() - config["HEAT_LOGIN_WINDOW"]
    if (
        _failures_since(since, email=email) >= config["HEAT_LOGIN_FAILURES_PER_ACCOUNT"]
        or _failures_since(since, address=address) >= config["HEAT_LOGIN_FAILURES_PER_ADDRESS"]
    ):
        audit.record("sign_in_throttled", email_tried=email)
        db.session.commit()
        return SignInResult(None, throttled=True)

    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not a real password")
        verify_password(_DUMMY_HASH, password)
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    audit.record("sign_in" if ok else "sign_in_failed", user=user if ok else None, email_tried=email)
    db.session.commit()
    return SignInResult(user if ok else None)


def end_sessions(user: User) -> None:
    """Every cookie issued to this user stops working (sign-out, deactivation, password change)."""
    user.session_token = new_session_token()


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
) -> User:
    """Create (user=None) or change an account. The caller commits."""
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
    if user is None and not password:
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
    db.session.flush()
    audit.record(
        "user_created" if created else "user_changed",
        user=actor,
        target_user_id=user.id,
        detail=", ".join(c for c in changes if c != "password") + (" password" if "password" in changes else ""),
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
