"""Every main page of the demo, rendered and saved, so a change meant to keep the output the same
can prove it did: run before the change and after, into two folders, and compare them byte for
byte (`diff -r`). Only what legitimately differs between two requests is normalised: CSRF tokens,
CSP nonces and the random keys a form carries to make its post idempotent.

The demo is dated from today, so compare snapshots taken on the same day.
Run: .venv/bin/python bench/page_snapshots.py OUTPUT_FOLDER
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from heat.extensions import db  # noqa: E402
from heat.models import Assessment, Child  # noqa: E402
from heat.services import demo  # noqa: E402

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
        with app.app_context():
            db.engine.dispose()
    return saved


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    names = snapshot(Path(sys.argv[1]))
    print(f"{len(names)} pages saved in {sys.argv[1]}")
