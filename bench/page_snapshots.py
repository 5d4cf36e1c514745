"""Every main page of the demo, rendered and saved, so a change meant to keep the output the same
can prove it did: run before the change and after, into two folders, and compare them byte for
byte (`diff -r`). Only what legitimately differs between two requests is normalised: CSRF tokens,
CSP nonces and the random keys a form carries to make its post idempotent.

The demo is dated from today, so compare snapshots taken on the same day.
Run: .venv/bin/python bench/page_snapshots.py OUTPUT_FOLDER
"""

from __future__ import annotations

import io
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from app import create_app  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import Assessment, Child  # noqa: E402
from heat.services import checklists, demo  # noqa: E402

# What differs between two requests for the same page, or two seedings, whatever the code: the
# clock time the demo was seeded (shown to the minute) and the SHA-256 of PDFs that carry it.
VARYING = [
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]+'), r"\1CSRF"),
    (re.compile(r'(value=")[^"]+("[^>]*name="csrf_token")'), r"\1CSRF\2"),
    (re.compile(r'(name="csrf-token" content=")[^"]+'), r"\1CSRF"),
    (re.compile(r'nonce="[^"]+"'), 'nonce="NONCE"'),
    (re.compile(r'(name="(?:start|save|submission)_key"[^>]*value=")[^"]+'), r"\1KEY"),
    (re.compile(r'(name="resume" value="[^".]+)\.[^"]+'), r"\1.SIGNED"),
    (re.compile(r"\b\d\d:\d\d UTC\b"), "HH:MM UTC"),
    (re.compile(r"SHA-256 [0-9a-f]{64}"), "SHA-256 HASH"),
]


def normalised(html: str) -> str:
    for pattern, replacement in VARYING:
        html = pattern.sub(replacement, html)
    return html


def signed_in(app, email: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def snapshot(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/snapshot.db",
                "SECRET_KEY": "snapshot-secret",
                "HEAT_ENV": "test",
                "HEAT_HUEY": "immediate",
                "HEAT_EXPORT_DIR": f"{tmp}/exports",
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            demo.load()
            db.session.commit()
            children = [c.id for c in db.session.query(Child).order_by(Child.id)]
            visits = [a.id for a in db.session.query(Assessment).order_by(Assessment.id)]
            waiting = [a.id for a in db.session.query(Assessment).filter_by(status="submitted")]
            mia = db.session.query(Child).filter_by(first_name="Mia").one().id
        worker = signed_in(app, "north-worker@example.org")
        supervisor = signed_in(app, "north-supervisor@example.org")
        auditor = signed_in(app, "auditor@example.org")
        # A draft for Mia, started as the tablet would, for the section and check answers pages.
        started = worker.post(
            f"/children/{mia}/assessments/new",
            data={
                "csrf_token": token(worker, f"/children/{mia}/assessments/new"),
                "start_key": "snapshot",
                "children": mia,
            },
        )
        draft = started.headers["Location"].rstrip("/").split("/")[-1]
        task_list = worker.get(f"/assessments/{draft}").get_data(as_text=True)
        sections = sorted(set(re.findall(rf"/assessments/{draft}/sections/([a-z_]+)", task_list)))
        pages = {
            "worker": (worker, ["/caseload", f"/assessments/{draft}", f"/assessments/{draft}/check"]),
            "supervisor": (supervisor, ["/dashboard", "/reviews", "/caseload"]),
            "auditor": (auditor, ["/caseload", "/dashboard"]),
        }
        pages["worker"][1].extend(f"/assessments/{draft}/sections/{s}" for s in sections)
        for who in ("worker", "supervisor", "auditor"):
            pages[who][1].extend(f"/children/{c}" for c in children)
            pages[who][1].extend(f"/children/{c}?kind=visit" for c in children)
            pages[who][1].extend(f"/children/{c}/people" for c in children)
            pages[who][1].extend(f"/assessments/{a}" for a in visits)
        pages["supervisor"][1].extend(f"/assessments/{a}/review" for a in waiting)
        saved = []
        for who, (client, paths) in pages.items():
            for path in paths:
                response = client.get(path)
                name = f"{who}{path.replace('/', '_').replace('?', '_')}.html"
                (folder / name).write_text(f"{response.status_code}\n" + normalised(response.get_data(as_text=True)))
                saved.append(name)
        saved += _answered(app, folder, worker, mia, int(draft), sections)
        with app.app_context():
            db.engine.dispose()
    return saved


def _answered(app, folder: Path, worker, mia: int, draft: int, sections: list[str]) -> list[str]:
    """The draft answered and submitted as a practitioner would, half its sections from the page
    and half from the tablet's outbox (the JSON API), then its pages, PDFs and the tablet's copy
    of a new assessment: what the section registry, the save helpers and the vocabulary feed."""
    from tests import helpers

    with app.app_context():
        definition = checklists.definition_for(db.session.get(Assessment, draft))
    answers = {"visit": helpers.visit_data(), "people": helpers.people_data(), "rooms": helpers.rooms_data(definition)}
    answers |= {d.id: helpers.domain_data(definition, d.id, default="3") for d in definition.domains}
    answers |= {"voice": helpers.voice_data(), "actions": helpers.actions_data()}
    saved = []

    def keep(name: str, status: int, body: str) -> None:
        (folder / name).write_text(f"{status}\n{normalised(body)}")
        saved.append(name)

    ordered = [s for s in answers if s in sections]
    for n, section_id in enumerate(ordered):
        url = f"/assessments/{draft}/sections/{section_id}"
        page = worker.get(url).get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d*)"', page).group(1)
        data = answers[section_id]
        if section_id == "voice":
            data = {**data, **helpers.each_child_seen(worker, draft)}
        if n % 2:  # from the tablet's outbox
            fields = [["version", version], ["save_key", f"snapshot-{section_id}"], ["save", "x"]]
            fields += [[k, v] for k, value in data.items() for v in (value if isinstance(value, list) else [value])]
            response = worker.post(f"/api{url}", json={"fields": fields}, headers={"X-CSRFToken": token(worker, url)})
        else:
            form = {"csrf_token": token(worker, url), "version": version, "save_key": f"snapshot-{section_id}"}
            response = worker.post(url, data={**form, "save": "x", **data})
        keep(
            f"answered_save_{section_id}.txt",
            response.status_code,
            response.headers.get("Location", "") + response.get_data(as_text=True),
        )
    for section_id in ordered:
        response = worker.get(f"/assessments/{draft}/sections/{section_id}")
        keep(f"answered_section_{section_id}.html", response.status_code, response.get_data(as_text=True))
    check = worker.get(f"/assessments/{draft}/check").get_data(as_text=True)
    keep("answered_check.html", 200, check)
    version = re.search(r'name="version" type="hidden" value="(\d*)"', check).group(1)
    response = worker.post(
        f"/api/assessments/{draft}/submit",
        json={"fields": [["version", version], ["submission_key", "snapshot-submit"]]},
        headers={"X-CSRFToken": token(worker, f"/assessments/{draft}/check")},
    )
    keep("answered_submit.json", response.status_code, response.get_data(as_text=True))
    for path in (f"/assessments/{draft}", f"/assessments/{draft}/submitted", f"/children/{mia}"):
        response = worker.get(path)
        keep(f"answered{path.replace('/', '_')}.html", response.status_code, response.get_data(as_text=True))
    for path in (f"/assessments/{draft}/pdf", f"/assessments/{draft}/family-copy.pdf"):
        # The text of each page: a PDF's bytes carry the time it was made.
        response = worker.get(path)
        text = "\f".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)
        keep(f"answered{path.replace('/', '_')}.txt", response.status_code, text)
    offline = worker.get(f"/children/{mia}/assessments/new/offline").get_json()
    pages = {path: normalised(html) for path, html in offline["pages"].items()}
    keep("offline_start.json", 200, json.dumps({**offline, "pages": pages}, indent=1, sort_keys=True))
    return saved


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    names = snapshot(Path(sys.argv[1]))
    print(f"{len(names)} pages saved in {sys.argv[1]}")
