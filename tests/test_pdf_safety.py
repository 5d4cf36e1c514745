"""Text anyone typed goes into the PDF as text: it cannot fetch, embed or restyle anything."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from heat.reports import pdf
from tests import helpers
from tests.test_assessment_flow import definition

PAYLOADS = [
    '<img src="file:///etc/hostname">',
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="http://169.254.169.254/latest/meta-data/">',
    '<style>@import url("http://127.0.0.1:9/evil.css"); body { display: none }</style>',
    "</td></tr></table><h1>Injected heading</h1>",
]


@pytest.mark.pdf_renders
def test_payloads_in_free_text_are_printed_as_text_and_nothing_is_fetched(app, make, signed_in, monkeypatch):
    fetched, refused = [], []
    real_fetch = pdf.PackagedAssetFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = real_fetch(self, url, headers)
        except pdf.BlockedFetch:
            refused.append(url)
            raise
        fetched.append(url)
        return response

    monkeypatch.setattr(pdf.PackagedAssetFetcher, "fetch", spy)
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    assessment_id = helpers.start(client, make.child(team).id)
    helpers.complete(client, assessment_id, definition(app))
    comments = {
        f"comment_kitchen__{item.id.split('.')[1]}": payload
        for item, payload in zip(definition(app).domain("kitchen").items, PAYLOADS, strict=False)
    }
    helpers.save(client, assessment_id, "kitchen", {**helpers.domain_data(definition(app), "kitchen"), **comments})
    voice = {**helpers.voice_data(), **helpers.each_child_seen(client, assessment_id)}
    helpers.save(client, assessment_id, "voice", voice | {k: PAYLOADS[0] for k in voice if k.startswith("voice_")})
    helpers.submit(client, assessment_id)
    assert fetched == ["heat-asset:///print.css"]  # rendered once, when submitted, and stored

    response = client.get(f"/assessments/{assessment_id}/pdf")
    assert response.status_code == 200
    assert fetched == ["heat-asset:///print.css"]  # the download is the stored PDF: nothing rendered
    assert refused == []  # the payloads were escaped, so WeasyPrint never even asked
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages).replace("\n", " ")
    assert "file:///etc/hostname" in text and "169.254.169.254" in text and "@import" in text
    assert "Injected heading" in text
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        assert "/XObject" not in resources or not any(
            x.get_object().get("/Subtype") == "/Image" for x in resources["/XObject"].get_object().values()
        )
    assert b"/EmbeddedFile" not in response.data


def test_fetcher_refuses_everything_but_packaged_print_assets():
    fetcher = pdf.PackagedAssetFetcher()
    for url in [
        "file:///etc/hostname",
        "http://169.254.169.254/",
        "https://example.org/x.css",
        "heat-asset:///../../app.py",
        "heat-asset:///../print/../../requirements.txt",
        "heat-asset://evil.example/print.css",
        "data:text/css,body{}",
    ]:
        try:
            fetcher.fetch(url)
        except (pdf.BlockedFetch, ValueError):
            continue
        raise AssertionError(f"{url} was fetched")
    assert fetcher.fetch("heat-asset:///print.css").read().startswith(b"/* Print styles")


def test_history_pdf_prints_typed_payloads_as_text_and_fetches_nothing(app, make, signed_in, monkeypatch):
    import datetime as dt

    fetched = []
    real_fetch = pdf.PackagedAssetFetcher.fetch
    monkeypatch.setattr(
        pdf.PackagedAssetFetcher,
        "fetch",
        lambda self, url, headers=None: fetched.append(url) or real_fetch(self, url, headers),
    )
    team = make.team()
    client = signed_in(make.user("practitioner", team))
    child = make.child(team)
    assessment_id = helpers.start(client, child.id)
    helpers.complete(client, assessment_id, definition(app))
    helpers.save(client, assessment_id, "actions", {**helpers.actions_data(), "worries": PAYLOADS[2] + " " + "x" * 400})
    helpers.submit(client, assessment_id)
    today = dt.date.today()
    for payload in PAYLOADS:
        response = client.post(
            f"/children/{child.id}/chronology/new",
            data={
                "csrf_token": client.token,
                "occurred_on": [str(today.day), str(today.month), str(today.year)],
                "source_kind": "agency",
                "source": payload[:200],
                "summary": payload,
            },
        )
        assert response.status_code == 302
    fetched.clear()  # the assessment's own PDF was rendered (and stored) when it was submitted
    response = client.get(f"/children/{child.id}/history.pdf")
    assert response.status_code == 200
    assert fetched == ["heat-asset:///print.css"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).replace("\n", " ")
    assert "file:///etc/hostname" in text and "@import" in text and "Injected heading" in text
