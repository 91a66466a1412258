"""The audit trail's hash chain: sealed events cannot be altered, removed or back-dated without `verify` saying so."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from safeguarding import audit, clock
from safeguarding.audit import chain
from safeguarding.audit.models import AuditEvent
from safeguarding.extensions import db

from .conftest import USING_POSTGRES


def _trail(n=5):
    for i in range(n):
        audit.record("view", "child", i + 1, detail=f"GET /children/{i + 1}")
    db.session.commit()


def _seal_later():
    count = chain.seal(clock.now() + chain.SEAL_DELAY + timedelta(seconds=1))
    db.session.commit()
    return count


def _raw(sql, **params):
    """What someone with the database's password could do behind the application's back (SQLite has no trigger)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))  # the owner disabling triggers
    db.session.execute(text(sql), params)
    db.session.commit()


def test_an_untouched_trail_verifies_and_sealing_twice_adds_nothing(app, runner):
    _trail()
    assert chain.seal() == 0  # too young: a transaction writing near them may still be open
    assert _seal_later() == 5
    assert _seal_later() == 0
    result = chain.verify()
    assert result.ok and (result.events, result.sealed) == (5, 5)
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 0 and "Audit trail intact: 5 events, 5 sealed" in out.output


def test_an_altered_event_is_found(app, runner):
    _trail()
    _seal_later()
    target = db.session.execute(db.select(AuditEvent.id).order_by(AuditEvent.id).offset(2).limit(1)).scalar_one()
    _raw("UPDATE audit_event SET object_id = 999 WHERE id = :id", id=target)
    result = chain.verify()
    assert f"event {target} was changed after it was sealed" in result.problems
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 1 and "was changed after it was sealed" in out.output


def test_a_deleted_event_breaks_the_chain(app):
    _trail()
    _seal_later()
    ids = db.session.execute(db.select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    _raw("DELETE FROM audit_seal WHERE event_id = :id", id=ids[1])
    _raw("DELETE FROM audit_event WHERE id = :id", id=ids[1])
    assert f"the chain is broken before event {ids[2]} (an event before it was deleted, or seals were changed)" \
        in chain.verify().problems


def test_a_back_dated_event_inserted_later_is_found(app):
    _trail()
    _seal_later()
    audit.record("view", "child", 42, detail="GET /children/42")
    db.session.flush()
    forged = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    forged.occurred_at = clock.now() - timedelta(days=30)  # written now, claiming to be a month old
    db.session.commit()
    chain.seal(clock.now() + chain.SEAL_DELAY * 2)
    db.session.commit()
    assert any("is dated before event" in p for p in chain.verify().problems)



@pytest.mark.skipif(not USING_POSTGRES, reason="database roles are PostgreSQL's")
def test_the_app_role_can_add_to_the_audit_trail_but_not_change_or_empty_it(app, runner):
    _trail(2)
    role = f"sdc_app_{uuid.uuid4().hex[:8]}"
    out = runner.invoke(args=["audit", "grants", role])
    assert out.exit_code == 0, out.output
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
        for statement in out.output.strip().splitlines():
            conn.exec_driver_sql(statement)
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql(f"SET ROLE {role}")
            conn.exec_driver_sql("INSERT INTO audit_event (occurred_at, action) VALUES (now(), 'as the app')")
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar_one() == 3
            for statement in ("UPDATE audit_event SET action = 'edited'", "DELETE FROM audit_event",
                              "TRUNCATE audit_event", "TRUNCATE audit_seal",
                              "ALTER TABLE audit_event DISABLE TRIGGER ALL"):
                with pytest.raises(DBAPIError, match="(?i)permission denied|must be owner"):
                    with conn.begin_nested():
                        conn.exec_driver_sql(statement)
            conn.rollback()
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
