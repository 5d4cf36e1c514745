"""The rating rules of ../shared/domain.md, one row per rule and edge, read as a specification."""

import pytest

from heat.checklist import load_definitions, score

DEFINITION = load_definitions()["2026.1"]
ALL_ROOMS_SEEN = {room.id: "seen" for room in DEFINITION.rooms}


def grades(default="2", **overrides):
    """Every item at `default`, with overrides by item id (dots written as __)."""
    result = {item.id: default for item in DEFINITION.items}
    result.update({key.replace("__", "."): value for key, value in overrides.items()})
    return result


def domain_all(domain_id, value, base=None):
    result = dict(base or grades())
    result.update({item.id: value for item in DEFINITION.domain(domain_id).items})
    return result


@pytest.mark.parametrize(
    "case, item_grades, rooms, rating, rule",
    [
        ("all good", grades("1"), ALL_ROOMS_SEEN, "green", None),
        ("all adequate", grades("2"), ALL_ROOMS_SEEN, "green", None),
        ("one 5 anywhere is Red", grades(general__smell="5"), ALL_ROOMS_SEEN, "red", "any_item_at_least"),
        (
            "a 5 in a non-critical domain is still Red",
            grades(outside__water="5"),
            ALL_ROOMS_SEEN,
            "red",
            "any_item_at_least",
        ),
        (
            "a 4 in sleep is Red",
            grades(sleep__mattress="4"),
            ALL_ROOMS_SEEN,
            "red",
            "any_item_at_least_in_safety_critical",
        ),
        (
            "a 4 in bathing is Red",
            grades(bathing__never_alone="4"),
            ALL_ROOMS_SEEN,
            "red",
            "any_item_at_least_in_safety_critical",
        ),
        (
            "a 4 in safety hazards is Red",
            grades(safety__smoke_alarm="4"),
            ALL_ROOMS_SEEN,
            "red",
            "any_item_at_least_in_safety_critical",
        ),
        (
            "three 4s anywhere are Red",
            grades(general__smell="4", kitchen__food="4", warmth__toys="4"),
            ALL_ROOMS_SEEN,
            "red",
            "count_at_least",
        ),
        (
            "two 4s outside critical domains are Amber",
            grades(general__smell="4", kitchen__food="4"),
            ALL_ROOMS_SEEN,
            "amber",
            "any_item_at_least",
        ),
        (
            "one 4 outside critical domains is Amber",
            grades(kitchen__knives="4"),
            ALL_ROOMS_SEEN,
            "amber",
            "any_item_at_least",
        ),
        (
            "three 3s are Amber",
            grades(general__smell="3", kitchen__food="3", sleep__position="3"),
            ALL_ROOMS_SEEN,
            "amber",
            "count_at_least",
        ),
        ("two 3s are Green", grades(general__smell="3", kitchen__food="3"), ALL_ROOMS_SEEN, "green", None),
        (
            "domain mean of exactly 3 is Amber",
            domain_all("carer", "3", grades("1")),
            ALL_ROOMS_SEEN,
            "amber",
            "domain_mean_at_least",
        ),
        (
            "kitchen room not seen is Incomplete",
            grades(),
            {**ALL_ROOMS_SEEN, "kitchen": "not_seen"},
            "incomplete",
            "required_room_not_seen",
        ),
        (
            "sleeping place refused is Incomplete",
            grades(),
            {**ALL_ROOMS_SEEN, "sleeping_place": "refused"},
            "incomplete",
            "required_room_not_seen",
        ),
        (
            "every bathing item Not seen is Incomplete",
            domain_all("bathing", "NS"),
            ALL_ROOMS_SEEN,
            "incomplete",
            "required_room_not_seen",
        ),
        ("one sleep item Not seen is not Incomplete", grades(sleep__mattress="NS"), ALL_ROOMS_SEEN, "green", None),
        (
            "living room not seen does not matter",
            grades(),
            {**ALL_ROOMS_SEEN, "living_room": "not_seen"},
            "green",
            None,
        ),
        (
            "Red beats Incomplete",
            grades(safety__drugs_weapons="5"),
            {**ALL_ROOMS_SEEN, "kitchen": "not_seen"},
            "red",
            "any_item_at_least",
        ),
        (
            "Incomplete beats Amber: never Green either",
            grades(kitchen__knives="4"),
            {**ALL_ROOMS_SEEN, "bathroom": "not_seen"},
            "incomplete",
            "required_room_not_seen",
        ),
        ("Not applicable is not a concern", domain_all("outside", "NA"), ALL_ROOMS_SEEN, "green", None),
        (
            "a missing grade counts as Not seen",
            {k: v for k, v in grades().items() if not k.startswith("kitchen.")},
            ALL_ROOMS_SEEN,
            "incomplete",
            "required_room_not_seen",
        ),
    ],
)
def test_overall_rating(case, item_grades, rooms, rating, rule):
    result = score(DEFINITION, item_grades, rooms)
    assert result.rating == rating, case
    if rule is None:
        assert result.deciding_reasons == ()
    else:
        assert result.deciding_reasons[0].rule == rule


def test_reasons_name_the_items_in_plain_words():
    result = score(DEFINITION, grades(sleep__sharing="4", general__smell="5"), ALL_ROOMS_SEEN)
    texts = [f.text for r in result.reasons for f in r.findings]
    assert "General condition and hygiene: Smell graded 5 Dangerous" in texts
    assert "Sleep: Sofa-sleeping and bed-sharing graded 4 Serious" in texts
    assert result.deciding_reasons[0].message.startswith("Graded 5 Dangerous")
    assert {r.rating for r in result.other_reasons} >= {"amber"}


def test_domain_profile_excludes_not_seen_and_not_applicable_from_the_mean():
    g = grades("1", kitchen__food="4", kitchen__storage="NS", kitchen__surfaces="NA", kitchen__bottles="3")
    kitchen = next(p for p in score(DEFINITION, g, ALL_ROOMS_SEEN).profile if p.domain_id == "kitchen")
    assert kitchen.worst == 4
    assert kitchen.mean == pytest.approx((4 + 3 + 1 + 1) / 4)
    assert kitchen.graded == 4
    assert kitchen.not_seen == 1


def test_profile_of_a_domain_with_nothing_graded_is_empty():
    outside = next(
        p for p in score(DEFINITION, domain_all("outside", "NA"), ALL_ROOMS_SEEN).profile if p.domain_id == "outside"
    )
    assert (outside.worst, outside.mean, outside.graded) == (None, None, 0)


def test_good_average_never_hides_a_dangerous_item():
    result = score(DEFINITION, grades("1", safety__products="5"), ALL_ROOMS_SEEN)
    assert result.mean < 1.2
    assert result.rating == "red"


NEWER = load_definitions()["2026.2"]


def on_carer_word(domain_id, share_told=1.0):
    """Sources for a visit where `share_told` of the domain's items rest on what the carer said."""
    items = NEWER.domain(domain_id).items
    told = round(len(items) * share_told)
    return {i.id: ("carer_said" if n < told else "observed") for n, i in enumerate(items)}


@pytest.mark.parametrize(
    "case, sources, rating",
    [
        ("everything observed", {}, "green"),
        ("sleep graded only on what the carer said", on_carer_word("sleep"), "amber"),
        ("bathing graded only on what the carer said", on_carer_word("bathing"), "amber"),
        ("sleep partly observed", on_carer_word("sleep", 0.5), "green"),
        ("a non-critical area on the carer's word", on_carer_word("kitchen"), "green"),
        ("another agency's word is not the carer's", {i.id: "agency" for i in NEWER.domain("sleep").items}, "green"),
    ],
)
def test_a_safety_critical_area_on_the_carers_word_alone_is_never_green(case, sources, rating):
    all_seen = {room.id: "seen" for room in NEWER.rooms}
    result = score(NEWER, grades(), all_seen, {i.id: "observed" for i in NEWER.items} | sources)
    assert result.rating == rating, case
    if rating == "amber":
        (reason,) = result.deciding_reasons
        assert reason.rule == "safety_critical_on_carer_word"
        assert "only on what the parent or carer said" in reason.message
        assert "rest only on what the parent or carer said" in reason.findings[0].text


def test_visits_made_with_2026_1_keep_their_scores_exactly():
    """The evidence rule is in 2026.2 only: the same answers under 2026.1 score as they always did."""
    sources = {i.id: "carer_said" for i in DEFINITION.items}
    for item_grades in (grades(), grades(kitchen__food="3", general__smell="3"), grades(sleep__mattress="4")):
        old = score(DEFINITION, item_grades, ALL_ROOMS_SEEN, sources)
        assert old == score(DEFINITION, item_grades, ALL_ROOMS_SEEN)
    assert score(DEFINITION, grades(), ALL_ROOMS_SEEN, sources).rating == "green"
    assert score(NEWER, grades(), ALL_ROOMS_SEEN, sources).rating == "amber"
