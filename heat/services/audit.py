"""The audit trail: one append-only row for every view, export, sign-in attempt and user change."""

from __future__ import annotations

from flask import has_request_context, request

from heat.extensions import db
from heat.models import AuditEvent


def record(
    action: str,
    *,
    user=None,
    child_id: int | None = None,
    assessment_id: int | None = None,
    target_user_id: int | None = None,
    email_tried: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Add a row to the session; the caller's commit makes it permanent with the change it records."""
    event = AuditEvent(
        action=action,
        user_id=getattr(user, "id", None),
        child_id=child_id,
        assessment_id=assessment_id,
        target_user_id=target_user_id,
        email_tried=email_tried,
        address=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event
