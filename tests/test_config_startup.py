"""Issue 22, finding 9: production fails closed. HEAT_ENV is read in any case and an unknown value
refuses to start; two-step sign-in cannot be turned off in production; the secret key is at least
32 bytes there."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from heat import config

LONG_SECRET = "x" * 32


@pytest.fixture
def environ(monkeypatch):
    for name in ("HEAT_ENV", "HEAT_SECRET_KEY", "HEAT_HTTPS", "HEAT_MFA_REQUIRED"):
        monkeypatch.delenv(name, raising=False)

    def set_(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


def started(tmp_path) -> dict:
    settings = config.from_environment(str(tmp_path))
    config.check(settings)
    return settings


@pytest.mark.parametrize("name", ["Production", "PRODUCTION", " production "])
def test_production_in_any_case_is_production(environ, tmp_path, name):
    environ(HEAT_ENV=name, HEAT_SECRET_KEY=LONG_SECRET, HEAT_HTTPS="1")
    settings = started(tmp_path)
    assert settings["HEAT_ENV"] == "production" and settings["HEAT_MFA_REQUIRED"] is True
    environ(HEAT_HTTPS="0")
    with pytest.raises(RuntimeError, match="HEAT_HTTPS=1 must be set"):
        started(tmp_path)


@pytest.mark.parametrize("name", ["prod", "live", "staging", "productoin"])
def test_an_unknown_environment_refuses_to_start(environ, tmp_path, name):
    environ(HEAT_ENV=name, HEAT_SECRET_KEY=LONG_SECRET, HEAT_HTTPS="1")
    with pytest.raises(RuntimeError, match="HEAT_ENV must be one of production, development, test"):
        started(tmp_path)


def test_unknown_environment_in_settings_refuses_to_start(another_app):
    with pytest.raises(RuntimeError, match="HEAT_ENV must be one of"):
        another_app(HEAT_ENV="Prod")


@pytest.mark.parametrize("value", ["0", "no", "false"])
def test_two_step_sign_in_cannot_be_turned_off_in_production(environ, tmp_path, value):
    environ(HEAT_ENV="production", HEAT_SECRET_KEY=LONG_SECRET, HEAT_HTTPS="1", HEAT_MFA_REQUIRED=value)
    with pytest.raises(RuntimeError, match="two-step sign-in cannot be turned off in production"):
        started(tmp_path)


def test_production_settings_always_require_two_step_sign_in(another_app):
    app = another_app(HEAT_ENV="Production", HEAT_HTTPS=True, SECRET_KEY=LONG_SECRET, HEAT_MFA_REQUIRED=False)
    assert app.config["HEAT_ENV"] == "production" and app.config["HEAT_MFA_REQUIRED"] is True


@pytest.mark.parametrize("secret", ["k", "x" * 31])
def test_a_short_secret_key_refuses_to_start_in_production(environ, tmp_path, another_app, secret):
    environ(HEAT_ENV="production", HEAT_SECRET_KEY=secret, HEAT_HTTPS="1")
    with pytest.raises(RuntimeError, match="HEAT_SECRET_KEY must be at least 32 bytes"):
        started(tmp_path)
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        another_app(HEAT_ENV="production", HEAT_HTTPS=True, SECRET_KEY=secret)


def test_outside_production_two_step_is_optional_and_the_key_may_be_generated(environ, tmp_path):
    environ(HEAT_ENV="Development")
    settings = started(tmp_path)
    assert settings["HEAT_ENV"] == "development" and settings["HEAT_MFA_REQUIRED"] is False
    environ(HEAT_MFA_REQUIRED="1")
    assert started(tmp_path)["HEAT_MFA_REQUIRED"] is True


@pytest.mark.parametrize(
    ("setting", "value", "read_as", "refused"),
    [
        ("HEAT_LOG_FORMAT", "JSON", "json", None),  # in any case
        ("HEAT_LOG_FORMAT", "xml", None, "HEAT_LOG_FORMAT must be text or json, not 'xml'"),
        ("HEAT_BACKUP_AT", "23:30", dt.time(23, 30), None),
        ("HEAT_BACKUP_AT", "2am", None, r"HEAT_BACKUP_AT must be a time of day as HH:MM \(UTC\)"),
        ("HEAT_BACKUP_AT", "25:00", None, r"HEAT_BACKUP_AT must be a time of day as HH:MM \(UTC\)"),
        ("HEAT_BACKUP_KEEP", "1", 1, None),
        ("HEAT_BACKUP_KEEP", "0", None, "HEAT_BACKUP_KEEP must be 1 or more"),
    ],
)
def test_running_in_production_settings_are_checked_at_start_up(
    environ, monkeypatch, tmp_path, setting, value, read_as, refused
):
    monkeypatch.setenv(setting, value)
    if refused is None:
        assert started(tmp_path)[setting] == read_as
        return
    with pytest.raises(RuntimeError, match=refused):
        started(tmp_path)


SSO = {
    "HEAT_OIDC_ISSUER": "https://login.example.org/tenant/v2.0",
    "HEAT_OIDC_CLIENT_ID": "heat",
    "HEAT_OIDC_CLIENT_SECRET": "a-client-secret",
}


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"HEAT_OIDC_ISSUER": SSO["HEAT_OIDC_ISSUER"]},
            "Single sign-on needs HEAT_OIDC_ISSUER, HEAT_OIDC_CLIENT_ID, HEAT_OIDC_CLIENT_SECRET: "
            "HEAT_OIDC_CLIENT_ID and HEAT_OIDC_CLIENT_SECRET not set",
        ),
        ({**SSO, "HEAT_OIDC_ISSUER": "http://login.example.org"}, "HEAT_OIDC_ISSUER must be the provider's https://"),
        ({**SSO, "HEAT_OIDC_ISSUER": "login.example.org"}, "HEAT_OIDC_ISSUER must be the provider's https://"),
        (
            {
                **SSO,
                "HEAT_ENV": "production",
                "HEAT_HTTPS": True,
                "SECRET_KEY": LONG_SECRET,
                "HEAT_OIDC_ISSUER": "http://127.0.0.1:8080",
            },
            "HEAT_OIDC_ISSUER must be the provider's https://",
        ),
        ({**SSO, "HEAT_OIDC_CREATE_USERS": True}, "HEAT_OIDC_CREATE_USERS=1 needs HEAT_OIDC_ROLE_MAP"),
        ({**SSO, "HEAT_OIDC_ROLE_MAP": "heat=manager"}, "the role for 'heat' must be one of practitioner, supervisor"),
        ({**SSO, "HEAT_OIDC_ROLE_MAP": "heat=practitioner"}, "a practitioner needs a team: heat=practitioner:Team"),
        ({"HEAT_OIDC_REQUIRE_MFA": True}, "HEAT_OIDC_REQUIRE_MFA is set but single sign-on is not"),
        ({"HEAT_PASSWORD_SIGN_IN": False}, "HEAT_PASSWORD_SIGN_IN=0 needs single sign-on"),
    ],
)
def test_single_sign_on_settings_that_cannot_work_refuse_to_start(another_app, settings, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        another_app(**settings)


def test_single_sign_on_settings_from_the_environment(environ, monkeypatch, tmp_path):
    for name, value in SSO.items():
        monkeypatch.setenv(name, value)
    environ(HEAT_OIDC_REQUIRE_MFA="1", HEAT_PASSWORD_SIGN_IN="0", HEAT_OIDC_ROLE_MAP="heat-audit=auditor")
    settings = started(tmp_path)
    assert settings["HEAT_OIDC_REQUIRE_MFA"] is True and settings["HEAT_PASSWORD_SIGN_IN"] is False
    assert settings["HEAT_OIDC_CREATE_USERS"] is False and settings["HEAT_OIDC_GROUPS_CLAIM"] == "groups"
    environ(HEAT_OIDC_REQUIRE_MFA="yes")
    with pytest.raises(RuntimeError, match=re.escape("HEAT_OIDC_REQUIRE_MFA must be 1 (on) or 0 (off), not 'yes'")):
        started(tmp_path)


def test_with_single_sign_on_forms_may_go_on_to_the_provider_and_nowhere_else(another_app):
    app = another_app(**SSO)
    csp = app.test_client().get("/sign-in").headers["Content-Security-Policy"]
    assert "form-action 'self' https://login.example.org;" in csp + ";"
    plain = another_app().test_client().get("/sign-in").headers["Content-Security-Policy"]
    assert "form-action 'self'" in plain and "login.example.org" not in plain
