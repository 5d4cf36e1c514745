"""Single sign-on with the organisation's OpenID Connect provider (Entra ID, Okta, Google...).

Authlib's Flask client does the protocol: the authorization code flow with PKCE (S256), `state`
and `nonce` kept in the session and checked on return, and the ID token's signature checked
against the keys the provider publishes (its discovery document's JWKS), with its issuer,
audience and expiry. What is HEAT's own is here: who may come in. A person is matched to their
HEAT account by verified email; with HEAT_OIDC_CREATE_USERS=1 someone new gets the role and team
that the first of their groups named in HEAT_OIDC_ROLE_MAP gives; a deactivated HEAT account is
refused whatever the provider says; and with HEAT_OIDC_REQUIRE_MFA=1 the provider must say (amr
or acr) that two factors were used, which then stands in for HEAT's own two-step sign-in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import JoseError
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from heat.checklist.vocabulary import ROLES
from heat.extensions import db
from heat.models import Team, User
from heat.services import accounts, audit

CLIENT = "organisation"
ID_TOKEN = "sso_id_token"  # kept in the session for the provider's sign-out (id_token_hint)
TIMEOUT = 10  # seconds for each call to the provider (discovery, keys, token)
SETTINGS = ("HEAT_OIDC_ISSUER", "HEAT_OIDC_CLIENT_ID", "HEAT_OIDC_CLIENT_SECRET")
TEAM_ROLES = ("practitioner", "supervisor")

# RFC 8176 authentication method references that are factors in their own right; "mfa" and "mca"
# say outright that several were used. Risk checks and location ("rba", "geo") are no factor.
FACTORS = frozenset(
    {"face", "fpt", "hwk", "iris", "kba", "otp", "pin", "pop", "pwd", "retina", "sc", "sms", "swk", "tel", "vbm", "wia"}
)
SEVERAL_FACTORS = frozenset({"mfa", "mca"})
# Authentication context classes that mean multi-factor (OpenID PAPE).
MULTI_FACTOR_ACR = frozenset(
    {
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
        "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
    }
)


@dataclass(frozen=True)
class GroupRole:
    role: str
    team: str | None


@dataclass(frozen=True)
class Refusal:
    title: str
    body: str


# Why a sign-in through the organisation was refused: the audit row's detail names the key, the
# page says the rest. `{email}` and `{team}` are filled in.
REFUSALS = {
    "unchecked": Refusal(
        "Your sign-in could not be checked",
        "HEAT could not confirm your sign-in with your organisation account. Go back to the sign-in page and "
        "try again. If it keeps happening, contact your IT service desk.",
    ),
    "unavailable": Refusal(
        "Your organisation’s sign-in is not available at the moment",
        "HEAT could not reach your organisation’s sign-in service. Try again in a few minutes. If it keeps "
        "happening, contact your IT service desk.",
    ),
    "unverified_email": Refusal(
        "Your organisation account has no verified email address",
        "HEAT finds your account by the verified email address your organisation gives it. Ask your IT "
        "service desk to check your organisation account.",
    ),
    "no_account": Refusal(
        "You do not have a HEAT account",
        "There is no HEAT account for {email}. Ask your manager or HEAT administrator to add you, then sign in again.",
    ),
    "no_group": Refusal(
        "You are not in a group that uses HEAT",
        "HEAT gives you a role and a team from the groups your organisation puts you in, and none of yours "
        "is set up for HEAT. Ask your IT service desk or HEAT administrator to add you to the right group.",
    ),
    "no_team": Refusal(
        "Your team is not set up in HEAT",
        "Your group gives you the team ‘{team}’, which HEAT does not have. Ask your HEAT administrator to add it.",
    ),
    "deactivated": Refusal(
        "Your HEAT account has been deactivated",
        "You cannot sign in to HEAT with this account. Ask your manager or HEAT administrator if you need "
        "access again.",
    ),
    "one_factor": Refusal(
        "Sign in to your organisation account in two steps",
        "HEAT needs your organisation account to use two-step sign-in (for example a code from an app, a "
        "text message or a security key), and this sign-in used one step only. Sign out of your "
        "organisation account, then sign in again using two steps.",
    ),
}


@dataclass(frozen=True)
class Outcome:
    """A return from the provider: the user let in (with the ID token, for signing out there
    later, and whether the provider vouched for two factors), or the refusal's key and page."""

    user: User | None
    id_token: str | None = None
    two_factors: bool = False
    refused: str | None = None
    page: Refusal | None = None


def role_map(text: str) -> dict[str, GroupRole]:
    """HEAT_OIDC_ROLE_MAP, "group=role:Team name,group=role,...", in order (the first of a
    person's groups listed here decides). Raises ValueError saying what is wrong."""
    mapping: dict[str, GroupRole] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        group, equals, assignment = entry.partition("=")
        role, _, team = assignment.partition(":")
        group, role, team = group.strip(), role.strip(), team.strip()
        if not equals or not group or not role:
            raise ValueError(f"HEAT_OIDC_ROLE_MAP: {entry!r} is not in the form group=role:Team name")
        if role not in ROLES:
            raise ValueError(
                f"HEAT_OIDC_ROLE_MAP: the role for {group!r} must be one of {', '.join(ROLES)}, not {role!r}"
            )
        if role in TEAM_ROLES and not team:
            raise ValueError(f"HEAT_OIDC_ROLE_MAP: a {role} needs a team: {group}={role}:Team name")
        mapping.setdefault(group, GroupRole(role, team or None))
    return mapping


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check(config: Mapping[str, Any]) -> None:
    """Refuse to start with single sign-on half set up, or set up so that nobody could sign in."""
    given = [name for name in SETTINGS if config.get(name)]
    if given and len(given) < len(SETTINGS):
        missing = " and ".join(name for name in SETTINGS if name not in given)
        raise RuntimeError(f"Single sign-on needs {', '.join(SETTINGS)}: {missing} not set")
    if not given:
        for name in ("HEAT_OIDC_CREATE_USERS", "HEAT_OIDC_REQUIRE_MFA", "HEAT_OIDC_ROLE_MAP"):
            if config.get(name):
                raise RuntimeError(f"{name} is set but single sign-on is not: set {', '.join(SETTINGS)} too")
        if not config.get("HEAT_PASSWORD_SIGN_IN", True):
            raise RuntimeError(
                "HEAT_PASSWORD_SIGN_IN=0 needs single sign-on (HEAT_OIDC_ISSUER and the rest): nobody could sign in"
            )
        return
    issuer = urlsplit(config["HEAT_OIDC_ISSUER"])
    insecure_allowed = issuer.scheme == "http" and _loopback(issuer.hostname) and config["HEAT_ENV"] != "production"
    if not issuer.hostname or (issuer.scheme != "https" and not insecure_allowed):
        raise RuntimeError(
            f"HEAT_OIDC_ISSUER must be the provider's https:// address, not {config['HEAT_OIDC_ISSUER']!r}"
        )
    try:
        mapping = role_map(config.get("HEAT_OIDC_ROLE_MAP") or "")
    except ValueError as error:
        raise RuntimeError(str(error)) from None
    if config.get("HEAT_OIDC_CREATE_USERS") and not mapping:
        raise RuntimeError(
            "HEAT_OIDC_CREATE_USERS=1 needs HEAT_OIDC_ROLE_MAP, for example "
            "'heat-practitioners=practitioner:Riverside,heat-auditors=auditor'"
        )


def init_app(app: Flask) -> None:
    """Check the settings; with single sign-on on, register the provider (its discovery document
    is read at the first sign-in, not at start-up, so HEAT starts while the provider is away) and
    let the browser's sign-in and sign-out forms go on to it (the CSP's form-action)."""
    check(app.config)
    app.config.setdefault("HEAT_CSP_FORM_ACTION", "'self'")
    if not app.config.get("HEAT_OIDC_ISSUER"):
        return
    issuer = app.config["HEAT_OIDC_ISSUER"].rstrip("/")
    OAuth(app).register(
        CLIENT,
        client_id=app.config["HEAT_OIDC_CLIENT_ID"],
        client_secret=app.config["HEAT_OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "default_timeout": TIMEOUT},
    )
    origin = urlsplit(issuer)
    app.config["HEAT_CSP_FORM_ACTION"] = f"'self' {origin.scheme}://{origin.netloc}"


def enabled() -> bool:
    return bool(current_app.config.get("HEAT_OIDC_ISSUER"))


def password_sign_in() -> bool:
    return bool(current_app.config.get("HEAT_PASSWORD_SIGN_IN", True))


def _client() -> Any:
    return current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT)


def two_factors(amr: object, acr: object) -> bool:
    """Whether the provider says two factors were used: "mfa" (or "mca") among the `amr` values,
    two different factors there (a password and a one-time code), or a multi-factor `acr`."""
    methods = set(amr) if isinstance(amr, list) and all(isinstance(m, str) for m in amr) else set()
    return bool(methods & SEVERAL_FACTORS) or len(methods & FACTORS) >= 2 or acr in MULTI_FACTOR_ACR


def begin(redirect_uri: str) -> Response | Outcome:
    """Send the browser to the provider (state, nonce and the PKCE verifier kept in the session);
    a refusal if the provider's discovery document cannot be read."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except (AuthlibBaseError, requests.RequestException, ValueError, KeyError):
        return _refuse("unavailable", None)


def _verified_email(claims: Mapping[str, Any]) -> str | None:
    email = claims.get("email")
    # Entra ID says "the email's domain is the tenant's own" (xms_edov) instead of email_verified.
    verified = claims.get("email_verified") in (True, "true") or claims.get("xms_edov") in (True, "true")
    return email.strip().lower() if isinstance(email, str) and email.strip() and verified else None


def _refuse(reason: str, email: str | None, team: str = "") -> Outcome:
    audit.record("sign_in_refused", email_tried=email, detail=f"organisation account: {reason}")
    db.session.commit()
    page = REFUSALS[reason]
    return Outcome(None, refused=reason, page=Refusal(page.title, page.body.format(email=email or "", team=team)))


def _new_user(claims: Mapping[str, Any], email: str) -> User | tuple[str, str]:
    """An account for someone the provider vouches for, from the first of their groups that the
    role map names; or why there cannot be one (and the team it would have been in)."""
    groups = claims.get(current_app.config["HEAT_OIDC_GROUPS_CLAIM"])
    groups = groups if isinstance(groups, list) else [groups] if isinstance(groups, str) else []
    mapping = role_map(current_app.config["HEAT_OIDC_ROLE_MAP"])
    given = next((mapping[group] for group in mapping if group in groups), None)
    if given is None:
        return "no_group", ""
    team = db.session.scalar(select(Team).where(Team.name == given.team)) if given.team else None
    if given.team and team is None:
        return "no_team", given.team
    name = claims.get("name")
    name = name if isinstance(name, str) else ""
    return accounts.save_user(
        None,
        None,
        name=(name.strip() or email.partition("@")[0])[:100],
        email=email,
        role=given.role,
        team_id=team.id if team else None,
        password=None,
        organisation_account=True,
    )


def finish() -> Outcome:
    """The provider's answer: exchange the code (with the PKCE verifier), check state, nonce and
    the ID token, then decide who this is. Every outcome is audited and committed."""
    try:
        token = _client().authorize_access_token()
    except requests.RequestException:
        return _refuse("unavailable", None)
    except (AuthlibBaseError, JoseError, ValueError, KeyError):
        # A tampered or replayed state, a wrong nonce, a bad signature, or the provider's own
        # error (the person cancelled): nothing from it is trusted.
        return _refuse("unchecked", None)
    claims = token.get("userinfo")
    if not claims or not isinstance(token.get("id_token"), str):
        return _refuse("unchecked", None)
    email = _verified_email(claims)
    if email is None:
        return _refuse("unverified_email", claims.get("email") if isinstance(claims.get("email"), str) else None)
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None and not user.active:
        return _refuse("deactivated", email)
    vouched = two_factors(claims.get("amr"), claims.get("acr"))
    if current_app.config.get("HEAT_OIDC_REQUIRE_MFA") and not vouched:
        return _refuse("one_factor", email)
    if user is None:
        if not current_app.config.get("HEAT_OIDC_CREATE_USERS"):
            return _refuse("no_account", email)
        made = _new_user(claims, email)
        if isinstance(made, tuple):
            reason, team = made
            return _refuse(reason, email, team=team)
        user = made
    two_steps = bool(current_app.config.get("HEAT_OIDC_REQUIRE_MFA")) and vouched
    audit.record(
        "sign_in",
        user=user,
        detail="organisation account" + (", two factors at the provider" if two_steps else ""),
    )
    db.session.commit()
    return Outcome(user, id_token=token["id_token"], two_factors=two_steps)


def end_session_url(id_token: str | None, come_back_to: str) -> str | None:
    """Where to send the browser to sign out of the provider too (RP-initiated logout), if it
    offers that and this session came from it; None otherwise (or if it cannot be reached)."""
    if not enabled() or not id_token:
        return None
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        url = client.create_logout_url(post_logout_redirect_uri=come_back_to, id_token_hint=id_token)["url"]
    except (AuthlibBaseError, requests.RequestException, ValueError):
        return None
    return str(url)
