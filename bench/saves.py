"""A council at once, on bad signal: a fault and load benchmark that checks what it stored.

Practitioners work in pairs, each pair on one assessment at a time (co-editing, as two workers on
a joint visit do): one starts it and saves the visit, rooms and half the checklist areas, the
other saves the people, the rest of the areas and the actions, at the same time; then the first
checks the answers and submits. Every grade is chosen at random per item and remembered. Six
readers load the caseload, child pages, the dashboard and the review queue meanwhile. 10% of the
posts (starts, saves, submits) are cut, a third each:
  - after send: the whole request sent, the connection dropped before any answer;
  - mid-body: the headers and half the body sent, then dropped (the server never has the request);
  - late: the whole request sent and the answer begun, then dropped;
and sent again with the same key, as a tablet's outbox would. A 5xx is retried (up to 5 times,
with a pause), as the outbox retries, and counted on its own: 5xx are what a practitioner sees
fail; lost is what never reached the database however often it was sent.

At the end the database is checked against what was sent: every assessment once and submitted,
every section saved exactly once (one stored save, its version 1), every grade as sent and none
other; and the audit trail, sealed by the worker's sealer, verifies. Runs against gunicorn with
the project's gunicorn.conf.py and the export worker beside it (the audit sealer runs there), on
SQLite and (BENCH_POSTGRES_URL naming an empty database) PostgreSQL. Prints figures and the
targets; asserts nothing.

Run: .venv/bin/python bench/saves.py
     BENCH_POSTGRES_URL=postgresql://heat@127.0.0.1:55433/heat_4b .venv/bin/python bench/saves.py
     PRACTITIONERS=30 (SQLite) / 50 (PostgreSQL) by default; VISITS (per pair, default 3);
     BENCH_SQLITE=0 runs PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import http.client
import http.cookies
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import helpers  # noqa: E402  (the same plain form data the tests post)

BIN = Path(sys.executable).parent
READERS, CUT, RETRIES = 6, 0.10, 5
VISITS = int(os.environ.get("VISITS", "3"))
PASSWORD = "bench-password-not-real-2026"
CUT_KINDS = ("after send", "mid-body", "late")
TARGET_5XX = {"SQLite": 30, "PostgreSQL": 50}  # practitioners at which 0 x 5xx is the target
TARGET_SUBMIT_P95 = 2.0


class Cut(Exception):
    """The connection went (reset, refused, or ended with no answer)."""


class Client:
    """A browser's cookies and CSRF token; can cut a request off three ways."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""

    def _raw(self, method: str, path: str, body: str) -> tuple[bytes, bytes]:
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body.encode())}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode(), body.encode()

    def send(self, method: str, path: str, fields: list | None = None) -> tuple[int, str, str, float]:
        body = None if fields is None else urllib.parse.urlencode([("csrf_token", self.token), *fields])
        start = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as error:
            raise Cut(type(error).__name__) from None
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), text, time.perf_counter() - start

    def cut(self, path: str, fields: list, kind: str) -> None:
        """Send a POST and drop the connection: after sending it, halfway through its body, or
        once the answer has begun."""
        head, body = self._raw("POST", path, urllib.parse.urlencode([("csrf_token", self.token), *fields]))
        with socket.create_connection(("127.0.0.1", self.port), timeout=120) as s:
            if kind == "mid-body":
                s.sendall(head + body[: len(body) // 2])
                return
            s.sendall(head + body)
            if kind == "late":
                s.recv(1)  # the server has answered (and so committed): the tablet never hears it

    def field(self, html: str, name: str) -> str:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html)
        return (match.group(1) or match.group(2)) if match else ""


def flatten(data: dict) -> list[tuple[str, str]]:
    return [(k, str(x)) for k, v in data.items() for x in (v if isinstance(v, list) else [v])]


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    fives: Counter = field(default_factory=Counter)  # 5xx by what was asked
    refused: Counter = field(default_factory=Counter)  # a 4xx or a form sent back (a bench bug, or a false conflict)
    cuts: Counter = field(default_factory=Counter)
    dropped: int = 0  # connections the server dropped (answered by a retry)
    gave_up: int = 0  # posts still failing after every retry
    reads: int = 0
    # What was sent: assessment id -> {item id: grade}; (assessment id, section id) saved.
    grades: dict[int, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    sections: set[tuple[int, str]] = field(default_factory=set)
    assessments: list[int] = field(default_factory=list)


def post(
    client: Client, what: str, path: str, fields: list, tally: Tally, rng: random.Random | None
) -> tuple[int, str]:
    """A post as the tablet makes it: maybe cut (and then sent again), 5xx and dropped connections
    retried with the same key. Returns the last status and Location. No `rng`: never cut."""
    if rng is not None and rng.random() < CUT:
        kind = CUT_KINDS[rng.randrange(len(CUT_KINDS))]
        try:
            client.cut(path, fields, kind)
        except OSError:
            pass
        with tally.lock:
            tally.cuts[kind] += 1
    began = time.perf_counter()
    for attempt in range(RETRIES + 1):
        try:
            status, location, _, _ = client.send("POST", path, fields)
        except Cut:
            with tally.lock:
                tally.dropped += 1
            time.sleep(0.5 * (attempt + 1))
            continue
        if status >= 500:
            with tally.lock:
                tally.fives[what] += 1
            time.sleep(0.5 * (attempt + 1))
            continue
        with tally.lock:
            tally.times[what].append(time.perf_counter() - began)
            if status != 302:
                tally.refused[f"{what} {status}"] += 1
        return status, location
    with tally.lock:
        tally.gave_up += 1
    return 0, ""


def get(client: Client, what: str, path: str, tally: Tally) -> tuple[int, str]:
    """A page load; a 5xx or a dropped connection is counted and loaded again, as a person would."""
    for attempt in range(RETRIES + 1):
        try:
            status, _, html, seconds = client.send("GET", path)
        except Cut:
            with tally.lock:
                tally.dropped += 1
            time.sleep(0.5 * (attempt + 1))
            continue
        with tally.lock:
            tally.reads += 1
            tally.times[what].append(seconds)
            if status >= 500:
                tally.fives[what] += 1
        if status < 500:
            return status, html
        time.sleep(0.5 * (attempt + 1))
    return 0, ""


def signed_in(port: int, email: str, tally: Tally) -> Client:
    """A signed-in client; a 5xx at sign-in is retried (and counted) like any other post."""
    client = Client(port)
    client.token = client.field(get(client, "sign-in page", "/sign-in", tally)[1], "csrf_token")
    status, location = post(client, "sign-in", "/sign-in", [("email", email), ("password", PASSWORD)], tally, None)
    if status != 302 or "sign-in" in location:
        raise SystemExit(f"bench: {email} could not sign in ({status} {location})")
    return client


def save_sections(client: Client, base: str, assessment_id: int, ids: list[str], definition, tally, rng) -> None:
    for section_id in ids:
        status, html = get(client, "section page", f"{base}/sections/{section_id}", tally)
        if status == 404:
            continue  # an area the visit does not ask (the children's ages)
        client.token = client.field(html, "csrf_token") or client.token
        grades: dict[str, str] = {}
        if section_id == "visit":
            data = helpers.visit_data()
        elif section_id == "people":
            data = helpers.people_data()
        elif section_id == "rooms":
            data = helpers.rooms_data(definition)
        elif section_id == "voice":
            data = {**helpers.voice_data(), **voice_of_each_child(html)}
        elif section_id == "actions":
            data = helpers.actions_data()
        else:
            asked = {m.replace("__", ".") for m in re.findall(r'name="grade_([^"]+)"', html)}
            grades = {item.id: rng.choice("135") for item in definition.domain(section_id).items if item.id in asked}
            data = helpers.domain_data(definition, section_id, grades)
            data = {k: v for k, v in data.items() if not k.startswith(("grade_", "source_")) or _asked(k, asked)}
        fields = [
            ("version", client.field(html, "version")),
            ("save_key", client.field(html, "save_key")),
            ("save", "x"),
            *flatten(data),
        ]
        with tally.lock:
            tally.grades[assessment_id].update(grades)
            tally.sections.add((assessment_id, section_id))
        post(client, "save", f"{base}/sections/{section_id}", fields, tally, rng)


def _asked(key: str, asked: set[str]) -> bool:
    return key.split("_", 1)[1].replace("__", ".") in asked


def voice_of_each_child(html: str) -> dict[str, str]:
    """Since 2026.4: each child on the visit seen awake, with their own voice."""
    seen = {f"seen_{n}": "awake" for n in re.findall(r'name="seen_(\d+)"', html)}
    voices = {f"voice_{n}": "Smiled and reached for the worker." for n in re.findall(r'name="voice_(\d+)"', html)}
    return {**seen, **voices}


def pair(port: int, emails: tuple[str, str], child_id: int, definition, tally: Tally, seed: int) -> None:
    rng_lead, rng_partner = random.Random(seed), random.Random(seed + 10_000)
    lead, partner = signed_in(port, emails[0], tally), signed_in(port, emails[1], tally)
    domains = [d.id for d in definition.domains]
    for _ in range(VISITS):
        status, page = get(lead, "start page", f"/children/{child_id}/assessments/new", tally)
        lead.token = lead.field(page, "csrf_token")
        start = [("start_key", lead.field(page, "start_key")), ("children", str(child_id))]
        status, location = post(lead, "start", f"/children/{child_id}/assessments/new", start, tally, rng_lead)
        base = urllib.parse.urlparse(location).path
        match = re.match(r"/assessments/(\d+)", base)
        if status != 302 or not match:
            continue
        assessment_id = int(match.group(1))
        with tally.lock:
            tally.assessments.append(assessment_id)
        save_sections(lead, base, assessment_id, ["visit", "rooms"], definition, tally, rng_lead)
        partner_ids = ["people", *domains[1::2], "actions"]
        worker = threading.Thread(
            target=save_sections, args=(partner, base, assessment_id, partner_ids, definition, tally, rng_partner)
        )
        worker.start()
        save_sections(lead, base, assessment_id, [*domains[0::2], "voice"], definition, tally, rng_lead)
        worker.join()
        status, check = get(lead, "check page", f"{base}/check", tally)
        lead.token = lead.field(check, "csrf_token") or lead.token
        submit = [("version", lead.field(check, "version")), ("submission_key", lead.field(check, "submission_key"))]
        post(lead, "submit", f"{base}/submit", submit, tally, rng_lead)


def reader(port: int, email: str, paths: list[str], tally: Tally, stop: threading.Event) -> None:
    client = signed_in(port, email, tally)
    while not stop.is_set():
        for path in paths:
            get(client, "read", path, tally)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def run(database_url: str, label: str, tmp: str, practitioners: int) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HEAT_SECRET_KEY": "bench-secret-bench-secret-bench-secret",
        "HEAT_HUEY_SQLITE": f"{tmp}/huey-{label}.db",
        "HEAT_EXPORT_DIR": f"{tmp}/exports",
        "FLASK_APP": "app:create_app",
    }
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "HEAT_SECRET_KEY", "HEAT_HUEY_SQLITE", "HEAT_EXPORT_DIR")})
    from sqlalchemy import func, select

    from app import create_app
    from heat.extensions import db
    from heat.models import Assessment, Child, ItemGrade, SectionSave, Team, User
    from heat.services import audit
    from heat.services.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")})
    pairs = practitioners // 2
    with app.app_context():
        team = Team(name=f"Bench {uuid.uuid4().hex[:6]}")
        db.session.add(team)
        password = hash_password(PASSWORD)
        tag = team.name[-6:]
        people = [
            User(
                email=f"bench-{n}-{tag}@example.org",
                name=f"Bench {n}",
                role="practitioner",
                team=team,
                password_hash=password,
            )
            for n in range(pairs * 2)
        ]
        boss = User(
            email=f"bench-boss-{tag}@example.org",
            name="Bench supervisor",
            role="supervisor",
            team=team,
            password_hash=password,
        )
        kids = [
            Child(
                reference=f"B-{uuid.uuid4().hex[:8]}",
                first_name="Bench",
                last_name=f"Child{n}",
                date_of_birth=dt.date.today() - dt.timedelta(days=300 + 400 * (n % 4)),
                team=team,
                plan_status="cp",
                plan_category="neglect",
            )
            for n in range(pairs)
        ]
        db.session.add_all([*people, boss, *kids])
        db.session.commit()
        emails, child_ids, boss_email = [u.email for u in people], [c.id for c in kids], boss.email
        definition = app.extensions["heat_definitions"][app.extensions["heat_current_version"]]

    number = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{number}", "--log-level", "critical", "app:create_app()"],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [str(BIN / "huey_consumer"), "worker.huey", "--workers", "1", "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", number), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        tally, stop = Tally(), threading.Event()
        pair_threads = [
            threading.Thread(
                target=pair, args=(number, (emails[2 * i], emails[2 * i + 1]), child_ids[i], definition, tally, i)
            )
            for i in range(pairs)
        ]
        pages = ["/dashboard", "/reviews"]
        readers = [
            threading.Thread(
                target=reader,
                args=(
                    number,
                    boss_email if i < 2 else emails[i % len(emails)],
                    pages if i < 2 else ["/caseload", f"/children/{child_ids[i % pairs]}"],
                    tally,
                    stop,
                ),
            )
            for i in range(READERS)
        ]
        began = time.perf_counter()
        for t in pair_threads + readers:
            t.start()
        for t in pair_threads:
            t.join()
        elapsed = time.perf_counter() - began
        stop.set()
        for t in readers:
            t.join()
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
            process.wait()

    with app.app_context():
        drafts = db.session.scalars(
            select(Assessment).where(
                Assessment.team_id == select(Team.id).where(Team.name == team.name).scalar_subquery()
            )
        ).all()
        saves = Counter(
            (row.assessment_id, row.section_id)
            for row in db.session.execute(
                select(SectionSave.assessment_id, SectionSave.section_id).where(
                    SectionSave.assessment_id.in_([a.id for a in drafts])
                )
            )
        )
        stored: dict[int, dict[str, str]] = defaultdict(dict)
        for grade in db.session.scalars(select(ItemGrade).where(ItemGrade.assessment_id.in_([a.id for a in drafts]))):
            stored[grade.assessment_id][grade.item_id] = grade.grade
        versions = {(a.id, s): v for a in drafts for s, v in (a.section_versions or {}).items()}
        submitted = sum(1 for a in drafts if a.status == "submitted")
        sealed_now = audit.seal()
        count, broken = audit.verify()
        waiting = audit.waiting()
        total_audit = db.session.scalar(select(func.count()).select_from(audit._TABLE))
        db.engine.dispose()

    expected_visits = pairs * VISITS
    lost_saves = sum(1 for key in tally.sections if saves[key] == 0)
    duplicated_saves = sum(n - 1 for n in saves.values() if n > 1) + sum(1 for v in versions.values() if v > 1)
    sent_grades = sum(len(g) for g in tally.grades.values())
    lost_grades = sum(1 for a, g in tally.grades.items() for item in g if item not in stored.get(a, {}))
    wrong_grades = sum(
        1 for a, g in tally.grades.items() for item, v in g.items() if stored.get(a, {}).get(item, v) != v
    )
    extra_grades = sum(1 for a, g in stored.items() for item in g if item not in tally.grades.get(a, {}))
    lost_visits = max(0, expected_visits - len(drafts)) + (len(drafts) - submitted)
    duplicated_visits = max(0, len(drafts) - expected_visits)
    fives = sum(tally.fives.values())
    submit_p95 = percentile(tally.times["submit"], 95)

    print(
        f"\n{label}: {pairs * 2} practitioners in {pairs} co-editing pairs x {VISITS} visits"
        f" + {READERS} readers, in {elapsed:.0f} s"
    )
    print(
        "  gunicorn from gunicorn.conf.py, the export worker (audit sealer) beside it;"
        f" {CUT:.0%} of posts cut and resent"
    )
    for what in ("sign-in", "save", "start", "submit", "section page", "check page", "read"):
        values = tally.times[what]
        if values:
            print(
                f"  {what:<13} {len(values):5d}  p50 {percentile(values, 50) * 1000:6.0f} ms"
                f"  p95 {percentile(values, 95) * 1000:6.0f} ms  max {max(values) * 1000:6.0f} ms"
            )
    print(f"  section saves {len(tally.times['save']) / elapsed:.1f}/s; page loads {tally.reads}")
    print(
        f"  cuts: {dict(tally.cuts)}; connections dropped by the server: {tally.dropped};"
        f" posts given up: {tally.gave_up}"
    )
    print(f"  5xx (each retried): {fives} {dict(tally.fives) if fives else ''}")
    print(
        f"  refused (4xx, or a form sent back): {sum(tally.refused.values())}"
        f" {dict(tally.refused) if tally.refused else ''}"
    )
    print(
        f"  checked in the database: {len(drafts)} visits ({submitted} submitted) of {expected_visits}; "
        f"{len(tally.sections)} sections sent, {sent_grades} grades sent"
    )
    print(
        f"  lost: {lost_visits} visits, {lost_saves} sections, {lost_grades} grades;  "
        f"duplicated: {duplicated_visits} visits, {duplicated_saves} saves;  "
        f"grades not as sent: {wrong_grades}; grades never sent: {extra_grades}   (all must be 0)"
    )
    print(
        f"  audit trail: {total_audit} rows, {sealed_now} sealed after the run, {waiting} waiting; "
        f"verify: {count} rows, {'intact' if broken is None else f'BROKEN at {broken.row_id}: {broken.reason}'}"
    )
    target = TARGET_5XX[label]
    if pairs * 2 >= target:
        print(
            f"  target 0 x 5xx at {target} practitioners with 10% cuts: {'met' if fives == 0 else 'NOT met'} ({fives})"
        )
    else:
        print(f"  target 0 x 5xx is set at {target} practitioners: not measured at {pairs * 2}")
    print(
        f"  target submit p95 under {TARGET_SUBMIT_P95:.0f} s:"
        f" {'met' if submit_p95 < TARGET_SUBMIT_P95 else 'NOT met'} "
        f"({submit_p95:.2f} s)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("BENCH_SQLITE", "1") != "0":  # BENCH_SQLITE=0: PostgreSQL only
            run(f"sqlite:///{tmp}/bench.db", "SQLite", tmp, int(os.environ.get("PRACTITIONERS", TARGET_5XX["SQLite"])))
        if os.environ.get("BENCH_POSTGRES_URL"):
            practitioners = int(os.environ.get("PRACTITIONERS", TARGET_5XX["PostgreSQL"]))
            run(os.environ["BENCH_POSTGRES_URL"], "PostgreSQL", tmp, practitioners)
        else:
            print("\nPostgreSQL: set BENCH_POSTGRES_URL to an empty database to run the same load there")


if __name__ == "__main__":
    main()
