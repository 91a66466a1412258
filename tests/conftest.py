"""Shared fixtures. The database is SQLite in memory, or PostgreSQL when TEST_DATABASE_URL says so."""
from __future__ import annotations

import itertools
import os

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from config import TestConfig
from safeguarding import create_app
from safeguarding.auth import passwords
from safeguarding.auth.models import Agency, AgencyKind, Role, User
from safeguarding.extensions import db

from .pages import PageClient

PASSWORD = "correct-badger-lantern-42"
USING_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")
_schema_ready = False


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


def _reset_schema() -> None:
    global _schema_ready
    if USING_POSTGRES:
        if not _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready = True
        else:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
    else:
        db.create_all()


@pytest.fixture
def app_factory():
    """Build an app with config overrides; its database is fresh and its context pushed."""
    contexts = []

    def build(**overrides):
        application = create_app(make_config(**overrides))
        ctx = application.app_context()
        ctx.push()
        contexts.append(ctx)
        _reset_schema()
        return application

    yield build
    for ctx in reversed(contexts):
        db.session.remove()
        ctx.pop()


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
def browser_app(app_factory, tmp_path):
    """An app on a SQLite file (shared by the server thread and the test), for browser tests."""
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'browser.sqlite'}",
                       SQLALCHEMY_ENGINE_OPTIONS={})


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
