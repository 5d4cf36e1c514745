"""Bad input of any shape: a clear message on the page, stored data unchanged, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from heat.extensions import db
from heat.models import ItemGrade
from tests import helpers
from tests.test_assessment_flow import definition, stored


@pytest.fixture
def draft(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    assert (
        helpers.save(
            client, assessment_id, "kitchen", helpers.domain_data(definition(app), "kitchen", default="3")
        ).status_code
        == 302
    )
    return client, assessment_id


def future(days=1):
    day = dt.date.today() + dt.timedelta(days=days)
    return [str(day.day), str(day.month), str(day.year)]


@pytest.mark.parametrize(
    "section, change, message",
    [
        ("kitchen", {"grade_kitchen__food": ""}, "Select a grade for food for the child"),
        ("kitchen", {"grade_kitchen__food": "7"}, "Select one of the options for Food for the child"),
        ("kitchen", {"source_kitchen__food": ""}, "Select how you know about food for the child"),
        ("kitchen", {"comment_kitchen__food": "x" * 2001}, "must be 2000 characters or fewer"),
        ("visit", {"visit_date": ["31", "2", "2026"]}, "Date of visit must be a real date"),
        ("visit", {"visit_date": ["aa", "bb", "cccc"]}, "Date of visit must be a real date"),
        ("visit", {"visit_date": future()}, "Date of visit must be today or in the past"),
        ("visit", {"visit_time": "25:61"}, "Enter the time of the visit as a real time, like 14:30 or 2.30pm"),
        ("visit", {"plan_category": ""}, "Select the Child Protection category"),
        ("visit", {"joint_visitor": "y" * 201}, "must be 200 characters or fewer"),
        ("visit", {"visit_type": "holiday"}, "Select one of the options for Visit type"),
        ("rooms", {"status_kitchen": "not_seen", "reason_kitchen": ""}, "Kitchen: say why it was not seen"),
        ("people", {"people-0-name": ""}, "Enter a name or description for this person"),
        ("people", {"people-3-sex": "robot"}, "Select one of the options for Sex"),
        ("voice", {"voice_": ""}, "&#39;s voice: what "),  # each child's own voice (a field per child)
        ("actions", {"actions-0-due_date": ["1", "13", "2026"]}, "Due date must be a real date"),
        ("actions", {"next_visit_date": ["", "", ""]}, "Enter the date of the next visit"),
    ],
)
def test_bad_answers_get_a_message_and_change_nothing(app, draft, section, change, message):
    client, assessment_id = draft
    valid = {
        "kitchen": helpers.domain_data(definition(app), "kitchen", default="1"),
        "visit": helpers.visit_data(),
        "rooms": helpers.rooms_data(definition(app)),
        "people": helpers.people_data(),
        "voice": {**helpers.voice_data(), **helpers.each_child_seen(client, assessment_id)},
        "actions": helpers.actions_data(),
    }[section]
    before = stored(app, assessment_id)
    # A key ending "_" stands for the field of that kind for the child on the visit ("voice_" is voice_<id>).
    change = {
        next((k for k in valid if k.startswith(key)), key) if key.endswith("_") else key: v for key, v in change.items()
    }
    response = helpers.save(client, assessment_id, section, {**valid, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and 'class="govuk-error-summary"' in page
    assert message in page
    after = stored(app, assessment_id)
    assert (after.version, after.grade_map) == (before.version, before.grade_map)


def test_a_stale_or_garbled_version_is_a_conflict_not_a_500(app, draft):
    client, assessment_id = draft
    for version in ["0", "abc", "", "99999999999999999999"]:
        response = client.post(
            helpers.section_url(assessment_id, "kitchen"),
            data={
                "csrf_token": client.token,
                "version": version,
                "save": "x",
                **helpers.domain_data(definition(app), "kitchen", default="1"),
            },
        )
        assert response.status_code == 409, version
    assert set(stored(app, assessment_id).grade_map.values()) == {"3"}


FIELD_NAMES = st.sampled_from(
    [
        "grade_kitchen__food",
        "source_kitchen__food",
        "comment_kitchen__food",
        "version",
        "save",
        "save_later",
        "visit_date",
        "visit_time",
        "people-0-name",
        "actions-9-task",
        "status_kitchen",
        "team_id",
    ]
)
VALUES = st.one_of(
    st.text(max_size=300), st.sampled_from(["1", "5", "NS", "NA", "observed", "", "-1", "\x00", "31", "2026"])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    section=st.sampled_from(["kitchen", "visit", "people", "rooms", "voice", "actions", "sleep"]),
    form=st.dictionaries(FIELD_NAMES, st.one_of(VALUES, st.lists(VALUES, max_size=4)), max_size=8),
)
def test_any_posted_form_gets_a_page_never_a_500(app, draft, section, form):
    client, assessment_id = draft
    response = client.post(helpers.section_url(assessment_id, section), data={"csrf_token": client.token, **form})
    assert response.status_code in (200, 302, 409), response.status_code


def test_control_and_bidi_characters_are_removed_before_storage(app, draft):
    """A NUL breaks PostgreSQL; right-to-left overrides make a printed comment read backwards."""
    client, assessment_id = draft
    comment = "Mould\x00 behind\u202e the cot\x07\tand\nby the window"
    response = client.post(
        helpers.section_url(assessment_id, "kitchen"),
        data={
            "csrf_token": client.token,
            "version": helpers.field_value(
                client.get(helpers.section_url(assessment_id, "kitchen")).get_data(as_text=True), "version"
            ),
            "save": "x",
            **helpers.domain_data(definition(app), "kitchen"),
            "comment_kitchen__food": comment,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        grade = db.session.scalar(
            select(ItemGrade).where(ItemGrade.assessment_id == assessment_id, ItemGrade.item_id == "kitchen.food")
        )
        assert grade.comment == "Mould behind the cot\tand\nby the window"


@pytest.mark.parametrize("key", ["\x00", "key\x00with-nul", "'; drop table x; --", "é" * 80])
def test_odd_save_keys_are_cleaned_not_a_500(app, draft, key):
    client, assessment_id = draft
    page = client.get(helpers.section_url(assessment_id, "sleep")).get_data(as_text=True)
    response = client.post(
        helpers.section_url(assessment_id, "sleep"),
        data={
            "csrf_token": client.token,
            "version": helpers.field_value(page, "version"),
            "save_key": key,
            "save": "x",
            **helpers.domain_data(definition(app), "sleep"),
        },
    )
    assert response.status_code == 302
