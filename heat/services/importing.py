"""Import children from the case system's CSV (the `flask children import` command and the
administrators' "Import children" page).

Each row is checked as the "Add a child" form checks it (services.register). A new case
reference adds a child; a known one updates the child when something changed (a changed address
is a move); an unchanged row changes nothing, so importing the same file twice changes nothing
the second time. A file with any bad row imports nothing, and every problem is reported with its
line number, unless rows with problems are to be skipped. Everything happens in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from heat.extensions import db
from heat.models import PLAN_STATUSES, Child, ChildAddress, User
from heat.services import audit, register

COLUMNS = (
    "case_reference",
    "first_name",
    "last_name",
    "date_of_birth",
    "expected_date_of_birth",
    "team",
    "allocated_worker_email",
    "plan",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
)
MAX_BYTES = 20 * 1024 * 1024
# The form's field names, as the import's columns, so a problem names the column.
_COLUMN_OF = {
    "team_id": "team",
    "allocated_worker_id": "allocated_worker_email",
    "plan_status": "plan",
    "postcode": "postcode",
}


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.column}: {self.reason}"


@dataclass
class Outcome:
    dry_run: bool
    added: list[str] = field(default_factory=list)  # case references
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # reference, what changed
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    applied: bool = False  # whether anything was written

    def lines(self) -> list[str]:
        """What happened (or would happen), as the command prints it."""
        verb = "Would add" if self.dry_run else "Added"
        out = [f"{verb} {ref}" for ref in self.added]
        out += [
            f"{'Would change' if self.dry_run else 'Changed'} {ref}: {'; '.join(what)}" for ref, what in self.changed
        ]
        out += [str(p) for p in self.problems]
        summary = (
            f"{len(self.added)} to add, {len(self.changed)} to change, {self.unchanged} unchanged"
            if self.dry_run
            else f"{len(self.added)} added, {len(self.changed)} changed, {self.unchanged} unchanged"
        )
        if self.problems:
            summary += f", {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
            if self.skipped:
                summary += f" ({self.skipped} row{'s' if self.skipped != 1 else ''} skipped)"
            elif not self.dry_run and not self.applied:
                summary += ": nothing was imported"
        if self.dry_run:
            summary += ". Dry run: nothing was changed"
        return [*out, summary + "."]


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _row_details(
    number: int, row: dict[str, str], directory: register.Directory
) -> tuple[register.Details | None, list[Problem]]:
    found: list[Problem] = []
    dates: dict[str, dt.date | None] = {}
    for column in ("date_of_birth", "expected_date_of_birth"):
        try:
            dates[column] = register.parse_date(row[column])
        except ValueError:
            dates[column] = None
            found.append(Problem(number, column, "must be a date as YYYY-MM-DD or DD/MM/YYYY"))
    team = directory.team_named(row["team"]) if row["team"].strip() else None
    if team is None:
        found.append(
            Problem(number, "team", f"no team called “{row['team'].strip()}”" if row["team"].strip() else "missing")
        )
    email = row["allocated_worker_email"].strip()
    worker = directory.worker_with(email) if email else None
    if worker is None:
        found.append(
            Problem(
                number,
                "allocated_worker_email",
                f"no active practitioner or supervisor {email}" if email else "missing",
            )
        )
    elif team is not None and worker.team_id != team.id:
        found.append(Problem(number, "allocated_worker_email", f"{email} is not in the team {team.name}"))
    plan = row["plan"].strip().lower()
    if plan not in PLAN_STATUSES:
        found.append(Problem(number, "plan", "must be one of cp, cin, early_help, none"))
    if found:
        return None, found
    details = register.Details(
        case_reference=row["case_reference"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        date_of_birth=dates["date_of_birth"],
        expected_date_of_birth=dates["expected_date_of_birth"],
        team_id=team.id if team else None,
        allocated_worker_id=worker.id if worker else None,
        plan_status=plan,
        address=register.Address(row["address_line_1"], row["address_line_2"], row["town"], row["postcode"]),
    ).cleaned()
    return details, []


def run(raw: bytes, *, user: User, dry_run: bool = False, skip_invalid: bool = False) -> Outcome:
    """Check and (unless a dry run) apply a CSV file. The caller commits."""
    outcome = Outcome(dry_run)
    reader = csv.reader(io.StringIO(_decode(raw), newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != COLUMNS:
        outcome.problems.append(Problem(1, "header", "the first row must be: " + ",".join(COLUMNS)))
        return outcome

    known = {ref.upper(): child_id for ref, child_id in db.session.execute(select(Child.reference, Child.id))}
    directory = register.Directory(user, known)
    children = {c.reference.upper(): c for c in db.session.scalars(select(Child).where(Child.erased_at.is_(None)))}
    latest: dict[int, ChildAddress] = {}
    for address in db.session.scalars(select(ChildAddress).order_by(ChildAddress.from_date, ChildAddress.id)):
        latest[address.child_id] = address  # the last one wins: the current address
    today = dt.date.today()

    to_add: list[register.Details] = []
    to_change: list[tuple[Child, register.Details, list[str]]] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(COLUMNS):
            outcome.problems.append(Problem(number, "row", f"has {len(values)} columns, not {len(COLUMNS)}"))
            outcome.skipped += 1
            continue
        row = dict(zip(COLUMNS, values, strict=True))
        reference = row["case_reference"].strip().upper()
        if reference in seen:
            outcome.problems.append(
                Problem(number, "case_reference", f"{row['case_reference'].strip()} is also on line {seen[reference]}")
            )
            outcome.skipped += 1
            continue
        seen[reference] = number
        details, found = _row_details(number, row, directory)
        child = children.get(reference)
        if details is not None:
            found = [
                Problem(number, _COLUMN_OF.get(name, name), reason[0].lower() + reason[1:])
                for name, reason in register.problems(details, directory, child=child, today=today)
            ]
        if details is not None and child is not None and details.team_id != child.team_id and not found:
            team = directory.teams[child.team_id].name
            found = [Problem(number, "team", f"the child is in the team {team}: transfer them in HEAT to change team")]
        if found or details is None:
            outcome.problems += found
            outcome.skipped += 1
            continue
        if child is None:
            to_add.append(details)
            outcome.added.append(details.case_reference)
            continue
        before = register.details_of(child, latest.get(child.id))
        what = register.changes_between(before, details, directory)
        if details.address is not None and not details.address.same_place(before.address):
            what.append(f"Moved to {details.address.text}")
        if what:
            to_change.append((child, details, what))
            outcome.changed.append((details.case_reference, what))
        else:
            outcome.unchanged += 1

    if outcome.problems and not skip_invalid:
        outcome.skipped = 0
        if not dry_run:
            outcome.added, outcome.changed, outcome.unchanged = [], [], 0
    elif not dry_run:
        for details in to_add:
            child = register.register(user, details, directory=directory, duplicates_confirmed=True)
            directory.add_reference(details.case_reference, child.id)
        for child, details, _ in to_change:
            register.correct(user, child, details, directory=directory, address=latest.get(child.id))
        outcome.applied = bool(to_add or to_change)
    audit.record(
        "children_import_checked" if dry_run else "children_imported",
        user=user,
        detail=outcome.lines()[-1][:200],
    )
    return outcome
