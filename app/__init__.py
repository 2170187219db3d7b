"""Gongjian (攻坚): the application factory."""

from __future__ import annotations

import os
from functools import cache

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core import unit as unit_of_work
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from config import CONFIGS, INSTANCE_DIR


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("GONGJIAN_ENV", "development")
    config_class = CONFIGS[config_name]
    if hasattr(config_class, "validate"):
        config_class.validate()

    app = Flask(
        __name__,
        instance_path=os.environ.get("GONGJIAN_INSTANCE") or str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PROXY_HOPS"]:
        # The client's address and scheme as the trusted proxies report them: the login
        # throttle counts people, not the proxy.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_features(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    unit_of_work.init_app(app)  # last: its after_request rule runs first
    return app


def select_locale() -> str:
    languages = ("zh_CN", "en")
    if not has_request_context():
        return "zh_CN"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"], default="zh_CN")
    return "en" if best == "en" else "zh_CN"


@cache
def _user_statement(user_model, session_model):
    """Every request loads its reader and their signed-in browser, with the unread count
    the menu shows and the task forces they are a member of: one query, built once."""
    from sqlalchemy import bindparam, select

    from app.core.outbox import unread_count_of
    from app.people.service.task_forces import with_member_task_forces

    reader = (
        select(
            user_model,
            # Of the bound id, not the row's: counted once, whatever the task forces.
            unread_count_of(bindparam("id")).label("unread"),
            session_model.expires_at,
            session_model.revoked_at,
        )
        .join(session_model, session_model.user_id == user_model.id)
        .where(user_model.id == bindparam("id"), session_model.id == bindparam("sid"))
    )
    return with_member_task_forces(reader, user_model.id)


def register_extensions(app: Flask) -> None:
    from app.core import database, i18n, ratelimit

    db.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_SECONDS"])
    migrate.init_app(
        app,
        db,
        directory=os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "migrations")),
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.install(app)
    limiter.init_app(app)  # its default storage: ``core/ratelimit.py``, imported above
    ratelimit.bind(app)
    login_manager.init_app(app)
    login_manager.login_view = "people.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.core import clock
        from app.core.scope import unscoped
        from app.people.models import User, UserSession

        # "user id:session id"; anything else (a cookie from before sessions were rows)
        # signs the browser out.
        try:
            ident, sid = (int(part) for part in user_id.split(":"))
        except ValueError:
            return None
        with unscoped():  # accounts, messages and memberships belong to no task force
            rows = db.session.execute(
                _user_statement(User, UserSession),
                {"id": ident, "sid": sid, "day": clock.today()},
            ).all()
        row = rows[0] if rows else None
        if row is None or not row.User.active:
            return None
        if row.revoked_at is not None or row.expires_at <= clock.now():
            return None
        row.User.session_id = sid
        if has_request_context():
            g.unread_notifications = row.unread  # for the menu, read along with the reader
            g.reader_task_forces = (ident, [(r.TaskForce, r.role) for r in rows if r.TaskForce])
        return row.User


def register_features(app: Flask) -> None:
    """Every feature, floor by floor, registers its tables, pages, menu entries, hook
    providers, review-pack sections and commands (``app/features.py``)."""
    from app.features import FEATURES

    for feature in FEATURES:
        feature.init_app(app)


def register_request_hooks(app: Flask) -> None:
    from app.core import idempotency, querycount
    from app.core.links import TASK_FORCE_ARG, without_task_force
    from app.core.scope import reset_scope, set_scope
    from app.core.web import authenticates_itself, login_required_everywhere
    from app.people.service import (
        available_task_forces,
        resolve_current_task_force,
        switch_task_force,
    )

    querycount.init_app(app)  # first, so it counts the other hooks' queries too
    app.before_request(login_required_everywhere)
    app.after_request(idempotency.fill_keys)

    @app.before_request
    def enter_task_force():
        """Resolve the reader's task force. A request that names one (``?tf=<id>``, see
        ``core.links``: a notification's link, a row of a list across task forces, a form
        posted from one) switches a reader who is on it there, as the menu would; a name
        that is not theirs (another task force, an archived one, garbage) changes nothing,
        and the page answers as it would have: 404 for another task force's object."""
        g.task_force = None
        g.task_force_id = None
        g.pop("_role_cache", None)
        if authenticates_itself():
            return  # its own check sets the reader and the scope (the REST API)
        if request.endpoint != "static" and current_user.is_authenticated:
            read_user, read_along = g.pop("reader_task_forces", (None, None))
            if read_user != current_user.id:
                read_along = None  # signed in during this request: read them now
            g.my_task_forces = available_task_forces(current_user, read_along)
            g.task_force = resolve_current_task_force(current_user, g.my_task_forces)
            named = request.args.get(TASK_FORCE_ARG)
            wanted = next((tf for tf in g.my_task_forces if str(tf.id) == named), None)
            if wanted is not None and wanted.id != getattr(g.task_force, "id", None):
                g.task_force = switch_task_force(current_user, wanted.id)
                # The switch is a unit of work of its own: a form posted from another
                # task force switches the reader there even if the form is refused.
                db.session.commit()
                flash(_("Now working in %(name)s.", name=wanted.name), "info")
            g.task_force_id = g.task_force.id if g.task_force else None
        # Every scoped query in this request sees the current task force only.
        g.scope_token = set_scope(g.task_force_id)

    @app.before_request
    def drop_task_force_from_address():
        """Once switched, a page is shown at its plain address: the parameter has done its
        work, and reloading the page later must not switch the reader back."""
        named = TASK_FORCE_ARG in request.args and request.method in ("GET", "HEAD")
        named = named and not authenticates_itself()
        if named and request.endpoint != "static" and current_user.is_authenticated:
            return redirect(without_task_force(request.path, request.args))
        return None

    @app.teardown_request
    def leave_task_force(exc):
        token = g.pop("scope_token", None)
        if token is not None:
            reset_scope(token)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["HSTS"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_errorhandlers(app: Flask) -> None:
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm.exc import StaleDataError

    from app.core.errors import DomainError
    from app.core.idempotency import AlreadySaved
    from app.core.service import stale_message
    from app.core.web import own_error_answer, safe_next

    titles = {
        400: lambda: _("Bad request"),
        403: lambda: _("Access denied"),
        404: lambda: _("Page not found"),
        409: lambda: _("Conflict"),
        413: lambda: _("File too large"),
        429: lambda: _("Too many requests"),
        500: lambda: _("Something went wrong"),
    }
    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You are not allowed to see this page or do this action."),
        404: lambda: _(
            "There is nothing here. It may have been moved, or it belongs to another task force."
        ),
        409: lambda: _("The record was changed by someone else. Reload the page and try again."),
        413: lambda: _(
            "The upload is larger than this site accepts. Choose a smaller file and try again."
        ),
        429: lambda: _("Too many requests in a short time. Wait a moment and try again."),
        500: lambda: _(
            "The server hit an error. The team has been told in the log; please try again."
        ),
    }

    def render_error(code: int, message: str | None = None):
        # Whatever failed may have left the transaction half done: the page is rendered
        # (its menu reads the database) in a fresh one, and nothing of it is committed.
        _discard_transaction()
        return (
            render_template(
                "errors/error.html",
                code=code,
                title=titles[code](),
                message=message or messages[code](),
            ),
            code,
        )

    for code in (400, 403, 404, 409, 413, 429, 500):  # an address's own answer, or the page
        app.register_error_handler(code, lambda e, c=code: own_error_answer(e) or render_error(c))
    app.register_error_handler(405, lambda e: own_error_answer(e) or e)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_error(
            400, _("The form expired or came from elsewhere. Reload the page and submit again.")
        )

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        code = error.status if error.status in titles else 400
        return render_error(code, error.message if code != 404 else None)

    # A save that lost a race and reached no form: the session has usually turned it
    # into a domain error already (app.core.conflicts); these catch the rest.
    @app.errorhandler(StaleDataError)
    def stale_data(error):
        return render_error(409, stale_message())

    @app.errorhandler(IntegrityError)
    def integrity_error(error):
        if isinstance(error, DomainError):  # DuplicateKey: it has its message
            return render_error(409, error.message)
        return render_error(409)

    @app.errorhandler(AlreadySaved)
    def already_saved(error: AlreadySaved):
        """A form sent again (a double click, a retry): answered as the first time."""
        flash(_("This form was sent twice; it was saved once."), "info")
        return redirect(safe_next(error.location, "/"))


def _discard_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the error page must render even then
        current_app.logger.exception("rolling back before an error page failed")


def register_template_helpers(app: Flask) -> None:
    from app.core import clock, forms, markdown, nav
    from app.core.forms import is_web_link
    from app.core.i18n import Labels, format_clock, format_day, format_moment
    from app.core.idempotency import key_field
    from app.core.layout import navbar
    from app.core.outbox import unread_count
    from app.core.permissions import ROLE_LABELS
    from app.core.web import UrlPattern, allowed_here, task_force_link, task_force_url

    role_label = Labels(ROLE_LABELS)

    @app.context_processor
    def layout_context():
        context = {"can": allowed_here, "role_label": role_label}
        if current_user.is_authenticated and request.endpoint != "static":
            if "unread_notifications" not in g:  # once per request, even for fragments
                g.unread_notifications = unread_count(current_user.id)
            context["unread_notifications"] = g.unread_notifications
            context["my_task_forces"] = g.get("my_task_forces", [])
        return context

    app.jinja_env.globals["navbar"] = navbar
    app.jinja_env.globals["task_force_url"] = task_force_url
    # Links by the hundred on one page: each address built once (core.web.UrlPattern).
    app.jinja_env.globals["url_pattern"] = UrlPattern
    app.jinja_env.filters["task_force_link"] = task_force_link
    # In a form that creates something: {{ idempotency_field() }} (a double click saves once).
    app.jinja_env.globals["idempotency_field"] = key_field
    # Form fields as WTForms renders them, blank ones rendered once (core.forms).
    app.jinja_env.globals["field_html"] = forms.field_html
    app.jinja_env.globals["label_html"] = forms.label_html
    app.jinja_env.globals["nav_items"] = nav.NAV
    app.jinja_env.globals["nav_active"] = nav.is_active
    app.jinja_env.globals["nav_menu"] = nav.menu
    app.jinja_env.globals["today"] = clock.today
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["markdown"] = markdown.render
    # Dates read naturally in the user's language: 2026年11月28日 / Nov 28, 2026.
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.filters["local_date"] = clock.local_date
    # ``{% if link is web_link %}``: only http(s) addresses become links on a page.
    app.jinja_env.tests["web_link"] = is_web_link


def register_commands(app: Flask) -> None:
    from app.demo import register as register_demo_commands

    register_demo_commands(app)  # above every floor: it fills them all
