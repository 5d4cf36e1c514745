"""Practice quality: how well visits and decisions are done, per team and per practitioner, over a
period. Plain records in (what the services read from the database), plain figures out.

Every measure turns its records into observations (who, which team, which day, what was found)
and every figure is worked out from observations the same way: a share (how many of them were
so), a median (of hours) or counts by kind.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
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


def figure(kind: str, observations: Iterable[Observation], kinds: Sequence[str] = ()) -> Figure:
    found = list(observations)
    if kind == SHARE:
        return Figure(kind, len(found), hits=sum(1 for o in found if o.value is True))
    if kind == MEDIAN:
        hours = [float(o.value) for o in found]
        return Figure(kind, len(found), median=round(statistics.median(hours), 1) if hours else None)
    counted = Counter(str(o.value) for o in found)
    order = list(kinds) + sorted(set(counted) - set(kinds))
    return Figure(kind, len(found), by_kind=tuple((k, counted[k]) for k in order if counted[k]))


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
        submitted = local_day(s.submitted_at)
        if s.rating != RED.id or submitted not in period:
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


def seen_awake(records: Records, period: Period) -> list[Observation]:
    return [
        Observation(v.practitioner_id, v.team_id, v.visit_date, seen in AWAKE, f"visit {v.id}")
        for v in records.visits
        if v.visit_date in period
        for seen in v.seen
        if seen in ASKED_AWAKE
    ]


def must_see_seen(records: Records, period: Period) -> list[Observation]:
    """Each room that must be seen and each must-see item asked at a visit: seen, or not (the
    scoring's own rules say what was not seen)."""
    found = []
    for v in records.visits:
        if v.visit_date not in period:
            continue
        rooms = [r.id for r in v.definition.rooms if r.must_be_seen]
        asked = v.answers.asked(v.definition)
        items = [i.id for i in v.definition.items if i.must_see and i.id in asked]
        unseen = {f.item_id for f in unseen_rooms(v.definition, v.answers.grades, v.answers.rooms, v.answers.ages)}
        unseen |= {f.item_id for f in must_see_not_seen(v.definition, v.answers, {})}
        found += [
            Observation(v.practitioner_id, v.team_id, v.visit_date, thing not in unseen, f"visit {v.id}: {thing}")
            for thing in rooms + items
        ]
    return found


def counted_items(definition: Definition) -> frozenset[str]:
    """The items whose grades the measures read: those of the safety-critical areas and of the
    areas of rooms that must be seen, and the must-see items. No other grade changes a figure."""
    areas = {d.id for d in definition.domains if d.safety_critical}
    areas |= {r.domain for r in definition.rooms if r.must_be_seen and r.domain}
    return frozenset(i.id for i in definition.items if i.domain_id in areas or i.must_see)


def carer_word(records: Records, period: Period) -> list[Observation]:
    """Each grade (1 to 5) in a safety-critical area: resting only on the parent or carer's word, or not."""
    found = []
    for v in records.visits:
        if v.visit_date not in period:
            continue
        critical = {d.id for d in v.definition.domains if d.safety_critical}
        found += [
            Observation(
                v.practitioner_id,
                v.team_id,
                v.visit_date,
                v.answers.sources.get(item.id) == CARER_SAID,
                f"visit {v.id}: {item.id}",
            )
            for item in v.definition.items
            if item.domain_id in critical and v.answers.grades.get(item.id) in GRADED
        ]
    return found


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
class MeasureFigures:
    measure: Measure
    observations: list[Observation]
    overall: Figure  # everyone in scope
    by_team: dict[int, Figure]
    by_practitioner: dict[int, Figure]
    by_month: list[tuple[dt.date, Figure]]


def measure_figures(
    measure_id: str, records: Records, period: Period, kinds: Mapping[str, Sequence[str]] | None = None
) -> MeasureFigures:
    measure, rule = MEASURES[measure_id]
    observations = rule(records, period)
    order = (kinds or {}).get(measure_id, measure.kinds)

    def of(chosen: Iterable[Observation]) -> Figure:
        return figure(measure.kind, chosen, order)

    teams = sorted({o.team_id for o in observations})
    practitioners = sorted({o.practitioner_id for o in observations})
    return MeasureFigures(
        measure,
        observations,
        of(observations),
        {t: of(o for o in observations if o.team_id == t) for t in teams},
        {p: of(o for o in observations if o.practitioner_id == p) for p in practitioners},
        [(m, of(o for o in observations if (o.day.year, o.day.month) == (m.year, m.month))) for m in period.months()],
    )
