"""Bearer tokens for the JSON API. A token is shown once when made; only its SHA-256 is kept. It
acts as its user, with that user's role and team scope, and is limited to HEAT_API_PER_MINUTE
requests a minute. Calls without a valid token are limited per address, and audited once a minute
per address with a count.

Each limit is counted by one conditional UPDATE (the database decides, so concurrent requests
cannot all read the same count and all go ahead), in a short write transaction of its own that
begins IMMEDIATE on SQLite: an API GET's own transaction only reads, and a read upgraded to a
write is what fails with "database is locked"."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ColumnElement, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from heat.database import writing
from heat.extensions import db
from heat.models import ApiAddressWindow, ApiToken, User, utcnow
from heat.services import audit
from heat.services.errors import FieldError

PREFIX = "heat_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its secret (never stored)."""
    name = name.strip()
    if not name:
        raise FieldError("name", "Enter a name for the token")
    if not user.active:
        raise FieldError("email", "The account is deactivated")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], token_hash=_hash(secret))
    db.session.add(token)
    db.session.flush()
    audit.record("api_token_created", user=None, target_user_id=user.id, detail=f"token {token.id}")
    return token, secret


def revoke_token(token_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record("api_token_revoked", user=None, target_user_id=token.user_id, detail=f"token {token.id}")
    return True


def tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id).options(joinedload(ApiToken.user))))


def token_for(header: str | None) -> ApiToken | None:
    """The live token named by an `Authorization: Bearer …` header, with an active user."""
    scheme, _, secret = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip().startswith(PREFIX):
        return None
    token = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _hash(secret.strip()), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user))
    )
    if token is None or not token.user.active:
        return None
    return token


MINUTE = dt.timedelta(minutes=1)
BAD_TOKENS_PER_MINUTE = 10  # calls without a valid token from one address


def _wait(now: dt.datetime, start: dt.datetime | None) -> int:
    return max(1, 60 - int((now - start).total_seconds())) if start else 60


def take(token: ApiToken, limit: int, now: dt.datetime | None = None) -> int | None:
    """Count one request against the token's minute; None when allowed, else the seconds to wait.
    Commits what the request has read so far (the write is a transaction of its own)."""
    now = now or utcnow()
    token_id = token.id
    fresh = or_(ApiToken.window_start.is_(None), ApiToken.window_start <= now - MINUTE)
    db.session.commit()
    with writing():
        counted = db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, or_(fresh, ApiToken.window_count < limit))
            .values(
                window_start=case((fresh, now), else_=ApiToken.window_start),
                window_count=case((fresh, 1), else_=ApiToken.window_count + 1),
                last_used_at=now,
            )
            .returning(ApiToken.id)
            .execution_options(synchronize_session=False)
        ).first()
        start = None if counted else db.session.scalar(select(ApiToken.window_start).where(ApiToken.id == token_id))
        db.session.commit()
    return None if counted else _wait(now, start)


def refuse_unauthorized(address: str | None, what: str, now: dt.datetime | None = None) -> int | None:
    """A call without a valid token from this address: counted in its minute, and audited once
    a minute (with the previous minute's count); None, or the seconds to wait when the address
    has made more than BAD_TOKENS_PER_MINUTE of them this minute."""
    now = now or utcnow()
    address = (address or "unknown")[:64]
    window = ApiAddressWindow
    fresh: ColumnElement[bool] = window.window_start <= now - MINUTE
    db.session.commit()
    with writing():
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(
            insert(window)
            .values(address=address, window_start=now, window_count=0, previous_count=0)
            .on_conflict_do_nothing(index_elements=[window.address])
        )
        count, previous, start = db.session.execute(
            update(window)
            .where(window.address == address)
            .values(
                previous_count=case((fresh, window.window_count), else_=window.previous_count),
                window_start=case((fresh, now), else_=window.window_start),
                window_count=case((fresh, 1), else_=window.window_count + 1),
            )
            .returning(window.window_count, window.previous_count, window.window_start)
            .execution_options(synchronize_session=False)
        ).one()
        db.session.commit()
    if count == 1:
        # One row per address per minute: a flood of bad tokens cannot flood the trail.
        audit.record(
            "api_unauthorized",
            detail=f"{what}; {previous} calls without a valid token in its last minute with any"[:200],
        )
        db.session.commit()
    return _wait(now, start) if count > BAD_TOKENS_PER_MINUTE else None
