"""Issue 22, findings 3 and 10: an import shows only what the importing user may see (and a dry
run audits every child it compares); another team's or a restricted record is not found by its
case reference; long values, NUL and control characters are row problems, never a 500 or a
traceback; one upload limit, stated and enforced with its own page; rows are written in batches."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from heat.extensions import db
from heat.models import AuditEvent, Child, User, utcnow
from heat.services import importing
from tests.test_assessment_flow import count
from tests.test_cli_and_admin import run
from tests.test_import import HEADER, csv_file, references


@pytest.fixture
def south(app, make):
    """Leo Walsh of the South team, with his worker, and a restricted child of South."""
    team = make.team("South")
    worker = make.user("practitioner", team, email="tom.reid@example.org")
    leo = make.child(team, "Leo", "Walsh")
    hidden = make.child(team, "Rae", "Restricted")
    with app.app_context():
        db.session.get(Child, hidden.id).restricted_at = utcnow()
        db.session.commit()
    return {"team": team, "worker": worker, "leo": leo, "restricted": hidden}


def row(child, worker_email: str, team: str = "South", first: str = "A", plan: str = "early_help", **extra) -> str:
    values = {
        "case_reference": child if isinstance(child, str) else child.reference,
        "first_name": first,
        "last_name": "Walsh",
        "date_of_birth": "2024-01-01",
        "expected_date_of_birth": "",
        "team": team,
        "allocated_worker_email": worker_email,
        "plan": plan,
        "address_line_1": "1 Made Up Road",
        "address_line_2": "",
        "town": "Testtown",
        "postcode": "ZZ1 1AA",
        **extra,
    }
    return ",".join(values[c] for c in importing.COLUMNS)


def upload(client, body: bytes, *options: str):
    builder = EnvironBuilder(
        path="/admin/import",
        method="POST",
        data={"csrf_token": client.token, "file": (io.BytesIO(body), "children.csv"), "options": list(options)},
        content_type="multipart/form-data",
    )
    environ = builder.get_environ()
    try:  # a large body is spooled to a temporary file: closed here, whether or not it was read
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_an_import_dry_run_shows_an_administrator_nothing_of_the_record_and_audits_each_child(
    app, make, signed_in, south
):
    """Finding 3: the dry run read "First name: Leo to A; ... Allocated worker: Tom Reid"."""
    admin_user = make.user("admin")
    admin = signed_in(admin_user)
    leo, hidden = south["leo"], south["restricted"]
    body = "\n".join([HEADER, row(leo, "tom.reid@example.org"), row(hidden, "tom.reid@example.org")]) + "\n"
    page = upload(admin, body.encode(), "dry_run")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "What the import would do" in html
    assert "Leo" not in html and "Tom Reid" not in html and "Rae" not in html
    assert "First name: changed to A" in html and "Plan: changed to Early help" in html
    assert f"No child you can see has case reference {hidden.reference}" in html  # restricted: not found
    with app.app_context():
        checked = db.session.scalars(
            select(AuditEvent.child_id).where(AuditEvent.action == "child_import_checked")
        ).all()
    assert checked == [leo.id]
    assert count(app, AuditEvent, AuditEvent.child_id == hidden.id) == 0
    # The command says the same.
    path = csv_file_from(body)
    printed = run(app, "children", "import", str(path), "--dry-run", "--by", admin_user.email).output
    assert "Leo" not in printed and "Tom Reid" not in printed and "First name: changed to A" in printed
    assert count(app, AuditEvent, AuditEvent.action == "child_import_checked", AuditEvent.child_id == leo.id) == 2


def csv_file_from(body: str):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "children.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_an_import_by_a_supervisor_finds_only_their_own_teams_children(app, make, team_world, south, tmp_path):
    leo = south["leo"]
    supervisor = team_world["supervisor"]
    path = csv_file(tmp_path, row(leo, team_world["worker"].email, team="Riverside"))
    result = run(app, "children", "import", str(path), "--by", supervisor.email)
    assert result.exit_code == 1
    assert f"case_reference: No child you can see has case reference {leo.reference}" in result.output
    assert "Leo" not in result.output
    with app.app_context():
        assert db.session.get(Child, leo.id).first_name == "Leo"
    # Nor may they add children to another team.
    other = csv_file(tmp_path, row("LCS-NEW", "tom.reid@example.org"), name="other.csv")
    refused = run(app, "children", "import", str(other), "--by", supervisor.email)
    assert "team: you can import children for your own team only" in refused.output
    assert "LCS-NEW" not in references(app)


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("first_name", "A" * (200 * 1024), "must be 100 characters or fewer"),
        ("address_line_1", "x" * 201, "must be 200 characters or fewer"),
        ("town", "T" * 101, "must be 100 characters or fewer"),
        ("last_name", "Wal\x00sh", "must not contain NUL or other control characters"),
        ("case_reference", "LCS\x00-9", "must not contain NUL or other control characters"),
        ("team", "Sou\x1bth", "must not contain NUL or other control characters"),
    ],
)
def test_long_values_and_control_characters_are_row_problems(
    app, make, signed_in, south, tmp_path, column, value, reason
):
    """Finding 10: a field over 128 KiB was a 500 (page) or a traceback (command); NUL a 500 on
    PostgreSQL."""
    admin_user = make.user("admin")
    body = "\n".join([HEADER, row("LCS-9", "tom.reid@example.org", **{column: value})]) + "\n"
    result = run(app, "children", "import", str(csv_file_from(body)))
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if len(value) > 128 * 1024:
        assert "Line 2: row: cannot be read" in result.output or f"Line 2: {column}: {reason}" in result.output
    else:
        assert f"Line 2: {column}: {reason}" in result.output
    assert "nothing was imported" in result.output
    page = upload(signed_in(admin_user), body.encode())
    assert page.status_code == 200 and "Nothing was imported" in page.get_data(as_text=True)
    assert "LCS-9" not in references(app)
    skipped = run(app, "children", "import", str(csv_file_from(body)), "--skip-invalid")
    assert skipped.exit_code == 0 and "1 row skipped" in skipped.output


def test_one_upload_limit_stated_on_the_page_and_enforced_with_its_own_page(app, make, signed_in, south):
    admin = signed_in(make.user("admin"))
    assert "The file must be 20 MB or smaller" in admin.get("/admin/import").get_data(as_text=True)
    rows = [row(f"BIG-{n:05d}", "tom.reid@example.org", first=f"Child{n}") for n in range(15_000)]
    body = ("\n".join([HEADER, *rows]) + "\n").encode()
    assert 1024 * 1024 < len(body) < importing.MAX_BYTES  # more than the old 1 MiB ceiling
    checked = upload(admin, body, "dry_run")
    assert checked.status_code == 200 and "15000 to add" in checked.get_data(as_text=True)
    too_big = upload(admin, body * (importing.MAX_BYTES // len(body) + 1), "dry_run")
    assert too_big.status_code == 413
    html = too_big.get_data(as_text=True)
    assert "The file is too large" in html and "20 MB or smaller" in html
    # Everything else keeps the small limit.
    assert (
        admin.post("/admin/users/new", data={"csrf_token": admin.token, "name": "x" * (2 * 1024 * 1024)}).status_code
        == 413
    )


def test_rows_are_written_in_batches_each_committed(app, make, south, monkeypatch):
    admin_user = make.user("admin")
    commits = []
    real_commit = db.session.commit

    def counting_commit():
        commits.append(1)
        real_commit()

    rows = [row(f"BAT-{n:03d}", "tom.reid@example.org", first=f"Child{n}") for n in range(25)]
    body = ("\n".join([HEADER, *rows]) + "\n").encode()
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", counting_commit)
        user = db.session.get(User, admin_user.id)
        outcome = importing.run(body, user=user, batch=10)
        real_commit()
    assert len(outcome.added) == 25 and outcome.applied
    assert len(commits) >= 6  # 3 batches checked, 3 written
    assert {f"BAT-{n:03d}" for n in range(25)} <= references(app)


def test_a_batch_takes_as_many_rows_as_fit_in_a_fraction_of_a_second_at_the_last_ones_pace():
    """On a loaded machine 500 rows took over 10 s, holding SQLite's write lock past every other
    request's busy timeout: the next batch is sized from the last one's pace instead."""
    pace = importing._Pace(500)
    assert pace.size == importing.FIRST_BATCH
    pace.took(50, 0.05)  # a quiet machine: 1 ms a row -> twice as many, and no more, next time
    assert pace.size == 100
    for _ in range(5):
        pace.took(pace.size, pace.size * 0.001)
    assert pace.size == 250 == int(importing.BATCH_SECONDS / 0.001)  # a quarter of a second's worth
    pace.took(250, 5.0)  # the machine gets busy: 20 ms a row
    assert pace.size == 12
    pace.took(12, 30.0)  # a row takes longer than the whole allowance: one row at a time
    assert pace.size == 1
    quick = importing._Pace(10)
    quick.took(10, 0.0001)
    assert quick.size == 10  # never more than asked for


def test_an_import_on_a_busy_machine_commits_in_smaller_batches(app, make, south, monkeypatch):
    admin_user = make.user("admin")
    monkeypatch.setattr(importing, "BATCH_SECONDS", 0.0)  # every row "took too long": one a batch
    monkeypatch.setattr(importing, "FIRST_BATCH", 3)
    rows = [row(f"SLO-{n:03d}", "tom.reid@example.org", first=f"Child{n}") for n in range(12)]
    body = ("\n".join([HEADER, *rows]) + "\n").encode()
    commits = []
    real_commit = db.session.commit
    with app.app_context():
        monkeypatch.setattr(db.session, "commit", lambda: (commits.append(1), real_commit()))
        outcome = importing.run(body, user=db.session.get(User, admin_user.id))
        real_commit()
    assert len(outcome.added) == 12 and outcome.applied
    assert len(commits) == 2 * (1 + 9)  # each reading: 3 rows, then one row a commit
    assert {f"SLO-{n:03d}" for n in range(12)} <= references(app)
