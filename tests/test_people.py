"""The people around the child: the register of adults and its flags, agencies and information
requests, meetings, the family copy, and what reaches exports and the history PDF."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from heat.checklist import working_days
from heat.checklist.definition import TrendSettings
from heat.checklist.trends import AdultSeen, VisitSummary, adult_flags
from heat.extensions import db
from heat.models import Agency, Child, SignificantAdult, must_be_seen
from heat.services import agencies
from tests import helpers
from tests.test_assessment_flow import definition
from tests.test_cli_and_admin import run

D = dt.date


def visit(n: int, day: dt.date) -> VisitSummary:
    return VisitSummary(id=n, date=day, rating="green", mean=1.5, grades={})


VISITS = [visit(1, D(2026, 6, 1)), visit(2, D(2026, 7, 1)), visit(3, D(2026, 8, 1))]


@pytest.mark.parametrize(
    "adult, settings, expected",
    [
        # Lives here, recorded before the first visit, seen at none: never seen (active).
        (
            AdultSeen(1, "Sam", "Father", True, D(2026, 5, 1), frozenset()),
            TrendSettings(),
            {("adult_never_seen", True)},
        ),
        # Seen at one visit: no flag.
        (AdultSeen(1, "Sam", "Father", True, D(2026, 5, 1), frozenset({2})), TrendSettings(), set()),
        # Only visits: not in the home, so not flagged.
        (AdultSeen(1, "Sam", "Father", False, D(2026, 5, 1), frozenset()), TrendSettings(), set()),
        # Recorded after the last visit: no visit has yet had the chance to see them.
        (AdultSeen(1, "Sam", "Father", True, D(2026, 8, 5), frozenset()), TrendSettings(), set()),
        # The threshold is the definition's: 2 visits since recording are needed, and only 1 happened
        # (they are new in the home, though).
        (
            AdultSeen(1, "Sam", "Father", True, D(2026, 7, 15), frozenset()),
            TrendSettings(unseen_adult_visits=2),
            {("new_adult", True)},
        ),
        # New since the visit before the latest, and seen: a new adult in the home.
        (AdultSeen(1, "Sam", "Father", True, D(2026, 8, 1), frozenset({3})), TrendSettings(), {("new_adult", True)}),
        # New at the second visit: flagged for one visit, so no longer active at the third.
        (
            AdultSeen(1, "Sam", "Father", True, D(2026, 7, 1), frozenset({2, 3})),
            TrendSettings(),
            {("new_adult", False)},
        ),
        # ... unless the definition keeps it for two visits.
        (
            AdultSeen(1, "Sam", "Father", True, D(2026, 7, 1), frozenset({2, 3})),
            TrendSettings(new_adult_visits=2),
            {("new_adult", True)},
        ),
        # New and never seen: both.
        (
            AdultSeen(1, "Sam", "Father", True, D(2026, 7, 20), frozenset()),
            TrendSettings(),
            {("adult_never_seen", True), ("new_adult", True)},
        ),
        # Typed into the register after the last visit, but seen at every visit: not new to the home
        # (the visits decide, not the day of the register entry).
        (AdultSeen(1, "Sam", "Mother", True, D(2026, 8, 20), frozenset({1, 2, 3})), TrendSettings(), set()),
        # Typed into the register after the second visit, but seen at it: new since the second visit.
        (AdultSeen(1, "Sam", "Father", True, D(2026, 7, 20), frozenset({2})), TrendSettings(), {("new_adult", False)}),
    ],
)
def test_flags_about_adults(adult, settings, expected):
    assert {(f.rule, f.active) for f in adult_flags(VISITS, [adult], settings)} == expected


@pytest.mark.parametrize(
    "residence, cares, relationship, responsibility, must",
    [
        ("lives_here", "no", "friend_or_lodger", "no", True),
        ("stays_overnight", "unknown", "not_known", "unknown", True),
        ("visiting", "yes", "grandparent", "no", True),  # cares for the child
        ("contact", "no", "father", "unknown", True),  # a parent with contact
        ("visiting", "no", "mother", "no", True),
        ("contact", "no", "fathers_partner", "yes", True),  # parental responsibility
        ("visiting", "no", "friend_or_lodger", "no", False),
        ("contact", "unknown", "other_relative", "unknown", False),
    ],
)
def test_who_a_visit_must_see(residence, cares, relationship, responsibility, must):
    assert must_be_seen(residence, cares, relationship, responsibility) is must


def test_the_never_seen_flag_names_the_relationship():
    father = AdultSeen(1, "Kyle Fictional", "Father", True, D(2026, 5, 1), frozenset())
    (flag,) = adult_flags(VISITS, [father], TrendSettings(unseen_adult_visits=2))
    assert flag.title == "Kyle Fictional (Father): never seen at a visit"


ADULT = {"relationship": "not_known", "parental_responsibility": "unknown"}  # what the register's form asks besides


def people_answers(*rows: dict) -> dict:
    """The people section's form: one row per dict (its fields without the row prefix)."""
    data = {"new_partner": "no", "father_involvement": "Father has contact; not seen."}
    for i, row in enumerate(rows):
        data.update({f"people-{i}-{field}": value for field, value in row.items()})
    return data


def test_everyone_at_a_visit_is_asked_here_or_not_and_only_yes_is_seen(app, team_world):
    w, child = team_world["w"], team_world["child"]
    added = {"csrf_token": w.token, **ADULT, "name": "Lee Madeup", "relationship": "mothers_partner"}
    w.post(f"/children/{child.id}/adults/new", data={**added, "residence": "stays_overnight", "cares_for_child": "yes"})
    assessment = helpers.start(w, child.id)
    page = helpers.page(w.get(helpers.section_url(assessment, "people")).get_data(as_text=True))
    assert page.select_one("input[name='people-0-name']")["value"] == "Lee Madeup"
    assert "Person 1 (on the register)" in page.get_text()
    # The spare row, for someone new, asks the same question.
    assert page.select("input[name='people-1-present']")
    helpers.complete(w, assessment, definition(app))
    lee = {"adult_id": page.select_one("input[name='people-0-adult_id']")["value"], "name": "Lee Madeup"}
    mother = {"name": "Mother (invented)", "present": "yes", "relationship": "mother", "residence": "lives_here"}
    # Jordan is typed in as the old hint suggested; nobody says whether he was here.
    jordan = {"name": "Jordan - NOT PRESENT", "relationship": "father", "residence": "visiting"}
    refused = helpers.save(w, assessment, "people", people_answers(lee, mother, jordan)).get_data(as_text=True)
    assert "Select whether Lee Madeup was here at this visit" in refused
    assert "Select whether Jordan - NOT PRESENT was here at this visit" in refused
    answers = people_answers({**lee, "present": "no"}, mother, {**jordan, "present": "no"})
    assert helpers.save(w, assessment, "people", answers).status_code == 302
    helpers.submit(w, assessment)
    with app.app_context():
        names = set(db.session.scalars(select(SignificantAdult.name).where(SignificantAdult.child_id == child.id)))
    assert {"Lee Madeup", "Mother (invented)", "Jordan - NOT PRESENT"} <= names
    register = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True))
    last_seen = {
        row.select_one("[data-label='Name']").get_text(strip=True): row.select_one(
            "[data-label='Last seen at a visit']"
        ).get_text(strip=True)
        for row in register.select("tbody tr")
        if row.select_one("[data-label='Name']")
    }
    assert last_seen["Jordan - NOT PRESENT"] == "Never seen"  # added at the visit, marked not here
    assert last_seen["Lee Madeup"] == "Never seen"
    assert last_seen["Mother (invented)"] != "Never seen"
    child_page = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True)).get_text()
    assert "Lee Madeup (Mother's partner): never seen at a visit" in child_page
    assert "Jordan - NOT PRESENT (Father): never seen at a visit" in child_page


def test_a_father_with_contact_never_seen_at_two_visits_is_flagged(app, team_world):
    w, child = team_world["w"], team_world["child"]
    father = {**ADULT, "name": "Kyle Madeup", "relationship": "father", "sex": "male", "residence": "contact"}
    response = w.post(
        f"/children/{child.id}/adults/new", data={"csrf_token": w.token, **father, "cares_for_child": "no"}
    )
    assert response.status_code == 302
    with app.app_context():
        kyle = db.session.scalar(select(SignificantAdult).where(SignificantAdult.name == "Kyle Madeup"))
        assert (kyle.relationship_to_child, kyle.sex, kyle.residence) == ("father", "male", "contact")
    mother = {"name": "Mother (invented)", "present": "yes", "relationship": "mother", "residence": "lives_here"}
    for _ in range(2):
        assessment = helpers.start(w, child.id)
        helpers.complete(w, assessment, definition(app))
        answers = people_answers({"adult_id": str(kyle.id), "name": "Kyle Madeup", "present": "no"}, mother)
        assert helpers.save(w, assessment, "people", answers).status_code == 302
        helpers.submit(w, assessment)
    child_page = w.get(f"/children/{child.id}").get_data(as_text=True)
    assert "Kyle Madeup (Father): never seen at a visit" in child_page
    assert "Kyle Madeup is a parent with contact with the child, was recorded on" in child_page  # why he counts
    register = w.get(f"/children/{child.id}/people").get_data(as_text=True)
    assert "Does not live here but has contact with the child" in register


def test_the_register_refuses_an_adult_without_a_relationship(app, team_world):
    w, child = team_world["w"], team_world["child"]
    adult = {"csrf_token": w.token, "name": "Lee Madeup", "residence": "visits", "cares_for_child": "maybe"}
    page = w.post(f"/children/{child.id}/adults/new", data=adult).get_data(as_text=True)
    assert "govuk-error-summary" in page and "Select their relationship to the child, or Not known" in page
    with app.app_context():
        assert db.session.scalar(select(SignificantAdult.id)) is None


def test_checks_on_an_adult_are_dated_and_reach_the_history_pdf(app, team_world):
    w, child = team_world["w"], team_world["child"]
    adult = {"csrf_token": w.token, **ADULT, "name": "Lee Madeup", "residence": "lives_here", "cares_for_child": "yes"}
    assert w.post(f"/children/{child.id}/adults/new", data=adult).status_code == 302
    with app.app_context():
        adult_id = db.session.scalar(select(SignificantAdult.id))
    no_note = w.post(
        f"/children/{child.id}/adults/{adult_id}/checks/new",
        data={"csrf_token": w.token, "checked_on": ["3", "11", "2026"]},
    )
    assert "Say what was checked and what it found" in no_note.get_data(as_text=True)
    check = {"csrf_token": w.token, "checked_on": ["3", "11", "2026"], "note": "Police check: nothing relevant."}
    assert w.post(f"/children/{child.id}/adults/{adult_id}/checks/new", data=check).status_code == 302
    pdf = w.get(f"/children/{child.id}/history.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Lee Madeup" in text and "Police check: nothing relevant." in text and "Never seen" in text


def test_an_unanswered_request_is_flagged_after_the_definitions_working_days(app, team_world):
    w, s, child = team_world["w"], team_world["s"], team_world["child"]
    agency = {"csrf_token": w.token, "name": "Westshire health visiting", "area": "Westshire", "out_of_area": "yes"}
    assert w.post(f"/children/{child.id}/agencies/new", data=agency).status_code == 302
    with app.app_context():
        agency_id = db.session.scalar(select(Agency.id))
    today = dt.date.today()
    limit = definition(app).trends.request_working_days
    late = working_days.working_days_before(today, limit)
    recent = working_days.working_days_before(today, limit - 1)
    for day, what in ((late, "Records from the last two years."), (recent, "Missed appointments.")):
        asked = {
            "csrf_token": w.token,
            "agency": str(agency_id),
            "asked_on": [str(day.day), str(day.month), str(day.year)],
            "what": what,
        }
        assert w.post(f"/children/{child.id}/requests/new", data=asked).status_code == 302
    page = w.get(f"/children/{child.id}/people").get_data(as_text=True)
    assert f"Waiting for information: 1 request unanswered after {limit} working days" in page
    assert "Out of area" in page
    assert "Waiting for information" in w.get(f"/children/{child.id}").get_data(as_text=True)
    waiting = s.get("/dashboard?show=waiting").get_data(as_text=True)
    assert child.name in waiting
    # The information arrives: the flag goes.
    with app.app_context():
        request_id = db.session.scalar(
            select(agencies.InformationRequest.id).where(agencies.InformationRequest.asked_on == late)
        )
    received = {"csrf_token": w.token, "received_on": [str(today.day), str(today.month), str(today.year)]}
    url = f"/children/{child.id}/requests/{request_id}/received"
    bare = w.post(url, data=received).get_data(as_text=True)  # a bare date is not what was received
    assert "Say what the information said" in bare and "govuk-error-summary" in bare
    assert child.name in s.get("/dashboard?show=waiting").get_data(as_text=True)
    received |= {"received_summary": "Two missed reviews in 2025.", "analysis": "Fits the pattern of missed care."}
    assert w.post(url, data=received).status_code == 302
    assert child.name not in s.get("/dashboard?show=waiting").get_data(as_text=True)
    page = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True)).get_text(" ")
    assert "Two missed reviews in 2025." in page and "Fits the pattern of missed care." in page


def ask(w, child_id: int, agency_id: int, day: dt.date, what: str):
    data = {
        "csrf_token": w.token,
        "agency": str(agency_id),
        "asked_on": [str(day.day), str(day.month), str(day.year)],
        "what": what,
    }
    return w.post(f"/children/{child_id}/requests/new", data=data)


def test_a_request_can_be_amended_or_withdrawn_audited_and_overdue_counts_from_today(app, team_world):
    from heat.models import AuditEvent

    w, child = team_world["w"], team_world["child"]
    for name in ("Eastshire children's social care", "Westshire health visiting"):
        agency = {"csrf_token": w.token, "name": name, "area": "Eastshire", "out_of_area": "yes"}
        assert w.post(f"/children/{child.id}/agencies/new", data=agency).status_code == 302
    with app.app_context():
        east, west = db.session.scalars(select(Agency.id).order_by(Agency.name)).all()
    half_a_year = dt.date.today() - dt.timedelta(days=182)
    assert ask(w, child.id, east, half_a_year, "Records of the earlier children.").status_code == 302
    with app.app_context():
        request_id = db.session.scalar(select(agencies.InformationRequest.id))
        limit = definition(app).trends.request_working_days
        due = working_days.add_working_days(half_a_year, limit)
    overdue = (dt.date.today() - due).days
    page = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True)).get_text(" ")
    assert f"Not received: {overdue} days overdue" in page
    pdf = w.get(f"/children/{child.id}/history.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert f"Not received: {overdue} days overdue" in text and "Not received after" not in text

    # Amended: asked of the other agency, for something else; bad input changes nothing.
    url = f"/children/{child.id}/requests/{request_id}/change"
    form = helpers.page(w.get(url).get_data(as_text=True))
    assert form.select_one("textarea[name=what]").get_text() == "Records of the earlier children."
    future = dt.date.today() + dt.timedelta(days=3)
    bad = {
        "csrf_token": w.token,
        "agency": str(west),
        "asked_on": [str(future.day), str(future.month), str(future.year)],
        "what": "Changed",
    }
    assert "govuk-error-summary" in w.post(url, data=bad).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(agencies.InformationRequest, request_id).what == "Records of the earlier children."
    day = half_a_year
    good = {**bad, "asked_on": [str(day.day), str(day.month), str(day.year)], "what": "Health visiting records."}
    assert w.post(url, data=good).status_code == 302
    # Withdrawn, with a reason: no longer outstanding.
    url = f"/children/{child.id}/requests/{request_id}/withdraw"
    assert "Say why the request is withdrawn" in w.post(url, data={"csrf_token": w.token}).get_data(as_text=True)
    assert w.post(url, data={"csrf_token": w.token, "reason": "Asked again of the right team."}).status_code == 302
    page = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True)).get_text(" ")
    assert "Health visiting records." in page and "Asked again of the right team." in page
    assert "Waiting for information" not in page
    with app.app_context():
        asked = db.session.get(agencies.InformationRequest, request_id)
        assert (asked.agency_id, asked.withdrawn_on) == (west, dt.date.today())
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id)).all()
        assert actions.count("information_request_amended") == 1
        assert actions.count("information_request_withdrawn") == 1


def test_a_meeting_names_an_agency_of_the_child_that_was_not_invited(app, team_world):
    w, child = team_world["w"], team_world["child"]
    for name in ("Eastshire health visiting", "Riverside school nursing"):
        agency = {"csrf_token": w.token, "name": name, "out_of_area": "no"}
        assert w.post(f"/children/{child.id}/agencies/new", data=agency).status_code == 302
    form = helpers.page(w.get(f"/children/{child.id}/meetings/new").get_data(as_text=True))
    choices = {
        i.find_next("label").get_text(strip=True): i["value"] for i in form.select("input[name=invited_agencies]")
    }
    assert set(choices) == {"Eastshire health visiting", "Riverside school nursing"}
    meeting = {
        "csrf_token": w.token,
        "held_on": ["10", "11", "2026"],
        "kind": "Child protection conference",
        "invited_agencies": [choices["Riverside school nursing"]],
        "invited": "Mother",
        "attended": "Mother, school nurse",
    }
    nobody = {**meeting, "invited_agencies": [], "invited": ""}
    refused = w.post(f"/children/{child.id}/meetings/new", data=nobody).get_data(as_text=True)
    assert "Select who was invited, or name them under Others invited" in refused
    assert w.post(f"/children/{child.id}/meetings/new", data=meeting).status_code == 302
    page = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True)).get_text(" ")
    assert "Eastshire health visiting was not invited" in page
    assert "Riverside school nursing was not invited" not in page
    chronology = helpers.page(w.get(f"/children/{child.id}").get_data(as_text=True)).get_text(" ")
    assert "Meeting: Child protection conference" in chronology
    assert "Eastshire health visiting was not invited." in chronology


SECRETS = {
    "practitioner_notes": "SECRET-NOTE practitioner only",
    "comment": "SECRET-COMMENT on an item",
    "joint_visitor": "SECRET-VISITOR Jo",
    "father_involvement": "SECRET-FATHER details",
    "absent_members": "SECRET-ABSENT uncle",
    "child_voice": "SECRET-VOICE words",
    "person": "SECRET-PERSON Smith",
    "agency": "SECRET-AGENCY Westshire",
    "adult_check": "SECRET-CHECK police",
    "sibling": "SECRETSIBLING",
}


def test_the_family_copy_never_contains_what_is_not_theirs(app, make, team_world):
    """Every field that must never reach the family is filled with a marked word; none appears."""
    w, child = team_world["w"], team_world["child"]
    make.child(team_world["team"], "Other", SECRETS["sibling"])  # another child of the team
    agency = {"csrf_token": w.token, "name": SECRETS["agency"], "out_of_area": "yes"}
    w.post(f"/children/{child.id}/agencies/new", data=agency)
    adult = {"csrf_token": w.token, **ADULT, "name": "Lee Madeup", "residence": "lives_here", "cares_for_child": "yes"}
    w.post(f"/children/{child.id}/adults/new", data=adult)
    with app.app_context():
        adult_id = db.session.scalar(select(SignificantAdult.id))
    check = {"csrf_token": w.token, "checked_on": ["3", "11", "2026"], "note": SECRETS["adult_check"]}
    w.post(f"/children/{child.id}/adults/{adult_id}/checks/new", data=check)
    assessment = helpers.start(w, child.id)
    first = definition(app).items[0]
    helpers.complete(w, assessment, definition(app), grades={first.id: "4"})
    key = first.id.replace(".", "__")
    domain = helpers.domain_data(definition(app), first.domain_id, {first.id: "4"})
    helpers.save(w, assessment, first.domain_id, {**domain, f"comment_{key}": SECRETS["comment"]})
    helpers.save(w, assessment, "visit", {**helpers.visit_data(), "joint_visitor": SECRETS["joint_visitor"]})
    people = {
        "people-0-adult_id": str(adult_id),
        "people-0-present": "no",
        "people-0-name": "Lee Madeup",
        "people-1-name": SECRETS["person"],
        "people-1-present": "yes",
        "absent_members": SECRETS["absent_members"],
        "new_partner": "no",
        "father_involvement": SECRETS["father_involvement"],
    }
    assert helpers.save(w, assessment, "people", people).status_code == 302
    seen = helpers.each_child_seen(w, assessment)  # each child's own voice, since 2026.4
    voice = {
        **helpers.voice_data(),
        **{name: SECRETS["child_voice"] if name.startswith("voice_") else value for name, value in seen.items()},
        "child_voice": SECRETS["child_voice"],
        "practitioner_notes": SECRETS["practitioner_notes"],
        "parent_view": "We are doing our best and the flat is damp.",
        "parent_rating": "2",
        "parent_agrees": "partly",
    }
    assert helpers.save(w, assessment, "voice", voice).status_code == 302
    helpers.submit(w, assessment)
    result = w.get(f"/assessments/{assessment}").get_data(as_text=True)
    assert "Download family copy" in result
    response = w.get(f"/assessments/{assessment}/family-copy.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for field, secret in SECRETS.items():
        assert secret.split()[0] not in text, field
    for flag_word in ("Flag", "flag", "never seen", "Cumulative"):
        assert flag_word not in text
    assert "Lee Madeup" not in text  # other adults' details
    assert "What is going well" in text and "What needs to change" in text and "What we agreed" in text
    assert "We are very worried about this" in text  # the family's words for the 4, never "4 Serious"
    assert "4 Serious" not in text
    assert "Is there a working smoke alarm?" not in text  # answered Yes: nothing to change
    assert "Clear the stairs" in text  # the agreed action, with its date
    assert "We are doing our best" in text and "You said about your home: This is fine." in text
    assert "Partly" in text and "Next visit" in text


def test_exports_carry_people_csv(app, make, signed_in, team_world):
    w, child = team_world["w"], team_world["child"]
    adult = {
        "csrf_token": w.token,
        **ADULT,
        "name": "Lee Madeup",
        "residence": "stays_overnight",
        "cares_for_child": "no",
    }
    w.post(f"/children/{child.id}/adults/new", data=adult)
    assessment = helpers.start(w, child.id)
    helpers.complete(w, assessment, definition(app))
    helpers.submit(w, assessment)
    auditor = signed_in(make.user("auditor"))
    today = dt.date.today()
    form = {
        "csrf_token": auditor.token,
        "teams": [str(team_world["team"].id)],
        "date_from": ["1", "1", "2020"],
        "date_to": [str(today.day), str(today.month), str(today.year)],
    }
    assert auditor.post("/exports", data=form).status_code == 302
    listing = helpers.page(auditor.get("/exports").get_data(as_text=True))
    link = next(a["href"] for a in listing.select("a") if a["href"].endswith("/download"))
    download = auditor.get(link)
    data = download.data
    download.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        people = archive.read("people.csv").decode("utf-8-sig")
    assert people.startswith("child_identifier,adult,relationship,sex,lives_here")
    assert f"{child.reference},Lee Madeup,Not known,,Stays overnight,no,unknown" in people
    assert ",0,,yes," in people  # in the home and never seen


def test_the_demo_shows_an_unseen_adult_and_an_unanswered_out_of_area_request(app):
    assert run(app, "seed-demo").exit_code == 0
    with app.app_context():
        mia = db.session.scalar(select(Child).where(Child.first_name == "Mia"))
        assert "Kyle Fictional (Father): never seen at a visit" in mia.active_flags
        assert "No access at 2 visits running" in mia.active_flags
        baby = db.session.scalar(select(Child).where(Child.reference == "HEAT-2002"))
        record = agencies.record_of(baby)
        assert [r.agency.out_of_area for r in record.overdue] == [True]


def test_a_save_that_adds_adults_to_the_register_moves_the_assessment_one_version_on(app, team_world):
    """The tablet's outbox counts on it: each save it sends moves the version on by exactly one."""
    from tests.test_assessment_flow import stored

    w, child = team_world["w"], team_world["child"]
    assessment = helpers.start(w, child.id)
    before = stored(app, assessment).version
    assert helpers.save(w, assessment, "people", helpers.people_data()).status_code == 302
    assert stored(app, assessment).version == before + 1
    with app.app_context():
        assert len(db.session.scalars(select(SignificantAdult)).all()) == 2


def test_a_meeting_for_a_child_with_no_agencies_asks_only_who_was_invited(app, team_world):
    w, child = team_world["w"], team_world["child"]
    form = helpers.page(w.get(f"/children/{child.id}/meetings/new").get_data(as_text=True))
    assert not form.select("input[name=invited_agencies]")
    assert "Which of the child's agencies were invited?" not in form.get_text(" ")
    assert form.select_one("label[for=invited]").get_text(strip=True) == "Who was invited"
    meeting = {"csrf_token": w.token, "held_on": ["10", "11", "2026"], "kind": "Core group", "invited": ""}
    refused = helpers.page(w.post(f"/children/{child.id}/meetings/new", data=meeting).get_data(as_text=True))
    assert "Enter who was invited" in refused.select_one(".govuk-error-summary").get_text(" ")
    assert refused.select_one(".govuk-error-summary a")["href"] == "#invited"
    meeting["invited"] = "Mother, health visitor"
    assert w.post(f"/children/{child.id}/meetings/new", data=meeting).status_code == 302
    page = helpers.page(w.get(f"/children/{child.id}/people").get_data(as_text=True)).get_text(" ")
    assert "Mother, health visitor" in page
