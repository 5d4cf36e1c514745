"""How a visit is scored: per-domain profile, overall rating and the reasons behind it.

The headline is a profile, never a mean: one Dangerous grade makes the visit Red however good the
rest of the home is. Rules are named functions chosen, in order, by the definition file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from statistics import fmean

from heat.checklist.definition import Definition
from heat.checklist.vocabulary import (
    CARER_SAID,
    GRADED,
    NOT_SEEN,
    OBSERVED,
    RATINGS,
    ROOM_STATUSES,
    ROOM_UNSEEN,
)


@dataclass(frozen=True)
class Answers:
    """What a visit recorded: item id to grade ("1".."5", "NS", "NA"; a missing item is Not seen),
    room id to status, and item id to how the practitioner knows (a source code, or nothing)."""

    grades: Mapping[str, str]
    rooms: Mapping[str, str]
    sources: Mapping[str, str | None] = field(default_factory=dict)
    answers: Mapping[str, str] = field(default_factory=dict)  # question id to "yes" or "no"
    # The age groups of the children on the visit (see vocabulary.AGES); None: every item is asked.
    ages: frozenset[str] | None = None

    def asked(self, definition: Definition) -> frozenset[str]:
        return definition.asked(self.ages, self.rooms)


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
    mean: float | None  # the average for the trend (see comparable_mean), never the headline

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


def any_item_at_least(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    return _graded_at_least(definition, visit.grades, params["grade"])


def any_item_at_least_in_safety_critical(
    definition: Definition, visit: Answers, params: Mapping[str, float]
) -> list[Finding]:
    critical = {d.id for d in definition.domains if d.safety_critical}
    return _graded_at_least(definition, visit.grades, params["grade"], critical)


def count_at_least(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    found = _graded_at_least(definition, visit.grades, params["grade"])
    return found if len(found) >= params["count"] else []


def domain_mean_at_least(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    return [
        Finding(f"{p.title}: average grade {p.mean:.1f}")
        for p in domain_profile(definition, visit.grades)
        if p.mean is not None and p.mean >= params["mean"]
    ]


def unseen_rooms(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], ages: frozenset[str] | None = None
) -> list[Finding]:
    """Each room that must be seen and was not, whether the room itself was not seen or every item
    of its area the visit asks is Not seen; the finding's `item_id` is the room's id."""
    asked = definition.asked(ages, rooms)
    findings = []
    for room in definition.rooms:
        if not room.must_be_seen:
            continue
        domain = definition.domain(room.domain) if room.domain is not None else None
        items = [item for item in domain.items if item.id in asked] if domain else []
        if rooms.get(room.id) in ROOM_UNSEEN:
            findings.append(Finding(f"{room.label} was not seen", room.id))
        elif domain and items and all(grades.get(item.id, NOT_SEEN) == NOT_SEEN for item in items):
            findings.append(Finding(f"{domain.title}: every item is Not seen", room.id))
    return findings


def comparable_mean(
    definition: Definition, grades: Mapping[str, str], rooms: Mapping[str, str], ages: frozenset[str] | None = None
) -> float | None:
    """The average grade a trend may compare: only for a visit where every room that must be seen
    and every item it asks of every safety-critical area was seen. Leaving out what was not seen
    would make a home look better the less of it the worker was shown."""
    if unseen_rooms(definition, grades, rooms, ages):
        return None
    asked = definition.asked(ages, rooms)
    for domain in definition.domains:
        if domain.safety_critical and any(
            grades.get(i.id, NOT_SEEN) == NOT_SEEN for i in domain.items if i.id in asked
        ):
            return None
    numeric = list(_numeric(grades).values())
    return round(fmean(numeric), 2) if numeric else None


def required_room_not_seen(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    return [Finding(f.text) for f in unseen_rooms(definition, visit.grades, visit.rooms, visit.ages)]


def must_see_not_seen(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    """Each item the definition says must be seen, asked at this visit and not graded (Not seen,
    Not applicable or left out): nothing about the baby passes unseen."""
    asked = visit.asked(definition)
    return [
        Finding(f"Not seen: {item.text}", item.id)
        for item in definition.items
        if item.must_see and item.id in asked and visit.grades.get(item.id) not in GRADED
    ]


def observable_on_carer_word(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    """Each item that can be seen, in a safety-critical area, graded only on what the parent or
    carer said: it is not yet known, so the visit cannot read as fine."""
    critical = {d.id for d in definition.domains if d.safety_critical}
    return [
        Finding(f"{item.text}: only the parent or carer's word. See it for yourself at the next visit.", item.id)
        for item in definition.items
        if item.observable
        and item.domain_id in critical
        and visit.grades.get(item.id) in GRADED
        and visit.sources.get(item.id) == CARER_SAID
    ]


def safety_critical_on_carer_word(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    """A safety-critical area whose grades rest (at least `share` of them) only on what the parent or
    carer said: the practitioner has not seen enough of it for the visit to read as fine."""
    findings = []
    for domain in definition.domains:
        if not domain.safety_critical:
            continue
        graded = [i.id for i in domain.items if visit.grades.get(i.id) in GRADED]
        told = [i for i in graded if visit.sources.get(i) == CARER_SAID]
        if graded and len(told) / len(graded) >= params["share"]:
            findings.append(
                Finding(
                    f"{domain.title}: {len(told)} of {len(graded)} grades rest only on what the parent or carer said"
                )
            )
    return findings


def question_concern(definition: Definition, visit: Answers, params: Mapping[str, float]) -> list[Finding]:
    """A yes/no question answered with the answer its definition names as a concern."""
    return [
        Finding(f"{q.text} {q.answer_label(visit.answers[q.id])}.")
        for q in definition.questions
        if q.concern is not None and visit.answers.get(q.id) == q.concern
    ]


RULES: dict[str, Callable[[Definition, Answers, Mapping[str, float]], list[Finding]]] = {
    "any_item_at_least": any_item_at_least,
    "any_item_at_least_in_safety_critical": any_item_at_least_in_safety_critical,
    "count_at_least": count_at_least,
    "domain_mean_at_least": domain_mean_at_least,
    "required_room_not_seen": required_room_not_seen,
    "safety_critical_on_carer_word": safety_critical_on_carer_word,
    "question_concern": question_concern,
    "must_see_not_seen": must_see_not_seen,
    "observable_on_carer_word": observable_on_carer_word,
}


def contradictions(definition: Definition, visit: Answers) -> list[Finding]:
    """Answers that cannot all be true, each in words with the item or question it is about: an
    item graded as observed in a room that was not seen, and "Were you able to see every room?"
    answered against what the Rooms section records. A page refuses them; they never score."""
    found = []
    for room in definition.rooms:
        status = visit.rooms.get(room.id)
        if room.domain is None or status not in ROOM_UNSEEN:
            continue
        for item in definition.domain(room.domain).items:
            if visit.grades.get(item.id) in GRADED and visit.sources.get(item.id) == OBSERVED:
                found.append(
                    Finding(
                        f"{item.text}: the {room.label.lower()} is recorded as {ROOM_STATUSES[status].lower()}, "
                        "so it cannot be graded as observed. Say how you know, or choose Not seen",
                        item.id,
                    )
                )
    unseen = [room.label for room in definition.rooms if visit.rooms.get(room.id) in ROOM_UNSEEN]
    for question in definition.questions:
        answer = visit.answers.get(question.id)
        if not question.checks_rooms or answer is None:
            continue
        if answer == "yes" and unseen:
            found.append(
                Finding(
                    f"{question.text} You answered Yes, but Rooms records as not seen: {', '.join(unseen)}", question.id
                )
            )
        elif answer == "no" and not unseen and len(visit.rooms) == len(definition.rooms):
            found.append(Finding(f"{question.text} You answered No, but Rooms records every room as seen", question.id))
    return found


def domain_profile(
    definition: Definition, grades: Mapping[str, str], asked: frozenset[str] | None = None
) -> tuple[DomainProfile, ...]:
    """Each area's worst grade, mean and counts, over the items the visit asks (`asked`; all if None)."""
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
                not_seen=sum(
                    1
                    for i in domain.items
                    if grades.get(i.id, NOT_SEEN) == NOT_SEEN and (asked is None or i.id in asked)
                ),
                safety_critical=domain.safety_critical,
            )
        )
    return tuple(profile)


def score(
    definition: Definition,
    grades: Mapping[str, str],
    rooms: Mapping[str, str],
    sources: Mapping[str, str | None] | None = None,
    answers: Mapping[str, str] | None = None,
    ages: frozenset[str] | None = None,
) -> Score:
    """Score one visit. `grades` maps item id to "1".."5", "NS" or "NA" (a missing item is Not seen);
    `rooms` maps room id to "seen", "not_seen" or "refused"; `sources` maps item id to how the
    practitioner knows ("observed", "carer_said", "agency"); `answers` maps question id to "yes"
    or "no"; `ages` are the age groups of the children on the visit (None: every item is asked)."""
    visit = Answers(grades, rooms, sources or {}, answers or {}, ages)
    reasons = []
    for rule in definition.rules:
        findings = RULES[rule.rule](definition, visit, rule.params)
        if findings:
            reasons.append(Reason(rule.rating, rule.rule, rule.message, tuple(findings)))
    rating = reasons[0].rating if reasons else "green"
    return Score(
        rating=rating,
        reasons=tuple(reasons),
        profile=domain_profile(definition, grades, visit.asked(definition)),
        mean=comparable_mean(definition, grades, rooms, ages),
    )
