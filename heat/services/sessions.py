"""Each sign-in is its own server-side session: the cookie carries a random token, this table its
SHA-256, the device and when it was started and last used. "Your sessions" lists them; a user
can end any of their others, an administrator all of a user's; sign-out ends its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from flask import current_app
from sqlalchemy import CursorResult, bindparam, select, update

from heat.database import writing
from heat.extensions import db
from heat.models import User, UserSession, utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox", "Firefox"),
    ("Chrome", "Chrome"),
    ("Safari", "Safari"),
)
_SYSTEMS = (
    ("iPad", "iPad"),
    ("iPhone", "iPhone"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("Linux", "Linux"),
)


def describe(user_agent: str) -> str:
    """ "Chrome on Android", from the browser's own description of itself."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "A browser")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    text = f"{browser} on {system}" if system else browser
    return re.sub(r"[^\w .-]", "", text)[:100]


def begin(user: User, user_agent: str, address: str | None) -> str:
    """A new session for a sign-in, in the caller's transaction; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash(token),
            device=describe(user_agent),
            address=address,
            started_at=now,
            last_seen_at=now,
        )
    )
    return token


# Checked on every request with the user (security.load_user): built once.
LIVE = (
    select(User)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("id"), UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None)
    )
)


def touch(token: str) -> None:
    """Last used now (called at most once a minute per session), in a short write of its own."""
    db.session.commit()
    with writing():
        db.session.execute(
            update(UserSession).where(UserSession.token_hash == token_hash(token)).values(last_seen_at=utcnow())
        )
        db.session.commit()


def end(token: str) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all(user: User, *, except_token: str | None = None) -> int:
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if except_token is not None:
        query = query.where(UserSession.token_hash != token_hash(except_token))
    result: CursorResult = db.session.execute(query.values(ended_at=utcnow()))  # type: ignore[assignment]
    return result.rowcount or 0


def end_one(user: User, session_id: int) -> bool:
    """End one of the user's own sessions (by its id on "Your sessions")."""
    result: CursorResult = db.session.execute(  # type: ignore[assignment]
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return bool(result.rowcount)


def live_for(user: User) -> list[UserSession]:
    """The user's sessions that can still be used (not ended, within the idle and absolute limits)."""
    config = current_app.config
    now = utcnow()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at > now - config["HEAT_IDLE_TIMEOUT"] - dt.timedelta(minutes=1),
                UserSession.started_at > now - config["HEAT_ABSOLUTE_TIMEOUT"],
            )
            .order_by(UserSession.last_seen_at.desc())
        )
    )
