"""Practice quality: how well visits and decisions are done, per team and per practitioner, over a
period. Plain records in (what the services read from the database), plain figures out.

Every measure turns its records into observations (who, which team, which day, what was found)
and every figure is worked out from observations the same way: a share (how many of them were
so), a median (of hours) or counts by kind. The measures of what a visit found (children seen
awake, must-see rooms and items seen, grades on the carer's word) are also counted per visit when
it is submitted (`visit_counts`), with the same rules, so the page adds up the database's sums of
those counts (`Tally`) instead of reading every grade of the period.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from heat.checklist.definition import Definition
from heat.checklist.scoring import Answers, must_see_not_seen, unseen_rooms
from heat.checklist.vocabulary import CARER_SAID, CHILD_SEEN_AWAKE, GRADED, RED
from heat.checklist.working_days import add_working_days, working_day_on_or_after, working_days_between

LOCAL = ZoneInfo("Europe/London")  # "the same working day" is the day in England and Wales

SHARE, MEDIAN, COUNTS = "share", "median", "counts"


@dataclass(frozen=True)
class Observation:
    """One thing a measure counts: a visit, a child on a visit, a grade, a decision, a request."""

    practitioner_id: int
    team_id: int
    day: dt.date
    value: bool | float | str  # a share's yes or no, a median's hours, or the kind counted
    record: str  # which record it comes from, for the CSV: "visit 12", "request 3"


@dataclass(frozen=True)
class Figure:
    """A measure over some observations: how many, and the share, median or counts by kind."""

    kind: str
    count: int
    hits: int = 0  # for a share: how many were so
    median: float | None = None
    by_kind: tuple[tuple[str, int], ...] = ()

    @property
    def share(self) -> float | None:
        return self.hits / self.count if self.kind == SHARE and self.count else None

    @property
    def value(self) -> float | None:
        """What the chart draws: a percentage, hours, or how many."""
        if self.kind == SHARE:
            return None if self.share is None else round(100 * self.share, 1)
        if self.kind == MEDIAN:
            return self.median
        return float(self.count)

    def words(self, noun: str) -> str:
        """'8 of 10 visits (80%)', 'median 4.5 hours over 6 decisions', '5: 3 Discussed, 2 Escalated'."""
        if not self.count:
            return f"No {noun}"
        if self.kind == SHARE:
            return f"{self.hits} of {self.count} {noun} ({self.value:g}%)"
        if self.kind == MEDIAN:
            return f"Median {self.median:g} hours over {self.count} {noun}"
        return f"{self.count} {noun}: " + ", ".join(f"{n} {name}" for name, n in self.by_kind)


@dataclass
class _Sum:
    """Observations (or tallies) added up: what any figure needs, whatever its kind."""

    count: int = 0
    hits: int = 0
    hours: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, other: _Sum) -> None:
        self.count += other.count
        self.hits += other.hits
        self.hours += other.hours
        self.kinds.update(other.kinds)

    def observe(self, kind: str, o: Observation) -> None:
        self.count += 1
        if kind == SHARE:
            self.hits += o.value is True
        elif kind == MEDIAN:
            self.hours.append(float(o.value))
        else:
            self.kinds[str(o.value)] += 1

    def figure(self, kind: str, kinds: Sequence[str] = ()) -> Figure:
        if kind == SHARE:
            return Figure(kind, self.count, hits=self.hits)
        if kind == MEDIAN:
            median = round(statistics.median(self.hours), 1) if self.hours else None
            return Figure(kind, self.count, median=median)
        order = list(kinds) + sorted(set(self.kinds) - set(kinds))
        return Figure(kind, self.count, by_kind=tuple((k, self.kinds[k]) for k in order if self.kinds[k]))


def figure(kind: str, observations: Iterable[Observation], kinds: Sequence[str] = ()) -> Figure:
    total = _Sum()
    for o in observations:
        total.observe(kind, o)
    return total.figure(kind, kinds)


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    definition: str  # one line: what is counted and how
    kind: str
    noun: str  # what an observation is, plural: "visits"
    better: str  # "higher", "lower" or "none": which way is good, said after the definition
    kinds: tuple[str, ...] = ()  # for counts: the kinds in the order they are named


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[dt.date]:
        """The first day of each month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


# The records each measure reads.


@dataclass(frozen=True)
class ChildVisit:
    """A child on a recorded visit, with the child's visit before it and the plan's frequency."""

    visit_id: int
    practitioner_id: int
    team_id: int
    visit_date: dt.date
    previous_visit: dt.date | None
    frequency: int | None  # working days between visits the plan asks for; None: no plan frequency


@dataclass(frozen=True)
class Visit:
    id: int
    practitioner_id: int
    team_id: int
    visit_date: dt.date
    announced: bool | None
    seen: tuple[str, ...]  # how each child was seen (CHILD_SEEN), or for older visits "yes"/"no" awake
    definition: Definition  # the checklist it was made with, for the ages of its children
    answers: Answers


@dataclass(frozen=True)
class Submission:
    visit_id: int
    practitioner_id: int
    team_id: int
    rating: str | None
    submitted_at: dt.datetime  # UTC
    decided_at: dt.datetime | None  # UTC, the first decision


@dataclass(frozen=True)
class FlagAnswer:
    visit_id: int
    practitioner_id: int
    team_id: int
    decided_on: dt.date
    response: str  # its label


@dataclass(frozen=True)
class Request:
    id: int
    practitioner_id: int
    team_id: int
    asked_on: dt.date
    received_on: dt.date | None
    withdrawn_on: dt.date | None


@dataclass(frozen=True)
class NoAccess:
    id: int
    practitioner_id: int
    team_id: int
    attempted_on: dt.date
    reason: str  # its label


@dataclass(frozen=True)
class Records:
    child_visits: Sequence[ChildVisit] = ()
    visits: Sequence[Visit] = ()
    submissions: Sequence[Submission] = ()
    flag_answers: Sequence[FlagAnswer] = ()
    requests: Sequence[Request] = ()
    no_access: Sequence[NoAccess] = ()
    request_limit: int = 10  # working days
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2000, 1, 1))  # UTC


def local_day(moment: dt.datetime) -> dt.date:
    return moment.replace(tzinfo=dt.UTC).astimezone(LOCAL).date()


def visits_on_time(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(
            v.practitioner_id,
            v.team_id,
            v.visit_date,
            working_days_between(v.previous_visit, v.visit_date) <= v.frequency,
            f"visit {v.visit_id}",
        )
        for v in records.child_visits
        if v.visit_date in period and v.previous_visit is not None and v.frequency is not None
    ]


def _hours(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600


def decision_time(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(
            s.practitioner_id,
            s.team_id,
            local_day(s.submitted_at),
            _hours(s.submitted_at, s.decided_at),
            f"visit {s.visit_id}",
        )
        for s in records.submissions
        if s.decided_at is not None and local_day(s.submitted_at) in period
    ]


def reds_same_day(records: Records, period: Period) -> list[Observation]:
    """A Red is decided in time when its first decision falls on the working day it was submitted
    (or, submitted on a weekend or bank holiday, the next working day); a Red still waiting once
    that day is over counts as late, one whose day is not over yet is not counted."""
    today = local_day(records.now)
    found = []
    for s in records.submissions:
        if s.rating != RED.id:
            continue
        submitted = local_day(s.submitted_at)
        if submitted not in period:
            continue
        deadline = working_day_on_or_after(submitted)
        if s.decided_at is None and deadline >= today:
            continue
        in_time = s.decided_at is not None and local_day(s.decided_at) <= deadline
        found.append(Observation(s.practitioner_id, s.team_id, submitted, in_time, f"visit {s.visit_id}"))
    return found


def unannounced(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(v.practitioner_id, v.team_id, v.visit_date, v.announced is False, f"visit {v.id}")
        for v in records.visits
        if v.visit_date in period and v.announced is not None
    ]


AWAKE = (CHILD_SEEN_AWAKE, "yes")
ASKED_AWAKE = (*AWAKE, "asleep", "not_seen", "no")


def how_seen(children_seen: Mapping[str, Mapping[str, str]] | None, infant_seen_awake: str | None) -> tuple[str, ...]:
    """How each child on a visit was seen (since 2026.4, per child), or for older visits whether the
    infant was seen awake ("yes" or "no")."""
    return tuple(c.get("seen") or "" for c in (children_seen or {}).values()) or (infant_seen_awake or "",)


def _awake(seen: Sequence[str]) -> list[bool]:
    """Each child asked about: seen awake, or not (asleep, not seen)."""
    return [s in AWAKE for s in seen if s in ASKED_AWAKE]


def children_awake(seen: Sequence[str]) -> tuple[int, int]:
    """How many children of a visit were asked about, and how many of them were seen awake."""
    awake = _awake(seen)
    return len(awake), sum(awake)


def _must_see(definition: Definition, answers: Answers) -> list[tuple[str, bool]]:
    """Each room that must be seen and each must-see item asked at a visit: seen, or not (the
    scoring's own rules say what was not seen)."""
    rooms = [r.id for r in definition.rooms if r.must_be_seen]
    asked = answers.asked(definition)
    items = [i.id for i in definition.items if i.must_see and i.id in asked]
    unseen = {f.item_id for f in unseen_rooms(definition, answers.grades, answers.rooms, answers.ages)}
    unseen |= {f.item_id for f in must_see_not_seen(definition, answers, {})}
    return [(thing, thing not in unseen) for thing in rooms + items]


def _safety_critical(definition: Definition, answers: Answers) -> list[tuple[str, bool]]:
    """Each grade (1 to 5) in a safety-critical area: resting only on the parent or carer's word, or not."""
    critical = {d.id for d in definition.domains if d.safety_critical}
    return [
        (item.id, answers.sources.get(item.id) == CARER_SAID)
        for item in definition.items
        if item.domain_id in critical and answers.grades.get(item.id) in GRADED
    ]


@dataclass(frozen=True)
class VisitCounts:
    """What the measures of what a visit found count at one visit, added up. Stored with the visit
    when it is submitted (and again when it is submitted after changes)."""

    children_asked_awake: int  # children asked about being seen awake
    children_seen_awake: int
    must_see_asked: int  # rooms that must be seen and must-see items asked
    must_see_seen: int
    critical_graded: int  # grades 1 to 5 in safety-critical areas
    critical_on_carer_word: int  # of those, resting only on the carer's word


def visit_counts(definition: Definition, answers: Answers, seen: Sequence[str]) -> VisitCounts:
    """One visit's counts, by the same rules as the measures' observations. `definition` is the
    visit's own checklist (for the ages of its children), `seen` as `how_seen` gives it."""
    must = [found for _, found in _must_see(definition, answers)]
    carer = [said for _, said in _safety_critical(definition, answers)]
    return VisitCounts(*children_awake(seen), len(must), sum(must), len(carer), sum(carer))


def seen_awake(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(v.practitioner_id, v.team_id, v.visit_date, awake, f"visit {v.id}")
        for v in records.visits
        if v.visit_date in period
        for awake in _awake(v.seen)
    ]


def must_see_seen(records: Records, period: Period) -> list[Observation]:
    """Each room that must be seen and each must-see item asked at a visit: seen, or not."""
    return [
        Observation(v.practitioner_id, v.team_id, v.visit_date, found, f"visit {v.id}: {thing}")
        for v in records.visits
        if v.visit_date in period
        for thing, found in _must_see(v.definition, v.answers)
    ]


def counted_items(definition: Definition) -> frozenset[str]:
    """The items whose grades the measures read: those of the safety-critical areas and of the
    areas of rooms that must be seen, and the must-see items. No other grade changes a figure."""
    areas = {d.id for d in definition.domains if d.safety_critical}
    areas |= {r.domain for r in definition.rooms if r.must_be_seen and r.domain}
    return frozenset(i.id for i in definition.items if i.domain_id in areas or i.must_see)


def carer_word(records: Records, period: Period) -> list[Observation]:
    """Each grade (1 to 5) in a safety-critical area: resting only on the parent or carer's word, or not."""
    return [
        Observation(v.practitioner_id, v.team_id, v.visit_date, said, f"visit {v.id}: {item_id}")
        for v in records.visits
        if v.visit_date in period
        for item_id, said in _safety_critical(v.definition, v.answers)
    ]


def flags_answered(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(f.practitioner_id, f.team_id, f.decided_on, f.response, f"visit {f.visit_id}")
        for f in records.flag_answers
        if f.decided_on in period
    ]


def requests_overdue(records: Records, period: Period) -> list[Observation]:
    """Each request whose answer fell due in the period (so many working days after it was asked):
    overdue when the answer had not come by then. One withdrawn before it was due is not counted."""
    today = local_day(records.now)
    found = []
    for r in records.requests:
        due = add_working_days(r.asked_on, records.request_limit)
        if due not in period or due > today or (r.withdrawn_on is not None and r.withdrawn_on <= due):
            continue
        late = r.received_on is None or r.received_on > due
        found.append(Observation(r.practitioner_id, r.team_id, due, late, f"request {r.id}"))
    return found


def no_access(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(a.practitioner_id, a.team_id, a.attempted_on, a.reason, f"no access {a.id}")
        for a in records.no_access
        if a.attempted_on in period
    ]


MEASURES: dict[str, tuple[Measure, Callable[[Records, Period], list[Observation]]]] = {
    m.id: (m, rule)
    for m, rule in [
        (
            Measure(
                "visits_on_time",
                "Visits on time",
                "Visits to a child on a plan made within the plan's frequency in working days of their visit before.",
                SHARE,
                "visits",
                "higher",
            ),
            visits_on_time,
        ),
        (
            Measure(
                "decision_time",
                "Time from submission to decision",
                "Hours on the clock from a visit being submitted to a supervisor's first decision on it.",
                MEDIAN,
                "decisions",
                "lower",
            ),
            decision_time,
        ),
        (
            Measure(
                "reds_same_day",
                "Reds decided the same working day",
                "Red visits with a supervisor's decision by the end of the working day they were submitted.",
                SHARE,
                "Red visits",
                "higher",
            ),
            reds_same_day,
        ),
        (
            Measure(
                "unannounced",
                "Unannounced visits",
                "Visits recorded as unannounced, of the visits that say whether they were announced.",
                SHARE,
                "visits",
                "higher",
            ),
            unannounced,
        ),
        (
            Measure(
                "seen_awake",
                "Children seen awake",
                "Children on visits who were seen awake; a child seen asleep or not seen is not.",
                SHARE,
                "children",
                "higher",
            ),
            seen_awake,
        ),
        (
            Measure(
                "must_see_seen",
                "Must-see rooms and items seen",
                "Rooms that must be seen and must-see items (such as where the baby sleeps) that were seen at visits.",
                SHARE,
                "rooms and items",
                "higher",
            ),
            must_see_seen,
        ),
        (
            Measure(
                "carer_word",
                "Safety-critical grades on the carer's word alone",
                "Grades in the areas the checklist marks safety-critical that rest only on the carer's word.",
                SHARE,
                "grades",
                "lower",
            ),
            carer_word,
        ),
        (
            Measure(
                "flags_answered",
                "Flags answered, by response",
                "Supervisors' answers to cumulative-harm flags when deciding on a visit, by what they answered.",
                COUNTS,
                "answers",
                "none",
            ),
            flags_answered,
        ),
        (
            Measure(
                "requests_overdue",
                "Information requests overdue",
                "Requests to other agencies whose answer fell due in the period and had not come by then.",
                SHARE,
                "requests",
                "lower",
            ),
            requests_overdue,
        ),
        (
            Measure(
                "no_access",
                "No-access attempts",
                "Visits where the practitioner could not get in, by why.",
                COUNTS,
                "attempts",
                "none",
            ),
            no_access,
        ),
    ]
}


@dataclass(frozen=True)
class Tally:
    """A share measure's observations added up (by the database, from the counts stored per visit)
    for one practitioner in one team in one month."""

    practitioner_id: int
    team_id: int
    month: dt.date  # its first day
    count: int
    hits: int


# The share measures counted per visit (`VisitCounts`) and added up by the database for the page.
TALLIED = ("unannounced", "seen_awake", "must_see_seen", "carer_word")


@dataclass(frozen=True)
class MeasureFigures:
    measure: Measure
    observations: list[Observation]  # empty when the figures come from tallies
    overall: Figure  # everyone in scope
    by_team: dict[int, Figure]
    by_practitioner: dict[int, Figure]
    by_month: list[tuple[dt.date, Figure]]
    practitioner_teams: frozenset[tuple[int, int]]  # each practitioner with each team they counted for


Part = tuple[int, int, dt.date]  # practitioner, team, month


def _figures(
    measure: Measure, observations: list[Observation], parts: dict[Part, _Sum], period: Period, kinds: Sequence[str]
) -> MeasureFigures:
    """Every figure of a measure from its parts (what each practitioner counted in each team in each
    month), each part added once to each figure it belongs to."""
    overall = _Sum()
    teams: dict[int, _Sum] = defaultdict(_Sum)
    practitioners: dict[int, _Sum] = defaultdict(_Sum)
    months: dict[dt.date, _Sum] = defaultdict(_Sum)
    for (practitioner, team, month), part in parts.items():
        for total in (overall, teams[team], practitioners[practitioner], months[month]):
            total.add(part)
    return MeasureFigures(
        measure,
        observations,
        overall.figure(measure.kind, kinds),
        {t: teams[t].figure(measure.kind, kinds) for t in sorted(teams)},
        {p: practitioners[p].figure(measure.kind, kinds) for p in sorted(practitioners)},
        [(m, months.get(m, _Sum()).figure(measure.kind, kinds)) for m in period.months()],
        frozenset((p, t) for p, t, _ in parts),
    )


def measure_figures(
    measure_id: str, records: Records, period: Period, kinds: Mapping[str, Sequence[str]] | None = None
) -> MeasureFigures:
    measure, rule = MEASURES[measure_id]
    observations = rule(records, period)
    parts: dict[Part, _Sum] = defaultdict(_Sum)
    for o in observations:
        parts[o.practitioner_id, o.team_id, o.day.replace(day=1)].observe(measure.kind, o)
    return _figures(measure, observations, parts, period, (kinds or {}).get(measure_id, measure.kinds))


def tallied_figures(measure_id: str, tallies: Iterable[Tally], period: Period) -> MeasureFigures:
    """A share measure's figures from the database's sums of the counts stored per visit: the same
    figures as `measure_figures` over the visits' own grades."""
    measure, _ = MEASURES[measure_id]
    months = set(period.months())
    parts: dict[Part, _Sum] = defaultdict(_Sum)
    for t in tallies:
        if t.count and t.month in months:
            parts[t.practitioner_id, t.team_id, t.month].add(_Sum(t.count, t.hits))
    return _figures(measure, [], parts, period, measure.kinds)
