"""Blueprints: thin views, request -> form -> service -> redirect."""

import hashlib
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, make_response, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

from heat.database import SAFE_METHODS
from heat.extensions import db
from heat.models import Assessment
from heat.security import tablet_id
from heat.services import audit, photos, versions
from heat.services.access import deny
from heat.services.errors import FieldError

T = TypeVar("T")


def roles_required(*roles: str):
    """Signed in, with one of these roles; anyone else gets a 404 (the page does not exist for them)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                rule = request.url_rule.rule if request.url_rule else request.path
                raise deny(current_user, f"{request.method} {rule}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


# GET pages that show no personal data, and so write no view row (tests/test_view_audit.py
# fails for any other GET page that writes none).
NOT_PERSONAL = {
    "static": "the app's own CSS, JavaScript and images",
    "offline.service_worker": "the service worker script",
    "offline.web_app_manifest": "the web app manifest: the app's name, icons and colours",
    "api_v1.openapi": "the API's description",
    "api.session_state": "whether this browser's session is still live, for the tablet",
    "casework.home": "a redirect to the caseload or the users page",
    "offline.on_this_tablet": "an empty page the tablet fills from its own store",
    "offline.offline_pin": "the form that sets a PIN on the tablet, never sent to the server",
    "offline.unlock": "the form that unlocks the tablet's store with the practitioner's password or PIN",
    "auth.sign_in": "the sign-in form",
    "auth.security_code": "the second step of signing in",
    "auth.sign_in_with_organisation": "a redirect to the organisation's sign-in (single sign-on)",
    "auth.organisation_callback": "the way back from the organisation's sign-in (audited as a sign-in)",
    "auth.set_up_two_step": "setting up the user's own two-step sign-in",
    "auth.account": "the user's own account settings",
    "auth.change_password": "the user's own password form",
    "casework.checklist_guide": "what each grade of a published checklist version looks like: no record",
    # For the platform team's machines (views/ops.py): they must answer with no session and while
    # the database is down, so they never write to it.
    "ops.healthz": "whether the process answers: no record, no database",
    "ops.readyz": "whether the database and queue answer and the schema is current: no record",
    "ops.prometheus": "counts and timings by route name and outcome, behind a bearer token: no record",
}


def audited(action: str):
    """A GET page that shows personal data: a view row once it is rendered (a 200, or a 304 that
    confirms the copy a tablet shows, see `kept_page`), naming the child, assessment or user in
    the URL. Under `roles_required`, so only a page shown counts."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if request.method in SAFE_METHODS and response.status_code in (200, 304):
                audit.record(
                    action,
                    user=current_user,
                    child_id=kwargs.get("child_id"),
                    assessment_id=kwargs.get("assessment_id"),
                    target_user_id=kwargs.get("user_id"),
                    detail=request.path[:200],
                )
                db.session.commit()
            return response

        return wrapped

    return decorator


# Hidden fields made afresh for every page: a stored copy keeps its own (see `kept_page`).
_PER_PAGE_FIELD = re.compile(r'<input[^>]*\bname="(?:csrf_token|save_key|submission_key|start_key|resume)"[^>]*>')


def kept_page(html: str) -> Response:
    """A page a tablet keeps (an assessment's task list, sections and check answers), with a
    validator: asked again with the validator its copy came with (If-None-Match), the answer is 304
    while the page would show the same, and the tablet keeps its copy; else the page, with a new one.

    The validator is a digest of the page as rendered for this user in this session, less what is
    made afresh for every page and needs no refresh: the CSP nonce (the copy is kept with its own
    policy), save and submission keys (the page's script makes new ones, and a key in a copy that
    still matches was never used for a stored save: a save changes the page), and the CSRF and
    resume tokens. Those stay valid for the copy because the session's CSRF secret is part of the
    validator: a copy confirmed by a 304 was rendered in this session (less than the session's
    12 hours ago, within the resume token's life), and a new sign-in gets the whole page again.
    Anything else that differs (answers, statuses, versions, a flash message, another user, a new
    release's asset names) changes the validator, so a 304 never stands for a page that differs."""
    response = make_response(html)
    shown = _PER_PAGE_FIELD.sub("", html.replace(g.get("csp_nonce") or "\0", ""))
    secret = str(session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), ""))
    digest = hashlib.sha256()
    for part in (tablet_id(current_user), secret, shown):
        digest.update(part.encode())
        digest.update(b"\0")
    response.set_etag(digest.hexdigest()[:40], weak=True)  # weak: equal in meaning, not in bytes
    response.make_conditional(request)
    return response


def carried_out(form: Any, use_case: Callable[[], T]) -> T | None:
    """Run a use case for a submitted form and commit. A FieldError becomes a message on its field
    (and in the error summary), nothing is stored, and the answer is None."""
    try:
        result = use_case()
    except FieldError as exc:
        db.session.rollback()
        form[exc.field].errors.append(str(exc))
        return None
    db.session.commit()
    return result


def recorded_visit_context(assessment: Assessment) -> dict:
    """What a submitted visit's page shows (the casework and review pages): the record as kept
    at its latest version, with its photos' addresses."""
    context = versions.record_context(assessment)
    context["photos"] = photos.shown(
        assessment.id,
        context["definition"],
        lambda p: url_for("casework.photo", assessment_id=assessment.id, photo_id=p.id),
    )
    return context


class RecordId(IntegerConverter):
    """`<int:...>` in every route: an id larger than the databases' integers is a page that does
    not exist (404), never a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)
