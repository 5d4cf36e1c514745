"""Importing children from the case system's CSV: the command (dry run, re-import, changes as
moves, bad rows, --skip-invalid) and the administrators' "Import children" page."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from heat.extensions import db
from heat.models import AuditEvent, Child, ChildAddress, PlanChange
from tests.test_assessment_flow import count
from tests.test_cli_and_admin import run

HEADER = (
    "case_reference,first_name,last_name,date_of_birth,expected_date_of_birth,team,"
    "allocated_worker_email,plan,address_line_1,address_line_2,town,postcode"
)


def csv_file(tmp_path, *rows: str, name: str = "children.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def rows(worker_email: str) -> list[str]:
    return [
        f"LCS-1,Ada,Inventa,2024-03-01,,Riverside,{worker_email},cp,1 Made Up Road,,Testtown,ZZ1 1AA",
        f"LCS-2,Ben,Inventa,15/06/2022,,Riverside,{worker_email},cp,1 Made Up Road,,Testtown,ZZ1 1AA",
        f"LCS-3,,Unborn,,{_due()},Riverside,{worker_email},cin,Flat 3 Sample House,Sample Street,Testtown,ZZ2 2BB",
    ]


def _due() -> str:
    import datetime as dt

    return (dt.date.today() + dt.timedelta(days=50)).isoformat()


def references(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Child.reference)))


def test_a_dry_run_prints_what_would_change_and_changes_nothing(app, make, team_world, tmp_path):
    make.user("admin")
    path = csv_file(tmp_path, *rows(team_world["worker"].email))
    before = references(app)
    result = run(app, "children", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would add LCS-1" in result.output and "Would add LCS-3" in result.output
    assert "3 to add, 0 to change, 0 unchanged. Dry run: nothing was changed." in result.output
    assert references(app) == before


def test_import_then_the_same_file_again_changes_nothing_and_a_changed_row_is_a_move(app, make, team_world, tmp_path):
    make.user("admin")
    worker = team_world["worker"].email
    path = csv_file(tmp_path, *rows(worker))
    result = run(app, "children", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "3 added, 0 changed, 0 unchanged." in result.output
    with app.app_context():
        ben = db.session.scalar(select(Child).where(Child.reference == "LCS-2"))
        assert str(ben.date_of_birth) == "2022-06-15" and ben.team.name == "Riverside"
        unborn = db.session.scalar(select(Child).where(Child.reference == "LCS-3"))
        assert unborn.date_of_birth is None and unborn.name == "Baby Unborn"
    audit_rows = count(app, AuditEvent)
    again = run(app, "children", "import", str(path))
    assert "0 added, 0 changed, 3 unchanged." in again.output
    assert count(app, AuditEvent) == audit_rows + 1  # the import itself, and nothing else

    changed = rows(worker)
    changed[0] = changed[0].replace("1 Made Up Road,,Testtown,ZZ1 1AA", "22 Elsewhere Lane,,Othertown,ZZ3 3CC")
    changed[1] = changed[1].replace(",cp,", ",cin,")
    result = run(app, "children", "import", str(csv_file(tmp_path, *changed, name="changed.csv")))
    assert "Changed LCS-1: Moved to 22 Elsewhere Lane, Othertown, ZZ3 3CC" in result.output
    # An administrator may not see the child's record: the new value (from the file), not the old.
    assert "Changed LCS-2: Plan: changed to Child in Need plan" in result.output
    with app.app_context():
        ada = db.session.scalar(select(Child).where(Child.reference == "LCS-1"))
        moves = db.session.scalar(
            select(func.count()).select_from(ChildAddress).where(ChildAddress.child_id == ada.id, ChildAddress.is_move)
        )
        assert moves == 1
        assert db.session.scalar(select(PlanChange.to_status).join(Child).where(Child.reference == "LCS-2")) == "cin"
        assert db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "child_moved", AuditEvent.child_id == ada.id)
        )


def test_a_file_with_a_bad_row_imports_nothing_and_names_every_problem(app, make, team_world, tmp_path):
    make.user("admin")
    worker = team_world["worker"].email
    bad = [
        *rows(worker),
        f"LCS-4,Cal,Inventa,2024-13-01,,Riverside,{worker},cp,1 Made Up Road,,Testtown,ZZ1 1AA",
        "LCS-5,Dee,Inventa,2023-01-01,,Nowhere,nobody@example.org,cp,1 Made Up Road,,Testtown,ZZ1 1AA",
        f"LCS-6,Eve,Inventa,2023-01-01,,Riverside,{worker},sometimes,1 Made Up Road,,Testtown,ZZ1 1AA",
        f"LCS-1,Ada,Again,2024-03-01,,Riverside,{worker},cp,1 Made Up Road,,Testtown,ZZ1 1AA",
        f"{team_world['child'].reference},Ivy,Invented,2024-03-01,,Riverside,{worker},cp,1 Made Up Road,,Testtown,",
    ]
    before = references(app)
    result = run(app, "children", "import", str(csv_file(tmp_path, *bad)))
    assert result.exit_code == 1
    assert "Line 5: date_of_birth: must be a date as YYYY-MM-DD or DD/MM/YYYY" in result.output
    assert "Line 6: team: no team called “Nowhere”" in result.output
    assert "Line 6: allocated_worker_email: no active practitioner or supervisor nobody@example.org" in result.output
    assert "Line 7: plan: must be one of cp, cin, early_help, none" in result.output
    assert "Line 8: case_reference: LCS-1 is also on line 2" in result.output
    assert "nothing was imported" in result.output
    assert references(app) == before
    skipped = run(app, "children", "import", str(csv_file(tmp_path, *bad, name="again.csv")), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "3 added" in skipped.output and "4 rows skipped" in skipped.output
    assert {"LCS-1", "LCS-2", "LCS-3"} <= references(app) and "LCS-4" not in references(app)


def test_a_wrong_header_is_refused(app, make, tmp_path):
    make.user("admin")
    path = tmp_path / "wrong.csv"
    path.write_text("reference,name\nX,Y\n")
    result = run(app, "children", "import", str(path))
    assert result.exit_code == 1 and "Line 1: header: the first row must be: case_reference,first_name" in result.output


def test_administrators_import_from_the_import_children_page(app, make, signed_in, team_world):
    admin = signed_in(make.user("admin"))
    page = admin.get("/admin/import").get_data(as_text=True)
    assert "Import children" in page and HEADER in page
    body = ("\n".join([HEADER, *rows(team_world["worker"].email)]) + "\n").encode()

    def upload(*options):
        return admin.post(
            "/admin/import",
            data={"csrf_token": admin.token, "file": (io.BytesIO(body), "children.csv"), "options": list(options)},
            content_type="multipart/form-data",
        )

    checked = upload("dry_run").get_data(as_text=True)
    assert "What the import would do" in checked and "3 to add" in checked
    assert "LCS-1" not in references(app)
    done = upload().get_data(as_text=True)
    assert "3 added, 0 changed, 0 unchanged." in done
    assert {"LCS-1", "LCS-2", "LCS-3"} <= references(app)
    assert count(app, AuditEvent, AuditEvent.action == "children_imported") == 1
    no_file = admin.post("/admin/import", data={"csrf_token": admin.token}, content_type="multipart/form-data")
    assert "Choose a CSV file" in no_file.get_data(as_text=True)
