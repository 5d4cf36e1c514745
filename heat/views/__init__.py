"""Blueprints: thin views, request -> form -> service -> redirect."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import request
from flask_login import current_user, login_required
from werkzeug.routing import IntegerConverter

from heat.extensions import db
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


class RecordId(IntegerConverter):
    """`<int:...>` in every route: an id larger than the databases' integers is a page that does
    not exist (404), never a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)
