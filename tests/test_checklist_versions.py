"""Each assessment keeps the checklist version it was made with, after a newer version is published."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from heat.checklist import score
from tests import helpers
from tests.conftest import csrf_token, sign_in
from tests.test_assessment_flow import definition

NEWER = Path(__file__).parent / "data" / "checklists-newer"


@pytest.mark.pdf_renders
def test_old_assessments_keep_their_version_when_a_new_one_is_published(app, another_app, make, signed_in):
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team)
    client = signed_in(worker)
    old_id = helpers.start(client, child.id)
    two_threes = {"kitchen.food": "3", "general.smell": "3"}
    helpers.complete(client, old_id, definition(app), grades=two_threes)
    helpers.submit(client, old_id)

    # A newer definition is published: same database, the app restarted with the new file.
    newer_app = another_app(HEAT_CHECKLIST_DIRS=[str(NEWER)])
    newer = newer_app.test_client()
    assert sign_in(newer, worker.email).status_code == 302
    newer.token = csrf_token(newer, "/caseload")

    new_id = helpers.start(newer, child.id)
    assert "Checklist version 2027.1-test" in newer.get(f"/assessments/{new_id}").get_data(as_text=True)
    assert "Food in the cupboards" in newer.get(helpers.section_url(new_id, "kitchen")).get_data(as_text=True)

    old_result = newer.get(f"/assessments/{old_id}").get_data(as_text=True)
    assert "Overall rating: Green" in old_result
    assert "Food for the child" in old_result and "Food in the cupboards" not in old_result
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(newer.get(f"/assessments/{old_id}/pdf").data)).pages)
    assert definition(app).version in text and "Food for the child" in text

    # The same grades under the newer rules would be Amber: the old visit was not re-rated.
    definitions = newer_app.extensions["heat_definitions"]
    grades = {i.id: "2" for i in definitions["2026.1"].items} | two_threes
    rooms = {r.id: "seen" for r in definitions["2026.1"].rooms}
    assert score(definitions["2026.1"], grades, rooms).rating == "green"
    assert score(definitions["2027.1-test"], grades, rooms).rating == "amber"
