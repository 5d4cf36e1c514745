"""The checklist definition loader: the shipped file is valid, and every malformed file is refused
with a message naming the problem."""

import re

import pytest

from heat.checklist import DefinitionError, load_definition, load_definitions
from heat.checklist.definition import BUILTIN_DIR, current_version

SOURCE = (BUILTIN_DIR / "heat-2026.1.toml").read_text()


def test_shipped_definition_has_eight_domains_of_four_to_eight_items():
    definition = load_definitions()["2026.1"]
    assert len(definition.domains) == 8
    assert all(4 <= len(d.items) <= 8 for d in definition.domains)
    assert {d.id for d in definition.domains if d.safety_critical} == {"sleep", "bathing", "safety"}
    assert {r.domain for r in definition.rooms if r.must_be_seen} == {"kitchen", "bathing", "sleep"}
    assert [g.display for g in definition.grades] == [
        "1 Good",
        "2 Adequate",
        "3 Some concern",
        "4 Serious",
        "5 Dangerous",
        "Not seen",
        "Not applicable",
    ]
    assert all(item.hint for item in definition.items)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.replace('id = "kitchen.knives"', 'id = "kitchen.food"'), "item id 'kitchen.food' is used twice"),
        (lambda s: s.replace('rule = "count_at_least"', 'rule = "count_above"', 1), "unknown rule 'count_above'"),
        (lambda s: s.replace("grade = 5\n", "grade = 6\n", 1), "'grade' must be a number from 1 to 5"),
        (lambda s: s.replace("mean = 3.0", "mean = 0.5"), "'mean' must be a number from 1 to 5"),
        (lambda s: s.replace("count = 3", "count = 0", 1), "'count' must be a number from 1 to 100"),
        (lambda s: s.replace('rating = "amber"', 'rating = "purple"', 1), "rating 'purple' must be one of"),
        (
            lambda s: s.replace('domain = "sleep"', 'domain = "bedroom"'),
            "room 'sleeping_place' names unknown domain 'bedroom'",
        ),
        (lambda s: s.replace('value = "NA"', 'value = "N/A"'), "grades must be exactly"),
        (lambda s: s.replace('version = "2026.1"', 'version = ""'), "'version' must be non-empty text"),
        (lambda s: s.replace("published = 2026-11-01", 'published = "soon"'), "'published' must be a date"),
        (
            lambda s: re.sub(
                r'\n  \[\[domains\.items\]\]\n  id = "outside\.(water|boundary|play)"'
                r'\n  text = "[^"]*"\n  hint = "[^"]*"\n',
                "\n",
                s,
            ),
            "domain 'outside' has 1 items; it needs 4 to 8",
        ),
        (lambda s: s.replace("[[rules]]", "[[rules_off]]"), "no rating rules defined"),
        (lambda s: s + "\n[[nonsense", "cannot be read"),
    ],
)
def test_malformed_definitions_are_refused_with_the_problem_named(tmp_path, change, message):
    path = tmp_path / "bad.toml"
    changed = change(SOURCE)
    assert changed != SOURCE
    path.write_text(changed)
    with pytest.raises(DefinitionError) as error:
        load_definition(path)
    assert message in str(error.value)
    assert "bad.toml" in str(error.value)


def test_the_same_version_twice_is_refused(tmp_path):
    (tmp_path / "copy.toml").write_text(SOURCE)
    with pytest.raises(DefinitionError, match="version 2026.1 is defined twice"):
        load_definitions(BUILTIN_DIR, tmp_path)


def test_of_two_versions_published_the_same_day_the_later_number_is_current(tmp_path):
    """2026.10 comes after 2026.9 (compared as text, "2026.10" < "2026.9")."""
    for version in ("2026.9", "2026.10"):
        text = SOURCE.replace('version = "2026.1"', f'version = "{version}"').replace("2026-11-01", "2027-02-01")
        (tmp_path / f"heat-{version}.toml").write_text(text)
    assert current_version(load_definitions(tmp_path)) == "2026.10"
