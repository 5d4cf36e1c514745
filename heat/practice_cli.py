"""`flask practice ...`: grading agreement across joint visits, for quality assurance, and the
counts the Practice quality page adds up.

Registers its commands on the `practice` group (made here unless another module made it first)."""

from __future__ import annotations

import csv
import io
import json

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from heat.database import writing
from heat.extensions import db
from heat.models import Team
from heat.services import audit
from heat.services.agreement import agreement_report, grade_pairs
from heat.services.practice_quality import fill_counts


def _team(name: str) -> Team:
    team = db.session.scalar(select(Team).where(func.lower(Team.name) == name.strip().lower()))
    if team is None:
        raise click.ClickException(f"no team {name}")
    return team


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@click.command("agreement")
@click.option("--team", "team_name", required=True, help="The team's name, e.g. North.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@with_appcontext
def agreement(team_name: str, as_json: bool) -> None:
    """Print quadratic-weighted kappa per item, per area and per pair of practitioners over the
    team's joint visits, with the number of pairs of grades and a bootstrap 95% interval."""
    with writing():
        team = _team(team_name)
        figures = agreement_report(team)
        audit.record("agreement_printed", detail=f"team {team.id}")
        db.session.commit()
    if as_json:
        click.echo(json.dumps({"team": team.name, **figures.as_dict()}, indent=2))
        return
    click.echo(f"{team.name}: {figures.visits} joint visits")
    for title, rows in (
        ("All items", [figures.overall]),
        ("Grade descriptions to review", figures.to_review),
        ("By area", figures.areas),
        ("By pair of practitioners", figures.practitioner_pairs),
        ("By item", figures.items),
    ):
        click.echo(f"\n{title}")
        for a in rows:
            click.echo(f"  {a.label}: kappa {_shown(a.kappa)} ({_shown(a.low)} to {_shown(a.high)}), {a.pairs} pairs")


@click.command("joint-grades")
@click.option("--team", "team_name", required=True, help="The team's name, e.g. North.")
@with_appcontext
def joint_grades(team_name: str) -> None:
    """Print a CSV of every item graded 1-5 by both practitioners at the team's joint visits:
    visit_id,item_id,first_grade,second_grade (first: the visit of record)."""
    with writing():
        team = _team(team_name)
        pairs, _, _ = grade_pairs(team)
        audit.record("joint_grades_printed", detail=f"team {team.id}")
        db.session.commit()
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow(["visit_id", "item_id", "first_grade", "second_grade"])
    out.writerows([p.visit_id, p.item_id, p.first_grade, p.second_grade] for p in pairs)
    click.echo(text.getvalue(), nl=False)


@click.command("counts")
@with_appcontext
def counts() -> None:
    """Count what the Practice quality measures count at every recorded visit that has not been
    counted yet (visits recorded before release 0024_practice_counts). Run after `flask db upgrade`
    (`make migrate` does); running it again counts nothing twice."""
    total = 0
    while True:
        with writing():  # a batch at a time: nobody else waits long for the write lock
            counted = fill_counts()
            if counted:
                audit.record("practice_counts_filled", detail=f"{counted} visits")
            db.session.commit()
        if not counted:
            break
        total += counted
    click.echo(f"Counted {total} visits.")


def register(app: Flask) -> None:
    group = app.cli.commands.get("practice")
    if not isinstance(group, AppGroup):
        group = AppGroup("practice", help="How well assessments are done and graded.")
        app.cli.add_command(group)
    group.add_command(agreement)
    group.add_command(joint_grades)
    group.add_command(counts)
