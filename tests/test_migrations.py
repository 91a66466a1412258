"""`flask db upgrade` on an empty database gives exactly the models' schema (no drift), on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safeguarding import create_app
from safeguarding.extensions import db

from .conftest import USING_POSTGRES, make_config


@pytest.fixture
def empty_database_url(tmp_path):
    if not USING_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database_url):
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database_url, SQLALCHEMY_ENGINE_OPTIONS={}))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            if USING_POSTGRES:
                _assert_audit_is_append_only(conn)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def _assert_audit_is_append_only(conn):
    from sqlalchemy.exc import DBAPIError

    conn.execute(text("INSERT INTO audit_event (occurred_at, action) VALUES (now(), 'test')"))
    for statement in ("UPDATE audit_event SET action = 'edited'", "DELETE FROM audit_event",
                      "TRUNCATE audit_event CASCADE", "TRUNCATE audit_seal"):
        with pytest.raises(DBAPIError, match="append-only"):
            with conn.begin_nested():
                conn.execute(text(statement))
