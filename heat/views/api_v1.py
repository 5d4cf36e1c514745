"""The JSON API for other systems, under /api/v1, described by /api/v1/openapi.json.

Every call needs `Authorization: Bearer <token>` (see `flask api-tokens create`): the token acts
as its user, with that user's role and team scope. A session cookie is never read here, so there
is no CSRF surface. Errors are `application/problem+json` (RFC 9457); another team's child is a
404 like a child that does not exist; every call writes an audit row; each token is limited to
HEAT_API_PER_MINUTE requests a minute. Calls without a valid token are limited per address and
audited once a minute per address, with a count (services/api_auth.py), so made-up tokens can
neither flood the trail nor be tried without end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    Unauthorized,
)

from heat import tasks
from heat.checklist.vocabulary import RECORDED
from heat.extensions import csrf, db
from heat.models import Assessment, Child, User
from heat.services import access, api_auth, audit, checklists, joint, paging, register, versions
from heat.services import assessments as svc
from heat.views.openapi import DOCUMENT

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PROBLEM = "application/problem+json"
PDF_RETRY_SECONDS = 5


class Problem(HTTPException):
    """A problem with extra members (validation errors, possible duplicates)."""

    def __init__(self, code: int, title: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.code, self.title, self.extra = code, title, extra


def _problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def problem(exc: HTTPException) -> Response:
    if isinstance(exc, Problem):
        return _problem(exc.code or 500, exc.title, exc.description or "", **exc.extra)
    code = exc.code or 500
    titles = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Content Too Large",
        415: "Unsupported Media Type",
        429: "Too Many Requests",
        500: "Internal Server Error",
    }
    response = _problem(code, titles.get(code, exc.name), exc.description or exc.name)
    if isinstance(exc, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="HEAT API"'
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def is_api_request() -> bool:
    """Under /api/v1: every answer is problem+json, even where no route matched (an unknown path,
    an id that is not a number, a method the route does not take), so no blueprint is known."""
    return request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/")


def server_problem() -> Response:
    """A 500 as problem+json, saying nothing of what went wrong (it is in the server's log)."""
    return _problem(
        500, "Internal Server Error", "Something went wrong on the server. What you sent may not have been stored."
    )


# By status code as well as by class: the app's own HTML pages for 404, 429 and the rest are
# registered by code, and Flask tries handlers by code first. The app's handlers answer
# problem+json for paths under /api/v1 that no route matched (app.register_errorhandlers).
bp.register_error_handler(HTTPException, problem)
for _code in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429):
    bp.register_error_handler(_code, problem)


@bp.errorhandler(500)
def server_error(_exc: Exception) -> Response:
    # As the app's own 500 page: end a broken transaction first.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
    return server_problem()


@bp.before_request
def authenticate() -> None:
    if request.method in ("POST", "PUT", "PATCH"):
        # Over MAX_CONTENT_LENGTH is a 413 whatever the body claims to be (reading it enforces the
        # limit on a body sent without its length too).
        request.get_data(cache=True)
    if request.endpoint == "api_v1.openapi":
        return
    token = api_auth.token_for(request.headers.get("Authorization"))
    if token is None:
        what = f"{request.method} {request.url_rule.rule if request.url_rule else ''}"
        wait = api_auth.refuse_unauthorized(request.remote_addr, what)
        if wait is not None:
            raise TooManyRequests("Too many calls without a valid token from this address.", retry_after=wait)
        raise Unauthorized("Send a valid token: Authorization: Bearer <token>.")
    wait = api_auth.take(token, current_app.config["HEAT_API_PER_MINUTE"])
    if wait is not None:
        audit.record("api_limit_reached", user=token.user, detail=f"token {token.id}")
        db.session.commit()
        raise TooManyRequests(
            f"This token has made {current_app.config['HEAT_API_PER_MINUTE']} requests in the last minute.",
            retry_after=wait,
        )
    db.session.commit()
    g.api_token, g.api_user = token, token.user
    _refuse_unsafe_characters()


# NUL and other control characters (tab and line breaks aside) are refused in query strings and
# JSON bodies: PostgreSQL cannot store NUL, and none belongs in a child's details.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _refuse_unsafe_characters() -> None:
    texts = [*request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH"):
        texts += _strings(request.get_json(silent=True))
    if any(_UNSAFE.search(t) for t in texts):
        raise BadRequest("Text must not contain NUL or other control characters.")


def _user() -> User:
    return g.api_user


def _audit(action: str, **kwargs: Any) -> None:
    audit.record(action, user=_user(), detail=f"api token {g.api_token.id}", **kwargs)
    db.session.commit()


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _child(child: Child) -> dict[str, Any]:
    address = register.current_address(child.id)
    return {
        "id": child.id,
        "case_reference": child.reference,
        "first_name": child.first_name or None,
        "last_name": child.last_name,
        "date_of_birth": _day(child.date_of_birth),
        "expected_date_of_birth": _day(child.expected_date_of_birth),
        "team": {"id": child.team.id, "name": child.team.name},
        "allocated_worker": {"id": child.allocated_worker.id, "name": child.allocated_worker.name}
        if child.allocated_worker
        else None,
        "household_id": child.household_id,
        "plan": child.plan_status,
        "latest_rating": child.latest_rating,
        "last_visit_date": _day(child.last_visit_date),
        "next_visit_due": _day(child.next_visit_due),
        "active_flags": list(child.active_flags or []),
        "address": {
            "line_1": address.line_1,
            "line_2": address.line_2,
            "town": address.town,
            "postcode": address.postcode,
            "area": address.area,
            "kind": address.kind,
            "from_date": address.from_date.isoformat(),
        }
        if address
        else None,
        "assessments_url": url_for("api_v1.child_assessments", child_id=child.id),
    }


def _assessment_summary(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.id,
        "status": assessment.status,
        "checklist_version": assessment.checklist_version,
        "visit_date": _day(assessment.visit_date),
        "rating": assessment.rating,
        "url": url_for("api_v1.assessment", assessment_id=assessment.id),
    }


@bp.route("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)


@bp.route("/children")
def children() -> Response:
    query = access.caseload_query(_user())
    reference = (request.args.get("case_reference") or "").strip()
    if reference:
        query = query.where(Child.reference == reference)
    pager = paging.paginate(query, request.args.get("page", type=int))
    _audit("api_children_listed")
    return jsonify(
        items=[_child(c) for c in pager.items],
        page=pager.page,
        pages=pager.pages,
        total=pager.total,
        next=url_for("api_v1.children", page=pager.page + 1, case_reference=reference or None)
        if pager.has_next
        else None,
    )


@bp.route("/children/<int:child_id>")
def child(child_id: int) -> Response:
    found = access.child_for(_user(), child_id)
    _audit("api_child_viewed", child_id=found.id)
    return jsonify(_child(found))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Problem(
            422, "Invalid child", f"{name} must be a string", errors=[{"field": name, "detail": "must be a string"}]
        )
    return value


@bp.route("/children", methods=["POST"])
def add_child() -> tuple[Response, int, dict[str, str]]:
    """The "Add a child" form's checks, as JSON."""
    user = _user()
    if user.role not in ("supervisor", "admin"):
        raise Forbidden("Only supervisors and administrators add children.")
    body = _body()
    errors = []
    dates: dict[str, dt.date | None] = {}
    for name in ("date_of_birth", "expected_date_of_birth"):
        try:
            dates[name] = register.parse_date(_text(body, name))
        except ValueError:
            dates[name] = None
            errors.append({"field": name, "detail": "must be a date as YYYY-MM-DD"})
    address = body.get("address") or {}
    if not isinstance(address, dict):
        errors.append({"field": "address", "detail": "must be an object"})
        address = {}
    team_id = body.get("team_id") if user.role == "admin" else user.team_id
    worker_id = body.get("allocated_worker_id")
    for name, value in (("team_id", team_id), ("allocated_worker_id", worker_id)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            errors.append({"field": name, "detail": "must be an integer"})
    if errors:
        raise Problem(422, "Invalid child", "The child's details have problems.", errors=errors)
    details = register.Details(
        case_reference=_text(body, "case_reference"),
        first_name=_text(body, "first_name"),
        last_name=_text(body, "last_name"),
        date_of_birth=dates["date_of_birth"],
        expected_date_of_birth=dates["expected_date_of_birth"],
        team_id=team_id,
        allocated_worker_id=worker_id,
        plan_status=_text(body, "plan") or "none",
        address=register.Address(
            _text(address, "line_1"),
            _text(address, "line_2"),
            _text(address, "town"),
            _text(address, "postcode"),
            _text(address, "area"),
            _text(address, "kind") or "family_home",
        ),
        lives_with=_text(body, "lives_with") or None,
    )
    confirmed = body.get("confirm_possible_duplicate") is True
    try:
        added = register.register(user, details, duplicates_confirmed=confirmed)
    except register.Invalid as exc:
        db.session.rollback()
        if exc.problems[0][0] == "duplicates_confirmed":
            duplicates = register.duplicates_for(user, details.cleaned())
            audit.record("api_possible_duplicate", user=user, detail=f"api token {g.api_token.id}")
            db.session.commit()
            raise Problem(
                409,
                "Possible duplicate",
                "A child with the same last name and date of birth is registered. Check them; to add this "
                "child anyway, send again with confirm_possible_duplicate: true.",
                possible_duplicates=[c.id for c in duplicates.shown],
                other_possible_duplicates=duplicates.others,
            ) from None
        raise Problem(
            422,
            "Invalid child",
            "The child's details have problems.",
            errors=[{"field": f, "detail": m} for f, m in exc.problems],
        ) from None
    db.session.commit()
    _audit("api_child_added", child_id=added.id)
    return jsonify(_child(added)), 201, {"Location": url_for("api_v1.child", child_id=added.id)}


@bp.route("/children/<int:child_id>/assessments")
def child_assessments(child_id: int) -> Response:
    found = access.child_for(_user(), child_id)
    items = [_assessment_summary(a) for a in joint.not_blinded(_user(), svc.child_assessments(found))]
    _audit("api_assessments_listed", child_id=found.id)
    return jsonify(items=items)


@bp.route("/assessments/<int:assessment_id>")
def assessment(assessment_id: int) -> Response:
    found = access.assessment_for(_user(), assessment_id)
    score = checklists.score_of(found)
    body = {
        **_assessment_summary(found),
        "children": [c.id for c in found.children],
        "mean_grade": found.mean_grade,
        "reasons": [
            {
                "rating": r.rating,
                "rule": r.rule,
                "message": r.message,
                "findings": [{"text": f.text, "item_id": f.item_id} for f in r.findings],
            }
            for r in score.reasons
        ],
        "grades": [
            {"item_id": gr.item_id, "grade": gr.grade, "evidence_source": gr.evidence_source, "evidence": gr.comment}
            for gr in found.grades
        ],
        "rooms": [{"room_id": r.room_id, "status": r.status, "reason": r.reason} for r in found.rooms],
        "decisions": [
            {
                "decision": d.decision,
                "rationale": d.rationale,
                "decided_at": d.decided_at.isoformat() + "Z",
                "reviewer": d.reviewer.name,
            }
            for d in found.decisions
        ],
        "pdf_url": url_for("api_v1.assessment_pdf", assessment_id=found.id) if found.status in RECORDED else None,
    }
    _audit("api_assessment_viewed", assessment_id=found.id)
    return jsonify(body)


@bp.route("/assessments/<int:assessment_id>/pdf")
def assessment_pdf(assessment_id: int) -> Response:
    user = _user()
    found = access.assessment_for(user, assessment_id)
    if found.status not in RECORDED:
        raise NotFound("Only a submitted assessment has a PDF.")
    access.check_pdf_allowance(user)
    version, made_now = versions.latest(found)
    if made_now:
        tasks.render_pdfs([found.id])
    if version.pdf is None:
        audit.record(
            "assessment_pdf_waited", user=user, assessment_id=found.id, detail=f"version {version.number}; api"
        )
        db.session.commit()
        response = _problem(
            202,
            "The PDF is being prepared",
            f"The PDF of version {version.number} is being made. Ask again after Retry-After seconds.",
        )
        response.headers["Retry-After"] = str(PDF_RETRY_SECONDS)
        return response
    audit.record("assessment_pdf", user=user, assessment_id=found.id, detail=f"version {version.number}; api")
    db.session.commit()
    return Response(
        version.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="heat-assessment-{found.id}.pdf"'},
    )
