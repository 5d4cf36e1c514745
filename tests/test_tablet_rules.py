"""The rules a section page carries for the tablet (forms/assessment.py, tablet_rules) are the
server's own: a section sent with nothing in it gets, in the same order, every message the page
says it would give, and a room not seen without a reason gets the rule's message."""

from __future__ import annotations

import json

from tests import helpers
from tests.test_assessment_flow import definition


def rules_and_errors(client, path: str, data: dict) -> tuple[list[dict], list[str]]:
    page = client.get(path).get_data(as_text=True)
    rules = json.loads(helpers.page(page).select_one("script[data-heat-rules]").string)
    fields = {"csrf_token": client.token, "save": "Save and continue"}
    fields |= {name: helpers.field_value(page, name) for name in ("version", "save_key")}
    refused = client.post(path, data={**fields, **data})
    assert refused.status_code == 200
    summary = helpers.page(refused).select(".govuk-error-summary__list a")
    return rules, [" ".join(a.get_text().split()) for a in summary]


def test_every_needed_answer_the_page_checks_is_one_the_server_asks_for_with_the_same_words(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    task_list = helpers.page(client.get(f"/assessments/{assessment_id}"))
    sections = [a["href"] for a in task_list.select("a.govuk-task-list__link")]
    assert len(sections) >= 10
    checked = 0
    for section in sections:
        rules, errors = rules_and_errors(client, section, {})
        needed = [rule["required"] for rule in rules if "required" in rule]
        assert [error for error in errors if error in needed] == needed, section
        checked += len(needed)
    assert checked > 60


def test_a_room_not_seen_without_a_reason_gets_the_message_the_page_carries(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    answers = helpers.rooms_data(definition(app), kitchen="not_seen")
    del answers["reason_kitchen"]
    rules, errors = rules_and_errors(client, f"/assessments/{assessment_id}/sections/rooms", answers)
    (reason,) = [rule for rule in rules if rule["name"] == "reason_kitchen"]
    assert reason["required_when"]["name"] == "status_kitchen"
    assert "not_seen" in reason["required_when"]["values"]
    assert reason["too_long"] == "Kitchen: why was it not seen? must be 500 characters or fewer"
    assert errors == [reason["required_when"]["message"]] == ["Kitchen: say why it was not seen"]
