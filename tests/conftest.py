"""Shared fixtures. The database is SQLite in memory, or PostgreSQL when TEST_DATABASE_URL says so."""
from __future__ import annotations

import itertools
import os

import pytest
from argon2 import PasswordHasher
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import text

from config import TestConfig
from safeguarding import create_app
from safeguarding.auth import passwords
from safeguarding.auth.models import Agency, AgencyKind, Role, User
from safeguarding.extensions import db, limiter

from . import reminder_provider
from .pages import PageClient
from .smtp_server import SmtpServer

PASSWORD = "correct-badger-lantern-42"
USING_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Argon2 at test strength: the production parameters are asserted in test_passwords, not paid per test."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", cheap)


def make_config(**overrides) -> TestConfig:
    cfg = TestConfig()
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept for the whole run, so an app built with its own settings compiles nothing again."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self._store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()
#: settings read on every request, so a test may change them on the run's app (restored afterwards)
_RUNTIME_SETTINGS = {"LOGIN_RATE_LIMIT", "SEARCH_RATE_LIMIT", "RATELIMIT_ENABLED", "MFA_REQUIRED",
                     "DEMO_TOTP_SECRET_ALLOWED"}


def _build_app(database_url: str, **overrides) -> Flask:
    sqlite = database_url.startswith("sqlite")
    overrides.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {} if sqlite else {"pool_pre_ping": True})
    application = create_app(make_config(SQLALCHEMY_DATABASE_URI=database_url, **overrides))
    application.jinja_env.bytecode_cache = _BYTECODE
    with application.app_context():
        if not sqlite:
            # whatever an earlier run left (even an older schema): the run starts from nothing
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.create_all()
    return application


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """PostgreSQL when TEST_DATABASE_URL says so; otherwise a SQLite file, so that each request (and the test
    itself) uses its own connection and sees only what was committed, as in production."""
    if USING_POSTGRES:
        return TestConfig().SQLALCHEMY_DATABASE_URI
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def run_app(database_url) -> Flask:
    """One app for the whole run: templates compile once, the schema is made once."""
    return _build_app(database_url)


def _empty_database() -> None:
    db.session.remove()
    tables = db.metadata.sorted_tables
    # On PostgreSQL TRUNCATE (27 ms a test against 4 ms for DELETE, measured) because it leaves fresh tables:
    # after DELETE, new rows reuse the freed space and unordered queries in tests come back in another order.
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")  # agency and user refer to each other
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def app_factory(run_app, database_url):
    """The run's app with its context pushed; settings overridden for this test only. Settings that are read once
    at start-up (a different database, say) get an app of their own. Every table is emptied afterwards."""
    contexts = []
    saved_config = dict(run_app.config)
    built: list[Flask] = []

    def build(**overrides):
        if set(overrides) <= _RUNTIME_SETTINGS:
            application = run_app
            application.config.update(overrides)
            limiter.enabled = application.config["RATELIMIT_ENABLED"]
        else:
            application = _build_app(overrides.pop("SQLALCHEMY_DATABASE_URI", database_url), **overrides)
            built.append(application)
        ctx = application.app_context()
        ctx.push()
        contexts.append(ctx)
        return application

    yield build
    for ctx in reversed(contexts):
        db.session.remove()
        ctx.pop()
    for application in built:
        with application.app_context():
            db.engine.dispose()
    run_app.config.clear()
    run_app.config.update(saved_config)
    with run_app.app_context():
        links_kept_true = _child_links_differences()
        deadlines_kept_true = _open_deadlines_differences()
        if built:
            limiter.init_app(run_app)  # an app built above re-bound the one limiter to itself
        limiter.enabled = run_app.config["RATELIMIT_ENABLED"]
        limiter.reset()  # every test starts with no sign-in attempts counted
        _empty_database()
    # every test's writes, whichever page or service made them, must have left each child's links as the records give
    # them (`children/links.py`): a write path that moves a link without the flush seeing it fails here
    assert links_kept_true == ([], []), f"child_link differs from the records (given but not kept, kept but not " \
                                        f"given): {links_kept_true}"
    # and each record's open deadlines as the providers give them (`kept_deadlines/rows.py`), so My work shows what the
    # reminders chase
    assert deadlines_kept_true == ([], [], [], []), (
        "open_deadline differs from the records (given but not kept, kept but not given; open now by the providers "
        f"but not by the table, open now by the table but not by the providers): {deadlines_kept_true}")


def _open_deadlines_differences():
    from safeguarding import clock
    from safeguarding.kept_deadlines import rows as kept

    db.session.remove()
    try:
        missing, extra = kept.differences(db.session)
        not_kept, not_given = kept.providers_disagree(db.session, clock.now())
        return missing, extra, not_kept, not_given
    finally:
        db.session.rollback()
        db.session.remove()


def _child_links_differences():
    from safeguarding.children import links

    db.session.remove()
    with db.engine.connect() as conn:
        return links.differences(conn)


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return PageClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_counter = itertools.count(1)


@pytest.fixture
def agencies(app) -> dict[str, Agency]:
    made = {}
    for key, kind, name in [
        ("csc", AgencyKind.CHILDRENS_SOCIAL_CARE, "Testshire Children's Social Care"),
        ("police", AgencyKind.POLICE, "Testshire Police"),
        ("health", AgencyKind.HEALTH, "Testshire NHS"),
        ("education", AgencyKind.EDUCATION, "Test Academy"),
        ("other_police", AgencyKind.POLICE, "Neighbouring Police"),
    ]:
        agency = Agency(name=name, kind=kind.value, shared_mailbox=f"{key}@agency.example.org")
        db.session.add(agency)
        made[key] = agency
    db.session.commit()
    return made


@pytest.fixture
def make_user(app, agencies):
    def make(role: str | Role = Role.PRACTITIONER, agency: str = "csc", *, name: str | None = None,
             email: str | None = None, manager: User | None = None, active: bool = True) -> User:
        n = next(_counter)
        role_value = role.value if isinstance(role, Role) else role
        user = User(
            name=name or f"Test {role_value.title()} {n}",
            email=email or f"user{n}@example.org",
            agency_id=agencies[agency].id,
            job_title="Tester",
            role=role_value,
            line_manager_id=manager.id if manager else None,
            is_active_user=active,
            password_hash=passwords.hash_password(PASSWORD),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def signed_in(app, make_user):
    """A client signed in as a new user of the given role and agency."""

    def sign_in(role: str | Role = Role.MASH, agency: str = "csc", **kwargs) -> tuple[PageClient, User]:
        user = make_user(role, agency, **kwargs)
        page_client = PageClient(app.test_client())
        page_client.sign_in(user.email, PASSWORD)
        return page_client, user

    return sign_in


@pytest.fixture
def browser_app(app_factory):
    """The run's app: its database is a file (or PostgreSQL) that the server thread opens on its own connections.
    Sign-in asks for a code, as everywhere but the other tests: demo users give the demo key's code
    (tests/browser.py `sign_in`)."""
    return app_factory(MFA_REQUIRED=True)


@pytest.fixture
def browser_page(browser_app):
    from playwright.sync_api import sync_playwright

    from .browser import ARGS, CHROMIUM, live_server

    with live_server(browser_app) as base_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a loopback port; `.messages` holds what it received."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def chase(app, monkeypatch):
    """A test deadline provider installed beside the real ones, with its table created for this test."""
    reminder_provider.install(monkeypatch)
    reminder_provider.create_table()
    yield reminder_provider
    reminder_provider.drop_table()


@pytest.fixture
def team(make_user):
    """A practitioner (the owner) and their line manager."""
    manager = make_user(Role.MANAGER, "csc", name="Morgan Manager")
    owner = make_user(Role.PRACTITIONER, "csc", name="Jo Worker", manager=manager)
    return owner, manager


def pytest_collection_modifyitems(config, items):
    """BROWSER_SHARE=k[,k...]/n keeps the browser tests whose place (in name order) modulo n is one of the k: `make
    test` gives two thirds of them to the SQLite pass and a third to the slower PostgreSQL pass, which run side by
    side, so the browser meets both databases and neither pass waits long on the other."""
    share = os.environ.get("BROWSER_SHARE", "")
    if not share:
        return
    keep, n = share.split("/")
    kept, n = {int(k) for k in keep.split(",")}, int(n)
    browser = sorted((item for item in items if item.get_closest_marker("browser")), key=lambda item: item.nodeid)
    dropped = {item.nodeid for index, item in enumerate(browser) if index % n not in kept}
    if dropped:
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in dropped])
        items[:] = [item for item in items if item.nodeid not in dropped]
