"""Cumulative harm: flags over a child's visits, oldest first.

The point of repeating the checklist is to see change. Each rule below looks at plain visit
summaries and says in words what it saw, naming the visits behind it. A flag is *active* when
its evidence reaches the child's latest visit. Thresholds come from the definition's [trends]
table (defaults below), not from code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from heat.checklist.definition import Definition, TrendSettings
from heat.checklist.vocabulary import GRADED, NOT_SEEN, RATINGS, ROOM_UNSEEN


@dataclass(frozen=True)
class VisitSummary:
    """What the trend rules need of one submitted visit."""

    id: int
    date: dt.date
    rating: str
    mean: float | None
    grades: Mapping[str, str]
    plan_status: str | None
    sleeping_place_seen: bool
    actions_not_done: int
    item_labels: Mapping[str, str] = field(default_factory=dict)
    rooms_seen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Flag:
    rule: str
    title: str
    text: str
    visit_ids: tuple[int, ...]
    active: bool


def sleeping_place_seen(definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str]) -> bool:
    """Seen unless a room tied to the sleep domain was not seen, or every sleep item is Not seen."""
    for room in definition.rooms:
        if room.domain == "sleep" and rooms.get(room.id) in ROOM_UNSEEN:
            return False
    sleep = next((d for d in definition.domains if d.id == "sleep"), None)
    return sleep is None or not all(grades.get(i.id, NOT_SEEN) == NOT_SEEN for i in sleep.items)


def _runs(visits: list[VisitSummary], test: Callable[[VisitSummary], bool], length: int) -> list[list[VisitSummary]]:
    """Maximal runs of consecutive visits passing `test`, at least `length` long."""
    runs: list[list[VisitSummary]] = []
    current: list[VisitSummary] = []
    for visit in visits:
        if test(visit):
            current.append(visit)
        else:
            if len(current) >= length:
                runs.append(current)
            current = []
    if len(current) >= length:
        runs.append(current)
    return runs


def _flag(rule: str, title: str, text: str, run: list[VisitSummary], latest: VisitSummary) -> Flag:
    return Flag(rule, title, text, tuple(v.id for v in run), active=run[-1].id == latest.id)


def _rank(visit: VisitSummary) -> int:
    return RATINGS[visit.rating].rank


def _mean(visit: VisitSummary) -> float:
    """The mean of a visit already known to have one (callers filter out unscored visits)."""
    assert visit.mean is not None
    return visit.mean


def _dates(run: list[VisitSummary]) -> str:
    return ", ".join(f"{v.date.day} {v.date:%b %Y}" for v in run)


def repeated_concern(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
    flags = []
    item_ids = sorted({i for v in visits for i in v.grades})
    for item_id in item_ids:

        def bad(v: VisitSummary, item_id: str = item_id) -> bool:
            g = v.grades.get(item_id)
            return g in GRADED and int(g) >= s.repeat_grade

        for run in _runs(visits, bad, s.repeat_visits)[-1:]:
            label = run[-1].item_labels.get(item_id, item_id)
            flags.append(
                _flag(
                    "repeated_concern",
                    f"{label}: {s.repeat_grade} or worse at {len(run)} visits running",
                    f"{label} was graded {s.repeat_grade} or worse at {len(run)} visits in a row ({_dates(run)}).",
                    run,
                    visits[-1],
                )
            )
    return flags


def worsening_mean(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
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


def improve_then_slip(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
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


def actions_not_done(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
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


def sleeping_place_not_seen(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
    return [
        _flag(
            "sleep_not_seen",
            f"Sleeping place not seen at {len(run)} visits running",
            f"Where the child sleeps was not seen at {len(run)} visits in a row ({_dates(run)}).",
            run,
            visits[-1],
        )
        for run in _runs(visits, lambda v: not v.sleeping_place_seen, s.sleep_visits)[-1:]
    ]


def after_step_down(visits: list[VisitSummary], s: TrendSettings) -> list[Flag]:
    """Re-baseline at the first visit after a step-down from CP to CIN; any worse visit since is flagged."""
    baseline = None
    for previous, visit in zip(visits, visits[1:], strict=False):
        if previous.plan_status == "cp" and visit.plan_status == "cin":
            baseline = visit
    if baseline is None:
        return []
    later = [
        v
        for v in visits
        if v.date > baseline.date or (v.date == baseline.date and visits.index(v) > visits.index(baseline))
    ]
    worse = [
        v
        for v in later
        if _rank(v) > _rank(baseline) or (v.mean is not None and baseline.mean is not None and v.mean > baseline.mean)
    ]
    if not worse:
        return []
    run = [baseline, *worse]
    return [
        _flag(
            "after_step_down",
            "Worse since stepping down from Child Protection",
            f"Since the step-down to a Child in Need plan (baseline {baseline.date.day} {baseline.date:%b %Y}, "
            f"{baseline.rating}, average {baseline.mean if baseline.mean is not None else '–'}), "
            f"{len(worse)} visit{'s were' if len(worse) > 1 else ' was'} worse ({_dates(worse)}).",
            run,
            visits[-1],
        )
    ]


TREND_RULES: dict[str, Callable[[list[VisitSummary], TrendSettings], list[Flag]]] = {
    "repeated_concern": repeated_concern,
    "worsening_mean": worsening_mean,
    "improve_then_slip": improve_then_slip,
    "actions_not_done": actions_not_done,
    "sleep_not_seen": sleeping_place_not_seen,
    "after_step_down": after_step_down,
}


def flags(visits: list[VisitSummary], settings: TrendSettings | None = None) -> list[Flag]:
    """Every flag over the visits (oldest first), active ones first."""
    if not visits:
        return []
    settings = settings or TrendSettings()
    found = [flag for rule in TREND_RULES.values() for flag in rule(visits, settings)]
    return sorted(found, key=lambda f: not f.active)


def direction(visits: list[VisitSummary]) -> str | None:
    """Direction of travel since the previous visit: 'worse', 'better' or 'same'."""
    if len(visits) < 2:
        return None
    before, after = visits[-2], visits[-1]
    rank = _rank(after) - _rank(before)
    if rank == 0 and before.mean is not None and after.mean is not None:
        rank = (after.mean > before.mean) - (after.mean < before.mean)
    return "worse" if rank > 0 else "better" if rank < 0 else "same"
