"""Saves the server could not store yet, kept so that nothing typed is lost.

A section save can arrive when it cannot be stored: the session expired during a long
conversation (the page still proves who typed it, with a signed resume token), or a tablet's
outbox replayed a save that is invalid or that someone else's newer save overtook. The answers
are kept for the practitioner who typed them, encrypted with AES-GCM under a key derived from the
app's secret, until that practitioner opens the section again and saves it, or 24 hours pass.
"""

from __future__ import annotations

import datetime as dt
import json

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select

from heat.extensions import db
from heat.models import PendingSave, User, utcnow
from heat.services import audit, sealing

KEPT_FOR = dt.timedelta(hours=24)
SIGNED_OUT, INVALID, CONFLICT = "signed_out", "invalid", "conflict"
Fields = list[tuple[str, str]]

# What a kept save does not need: the page's own CSRF token, save key and resume token.
PURPOSE = b"heat pending saves"
_NOT_KEPT = {"csrf_token", "save_key", "resume", "version", "offline_next", "offline_later", "offline_title"}


def _seal(fields: Fields, bound_to: bytes) -> bytes:
    return sealing.seal(PURPOSE, json.dumps(fields).encode(), bound_to)


def _unseal(sealed: bytes, bound_to: bytes) -> Fields:
    plain = sealing.unseal(PURPOSE, sealed, bound_to)
    return [(str(name), str(value)) for name, value in json.loads(plain)]


def _binding(user_id: int, assessment_id: int, section_id: str) -> bytes:
    # The ciphertext is bound to its owner, assessment and section: moved to another row, it fails.
    return f"{user_id}:{assessment_id}:{section_id}".encode()


def keep(
    user: User, assessment_id: int, section_id: str, reason: str, seen_version: int, fields: Fields
) -> PendingSave:
    """Keep this save for `user` (replacing one kept earlier for the same section). The caller commits."""
    purge()
    discard(user, assessment_id, section_id)
    kept = [(name, value) for name, value in fields if name not in _NOT_KEPT]
    now = utcnow()
    pending = PendingSave(
        user_id=user.id,
        assessment_id=assessment_id,
        section_id=section_id,
        reason=reason,
        seen_version=seen_version,
        sealed=_seal(kept, _binding(user.id, assessment_id, section_id)),
        created_at=now,
        expires_at=now + KEPT_FOR,
    )
    db.session.add(pending)
    audit.record("save_kept", user=user, assessment_id=assessment_id, detail=f"{section_id}: {reason}")
    return pending


def find(user: User, assessment_id: int, section_id: str) -> tuple[PendingSave, Fields] | None:
    """The save kept for this user and section, with its answers, if one is still kept."""
    pending = db.session.scalar(
        select(PendingSave).where(
            PendingSave.user_id == user.id,
            PendingSave.assessment_id == assessment_id,
            PendingSave.section_id == section_id,
            PendingSave.expires_at > utcnow(),
        )
    )
    if pending is None:
        return None
    return pending, _unseal(pending.sealed, _binding(user.id, assessment_id, section_id))


def sections_kept(user: User, assessment_id: int) -> set[str]:
    return set(
        db.session.scalars(
            select(PendingSave.section_id).where(
                PendingSave.user_id == user.id,
                PendingSave.assessment_id == assessment_id,
                PendingSave.expires_at > utcnow(),
            )
        )
    )


def any_for(user: User) -> bool:
    """Whether anything is kept for the user (checked at sign-in and on the task list, so section
    pages need not ask when nothing is)."""
    return (
        db.session.scalar(
            select(PendingSave.id).where(PendingSave.user_id == user.id, PendingSave.expires_at > utcnow()).limit(1)
        )
        is not None
    )


def discard(user: User, assessment_id: int, section_id: str) -> None:
    db.session.execute(
        delete(PendingSave).where(
            PendingSave.user_id == user.id,
            PendingSave.assessment_id == assessment_id,
            PendingSave.section_id == section_id,
        )
    )


def purge() -> int:
    """Delete every kept save older than 24 hours; returns how many."""
    result = db.session.execute(delete(PendingSave).where(PendingSave.expires_at <= utcnow()))
    return getattr(result, "rowcount", 0) or 0


# --- resume tokens: which practitioner's page a save came from, without the session --------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="heat-resume-save")


def resume_token(user: User, assessment_id: int, section_id: str) -> str:
    """Signed into each section page: a save sent after the session ended still says who typed it
    (a page another site cannot read, so it cannot make one for someone else)."""
    return _serializer().dumps([user.id, assessment_id, section_id])


def resumed_user(token: str, assessment_id: int | None, section_id: str) -> User | None:
    """The active user a resume token names, if it is genuine, recent and for this section."""
    limit = current_app.config["HEAT_ABSOLUTE_TIMEOUT"].total_seconds()
    try:
        user_id, token_assessment, token_section = _serializer().loads(token, max_age=limit)
    except (BadSignature, ValueError, TypeError):
        return None
    if (token_assessment, token_section) != (assessment_id, section_id):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None
