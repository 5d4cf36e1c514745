"""Searching the audit trail, for auditors: a page at a time, or the whole answer as CSV.

The trail only grows (a council's year is millions of rows), so a search by user or child is read
through an index of that id's rows in time order -- (user_id, at), (child_id, at) and
(assessment_id, at), migration 0013 -- rather than by walking the whole trail's time index.
The CSV is read in batches from a server-side cursor, so memory stays flat however long it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, false, func, select, union_all
from sqlalchemy.orm import aliased

from heat.extensions import db
from heat.models import AuditEvent, Child, User, assessment_children

CSV_HEADER = ["when_utc", "user", "action", "child_identifier", "assessment_id", "target_user_id", "address", "detail"]
CSV_BATCH = 1000


def search_query(
    *, user_email: str | None, child_reference: str | None, date_from: dt.date | None, date_to: dt.date | None
) -> Select:
    """Rows of (event, the actor's email, the child's reference), newest first."""
    actor = aliased(User)
    query = (
        select(AuditEvent, actor.email, Child.reference)
        .outerjoin(actor, actor.id == AuditEvent.user_id)
        .outerjoin(Child, Child.id == AuditEvent.child_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    period = []
    if date_from:
        period.append(AuditEvent.at >= dt.datetime.combine(date_from, dt.time.min))
    if date_to:
        period.append(AuditEvent.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    query = query.where(*period)
    # The user's and the child's ids are looked up first (small tables), so each planner knows
    # which id it is reading for and takes that id's (..., at) index: a search then reads only
    # its own rows, newest first, however long the trail grows.
    if user_email:
        user_id = db.session.scalar(select(User.id).where(func.lower(User.email) == user_email.strip().lower()))
        query = query.where(AuditEvent.user_id == user_id if user_id is not None else false())
    if child_reference:
        child_id = db.session.scalar(select(Child.id).where(Child.reference == child_reference.strip()))
        if child_id is None:
            return query.where(false())
        # The child's own events and those of every assessment that covers them, each part read
        # through its own index and joined by id. (An OR of the two lets the planners walk the
        # whole trail's time index instead, filtering as they go: slower the longer the trail.)
        covering = select(assessment_children.c.assessment_id).where(assessment_children.c.child_id == child_id)
        about_the_child = union_all(
            select(AuditEvent.id).where(AuditEvent.child_id == child_id, *period),
            select(AuditEvent.id).where(AuditEvent.assessment_id.in_(covering), *period),
        )
        query = query.where(AuditEvent.id.in_(about_the_child))
    return query


def csv_rows(query: Select) -> Iterator[list[Any]]:
    """The search's rows for the CSV (the header first), CSV_BATCH at a time from the database
    (a server-side cursor on PostgreSQL; SQLite steps through its own): never all in memory."""
    yield CSV_HEADER
    for event, email, reference in db.session.execute(query.execution_options(yield_per=CSV_BATCH)):
        yield [
            event.at.isoformat(),
            email or event.email_tried or "",
            event.action,
            reference or "",
            event.assessment_id or "",
            event.target_user_id or "",
            event.address or "",
            event.detail or "",
        ]
        db.session.expunge(event)  # read once: the session need not remember it


def as_it_stands(query: Select) -> tuple[Select, int]:
    """The search as the trail stands now (events after this moment are not in it, the export's
    own audit row included), and how many rows it has."""
    last = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    query = query.where(AuditEvent.id <= last)
    return query, db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
