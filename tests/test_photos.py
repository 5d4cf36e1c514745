"""Issue 21 item 9: photos of checklist items, only with the family's agreement, with their location
and every other piece of metadata stripped, at most 1600 px, sealed at rest, shown to whoever may
see the visit (and to nobody else), in its PDF, and erased with it. Item 10: "I saw everything in
this room for myself"."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zipfile

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from heat.extensions import db
from heat.models import Assessment, AssessmentPhoto, AssessmentVersion, AuditEvent
from heat.services import photos, versions
from tests import helpers
from tests.test_assessment_flow import count, definition
from tests.test_exports_and_audit import day_parts, newest_export
from tests.test_retention import OVER_25, decide

GPS = ExifTags.IFD.GPSInfo


def picture(size=(2400, 1800), colour="teal", kind="JPEG", location=True) -> bytes:
    """A photo as a tablet's camera makes it: with where it was taken and what took it."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Invented Camera Co"
    exif[ExifTags.Base.DateTime] = "2026:12:07 10:15:00"
    if location:
        exif.get_ifd(GPS).update({1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 40.0)})
    out = io.BytesIO()
    image.save(out, kind, exif=exif)
    return out.getvalue()


def first_item(app, domain: str = "kitchen"):
    return definition(app).domain(domain).items[0]


def key_of(item) -> str:
    return item.id.replace(".", "__")


def visit(app, make, signed_in, agreed: bool = True, months: int = 8):
    """A practitioner's draft visit, the family's agreement to photos recorded (or not)."""
    team = make.team()
    worker = make.user("practitioner", team)
    child = make.child(team, "Pia", "Invented", months=months)
    client = signed_in(worker)
    assessment_id = helpers.start(client, child.id)
    data = helpers.visit_data() | ({"photos_agreed": ["yes"]} if agreed else {})
    assert helpers.save(client, assessment_id, "visit", data).status_code == 302
    return {"team": team, "worker": worker, "child": child, "client": client, "id": assessment_id}


def send_photo(client, assessment_id: int, key: str, photo: bytes, name: str = "photo.jpg", **fields):
    """ "Add a photo" on the page without JavaScript: a multipart upload with the answers as typed."""
    url = helpers.section_url(assessment_id, "kitchen")
    version = helpers.field_value(client.get(url).get_data(as_text=True), "version")
    data = {"csrf_token": client.token, "version": version, "add_photo": key, f"photo_{key}": (io.BytesIO(photo), name)}
    return multipart(client, url, {**data, **fields})


def multipart(client, url: str, data: dict):
    """A multipart POST whose encoded body (a temporary file once it is large) is closed after."""
    builder = EnvironBuilder(path=url, method="POST", data=data, content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def kept_photos(app, assessment_id: int) -> list[AssessmentPhoto]:
    with app.app_context():
        return list(db.session.scalars(select(AssessmentPhoto).where(AssessmentPhoto.assessment_id == assessment_id)))


def errors_on(response) -> str:
    return helpers.text_of(response.get_data(as_text=True), ".govuk-error-summary")


def test_a_photo_keeps_no_location_or_metadata_and_is_sealed(app, make, signed_in):
    v = visit(app, make, signed_in)
    item = first_item(app)
    sent = picture()
    with Image.open(io.BytesIO(sent)) as original:  # the test's photo does say where it was taken
        assert original.getexif().get_ifd(GPS)[1] == "N"
    response = send_photo(v["client"], v["id"], key_of(item), sent)
    assert response.status_code == 200
    assert "Photo added" in helpers.text_of(response.get_data(as_text=True), ".govuk-notification-banner--success")
    (photo,) = kept_photos(app, v["id"])
    assert photo.item_id == item.id and (photo.width, photo.height) == (1600, 1200)
    served = v["client"].get(f"/assessments/{v['id']}/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image_bytes = served.get_data()
    with Image.open(io.BytesIO(image_bytes)) as image:
        assert max(image.size) == 1600
        assert not image.getexif() and not image.getexif().get_ifd(GPS)
        assert not image.info.get("exif") and not image.info.get("icc_profile")
    for trace in (b"Exif", b"Invented Camera Co", b"2026:12:07"):
        assert trace not in image_bytes
    # At rest it is sealed: the row holds neither the JPEG nor anything that reads as one.
    assert image_bytes not in photo.sealed and not photo.sealed.startswith(b"\xff\xd8")
    # The page shows it on its item, and the answers typed were not saved by "Add a photo".
    page = helpers.page(v["client"].get(helpers.section_url(v["id"], "kitchen")))
    assert page.select_one(f'img[src="/assessments/{v["id"]}/photos/{photo.id}"]')["alt"].startswith("Photo 1 of")
    with app.app_context():
        assert db.session.get(Assessment, v["id"]).section_status.get("kitchen") is None


def test_without_the_familys_agreement_no_photo_is_taken(app, make, signed_in):
    v = visit(app, make, signed_in, agreed=False)
    item = first_item(app)
    page = v["client"].get(helpers.section_url(v["id"], "kitchen")).get_data(as_text=True)
    assert 'type="file"' not in page and "first record that the family agreed to photos" in page
    response = send_photo(v["client"], v["id"], key_of(item), picture())
    assert response.status_code == 200
    assert photos.AGREEMENT_NEEDED in errors_on(response)
    assert kept_photos(app, v["id"]) == []
    # Nor with a save: the answers are not saved either, and nothing is kept.
    data = helpers.domain_data(definition(app), "kitchen")
    url = helpers.section_url(v["id"], "kitchen")
    version = helpers.field_value(page, "version")
    saved = multipart(
        v["client"],
        url,
        {"csrf_token": v["client"].token, "version": version, "save": "x", **data}
        | {f"photo_{key_of(item)}": (io.BytesIO(picture()), "photo.jpg")},
    )
    assert saved.status_code == 200 and photos.AGREEMENT_NEEDED in errors_on(saved)
    assert kept_photos(app, v["id"]) == []
    with app.app_context():
        assert db.session.get(Assessment, v["id"]).section_status.get("kitchen") is None


def test_limits_on_type_size_and_number_with_messages(app, make, signed_in):
    v = visit(app, make, signed_in)
    item = first_item(app)
    key = key_of(item)
    gif = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(gif, "GIF")
    for sent, name, message in (
        (b"%PDF-1.7 not a photo", "notes.pdf", photos.WRONG_TYPE),
        (gif.getvalue(), "moving.gif", photos.WRONG_TYPE),
        (b"\xff\xd8" + b"\0" * photos.MAX_BYTES, "huge.jpg", photos.TOO_LARGE),
    ):
        refused = send_photo(v["client"], v["id"], key, sent, name)
        assert refused.status_code == 200 and message in errors_on(refused), name
    assert photos.MAX_SIZE_TEXT == "15 MB"
    assert kept_photos(app, v["id"]) == []
    nothing = send_photo(v["client"], v["id"], key, b"", "")
    assert "Select a photo to add" in errors_on(nothing)
    for colour in ("red", "green", "blue"):
        assert "Photo added" in send_photo(v["client"], v["id"], key, picture((60, 40), colour)).get_data(as_text=True)
    # The same photo again (a retried upload) is the one kept, not a fourth.
    send_photo(v["client"], v["id"], key, picture((60, 40), "blue"))
    assert len(kept_photos(app, v["id"])) == 3
    # The item is full: its "Add a photo" goes, and a fourth sent anyway is refused.
    page = v["client"].get(helpers.section_url(v["id"], "kitchen")).get_data(as_text=True)
    assert f'name="photo_{key}"' not in page
    fourth = send_photo(v["client"], v["id"], key, picture((60, 40), "white"))
    assert photos.ITEM_FULL in errors_on(fourth)
    assert len(kept_photos(app, v["id"])) == 3
    # "Remove photo" takes one away; the family's agreement cannot be withdrawn while any are kept.
    photo_id = kept_photos(app, v["id"])[0].id
    url = helpers.section_url(v["id"], "kitchen")
    version = helpers.field_value(v["client"].get(url).get_data(as_text=True), "version")
    removed = v["client"].post(
        url, data={"csrf_token": v["client"].token, "version": version, "remove_photo": photo_id}
    )
    assert "Photo removed" in removed.get_data(as_text=True) and len(kept_photos(app, v["id"])) == 2
    withdrawn = helpers.save(v["client"], v["id"], "visit", helpers.visit_data())
    assert withdrawn.status_code == 200 and photos.AGREEMENT_KEPT in errors_on(withdrawn)
    with app.app_context():
        assert db.session.get(Assessment, v["id"]).photos_agreed is True


def test_a_photo_shrunk_on_the_tablet_arrives_through_the_outbox_once(app, make, signed_in):
    """With JavaScript the tablet sends the photo as a data: URL in an ordinary field, so it waits
    in the encrypted outbox like any answer; replayed twice, it is kept once, with the save."""
    v = visit(app, make, signed_in)
    item = first_item(app)
    url = helpers.section_url(v["id"], "kitchen")
    version = helpers.field_value(v["client"].get(url).get_data(as_text=True), "version")
    data = helpers.domain_data(definition(app), "kitchen")
    shrunk = "data:image/jpeg;base64," + base64.b64encode(picture((1600, 1200))).decode()
    fields = [["version", version], ["save_key", "outbox-photo-1"], ["save", "x"]]
    fields += [[k, v] for k, v in data.items()] + [[f"photo_{key_of(item)}", shrunk]]
    token = helpers.field_value(v["client"].get(url).get_data(as_text=True), "csrf_token")
    for _ in range(2):
        sent = v["client"].post(
            f"/api/assessments/{v['id']}/sections/kitchen", json={"fields": fields}, headers={"X-CSRFToken": token}
        )
        assert sent.status_code == 200 and sent.json["status"] == "saved"
    (photo,) = kept_photos(app, v["id"])
    assert photo.item_id == item.id
    served = v["client"].get(f"/assessments/{v['id']}/photos/{photo.id}").get_data()
    assert b"Exif" not in served


def test_another_team_never_sees_a_photo_and_every_view_is_audited(app, make, signed_in):
    v = visit(app, make, signed_in)
    send_photo(v["client"], v["id"], key_of(first_item(app)), picture((300, 200)))
    (photo,) = kept_photos(app, v["id"])
    url = f"/assessments/{v['id']}/photos/{photo.id}"
    stranger = make.user("practitioner", make.team("Elsewhere"))
    assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(make.user("supervisor", make.team("Far"))).get(url).status_code == 404
    assert v["client"].get(f"/assessments/{v['id']}/photos/{photo.id + 1}").status_code == 404
    assert app.test_client().get(url).status_code == 302  # signed out: to sign in
    auditor = make.user("auditor")
    assert signed_in(auditor).get(url).status_code == 200
    assert count(app, AuditEvent, AuditEvent.action == "photo_viewed", AuditEvent.user_id == auditor.id) == 1
    assert count(app, AuditEvent, AuditEvent.action == "photo_added", AuditEvent.assessment_id == v["id"]) == 1
    assert count(app, AuditEvent, AuditEvent.action == "access_denied", AuditEvent.user_id == stranger.id) >= 1


def submitted_with_photo(app, make, signed_in, months: int = 8):
    v = visit(app, make, signed_in, months=months)
    helpers.complete(v["client"], v["id"], definition(app))
    consent = helpers.visit_data() | {"photos_agreed": ["yes"]}
    assert helpers.save(v["client"], v["id"], "visit", consent).status_code == 302
    assert send_photo(v["client"], v["id"], key_of(first_item(app)), picture((900, 600), "orange")).status_code == 200
    assert helpers.submit(v["client"], v["id"]).status_code == 302
    return v


@pytest.mark.pdf_renders
def test_the_result_review_and_pdf_show_the_photo(app, make, signed_in):
    v = submitted_with_photo(app, make, signed_in)
    (photo,) = kept_photos(app, v["id"])
    src = f"/assessments/{v['id']}/photos/{photo.id}"
    result = helpers.page(v["client"].get(f"/assessments/{v['id']}"))
    assert result.select_one(f'img[src="{src}"]') is not None
    assert first_item(app).text in result.select_one(".heat-photo-item").get_text()
    supervisor = signed_in(make.user("supervisor", v["team"]))
    review = helpers.page(supervisor.get(f"/assessments/{v['id']}/review"))
    assert review.select_one(f'img[src="{src}"]') is not None
    with app.app_context():
        version = db.session.scalars(
            select(AssessmentVersion).where(AssessmentVersion.assessment_id == v["id"])
        ).first()
        assert version is not None and version.pdf is not None
        document = version.pdf
        photo_jpeg = photos.jpeg(db.session.get(AssessmentPhoto, photo.id))
    assert b"/Subtype /Image" in document and b"/DCTDecode" in document  # the JPEG, embedded
    assert photo_jpeg[200:400] in document  # the very photo, byte for byte
    with app.app_context():  # rendered again, from the stored version, it is the same
        again = versions.pdf_of(versions.as_recorded(version), None, dt.datetime(2026, 12, 7))
    assert photo_jpeg[200:400] in again


def test_an_export_carries_the_photos(app, make, signed_in):
    v = submitted_with_photo(app, make, signed_in)
    (photo,) = kept_photos(app, v["id"])
    auditor = signed_in(make.user("auditor"))
    today = dt.date.today()
    asked = {
        "csrf_token": auditor.token,
        "teams": [str(v["team"].id)],
        "date_from": day_parts(today - dt.timedelta(days=30)),
        "date_to": day_parts(today),
    }
    assert auditor.post("/exports", data=asked).status_code == 302
    download = auditor.get(f"/exports/{newest_export(app)}/download")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    with app.app_context():
        kept = photos.jpeg(db.session.get(AssessmentPhoto, photo.id))
    assert archive.read(f"photos/assessment-{v['id']}/{photo.item_id}-1.jpg") == kept


def test_erasing_the_child_erases_the_photos(app, make, signed_in):
    v = submitted_with_photo(app, make, signed_in, months=OVER_25)
    assert len(kept_photos(app, v["id"])) == 1
    assert decide(signed_in(make.user("admin")), v["child"].id, "erase").status_code == 302
    assert kept_photos(app, v["id"]) == []
    assert count(app, AssessmentPhoto) == 0


# Item 10: "I saw everything in this room for myself".


def test_seeing_the_whole_room_makes_only_unanswered_graded_items_observed(app, make, signed_in):
    v = visit(app, make, signed_in)
    domain = definition(app).domain("kitchen")
    url = helpers.section_url(v["id"], "kitchen")
    page = helpers.page(v["client"].get(url))
    box = page.select_one('input[name="saw_all"]')
    assert box is not None and not box.has_attr("checked")
    assert "I saw everything in this room for myself" in page.get_text()
    # Nothing is chosen for the practitioner: no "How do you know" answered on a fresh page.
    assert page.select('input[name^="source_"][checked]') == []
    data = helpers.domain_data(definition(app), "kitchen")
    items = domain.items
    told, not_seen = items[0], items[1]
    data = {k: v for k, v in data.items() if not k.startswith("source_")}  # no source answered...
    data[f"source_{key_of(told)}"] = "carer_said"  # ...but one, which stays as it was
    data[f"grade_{key_of(not_seen)}"] = "NS"
    version = helpers.field_value(str(page), "version")
    saved = v["client"].post(
        url, data={"csrf_token": v["client"].token, "version": version, "save": "x", "saw_all": "yes", **data}
    )
    assert saved.status_code == 302, errors_on(saved)
    with app.app_context():
        grades = {g.item_id: g for g in db.session.get(Assessment, v["id"]).grades}
    assert grades[told.id].evidence_source == "carer_said"
    assert grades[not_seen.id].evidence_source is None
    assert all(grades[i.id].evidence_source == "observed" for i in items[2:] if grades[i.id].grade != "NS")
    # Opened again, the box is not ticked: it only ever spoke for that save.
    again = helpers.page(v["client"].get(url))
    assert not again.select_one('input[name="saw_all"]').has_attr("checked")


def test_without_the_box_a_graded_item_with_no_source_is_still_asked(app, make, signed_in):
    v = visit(app, make, signed_in)
    item = first_item(app)
    data = helpers.domain_data(definition(app), "kitchen")
    del data[f"source_{key_of(item)}"]
    refused = helpers.save(v["client"], v["id"], "kitchen", data)
    assert refused.status_code == 200
    assert f"Select how you know about {item.text.lower()}" in errors_on(refused)
