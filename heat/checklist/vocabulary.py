"""The words HEAT counts with, each defined once: grades, room states and ratings.

Everything that names a rating (its label, how bad it is, its GOV.UK tag colour, its chart
marker) or a room state reads it from here; nothing else spells them out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

GRADED = ("1", "2", "3", "4", "5")
NOT_SEEN = "NS"
NOT_APPLICABLE = "NA"
SCALE = (*GRADED, NOT_SEEN, NOT_APPLICABLE)

# How the practitioner knows a grade; only what they were told weighs less than what they saw.
OBSERVED, CARER_SAID, AGENCY = "observed", "carer_said", "agency"

# How an item can be known (from 2026.4): what can be seen (a cot, a bath seat, an alarm) or only
# told (a routine, a plan). An observable item known only from the carer's word is not yet known.
OBSERVABLE, TOLD = "observable", "told"
KNOWN_BY = {OBSERVABLE: "Observable", TOLD: "Told"}

# The ages an item applies to (from 2026.4), youngest first; a visit asks an item when any child
# on it is of one of its ages.
UNBORN, UNDER_1 = "unborn", "under_1"
AGES = {UNBORN: "Unborn", UNDER_1: "Under 1", "1_to_4": "1 to 4", "5_to_11": "5 to 11", "12_plus": "12 and over"}

ROOM_SEEN, ROOM_NOT_SEEN, ROOM_REFUSED = "seen", "not_seen", "refused"
ROOM_STATUSES = {ROOM_SEEN: "Seen", ROOM_NOT_SEEN: "Not seen", ROOM_REFUSED: "Refused"}
# A room the home does not have (no garden): never unseen, never asked about (from 2026.4, for the
# rooms a definition says may be absent).
ROOM_NOT_IN_HOME = "not_in_home"
ROOM_NOT_IN_HOME_LABEL = "Not in this home"
# A room not seen, whatever the reason: it needs a reason recorded and it never counts as fine.
ROOM_UNSEEN = (ROOM_NOT_SEEN, ROOM_REFUSED)

# How each child on a visit was seen (from 2026.4). Seen asleep is recorded as what it was.
CHILD_SEEN_AWAKE, CHILD_SEEN_ASLEEP, CHILD_NOT_SEEN = "awake", "asleep", "not_seen"
CHILD_SEEN = {CHILD_SEEN_AWAKE: "Seen awake", CHILD_SEEN_ASLEEP: "Seen asleep", CHILD_NOT_SEEN: "Not seen"}


@dataclass(frozen=True)
class Rating:
    id: str
    label: str
    # How worrying a visit with this rating is: Green 0 ... Red 3. Incomplete sits above Amber:
    # a home that was not all seen can never read as better than one that was.
    rank: int
    tag: str  # GOV.UK Frontend tag class
    colour: str  # chart marker colour (GOV.UK palette)
    letter: str  # chart marker letter, so colour is never the only cue
    shape: str  # chart marker shape


RED = Rating("red", "Red", 3, "govuk-tag--red", "#d4351c", "R", "triangle")
INCOMPLETE = Rating("incomplete", "Incomplete", 2, "govuk-tag--grey", "#505a5f", "I", "square")
AMBER = Rating("amber", "Amber", 1, "govuk-tag--orange", "#f47738", "A", "diamond")
GREEN = Rating("green", "Green", 0, "govuk-tag--green", "#00703c", "G", "circle")

# Most worrying first: the order of the dashboard and of chart legends.
RATINGS: dict[str, Rating] = {r.id: r for r in (RED, INCOMPLETE, AMBER, GREEN)}
# The ratings a definition's rules may give; Green is what is left when none matches.
RULE_RATINGS = (RED.id, INCOMPLETE.id, AMBER.id)


# Direction of travel since the previous visit (see trends.direction), in words, with the order
# in which they need attention: a visit where not everything was seen sorts with the worsening ones.
DIRECTIONS = {
    "worse": "Worse",
    "incomplete": "Not everything was seen",
    "was_unseen": "Not all seen the visit before",
    "same": "No change",
    "better": "Better",
}
# Drawn after the words, hidden from screen readers: worse points up, as on the trend chart.
DIRECTION_ARROWS = {"worse": "↑", "better": "↓"}


def rating(rating_id: str) -> Rating:
    return RATINGS[rating_id]


def age_group(date_of_birth: dt.date | None, day: dt.date) -> str:
    """Which of AGES a child is in on a day: unborn without a date of birth (or born after it)."""
    if date_of_birth is None or date_of_birth > day:
        return UNBORN
    years = day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))
    return UNDER_1 if years < 1 else "1_to_4" if years < 5 else "5_to_11" if years < 12 else "12_plus"
