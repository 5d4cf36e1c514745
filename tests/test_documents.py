"""One look at every document: each PDF the app prints (assessment, history, family copy, handover
summary, checklist guide), from the demo data, through the app, is tagged, titled, has no text
outside its page box and no heading left alone at the bottom of a page."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlalchemy import select
from weasyprint import HTML

from heat import tasks
from heat.extensions import db
from heat.models import Child
from tests.conftest import renders_waiting, sign_in
from tests.test_cli_and_admin import run

# Every test here reads the PDF of a kept version: each is rendered at once (tests/conftest.py).
pytestmark = pytest.mark.pdf_renders

# A heading is set at 12.5pt or more in bold (h1 20pt, h2 14pt, table captions 13pt); body text is
# 10.5pt (12pt in the family copy).
HEADING_SIZE = 12.5
# The page's own bottom margin holds the running footer and "Page N of M".
FOOTER_HEIGHT = 57  # points: 20 mm


def text_runs(page) -> list[tuple[float, float, bool, str]]:
    """(y, size, bold, text) of every run of text on a page, top of the page first."""
    runs: list[tuple[float, float, bool, str]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            bold = "Bold" in str((font or {}).get("/BaseFont", ""))
            runs.append((tm[5] * cm[3] + cm[5], abs(size * (tm[3] or 1) * (cm[3] or 1)), bold, text.strip()))

    page.extract_text(visitor_text=visit)
    return sorted(runs, key=lambda run: -run[0])


def words_outside_the_page(pdf: bytes) -> list[str]:
    """Words whose box reaches beyond the page (poppler's pdftotext -bbox)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True)
    outside = []
    for page in BeautifulSoup(html.stdout, "html.parser").select("page"):
        width, height = float(page["width"]), float(page["height"])
        for word in page.select("word"):
            if float(word["xmin"]) < 0 or float(word["xmax"]) > width or float(word["ymax"]) > height:
                outside.append(word.get_text())
    return outside


@pytest.fixture(scope="module")
def documents(app):
    """Every document, downloaded by the demo North worker from the demo data."""
    with renders_waiting():  # of the demo's versions, only the PDF of Mia's latest visit is read
        assert run(app, "seed-demo").exit_code == 0
    with app.app_context():
        mia = db.session.scalar(select(Child).where(Child.first_name == "Mia"))
        latest = mia.assessments[-1]
        tasks.render_pdfs([latest.id])  # what the worker does with it
        version = latest.checklist_version
        urls = {
            "assessment": f"/assessments/{latest.id}/pdf",
            "history": f"/children/{mia.id}/history.pdf",
            "family copy": f"/assessments/{latest.id}/family-copy.pdf",
            "handover summary": f"/children/{mia.id}/handover-summary.pdf",
            "checklist guide": f"/checklist/{version}/guide.pdf",
        }
    client = app.test_client()
    assert sign_in(client, "north-worker@example.org", "heat-demo-password").status_code == 302
    found = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", name
        found[name] = response.data
    return found


DOCUMENTS = ["assessment", "history", "family copy", "handover summary", "checklist guide"]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_document_is_tagged_titled_inside_its_pages_and_no_heading_ends_a_page(documents, name):
    pdf = documents[name]
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root, name
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title and len(reader.metadata.title) > 10, name
    assert words_outside_the_page(pdf) == [], name
    assert headings_ending_a_page(reader) == [], name


def headings_ending_a_page(reader: PdfReader) -> list[str]:
    found = []
    for page in reader.pages[:-1]:  # the last page may end anywhere
        body = [run for run in text_runs(page) if run[0] > FOOTER_HEIGHT]
        if body and body[-1][2] and body[-1][1] >= HEADING_SIZE:
            found.append(body[-1][3])
    return found


def test_the_checks_find_a_heading_alone_at_a_page_end_and_text_off_the_page():
    """The two checks above, on a page made to fail them (so they are never vacuous)."""
    html = (
        '<html lang="en-GB"><head><style>@page { size: A4; margin: 20mm }</style></head><body>'
        '<div style="height: 235mm"></div><h2 style="font-size: 14pt; break-after: auto">Trend</h2>'
        '<p style="height: 60mm; break-inside: avoid">The chart.</p>'
        f'<p style="white-space: nowrap">{"Overflowing " * 40}</p></body></html>'
    )
    pdf = HTML(string=html).write_pdf()
    assert headings_ending_a_page(PdfReader(io.BytesIO(pdf))) == ["Trend"]
    assert any(word.startswith("Overflow") for word in words_outside_the_page(pdf))


def test_the_assessment_pdf_has_what_the_visit_did(documents):
    """The plan on the day, who was present, each child seen (awake or asleep), the grade
    description given under each item, the advice given and each action with its status."""
    reader = PdfReader(io.BytesIO(documents["assessment"]))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Plan on the day Child in Need plan" in text
    assert "People present Kelly Hughes (Mother)" in text
    assert "Mia: Seen awake" in text
    assert "Advice given Safer sleep, Home safety and accident prevention, Coping with crying (ICON)" in text
    assert "Clear rubbish bags from the hallway – Kelly Hughes" in text
    assert text.count("Status: Not yet done") == 2


def test_the_history_pdf_gives_a_reviewer_each_visit_and_each_flags_answers_once(documents):
    reader = PdfReader(io.BytesIO(documents["history"]))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    visits = text[text.index("Every assessment") : text.index("Chronology, newest first")]
    assert visits.count("Rooms not seen") == 4 and visits.count("Decision") == 4  # Mia's four visits
    assert visits.count("Why Amber") == 2 and "Graded 4 Serious" in visits
    assert "Is there a working carbon monoxide alarm? No." in visits  # what decided the rating
    assert "Adults not seen Jay (surname not known) (Mother's partner)" in visits
    assert "Mia: Seen awake" in visits and "Present Kelly Hughes (Mother)" in visits
    assert "Decision Agreed by" in visits and "Decision Awaiting review" in visits
    # Answers to flags: one row per flag, never one chronology row per answer.
    assert "Supervisors' answers to flags" in text and "Flag answered" not in text
