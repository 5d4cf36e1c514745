"""Load and validate checklist definition files (TOML).

A definition is data: partnerships tune items, thresholds, safety-critical domains and the rooms
that must be seen without touching code. Loading fails with a message naming the problem.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from heat.checklist.vocabulary import AGES, GRADED, KNOWN_BY, OBSERVABLE, ROOM_NOT_IN_HOME, RULE_RATINGS, SCALE

MIN_ITEMS, MAX_ITEMS = 4, 8

BUILTIN_DIR = Path(__file__).parent / "definitions"


class DefinitionError(ValueError):
    """A checklist definition file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Grade:
    value: str
    label: str
    hint: str

    @property
    def display(self) -> str:
        """'3 Some concern', 'Not seen': how a grade reads on a radio button and in print."""
        return f"{self.value} {self.label}" if self.value in GRADED else self.label


# The grades an item's "What each grade looks like" describes: 1, 3 and 5 in 2026.3, all five since.
DESCRIBED_GRADES = (("1", "3", "5"), GRADED)
ANSWERS = {"yes": "Yes", "no": "No"}


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    hint: str
    domain_id: str
    # What grades 1, 3 and 5 (2026.3) or 1 to 5 (since) look like, as (grade, words); empty before 2026.3
    looks_like: tuple[tuple[str, str], ...] = ()
    # Since 2026.4: how it can be known (OBSERVABLE or TOLD), the ages it is asked for (empty: every
    # age), and, for an item the practitioner must see for themselves, the reason why.
    known_by: str | None = None
    ages: frozenset[str] = frozenset()
    must_see: str | None = None

    @property
    def observable(self) -> bool:
        return self.known_by == OBSERVABLE

    def asked_for(self, ages: frozenset[str] | None) -> bool:
        """Whether a visit with children of these ages asks this item (None: ages not known)."""
        return ages is None or not self.ages or bool(self.ages & ages)

    def description(self, grade: str) -> str | None:
        """What this grade looks like for this item, when the definition says."""
        return dict(self.looks_like).get(grade)


@dataclass(frozen=True)
class Question:
    """A fact asked in a domain but never graded: yes or no (a working smoke alarm), or, since
    2026.4, the answers it lists (the kind of home). `concern` is the answer that is a worry, if
    any; the rule `question_concern` acts on it. A question that `checks_rooms` must agree with
    the Rooms section (see scoring.contradictions)."""

    id: str
    text: str
    hint: str
    domain_id: str
    concern: str | None
    answers: tuple[tuple[str, str], ...] = tuple(ANSWERS.items())
    checks_rooms: bool = False

    def answer_label(self, answer: str) -> str:
        return dict(self.answers).get(answer, answer)


@dataclass(frozen=True)
class Domain:
    id: str
    title: str
    items: tuple[Item, ...]
    safety_critical: bool = False
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Room:
    id: str
    label: str
    must_be_seen: bool = False
    domain: str | None = None
    may_be_absent: bool = False  # since 2026.4: may be recorded as "Not in this home"


@dataclass(frozen=True)
class Rule:
    rating: str
    rule: str
    message: str
    params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrendSettings:
    """Thresholds of the cumulative-harm flags; a definition's [trends] table may change them."""

    repeat_grade: int = 3
    repeat_visits: int = 3
    worsening_visits: int = 3
    cycles: int = 2
    cycle_days: int = 183
    actions_visits: int = 2
    room_visits: int = 2  # a room that must be seen, not seen at this many visits running
    incomplete_visits: int = 2  # an Incomplete visit at this many visits running
    unseen_adult_visits: int = 1  # an adult in the home, recorded this many visits ago and never seen
    new_adult_visits: int = 1  # a new adult in the home is flagged for this many visits
    request_working_days: int = 10  # an information request unanswered after this many working days
    told_visits: int = 3  # a told item resting only on the carer's word at this many visits running
    asleep_visits: int = 2  # a baby seen only asleep at this many visits running


TREND_LIMITS = {
    "repeat_grade": (1, 5),
    "repeat_visits": (2, 20),
    "worsening_visits": (2, 20),
    "cycles": (1, 20),
    "cycle_days": (7, 1000),
    "actions_visits": (1, 20),
    "room_visits": (1, 20),
    "incomplete_visits": (1, 20),
    "unseen_adult_visits": (1, 20),
    "new_adult_visits": (1, 20),
    "request_working_days": (1, 60),
    "told_visits": (2, 20),
    "asleep_visits": (1, 20),
}
# Settings renamed since a version was published: 2026.1's `sleep_visits` counted the sleeping
# place alone; the rule now covers every room that must be seen.
TREND_RENAMED = {"sleep_visits": "room_visits"}


@dataclass(frozen=True)
class Definition:
    version: str
    published: dt.date
    title: str
    grades: tuple[Grade, ...]
    rooms: tuple[Room, ...]
    rules: tuple[Rule, ...]
    domains: tuple[Domain, ...]
    trends: TrendSettings = TrendSettings()
    # The age groups this definition was narrowed to (see for_ages); None: as published.
    ages: frozenset[str] | None = None

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for domain in self.domains for item in domain.items)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(question for domain in self.domains for question in domain.questions)

    @cached_property
    def item_labels(self) -> Mapping[str, str]:
        return MappingProxyType({item.id: item.text for item in self.items})

    # Lookups by id, built once per definition (pages call them once per item).
    @cached_property
    def _domains(self) -> Mapping[str, Domain]:
        return MappingProxyType({d.id: d for d in self.domains})

    @cached_property
    def _items(self) -> Mapping[str, Item]:
        return MappingProxyType({i.id: i for i in self.items})

    @cached_property
    def _grades(self) -> Mapping[str, Grade]:
        return MappingProxyType({g.value: g for g in self.grades})

    @cached_property
    def _rooms(self) -> Mapping[str, Room]:
        return MappingProxyType({r.id: r for r in self.rooms})

    def domain(self, domain_id: str) -> Domain:
        return self._domains[domain_id]

    def item(self, item_id: str) -> Item:
        return self._items[item_id]

    def grade(self, value: str) -> Grade:
        return self._grades[value]

    def room(self, room_id: str) -> Room:
        return self._rooms[room_id]

    @cached_property
    def weighs_evidence(self) -> bool:
        """Whether items say how they can be known (since 2026.4): the rules about the carer's
        word, ages and children seen asleep apply to visits of this version only."""
        return any(item.known_by for item in self.items)

    @cached_property
    def _narrowed(self) -> dict[frozenset[str], Definition]:
        return {}

    def for_ages(self, ages: frozenset[str]) -> Definition:
        """This definition as a visit covering children of these ages sees it: only the items asked
        for them, and only the areas with an item left. A room that must be seen still must, even
        when no item of its area is asked (a teenager's bedroom). Narrowed once per set of ages
        (there are few), so pages reading many visits share one narrowed definition and its lookups."""
        narrowed = self._narrowed.get(ages)
        if narrowed is None:
            narrowed = self._narrowed.setdefault(ages, self._narrow(ages))
        return narrowed

    def _narrow(self, ages: frozenset[str]) -> Definition:
        domains = tuple(replace(d, items=tuple(i for i in d.items if i.asked_for(ages))) for d in self.domains)
        kept = tuple(d for d in domains if d.items)
        ids = {d.id for d in kept}
        rooms = tuple(r if r.domain is None or r.domain in ids else replace(r, domain=None) for r in self.rooms)
        return replace(self, domains=kept, rooms=rooms, ages=ages)

    def asked(self, ages: frozenset[str] | None = None, rooms: Mapping[str, str] | None = None) -> frozenset[str]:
        """The ids of the items a visit asks: those for the ages of its children (every item when
        the ages are not known), less the items of a room that is not in this home."""
        absent = frozenset(r.domain for r in self.rooms if r.domain and (rooms or {}).get(r.id) == ROOM_NOT_IN_HOME)
        asked = self._asked.get((ages, absent))
        if asked is None:  # worked out once per set of ages and absent rooms: pages over many visits ask often
            asked = frozenset(i.id for i in self.items if i.asked_for(ages) and i.domain_id not in absent)
            self._asked[(ages, absent)] = asked
        return asked

    @cached_property
    def _asked(self) -> dict[tuple[frozenset[str] | None, frozenset[str]], frozenset[str]]:
        return {}


# Parameters each rule needs, with their valid range; scoring.RULES holds the functions.
RULE_PARAMS: dict[str, dict[str, tuple[float, float]]] = {
    "any_item_at_least": {"grade": (1, 5)},
    "any_item_at_least_in_safety_critical": {"grade": (1, 5)},
    "count_at_least": {"grade": (1, 5), "count": (1, 100)},
    "domain_mean_at_least": {"mean": (1, 5)},
    "required_room_not_seen": {},
    "safety_critical_on_carer_word": {"share": (0.5, 1)},
    "question_concern": {},
    "must_see_not_seen": {},
    "observable_on_carer_word": {},
}


def load_definition(path: Path | str) -> Definition:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path.name}: cannot be read: {exc}") from exc
    try:
        return _build(raw)
    except DefinitionError as exc:
        raise DefinitionError(f"{path.name}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(f"{path.name}: malformed ({exc!r})") from None


def load_definitions(*directories: Path | str) -> dict[str, Definition]:
    """Every definition in the directories, keyed by version; a version defined twice is an error."""
    definitions: dict[str, Definition] = {}
    for directory in directories or (BUILTIN_DIR,):
        for path in sorted(Path(directory).glob("*.toml")):
            definition = load_definition(path)
            if definition.version in definitions:
                raise DefinitionError(f"{path.name}: version {definition.version} is defined twice")
            definitions[definition.version] = definition
    if not definitions:
        raise DefinitionError("no checklist definition files found")
    return definitions


def current_version(definitions: dict[str, Definition]) -> str:
    """The most recently published definition is the one new assessments use; of two published
    the same day, the later version (2026.10 after 2026.9: its parts compared as numbers)."""
    return max(definitions.values(), key=lambda d: (d.published, version_order(d.version))).version


def version_order(version: str) -> tuple[tuple[int, int | str], ...]:
    """A version's parts in order: numbers as numbers (9 before 10), any other part after them."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))


def _require(condition: object, message: str) -> None:
    if not condition:
        raise DefinitionError(message)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or value.strip() == "":
        raise DefinitionError(f"{where}: '{key}' must be non-empty text")
    return value.strip()


def _looks_like(item: dict[str, Any], item_id: str) -> tuple[tuple[str, str], ...]:
    """An item's `looks_like = { 1 = "…", 3 = "…", 5 = "…" }` (or 1 to 5): all of them, or none."""
    table = item.get("looks_like")
    if table is None:
        return ()
    grades = next((g for g in DESCRIBED_GRADES if isinstance(table, dict) and tuple(sorted(table)) == g), None)
    _require(
        grades is not None,
        f"item '{item_id}': 'looks_like' must describe grades " + " or ".join(", ".join(g) for g in DESCRIBED_GRADES),
    )
    return tuple((grade, _text(table, grade, f"item '{item_id}' looks_like")) for grade in grades or ())


def _item(i: dict[str, Any], item_id: str, domain_id: str) -> Item:
    known_by = i.get("known_by")
    _require(
        known_by is None or known_by in KNOWN_BY, f"item '{item_id}': 'known_by' must be one of {', '.join(KNOWN_BY)}"
    )
    ages = i.get("ages", [])
    _require(
        isinstance(ages, list) and ages and set(ages) <= set(AGES) if "ages" in i else True,
        f"item '{item_id}': 'ages' must list some of {', '.join(AGES)}",
    )
    return Item(
        item_id,
        _text(i, "text", item_id),
        _text(i, "hint", item_id),
        domain_id,
        _looks_like(i, item_id),
        known_by,
        frozenset(ages),
        _text(i, "must_see", f"item '{item_id}'") if "must_see" in i else None,
    )


def _question(q: dict[str, Any], question_id: str, domain_id: str) -> Question:
    table = q.get("answers", ANSWERS)
    _require(
        isinstance(table, dict) and len(table) >= 2,
        f"question '{question_id}': 'answers' must list at least two answers",
    )
    answers = tuple((key, _text(table, key, f"question '{question_id}' answers")) for key in table)
    concern = q.get("concern")
    _require(
        concern in table or ("concern" not in q and "answers" in q),
        f"question '{question_id}': 'concern' must be one of {', '.join(table)}",
    )
    return Question(
        question_id,
        _text(q, "text", question_id),
        _text(q, "hint", question_id),
        domain_id,
        concern,
        answers,
        bool(q.get("checks_rooms", False)),
    )


def _build(raw: dict[str, Any]) -> Definition:
    version = _text(raw, "version", "top level")
    published = raw.get("published")
    if not isinstance(published, dt.date):
        raise DefinitionError("top level: 'published' must be a date such as 2026-11-01")

    grades = tuple(
        Grade(value=str(g["value"]), label=_text(g, "label", "grade"), hint=_text(g, "hint", "grade"))
        for g in raw.get("grades", [])
    )
    _require(
        tuple(g.value for g in grades) == SCALE,
        f"grades must be exactly {', '.join(SCALE)} in that order",
    )

    domains: list[Domain] = []
    seen_items: dict[str, str] = {}
    for d in raw.get("domains", []):
        domain_id = _text(d, "id", "domain")
        _require(domain_id not in {x.id for x in domains}, f"domain id '{domain_id}' is used twice")
        items = []
        for i in d.get("items", []):
            item_id = _text(i, "id", f"domain '{domain_id}' item")
            _require(
                item_id not in seen_items,
                f"item id '{item_id}' is used twice (domains '{seen_items.get(item_id)}' and '{domain_id}')",
            )
            seen_items[item_id] = domain_id
            items.append(_item(i, item_id, domain_id))
        questions = []
        for q in d.get("questions", []):
            question_id = _text(q, "id", f"domain '{domain_id}' question")
            _require(question_id not in seen_items, f"question id '{question_id}' is used twice")
            seen_items[question_id] = domain_id
            questions.append(_question(q, question_id, domain_id))
        _require(
            MIN_ITEMS <= len(items) <= MAX_ITEMS,
            f"domain '{domain_id}' has {len(items)} items; it needs {MIN_ITEMS} to {MAX_ITEMS}",
        )
        domains.append(
            Domain(
                domain_id,
                _text(d, "title", domain_id),
                tuple(items),
                bool(d.get("safety_critical", False)),
                tuple(questions),
            )
        )
    _require(domains, "no domains defined")
    all_items = [item for domain in domains for item in domain.items]
    described = {tuple(grade for grade, _ in item.looks_like) for item in all_items}
    _require(len(described) == 1, "either every item says what its grades look like, or none does")
    _require(
        len({item.known_by is None for item in all_items}) == 1,
        "either every item says how it can be known ('known_by'), or none does",
    )
    domain_ids = {d.id for d in domains}

    rooms: list[Room] = []
    for r in raw.get("rooms", []):
        room_id = _text(r, "id", "room")
        _require(room_id not in {x.id for x in rooms}, f"room id '{room_id}' is used twice")
        domain = r.get("domain")
        _require(domain is None or domain in domain_ids, f"room '{room_id}' names unknown domain '{domain}'")
        must = bool(r.get("must_be_seen", False))
        _require(not must or domain is not None, f"room '{room_id}' must be seen but names no domain")
        absent = bool(r.get("may_be_absent", False))
        _require(not (must and absent), f"room '{room_id}' must be seen, so it cannot be absent from a home")
        rooms.append(Room(room_id, _text(r, "label", room_id), must, domain, absent))

    rules = []
    for r in raw.get("rules", []):
        name = r.get("rule")
        _require(name in RULE_PARAMS, f"unknown rule '{name}'; known rules: {', '.join(RULE_PARAMS)}")
        rating = r.get("rating")
        _require(rating in RULE_RATINGS, f"rule '{name}': rating '{rating}' must be one of {', '.join(RULE_RATINGS)}")
        params = {}
        for param, (low, high) in RULE_PARAMS[name].items():
            value = r.get(param)
            _require(
                isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high,
                f"rule '{name}': '{param}' must be a number from {low:g} to {high:g}, not {value!r}",
            )
            params[param] = value
        rules.append(Rule(rating, name, _text(r, "message", f"rule '{name}'"), params))
    _require(rules, "no rating rules defined")

    trends = {TREND_RENAMED.get(key, key): value for key, value in raw.get("trends", {}).items()}
    for key, value in trends.items():
        _require(key in TREND_LIMITS, f"trends: unknown setting '{key}'")
        low, high = TREND_LIMITS[key]
        _require(
            isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
            f"trends: '{key}' must be a whole number from {low} to {high}",
        )

    return Definition(
        trends=TrendSettings(**trends),
        version=version,
        published=published,
        title=_text(raw, "title", "top level"),
        grades=grades,
        rooms=tuple(rooms),
        rules=tuple(rules),
        domains=tuple(domains),
    )
