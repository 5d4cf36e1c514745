"""Bearer tokens for the JSON API. A token is shown once when made; only its SHA-256 is kept. It
acts as its user, with that user's role and team scope, and is limited to HEAT_API_PER_MINUTE
requests a minute."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from heat.extensions import db
from heat.models import ApiToken, User, utcnow
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


def take(token: ApiToken, limit: int, now: dt.datetime | None = None) -> int | None:
    """Count one request against the token's minute; None when allowed, else the seconds to wait."""
    now = now or utcnow()
    if token.window_start is None or now - token.window_start >= dt.timedelta(minutes=1):
        start, count = now, 1
    else:
        start, count = token.window_start, token.window_count + 1
    if count > limit:
        return max(1, 60 - int((now - token.window_start).total_seconds())) if token.window_start else 60
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(window_start=start, window_count=count, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return None
