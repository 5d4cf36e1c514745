"""Commands (flask users, teams, seed-demo) and the admin pages."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, Child, FlagResponse, PlanChange, User
from heat.services import checklists, history
from tests.conftest import sign_in


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_a_team_and_a_user_from_the_command_line(app):
    assert run(app, "teams", "create", "East").exit_code == 0
    result = run(
        app,
        "users",
        "create",
        "--email",
        "New.Worker@example.org",
        "--name",
        "New Worker",
        "--role",
        "practitioner",
        "--team",
        "East",
        "--password",
        "a kettle and two mugs",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.worker@example.org"))
        assert user.role == "practitioner" and user.team.name == "East"
        assert user.password_hash.startswith("$argon2id$")
    assert sign_in(app.test_client(), "new.worker@example.org", "a kettle and two mugs").status_code == 302


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "practitioner", "--password", "a kettle and two mugs"], "Select a team"),
        (["--role", "auditor", "--password", "password123"], "too common"),
        (["--role", "auditor", "--password", "a kettle and two mugs", "--team", "Nowhere"], "no team called 'Nowhere'"),
    ],
)
def test_user_create_refuses_bad_input(app, args, message):
    result = run(app, "users", "create", "--email", "x@example.org", "--name", "X", *args)
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_deactivate_from_the_command_line(app, make):
    user = make.user("supervisor", make.team())
    assert run(app, "users", "deactivate", "--email", user.email).exit_code == 0
    assert sign_in(app.test_client(), user.email).status_code == 200


def test_seed_demo_loads_the_invented_teams_accounts_and_children(app):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        assert emails == {
            "north-worker@example.org",
            "north-supervisor@example.org",
            "north-practitioner@example.org",
            "north-worker-3@example.org",
            "north-worker-4@example.org",
            "south-worker@example.org",
            "south-supervisor@example.org",
            "auditor@example.org",
            "admin@example.org",
        }
        children = {c.name: c for c in db.session.scalars(select(Child))}
        assert set(children) == {
            *("Lily Carter", "Noah Carter", "Mia Hughes", "Leo Walsh", "Baby Price"),
            *("Ava Brooks", "Finn Doyle", "Ruby Marsh"),  # joint visits (issue 24)
        }
        assert children["Baby Price"].date_of_birth is None and children["Baby Price"].expected_date_of_birth
        assert children["Lily Carter"].household_id == children["Noah Carter"].household_id
        assert children["Lily Carter"].plan_status == "cp" and children["Mia Hughes"].plan_status == "cin"
        assert children["Leo Walsh"].team.name == "South"
        mia = history.recorded_visits(children["Mia Hughes"].id, with_answers=True)
        assert [a.status for a in mia] == [
            "agreed",
            "agreed",
            "agreed",
            "submitted",
        ]
        # Real rows, scored by the real code: re-scoring gives the stored rating, and the home slips.
        for a in mia:
            assert checklists.score_of(a).rating == a.rating
        means = [a.mean_grade for a in mia]
        assert means == sorted(means) and means[0] < means[-1]
        # A newcomer sees the oversight at once: Lily's step-down waits for the supervisor, and
        # Leo's latest visit could not see the kitchen.
        (waiting,) = db.session.scalars(select(PlanChange).where(PlanChange.status == "requested")).all()
        assert waiting.child_id == children["Lily Carter"].id and waiting.to_status == "cin"
        assert children["Leo Walsh"].latest_rating == "incomplete"
        assert children["Leo Walsh"].direction == "incomplete"
        assert db.session.scalar(select(func.count()).select_from(FlagResponse)) > 0
    assert sign_in(app.test_client(), "north-worker@example.org", "heat-demo-password").status_code == 302
    # North has twelve joint visits, graded alike mostly, with some grade descriptions to review.
    agreement = json.loads(run(app, "practice", "agreement", "--team", "North", "--json").output)
    assert agreement["joint_visits"] >= 12
    assert 0.6 < agreement["overall"]["kappa"] < 1
    assert agreement["grade_descriptions_to_review"]


def test_seed_demo_only_into_an_empty_database_and_never_in_production(app, another_app):
    assert run(app, "seed-demo").exit_code == 0
    again = run(app, "seed-demo")
    assert again.exit_code != 0 and "empty database" in again.output
    assert run(app, "seed-demo", "--if-empty").exit_code == 0
    production = another_app(HEAT_ENV="production", HEAT_HTTPS=True, SECRET_KEY="s" * 32)
    result = production.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "never loaded" in result.output


def test_admin_creates_changes_and_deactivates_users(app, make, signed_in):
    team = make.team("West")
    admin = signed_in(make.user("admin"))
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert "West" in page
    response = admin.post(
        "/admin/users/new",
        data={
            "csrf_token": admin.token,
            "name": "Pat Invented",
            "email": "pat@example.org",
            "role": "practitioner",
            "team_id": str(team.id),
            "password": "windows open in summer",
            "active": "active",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        pat = db.session.scalar(select(User).where(User.email == "pat@example.org"))
        pat_id = pat.id
    response = admin.post(
        f"/admin/users/{pat_id}",
        data={
            "csrf_token": admin.token,
            "name": "Pat Invented",
            "email": "pat@example.org",
            "role": "supervisor",
            "team_id": str(team.id),
            "password": "",
            "active": "active",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, pat_id).role == "supervisor"
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_user_id == pat_id)))
        assert actions == ["user_created", "user_changed"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"password": "short"}, "at least 8 characters"),
        ({"password": ""}, "Enter a password for the new account"),
        ({"team_id": ""}, "Select a team for a practitioner or supervisor"),
        ({"team_id": "99999"}, "Select one of the options for Team"),
        ({"role": "superuser"}, "Select one of the options for Role"),
        ({"name": ""}, "Enter the person&#39;s full name"),
    ],
)
def test_admin_user_form_errors(app, make, signed_in, change, message):
    team = make.team()
    admin = signed_in(make.user("admin"))
    data = {
        "csrf_token": admin.token,
        "name": "Sam",
        "email": "sam@example.org",
        "role": "practitioner",
        "team_id": str(team.id),
        "password": "windows open in summer",
        "active": "active",
    }
    response = admin.post("/admin/users/new", data={**data, **change})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "sam@example.org")) == 0


def test_admin_adds_a_team_and_duplicate_names_are_refused(app, make, signed_in):
    admin = signed_in(make.user("admin"))
    assert admin.post("/admin/teams", data={"csrf_token": admin.token, "name": "Central"}).status_code == 302
    again = admin.post("/admin/teams", data={"csrf_token": admin.token, "name": "Central"})
    assert "A team with this name already exists" in again.get_data(as_text=True)
