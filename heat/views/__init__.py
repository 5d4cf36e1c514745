"""Blueprints: thin views, request -> form -> service -> redirect."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import make_response, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

from heat.database import SAFE_METHODS
from heat.extensions import db
from heat.models import Assessment
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
    """A GET page that shows personal data: a view row once it is rendered (a 200), naming the
    child, assessment or user in the URL. Under `roles_required`, so only a page shown counts."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if request.method in SAFE_METHODS and response.status_code == 200:
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
