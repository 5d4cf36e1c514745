"""Import children from the case system's CSV (the `flask children import` command and the
administrators' "Import children" page).

Each row is checked as the "Add a child" form checks it (services.register). A new case
reference adds a child; a known one updates the child when something changed (a changed address
is a move); an unchanged row changes nothing, so importing the same file twice changes nothing
the second time. A file with any bad row imports nothing, and every problem is reported with its
line number, unless rows with problems are to be skipped.

A known case reference finds only a child the importing user may change (services.access: an
administrator's import finds any team's child, restricted and erased records excepted); another
is "No child you can see has case reference X". What the import says about a child the user may
not see names the details that change and their new values (from the file), never the record's;
a dry run audits every existing child
it compares (a real import audits every change).

The file is read as a stream, twice: once to check every row (nothing written), then, unless it
is a dry run or the check found problems, to write the rows in batches, each committed on its
own, so nobody else waits long for the database while a large file goes in.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import func, select

from heat.checklist.vocabulary import PLAN_STATUSES
from heat.extensions import db
from heat.models import Child, ChildAddress, User
from heat.services import access, audit, register

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
# The longest value each column may hold (as the form's fields and the database's columns).
COLUMN_MAX = {
    "case_reference": register.REFERENCE_MAX,
    "first_name": register.NAME_MAX,
    "last_name": register.NAME_MAX,
    "date_of_birth": 20,
    "expected_date_of_birth": 20,
    "team": 100,
    "allocated_worker_email": 254,
    "plan": 20,
    "address_line_1": 200,
    "address_line_2": 200,
    "town": 100,
    "postcode": 10,
}
MAX_BYTES = 20 * 1024 * 1024  # the one upload limit: the page states it and the server enforces it
MAX_SIZE_TEXT = "20 MB"
BATCH = 500  # at most this many rows checked, then written, per database round (each committed)
# A batch holds the database (SQLite's write lock) for about this long at most, however busy the
# machine: the next batch has as many rows as took this long at the last one's pace.
BATCH_SECONDS = 0.25
FIRST_BATCH = 50
# After each batch on SQLite, the import waits this long before taking the write lock again, so
# anyone waiting for it (a sign-in, a save) gets it: SQLite's busy handler polls every 100 ms at
# most, and an import that began its next batch at once would starve them.
PAUSE = 0.15
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


def _encoding(source: BinaryIO) -> str:
    """UTF-8 (with or without a byte order mark) when the whole file decodes as UTF-8; otherwise
    Windows-1252, as the case system's older exports are; Latin-1 reads anything."""
    for encoding in ("utf-8-sig", "cp1252"):
        source.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := source.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


@dataclass
class _Row:
    number: int
    values: dict[str, str]


def _rows(source: BinaryIO, encoding: str, outcome: Outcome | None) -> Iterator[_Row | Problem]:
    """The file's rows after the header, as dicts (or a Problem for a line that cannot be read),
    read as a stream. With `outcome`, the header is checked and a wrong one recorded there."""
    source.seek(0)
    text = io.TextIOWrapper(source, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        try:
            header = next(reader, None)
        except csv.Error:
            header = None
        if header is None or tuple(h.strip().lower() for h in header) != COLUMNS:
            if outcome is not None:
                outcome.problems.append(Problem(1, "header", "the first row must be: " + ",".join(COLUMNS)))
            return
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error:
                # A field longer than the csv module reads (128 KiB), or a broken quote.
                yield Problem(
                    reader.line_num, "row", "cannot be read: a value is far too long or a quote is not closed"
                )
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(COLUMNS):
                yield Problem(reader.line_num, "row", f"has {len(values)} columns, not {len(COLUMNS)}")
                continue
            yield _Row(reader.line_num, dict(zip(COLUMNS, values, strict=True)))
    finally:
        text.detach()  # the caller's stream stays open, for the second reading


@dataclass
class _Pace:
    """How many rows the next batch takes: as many as fit in BATCH_SECONDS at the pace of the
    batch before (never more than twice as many, nor more than `most`). On a loaded machine a
    500-row batch held SQLite's write lock for over 10 s (the busy timeout): everyone else's page
    then failed; paced, a batch holds it a fraction of a second."""

    most: int
    size: int = 0
    began: float = 0.0

    def __post_init__(self) -> None:
        self.size = min(self.most, FIRST_BATCH)

    def start(self) -> None:
        self.began = time.perf_counter()

    def took(self, rows: int, seconds: float) -> None:
        fits = int(rows * BATCH_SECONDS / seconds) if seconds > 0 else self.most
        self.size = max(1, min(self.most, 2 * rows, fits))


def _batches(rows: Iterator[_Row | Problem], pace: _Pace) -> Iterator[list[_Row | Problem]]:
    batch: list[_Row | Problem] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= pace.size:
            pace.start()
            yield batch
            batch = []
    if batch:
        pace.start()
        yield batch


def _text_problems(number: int, row: dict[str, str]) -> list[Problem]:
    """Values too long for their column, or with NUL or other control characters: nothing else is
    checked (or looked up) for such a row."""
    found = []
    for column, value in row.items():
        if register.CONTROL_CHARACTERS.search(value):
            found.append(Problem(number, column, "must not contain NUL or other control characters"))
        elif len(value.strip()) > COLUMN_MAX[column]:
            found.append(Problem(number, column, f"must be {COLUMN_MAX[column]} characters or fewer"))
    return found


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
    elif directory.user.role != "admin" and team.id != directory.user.team_id:
        found.append(Problem(number, "team", "you can import children for your own team only"))
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


@dataclass
class _Batch:
    """What a batch of rows needs from the database, in three queries."""

    children: dict[str, Child]  # the children the user may change, by upper-case reference
    latest: dict[int, ChildAddress]  # their current addresses
    visible: set[int]  # those of them the user may also see (and so read their details)


def _look_up(user: User, directory: register.Directory, rows: list[_Row]) -> _Batch:
    # Only references that could be real are looked up (a NUL, for one, PostgreSQL cannot compare):
    # the rest are the row's own problems (`_text_problems`).
    references = [
        ref
        for r in rows
        if (ref := r.values["case_reference"].strip())
        and len(ref) <= register.REFERENCE_MAX
        and not register.CONTROL_CHARACTERS.search(ref)
    ]
    wanted = sorted({r.upper() for r in references if r})
    taken = (
        db.session.execute(select(Child.reference, Child.id).where(func.upper(Child.reference).in_(wanted))).all()
        if wanted
        else []
    )
    directory.use_references({ref.upper(): child_id for ref, child_id in taken})  # every child: references are unique
    children = access.children_to_change_by_reference(user, references)
    latest: dict[int, ChildAddress] = {}
    ids = [c.id for c in children.values()]
    if ids:
        for address in db.session.scalars(
            select(ChildAddress).where(ChildAddress.child_id.in_(ids)).order_by(ChildAddress.from_date, ChildAddress.id)
        ):
            latest[address.child_id] = address  # the last one wins: the current address
    return _Batch(children, latest, access.visible_ids(user, ids))


@dataclass
class _Checked:
    """A good row: a child to add (`child` None) or to change (`what` says how), or unchanged."""

    number: int
    details: register.Details
    child: Child | None
    what: list[str]


def _check_row(
    row: _Row, batch: _Batch, directory: register.Directory, today: dt.date
) -> tuple[_Checked | None, list[Problem]]:
    number = row.number
    found = _text_problems(number, row.values)
    if found:
        return None, found
    details, found = _row_details(number, row.values, directory)
    if details is None:
        return None, found
    reference = details.case_reference.upper()
    child = batch.children.get(reference)
    if child is None and directory.child_with(details.case_reference) is not None:
        # Registered, but not a child this user may change (another team's, or restricted).
        return None, [Problem(number, "case_reference", access.no_child_with(details.case_reference))]
    found = [
        Problem(number, _COLUMN_OF.get(name, name), reason[0].lower() + reason[1:])
        for name, reason in register.problems(details, directory, child=child, today=today)
    ]
    if not found and child is not None and details.team_id != child.team_id:
        team = directory.teams[child.team_id].name
        found = [Problem(number, "team", f"the child is in the team {team}: transfer them in HEAT to change team")]
    if found:
        return None, found
    if child is None:
        return _Checked(number, details, None, []), []
    before = register.details_of(child, batch.latest.get(child.id))
    seen = child.id in batch.visible
    what = register.changes_between(before, details, directory, show_before=seen)
    if details.address is not None and not details.address.same_place(before.address):
        what.append(f"Moved to {details.address.text}")  # the file's address, not the record's
    return _Checked(number, details, child, what), []


def _commit_and_pause(pace: _Pace, rows: int) -> None:
    db.session.commit()
    pace.took(rows, time.perf_counter() - pace.began)
    if db.engine.dialect.name == "sqlite":
        time.sleep(PAUSE)


def run(
    source: BinaryIO | bytes,
    *,
    user: User,
    dry_run: bool = False,
    skip_invalid: bool = False,
    batch: int | None = None,
) -> Outcome:
    """Check and (unless a dry run, or a file with problems and not `skip_invalid`) apply a CSV
    file, from a seekable binary stream. The rows written are committed batch by batch; the caller
    commits the rest (the import's own audit row)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    pace = _Pace(batch or BATCH)
    outcome = Outcome(dry_run)
    encoding = _encoding(source)
    directory = register.Directory(user, {})
    today = dt.date.today()
    seen: dict[str, int] = {}
    bad_lines: set[int] = set()

    # First reading: check every row; write nothing.
    for rows in _batches(_rows(source, encoding, outcome), pace):
        good = [r for r in rows if isinstance(r, _Row)]
        looked_up = _look_up(user, directory, good)
        for row in rows:
            if isinstance(row, Problem):
                outcome.problems.append(row)
                outcome.skipped += 1
                continue
            reference = row.values["case_reference"].strip().upper()
            if reference and reference in seen:
                outcome.problems.append(
                    Problem(
                        row.number,
                        "case_reference",
                        f"{row.values['case_reference'].strip()} is also on line {seen[reference]}",
                    )
                )
                outcome.skipped += 1
                bad_lines.add(row.number)
                continue
            seen[reference] = row.number
            checked, found = _check_row(row, looked_up, directory, today)
            if checked is None:
                outcome.problems += found
                outcome.skipped += 1
                bad_lines.add(row.number)
                continue
            if checked.child is None:
                outcome.added.append(checked.details.case_reference)
                continue
            if dry_run:  # what the dry run says of the child's record is a view of it: audited
                audit.record("child_import_checked", user=user, child_id=checked.child.id)
            if checked.what:
                outcome.changed.append((checked.details.case_reference, checked.what))
            else:
                outcome.unchanged += 1
        _commit_and_pause(pace, len(rows))  # the audit rows so far: nobody waits long behind an import
    del seen

    if outcome.problems and not skip_invalid:
        outcome.skipped = 0
        if not dry_run:
            outcome.added, outcome.changed, outcome.unchanged = [], [], 0
    elif not dry_run and (outcome.added or outcome.changed):
        # Second reading: write the good rows, a batch at a time, each batch committed (paced
        # afresh: writing a row takes longer than checking it).
        pace = _Pace(pace.most)
        for rows in _batches((r for r in _rows(source, encoding, None) if isinstance(r, _Row)), pace):
            todo = [r for r in rows if isinstance(r, _Row) and r.number not in bad_lines]
            looked_up = _look_up(user, directory, todo)
            for row in todo:
                checked, found = _check_row(row, looked_up, directory, today)
                if checked is None:  # changed since the first reading (someone else's change)
                    outcome.problems += found
                    continue
                if checked.child is None:
                    child = register.register(user, checked.details, directory=directory, duplicates_confirmed=True)
                    directory.add_reference(checked.details.case_reference, child.id)
                elif checked.what:
                    register.correct(
                        user,
                        checked.child,
                        checked.details,
                        directory=directory,
                        address=looked_up.latest.get(checked.child.id),
                    )
            _commit_and_pause(pace, len(rows))
        outcome.applied = True
    audit.record(
        "children_import_checked" if dry_run else "children_imported",
        user=user,
        detail=outcome.lines()[-1][:200],
    )
    return outcome
