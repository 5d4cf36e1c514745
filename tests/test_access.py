"""Who can reach what: every route x every role against another team's records, the CSRF walk,
security headers, audit rows and URLs free of personal data."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from heat.extensions import db
from heat.models import (
    Agency,
    Assessment,
    AuditEvent,
    Child,
    FamilyHistoryEntry,
    InformationRequest,
    PlanChange,
    SignificantAdult,
    Transfer,
    User,
)
from heat.services import photos, practice, register
from tests import helpers
from tests.conftest import Factory, empty_database, signed_in_client
from tests.test_assessment_flow import count, definition, stored

CASEWORK = [
    ("GET", "/children/{child}"),
    ("GET", "/children/{child}/assessments/new"),
    ("POST", "/children/{child}/assessments/new"),
    ("GET", "/children/{child}/assessments/new/offline"),
    ("POST", "/api/children/{child}/assessments"),
    ("GET", "/assessments/{submitted}"),
    ("GET", "/assessments/{draft}"),
    ("GET", "/assessments/{draft}/sections/kitchen"),
    ("POST", "/assessments/{draft}/sections/kitchen"),
    ("GET", "/assessments/{draft}/check"),
    ("POST", "/assessments/{draft}/submit"),
    ("GET", "/assessments/{submitted}/submitted"),
    ("GET", "/assessments/{submitted}/pdf"),
    ("GET", "/assessments/{submitted}/versions/1.pdf"),
    ("GET", "/assessments/{submitted}/review"),
    ("POST", "/assessments/{submitted}/review"),
    ("GET", "/children/{child}/history.pdf"),
    ("GET", "/children/{child}/plan"),
    ("POST", "/children/{child}/plan"),
    ("GET", "/children/{child}/plan-changes/{change}"),
    ("POST", "/children/{child}/plan-changes/{change}"),
    ("GET", "/children/{child}/handover"),
    ("POST", "/children/{child}/handover"),
    ("GET", "/children/{child}/chronology/new"),
    ("POST", "/children/{child}/chronology/new"),
    ("POST", "/assessments/{draft}/sections/kitchen/discard"),
    ("POST", "/api/assessments/{draft}/sections/kitchen"),
    ("POST", "/api/assessments/{draft}/submit"),
    ("GET", "/children/{child}/details"),
    ("POST", "/children/{child}/details"),
    ("GET", "/children/{child}/moves/new"),
    ("POST", "/children/{child}/moves/new"),
    ("GET", "/children/{child}/transfer"),
    ("POST", "/children/{child}/transfer"),
    ("GET", "/transfers/{transfer}"),
    ("POST", "/transfers/{transfer}"),
    ("GET", "/children/{child}/handover-summary"),
    ("GET", "/children/{child}/handover-summary.pdf"),
    ("GET", "/children/{child}/people"),
    ("GET", "/children/{child}/adults/new"),
    ("POST", "/children/{child}/adults/new"),
    ("GET", "/children/{child}/addresses/previous/new"),
    ("POST", "/children/{child}/addresses/previous/new"),
    ("GET", "/children/{child}/addresses/{address}/correct"),
    ("POST", "/children/{child}/addresses/{address}/correct"),
    ("GET", "/children/{child}/no-access/new"),
    ("POST", "/children/{child}/no-access/new"),
    ("GET", "/children/{child}/adults/{adult}/checks/new"),
    ("POST", "/children/{child}/adults/{adult}/checks/new"),
    ("GET", "/children/{child}/agencies/new"),
    ("POST", "/children/{child}/agencies/new"),
    ("GET", "/children/{child}/requests/new"),
    ("POST", "/children/{child}/requests/new"),
    ("GET", "/children/{child}/requests/{request}/received"),
    ("POST", "/children/{child}/requests/{request}/received"),
    ("GET", "/children/{child}/requests/{request}/change"),
    ("POST", "/children/{child}/requests/{request}/change"),
    ("GET", "/children/{child}/requests/{request}/withdraw"),
    ("POST", "/children/{child}/requests/{request}/withdraw"),
    ("GET", "/children/{child}/meetings/new"),
    ("POST", "/children/{child}/meetings/new"),
    ("GET", "/assessments/{submitted}/family-copy.pdf"),
    ("GET", "/children/{child}/family-history"),
    ("GET", "/children/{child}/family-history/new"),
    ("POST", "/children/{child}/family-history/new"),
    ("GET", "/children/{child}/family-history/{entry}"),
    ("POST", "/children/{child}/family-history/{entry}"),
    ("GET", "/children/{child}/family-history/{entry}/remove"),
    ("POST", "/children/{child}/family-history/{entry}/remove"),
    # Joint visits (tests/test_joint_visits.py: the second practitioner's side and the blinding)
    ("GET", "/assessments/{submitted}/joint/invite"),
    ("POST", "/assessments/{submitted}/joint/invite"),
    ("GET", "/assessments/{submitted}/joint"),
    ("GET", "/assessments/{draft}/joint/kitchen"),
    ("POST", "/assessments/{draft}/joint/kitchen"),
    ("POST", "/assessments/{draft}/joint/submit"),
    # A photo id the visit does not have: refused like another team's (tests/test_photos.py reads real ones).
    ("GET", "/assessments/{submitted}/photos/{photo}"),
]
READ_ONLY = {
    "/children/{child}",
    "/assessments/{submitted}",
    "/assessments/{draft}",
    "/assessments/{submitted}/pdf",
    "/assessments/{submitted}/versions/1.pdf",
    "/children/{child}/history.pdf",
    "/children/{child}/handover-summary",
    "/children/{child}/handover-summary.pdf",
    "/children/{child}/people",
    "/assessments/{submitted}/family-copy.pdf",
    "/children/{child}/family-history",
}
READ_ONLY_ROWS = [("GET", route) for route in sorted(READ_ONLY)]
AUDITOR_ONLY = [
    ("GET", "/exports"),
    ("POST", "/exports"),
    ("GET", "/exports/1/download"),
    ("POST", "/exports/1/retry"),
    ("GET", "/audit"),
    ("GET", "/audit/export.csv"),
]
TEAM_PAGES = [
    ("GET", "/caseload"),
    ("GET", "/dashboard"),
    ("GET", "/reviews"),
    ("GET", "/api/session"),
    ("POST", "/api/session/keep-alive"),
    ("GET", "/on-this-tablet"),
    ("GET", "/on-this-tablet/pin"),
    ("GET", "/transfers"),
    ("GET", "/checklist/2026.4/guide.pdf"),
    ("GET", "/practice/agreement"),
    ("GET", "/practice"),
    ("GET", "/practice/visits_on_time.csv"),
    ("GET", "/practice.pdf"),
]
# "Add a child": supervisors (their own team) and administrators (any team); tested in test_register.
REGISTER = [("GET", "/children/new"), ("POST", "/children/new")]
# The JSON API takes a bearer token, never the session: tested in test_api.
API_V1 = [
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/children"),
    ("POST", "/api/v1/children"),
    ("GET", "/api/v1/children/{child}"),
    ("GET", "/api/v1/children/{child}/assessments"),
    ("GET", "/api/v1/assessments/{submitted}"),
    ("GET", "/api/v1/assessments/{submitted}/pdf"),
]
# Open to anyone (sign-in itself) or to any signed-in user (home, sign-out, static files).
PUBLIC = [
    ("GET", "/manifest.webmanifest"),
    ("GET", "/sign-in"),
    ("GET", "/unlock"),
    ("POST", "/sign-in"),
    ("GET", "/sign-in/organisation"),
    ("GET", "/sign-in/organisation/callback"),
    ("POST", "/sign-out"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/account"),
    ("POST", "/account/emails"),
    ("GET", "/account/sessions"),
    ("POST", "/account/sessions/end-others"),
    ("POST", "/account/sessions/1/end"),
    ("GET", "/sign-in/code"),
    ("POST", "/sign-in/code"),
    ("GET", "/sign-in/set-up-two-step"),
    ("POST", "/sign-in/set-up-two-step"),
    ("GET", "/"),
    ("GET", "/static/heat.css"),
    ("GET", "/sw.js"),
    # For machines, not people: health and readiness (load balancer) and metrics (bearer token).
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]
# Calibration cases, against a published case: the roles that reach each route (everyone else gets
# a 404 and an audit row). What each role then sees is tested in tests/test_practice.py.
PRACTICE = [
    ("GET", "/admin/practice-cases", ("admin",)),
    ("GET", "/admin/practice-cases/new", ("admin",)),
    ("POST", "/admin/practice-cases/new", ("admin",)),
    ("GET", "/admin/practice-cases/{case}", ("admin",)),
    ("POST", "/admin/practice-cases/{case}", ("admin",)),
    ("GET", "/admin/practice-cases/{case}/details", ("admin",)),
    ("POST", "/admin/practice-cases/{case}/details", ("admin",)),
    ("GET", "/admin/practice-cases/{case}/reference", ("admin",)),
    ("POST", "/admin/practice-cases/{case}/reference", ("admin",)),
    ("GET", "/admin/practice-cases/{case}/photos/new", ("admin",)),
    ("POST", "/admin/practice-cases/{case}/photos/new", ("admin",)),
    ("GET", "/practice-cases/{case}/photos/{case_photo}", ("admin", "practitioner", "supervisor")),
    ("GET", "/practice-cases", ("practitioner", "supervisor")),
    ("GET", "/practice-cases/{case}/grade", ("practitioner",)),
    ("POST", "/practice-cases/{case}/grade", ("practitioner",)),
    ("GET", "/practice-cases/{case}/result", ("practitioner",)),
    ("GET", "/practice-cases/{case}/agreement", ("supervisor",)),
]
ADMIN = [
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{user}"),
    ("POST", "/admin/users/{user}"),
    ("POST", "/admin/users/{user}/two-step/reset"),
    ("POST", "/admin/users/{user}/sessions/end"),
    ("GET", "/admin/retention"),
    ("GET", "/admin/retention/{child}"),
    ("POST", "/admin/retention/{child}"),
    ("GET", "/admin/teams"),
    ("POST", "/admin/teams"),
    ("GET", "/admin/import"),
    ("POST", "/admin/import"),
]


@pytest.fixture
def world(app, make, signed_in):
    return build_world(app, make, signed_in)


@pytest.fixture(scope="class")
def shared_world(app):
    """One world for a whole class of tests that only try to read or change it and assert they
    were refused (or, for auditors, only read): built once, and the database emptied after the
    class rather than after each test (tests/conftest.py's clean_database leaves it alone)."""
    try:
        yield build_world(app, Factory(app), lambda user: signed_in_client(app, user))
    finally:
        empty_database(app)


def a_picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    return out.getvalue()


def build_world(app, make, signed_in) -> dict:
    """Two teams; the other team has a child with a submitted and a draft assessment."""
    mine, other = make.team("Mine"), make.team("Other")
    other_worker = make.user("practitioner", other)
    child = make.child(other, "Zoe", "Otherteam")
    client = signed_in(other_worker)
    submitted = helpers.start(client, child.id)
    helpers.complete(client, submitted, definition(app))
    helpers.submit(client, submitted)
    draft = helpers.start(client, child.id)
    plan = {"plan_status": "cin", "note": "Conference stepped down.", "effective_date": ["1", "11", "2026"]}
    assert client.post(f"/children/{child.id}/plan", data={"csrf_token": client.token, **plan}).status_code == 302
    with app.app_context():
        change = db.session.scalar(select(PlanChange.id).where(PlanChange.child_id == child.id))
    # Another of the other team's children, transferred to a third team and not yet acknowledged.
    moving = make.child(other, "Max", "Moving")
    third = make.team("Third")
    boss = signed_in(make.user("supervisor", other))
    sent = boss.post(
        f"/children/{moving.id}/transfer",
        data={"csrf_token": boss.token, "to_team": str(third.id), "note": "Family moved to the third team's area."},
    )
    assert sent.status_code == 302
    with app.app_context():
        transfer = db.session.scalar(select(Transfer.id).where(Transfer.child_id == moving.id))
    # An adult on the child's register, and an information request to an agency.
    adult = {
        "name": "Kai Madeup",
        "relationship": "mothers_partner",
        "residence": "stays_overnight",
        "cares_for_child": "yes",
        "parental_responsibility": "no",
    }
    assert (
        client.post(f"/children/{child.id}/adults/new", data={"csrf_token": client.token, **adult}).status_code == 302
    )
    agency = {"name": "Westshire health visiting", "out_of_area": "yes"}
    assert (
        client.post(f"/children/{child.id}/agencies/new", data={"csrf_token": client.token, **agency}).status_code
        == 302
    )
    with app.app_context():
        adult_id = db.session.scalar(select(SignificantAdult.id).where(SignificantAdult.child_id == child.id))
        agency_id = db.session.scalar(select(Agency.id).where(Agency.child_id == child.id))
    asked = {"agency": str(agency_id), "asked_on": ["2", "11", "2026"], "what": "Health visiting records."}
    assert (
        client.post(f"/children/{child.id}/requests/new", data={"csrf_token": client.token, **asked}).status_code == 302
    )
    with app.app_context():
        request_id = db.session.scalar(select(InformationRequest.id).where(InformationRequest.child_id == child.id))
        home = register.Address("1 Invented Row", None, "Town", "ZZ9 9ZZ", "Westshire (invented)")
        mover = db.session.get(User, other_worker.id)
        address_id = register.move(mover, db.session.get(Child, child.id), home, dt.date(2026, 1, 5)).address.id
        db.session.commit()
    # A family history entry.
    known = {
        "kind": "domestic_abuse",
        "about": "child",
        "summary": "Police attended a domestic incident.",
        "source": "Westshire police (invented)",
        "source_date": ["3", "11", "2026"],
    }
    posted = client.post(f"/children/{child.id}/family-history/new", data={"csrf_token": client.token, **known})
    assert posted.status_code == 302
    with app.app_context():
        entry_id = db.session.scalar(select(FamilyHistoryEntry.id).where(FamilyHistoryEntry.child_id == child.id))
    # A published practice case (calibration): not any team's.
    with app.app_context():
        admin = db.session.get(User, make.user("admin").id)
        case = practice.create(admin, practice.CaseDetails("A practice home", "An invented flat.", "2026.4", "under_1"))
        photo = practice.add_photo(case, admin, photos.prepare(a_picture()), "An invented cot")
        practice.set_reference(case, admin, {item.id: "2" for item in practice.definition_of(case).items})
        practice.publish(case, admin)
        db.session.commit()
        case_id, case_photo = case.id, photo.id
    return {
        "mine": mine,
        "other": other,
        "case": case_id,
        "case_photo": case_photo,
        "child": child.id,
        "submitted": submitted,
        "draft": draft,
        "user": other_worker.id,
        "change": change,
        "transfer": transfer,
        "adult": adult_id,
        "request": request_id,
        "address": address_id,
        "entry": entry_id,
        "photo": 1,
    }


def test_every_route_is_in_the_access_matrix(app):
    """A new route must get a row above (and so its access tests) before the suite passes."""
    sample = {
        "child": 1,
        "submitted": 2,
        "draft": 3,
        "user": 4,
        "change": 5,
        "transfer": 6,
        "adult": 7,
        "request": 8,
        "address": 9,
        "entry": 9,
        "case": 10,
        "photo": 10,
        "case_photo": 11,
    }
    urls = app.url_map.bind("localhost")
    covered = {
        (method, urls.match(route.format(**sample), method)[0])
        for method, route in CASEWORK + READ_ONLY_ROWS + AUDITOR_ONLY + ADMIN + TEAM_PAGES + PUBLIC + REGISTER + API_V1
    } | {(method, urls.match(route.format(**sample), method)[0]) for method, route, _ in PRACTICE}
    routes = {
        (method, rule.endpoint) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set()


def request_as(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(
        url,
        data={
            "csrf_token": client.token,
            "version": "1",
            "save": "x",
            "submission_key": "k",
            "start_key": "k",
            "children": ["1"],
            "name": "x",
        },
    )


def denied_rows(app) -> int:
    return count(app, AuditEvent, AuditEvent.action == "access_denied")


class TestEveryRouteAsEveryRole:
    """The access matrix, against one shared world: each test only asserts a refusal (404, or
    sign-in), or an auditor's read, so none changes what the next one sees."""

    @pytest.mark.parametrize("role", ["practitioner", "supervisor"])
    @pytest.mark.parametrize("method, route", CASEWORK + ADMIN + AUDITOR_ONLY)
    def test_team_roles_never_reach_another_teams_records(
        self, app, make, signed_in, shared_world, role, method, route
    ):
        client = signed_in(make.user(role, shared_world["mine"]))
        before = denied_rows(app)
        response = request_as(client, method, route.format(**shared_world))
        assert response.status_code == 404
        assert denied_rows(app) == before + 1

    @pytest.mark.parametrize("method, route", CASEWORK + ADMIN)
    def test_auditors_read_every_team_and_change_nothing(self, app, make, signed_in, shared_world, method, route):
        client = signed_in(make.user("auditor"))
        before = denied_rows(app)
        response = request_as(client, method, route.format(**shared_world))
        if method == "GET" and route in READ_ONLY:
            assert response.status_code == 200
            assert denied_rows(app) == before
        else:
            assert response.status_code == 404
            assert denied_rows(app) == before + 1

    @pytest.mark.parametrize("method, route", CASEWORK + AUDITOR_ONLY + TEAM_PAGES)
    def test_admins_manage_accounts_not_casework(self, app, make, signed_in, shared_world, method, route):
        client = signed_in(make.user("admin"))
        assert request_as(client, method, route.format(**shared_world)).status_code == 404

    @pytest.mark.parametrize("role", ["practitioner", "supervisor", "auditor", "admin"])
    @pytest.mark.parametrize("method, route, allowed", PRACTICE)
    def test_practice_cases_by_role(self, app, make, signed_in, shared_world, role, method, route, allowed):
        client = signed_in(make.user(role, shared_world["mine"] if role in ("practitioner", "supervisor") else None))
        before = denied_rows(app)
        response = request_as(client, method, route.format(**shared_world))
        if role in allowed:
            assert response.status_code in (200, 302)
            assert denied_rows(app) == before
        else:
            assert response.status_code == 404
            assert denied_rows(app) == before + 1

    @pytest.mark.parametrize("method, route", CASEWORK + ADMIN + AUDITOR_ONLY + TEAM_PAGES)
    def test_signed_out_visitors_are_sent_to_sign_in(self, app, shared_world, method, route):
        response = app.test_client().open(route.format(**shared_world), method=method)
        if route.startswith("/api/"):
            # The tablet's outbox is told plainly, in JSON, and waits for its practitioner to sign in.
            assert response.status_code in (401, 400)
            assert response.json["status"] in ("signed_out", "csrf")
            return
        assert response.status_code in (302, 400)  # a POST without a token fails CSRF before anything else
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]


def test_unknown_ids_are_404(app, make, signed_in):
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    child = make.child(team)
    huge = str(2**63 + 1)
    for url in [
        "/children/999999",
        "/assessments/999999",
        "/assessments/999999/pdf",
        "/children/abc",
        f"/children/{huge}",
        f"/assessments/{huge}/sections/kitchen",
        f"/exports/{huge}/download",
    ]:
        assert client.get(url).status_code == 404, url
    draft = helpers.start(client, child.id)
    assert client.get(f"/assessments/{draft}/sections/no-such-section").status_code == 404


@pytest.mark.pdf_renders
def test_views_and_exports_each_write_exactly_one_audit_row(app, make, signed_in, world):
    client = signed_in(make.user("practitioner", world["other"]))
    for url, action, key in [
        (f"/children/{world['child']}", "child_viewed", AuditEvent.child_id == world["child"]),
        (f"/assessments/{world['submitted']}", "assessment_viewed", AuditEvent.assessment_id == world["submitted"]),
        (f"/assessments/{world['submitted']}/pdf", "assessment_pdf", AuditEvent.assessment_id == world["submitted"]),
    ]:
        before = count(app, AuditEvent, AuditEvent.action == action, key)
        assert client.get(url).status_code == 200
        assert count(app, AuditEvent, AuditEvent.action == action, key) == before + 1
    supervisor = signed_in(make.user("supervisor", world["other"]))
    before = count(app, AuditEvent, AuditEvent.action == "plan_change_viewed", AuditEvent.child_id == world["child"])
    assert supervisor.get(f"/children/{world['child']}/plan-changes/{world['change']}").status_code == 200
    after = count(app, AuditEvent, AuditEvent.action == "plan_change_viewed", AuditEvent.child_id == world["child"])
    assert after == before + 1


def test_every_state_changing_route_refuses_a_request_without_a_csrf_token(app, make, signed_in, world):
    clients = {
        "admin": signed_in(make.user("admin")),
        "casework": signed_in(make.user("supervisor", world["other"])),
        "audit": signed_in(make.user("auditor")),
    }
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}:
            url = re.sub(
                r"<(?:int:)?(\w+)>",
                lambda m: str(
                    {
                        "child_id": world["child"],
                        "assessment_id": world["draft"],
                        "user_id": world["user"],
                        "section_id": "kitchen",
                        "export_id": 1,
                        "change_id": world["change"],
                        "session_id": 1,
                        "transfer_id": world["transfer"],
                        "adult_id": world["adult"],
                        "request_id": world["request"],
                        "address_id": world["address"],
                        "entry_id": world["entry"],
                        "case_id": world["case"],
                    }[m.group(1)]
                ),
                rule.rule,
            )
            client = clients[
                "admin"
                if rule.rule.startswith("/admin")
                else "audit"
                if rule.rule.startswith("/exports")
                else "casework"
            ]
            response = client.open(url, method=method, data={"name": "x", "save": "x"})
            if url.startswith("/api/v1/"):
                # The JSON API never reads the session cookie: without a bearer token it is a 401.
                assert response.status_code == 401, (method, url)
                assert response.mimetype == "application/problem+json"
                continue
            assert response.status_code == 400, (method, url)
            if url.startswith("/api/"):
                assert response.json == {"status": "csrf"}
            else:
                assert "This page has expired" in response.get_data(as_text=True)
            checked += 1
    assert checked >= 12
    assert stored(app, world["draft"]).grade_map == {}


def test_no_get_route_changes_an_assessment(app, make, signed_in, world):
    client = signed_in(make.user("practitioner", world["other"]))
    before = stored(app, world["draft"]).version
    for url in [
        f"/assessments/{world['draft']}",
        f"/assessments/{world['draft']}/check",
        f"/assessments/{world['draft']}/sections/visit",
        f"/children/{world['child']}/assessments/new",
    ]:
        client.get(url)
    assert stored(app, world["draft"]).version == before
    assert count(app, Assessment) == 2


class TestEveryPageHeaders:
    """Pages only read, by users made for each test: one shared world for the class."""

    @pytest.mark.parametrize(
        "path",
        [
            "/sign-in",
            "/caseload",
            "/children/{child}",
            "/assessments/{submitted}",
            "/assessments/{draft}/sections/sleep",
            "/admin/users",
        ],
    )
    def test_security_headers_on_every_page(self, app, make, signed_in, shared_world, path):
        role = "admin" if path.startswith("/admin") else "practitioner"
        client = (
            signed_in(make.user(role, shared_world["other"] if role != "admin" else None))
            if path != "/sign-in"
            else app.test_client()
        )
        response = client.get(path.format(**shared_world))
        assert response.status_code == 200
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]:
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        document = helpers.page(response)
        scripts = document.find_all("script")
        assert scripts and all(tag.get("nonce") == nonce for tag in scripts)
        assert not document.find_all(style=True)  # inline styles would be blocked by the CSP


def test_urls_carry_ids_never_names(app, make, signed_in, world):
    for rule in app.url_map.iter_rules():
        assert set(rule.arguments) <= {
            "child_id",
            "assessment_id",
            "user_id",
            "section_id",
            "export_id",
            "change_id",
            "number",  # an assessment's version number
            "session_id",  # one of the user's own sessions
            "transfer_id",
            "adult_id",  # an adult on the child's register
            "request_id",  # an information request about the child
            "address_id",  # one of the child's addresses
            "entry_id",  # an entry of the child's family history
            "case_id",  # a practice case (calibration)
            "photo_id",  # a photo of one of a visit's checklist items
            "filename",
            "version",  # a published checklist version ("2026.4"): the checklist guide
            "measure_id",  # a Practice quality measure ("visits_on_time"): no record
        }, rule.rule
    client = signed_in(make.user("practitioner", world["other"]))
    for path in ["/caseload", f"/children/{world['child']}"]:
        document = helpers.page(client.get(path))
        hrefs = [tag.get("href") or tag.get("action") for tag in document.find_all(["a", "link", "form"])]
        # The footer's Help link is the service desk's address, not anyone's personal data.
        hrefs = [h for h in hrefs if not h.startswith(f"mailto:{app.config['HEAT_SUPPORT_EMAIL']}")]
        assert hrefs and not any("Zoe" in h or "Otherteam" in h or "@" in h for h in hrefs)


def test_posted_fields_the_form_does_not_have_are_ignored(app, make, signed_in, world):
    client = signed_in(make.user("practitioner", world["other"]))
    response = helpers.save(
        client,
        world["draft"],
        "kitchen",
        {
            **helpers.domain_data(definition(app), "kitchen"),
            "team_id": str(world["mine"].id),
            "status": "submitted",
            "created_by_id": "1",
            "rating": "green",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        draft = db.session.get(Assessment, world["draft"])
        assert (draft.team_id, draft.status, draft.rating) == (world["other"].id, "draft", None)


def test_audit_rows_cannot_be_changed_or_deleted(app, make, signed_in, world):
    signed_in(make.user("practitioner", world["other"])).get(f"/children/{world['child']}")
    with app.app_context():
        row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "child_viewed")).first()
        row.detail = "tampered"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.merge(row))
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
