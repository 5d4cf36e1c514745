"""How long `flask children import` takes for a case system's file of 10,000 children (target:
under 30 s here), run as a user runs it: the command, in a fresh process, on a migrated SQLite
database (or DATABASE_URL). Times the dry run, the first import, the same file again (nothing
changes) and a file where one row in ten changed (new address: a move). Prints figures; asserts
nothing.

Run: .venv/bin/python bench/import_children.py [--rows N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "case_reference,first_name,last_name,date_of_birth,expected_date_of_birth,team,"
    "allocated_worker_email,plan,address_line_1,address_line_2,town,postcode"
)
TEAMS = 10
PLANS = ("cp", "cin", "early_help", "none")


def write_file(path: Path, rows: int, changed_every: int = 0) -> None:
    """Invented children spread over TEAMS teams; every `changed_every`th one moved."""
    today = dt.date.today()
    lines = [HEADER]
    for n in range(rows):
        team = n % TEAMS
        born = today - dt.timedelta(days=30 + (n * 37) % 5000)
        moved = changed_every and n % changed_every == 0
        street = f"{n % 300 + 1} {'New' if moved else 'Invented'} Road"
        lines.append(
            f"BENCH-{n:06d},Child{n},Family{n // 3},{born.isoformat()},,Bench {team},"
            f"worker{team}@example.org,{PLANS[n % 4]},{street},,Testtown,ZZ{team} {n % 9}AA"
        )
    path.write_text("\n".join(lines) + "\n")


def flask(env: dict, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr[-2000:])
    return took, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "HEAT_SECRET_KEY": "bench-secret",
            "HEAT_ENV": "development",
            "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'heat.db'}"),
        }
        flask(env, "db", "upgrade")
        for team in range(TEAMS):
            flask(env, "teams", "create", f"Bench {team}")
            flask(
                env,
                "users",
                "create",
                "--email",
                f"worker{team}@example.org",
                "--name",
                f"Worker {team}",
                "--role",
                "practitioner",
                "--team",
                f"Bench {team}",
                "--password",
                "a long invented bench password",
            )
        flask(
            env,
            "users",
            "create",
            "--email",
            "admin@example.org",
            "--name",
            "Admin",
            "--role",
            "admin",
            "--password",
            "a long invented bench password",
        )
        first, changed = folder / "children.csv", folder / "changed.csv"
        write_file(first, rows)
        write_file(changed, rows, changed_every=10)
        print(f"Importing {rows:,} children ({first.stat().st_size / 1e6:.1f} MB) with `flask children import`")
        for label, args in [
            ("dry run", [str(first), "--dry-run"]),
            ("first import", [str(first)]),
            ("same file again", [str(first)]),
            ("1 in 10 moved", [str(changed)]),
        ]:
            took, last = flask(env, "children", "import", *args)
            print(f"  {label:<16} {took:6.1f} s  {rows / took:7.0f} rows/s  {last}")
        took, last = flask(env, "audit", "verify")
        print(f"  audit verify     {took:6.1f} s  {last}")


if __name__ == "__main__":
    main()
