"""Other agencies around a child, the information asked of them, and meetings. An information
request unanswered after the definition's `request_working_days` is flagged, and the dashboard
can show the children "Waiting for information". The caller commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from heat.checklist.working_days import add_working_days, working_days_before
from heat.extensions import db
from heat.models import Agency, Child, InformationRequest, Meeting, User
from heat.services import audit
from heat.services.checklists import current_definition
from heat.services.errors import FieldError


def overdue_before(today: dt.date | None = None) -> dt.date:
    """A request asked on or before this date, and not answered, is overdue."""
    return working_days_before(today or dt.date.today(), current_definition().trends.request_working_days)


def waiting_for_information(today: dt.date) -> Any:
    """SQL: the child has an information request unanswered past the limit (and not withdrawn)."""
    return (
        select(InformationRequest.id)
        .where(
            InformationRequest.child_id == Child.id,
            InformationRequest.received_on.is_(None),
            InformationRequest.withdrawn_on.is_(None),
            InformationRequest.asked_on <= overdue_before(today),
        )
        .correlate(Child)
        .exists()
    )


# Built once (it runs on every child page): the child and the date travel as parameters.
_OVERDUE = select(InformationRequest.id).where(
    InformationRequest.child_id == bindparam("child_id"),
    InformationRequest.received_on.is_(None),
    InformationRequest.withdrawn_on.is_(None),
    InformationRequest.asked_on <= bindparam("before"),
)


def overdue_count(child: Child, today: dt.date | None = None) -> int:
    return len(db.session.connection().execute(_OVERDUE, {"child_id": child.id, "before": overdue_before(today)}).all())


def days_overdue(request: InformationRequest, today: dt.date, limit: int) -> int | None:
    """Calendar days since an outstanding request's answer was due (`limit` working days after it
    was asked), counted to `today`; None if it is answered, withdrawn or not yet due."""
    if not request.outstanding:
        return None
    due = add_working_days(request.asked_on, limit)
    return (today - due).days if today > due else None


@dataclass(frozen=True)
class Outstanding:
    request: InformationRequest
    days_overdue: int | None  # None while not yet due


@dataclass(frozen=True)
class Record:
    agencies: list[Agency]
    requests: list[InformationRequest]
    meetings: list[Meeting]
    overdue: list[InformationRequest]  # unanswered past the limit
    limit: int  # working days
    days_overdue: dict[int, int]  # request id: calendar days past the limit, for the overdue ones


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
    limit = current_definition().trends.request_working_days
    late = {r.id: days for r in requests if (days := days_overdue(r, today, limit)) is not None}
    cutoff = overdue_before(today)
    overdue = [r for r in requests if r.outstanding and r.asked_on <= cutoff]
    return Record(agencies, requests, meetings, overdue, limit, late)


def outstanding_requests(child: Child, today: dt.date | None = None) -> list[Outstanding]:
    """The child's information requests neither answered nor withdrawn, oldest first, each with
    the days it is overdue (counted to today): for the decision pages."""
    today = today or dt.date.today()
    limit = current_definition().trends.request_working_days
    asked = db.session.scalars(
        select(InformationRequest)
        .where(
            InformationRequest.child_id == child.id,
            InformationRequest.received_on.is_(None),
            InformationRequest.withdrawn_on.is_(None),
        )
        .order_by(InformationRequest.asked_on, InformationRequest.id)
    )
    return [Outstanding(r, days_overdue(r, today, limit)) for r in asked]


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
    _request_answers(agency, child, asked_on, what)
    assert agency is not None and asked_on is not None
    request = InformationRequest(
        child_id=child.id, agency_id=agency.id, asked_on=asked_on, what=_text(what), by_id=user.id
    )
    db.session.add(request)
    db.session.flush()
    audit.record("information_requested", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def _request_answers(agency: Agency | None, child: Child, asked_on: dt.date | None, what: str) -> None:
    if agency is None or agency.child_id != child.id:
        raise FieldError("agency", "Select the agency asked")
    if asked_on is None:
        raise FieldError("asked_on", "Enter the date you asked")
    if asked_on > dt.date.today():
        raise FieldError("asked_on", "Date asked must be today or in the past")
    if not _text(what):
        raise FieldError("what", "Say what information you asked for")


def mark_received(
    request: InformationRequest,
    child: Child,
    user: User,
    received_on: dt.date | None,
    summary: str | None,
    analysis: str | None,
) -> InformationRequest:
    """What came back: when, what it said, and what the worker makes of it."""
    if request.withdrawn_on is not None:
        raise FieldError("received_on", "This request was withdrawn")
    if received_on is None:
        raise FieldError("received_on", "Enter the date the information came")
    if received_on > dt.date.today() or received_on < request.asked_on:
        raise FieldError("received_on", "Date received must be between the date asked and today")
    if not _text(summary):
        raise FieldError("received_summary", "Say what the information said")
    if not _text(analysis):
        raise FieldError("analysis", "Say what you make of it for the child")
    request.received_on, request.received_summary, request.analysis = received_on, _text(summary), _text(analysis)
    audit.record("information_received", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def amend_request(
    request: InformationRequest,
    child: Child,
    user: User,
    agency: Agency | None,
    asked_on: dt.date | None,
    what: str,
) -> InformationRequest:
    """Correct who was asked, when, or what for."""
    _request_answers(agency, child, asked_on, what)
    assert agency is not None and asked_on is not None
    if request.received_on is not None and asked_on > request.received_on:
        raise FieldError("asked_on", "Date asked must be on or before the date the information came")
    request.agency, request.asked_on, request.what = agency, asked_on, _text(what)
    audit.record("information_request_amended", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def withdraw_request(request: InformationRequest, child: Child, user: User, reason: str) -> InformationRequest:
    """The information is no longer asked for: it stops being outstanding, and says why."""
    if not request.outstanding:
        raise FieldError("reason", "Only a request still waiting for an answer can be withdrawn")
    if not _text(reason):
        raise FieldError("reason", "Say why the request is withdrawn")
    request.withdrawn_on, request.withdrawn_reason = dt.date.today(), _text(reason)
    audit.record("information_request_withdrawn", user=user, child_id=child.id, detail=f"request {request.id}")
    return request


def add_meeting(
    child: Child,
    user: User,
    held_on: dt.date | None,
    kind: str,
    invited_agency_ids: list[int],
    invited: str | None,
    attended: str | None,
    sent_information: str | None,
) -> Meeting:
    """A meeting, its invitees chosen from the child's agencies (and others named): every agency on
    the child's list that was not invited is kept by name, to be named on the meeting."""
    if held_on is None:
        raise FieldError("held_on", "Enter the date of the meeting")
    if not _text(kind):
        raise FieldError("kind", "Say what the meeting was, for example a core group")
    known = list(db.session.scalars(select(Agency).where(Agency.child_id == child.id).order_by(Agency.name)))
    if any(i not in {a.id for a in known} for i in invited_agency_ids):
        raise FieldError("invited_agencies", "Select agencies from the child's list")
    if not invited_agency_ids and not _text(invited):
        if not known:  # the form asks only "Who was invited" when the child has no agencies
            raise FieldError("invited", "Enter who was invited")
        raise FieldError("invited_agencies", "Select who was invited, or name them under Others invited")
    meeting = Meeting(
        child_id=child.id,
        held_on=held_on,
        kind=_text(kind),
        invited=_text(invited),
        invited_agencies=[a.name for a in known if a.id in invited_agency_ids],
        not_invited=[a.name for a in known if a.id not in invited_agency_ids],
        attended=_text(attended) or None,
        sent_information=_text(sent_information) or None,
        by_id=user.id,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record("meeting_added", user=user, child_id=child.id, detail=f"meeting {meeting.id}")
    return meeting
