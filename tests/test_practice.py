"""Calibration cases (issue 24 item 3): an administrator drafts, grades and publishes a practice
case; practitioners grade it privately and see their grades beside the reference and the team's
spread; supervisors see their own team's agreement with the reference, figures checked by hand."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from heat.checklist.agreement import quadratic_kappa
from heat.checklist.calibration import agreement
from heat.extensions import db
from heat.models import Assessment, AuditEvent, ItemGrade, PracticeAttempt, PracticeCase, PracticeCasePhoto, User
from heat.services.demo import DEMO_PASSWORD
from tests import helpers
from tests.conftest import csrf_token, sign_in
from tests.test_photos import errors_on, multipart, picture

VERSION = "2026.4"
AGE = "under_1"
DESCRIPTION = "A ground-floor flat (invented).\nThe cot has a pillow and a duvet in it.\nNo outside space."


def rows(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def item_ids(app) -> list[str]:
    with app.app_context():
        definition = app.extensions["heat_definitions"][VERSION].for_ages(frozenset({AGE}))
        return [item.id for item in definition.items]


def grades_post(client, grades: dict[str, str], **extra) -> dict:
    return {"csrf_token": client.token, **{f"grade_{k.replace('.', '__')}": v for k, v in grades.items()}, **extra}


def grade(client, case_id: int, grades: dict[str, str]):
    return client.post(f"/practice-cases/{case_id}/grade", data=grades_post(client, grades))


def named(app, make, role: str, team, name: str) -> User:
    user = make.user(role, team)
    with app.app_context():
        db.session.get(User, user.id).name = name
        db.session.commit()
    return user


# The reference: 2 everywhere but five items; the practitioners' grades differ from it as below.
REFERENCE_EXCEPTIONS = {"sleep.mattress": "4", "sleep.sharing": "4", "general.floors": "3", "outside.water": "NA"}


def reference(app) -> dict[str, str]:
    return {item_id: REFERENCE_EXCEPTIONS.get(item_id, "2") for item_id in item_ids(app)}


@pytest.fixture
def published(app, make, signed_in):
    """A case published through the admin pages, and the admin's client."""
    admin = signed_in(make.user("admin"))
    created = admin.post(
        "/admin/practice-cases/new",
        data={
            "csrf_token": admin.token,
            "title": "A flat with a baby",
            "description": DESCRIPTION,
            "checklist_version": VERSION,
            "age_group": AGE,
        },
    )
    assert created.status_code == 302
    with app.app_context():
        case_id = db.session.scalar(select(PracticeCase.id))
    assert (
        admin.post(f"/admin/practice-cases/{case_id}/reference", data=grades_post(admin, reference(app))).status_code
        == 302
    )
    assert admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token}).status_code == 302
    return case_id, admin


def test_kappa_against_a_hand_worked_example():
    # Reference 1 2 3 4, practitioner 1 2 4 4. Weights (i-j)^2. Observed weighted disagreement:
    # one pair (3,4) weight 1, over 4 pairs = 1/4. Expected, from the margins (1/4 each of 1-4;
    # 1/4, 1/4, 0, 1/2 of 1, 2, 3, 4): (4.75 + 2.25 + 1.75 + 3.25) / 4 = 3. Kappa = 1 - (1/4)/3 = 11/12.
    assert quadratic_kappa([1, 2, 3, 4], [1, 2, 4, 4]) == pytest.approx(11 / 12)
    assert quadratic_kappa([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert quadratic_kappa([3, 3, 3], [3, 3, 3]) is None  # every grade the same: undefined
    assert quadratic_kappa([], []) is None


def test_agreement_counts_matching_within_one_and_kappa_over_graded_pairs():
    ref = {"a": "1", "b": "2", "c": "3", "d": "4", "e": "NA", "f": "NS"}
    theirs = {"a": "1", "b": "2", "c": "4", "d": "4", "e": "NA", "f": "2"}
    result = agreement(ref, theirs)
    assert (result.items, result.matching, result.within_one) == (6, 4, 5)
    # Kappa only over a-d, both graded 1-5: the hand-worked example above.
    assert result.kappa_items == 4 and result.kappa == pytest.approx(11 / 12)


def test_the_whole_journey(app, make, signed_in, published):
    case_id, admin = published
    north, south = make.team("North"), make.team("South")
    first = named(app, make, "practitioner", north, "Asha First")
    second = named(app, make, "practitioner", north, "Bo Second")
    third = named(app, make, "practitioner", north, "Cy Third")
    southerner = named(app, make, "practitioner", south, "Di South")
    boss = signed_in(named(app, make, "supervisor", north, "Ed Boss"))
    ref = reference(app)

    # The practitioner finds it, reads the description, and grades it with the visit's wording.
    me = signed_in(first)
    listed = me.get("/practice-cases").get_data(as_text=True)
    assert "A flat with a baby" in listed and "Not graded yet" in listed
    form = me.get(f"/practice-cases/{case_id}/grade")
    html = form.get_data(as_text=True)
    assert "The cot has a pillow and a duvet in it." in html
    assert "What each grade looks like" in html
    assert "4 Serious" in html and "Not seen" in html and "Not applicable" in html
    assert "Reference" not in helpers.page(html).find("form").get_text()  # nothing of the answer before grading

    # Missing grades: the error summary, and nothing stored.
    partial = dict(list(ref.items())[:5])
    refused = me.post(f"/practice-cases/{case_id}/grade", data=grades_post(me, partial))
    assert refused.status_code == 200
    assert "There is a problem" in refused.get_data(as_text=True)
    assert rows(app, PracticeAttempt) == 0

    # Three items differ from the reference: sleep.mattress 4 -> 3, sleep.sharing 4 -> 2, kitchen.hot 2 -> NS.
    mine = {**ref, "sleep.mattress": "3", "sleep.sharing": "2", "kitchen.hot": "NS"}
    done = me.post(f"/practice-cases/{case_id}/grade", data=grades_post(me, mine))
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/practice-cases/{case_id}/result")
    page = me.get(f"/practice-cases/{case_id}/result").get_data(as_text=True)
    n = len(ref)
    assert f"on {n - 3} of {n}" in helpers.page(page).get_text(" ", strip=True).replace("  ", " ")
    assert "shown once 3 practitioners" in page  # one attempt: no spread yet
    # A second submission changes nothing; the grading page now leads to the result.
    again = me.post(f"/practice-cases/{case_id}/grade", data=grades_post(me, ref))
    assert again.status_code == 302
    assert rows(app, PracticeAttempt) == 1
    with app.app_context():
        assert db.session.scalar(select(PracticeAttempt.grades))["sleep.sharing"] == "2"

    # Two more of North and one of South grade it.
    b = signed_in(second)
    assert grade(b, case_id, ref).status_code == 302
    c = signed_in(third)
    assert grade(c, case_id, {**ref, "sleep.sharing": "5"}).status_code == 302
    s = signed_in(southerner)
    assert grade(s, case_id, {**ref, "sleep.sharing": "1"}).status_code == 302

    # North's spread: sleep.sharing 2 (me), 4 (second), 5 (third); South's 1 is not in it.
    page = me.get(f"/practice-cases/{case_id}/result").get_data(as_text=True)
    assert "3 practitioners have graded this case" in page
    sharing = _row(page, "sleep.sharing", app)
    assert "2 Adequate: 1 person" in sharing and "4 Serious: 1 person" in sharing and "5 Dangerous: 1 person" in sharing
    assert "1 Good" not in sharing
    assert "Different" in sharing and "Different" not in _row(page, "general.smell", app)
    assert f"within one grade on {n - 2} of {n}" in helpers.page(page).get_text(" ", strip=True)
    for name in ("Bo Second", "Cy Third", "Di South"):
        assert name not in page

    # The supervisor: each of North, with figures worked by hand.
    # Asha: 53 items; matching n-3; within one: all but sleep.sharing (4 vs 2) and kitchen.hot (NS) = n-2.
    # Bo: every grade the reference's. Cy: all but sleep.sharing (5 vs 4): n-1 matching, n within one.
    figures = boss.get(f"/practice-cases/{case_id}/agreement").get_data(as_text=True)
    assert "Di South" not in figures
    asha, bo, cy = _row_text(figures, "Asha First"), _row_text(figures, "Bo Second"), _row_text(figures, "Cy Third")
    assert f"{n - 3} of {n}" in asha and f"{n - 2} of {n}" in asha
    assert f"{n} of {n}" in bo and "1.00" in bo
    assert f"{n - 1} of {n}" in cy and f"{n} of {n}" in cy
    with app.app_context():
        graded = {i: g for i, g in mine.items() if g in "12345" and ref[i] in "12345"}
        expected = quadratic_kappa([int(ref[i]) for i in graded], [int(g) for g in graded.values()])
    assert f"{expected:.2f}" in asha

    # Never in a child's record: no assessment and no item grade was written.
    assert rows(app, Assessment) == 0 and rows(app, ItemGrade) == 0


def _row(html: str, item_id: str, app) -> str:
    with app.app_context():
        text = app.extensions["heat_definitions"][VERSION].item(item_id).text
    return _row_text(html, text)


def _row_text(html: str, containing: str) -> str:
    for tr in helpers.page(html).select("tr"):
        if containing in tr.get_text():
            return tr.get_text(" ", strip=True)
    raise AssertionError(f"no row with {containing}")


def test_administrators_draft_check_and_publish_and_a_published_case_is_frozen(app, make, signed_in):
    admin = signed_in(make.user("admin"))
    worker = signed_in(make.user("practitioner", make.team()))
    # Bad input: the error summary, nothing stored.
    bad = admin.post(
        "/admin/practice-cases/new",
        data={"csrf_token": admin.token, "title": "", "description": "", "checklist_version": "1999.9"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "There is a problem" in html
    for message in ("Enter a title", "Describe the home", "Select the age of the most vulnerable child"):
        assert message in html
    assert rows(app, PracticeCase) == 0
    created = admin.post(
        "/admin/practice-cases/new",
        data={
            "csrf_token": admin.token,
            "title": "Draft home",
            "description": DESCRIPTION,
            "checklist_version": VERSION,
            "age_group": AGE,
        },
    )
    assert created.status_code == 302
    with app.app_context():
        case_id = db.session.scalar(select(PracticeCase.id))
    # A draft is the administrator's alone.
    assert "Draft home" not in worker.get("/practice-cases").get_data(as_text=True)
    assert worker.get(f"/practice-cases/{case_id}/grade").status_code == 404

    # Publishing needs a reference grade for every item.
    some = dict(list(reference(app).items())[:10])
    admin.post(f"/admin/practice-cases/{case_id}/reference", data=grades_post(admin, some))
    refused = admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token})
    n = len(item_ids(app))
    assert refused.status_code == 200
    assert f"{n - 10} items have none" in refused.get_data(as_text=True)
    assert rows(app, PracticeCase, PracticeCase.status == "draft") == 1
    # The reference form asks every item with the visit's grade descriptions.
    form = admin.get(f"/admin/practice-cases/{case_id}/reference").get_data(as_text=True)
    assert form.count("What each grade looks like") >= n - 5
    assert "Some concern" in form

    assert (
        admin.post(f"/admin/practice-cases/{case_id}/reference", data=grades_post(admin, reference(app))).status_code
        == 302
    )
    changed = {
        "csrf_token": admin.token,
        "title": "A new title",
        "description": "Changed.",
        "checklist_version": VERSION,
        "age_group": AGE,
    }
    assert admin.post(f"/admin/practice-cases/{case_id}/details", data=changed).status_code == 302
    assert admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token}).status_code == 302
    shown = admin.get(f"/admin/practice-cases/{case_id}").get_data(as_text=True)
    assert "Published" in shown and "Publish practice case" not in shown

    # Frozen: changes are refused on the page and nothing changes.
    again = admin.post(f"/admin/practice-cases/{case_id}/details", data={**changed, "title": "Sneaky"})
    assert "has been published, so it cannot be changed" in again.get_data(as_text=True)
    regrade = admin.post(
        f"/admin/practice-cases/{case_id}/reference", data=grades_post(admin, {k: "5" for k in item_ids(app)})
    )
    assert "has been published, so it cannot be changed" in regrade.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(PracticeCase, case_id)
        assert case.title == "A new title" and case.description == "Changed."
        assert case.reference_grades == reference(app)
    assert "A new title" in worker.get("/practice-cases").get_data(as_text=True)


def test_privacy_each_sees_only_what_is_theirs(app, make, signed_in, published):
    case_id, admin = published
    north, south = make.team("North"), make.team("South")
    ann = named(app, make, "practitioner", north, "Ann Private")
    bob = named(app, make, "practitioner", north, "Bob Private")
    a, b = signed_in(ann), signed_in(bob)
    assert grade(a, case_id, {**reference(app), "sleep.sharing": "1"}).status_code == 302
    # Bob has not graded: the result page sends him to grade first, with nothing of Ann's on it.
    assert b.get(f"/practice-cases/{case_id}/result").headers["Location"].endswith("/grade")
    page = b.get(f"/practice-cases/{case_id}/grade").get_data(as_text=True)
    assert "Ann Private" not in page and "1 Good: 1 person" not in page
    assert grade(b, case_id, reference(app)).status_code == 302
    # Two in the team: no spread (Bob could work Ann's grades out of it).
    result = b.get(f"/practice-cases/{case_id}/result").get_data(as_text=True)
    assert (
        "Your team</th>" not in result
        and "Ann Private" not in result
        and "1 Good" not in _row(result, "sleep.sharing", app)
    )
    # Practitioners never reach the agreement page; South's supervisor sees nobody of North's.
    assert a.get(f"/practice-cases/{case_id}/agreement").status_code == 404
    south_boss = signed_in(make.user("supervisor", south))
    figures = south_boss.get(f"/practice-cases/{case_id}/agreement").get_data(as_text=True)
    assert "Nobody in your team has graded this case yet." in figures and "Ann Private" not in figures
    # Administrators manage cases, and never see anyone's grades; auditors have nothing here.
    assert admin.get(f"/practice-cases/{case_id}/result").status_code == 404
    assert admin.get(f"/practice-cases/{case_id}/agreement").status_code == 404
    assert "Ann Private" not in admin.get(f"/admin/practice-cases/{case_id}").get_data(as_text=True)
    assert signed_in(make.user("auditor")).get("/practice-cases").status_code == 404


def test_every_page_and_change_writes_its_audit_row(app, make, signed_in, published):
    case_id, admin = published
    team = make.team()
    worker, boss = make.user("practitioner", team), make.user("supervisor", team)
    w, s = signed_in(worker), signed_in(boss)

    def written(user, action) -> int:
        return rows(app, AuditEvent, AuditEvent.user_id == user.id, AuditEvent.action == action)

    with app.app_context():
        admin_user = db.session.scalar(select(User).where(User.role == "admin"))
    for client, user, url, action in [
        (admin, admin_user, "/admin/practice-cases", "practice_cases_viewed"),
        (admin, admin_user, f"/admin/practice-cases/{case_id}", "practice_case_viewed"),
        (w, worker, "/practice-cases", "practice_cases_viewed"),
        (w, worker, f"/practice-cases/{case_id}/grade", "practice_case_viewed"),
        (s, boss, f"/practice-cases/{case_id}/agreement", "practice_agreement_viewed"),
    ]:
        before = written(user, action)
        assert client.get(url).status_code == 200
        assert written(user, action) == before + 1, url
    assert written(admin_user, "practice_case_created") == 1
    assert written(admin_user, "practice_reference_saved") == 1
    assert written(admin_user, "practice_case_published") == 1
    assert grade(w, case_id, reference(app)).status_code == 302
    assert written(worker, "practice_attempt_submitted") == 1
    assert w.get(f"/practice-cases/{case_id}/result").status_code == 200
    assert written(worker, "practice_result_viewed") == 1


def test_the_demo_has_a_published_case_graded_by_three_of_north(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    boss = app.test_client()
    assert sign_in(boss, "north-supervisor@example.org", DEMO_PASSWORD).status_code == 302
    with app.app_context():
        case_id = db.session.scalar(select(PracticeCase.id).where(PracticeCase.status == "published"))
    assert rows(app, PracticeAttempt, PracticeAttempt.case_id == case_id) == 3
    figures = boss.get(f"/practice-cases/{case_id}/agreement").get_data(as_text=True)
    assert "Items matching" in figures
    for name in ("Priya Shah", "Ben Adeyemi", "Ola Nowak"):
        assert "of" in _row_text(figures, name)
    # north-worker has not graded it yet; once she has, the spread of four of North is shown.
    worker = app.test_client()
    assert sign_in(worker, "north-worker@example.org", DEMO_PASSWORD).status_code == 302
    worker.token = csrf_token(worker, "/caseload")
    assert "Not graded yet" in worker.get("/practice-cases").get_data(as_text=True)
    assert grade(worker, case_id, reference_of(app, case_id)).status_code == 302
    assert "4 practitioners have graded this case" in worker.get(f"/practice-cases/{case_id}/result").get_data(
        as_text=True
    )


def reference_of(app, case_id: int) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.get(PracticeCase, case_id).reference_grades)


# Photos of the case's home (item 3 "with photos", now that visits take them).


def draft_case(app, make, signed_in):
    admin = signed_in(make.user("admin"))
    data = {"title": "A flat (photos)", "description": DESCRIPTION, "checklist_version": VERSION, "age_group": AGE}
    assert admin.post("/admin/practice-cases/new", data={"csrf_token": admin.token, **data}).status_code == 302
    with app.app_context():
        case_id = db.session.scalar(select(PracticeCase.id).where(PracticeCase.title == "A flat (photos)"))
    return case_id, admin


def add_case_photo(client, case_id: int, photo: bytes, caption: str = "The cot, with a pillow in it"):
    data = {"csrf_token": client.token, "photo": (io.BytesIO(photo), "cot.jpg"), "caption": caption}
    return multipart(client, f"/admin/practice-cases/{case_id}/photos/new", data)


def case_photos(app, case_id: int) -> list[PracticeCasePhoto]:
    with app.app_context():
        query = select(PracticeCasePhoto).where(PracticeCasePhoto.case_id == case_id).order_by(PracticeCasePhoto.id)
        return list(db.session.scalars(query.options(undefer(PracticeCasePhoto.sealed))))


def test_a_case_carries_photos_practitioners_see_as_they_grade(app, make, signed_in):
    case_id, admin = draft_case(app, make, signed_in)
    form = admin.get(f"/admin/practice-cases/{case_id}/photos/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and "What the photo shows" in form
    with app.app_context():
        form_views = select(func.count()).where(AuditEvent.action == "practice_case_form_viewed")
        assert db.session.scalar(form_views.where(AuditEvent.detail.like("%/photos/new"))) == 1

    added = add_case_photo(admin, case_id, picture())
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/admin/practice-cases/{case_id}")
    # The same picture sent again (a double tap) is the one kept.
    assert add_case_photo(admin, case_id, picture()).status_code == 302
    [kept] = case_photos(app, case_id)
    assert (kept.width, kept.height) == (1600, 1200) and kept.caption == "The cot, with a pillow in it"
    assert not kept.sealed.startswith(b"\xff\xd8")  # sealed at rest, not a JPEG
    case_page = admin.get(f"/admin/practice-cases/{case_id}").get_data(as_text=True)
    assert "Photo 1: The cot, with a pillow in it" in case_page and "Remove photo" in case_page

    # What the admin's browser is sent: the picture made again, with no location or camera.
    served = admin.get(f"/practice-cases/{case_id}/photos/{kept.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (1600, 1200) and not image.getexif()

    # Published: practitioners and supervisors in a team see it, on the page they grade from and after.
    assert (
        admin.post(f"/admin/practice-cases/{case_id}/reference", data=grades_post(admin, reference(app))).status_code
        == 302
    )
    assert admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token}).status_code == 302
    team = make.team()
    worker = make.user("practitioner", team)
    me = signed_in(worker)
    page = helpers.page(me.get(f"/practice-cases/{case_id}/grade").get_data(as_text=True))
    [figure] = page.select(".heat-practice-photos figure")
    assert figure.find("img")["src"] == f"/practice-cases/{case_id}/photos/{kept.id}"
    assert figure.find("figcaption").get_text(strip=True) == "Photo 1: The cot, with a pillow in it"
    assert me.get(f"/practice-cases/{case_id}/photos/{kept.id}").data == served.data
    assert grade(me, case_id, reference(app)).status_code == 302
    assert "Photo 1: The cot" in me.get(f"/practice-cases/{case_id}/result").get_data(as_text=True)
    assert (
        signed_in(make.user("supervisor", team)).get(f"/practice-cases/{case_id}/photos/{kept.id}").status_code == 200
    )
    with app.app_context():
        viewed = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "practice_photo_viewed", AuditEvent.user_id == worker.id)
        )
    assert viewed == 1

    # Frozen once published: no photo added or removed, and the add page leads back to the case.
    assert add_case_photo(admin, case_id, picture(colour="navy")).status_code == 302
    removing = admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token, "remove_photo": kept.id})
    assert "it cannot be changed" in removing.get_data(as_text=True)
    assert [p.id for p in case_photos(app, case_id)] == [kept.id]
    assert "Remove photo" not in admin.get(f"/admin/practice-cases/{case_id}").get_data(as_text=True)


def test_case_photos_refused_with_messages_and_removed_from_a_draft(app, make, signed_in):
    case_id, admin = draft_case(app, make, signed_in)
    nothing = multipart(
        admin, f"/admin/practice-cases/{case_id}/photos/new", {"csrf_token": admin.token, "caption": "A cot"}
    )
    assert "Choose a photo" in errors_on(nothing)
    wrong = add_case_photo(admin, case_id, b"%PDF-1.4 not a picture")
    assert "The photo must be a JPEG, PNG or WebP image" in errors_on(wrong)
    unsaid = add_case_photo(admin, case_id, picture(), caption=" ")
    assert "Enter what the photo shows" in errors_on(unsaid)
    assert case_photos(app, case_id) == []

    colours = ["red", "green", "blue", "navy", "olive", "maroon", "purple", "silver", "orange", "gold"]
    for colour in colours:
        assert add_case_photo(admin, case_id, picture(size=(40, 30), colour=colour)).status_code == 302
    full = add_case_photo(admin, case_id, picture(size=(40, 30), colour="pink"))
    assert "You can add up to 10 photos to a practice case" in errors_on(full)
    assert len(case_photos(app, case_id)) == 10

    first = case_photos(app, case_id)[0].id
    removed = admin.post(f"/admin/practice-cases/{case_id}", data={"csrf_token": admin.token, "remove_photo": first})
    assert removed.status_code == 302
    assert first not in [p.id for p in case_photos(app, case_id)] and len(case_photos(app, case_id)) == 9
    assert admin.get(f"/practice-cases/{case_id}/photos/{first}").status_code == 404
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("practice_photo_%"))))
    assert actions.count("practice_photo_added") == 10 and actions.count("practice_photo_removed") == 1


def test_a_draft_case_photo_is_the_administrators_only(app, make, signed_in):
    case_id, admin = draft_case(app, make, signed_in)
    assert add_case_photo(admin, case_id, picture(size=(40, 30))).status_code == 302
    [kept] = case_photos(app, case_id)
    team = make.team()
    for role in ("practitioner", "supervisor"):
        assert signed_in(make.user(role, team)).get(f"/practice-cases/{case_id}/photos/{kept.id}").status_code == 404
    assert signed_in(make.user("auditor")).get(f"/practice-cases/{case_id}/photos/{kept.id}").status_code == 404
    other_id, _ = another_case(app, admin)
    # A photo asked for under another case's address is not found.
    assert admin.get(f"/practice-cases/{other_id}/photos/{kept.id}").status_code == 404


def another_case(app, admin):
    data = {"title": "Another flat", "description": "Invented.", "checklist_version": VERSION, "age_group": AGE}
    assert admin.post("/admin/practice-cases/new", data={"csrf_token": admin.token, **data}).status_code == 302
    with app.app_context():
        other_id = db.session.scalar(select(PracticeCase.id).where(PracticeCase.title == "Another flat"))
    return other_id, admin
