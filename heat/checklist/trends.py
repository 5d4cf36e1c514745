"""Cumulative harm: flags over a child's visits, oldest first.

The point of repeating the checklist is to see change. Each rule below looks at plain visit
summaries (and the child's agreed step-downs) and says in words what it saw, naming the visits
behind it. A flag is *active* when its evidence reaches the child's latest visit. Thresholds come
from the definition's [trends] table (defaults in `TrendSettings`), not from code.

What was not seen is never read as better: an Incomplete visit has no average to compare, the
direction of travel across it is "incomplete", and a room kept from the worker is itself a flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from heat.checklist.definition import Definition, TrendSettings
from heat.checklist.scoring import comparable_mean, unseen_rooms
from heat.checklist.vocabulary import CARER_SAID, GRADED, INCOMPLETE, RATINGS, RED, ROOM_NOT_IN_HOME, ROOM_SEEN, TOLD


@dataclass(frozen=True)
class VisitSummary:
    """What the trend rules need of one recorded visit. `mean` is the average a trend may compare
    (see `scoring.comparable_mean`): None when something that must be seen was not."""

    id: int
    date: dt.date
    rating: str
    mean: float | None
    grades: Mapping[str, str]
    actions_not_done: int = 0
    item_labels: Mapping[str, str] = field(default_factory=dict)
    rooms_seen: frozenset[str] = frozenset()
    # Rooms that must be seen and were not at this visit: room id to its label.
    rooms_not_seen: Mapping[str, str] = field(default_factory=dict)
    rooms_not_in_home: frozenset[str] = frozenset()
    # Since 2026.4 (empty for visits of earlier versions, whose flags stay as they were): the items
    # graded only on the parent or carer's word, those of them that are told items, and the
    # children on the visit who are babies seen only asleep.
    carer_word: frozenset[str] = frozenset()
    told_on_word: frozenset[str] = frozenset()
    seen_only_asleep: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StepDown:
    """A supervisor-agreed change to a lower plan, dated when it took effect (plans in words)."""

    date: dt.date
    from_plan: str
    to_plan: str


@dataclass(frozen=True)
class Flag:
    rule: str
    title: str
    text: str
    visit_ids: tuple[int, ...]
    active: bool


def summarise(
    definition: Definition,
    *,
    id: int,
    date: dt.date,
    rating: str,
    grades: Mapping[str, str],
    rooms: Mapping[str, str],
    actions_not_done: int = 0,
    sources: Mapping[str, str | None] | None = None,
    ages: frozenset[str] | None = None,
    seen_only_asleep: frozenset[str] = frozenset(),
) -> VisitSummary:
    """A recorded visit as the trend rules see it, read with its own checklist version. `sources`
    (item id to how the practitioner knows), `ages` (of the children on it) and the babies
    `seen_only_asleep` count only for versions that weigh evidence (2026.4 on)."""
    weighs = definition.weighs_evidence
    carer_word = frozenset(
        item_id
        for item_id, source in (sources or {}).items()
        if weighs and source == CARER_SAID and grades.get(item_id) in GRADED
    )
    return VisitSummary(
        id=id,
        date=date,
        rating=rating,
        mean=comparable_mean(definition, grades, rooms, ages if weighs else None),
        grades=grades,
        actions_not_done=actions_not_done,
        item_labels=definition.item_labels,
        rooms_seen=frozenset(room for room, status in rooms.items() if status == ROOM_SEEN),
        rooms_not_seen={
            f.item_id: definition.room(f.item_id).label
            for f in unseen_rooms(definition, grades, rooms, ages if weighs else None)
            if f.item_id
        },
        rooms_not_in_home=frozenset(room for room, status in rooms.items() if status == ROOM_NOT_IN_HOME),
        carer_word=carer_word,
        told_on_word=frozenset(i for i in carer_word if definition.item(i).known_by == TOLD),
        seen_only_asleep=seen_only_asleep if weighs else frozenset(),
    )


Rule = Callable[[list[VisitSummary], TrendSettings, Sequence[StepDown]], list[Flag]]


@dataclass(frozen=True)
class TrendRule:
    """A flag rule as it is registered, beside its function: its name (the rule id the pages and
    the supervisors' answers use) and the `TrendSettings` ([trends] keys) it reads."""

    name: str
    reads: tuple[str, ...]
    check: Rule


# Every rule over the visits, in the order their flags are listed (active ones first).
TREND_RULES: dict[str, TrendRule] = {}
SETTINGS = frozenset(f.name for f in fields(TrendSettings))


def trend_rule(name: str, *reads: str) -> Callable[[Rule], Rule]:
    """Register the function below as the rule `name`, reading these settings."""
    if unknown := set(reads) - SETTINGS:
        raise ValueError(f"rule {name} reads settings that do not exist: {sorted(unknown)}")

    def register(check: Rule) -> Rule:
        TREND_RULES[name] = TrendRule(name, reads, check)
        return check

    return register


def _runs(
    visits: list[VisitSummary],
    test: Callable[[VisitSummary], bool],
    length: int,
    holds: Callable[[VisitSummary], bool] = lambda v: False,
) -> list[list[VisitSummary]]:
    """Maximal runs of consecutive visits passing `test`, at least `length` of them passing. A visit
    that `holds` neither ends a run nor counts towards it (it stays in the run, so a run reaching
    the latest visit through it stays active)."""
    runs: list[list[VisitSummary]] = []
    current: list[VisitSummary] = []

    def close() -> None:
        if sum(1 for v in current if test(v)) >= length:
            runs.append(current)

    for visit in visits:
        if test(visit):
            current.append(visit)
        elif current and holds(visit):
            current.append(visit)
        else:
            close()
            current = []
    close()
    return runs


def _flag(rule: str, title: str, text: str, run: list[VisitSummary], latest: VisitSummary) -> Flag:
    return Flag(rule, title, text, tuple(v.id for v in run), active=run[-1].id == latest.id)


def _rank(visit: VisitSummary) -> int:
    return RATINGS[visit.rating].rank


def _mean(visit: VisitSummary) -> float:
    """The mean of a visit already known to have one (callers filter out visits without one)."""
    assert visit.mean is not None
    return visit.mean


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _dates(run: list[VisitSummary]) -> str:
    return ", ".join(_day(v.date) for v in run)


@trend_rule("repeated_concern", "repeat_grade", "repeat_visits")
def repeated_concern(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    flags = []
    item_ids = sorted({i for v in visits for i in v.grades})
    for item_id in item_ids:

        def bad(v: VisitSummary, item_id: str = item_id) -> bool:
            g = v.grades.get(item_id)
            return g in GRADED and int(g) >= s.repeat_grade

        def told_better(v: VisitSummary, item_id: str = item_id) -> bool:
            """Only the carer's word says it is better: that never ends a run of concern."""
            return item_id in v.carer_word

        for run in _runs(visits, bad, s.repeat_visits, told_better)[-1:]:
            label = run[-1].item_labels.get(item_id, item_id)
            concern = [v for v in run if bad(v)]
            word = [v for v in run if not bad(v)]
            also = f" Graded better only on the carer's word at {_dates(word)}." if word else ""
            flags.append(
                _flag(
                    "repeated_concern",
                    f"{label}: {s.repeat_grade} or worse at {len(concern)} visits running",
                    f"{label} was graded {s.repeat_grade} or worse at {len(concern)} visits in a row "
                    f"({_dates(concern)}).{also}",
                    run,
                    visits[-1],
                )
            )
    return flags


@trend_rule("worsening_mean", "worsening_visits")
def worsening_mean(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    scored = [v for v in visits if v.mean is not None]
    best = None
    for end in range(s.worsening_visits - 1, len(scored)):
        window = scored[end - s.worsening_visits + 1 : end + 1]
        if all(_mean(a) < _mean(b) for a, b in zip(window, window[1:], strict=False)):
            best = window
    if best is None:
        return []
    means = " → ".join(f"{v.mean:.1f}" for v in best)
    return [
        _flag(
            "worsening_mean",
            f"Getting worse over {len(best)} visits",
            f"The average grade worsened at {len(best)} visits in a row: {means} ({_dates(best)}).",
            best,
            visits[-1],
        )
    ]


@trend_rule("improve_then_slip", "cycles", "cycle_days")
def improve_then_slip(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    scored = [v for v in visits if v.mean is not None]
    found = None
    for end in range(len(scored)):
        window = [v for v in scored[: end + 1] if (scored[end].date - v.date).days <= s.cycle_days]
        cycles, improving, members = 0, False, set[int]()
        for a, b in zip(window, window[1:], strict=False):
            if _mean(b) < _mean(a):
                improving = True
                members.update((a.id, b.id))
            elif _mean(b) > _mean(a) and improving:
                cycles += 1
                improving = False
                members.update((a.id, b.id))
        if cycles >= s.cycles:
            found = ([v for v in window if v.id in members], cycles)
    if found is None:
        return []
    run, cycles = found
    return [
        _flag(
            "improve_then_slip",
            f"Improved then slipped back {cycles} times",
            f"The home improved and then slipped back {cycles} times within six months ({_dates(run)}).",
            run,
            visits[-1],
        )
    ]


@trend_rule("actions_not_done", "actions_visits")
def actions_not_done(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    return [
        _flag(
            "actions_not_done",
            f"Agreed actions not done at {len(run)} visits running",
            f"Actions agreed at an earlier visit were recorded as not done at {len(run)} visits in a row "
            f"({_dates(run)}).",
            run,
            visits[-1],
        )
        for run in _runs(visits, lambda v: v.actions_not_done > 0, s.actions_visits)[-1:]
    ]


@trend_rule("room_not_seen", "room_visits")
def room_not_seen(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    """A room that must be seen (the kitchen, the bathroom, where the child sleeps) not seen at
    visit after visit: a family can keep a worker out of the worst room."""
    flags = []
    for room_id in sorted({room for v in visits for room in v.rooms_not_seen}):

        def unseen(v: VisitSummary, room_id: str = room_id) -> bool:
            return room_id in v.rooms_not_seen

        for run in _runs(visits, unseen, s.room_visits)[-1:]:
            label = run[-1].rooms_not_seen[room_id]
            flags.append(
                _flag(
                    "room_not_seen",
                    f"{label}: not seen at {len(run)} visits running",
                    f"{label} was not seen at {len(run)} visits in a row ({_dates(run)}).",
                    run,
                    visits[-1],
                )
            )
    return flags


@trend_rule("incomplete_visits", "incomplete_visits")
def incomplete_visits(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    return [
        _flag(
            "incomplete_visits",
            f"Incomplete at {len(run)} visits running",
            f"Something that must be seen was not seen at {len(run)} visits in a row ({_dates(run)}).",
            run,
            visits[-1],
        )
        for run in _runs(visits, lambda v: v.rating == INCOMPLETE.id, s.incomplete_visits)[-1:]
    ]


@trend_rule("after_step_down")
def after_step_down(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    """After the latest agreed step-down to a lower plan, whatever the plans, the first visit since
    is the baseline; every later visit rated worse, or with a worse average, is flagged."""
    if not step_downs:
        return []
    step_down = max(step_downs, key=lambda d: d.date)
    since = [v for v in visits if v.date >= step_down.date]
    if not since:
        return []
    baseline, later = since[0], since[1:]
    worse = [
        v
        for v in later
        if _rank(v) > _rank(baseline) or (v.mean is not None and baseline.mean is not None and v.mean > baseline.mean)
    ]
    if not worse:
        return []
    average = f"{baseline.mean:.1f}" if baseline.mean is not None else "none"
    return [
        _flag(
            "after_step_down",
            "Worse since stepping down",
            f"Since the step-down from {step_down.from_plan} to {step_down.to_plan} on {_day(step_down.date)} "
            f"(baseline {_day(baseline.date)}: {RATINGS[baseline.rating].label}, average {average}), "
            f"{len(worse)} visit{'s were' if len(worse) > 1 else ' was'} worse ({_dates(worse)}).",
            [baseline, *worse],
            visits[-1],
        )
    ]


@trend_rule("told_on_word", "told_visits")
def told_on_word(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    """A told item (a routine, a plan) resting only on what the carer said, visit after visit:
    nobody has checked it with anyone else."""
    flags = []
    for item_id in sorted({i for v in visits for i in v.told_on_word}):

        def on_word(v: VisitSummary, item_id: str = item_id) -> bool:
            return item_id in v.told_on_word

        for run in _runs(visits, on_word, s.told_visits)[-1:]:
            label = run[-1].item_labels.get(item_id, item_id)
            flags.append(
                _flag(
                    "told_on_word",
                    f"{label}: only the carer's word at {len(run)} visits running",
                    f"{label} rested only on what the parent or carer said at {len(run)} visits in a row "
                    f"({_dates(run)}). Check it with another agency or see it for yourself.",
                    run,
                    visits[-1],
                )
            )
    return flags


@trend_rule("seen_only_asleep", "asleep_visits")
def seen_only_asleep(visits: list[VisitSummary], s: TrendSettings, step_downs: Sequence[StepDown]) -> list[Flag]:
    """A baby seen only asleep at visit after visit: nobody has seen them awake, handled and fed."""
    flags = []
    for name in sorted({n for v in visits for n in v.seen_only_asleep}):

        def asleep(v: VisitSummary, name: str = name) -> bool:
            return name in v.seen_only_asleep

        for run in _runs(visits, asleep, s.asleep_visits)[-1:]:
            flags.append(
                _flag(
                    "seen_only_asleep",
                    f"{name}: seen only asleep at {len(run)} visits running",
                    f"{name} was seen only asleep at {len(run)} visits in a row ({_dates(run)}). "
                    "See them awake at the next visit.",
                    run,
                    visits[-1],
                )
            )
    return flags


def flags(
    visits: list[VisitSummary], settings: TrendSettings | None = None, step_downs: Sequence[StepDown] = ()
) -> list[Flag]:
    """Every flag over the visits (oldest first) and the agreed step-downs, active ones first."""
    if not visits:
        return []
    settings = settings or TrendSettings()
    found = [flag for rule in TREND_RULES.values() for flag in rule.check(visits, settings, step_downs)]
    return sorted(found, key=lambda f: not f.active)


@dataclass(frozen=True)
class AdultSeen:
    """An adult on the child's register, as the flags about adults see them: their relationship
    to the child (its label), whether a visit must see them (they live here, stay overnight, care
    for the child or are a parent with contact), when they were first recorded, and the recorded
    visits they were seen at (answered "Here at this visit?" with Yes)."""

    id: int
    name: str
    relationship: str
    must_be_seen: bool
    recorded_on: dt.date
    seen_at: frozenset[int]
    why: str = "lives here, stays overnight, cares for the child or is a parent with contact"


# The rules over the register of adults, and the settings each reads (they take the adults too).
ADULT_RULES = {"adult_never_seen": ("unseen_adult_visits",), "new_adult": ("new_adult_visits",)}


def adult_flags(visits: list[VisitSummary], adults: Sequence[AdultSeen], s: TrendSettings | None = None) -> list[Flag]:
    """ "Never seen": an adult a visit must see, recorded at least `unseen_adult_visits` visits ago
    (those visits on or after they were recorded) and seen at none of them. "New adult in the
    home": an adult in the home whose first appearance (the first visit they were seen at, or the
    day they were recorded if earlier) came after an earlier visit; active for `new_adult_visits`
    visits. Someone seen at the first visit is never new, whenever they were typed into the register."""
    if not visits:
        return []
    s = s or TrendSettings()
    found = []
    latest = visits[-1]
    for adult in adults:
        if not adult.must_be_seen:
            continue
        since = [v for v in visits if v.date >= adult.recorded_on]
        if len(since) >= s.unseen_adult_visits and not adult.seen_at & {v.id for v in visits}:
            found.append(
                _flag(
                    "adult_never_seen",
                    f"{adult.name} ({adult.relationship}): never seen at a visit",
                    f"{adult.name} {adult.why}, was recorded on {_day(adult.recorded_on)} and has not been "
                    f"seen at any of {len(since)} visit{'s' if len(since) != 1 else ''} since.",
                    since,
                    latest,
                )
            )
        first_seen = next((v.date for v in visits if v.id in adult.seen_at), None)
        appeared = min(first_seen, adult.recorded_on) if first_seen is not None else adult.recorded_on
        earlier = [v for v in visits if v.date < appeared]
        if earlier:  # someone seen at the first visit, or recorded before it, is not new to the home
            after = [v for v in visits if v.date >= appeared][: s.new_adult_visits]
            if after:
                how = "seen" if appeared == first_seen else "recorded"
                found.append(
                    _flag(
                        "new_adult",
                        f"New adult in the home: {adult.name}",
                        f"{adult.name} was first {how} on {_day(appeared)}, "
                        f"after the visit of {_day(earlier[-1].date)}. Find out who they are and do the checks.",
                        after,
                        latest,
                    )
                )
    return sorted(found, key=lambda f: not f.active)


NO_ACCESS_RULE = "no_access"  # over the visits and the attempts where nobody let the practitioner in
NO_ACCESS_RUN = 2


def no_access_flags(visits: Sequence[VisitSummary], attempts: Sequence[dt.date]) -> list[Flag]:
    """ "No access at 2 visits running": the latest tries to visit (recorded visits and attempts
    where nobody let the practitioner in, by date; a visit on the day of an attempt came after it)
    end in at least two attempts. Not a visit, so the flag names no visit."""
    tries = sorted([(v.date, 1) for v in visits] + [(day, 0) for day in attempts])
    run = []
    for day, got_in in reversed(tries):
        if got_in:
            break
        run.append(day)
    if len(run) < NO_ACCESS_RUN:
        return []
    days = ", ".join(_day(day) for day in reversed(run))
    return [
        Flag(
            NO_ACCESS_RULE,
            f"No access at {len(run)} visits running",
            f"Nobody let the practitioner in on {days}. The child has not been seen at home since "
            + (f"{_day(visits[-1].date)}." if visits else "before the first visit."),
            (),
            True,
        )
    ]


def all_flags(
    visits: list[VisitSummary],
    settings: TrendSettings | None = None,
    step_downs: Sequence[StepDown] = (),
    adults: Sequence[AdultSeen] = (),
    attempts: Sequence[dt.date] = (),
) -> list[Flag]:
    """Every flag of a child, active ones first: the rules over the visits and step-downs, over
    the register of adults, and over the attempts to visit. The child page, the review, the
    dashboard and `flask seed-scale` all derive them here."""
    found = flags(visits, settings, step_downs) + adult_flags(visits, adults, settings)
    return sorted(found + no_access_flags(visits, attempts), key=lambda f: not f.active)


def direction(visits: list[VisitSummary]) -> str | None:
    """Direction of travel between the latest two visits only: 'worse', 'better', 'same';
    'incomplete' when the latest visit is Incomplete; 'was_unseen' when only the visit
    before it was (what was not seen cannot be compared, so it never reads better)."""
    if len(visits) < 2:
        return None
    before, after = visits[-2], visits[-1]
    if after.rating == INCOMPLETE.id:
        return "incomplete"
    if before.rating == INCOMPLETE.id:
        return "worse" if after.rating == RED.id else "was_unseen"
    rank = _rank(after) - _rank(before)
    if rank == 0 and before.mean is not None and after.mean is not None:
        rank = (after.mean > before.mean) - (after.mean < before.mean)
    if rank < 0 and _better_on_word(before, after):
        return "same"
    return "worse" if rank > 0 else "better" if rank < 0 else "same"


def _better_on_word(before: VisitSummary, after: VisitSummary) -> bool:
    """Whether an item graded better now rests only on the carer's word against a grade the
    practitioner did not take on the carer's word: that is not yet a home getting better."""
    for item_id in after.carer_word - before.carer_word:
        was, now = before.grades.get(item_id), after.grades.get(item_id)
        if was in GRADED and now in GRADED and int(now) < int(was):
            return True
    return False
