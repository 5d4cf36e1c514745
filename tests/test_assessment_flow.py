"""A practitioner completes an assessment through the real forms, with CSRF on."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import Assessment, AuditEvent, ItemGrade
from heat.services import checklists
from tests import helpers


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


class Snapshot:
    """An assessment's stored answers, read in an app context of its own."""

    def __init__(self, assessment: Assessment):
        self.status = assessment.status
        self.grade_map = assessment.grade_map
        self.version = assessment.version
        self.section_versions = dict(assessment.section_versions)
        self.submission_key = assessment.submission_key
        self.rating = assessment.rating


def stored(app, assessment_id: int) -> Snapshot:
    with app.app_context():
        return Snapshot(db.session.get(Assessment, assessment_id))


def definition(app):
    return app.extensions["heat_definitions"][app.extensions["heat_current_version"]]


def test_start_complete_submit_and_read_the_result(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Ruby", "Invented")
    client = signed_in(worker)

    assessment_id = helpers.start(client, child.id)
    task_list = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Not started" in task_list and "Visit details" in task_list

    helpers.complete(client, assessment_id, definition(app), grades={"sleep.mattress": "4", "kitchen.food": "3"})
    check = client.get(f"/assessments/{assessment_id}/check").get_data(as_text=True)
    assert "Submit assessment" in check
    assert "would be <strong>Red</strong>" in check

    response = helpers.submit(client, assessment_id)
    assert response.status_code == 302
    result = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert "Overall rating: Red" in result
    assert "Sleep: Mattress and bedding graded 4 Serious" in result
    assert "Download PDF" in result

    with app.app_context():
        stored = db.session.get(Assessment, assessment_id)
        assert stored.status == "submitted" and stored.rating == "red"
        assert stored.checklist_version == definition(app).version
        assert db.session.scalar(
            select(func.count()).select_from(ItemGrade).where(ItemGrade.assessment_id == assessment_id)
        ) == len(checklists.definition_for(stored).items)


@pytest.mark.pdf_renders
def test_pdf_is_a_pdf_naming_the_child_with_page_numbers(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Ruby", "Invented")
    client = signed_in(worker)
    assessment_id = helpers.start(client, child.id)
    helpers.complete(client, assessment_id, definition(app))
    helpers.submit(client, assessment_id)

    response = client.get(f"/assessments/{assessment_id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "Ruby" not in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Tagged for screen readers (what pdfinfo reports as "Tagged: yes"), in British English, and
    # titled with the child's reference and the visit date.
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    reference = child.reference
    assert reader.metadata.title == f"HEAT assessment {reference}, {dt.date.today().day} {dt.date.today():%B %Y}"
    assert "Ruby Invented" in text
    assert "Overall rating: Green" in text
    assert f"thresholds of checklist version {definition(app).version}" in text.replace("\n", " ")
    assert "Page 1 of" in text
    assert "Mattress and bedding" in text
    assert count(app, AuditEvent, AuditEvent.action == "assessment_pdf", AuditEvent.assessment_id == assessment_id) == 1


def test_previous_grade_is_shown_beside_each_item(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    first = helpers.start(client, child.id)
    helpers.complete(client, first, definition(app), grades={"kitchen.knives": "3"})
    helpers.submit(client, first)

    second = helpers.start(client, child.id)
    page = client.get(helpers.section_url(second, "kitchen")).get_data(as_text=True)
    assert 'id="previous-kitchen__knives">Last visit: 3 Some concern' in page
    # The unfinished action from the first visit comes forward to the second.
    actions = client.get(helpers.section_url(second, "actions")).get_data(as_text=True)
    assert "Clear the stairs" in actions and "(carried forward)" in actions


def test_submitting_twice_with_the_same_key_makes_one_result(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    assessment_id = helpers.start(client, child.id)
    helpers.complete(client, assessment_id, definition(app))
    check = client.get(f"/assessments/{assessment_id}/check").get_data(as_text=True)
    form = {
        "csrf_token": client.token,
        "version": helpers.field_value(check, "version"),
        "submission_key": helpers.field_value(check, "submission_key"),
    }

    first = client.post(f"/assessments/{assessment_id}/submit", data=form)
    retry = client.post(f"/assessments/{assessment_id}/submit", data=form)  # the connection dropped after commit
    assert first.status_code == retry.status_code == 302
    assert first.headers["Location"] == retry.headers["Location"]
    assert count(app, Assessment, Assessment.status == "submitted") == 1
    assert count(app, AuditEvent, AuditEvent.action == "assessment_submitted") == 1


def test_starting_twice_with_the_same_key_makes_one_draft(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    html = client.get(f"/children/{child.id}/assessments/new").get_data(as_text=True)
    data = {
        "csrf_token": client.token,
        "start_key": helpers.field_value(html, "start_key"),
        "children": [str(child.id)],
    }
    first = client.post(f"/children/{child.id}/assessments/new", data=data)
    second = client.post(f"/children/{child.id}/assessments/new", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Assessment) == 1


def test_one_visit_covers_siblings_and_each_child_keeps_it_in_their_history(app, make, signed_in):
    team = make.team()
    home = make.household(team)
    baby = make.child(team, "Baby", "Sibling", months=3, household=home)
    brother = make.child(team, "Big", "Sibling", months=40, household=home)
    client = signed_in(make.user("practitioner", team))
    start_page = client.get(f"/children/{baby.id}/assessments/new").get_data(as_text=True)
    assert "Big Sibling" in start_page
    assessment_id = helpers.start(client, baby.id, children=[baby.id, brother.id])
    helpers.complete(client, assessment_id, definition(app))
    helpers.submit(client, assessment_id)
    for child in (baby, brother):
        assert f"/assessments/{assessment_id}" in client.get(f"/children/{child.id}").get_data(as_text=True)


def test_save_and_come_back_later_keeps_partial_answers_in_progress(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    child = make.child(team)
    assessment_id = helpers.start(client, child.id)
    response = helpers.save(
        client,
        assessment_id,
        "kitchen",
        {"grade_kitchen__food": "3", "source_kitchen__food": "observed"},
        button="save_later",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assessments/{assessment_id}")
    assert "In progress" in client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert stored(app, assessment_id).grade_map == {"kitchen.food": "3"}


def test_cannot_submit_until_every_section_is_complete(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    helpers.save(client, assessment_id, "visit", helpers.visit_data())
    response = helpers.submit(client, assessment_id)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Complete the section &#34;People present&#34;" in page
    assert stored(app, assessment_id).status == "draft"


def test_two_people_saving_the_same_section_never_overwrite_each_other(app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    colleague = make.user("practitioner", team)
    assessment_id = helpers.start(signed_in(worker), make.child(team).id)
    first, second = signed_in(worker), signed_in(colleague)
    page = first.get(helpers.section_url(assessment_id, "kitchen")).get_data(as_text=True)
    version = helpers.field_value(page, "version")
    second.get(helpers.section_url(assessment_id, "kitchen"))  # both opened the page at the same version

    mine = helpers.domain_data(definition(app), "kitchen", default="2")
    theirs = helpers.domain_data(definition(app), "kitchen", default="4")
    ok = first.post(
        helpers.section_url(assessment_id, "kitchen"),
        data={"csrf_token": first.token, "version": version, "save": "x", **mine},
    )
    lost = second.post(
        helpers.section_url(assessment_id, "kitchen"),
        data={"csrf_token": second.token, "version": version, "save": "x", **theirs},
    )
    assert ok.status_code == 302
    assert lost.status_code == 409
    conflict = lost.get_data(as_text=True)
    assert "Your answers were not saved" in conflict
    assert "4 Serious" in conflict and "2 Adequate" in conflict  # both versions shown
    assert set(stored(app, assessment_id).grade_map.values()) == {"2"}


def test_a_submitted_assessment_cannot_be_changed(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    helpers.complete(client, assessment_id, definition(app))
    helpers.submit(client, assessment_id)
    response = client.post(
        helpers.section_url(assessment_id, "kitchen"),
        data={
            "csrf_token": client.token,
            "version": "99",
            "save": "x",
            **helpers.domain_data(definition(app), "kitchen", default="5"),
        },
    )
    assert response.status_code == 302
    assert "5" not in stored(app, assessment_id).grade_map.values()


def test_rating_is_recomputed_from_stored_grades_with_the_stored_version(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    helpers.complete(client, assessment_id, definition(app), rooms={"kitchen": "not_seen"})
    helpers.submit(client, assessment_id)
    with app.app_context():
        record = db.session.get(Assessment, assessment_id)
        assert checklists.score_of(record).rating == record.rating == "incomplete"
    assert "Overall rating: Incomplete" in client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
