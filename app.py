"""HEAT application factory: configuration, extensions, blueprints, commands, error pages."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g, jsonify, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_compress import Compress
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, ServiceUnavailable, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise

from heat import cli, config, database, monitoring, practice_cli, security, tasks
from heat.extensions import csrf, db, login_manager, migrate
from heat.services import checklists, sso
from heat.views import (
    RecordId,
    admin,
    api,
    api_v1,
    audit_trail,
    auth,
    casework,
    exports,
    family_history,
    filters,
    joint,
    offline,
    ops,
    oversight,
    people,
    practice,
    practice_quality,
    register,
)

ROOT = Path(__file__).parent
UNAVAILABLE_RETRY_AFTER = 30  # seconds: a database restart, or a lock released


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), static_folder=str(ROOT / "static"))
    app.config.update(config.from_environment(app.instance_path))
    app.config.update(overrides or {})
    config.check(app.config)
    monitoring.configure_logging(app.config["HEAT_LOG_FORMAT"])
    register_templates(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    cli.register(app)
    practice_cli.register(app)
    serve_static_files(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind HEAT_PROXY_HOPS reverse proxies, the client's address, scheme and host are those
    the proxies pass on (Werkzeug's ProxyFix), so throttling and the audit trail see the person,
    not the proxy. Outermost, so everything inside sees the same request."""
    hops = app.config["HEAT_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def serve_static_files(app: Flask) -> None:
    """Pages, CSS and JavaScript go out compressed (Brotli or gzip). WhiteNoise serves static files
    from their precompressed copies; content-hashed names are cached for a year, `immutable`."""
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "application/json", "text/javascript"])
    Compress(app)
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=app.static_folder,
        prefix="static/",
        max_age=3600,
        add_headers_function=_static_headers,
    )


def _static_headers(headers, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    if offline.immutable(path, url):
        headers["Cache-Control"] = "public, max-age=31536000, immutable"  # a year: the usual ceiling


def register_templates(app: Flask) -> None:
    app.jinja_environment = filters.Environment
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    filters.register(app)
    app.add_template_global(offline.asset, "asset")


def register_extensions(app: Flask) -> None:
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    app.before_request(register.upload_limit)  # before CSRFProtect reads the form
    csrf.init_app(app)
    sso.init_app(app)
    security.init_app(app)
    monitoring.init_app(app)
    checklists.init_app(app)
    tasks.configure(app)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RecordId
    app.register_blueprint(auth.bp)
    app.register_blueprint(casework.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(oversight.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(audit_trail.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(register.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(family_history.bp)
    app.register_blueprint(joint.bp)
    app.register_blueprint(practice.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(practice_quality.bp)


def _without_the_database(*, broken: bool) -> None:
    """Error pages never query the database: it may be down, locked, or mid-way through the
    failure being reported. They show whoever this request already signed in and never load
    anyone (Flask-Login's context processor would, with `load_user`). After a failure (`broken`)
    the request's transaction is ended and its records expired, so nobody is shown as signed in."""
    if broken:
        try:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.close()
    if broken or "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()


def _error_page(title: str, body: str, code: int, *, broken: bool = False) -> Response:
    _without_the_database(broken=broken)
    reference = security.request_id() if code >= 500 else None
    try:
        page = render_template("error.html", title=title, body=body, reference=reference)
    except Exception:  # the designed page failed too: a plain one, never gunicorn's bare error
        page = f"<!DOCTYPE html><title>{title} - HEAT</title><h1>{title}</h1><p>{body}</p><p>Reference: {reference}</p>"
    return make_response(page, code)


def register_errorhandlers(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    messages = {
        400: ("Sorry, there is a problem with that request", "Go back, reload the page and try again."),
        403: ("You do not have access to this page", "Ask your manager or administrator if you need access."),
        404: ("Page not found", "The page or record does not exist, or you do not have access to it."),
        405: ("Sorry, that did not work", "Go back and use the buttons on the page."),
        413: ("That was too much to send at once", "Save your answers in smaller parts."),
        429: ("Too many attempts", "Wait 15 minutes and try again."),
        500: (
            "Sorry, there is a problem with the service",
            "What you saved before this page is safe. What you just sent may not have been saved: "
            "go back, check it and try again.",
        ),
        503: (
            "HEAT is not available at the moment",
            "Try again in a few minutes. What you saved before this page is safe. What you just sent "
            "may not have been saved: check it when HEAT is back. Saves made on a tablet wait there "
            "and are sent then.",
        ),
    }

    def render_error(code: int, e: HTTPException) -> ResponseReturnValue:
        if api_v1.is_api_request():
            return api_v1.problem(e)
        title, body = messages[code]
        if code == 413:
            title, body = register.too_large_upload() or (title, body)
        return _error_page(title, body, code)

    for code in messages:
        if code not in (403, 429, 500):
            app.register_error_handler(code, lambda e, code=code: render_error(code, e))

    @app.errorhandler(403)
    def forbidden(e: HTTPException) -> ResponseReturnValue:
        """A refusal with its own reason (a record read-only for the user's team) says it."""
        if api_v1.is_api_request():
            return api_v1.problem(e)
        title, body = messages[403]
        if e.description and e.description != Forbidden.description:
            title, body = "You cannot do that", e.description
        return _error_page(title, body, 403)

    @app.errorhandler(429)
    def too_many(e: HTTPException) -> ResponseReturnValue:
        """Sign-in throttling, or a limit with its own message (PDF downloads); Retry-After kept."""
        if api_v1.is_api_request():
            return api_v1.problem(e)
        title, body = messages[429]
        if e.description != TooManyRequests.description:
            title, body = "Too many requests", e.description or body
        response = _error_page(title, body, 429)
        retry_after = getattr(e, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def unavailable(e: Exception) -> ResponseReturnValue:
        """The database or the queue is down, locked or unwritable: a designed 503 with the request
        id, logged with it. Nothing is kept from the failure, so the next request after the
        database is back simply works (no restart)."""
        app.logger.error("Request %s: HEAT is not available: %s", security.request_id(), database.reason(e))
        if request.blueprint == "api_v1":
            _without_the_database(broken=True)
            response = api_v1.problem(ServiceUnavailable(messages[503][0], retry_after=UNAVAILABLE_RETRY_AFTER))
        else:
            response = _error_page(*messages[503], 503, broken=True)
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response

    for unreachable in (*database.UNAVAILABLE, *tasks.QUEUE_UNAVAILABLE):
        app.register_error_handler(unreachable, unavailable)

    @app.errorhandler(500)
    def server_error(e: InternalServerError) -> ResponseReturnValue:
        if isinstance(e.original_exception, database.UNAVAILABLE + tasks.QUEUE_UNAVAILABLE):
            return unavailable(e.original_exception)  # raised where no handler could catch it
        app.logger.error("Request %s ended in a server error (logged above)", security.request_id())
        if api_v1.is_api_request():
            _without_the_database(broken=True)
            return api_v1.server_problem()
        return _error_page(*messages[500], 500, broken=True)

    @login_manager.unauthorized_handler
    def unauthorized() -> ResponseReturnValue:
        kept = casework.interrupted_save()
        if kept is not None:
            return kept
        if request.blueprint == "api" or request.headers.get("X-Heat-Outbox"):
            return jsonify(status="signed_out"), 401
        security.say_sign_in_to_continue()
        here = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=here))

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError) -> ResponseReturnValue:
        kept = casework.interrupted_save()
        if kept is not None:
            return kept
        if request.blueprint == "api" or request.headers.get("X-Heat-Outbox"):
            return jsonify(status="csrf"), 400
        return _error_page(
            "This page has expired", "Go back, reload the page and try again. Your saved answers are safe.", 400
        )
