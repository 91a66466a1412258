"""Strategy Discussion Coordinator: the application factory."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import BaseConfig, load_config

from . import read_transactions

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: BaseConfig | str | None = None) -> Flask:
    cfg = config if isinstance(config, BaseConfig) else load_config(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(cfg)
    app.config["ENV_NAME"] = cfg.ENV_NAME
    _configure_logging(app)
    if cfg.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        _configure_postgresql(app)
    _register_templates(app)
    _register_extensions(app)
    read_transactions.register(app)
    _register_blueprints(app)
    _register_commands(app)
    from .errors import register_error_handlers
    from .security import register_security

    register_security(app)
    register_error_handlers(app)
    _connect_features()
    return app


def _configure_postgresql(app: Flask) -> None:
    from . import pg_description, pg_parse_cache

    pg_parse_cache.install()
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {**options.get("connect_args", {}), "cursor_factory": pg_description.LazyDescriptionCursor}
    if not app.config.get("DATABASE_PREPARED_STATEMENTS", True):
        connect_args["prepare_threshold"] = None
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _connect_features() -> None:
    """Features register with the core (how they link people to children) and subscribe to each other's events
    (minutes circulated -> notices to attendees); the core itself imports no feature."""
    from .api import framework as api_framework
    from .children import links as child_links
    from .children.timeline import register_timeline
    from .kept_deadlines import rows as kept_deadlines
    from .deadlines import register_provider
    from .differences import access as differences_access
    from .differences import deadlines as differences_deadlines
    from .differences import timeline as differences_timeline
    from .discussions import access as discussions_access
    from .discussions import deadlines as discussions_deadlines
    from .discussions import timeline as discussions_timeline
    from .missing import access as missing_access
    from .missing import deadlines as missing_deadlines
    from .missing import timeline as missing_timeline
    from .deliveries import register_source
    from .reminders import hooks
    from .reminders import outbox as reminders_outbox
    from .retention import timeline as retention_timeline

    for feature in (missing_access, differences_access, discussions_access):
        feature.register()
    child_links.keep_in_step()
    for provider in (discussions_deadlines, missing_deadlines, differences_deadlines):
        register_provider(provider)
    kept_deadlines.keep_in_step()
    for entries in (discussions_timeline, missing_timeline, differences_timeline, retention_timeline):
        register_timeline(entries)
    hooks.connect()
    register_source(reminders_outbox.deliveries)
    api_framework.register()


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces each of its plugins at INFO on every start; operators only need its warnings.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _register_templates(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from . import templating

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(ROOT / "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)
    templating.register(app)


def _register_extensions(app: Flask) -> None:
    from .auth import sessions
    from .extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    from .auth import oidc

    oidc.init_app(app)  # only when OIDC_ISSUER and OIDC_CLIENT_ID are set
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are checked on the server instead (auth/sessions.py)
    login_manager.user_loader(sessions.load_user)
    _import_models()


def _import_models() -> None:
    """Import every feature's models so metadata (and migrations) see all tables."""
    from .api import models as _api  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .auth import models as _auth  # noqa: F401
    from .children import models as _children  # noqa: F401
    from .kept_deadlines import models as _kept_deadlines  # noqa: F401
    from .differences import models as _differences  # noqa: F401
    from .discussions import models as _discussions  # noqa: F401
    from .missing import models as _missing  # noqa: F401
    from .reminders import models as _reminders  # noqa: F401
    from .reports import models as _reports  # noqa: F401
    from .retention import models as _retention  # noqa: F401
    from .submissions import models as _submissions  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .api import resources as _api_resources  # noqa: F401  # declares the /api/v1 operations on its blueprint
    from .api.views import admin_bp as api_clients_bp
    from .api.views import api_bp
    from .audit.views import bp as audit_bp
    from .census.views import bp as census_bp
    from .auth.views import bp as auth_bp
    from .children.views import bp as children_bp
    from .dashboard.views import bp as dashboard_bp
    from .differences.views import bp as differences_bp
    from .discussions.views import bp as discussions_bp
    from .main.views import bp as main_bp
    from .missing.views import bp as missing_bp
    from .reminders.views import bp as reminders_bp
    from .reports.views import bp as reports_bp
    from .retention.views import bp as retention_bp

    for bp in (main_bp, auth_bp, admin_bp, audit_bp, children_bp, discussions_bp, dashboard_bp, reminders_bp,
               missing_bp, differences_bp, reports_bp, retention_bp, census_bp, api_bp, api_clients_bp):
        app.register_blueprint(bp)
    from .extensions import csrf

    # Only the token-authenticated API: it reads no cookie and no session, so there is no request to forge
    csrf.exempt(api_bp)


def _register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, and WAL so the scheduler and web server can share the file (a writer waits up to
    sqlite3's `timeout`, 5 s unless SQLALCHEMY_ENGINE_OPTIONS' connect_args say otherwise, for another to finish;
    then the change gets the conflict page, see service.transaction). PostgreSQL: no
    JIT compilation. The scopes' row-by-row EXISTS probes give plans a high estimated cost (every child the
    partnership holds, probed), though a page's LIMIT stops them after a few rows; past jit_above_cost PostgreSQL
    then compiled the query first, 0.5 s of a 0.7 s children list, every time."""
    module = type(dbapi_connection).__module__
    if "psycopg" in module:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
        return
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
