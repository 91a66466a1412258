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


def test_upgrading_past_0045_lapses_the_earlier_of_two_requests_waiting_for_one_change(empty_database_url):
    """Two requests of one kind waiting for one account could only come from two administrators asking at the same
    moment; the upgrade keeps the later waiting (as asking again would), writes the earlier down as lapsed with an
    audit event, and from then on the database refuses a second."""
    from sqlalchemy.exc import IntegrityError

    from safeguarding.audit.models import AuditEvent
    from safeguarding.auth.models import Agency, RoleRequest, User

    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database_url, SQLALCHEMY_ENGINE_OPTIONS={}))
    with app.app_context():
        upgrade(revision="0044")
        agency = Agency(name="Testshire Children's Social Care", kind="childrens_social_care",
                        shared_mailbox="csc@example.org")
        db.session.add(agency)
        db.session.flush()
        alex, sam, target = (User(name=name, email=f"{name.lower()}@example.org", agency_id=agency.id,
                                  job_title="Administrator", role="admin", password_hash="x")
                             for name in ("Alex", "Sam", "Robin"))
        db.session.add_all([alex, sam, target])
        db.session.flush()

        def waiting(kind, by, **wanted):
            return RoleRequest(user_id=target.id, kind=kind, from_role="admin", from_agency_id=agency.id,
                               to_role=wanted.get("to_role", "admin"), to_agency_id=agency.id,
                               requested_by_id=by.id, status="pending", to_email=wanted.get("to_email"))

        rows = [waiting("role", alex, to_role="manager"), waiting("role", sam, to_role="manager"),
                waiting("email", alex, to_email="robin@new.example.org")]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        target_id, alex_id, agency_id = target.id, alex.id, agency.id
        db.session.remove()

        upgrade()
        statuses = dict(db.session.execute(db.select(RoleRequest.id, RoleRequest.status)).all())
        assert [statuses[i] for i in ids] == ["lapsed", "pending", "pending"]
        first = db.session.get(RoleRequest, ids[0])
        assert first.decided_at is not None and first.requested_at <= first.decided_at <= first.lapses_at
        [lapsed] = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "role_change_lapsed")
                                      ).scalars().all()
        assert lapsed.object_id == target_id and f"Request {ids[0]}" in lapsed.detail
        db.session.add(RoleRequest(user_id=target_id, kind="role", from_role="admin", from_agency_id=agency_id,
                                   to_role="manager", to_agency_id=agency_id, requested_by_id=alex_id,
                                   status="pending"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
