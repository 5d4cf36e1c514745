"""Searching the audit trail, for auditors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from heat.models import AuditEvent, Child, User, assessment_children


def search_query(
    *, user_email: str | None, child_reference: str | None, date_from: dt.date | None, date_to: dt.date | None
) -> Select:
    actor = aliased(User)
    query = (
        select(AuditEvent, actor.email, Child.reference)
        .outerjoin(actor, actor.id == AuditEvent.user_id)
        .outerjoin(Child, Child.id == AuditEvent.child_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if user_email:
        query = query.where(func.lower(actor.email) == user_email.strip().lower())
    if child_reference:
        # The child's own record, and every assessment that covers them.
        child_id = select(Child.id).where(Child.reference == child_reference.strip()).scalar_subquery()
        covering = select(assessment_children.c.assessment_id).where(assessment_children.c.child_id == child_id)
        query = query.where(or_(AuditEvent.child_id == child_id, AuditEvent.assessment_id.in_(covering)))
    if date_from:
        query = query.where(AuditEvent.at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        query = query.where(AuditEvent.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return query
