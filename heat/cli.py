"""Flask commands: user accounts, teams, demo data, checking the audit trail, erasing again,
stalled exports."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from heat import tasks
from heat.checklist.vocabulary import ROLES
from heat.database import writing
from heat.extensions import db
from heat.models import Team, User
from heat.services import accounts, api_auth, audit, backup, demo, importing, retention
from heat.services.errors import FieldError
from heat.services.scale import generate

users = AppGroup("users", help="Create and change user accounts.")
teams = AppGroup("teams", help="Create teams.")
audit_trail = AppGroup("audit", help="Check the audit trail.")
backups = AppGroup("backup", help="Back up, check and restore the database.")
children = AppGroup("children", help="Bring children in from the case system.")
api_tokens = AppGroup("api-tokens", help="Bearer tokens for the JSON API.")
retention_group = AppGroup("retention", help="Records due for review, restricted or erased.")
exports = AppGroup("exports", help="Auditor exports.")


def _user_with(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


@children.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would be added or changed and change nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and skip (and print) the bad ones.")
@click.option("--by", "by_email", help="The administrator the import is recorded as (default: the first one).")
def import_children(path: Path, dry_run: bool, skip_invalid: bool, by_email: str | None) -> None:
    """Import children from the case system's CSV file (see the README for its columns)."""
    with writing():
        if by_email:
            user = _user_with(by_email)
        else:
            admin = db.session.scalar(
                select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(1)
            )
            if admin is None:
                raise click.ClickException("no active administrator to record the import as; create one or use --by")
            user = admin
        with path.open("rb") as source:
            outcome = importing.run(source, user=user, dry_run=dry_run, skip_invalid=skip_invalid)
        db.session.commit()
    for line in outcome.lines():
        click.echo(line)
    if outcome.problems and not (skip_invalid or dry_run):
        raise SystemExit(1)


@api_tokens.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. the system that uses it.")
def create_api_token(email: str, name: str) -> None:
    """Print a new token, once: only its hash is kept."""
    with writing():
        user = _user_with(email)
        try:
            token, secret = api_auth.create_token(user, name)
        except FieldError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"Token {token.id} ({name}) for {user.email}. Keep it safe: it is not shown again.")
    click.echo(secret)


@api_tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke_api_token(token_id: int) -> None:
    """End the token with this number (as printed by create and list)."""
    with writing():
        if not api_auth.revoke_token(token_id):
            raise click.ClickException(f"no live token {token_id}")
        db.session.commit()
    click.echo(f"Revoked token {token_id}.")


@api_tokens.command("list")
def list_api_tokens() -> None:
    """Every token: number, user, name, created, last used, revoked."""
    for token in api_auth.tokens():
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        click.echo(
            f"{token.id}\t{token.user.email}\t{token.name}\tcreated {token.created_at:%Y-%m-%d}\tused {used}\t{state}"
        )


@backups.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(path: Path) -> None:
    """A consistent copy of the database while the app runs (SQLite backup API, or pg_dump)."""
    try:
        backup.create(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path}.")


@backups.command("verify")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_verify(path: Path) -> None:
    """Exit 0 when the backup opens, passes its integrity check and its audit chain holds."""
    try:
        checked = backup.verify(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if checked.broken is not None:
        click.echo(f"Backup's audit trail broken at row {checked.broken.row_id}: {checked.broken.reason}.", err=True)
        raise SystemExit(1)
    click.echo(f"Backup is sound: {checked.audit_rows} audit rows, every hash holds.")


@backups.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_restore(path: Path) -> None:
    """Restore into this app's database, which must be empty (a new database)."""
    try:
        backup.restore(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored from {path}.")


@retention_group.command("erase-again")
def erase_again() -> None:
    """Erase every erased record again under the current data map (run once after an upgrade
    that adds to the map: records erased before it still hold what it now covers)."""
    with writing():
        count = retention.erase_again()  # committed a batch at a time
    tasks.render_pdfs()
    click.echo(f"Erased again: {count} records.")


@audit_trail.command("verify")
@click.option("--since", metavar="CHECKPOINT", help="A checkpoint from `flask audit checkpoint`: it must still hold.")
def verify_audit(since: str | None) -> None:
    """Check every sealed audit row's hash chain, and say how many wait to be sealed: exit 0 when
    it holds, 1 naming the first bad row."""
    try:
        count, broken = audit.verify(since=since)
    except ValueError as exc:
        click.echo(f"Audit trail not checked: {exc}.", err=True)
        raise SystemExit(1) from None
    waiting = f"{audit.waiting()} more wait to be sealed (the worker seals them every minute; `flask audit seal` now)."
    if broken is None:
        click.echo(f"Audit trail intact: {count} rows, every hash holds; {waiting}")
        return
    click.echo(f"Audit trail broken at row {broken.row_id}: {broken.reason}. {waiting}", err=True)
    raise SystemExit(1)


@audit_trail.command("seal")
def seal_audit() -> None:
    """Chain the audit rows that have committed and wait to be sealed (the worker does this every
    minute)."""
    click.echo(f"Sealed {audit.seal()} audit rows.")


@exports.command("requeue")
def requeue_exports() -> None:
    """Queue again every export waiting or being built with no progress for HEAT_EXPORT_STALL_MINUTES
    (the worker's periodic task does this every 5 minutes)."""
    stalled = tasks.requeue_stalled()
    click.echo(f"Queued again: {', '.join(f'export {n}' for n in stalled)}." if stalled else "No export has stalled.")


@audit_trail.command("checkpoint")
def checkpoint_audit() -> None:
    """Print (and log) the signed head of the chain, to keep where the database's writers cannot
    reach; `flask audit verify --since` checks the trail still leads to it."""
    mark = audit.checkpoint()
    current_app.logger.info("audit checkpoint %s", mark)
    click.echo(mark)


@teams.command("create")
@click.argument("name")
def create_team(name: str) -> None:
    """Create a team called NAME."""
    with writing():
        try:
            accounts.create_team(None, name)
        except FieldError as exc:
            raise click.ClickException(f"{exc} ({name!r})") from None
        db.session.commit()
    click.echo(f"Created team {name}")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--team", "team_name", help="Team name (practitioners and supervisors).")
@click.password_option(help="Prompted for when not given.")
def create_user(email: str, name: str, role: str, team_name: str | None, password: str) -> None:
    """Create a user account."""
    with writing():
        team = db.session.scalar(select(Team).where(Team.name == team_name)) if team_name else None
        if team_name and team is None:
            raise click.ClickException(f"no team called {team_name!r}; create it with `flask teams create`")
        try:
            accounts.save_user(
                None, None, name=name, email=email, role=role, team_id=team.id if team else None, password=password
            )
        except FieldError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    click.echo(f"Created {ROLES[role].lower()} {email}")


@users.command("deactivate")
@click.option("--email", required=True)
def deactivate_user(email: str) -> None:
    """Deactivate an account and end its sessions."""
    with writing():
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        accounts.save_user(
            None,
            user,
            name=user.name,
            email=user.email,
            role=user.role,
            team_id=user.team_id,
            password=None,
            active=False,
        )
        db.session.commit()
    click.echo(f"Deactivated {email}")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing (successfully) when the database already has users.")
def seed_demo(if_empty: bool) -> None:
    """Load invented demo data into an empty database (never in production)."""
    if current_app.config["HEAT_ENV"] == "production":
        raise click.ClickException("demo data is never loaded when HEAT_ENV=production")
    with writing():
        try:
            demo.load()
        except demo.NotEmpty as exc:
            db.session.rollback()
            if if_empty:
                click.echo("Database already has users; demo data not loaded.")
                return
            raise click.ClickException(str(exc)) from None
        db.session.commit()
    tasks.render_pdfs()
    click.echo(f"Loaded demo data. Every demo account's password is {demo.DEMO_PASSWORD}")


@click.command("seed-scale")
@with_appcontext
@click.option("--teams", default=50, show_default=True)
@click.option("--children", default=5000, show_default=True)
@click.option("--visits", default=100_000, show_default=True)
def seed_scale(teams: int, children: int, visits: int) -> None:
    """Load a large synthetic, invented caseload for benchmarks (never in production)."""
    if current_app.config["HEAT_ENV"] == "production":
        raise click.ClickException("synthetic data is never loaded when HEAT_ENV=production")
    if db.session.scalar(select(User).limit(1)) is not None:
        raise click.ClickException("seed-scale needs an empty database")
    if teams < 1 or children < teams or visits < 1:
        raise click.ClickException("need at least one team, a child per team and one visit")
    with writing():
        generate(teams=teams, children=children, visits=visits)
    click.echo(f"Loaded {teams} teams, {children} children and {visits} scored visits.")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(teams)
    app.cli.add_command(audit_trail)
    app.cli.add_command(backups)
    app.cli.add_command(children)
    app.cli.add_command(api_tokens)
    app.cli.add_command(retention_group)
    app.cli.add_command(exports)
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_scale)
