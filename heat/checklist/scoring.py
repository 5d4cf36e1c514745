"""How a visit is scored: per-domain profile, overall rating and the reasons behind it.

The headline is a profile, never a mean: one Dangerous grade makes the visit Red however good the
rest of the home is. Rules are named functions chosen, in order, by the definition file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import fmean

from heat.checklist.definition import Definition
from heat.checklist.vocabulary import GRADED, NOT_SEEN, RATINGS, ROOM_UNSEEN


@dataclass(frozen=True)
class Finding:
    """One thing a rule saw, in words, with the item behind it when there is one."""

    text: str
    item_id: str | None = None


@dataclass(frozen=True)
class Reason:
    rating: str
    rule: str
    message: str
    findings: tuple[Finding, ...]

    @property
    def rating_label(self) -> str:
        return RATINGS[self.rating].label


@dataclass(frozen=True)
class DomainProfile:
    domain_id: str
    title: str
    worst: int | None
    mean: float | None
    graded: int
    not_seen: int
    safety_critical: bool


@dataclass(frozen=True)
class Score:
    rating: str
    reasons: tuple[Reason, ...]
    profile: tuple[DomainProfile, ...]
    mean: float | None

    @property
    def rating_label(self) -> str:
        return RATINGS[self.rating].label

    @property
    def deciding_reasons(self) -> tuple[Reason, ...]:
        """The reasons that set the rating; the others are still worth reading."""
        return tuple(r for r in self.reasons if r.rating == self.rating)

    @property
    def other_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.rating != self.rating)


def _numeric(grades: Mapping[str, str]) -> dict[str, int]:
    return {item_id: int(g) for item_id, g in grades.items() if g in GRADED}


def _describe(definition: Definition, item_id: str, grade: int) -> Finding:
    item = definition.item(item_id)
    domain = definition.domain(item.domain_id)
    label = definition.grade(str(grade)).display
    return Finding(f"{domain.title}: {item.text} graded {label}", item_id)


def _graded_at_least(
    definition: Definition, grades: Mapping[str, str], threshold: float, domain_ids: set[str] | None = None
) -> list[Finding]:
    numeric = _numeric(grades)
    return [
        _describe(definition, item.id, numeric[item.id])
        for item in definition.items
        if numeric.get(item.id, 0) >= threshold and (domain_ids is None or item.domain_id in domain_ids)
    ]


def any_item_at_least(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], params: Mapping[str, float]
) -> list[Finding]:
    return _graded_at_least(definition, grades, params["grade"])


def any_item_at_least_in_safety_critical(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], params: Mapping[str, float]
) -> list[Finding]:
    critical = {d.id for d in definition.domains if d.safety_critical}
    return _graded_at_least(definition, grades, params["grade"], critical)


def count_at_least(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], params: Mapping[str, float]
) -> list[Finding]:
    found = _graded_at_least(definition, grades, params["grade"])
    return found if len(found) >= params["count"] else []


def domain_mean_at_least(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], params: Mapping[str, float]
) -> list[Finding]:
    return [
        Finding(f"{p.title}: average grade {p.mean:.1f}")
        for p in domain_profile(definition, grades)
        if p.mean is not None and p.mean >= params["mean"]
    ]


def required_room_not_seen(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], params: Mapping[str, float]
) -> list[Finding]:
    findings = []
    for room in definition.rooms:
        if not room.must_be_seen or room.domain is None:
            continue
        domain = definition.domain(room.domain)
        if rooms.get(room.id) in ROOM_UNSEEN:
            findings.append(Finding(f"{room.label} was not seen"))
        elif all(grades.get(item.id, NOT_SEEN) == NOT_SEEN for item in domain.items):
            findings.append(Finding(f"{domain.title}: every item is Not seen"))
    return findings


RULES: dict[str, Callable[..., list[Finding]]] = {
    "any_item_at_least": any_item_at_least,
    "any_item_at_least_in_safety_critical": any_item_at_least_in_safety_critical,
    "count_at_least": count_at_least,
    "domain_mean_at_least": domain_mean_at_least,
    "required_room_not_seen": required_room_not_seen,
}


def domain_profile(definition: Definition, grades: Mapping[str, str]) -> tuple[DomainProfile, ...]:
    numeric = _numeric(grades)
    profile = []
    for domain in definition.domains:
        values = [numeric[i.id] for i in domain.items if i.id in numeric]
        profile.append(
            DomainProfile(
                domain_id=domain.id,
                title=domain.title,
                worst=max(values) if values else None,
                mean=round(fmean(values), 2) if values else None,
                graded=len(values),
                not_seen=sum(1 for i in domain.items if grades.get(i.id, NOT_SEEN) == NOT_SEEN),
                safety_critical=domain.safety_critical,
            )
        )
    return tuple(profile)


def score(definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str]) -> Score:
    """Score one visit. `grades` maps item id to "1".."5", "NS" or "NA" (a missing item is Not seen);
    `rooms` maps room id to "seen", "not_seen" or "refused"."""
    reasons = []
    for rule in definition.rules:
        findings = RULES[rule.rule](definition, grades, rooms, rule.params)
        if findings:
            reasons.append(Reason(rule.rating, rule.rule, rule.message, tuple(findings)))
    rating = reasons[0].rating if reasons else "green"
    numeric = list(_numeric(grades).values())
    return Score(
        rating=rating,
        reasons=tuple(reasons),
        profile=domain_profile(definition, grades),
        mean=round(fmean(numeric), 2) if numeric else None,
    )
