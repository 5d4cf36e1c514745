"""A child's family history, structured: previous children removed or on plans, previous child
protection plans, previous areas lived in, domestic abuse, parental substance misuse and mental
health, previous serious incidents; each with its source and the date it was given. An entry
about the household is shown for every child of it. Every addition, change and removal is
audited and written under "Changes to the record". The caller commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from heat.checklist.vocabulary import FAMILY_HISTORY_ABOUT, FAMILY_HISTORY_KINDS, FAMILY_HISTORY_PLACED
from heat.extensions import db
from heat.models import Child, FamilyHistoryEntry, RecordChange, User
from heat.services import audit
from heat.services.errors import FieldError


def entries_for(child: Child) -> list[FamilyHistoryEntry]:
    """The child's own entries and their household's, in the order of the kinds, earliest first."""
    whose = [FamilyHistoryEntry.child_id == child.id]
    if child.household_id is not None:
        whose.append(FamilyHistoryEntry.household_id == child.household_id)
    found = db.session.scalars(select(FamilyHistoryEntry).where(or_(*whose))).all()
    order = list(FAMILY_HISTORY_KINDS)
    return sorted(found, key=lambda e: (order.index(e.kind), e.from_date or e.source_date, e.source_date, e.id))


def entry_of(child: Child, entry_id: int) -> FamilyHistoryEntry | None:
    return next((e for e in entries_for(child) if e.id == entry_id), None)


@dataclass(frozen=True)
class EntryDetails:
    """What a form gives for an entry (plain values)."""

    kind: str | None
    about: str | None
    summary: str | None
    place: str | None
    from_date: dt.date | None
    to_date: dt.date | None
    source: str | None
    source_date: dt.date | None


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _checked(details: EntryDetails, today: dt.date) -> EntryDetails:
    if details.kind not in FAMILY_HISTORY_KINDS:
        raise FieldError("kind", "Select what the history is about")
    if details.about not in FAMILY_HISTORY_ABOUT:
        raise FieldError("about", "Select whether it is about this child or the whole household")
    if not _clean(details.summary):
        raise FieldError("summary", "Say what happened")
    if details.kind in FAMILY_HISTORY_PLACED and not _clean(details.place):
        raise FieldError("place", "Enter where it was: the area, or the agency")
    if details.kind in FAMILY_HISTORY_PLACED and details.from_date is None:
        raise FieldError("from_date", "Enter when it began")
    for field, day in (("from_date", details.from_date), ("to_date", details.to_date)):
        if day is not None and day > today:
            raise FieldError(field, "The date must be today or in the past")
    if details.from_date and details.to_date and details.to_date < details.from_date:
        raise FieldError("to_date", "The end date must be the same as or after the start date")
    if not _clean(details.source):
        raise FieldError("source", "Enter where the information came from")
    if details.source_date is None:
        raise FieldError("source_date", "Enter the date the information was given")
    if details.source_date > today:
        raise FieldError("source_date", "The date the information was given must be today or in the past")
    return details


def describe(entry: FamilyHistoryEntry) -> str:
    """One line for "Changes to the record": the kind, where and when."""
    where = f" in {entry.place}" if entry.place else ""
    when = ""
    if entry.from_date:
        when = f" from {entry.from_date.day} {entry.from_date:%B %Y}"
        if entry.to_date:
            when += f" to {entry.to_date.day} {entry.to_date:%B %Y}"
    return f"{entry.kind_label}{where}{when}"


def _apply(entry: FamilyHistoryEntry, child: Child, details: EntryDetails) -> None:
    entry.kind = details.kind or ""
    entry.household_id = child.household_id if details.about == "household" else None
    entry.summary = _clean(details.summary)
    entry.place = _clean(details.place) or None
    entry.from_date, entry.to_date = details.from_date, details.to_date
    entry.source = _clean(details.source)
    entry.source_date = details.source_date or dt.date.today()


def _changed(child: Child, user: User, summary: str, action: str, entry_id: int) -> None:
    db.session.add(RecordChange(child_id=child.id, by_id=user.id, summary=summary))
    audit.record(action, user=user, child_id=child.id, detail=f"family history {entry_id}")


def add(child: Child, user: User, details: EntryDetails) -> FamilyHistoryEntry:
    _checked(details, dt.date.today())
    entry = FamilyHistoryEntry(child_id=child.id, recorded_by_id=user.id)
    _apply(entry, child, details)
    db.session.add(entry)
    db.session.flush()
    _changed(
        child,
        user,
        f"Family history added: {describe(entry)}. Source: {entry.source}.",
        "family_history_added",
        entry.id,
    )
    return entry


def change(entry: FamilyHistoryEntry, child: Child, user: User, details: EntryDetails) -> FamilyHistoryEntry:
    _checked(details, dt.date.today())
    before = describe(entry)
    _apply(entry, child, details)
    _changed(
        child,
        user,
        f"Family history changed: {before}, now {describe(entry)}. Source: {entry.source}.",
        "family_history_changed",
        entry.id,
    )
    return entry


def remove(entry: FamilyHistoryEntry, child: Child, user: User) -> FamilyHistoryEntry:
    """The entry goes; "Changes to the record" keeps what it said."""
    _changed(child, user, f"Family history removed: {describe(entry)}.", "family_history_removed", entry.id)
    db.session.delete(entry)
    return entry
