"""The words HEAT counts with and shows, each defined once: grades, room states and ratings, and
every stored code's label (roles, plans, statuses, answers).

Everything that names a rating (its label, how bad it is, its GOV.UK tag colour, its chart
marker), a room state or a stored code's words reads it from here: the checklist core, the
models, the services, the forms and (through the `labels` global) the templates; nothing else
spells them out.
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


# --- the words of the records: each stored code and its label, as every page, form, PDF and ----
# service shows it.

ROLES = {
    "practitioner": "Practitioner",
    "supervisor": "Supervisor",
    "auditor": "Auditor",
    "admin": "Administrator",
}
# How a user hears of a Red visit for their team or a decision on their visit ("Your account").
EMAIL_CHOICES = {"immediate": "Immediately, one email each time", "daily": "In a daily summary"}
PLAN_STATUSES = {
    "none": "No plan",
    "early_help": "Early help",
    "cin": "Child in Need plan",
    "cp": "Child Protection plan",
}
# PLAN_STATUSES is in order of how much the plan asks of the family: lower to higher.
# What became of a plan change: "made" took effect with nothing awaited (a change of CP category,
# or made before step-downs needed agreeing); "to_note", a step-up that took effect at once and
# waits in the supervisors' queue, then "noted"; "requested", a step-down waiting for a supervisor
# who did not ask for it, then "agreed" (takes effect) or "not_agreed" (the plan stays as it was),
# or "withdrawn" when the plan went up before anyone decided.
PLAN_CHANGE_STATUSES = {
    "made": "Made",
    "to_note": "Waiting to be noted by a supervisor",
    "noted": "Noted by a supervisor",
    "requested": "Step-down requested",
    "agreed": "Agreed",
    "not_agreed": "Not agreed",
    "withdrawn": "Withdrawn: the plan changed before a decision",
}
PLAN_DECISIONS = {"agreed": "Agreed", "not_agreed": "Not agreed"}
# The plan changes that have taken effect.
PLAN_IN_EFFECT = ("made", "to_note", "noted", "agreed")
CP_CATEGORIES = {
    "neglect": "Neglect",
    "physical": "Physical abuse",
    "emotional": "Emotional abuse",
    "sexual": "Sexual abuse",
}
VISIT_TYPES = {"cp": "Child Protection", "cin": "Child in Need", "early_help": "Early help", "health": "Health"}
EVIDENCE_SOURCES = {OBSERVED: "Observed", CARER_SAID: "Parent or carer said", AGENCY: "Another agency"}
ACTION_STATUSES = {"open": "Not yet done", "done": "Done", "not_done": "Not done", "dropped": "Dropped"}
# An action carries forward to the next visit until it is done, or dropped with a reason.
ACTIONS_CLOSED = ("done", "dropped")
ACTIONS_OUTSTANDING = ("open", "not_done")
DECISIONS = {"agreed": "Agreed", "returned": "Returned for changes", "escalated": "Escalated"}
# A supervisor's answer to each active cumulative-harm flag before recording a decision.
FLAG_RESPONSES = {
    "discussed": "Discussed with the worker",
    "plan_changed": "Plan changed",
    "escalated": "Escalated",
    "no_action": "No action needed",
}
# Draft and Returned can be changed; the others are final records of a visit.
ASSESSMENT_STATUSES = {
    "draft": "Draft",
    "submitted": "Awaiting review",
    "returned": "Returned for changes",
    "agreed": "Agreed",
    "escalated": "Escalated",
    "erased": "Erased under the retention rule",
}
EDITABLE = ("draft", "returned")
RECORDED = ("submitted", "agreed", "escalated")
CHRONOLOGY_SOURCES = {
    "agency": "Another agency",
    "out_of_area": "An out-of-area agency",
    "family": "Family",
    "other": "Other",
}
RESIDENCE = {
    "lives_here": "Lives here",
    "stays_overnight": "Stays overnight",
    "visiting": "Visits",
    "contact": "Does not live here but has contact with the child",
}
RELATIONSHIPS = {
    "mother": "Mother",
    "father": "Father",
    "mothers_partner": "Mother's partner",
    "fathers_partner": "Father's partner",
    "grandparent": "Grandparent",
    "other_relative": "Other relative",
    "friend_or_lodger": "Friend or lodger",
    "not_known": "Not known",
}
PARENTS = ("mother", "father")
SEX = {"female": "Female", "male": "Male", "other": "Other or not known"}
YES_NO_UNKNOWN = {"yes": "Yes", "no": "No", "unknown": "Not known"}
VERSION_EVENTS = {
    "recorded": "Recorded before version history",
    "submitted": "Submitted",
    "resubmitted": "Submitted again after changes",
    "agreed": "Agreed",
    "returned": "Returned for changes",
    "escalated": "Escalated",
}
HOME_KINDS = {
    "family_home": "Family home",
    "supported": "Supported accommodation",
    "temporary": "Temporary accommodation",
    "relatives": "With relatives",
    "other": "Other",
}
REFERRALS = {
    "fire_service": "Fire service home safety check",
    "housing": "Housing",
    "health_visitor": "Health visitor",
    "safer_sleep": "Safer sleep advice",
}
PARENT_AGREES = {"yes": "Yes", "partly": "Partly", "no": "No"}
ADVICE = {
    "safer_sleep": "Safer sleep",
    "bath_safety": "Bath safety",
    "home_safety": "Home safety and accident prevention",
    "smoking": "Smoke-free home",
    "feeding": "Feeding and formula",
    "icon": "Coping with crying (ICON)",
}
# The assessment fields printed on the family copy, and only these: the form marks each one
# "The family will see this". Worries, practitioner notes, answers about other people and the
# questions meant for the worker are never among them.
FAMILY_SEES = frozenset(
    {
        "strengths",
        "advice_given",
        "task",
        "owner",
        "due_date",
        "next_visit_date",
        "parent_view",
        "parent_rating",
        "parent_agrees",
    }
)
FAMILY_SEES_HINT = "The family will see this."
NO_ACCESS_REASONS = {
    "no_answer": "Nobody answered",
    "refused": "Refused entry",
    "away": "Family away",
}
FAMILY_HISTORY_KINDS = {
    "children_removed": "Previous children removed or on plans",
    "cp_plans": "Previous child protection plans",
    "areas": "Previous areas lived in",
    "domestic_abuse": "Domestic abuse",
    "substance_misuse": "Parental substance misuse",
    "mental_health": "Parental mental health",
    "serious_incidents": "Previous serious incidents",
}
# The kinds whose entries must say where and from when (the review's "where, when").
FAMILY_HISTORY_PLACED = ("children_removed", "cp_plans", "areas")
FAMILY_HISTORY_ABOUT = {"child": "This child", "household": "The whole household"}
PRACTICE_CASE_STATUSES = {"draft": "Draft", "published": "Published"}
YES_NO = {"yes": "Yes", "no": "No"}
INFANT_AWAKE = {"yes": "Yes", "no": "No", "na": "Not applicable (not an infant)"}
SEEN_ALONE = {"yes": "Yes", "no": "No", "na": "Not applicable (too young, or not seen)"}

# What templates read as `labels.<name>[code]` (registered in views/filters.py).
TEMPLATE_LABELS = {
    "visit_type": VISIT_TYPES,
    "room": {**ROOM_STATUSES, ROOM_NOT_IN_HOME: ROOM_NOT_IN_HOME_LABEL},
    "child_seen": CHILD_SEEN,
    "evidence": EVIDENCE_SOURCES,
    "residence": RESIDENCE,
    "sex": SEX,
    "yes_no": YES_NO_UNKNOWN,
    "direction": DIRECTIONS,
    "plan": PLAN_STATUSES,
    "cp_category": CP_CATEGORIES,
    "action_status": ACTION_STATUSES,
    "advice": ADVICE,
    "parent_agrees": PARENT_AGREES,
}
