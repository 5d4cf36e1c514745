"""Blueprints: thin views, request -> form -> service -> redirect."""

from functools import wraps

from flask import request
from flask_login import current_user, login_required

from heat.services.access import deny


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
