"""Every main page's throughput against a bare Flask route, on the project's own gunicorn
settings, in one run.

Target (../shared/targets.md, issues 11 and 28): the main pages serve at least 0.10 of the bare
route's requests per second (then 0.25). Both servers run the same way, as `make run` serves HEAT
(gunicorn with gunicorn.conf.py: a process per core, 4 threads each; WEB_CONCURRENCY and
HEAT_WEB_THREADS change them), on loopback; a load generator of CONCURRENCY processes with keep-alive-free HTTP/1.1
requests drives each for SECONDS. The machine's load changes from second to second, so each page
is measured in ROUNDS alternating rounds (bare route, page, bare route, page...) and its ratio is
the median of the rounds' ratios. Prints figures; asserts nothing.
Run: make bench   (or .venv/bin/python bench/throughput.py; BENCH_ROUNDS, BENCH_SECONDS, BENCH_PAGES)
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The project's own settings, as `make run` serves (WEB_CONCURRENCY and HEAT_WEB_THREADS change them).
SETTINGS = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
# Some pages only, by words of their names: BENCH_PAGES="child,review" (default: every page).
ONLY = [word.strip() for word in os.environ.get("BENCH_PAGES", "").split(",") if word.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(target: str, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{target} did not start")


def request(port: int, path: str, cookie: str = "", method: str = "GET", body: str = "") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _load(port: int, path: str, cookie: str, until: float, counts) -> None:
    done = errors = 0
    while time.time() < until:
        status = request(port, path, cookie).status
        if status == 200:
            done += 1
        else:
            errors += 1
    counts.put((done, errors))


def throughput(port: int, path: str, cookie: str = "") -> tuple[float, int]:
    request(port, path, cookie)  # warm up every worker's caches
    counts: multiprocessing.Queue = multiprocessing.Queue()
    start = time.time()
    until = start + SECONDS
    clients = [
        multiprocessing.Process(target=_load, args=(port, path, cookie, until, counts)) for _ in range(CONCURRENCY)
    ]
    for c in clients:
        c.start()
    results = [counts.get() for _ in clients]
    for c in clients:
        c.join()
    elapsed = time.time() - start
    return sum(r[0] for r in results) / elapsed, sum(r[1] for r in results)


def sign_in(port: int, email: str = "north-worker@example.org") -> str:
    """A demo account's session cookie."""
    first = http.client.HTTPConnection("127.0.0.1", port)
    first.request("GET", "/sign-in")
    response = first.getresponse()
    html = response.read().decode()
    cookie = session_cookie(response)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = f"csrf_token={token}&email={email.replace('@', '%40')}&password=heat-demo-password"
    signed = request(port, "/sign-in", cookie, "POST", body)
    return session_cookie(signed) or cookie


def session_cookie(response: http.client.HTTPResponse) -> str:
    """The heat_session cookie a response sets (sign-in sets a device cookie too)."""
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("heat_session="):
            return header.split(";")[0]
    return ""


def draft(port: int, cookie: str, child_id: int) -> str:
    """Start a draft assessment for the child; returns its path."""
    html = http.client.HTTPConnection("127.0.0.1", port)
    html.request("GET", f"/children/{child_id}/assessments/new", headers={"Cookie": cookie})
    response = html.getresponse()
    page = response.read().decode()
    cookie = session_cookie(response) or cookie  # the session now holds the CSRF secret
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    key = re.search(r'name="start_key" type="hidden" value="([^"]+)"', page).group(1)
    body = f"csrf_token={token}&start_key={key}&children={child_id}"
    return request(port, f"/children/{child_id}/assessments/new", cookie, "POST", body).getheader("Location")


def demo_database(tmp: str) -> dict[str, str]:
    """A migrated SQLite database with the demo data in `tmp`; returns the settings that name it."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        "HEAT_SECRET_KEY": "bench-secret",
        "HEAT_HUEY_SQLITE": f"{tmp}/huey.db",
        "HEAT_EXPORT_DIR": f"{tmp}/exports",
        "FLASK_APP": "app:create_app",
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True
        )
    return env


def waiting_review(port: int, cookie: str) -> str:
    """The path of the first visit in the supervisor's review queue."""
    queue = http.client.HTTPConnection("127.0.0.1", port)
    queue.request("GET", "/reviews", headers={"Cookie": cookie})
    return re.search(r'href="(/assessments/\d+/review)"', queue.getresponse().read().decode()).group(1)


def rounds(bare: tuple[int, str], page: tuple[int, str, str]) -> tuple[float, float, float, int]:
    """The page's median requests/s, the bare route's, and the median of the rounds' ratios
    (each round measures the bare route, then the page), with the page's errors."""
    bare_rates, page_rates, ratios, errors = [], [], [], 0
    for _ in range(ROUNDS):
        bare_rate, _ = throughput(*bare)
        page_rate, failed = throughput(*page)
        bare_rates.append(bare_rate)
        page_rates.append(page_rate)
        ratios.append(page_rate / bare_rate)
        errors += failed
    return statistics.median(page_rates), statistics.median(bare_rates), statistics.median(ratios), errors


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = demo_database(tmp)
        bare, bare_port = serve("bench.bare_app:app", {})
        heat, port = serve("app:create_app()", env)
        try:
            worker = sign_in(port)
            supervisor = sign_in(port, "north-supervisor@example.org")
            mia = 3  # the demo's busiest child: four past visits, flags, a move, an adult never seen
            location = draft(port, worker, mia).replace("http://127.0.0.1:" + str(port), "")
            pages = {
                "caseload": (port, "/caseload", worker),
                "dashboard (supervisor)": (port, "/dashboard", supervisor),
                "child page (Mia, 4 visits)": (port, f"/children/{mia}", worker),
                "checklist section (kitchen)": (port, f"{location}/sections/kitchen", worker),
                "check answers": (port, f"{location}/check", worker),
                "review (supervisor)": (port, waiting_review(port, supervisor), supervisor),
            }
            chosen = {name: page for name, page in pages.items() if not ONLY or any(word in name for word in ONLY)}
            results = {name: rounds((bare_port, "/"), page) for name, page in chosen.items()}
        finally:
            for process in (bare, heat):
                process.send_signal(signal.SIGTERM)
                process.wait()
    print(
        f"gunicorn.conf.py: {SETTINGS['workers']} {SETTINGS['worker_class']} workers of {SETTINGS['threads']} threads;"
        f" {CONCURRENCY} client processes for {SECONDS:g} s"
        f" a measurement; loopback; median of {ROUNDS} alternating rounds (bare route, page)"
    )
    print(f"{'page':<30}{'requests/s':>12}{'bare/s':>9}{'ratio':>8}{'errors':>8}   target ratio >= 0.10")
    for name, (rate, base, ratio, errors) in results.items():
        print(f"{name:<30}{rate:>12.0f}{base:>9.0f}{ratio:>8.3f}{errors:>8}")


if __name__ == "__main__":
    main()
