"""Forms a practitioner can use with any body and any tablet: times as people write them, error
links that land on a control, questions named with their item, "Change" that comes back, a short
Check answers, a confirmation after submitting, and a way to ask for help."""

from __future__ import annotations

import pytest

from tests import helpers
from tests.test_assessment_flow import definition, stored


@pytest.fixture
def draft(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Tia", "Invented")
    client = signed_in(worker)
    return client, helpers.start(client, child.id)


@pytest.mark.parametrize(
    "typed, kept", [("2.30pm", "14:30"), ("2:30 pm", "14:30"), ("14:30", "14:30"), ("9am", "09:00")]
)
def test_times_are_read_as_people_write_them(app, draft, typed, kept):
    client, assessment_id = draft
    response = helpers.save(client, assessment_id, "visit", {**helpers.visit_data(), "visit_time": typed})
    assert response.status_code == 302
    page = client.get(helpers.section_url(assessment_id, "visit")).get_data(as_text=True)
    assert helpers.field_value(page, "visit_time") == kept


def test_error_links_land_on_a_control_that_exists(app, draft):
    client, assessment_id = draft
    visit = helpers.save(client, assessment_id, "visit", {"visit_time": "half two"}).get_data(as_text=True)
    document = helpers.page(visit)
    links = [a["href"] for a in document.select(".govuk-error-summary a")]
    assert "#visit_date-day" in links and "#visit_time" in links
    assert "Enter the time of the visit as a real time, like 14:30 or 2.30pm" in visit
    people = helpers.page(helpers.save(client, assessment_id, "people", {}).get_data(as_text=True))
    for href in [a["href"] for a in people.select(".govuk-error-summary a")]:
        assert people.find(id=href.lstrip("#")) is not None, href
    assert people.select_one('.govuk-error-summary a[href="#people-0-name"]') is not None


def test_each_items_questions_are_named_with_the_item(app, draft):
    client, assessment_id = draft
    page = helpers.page(client.get(helpers.section_url(assessment_id, "general")))
    legends = [legend.get_text(" ", strip=True) for legend in page.select("legend")]
    assert "How do you know: Floors and surfaces" in legends
    assert page.find("label", string=lambda s: s and "Comment on floors and surfaces (optional)" in s)
    # The grades read 1 to 5 in one column, then Not seen and Not applicable after a divider.
    scale = page.select_one(".heat-grade-scale")
    values = [i["value"] for i in scale.select("input[type=radio]")]
    assert values == ["1", "2", "3", "4", "5", "NS", "NA"]


def test_change_on_check_answers_comes_back_to_check_answers(app, draft):
    client, assessment_id = draft
    helpers.complete(client, assessment_id, definition(app))
    check = helpers.page(client.get(f"/assessments/{assessment_id}/check"))
    change = next(a["href"] for a in check.select(".govuk-summary-card a") if "sections/kitchen" in a["href"])
    assert change.endswith("?from=check")
    html = client.get(change).get_data(as_text=True)
    response = client.post(
        change,
        data={
            "csrf_token": client.token,
            "version": helpers.field_value(html, "version"),
            "save": "x",
            **helpers.domain_data(definition(app), "kitchen", {"kitchen.food": "3"}),
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/assessments/{assessment_id}/check"


def test_check_answers_shows_each_section_once_and_only_needed_answers_as_missing(app, draft):
    client, assessment_id = draft
    helpers.complete(client, assessment_id, definition(app))
    page = helpers.page(client.get(f"/assessments/{assessment_id}/check"))
    titles = [t.get_text(strip=True) for t in page.select(".govuk-summary-card__title")]
    assert titles.count("Kitchen and food") == 1
    assert [h.get_text(strip=True) for h in page.select("h2")].count("Kitchen and food") == 1  # no repeated heading
    assert "Not answered" not in page.get_text()  # every needed answer was given; empty optional ones are left out
    kitchen = next(c for c in page.select(".govuk-summary-card") if "Kitchen and food" in c.get_text())
    assert "2 Adequate. Observed" in kitchen.get_text(" ")  # the grade with how the practitioner knows
    joint = [k.get_text(strip=True) for k in page.select(".govuk-summary-list__key")]
    assert "Joint visitor (if any)" not in joint


def test_a_confirmation_after_submitting(app, draft):
    client, assessment_id = draft
    helpers.complete(client, assessment_id, definition(app))
    response = helpers.submit(client, assessment_id)
    assert response.headers["Location"] == f"/assessments/{assessment_id}/submitted"
    page = helpers.page(client.get(response.headers["Location"]))
    assert page.select_one(".govuk-panel__title").get_text(strip=True) == "Assessment submitted"
    assert "Overall rating: Green" in page.select_one(".govuk-panel__body").get_text(" ", strip=True)
    assert "What happens next" in page.get_text() and stored(app, assessment_id).status == "submitted"


def test_help_is_one_link_away_on_every_page(app, draft):
    client, assessment_id = draft
    for visitor, url in (
        (app.test_client(), "/sign-in"),
        (client, "/caseload"),
        (client, f"/assessments/{assessment_id}"),
    ):
        page = helpers.page(visitor.get(url))
        help_link = page.find("a", string="Help")
        assert help_link is not None and help_link["href"].startswith(f"mailto:{app.config['HEAT_SUPPORT_EMAIL']}")


def test_people_and_actions_add_and_remove_rows_without_javascript(app, draft):
    client, assessment_id = draft
    url = helpers.section_url(assessment_id, "people")
    page = helpers.page(client.get(url))
    assert len(page.select("[data-heat-rows=people] > fieldset")) == 1  # no wall of blank rows
    version = helpers.field_value(str(page), "version")
    typed = {"csrf_token": client.token, "version": version, "people-0-name": "Mother (invented)"}
    added = helpers.page(client.post(url, data={**typed, "add_row": "people"}))
    rows = added.select("[data-heat-rows=people] > fieldset")
    assert len(rows) == 2 and helpers.field_value(str(added), "people-0-name") == "Mother (invented)"
    assert not added.select(".govuk-error-summary")  # adding a row checks nothing and saves nothing
    assert [b.get_text(" ", strip=True) for b in added.select("button[name=remove_row]")] == [
        "Remove person 1",
        "Remove person 2",
    ]
    both = {**typed, "people-1-name": "Partner (invented)"}
    removed = helpers.page(client.post(url, data={**both, "remove_row": "people-0"}))
    assert helpers.field_value(str(removed), "people-0-name") == "Partner (invented)"
    assert len(removed.select("[data-heat-rows=people] > fieldset")) == 1
    # The form's first button saves, so Enter in a text box never adds or removes a row.
    first = added.select_one("form[data-heat-section] button")
    assert first["name"] == "save"
    assert stored(app, assessment_id).version == 1  # nothing was saved by any of this
    saved = helpers.save(
        client,
        assessment_id,
        "people",
        {**helpers.people_data(), "people-2-name": "Grandmother", "people-2-present": "yes"},
    )
    assert saved.status_code == 302
    again = helpers.page(client.get(url))
    names = [helpers.field_value(str(again), f"people-{n}-name") for n in range(3)]
    assert names == ["Mother (invented)", "Mother's new partner", "Grandmother"]
    assert len(again.select("[data-heat-rows=people] > fieldset")) == 4  # the three entered and one spare
