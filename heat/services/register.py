"""The register of children: adding a child (born or unborn), correcting their details, their
address history and moves. The form, the import and the API all check a child's details here, in
one way. Every change is audited and kept for the chronology; the caller commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select

from heat.checklist.vocabulary import HOME_KINDS, PLAN_STATUSES
from heat.extensions import db
from heat.models import Child, ChildAddress, ChronologyEntry, Household, PlanChange, RecordChange, Team, User
from heat.services import access, audit

REFERENCE_MAX = 30
NAME_MAX = 100
# An expected date of birth is at most this far ahead, and this far behind (a baby not yet
# recorded as born), so a mistyped year is caught.
EXPECTED_AHEAD = dt.timedelta(days=300)
EXPECTED_BEHIND = dt.timedelta(days=90)
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
# NUL and other control characters (tab and line breaks aside): PostgreSQL cannot store NUL, and
# none belongs in a child's details. The forms strip them; the import and the API refuse them.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Invalid(ValueError):
    """Every problem with a child's details, as (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class Address:
    line_1: str
    line_2: str | None = None
    town: str | None = None
    postcode: str | None = None
    area: str | None = None  # the local authority area
    kind: str = "family_home"

    @property
    def text(self) -> str:
        return ", ".join(p for p in (self.line_1, self.line_2, self.town, self.postcode) if p)

    def cleaned(self) -> Address | None:
        """Spaces trimmed and the postcode written the usual way; None when nothing was given."""
        postcode = _squash(self.postcode)
        if len(postcode) > 3:
            postcode = f"{postcode[:-3]} {postcode[-3:]}"
        address = dataclasses.replace(
            self,
            line_1=self.line_1.strip(),
            line_2=(self.line_2 or "").strip() or None,
            town=(self.town or "").strip() or None,
            postcode=postcode or None,
            area=(self.area or "").strip() or None,
        )
        if not (address.line_1 or address.line_2 or address.town or address.postcode):
            return None
        return address

    @classmethod
    def of(cls, row: ChildAddress) -> Address:
        return cls(row.line_1, row.line_2, row.town, row.postcode, row.area, row.kind)

    def same_place(self, other: Address | None) -> bool:
        """The same home: line 1 and postcode, whatever the spacing or case."""
        return (
            other is not None
            and _squash(self.line_1) == _squash(other.line_1)
            and _squash(self.postcode) == _squash(other.postcode)
        )


def _squash(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


@dataclass(frozen=True)
class Details:
    case_reference: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    expected_date_of_birth: dt.date | None
    team_id: int | None
    allocated_worker_id: int | None
    plan_status: str
    address: Address | None
    lives_with: str | None = None  # the case reference of a brother or sister they live with

    def cleaned(self) -> Details:
        address = self.address.cleaned() if self.address is not None else None
        return dataclasses.replace(
            self,
            case_reference=self.case_reference.strip(),
            first_name=self.first_name.strip(),
            last_name=self.last_name.strip(),
            lives_with=(self.lives_with or "").strip() or None,
            address=address,
        )


def details_of(child: Child, address: ChildAddress | None) -> Details:
    return Details(
        child.reference,
        child.first_name,
        child.last_name,
        child.date_of_birth,
        child.expected_date_of_birth,
        child.team_id,
        child.allocated_worker_id,
        child.plan_status,
        Address.of(address) if address else None,
    )


def parse_date(value: str | None) -> dt.date | None:
    """A date as YYYY-MM-DD or DD/MM/YYYY; empty is None; anything else is a ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


class Directory:
    """What checking details needs to look up: teams, workers and case references, for the user
    making the change (whose scope bounds which children a case reference finds). Loaded once for
    a whole import; for one child it asks the database."""

    def __init__(self, user: User, references: dict[str, int] | None = None):
        self.user = user
        self.teams = {t.id: t for t in db.session.scalars(select(Team))}
        self.workers = {
            u.id: u
            for u in db.session.scalars(
                select(User).where(User.role.in_(("practitioner", "supervisor")), User.active.is_(True))
            )
        }
        self._references = references

    def child_with(self, reference: str) -> int | None:
        """The id of the child with this case reference (in any case), if there is one."""
        if self._references is not None:
            return self._references.get(reference.upper())
        return db.session.scalar(select(Child.id).where(func.upper(Child.reference) == reference.upper()))

    def sibling_with(self, reference: str, team_id: int | None) -> Child | None:
        """A brother or sister to live with: a child of the same team whose record the user may change."""
        return access.child_to_change_by_reference(self.user, reference, team_id=team_id)

    def use_references(self, references: dict[str, int]) -> None:
        """The case references (upper case) a batch of an import needs, with their children's ids."""
        self._references = references

    def add_reference(self, reference: str, child_id: int) -> None:
        if self._references is not None:
            self._references[reference.upper()] = child_id

    def team_named(self, name: str) -> Team | None:
        wanted = name.strip().lower()
        return next((t for t in self.teams.values() if t.name.lower() == wanted), None)

    def worker_with(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.workers.values() if u.email.lower() == wanted), None)


def problems(
    details: Details, directory: Directory, *, child: Child | None = None, today: dt.date
) -> list[tuple[str, str]]:
    """Everything wrong with `details` (already `cleaned`), as (field, message) pairs; `child` is the
    record being corrected, if any."""
    found: list[tuple[str, str]] = []
    texts = {
        "case_reference": details.case_reference,
        "first_name": details.first_name,
        "last_name": details.last_name,
        "lives_with": details.lives_with,
    }
    if details.address is not None:
        a = details.address
        texts.update(address_line_1=a.line_1, address_line_2=a.line_2, town=a.town, postcode=a.postcode, area=a.area)
    unsafe = [field for field, value in texts.items() if value and CONTROL_CHARACTERS.search(value)]
    if unsafe:  # nothing else is looked up with such text
        return [(field, "Must not contain NUL or other control characters") for field in unsafe]
    if not details.case_reference:
        found.append(("case_reference", "Enter the case reference from the case system"))
    elif len(details.case_reference) > REFERENCE_MAX:
        found.append(("case_reference", f"Case reference must be {REFERENCE_MAX} characters or fewer"))
    else:
        holder = directory.child_with(details.case_reference)
        if holder is not None and (child is None or holder != child.id):
            found.append(
                ("case_reference", f"A child with case reference {details.case_reference} is already registered")
            )
    born = details.date_of_birth is not None
    if not details.last_name:
        found.append(("last_name", "Enter the last name"))
    if born and not details.first_name:
        found.append(("first_name", "Enter the first name (it can be left blank only before birth)"))
    for field, value in (("first_name", details.first_name), ("last_name", details.last_name)):
        if len(value) > NAME_MAX:
            found.append(
                (field, f"{'First' if field == 'first_name' else 'Last'} name must be {NAME_MAX} characters or fewer")
            )
    if not born and details.expected_date_of_birth is None:
        found.append(("date_of_birth", "Enter the date of birth, or for an unborn baby the expected date of birth"))
    if born and details.date_of_birth > today:  # type: ignore[operator]
        found.append(("date_of_birth", "Date of birth must be today or in the past"))
    if born and details.date_of_birth.year < 1990:  # type: ignore[union-attr]
        found.append(("date_of_birth", "Date of birth must be after 1990"))
    expected = details.expected_date_of_birth
    if not born and expected is not None and not (today - EXPECTED_BEHIND <= expected <= today + EXPECTED_AHEAD):
        found.append(
            (
                "expected_date_of_birth",
                "Expected date of birth must be within the next 10 months (or up to 3 months ago)",
            )
        )
    team = directory.teams.get(details.team_id) if details.team_id is not None else None
    if team is None:
        found.append(("team_id", "Select the team"))
    worker = directory.workers.get(details.allocated_worker_id) if details.allocated_worker_id is not None else None
    if details.allocated_worker_id is not None and (worker is None or (team is not None and worker.team_id != team.id)):
        found.append(("allocated_worker_id", "Select an active practitioner or supervisor of the child’s team"))
    if details.plan_status not in PLAN_STATUSES:
        found.append(("plan_status", "Select the plan"))
    if details.address is not None:
        found += address_problems(details.address)
    if details.address is None and child is None:
        found.append(("address_line_1", "Enter the first line of the address"))
    if details.lives_with:
        sibling = directory.sibling_with(details.lives_with, details.team_id)
        if sibling is None:
            found.append(("lives_with", access.no_child_with(details.lives_with)))
        elif child is not None and sibling.id == child.id:
            found.append(("lives_with", f"No other child has case reference {details.lives_with}"))
    return found


def address_problems(address: Address) -> list[tuple[str, str]]:
    found = []
    if not address.line_1:
        found.append(("address_line_1", "Enter the first line of the address"))
    if address.postcode and not POSTCODE.match(address.postcode):
        found.append(("postcode", "Enter a real postcode, like SW1A 1AA"))
    if address.kind not in HOME_KINDS:
        found.append(("kind", "Select the kind of home"))
    for field, label, value, most in (
        ("address_line_1", "Address line 1", address.line_1, 200),
        ("address_line_2", "Address line 2", address.line_2, 200),
        ("town", "Town or city", address.town, 100),
        ("area", "Local authority area", address.area, 100),
    ):
        if value and len(value) > most:
            found.append((field, f"{label} must be {most} characters or fewer"))
    return found


def move_problems(
    address: Address, on: dt.date | None, previous: ChildAddress | None, today: dt.date
) -> list[tuple[str, str]]:
    """What is wrong with a move to `address` (cleaned) on `on`."""
    found = address_problems(address)
    if on is None:
        found.append(("moved_on", "Enter the date they moved"))
    elif on > today:
        found.append(("moved_on", "Date they moved must be today or in the past"))
    elif previous is not None and on < previous.from_date:
        found.append(("moved_on", "Date they moved must be on or after they moved to their current address"))
    return found


def possible_duplicates(details: Details, *, except_id: int | None = None) -> list[Child]:
    """Children with the same last name and the same date of birth (or expected date of birth)."""
    day = details.date_of_birth or details.expected_date_of_birth
    if day is None or not details.last_name:
        return []
    query = select(Child).where(
        func.lower(Child.last_name) == details.last_name.lower(),
        (Child.date_of_birth == day) | (Child.expected_date_of_birth == day),
        Child.erased_at.is_(None),
    )
    if except_id is not None:
        query = query.where(Child.id != except_id)
    return list(db.session.scalars(query.order_by(Child.id)))


@dataclass(frozen=True)
class Duplicates:
    """Possible duplicates as a user may be told of them: the children they may see, named (with a
    link), and how many others there are, never named."""

    shown: list[Child]
    others: int

    def __bool__(self) -> bool:
        return bool(self.shown or self.others)


def duplicates_for(user: User, details: Details) -> Duplicates:
    found = possible_duplicates(details)
    visible = access.visible_ids(user, [c.id for c in found])
    return Duplicates([c for c in found if c.id in visible], sum(1 for c in found if c.id not in visible))


def _check(details: Details, directory: Directory, child: Child | None = None) -> Details:
    details = details.cleaned()
    found = problems(details, directory, child=child, today=dt.date.today())
    if found:
        raise Invalid(found)
    return details


def register(
    user: User, details: Details, *, directory: Directory | None = None, duplicates_confirmed: bool = False
) -> Child:
    """Add a child. A likely duplicate (same last name and date of birth) needs confirming."""
    directory = directory or Directory(user)
    details = _check(details, directory)
    if not duplicates_confirmed and possible_duplicates(details):
        raise Invalid([("duplicates_confirmed", "Possible duplicate: check the children listed before adding")])
    child = Child(
        reference=details.case_reference,
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        expected_date_of_birth=details.expected_date_of_birth,
        team_id=details.team_id,
        allocated_worker_id=details.allocated_worker_id,
        plan_status=details.plan_status,
        active_flags=[],
        rooms_never_seen=[],
    )
    db.session.add(child)
    db.session.flush()
    _join_household(child, details.lives_with, directory)
    if details.address is not None:
        _add_address(child, details.address, dt.date.today(), user, is_move=False)
    db.session.add(RecordChange(child_id=child.id, by_id=user.id, summary="Registered in HEAT."))
    audit.record("child_registered", user=user, child_id=child.id)
    return child


def _join_household(child: Child, sibling_reference: str | None, directory: Directory) -> None:
    """Share a household with a brother or sister (checked by `problems`: the user's own scope,
    the same team)."""
    if not sibling_reference:
        return
    sibling = directory.sibling_with(sibling_reference, child.team_id)
    if sibling is None or sibling.id == child.id:
        return
    if sibling.household_id is None:
        household = Household(team_id=sibling.team_id)
        db.session.add(household)
        db.session.flush()
        sibling.household_id = household.id
    child.household_id = sibling.household_id


FIELD_NAMES = {
    "case_reference": "Case reference",
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "expected_date_of_birth": "Expected date of birth",
    "allocated_worker_id": "Allocated worker",
    "plan_status": "Plan",
}


def _shown(field: str, value: object, directory: Directory) -> str:
    if value is None or value == "":
        return "blank"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    if field == "allocated_worker_id":
        worker = directory.workers.get(value)  # type: ignore[call-overload]
        return worker.name if worker else "a former worker"
    if field == "plan_status":
        return PLAN_STATUSES[str(value)]
    return str(value)


def changes_between(before: Details, after: Details, directory: Directory, *, show_before: bool = True) -> list[str]:
    """What changed, in words: "Date of birth: blank to 3 March 2027". Without `show_before` (for
    someone who may not see the record), only the new value: "Date of birth: changed to 3 March 2027"."""
    words = []
    for field, label in FIELD_NAMES.items():
        was, now = getattr(before, field), getattr(after, field)
        if was != now:
            if show_before:
                words.append(f"{label}: {_shown(field, was, directory)} to {_shown(field, now, directory)}")
            else:
                words.append(f"{label}: changed to {_shown(field, now, directory)}")
    return words


def current_address(child_id: int) -> ChildAddress | None:
    return db.session.scalar(
        select(ChildAddress)
        .where(ChildAddress.child_id == child_id)
        .order_by(ChildAddress.from_date.desc(), ChildAddress.id.desc())
        .limit(1)
    )


# Built once (it runs on every child page): the child travels as a parameter.
_ADDRESSES = (
    select(ChildAddress)
    .where(ChildAddress.child_id == bindparam("child_id"))
    .order_by(ChildAddress.from_date.desc(), ChildAddress.id.desc())
)


def addresses(child_id: int) -> list[ChildAddress]:
    """The child's address history, newest first."""
    return list(db.session.scalars(_ADDRESSES, {"child_id": child_id}))


def correct(
    user: User,
    child: Child,
    details: Details,
    *,
    moved_on: dt.date | None = None,
    directory: Directory | None = None,
    address: ChildAddress | None = None,
) -> list[str]:
    """Change a child's details (the team changes only by a transfer). A changed address is a move
    from `moved_on` (today if not given). Returns what changed, in words."""
    directory = directory or Directory(user)
    details = dataclasses.replace(details, team_id=child.team_id)
    details = _check(details, directory, child)
    address = address if address is not None else current_address(child.id)
    before = details_of(child, address)
    changed = changes_between(before, details, directory)
    if changed:
        child.reference = details.case_reference
        child.first_name, child.last_name = details.first_name, details.last_name
        child.date_of_birth, child.expected_date_of_birth = details.date_of_birth, details.expected_date_of_birth
        child.allocated_worker_id = details.allocated_worker_id
        if details.plan_status != child.plan_status:  # recorded as a plan change made in the case system
            db.session.add(
                PlanChange(
                    child=child,
                    changed_by=user,
                    effective_date=dt.date.today(),
                    from_status=child.plan_status,
                    from_category=child.plan_category,
                    to_status=details.plan_status,
                    to_category=None,
                    note="Recorded in the case system and imported.",
                    status="made",
                )
            )
            child.plan_status, child.plan_category = details.plan_status, None
        db.session.add(RecordChange(child_id=child.id, by_id=user.id, summary="; ".join(changed) + "."))
        audit.record(
            "child_details_changed",
            user=user,
            child_id=child.id,
            detail=", ".join(f for f, label in FIELD_NAMES.items() if label in " ".join(changed))[:200],
        )
    if details.lives_with:
        _join_household(child, details.lives_with, directory)
    if details.address is not None and not details.address.same_place(before.address):
        move(user, child, details.address, moved_on or dt.date.today(), previous=address)
        changed.append(f"Moved to {details.address.text}")
    elif details.address is not None and address is not None and details.address != before.address:
        # the same home, its details corrected (a town, an area or the kind of home)
        address.line_2, address.town, address.area, address.kind = (
            details.address.line_2,
            details.address.town,
            details.address.area,
            details.address.kind,
        )
        changed.append("Address details corrected")
        audit.record("child_address_corrected", user=user, child_id=child.id)
    return changed


@dataclass(frozen=True)
class Moved:
    address: ChildAddress
    left_area: str | None  # the other local authority area the family moved from or into, if any


def move(user: User, child: Child, address: Address, on: dt.date, *, previous: ChildAddress | None = None) -> Moved:
    """The child moved home on `on`. A move between local authority areas adds a prompt to the
    chronology to ask the other area for what it knows."""
    previous = previous if previous is not None else current_address(child.id)
    row = _add_address(child, address, on, user, is_move=previous is not None)
    audit.record("child_moved", user=user, child_id=child.id)
    return Moved(row, _ask_other_area(child, user, previous.area if previous else None, address.area, on))


def _ask_other_area(child: Child, user: User, left: str | None, came_to: str | None, on: dt.date) -> str | None:
    """A move between local authority areas adds a prompt to the chronology to request
    information from the area left. Returns that area, if the areas differ."""
    if not (left and came_to) or left.lower() == came_to.lower():
        return None
    db.session.add(
        ChronologyEntry(
            child_id=child.id,
            created_by_id=user.id,
            occurred_on=on,
            source_kind="out_of_area",
            source=left,
            summary=(
                f"Moved from {left} to {came_to}. Request information from {left} "
                f"about the family (children’s social care, health visiting, housing)."
            ),
        )
    )
    return left


def earliest_address(child_id: int) -> ChildAddress | None:
    return db.session.scalars(
        select(ChildAddress)
        .where(ChildAddress.child_id == child_id)
        .order_by(ChildAddress.from_date, ChildAddress.id)
        .limit(1)
    ).first()


def previous_address_problems(
    address: Address, from_date: dt.date | None, until: dt.date | None, earliest: ChildAddress | None, today: dt.date
) -> list[tuple[str, str]]:
    """What is wrong with an address (cleaned) the family lived at before the child's first
    recorded one, from `from_date` until `until`."""
    found = address_problems(address)
    if not address.area:
        found.append(("area", "Enter the local authority area, so information can be requested from it"))
    if from_date is None:
        found.append(("from_date", "Enter the date they started living there"))
    if until is None:
        found.append(("until", "Enter the date they moved out"))
    elif until > today:
        found.append(("until", "Date they moved out must be today or in the past"))
    elif from_date is not None and from_date > until:
        found.append(("until", "Date they moved out must be on or after the date they started living there"))
    elif earliest is not None and until > earliest.from_date:
        found.append(
            ("until", f"Date they moved out must be on or before {_day(earliest.from_date)}, the next address")
        )
    return found


def add_previous_address(
    user: User, child: Child, address: Address, from_date: dt.date, until: dt.date, *, before: ChildAddress | None
) -> Moved:
    """An address the family lived at before the child's first recorded one (`before`). A move from
    another area prompts a request for information from it."""
    row = _add_address(child, address, from_date, user, is_move=False)
    row.until = until
    audit.record("child_previous_address_added", user=user, child_id=child.id)
    return Moved(row, _ask_other_area(child, user, address.area, before.area if before else None, until))


def correct_address_problems(address: Address, from_date: dt.date | None, today: dt.date) -> list[tuple[str, str]]:
    found = address_problems(address)
    if from_date is None:
        found.append(("from_date", "Enter the date they started living there"))
    elif from_date > today:
        found.append(("from_date", "Date they started living there must be today or in the past"))
    return found


def _described(row: ChildAddress) -> str:
    return f"{row.text} ({row.area or 'area not recorded'}; {row.kind_label.lower()}) from {_day(row.from_date)}"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def correct_address(user: User, child: Child, row: ChildAddress, address: Address, from_date: dt.date) -> str:
    """Put right an address recorded wrongly (not a move): kept under "Changes to the record"."""
    was = _described(row)
    row.line_1, row.line_2, row.town, row.postcode = address.line_1, address.line_2, address.town, address.postcode
    row.area, row.kind, row.from_date = address.area, address.kind, from_date
    summary = f"Address corrected: {was} is now {_described(row)}."
    db.session.add(RecordChange(child_id=child.id, by_id=user.id, summary=summary))
    audit.record("child_address_corrected", user=user, child_id=child.id, detail=f"address {row.id}")
    return summary


def _add_address(child: Child, address: Address, on: dt.date, user: User, *, is_move: bool) -> ChildAddress:
    row = ChildAddress(
        child_id=child.id,
        from_date=on,
        line_1=address.line_1,
        line_2=address.line_2,
        town=address.town,
        postcode=address.postcode,
        area=address.area,
        kind=address.kind,
        is_move=is_move,
        recorded_by_id=user.id,
    )
    db.session.add(row)
    return row


def moves_between(child_id: int, start: dt.date | None = None) -> list[ChildAddress]:
    """The child's moves (every address after the first), oldest first."""
    query = select(ChildAddress).where(ChildAddress.child_id == child_id, ChildAddress.is_move.is_(True))
    if start is not None:
        query = query.where(ChildAddress.from_date >= start)
    return list(db.session.scalars(query.order_by(ChildAddress.from_date, ChildAddress.id)))
