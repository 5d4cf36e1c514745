"""Settings from environment variables, with safe defaults. Tests pass overrides to create_app."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from heat.files import open_private, private_folder


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'heat.db'}"
    # Hosting platforms hand out postgres:// URLs; we use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


ENVIRONMENTS = ("production", "development", "test")
LOG_FORMATS = ("text", "json")
SECRET_KEY_MIN_BYTES = 32


def environment_named(value: str | None) -> str:
    """HEAT_ENV, in any case; anything but a known name refuses to start (a misspelt "production"
    must never run as development: no HTTPS check, no two-step sign-in, a generated secret)."""
    name = (value or "development").strip().lower()
    if name not in ENVIRONMENTS:
        raise RuntimeError(
            f"HEAT_ENV must be one of {', '.join(ENVIRONMENTS)} (in any case), not {value!r}: "
            "refusing to start with an unknown environment"
        )
    return name


def mfa_required(environment: str) -> bool:
    """Two-step sign-in: always in production (HEAT_MFA_REQUIRED=0 there refuses to start);
    elsewhere HEAT_MFA_REQUIRED=1 turns it on."""
    setting = os.environ.get("HEAT_MFA_REQUIRED", "").strip()
    if environment == "production":
        if setting not in ("", "1"):
            raise RuntimeError(
                f"HEAT_MFA_REQUIRED={setting} is not allowed when HEAT_ENV=production: two-step sign-in "
                "cannot be turned off in production (unset HEAT_MFA_REQUIRED)"
            )
        return True
    return setting == "1"


def switch(name: str, default: bool) -> bool:
    """A setting that is on (1) or off (0); anything else refuses to start rather than guess."""
    value = os.environ.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise RuntimeError(f"{name} must be 1 (on) or 0 (off), not {value!r}")
    return default if not value else value == "1"


def secret_key(instance_path: str, environment: str) -> str:
    """HEAT_SECRET_KEY in production; elsewhere a random key kept in the instance folder."""
    key = os.environ.get("HEAT_SECRET_KEY")
    if key:
        return key
    if environment == "production":
        raise RuntimeError("HEAT_SECRET_KEY must be set when HEAT_ENV=production")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        private_folder(path.parent)
        with open_private(path) as file:
            file.write(secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def visit_frequency(text: str) -> dict[str, int | None]:
    """Required visiting frequency in working days per plan, e.g. "cp=10,cin=20,early_help=30"."""
    frequency: dict[str, int | None] = {"cp": 10, "cin": 20, "early_help": 30, "none": None}
    for part in filter(None, (p.strip() for p in text.split(","))):
        plan, _, days = part.partition("=")
        frequency[plan.strip()] = int(days) if days.strip() else None
    return frequency


def team_contacts(text: str) -> dict[str, str]:
    """What the family copy tells families about reaching each team: a JSON object from team name
    to contact details, "*" for every other team, e.g.
    {"North": "North children's team, 01632 960001, north.team@example.org"}."""
    if not text.strip():
        return {}
    try:
        contacts = json.loads(text)
    except ValueError:
        contacts = None
    if not isinstance(contacts, dict) or not all(isinstance(v, str) for v in contacts.values()):
        raise ValueError(
            'HEAT_TEAM_CONTACTS must be a JSON object of team name to contact details, like {"North": "..."}'
        )
    return contacts


def time_of_day(name: str, value: str | dt.time, example: str) -> dt.time:
    """A setting that is a time of day (UTC, 24-hour "HH:MM"), such as HEAT_BACKUP_AT."""
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(value.strip())
    except ValueError:
        raise RuntimeError(
            f"{name} must be a time of day as HH:MM (UTC), for example {example}, not {value!r}"
        ) from None


def backup_time(value: str | dt.time) -> dt.time:
    """HEAT_BACKUP_AT: the time of day the worker takes the daily backup."""
    return time_of_day("HEAT_BACKUP_AT", value, "02:00")


def check_mail(config: dict) -> None:
    """Email is off unless HEAT_SMTP_URL or HEAT_NOTIFY_API_KEY is set (not both); when one is,
    what it needs must be set too, and every email's link needs HEAT_EXTERNAL_URL."""
    config["HEAT_DAILY_SUMMARY_AT"] = time_of_day("HEAT_DAILY_SUMMARY_AT", config["HEAT_DAILY_SUMMARY_AT"], "07:00")
    url, notify = config["HEAT_SMTP_URL"], config["HEAT_NOTIFY_API_KEY"]
    if url and notify:
        raise RuntimeError("Set HEAT_SMTP_URL or HEAT_NOTIFY_API_KEY, not both: HEAT sends email one way")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise RuntimeError("HEAT_SMTP_URL must look like smtp://mail.example.org:587 (or smtps:// for port 465)")
        if "@" not in config["HEAT_MAIL_FROM"]:
            raise RuntimeError(
                "HEAT_MAIL_FROM must be set to the address HEAT's emails come from when HEAT_SMTP_URL is set"
            )
    if notify and not config["HEAT_NOTIFY_TEMPLATE_ID"]:
        raise RuntimeError(
            "HEAT_NOTIFY_TEMPLATE_ID must be set with HEAT_NOTIFY_API_KEY: the id of a Notify email template "
            "whose subject is ((subject)) and whose message is ((body))"
        )
    if (url or notify) and not config["HEAT_EXTERNAL_URL"].startswith(("https://", "http://")):
        raise RuntimeError(
            "HEAT_EXTERNAL_URL must be set to the address users open HEAT at (https://heat.example.org) when "
            "emails are sent: every email links to it"
        )


def from_environment(instance_path: str) -> dict:
    environment = environment_named(os.environ.get("HEAT_ENV"))
    return {
        "HEAT_ENV": environment,
        "SECRET_KEY": secret_key(instance_path, environment),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # A database server's connection can drop between requests (create_app turns the check off
        # for SQLite, whose file connection cannot).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Extra checklist definition folders (os.pathsep separated) beside the built-in one.
        "HEAT_CHECKLIST_DIRS": [p for p in os.environ.get("HEAT_CHECKLIST_DIRS", "").split(os.pathsep) if p],
        "SESSION_COOKIE_NAME": "heat_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Set HEAT_HTTPS=1 when served over HTTPS (always, in a real deployment: production
        # refuses to start without it, see `check`).
        "HEAT_HTTPS": os.environ.get("HEAT_HTTPS") == "1",
        # Two-step sign-in (an authenticator app) for every account: always in production.
        "HEAT_MFA_REQUIRED": mfa_required(environment),
        "SESSION_COOKIE_SECURE": os.environ.get("HEAT_HTTPS") == "1",
        "HEAT_HSTS": os.environ.get("HEAT_HTTPS") == "1",
        # How many reverse proxies in front of HEAT are trusted to say who the client is
        # (X-Forwarded-For, -Proto, -Host): 0 trusts none, and each request's address is the
        # connection's own.
        "HEAT_PROXY_HOPS": int(os.environ.get("HEAT_PROXY_HOPS") or 0),
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "HEAT_IDLE_TIMEOUT": timedelta(minutes=30),
        "HEAT_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "HEAT_LOGIN_FAILURES_PER_ACCOUNT": 5,
        "HEAT_LOGIN_FAILURES_PER_ADDRESS": 20,
        "HEAT_LOGIN_WINDOW": timedelta(minutes=15),  # also the longest wait
        "HEAT_LOGIN_BACKOFF": timedelta(seconds=30),  # the first wait, doubling with each failure
        # PDF downloads (assessment and history) one user may make in a minute: enough for any
        # casework, too few to copy a whole caseload out one PDF at a time (auditors export).
        "HEAT_PDF_PER_MINUTE": int(os.environ.get("HEAT_PDF_PER_MINUTE") or 20),
        "HEAT_API_PER_MINUTE": int(os.environ.get("HEAT_API_PER_MINUTE") or 120),
        "WTF_CSRF_TIME_LIMIT": None,  # the session's own limits bound the token's life
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "HEAT_VISIT_FREQUENCY": visit_frequency(os.environ.get("HEAT_VISIT_FREQUENCY", "")),
        "HEAT_TEAM_CONTACTS": team_contacts(os.environ.get("HEAT_TEAM_CONTACTS", "")),
        # The task queue for exports: SQLite by default; HEAT_HUEY_REDIS_URL for several machines.
        "HEAT_HUEY": os.environ.get("HEAT_HUEY_REDIS_URL")
        or os.environ.get("HEAT_HUEY_SQLITE", str(Path(instance_path) / "huey.db")),
        "HEAT_EXPORT_DIR": os.environ.get("HEAT_EXPORT_DIR", str(Path(instance_path) / "exports")),
        # A child's records are due for review (restrict or erase) this many years after birth.
        "HEAT_RETENTION_REVIEW_AGE": int(os.environ.get("HEAT_RETENTION_REVIEW_AGE") or 25),
        # An export waiting or being built with no progress for this long was lost (its worker
        # killed, its task dropped): it is queued again. A build stores progress every few records.
        "HEAT_EXPORT_STALL_MINUTES": int(os.environ.get("HEAT_EXPORT_STALL_MINUTES") or 10),
        # Export ZIPs (every child's PDFs) are deleted this many days after they were made.
        "HEAT_EXPORT_RETENTION_DAYS": int(os.environ.get("HEAT_EXPORT_RETENTION_DAYS") or 7),
        # Where the footer's "Help" link sends practitioners: the service desk that supports HEAT.
        "HEAT_SUPPORT_EMAIL": os.environ.get("HEAT_SUPPORT_EMAIL", "heat-support@example.org"),
        # Running in production (README): /metrics answers only with this bearer token; logs as
        # one JSON object a line ("json") or as text; the worker's daily backups.
        "HEAT_METRICS_TOKEN": os.environ.get("HEAT_METRICS_TOKEN", ""),
        "HEAT_LOG_FORMAT": os.environ.get("HEAT_LOG_FORMAT", "text").strip().lower(),
        "HEAT_BACKUP_DIR": os.environ.get("HEAT_BACKUP_DIR", ""),
        "HEAT_BACKUP_KEEP": int(os.environ.get("HEAT_BACKUP_KEEP") or 7),
        "HEAT_BACKUP_AT": os.environ.get("HEAT_BACKUP_AT", "02:00"),
        # Single sign-on with the organisation's OpenID Connect provider: on when the issuer, the
        # client id and its secret are set (heat/services/sso.py checks them all at start-up).
        "HEAT_OIDC_ISSUER": os.environ.get("HEAT_OIDC_ISSUER", "").strip(),
        "HEAT_OIDC_CLIENT_ID": os.environ.get("HEAT_OIDC_CLIENT_ID", "").strip(),
        "HEAT_OIDC_CLIENT_SECRET": os.environ.get("HEAT_OIDC_CLIENT_SECRET", "").strip(),
        # Someone with no HEAT account yet gets one, with the role and team their groups map to.
        "HEAT_OIDC_CREATE_USERS": switch("HEAT_OIDC_CREATE_USERS", False),
        "HEAT_OIDC_GROUPS_CLAIM": os.environ.get("HEAT_OIDC_GROUPS_CLAIM", "").strip() or "groups",
        "HEAT_OIDC_ROLE_MAP": os.environ.get("HEAT_OIDC_ROLE_MAP", ""),
        # The provider must vouch for two factors (amr/acr); HEAT's own second step is then skipped.
        "HEAT_OIDC_REQUIRE_MFA": switch("HEAT_OIDC_REQUIRE_MFA", False),
        "HEAT_PASSWORD_SIGN_IN": switch("HEAT_PASSWORD_SIGN_IN", True),
        # Emails (heat/services/notifications.py), sent by the worker: through an SMTP server
        # (smtp://user:password@host:587, STARTTLS when the server offers it) from HEAT_MAIL_FROM,
        # or through GOV.UK Notify (an API key and the id of a template of ((subject)) and ((body))).
        # Nothing is sent when neither is set. Links in them start with HEAT_EXTERNAL_URL.
        "HEAT_SMTP_URL": os.environ.get("HEAT_SMTP_URL", "").strip(),
        "HEAT_MAIL_FROM": os.environ.get("HEAT_MAIL_FROM", "").strip(),
        "HEAT_NOTIFY_API_KEY": os.environ.get("HEAT_NOTIFY_API_KEY", "").strip(),
        "HEAT_NOTIFY_TEMPLATE_ID": os.environ.get("HEAT_NOTIFY_TEMPLATE_ID", "").strip(),
        "HEAT_NOTIFY_BASE_URL": os.environ.get("HEAT_NOTIFY_BASE_URL", "").strip()
        or "https://api.notifications.service.gov.uk",
        "HEAT_EXTERNAL_URL": os.environ.get("HEAT_EXTERNAL_URL", "").strip(),
        # The time of day (UTC, "HH:MM") the worker sends each user's daily summary.
        "HEAT_DAILY_SUMMARY_AT": os.environ.get("HEAT_DAILY_SUMMARY_AT", "07:00"),
    }


def check(config: dict) -> None:
    """Settings a deployment must not get wrong: refuse to start rather than run unsafely. In
    production: HTTPS, two-step sign-in (always on, whatever else says) and a secret key of at
    least 32 bytes."""
    config["HEAT_ENV"] = environment_named(config.get("HEAT_ENV"))
    if config["HEAT_ENV"] == "production":
        if not config["HEAT_HTTPS"]:
            raise RuntimeError("HEAT_HTTPS=1 must be set when HEAT_ENV=production: HEAT is served only over HTTPS")
        secret = config.get("SECRET_KEY") or ""
        if len(secret.encode() if isinstance(secret, str) else secret) < SECRET_KEY_MIN_BYTES:
            raise RuntimeError(
                f"HEAT_SECRET_KEY must be at least {SECRET_KEY_MIN_BYTES} bytes when HEAT_ENV=production, for "
                "example: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        config["HEAT_MFA_REQUIRED"] = True
    if config["HEAT_PROXY_HOPS"] < 0:
        raise RuntimeError("HEAT_PROXY_HOPS must be 0 or more")
    if config["HEAT_LOG_FORMAT"] not in LOG_FORMATS:
        raise RuntimeError(f"HEAT_LOG_FORMAT must be text or json, not {config['HEAT_LOG_FORMAT']!r}")
    if config["HEAT_BACKUP_KEEP"] < 1:
        raise RuntimeError("HEAT_BACKUP_KEEP must be 1 or more: how many daily backups to keep")
    config["HEAT_BACKUP_AT"] = backup_time(config["HEAT_BACKUP_AT"])
    check_mail(config)
