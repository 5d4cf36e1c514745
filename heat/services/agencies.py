"""Other agencies around a child, the information asked of them, and meetings. An information
request unanswered after the definition's `request_working_days` is flagged, and the dashboard
can show the children "Waiting for information". The caller commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from heat.extensions import db
from heat.models import Agency, Child, InformationRequest, Meeting, User
from heat.services import audit
from heat.services.checklists import current_definition
from heat.services.errors import FieldError


def working_days_before(day: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) before `day`."""
    while days > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def overdue_before(today: dt.date | None = None) -> dt.date:
    """A request asked on or before this date, and not answered, is overdue."""
    return working_days_before(today or dt.date.today(), current_definition().trends.request_working_days)


def waiting_for_information(today: dt.date) -> Any:
    """SQL: the child has an information request unanswered past the limit."""
    return (
        select(InformationRequest.id)
        .where(
            InformationRequest.child_id == Child.id,
            InformationRequest.received_on.is_(None),
            InformationRequest.asked_on <= overdue_before(today),
        )
        .correlate(Child)
        .exists()
    )


# Built once (it runs on every child page): the child and the date travel as parameters.
_OVERDUE = select(InformationRequest.id).where(
    InformationRequest.child_id == bindparam("child_id"),
    InformationRequest.received_on.is_(None),
    InformationRequest.asked_on <= bindparam("before"),
)


def overdue_count(child: Child, today: dt.date | None = None) -> int:
    return len(db.session.scalars(_OVERDUE, {"child_id": child.id, "before": overdue_before(today)}).all())


@dataclass(frozen=True)
class Record:
    agencies: list[Agency]
    requests: list[InformationRequest]
    meetings: list[Meeting]
    overdue: list[InformationRequest]  # unanswered past the limit
    limit: int  # working days


def record_of(child: Child, today: dt.date | None = None) -> Record:
    today = today or dt.date.today()
    agencies = list(db.session.scalars(select(Agency).where(Agency.child_id == child.id).order_by(Agency.name)))
    requests = list(
        db.session.scalars(
            select(InformationRequest)
            .where(InformationRequest.child_id == child.id)
            .order_by(InformationRequest.asked_on.desc(), InformationRequest.id.desc())
        )
    )
    meetings = list(
        db.session.scalars(select(Meeting).where(Meeting.child_id == child.id).order_by(Meeting.held_on.desc()))
    )
    cutoff = overdue_before(today)
    overdue = [r for r in requests if r.received_on is None and r.asked_on <= cutoff]
    return Record(agencies, requests, meetings, overdue, current_definition().trends.request_working_days)


def _text(value: str | None) -> str:
    return (value or "").strip()


def add_agency(
    child: Child, user: User, name: str, area: str | None, out_of_area: bool, contact: str | None, role: str | None
) -> Agency:
    if not _text(name):
        raise FieldError("name", "Enter the agency's name")
    agency = Agency(
        child_id=child.id,
        name=_text(name),
        area=_text(area) or None,
        out_of_area=out_of_area,
        contact=_text(contact) or None,
        role=_text(role) or None,
    )
    db.session.add(agency)
    db.session.flush()
    audit.record("agency_added", user=user, child_id=child.id, detail=f"agency {agency.id}")
    return agency


def add_request(
    child: Child, user: User, agency: Agency | None, asked_on: dt.date | None, what: str
) -> InformationRequest:
    if agency is None or agency.child_id != child.id:
        raise FieldError("agency", "Select the agency asked")
    if asked_on is None:
        raise FieldError("asked_on", "Enter the date you asked")
    if asked_on > dt.date.today():
        raise FieldError("asked_on", "Date asked must be today or in the past")
    if not _text(what):
        raise FieldError("what", "Say what information you asked for")
    request = InformationRequest(
        child_id=child.id, agency_id=agency.id, asked_on=asked_on, what=_text(what), by_id=user.id
    )
    db.session.add(request)
    db.session.flush()
    audit.record("information_requested", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def mark_received(
    request: InformationRequest, child: Child, user: User, received_on: dt.date | None
) -> InformationRequest:
    if received_on is None:
        raise FieldError("received_on", "Enter the date the information came")
    if received_on > dt.date.today() or received_on < request.asked_on:
        raise FieldError("received_on", "Date received must be between the date asked and today")
    request.received_on = received_on
    audit.record("information_received", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def add_meeting(
    child: Child,
    user: User,
    held_on: dt.date | None,
    kind: str,
    invited: str,
    attended: str | None,
    sent_information: str | None,
) -> Meeting:
    if held_on is None:
        raise FieldError("held_on", "Enter the date of the meeting")
    if not _text(kind):
        raise FieldError("kind", "Say what the meeting was, for example a core group")
    if not _text(invited):
        raise FieldError("invited", "Say who was invited")
    meeting = Meeting(
        child_id=child.id,
        held_on=held_on,
        kind=_text(kind),
        invited=_text(invited),
        attended=_text(attended) or None,
        sent_information=_text(sent_information) or None,
        by_id=user.id,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting_added", user=user, child_id=child.id, detail=f"meeting {meeting.id}")
    return meeting
