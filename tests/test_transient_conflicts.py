"""When the database makes a change give way to another at the same moment (PostgreSQL: a deadlock, a lock not
freed in time; SQLite: the writer lock not freed within its timeout), the person gets the conflict page with what
they typed, nothing half-saved, never a server error."""
from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text

from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.extensions import db
from safeguarding.service import StaleEdit, transaction

from .conftest import USING_POSTGRES
from .discussion_data import make_child


@pytest.fixture
def app(app_factory, tmp_path):
    """The app with a writer that waits 0.3 s, not 5, for rows another connection holds."""
    if USING_POSTGRES:
        return app_factory(SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=300"}})
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'conflicts.sqlite'}",
                       SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.3}})


class HeldElsewhere:
    """Another connection holding the child's row (PostgreSQL) or the database's writer lock (SQLite) until
    released, as a colleague's transaction in flight would."""

    def __init__(self, app, child_id: int):
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        if USING_POSTGRES:
            self.connection = db.engine.connect()
            self.connection.execute(text("SELECT id FROM child WHERE id = :id FOR UPDATE"), {"id": child_id})
        else:
            self.connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.1, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.execute("UPDATE child SET ethnicity = ethnicity WHERE id = ?", (child_id,))

    def release(self) -> None:
        if USING_POSTGRES:
            self.connection.rollback()
        else:
            self.connection.execute("ROLLBACK")
        self.connection.close()


def _child_form(version: int, **overrides) -> dict:
    data = {"first_name": "Amy", "last_name": "Example", "date_of_birth": ["14", "2", "2016"],
            "gender": "female", "looked_after": "no", "version": str(version)}
    data.update(overrides)
    return data


def test_a_change_held_up_by_someone_elses_gets_the_conflict_page_with_what_was_typed(app, agencies, make_user):
    from .pages import PageClient
    from .conftest import PASSWORD

    user = make_user(Role.MASH)
    child = make_child("Amy")
    child_id, version = child.id, child.version
    client = PageClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    url = f"/children/{child_id}/edit"
    token = client.get(url).csrf()

    held = HeldElsewhere(app, child_id)
    try:
        page = client.post(url, {**_child_form(version, address="12 Typed Street"), "csrf_token": token},
                           expected=200)
    finally:
        held.release()
    assert "Someone else changed this record while you were editing it" in page
    assert "12 Typed Street" in page.html
    db.session.expire_all()
    assert db.session.get(Child, child_id).address != "12 Typed Street"

    # once the other change is over, saving again works
    again = client.post(url, {**_child_form(version, address="12 Typed Street"), "csrf_token": token})
    assert again.response.headers["Location"] == f"/children/{child_id}"
    db.session.expire_all()
    assert db.session.get(Child, child_id).address == "12 Typed Street"


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite admits one writer at a time, so two cannot deadlock")
def test_two_changes_waiting_for_each_other_one_lands_and_the_other_is_a_stale_edit(app, agencies):
    first, second = make_child("Amy"), make_child("Ben")
    ids = [first.id, second.id]
    db.session.commit()
    both_hold_one = threading.Barrier(2, timeout=10)
    outcome: dict[str, str] = {}

    def writer(name: str, order: list[int]) -> None:
        with app.app_context():
            try:
                with transaction():
                    # wait as long as it takes: PostgreSQL's deadlock check (after 1 s), not the lock timeout
                    db.session.execute(text("SET LOCAL lock_timeout = 0"))
                    db.session.execute(text("UPDATE child SET address = :a WHERE id = :id"),
                                       {"a": f"by {name}", "id": order[0]})
                    both_hold_one.wait()
                    # each now wants the row the other holds: PostgreSQL breaks the wait by failing one of them
                    db.session.execute(text("UPDATE child SET address = :a WHERE id = :id"),
                                       {"a": f"by {name}", "id": order[1]})
                outcome[name] = "saved"
            except StaleEdit:
                outcome[name] = "stale"
            except Exception as err:  # pragma: no cover - shown in the assertion
                outcome[name] = repr(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=("one", ids)),
               threading.Thread(target=writer, args=("two", ids[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcome.values()) == ["saved", "stale"], outcome
    winner = next(name for name, result in outcome.items() if result == "saved")
    db.session.expire_all()
    # the one that gave way left nothing behind: both rows are the winner's
    assert {db.session.get(Child, i).address for i in ids} == {f"by {winner}"}


def test_a_new_record_held_up_by_someone_elses_change_is_shown_again_to_be_sent_again(app, signed_in):
    from safeguarding.missing.models import MissingEpisode

    from .missing_data import london
    from .once_forms import form_fields
    from .test_missing import episode_form, make_child as recorded_by

    police, officer = signed_in(Role.PRACTITIONER, "police")
    child_id = recorded_by(officer).id
    url = f"/missing/children/{child_id}/episodes/new"
    typed = {**form_fields(police, url), **episode_form(london(2026, 10, 23, 16, 0),
                                                        circumstances="Left after school, typed once")}
    held = HeldElsewhere(app, child_id)
    try:
        page = police.post(url, typed, expected=200)
    finally:
        held.release()
    assert "Someone else was saving to the same record at the same moment" in page
    assert "Left after school, typed once" in page.html
    assert db.session.execute(db.select(MissingEpisode)).first() is None

    # the same submission, sent again once the other change is over, is saved once
    police.post(url, typed)
    police.post(url, typed)
    assert len(db.session.execute(db.select(MissingEpisode)).all()) == 1


def test_an_api_write_held_up_by_someone_elses_change_answers_409_and_the_same_request_again_saves_once(
        app, agencies, make_user):
    from safeguarding.missing.models import MissingEpisode

    from .api_data import Api, make_client

    admin = make_user(Role.ADMIN, "csc")
    _, token = make_client(admin, agencies["police"], scopes=["children:read", "children:write", "missing:read",
                                                              "missing:write"])
    niche = Api(app.test_client(), token)
    child = niche.post("/children", {"first_name": "Lily", "last_name": "Walker", "pers_dob": "2011-05-03",
                                     "gender": "female", "looked_after": "no"})
    assert child.status_code == 201, child.json
    report = {"child_id": child.json["id"], "reported_missing_at": "2026-10-23T22:40:00+01:00",
              "missing_from": "home", "police_reference": "NICHE-26-0412", "risk_level": "medium", "indicators": []}
    held = HeldElsewhere(app, child.json["id"])
    try:
        refused = niche.post("/missing-episodes", report, idempotency_key="niche-missing-0412")
    finally:
        held.release()
    assert refused.status_code == 409, refused.json
    assert refused.headers["Retry-After"] == "1" and "send the same request again" in refused.json["detail"]
    assert db.session.execute(db.select(MissingEpisode)).first() is None
    saved = niche.post("/missing-episodes", report, idempotency_key="niche-missing-0412")
    again = niche.post("/missing-episodes", report, idempotency_key="niche-missing-0412")
    assert saved.status_code == 201 and again.json["id"] == saved.json["id"]
    assert len(db.session.execute(db.select(MissingEpisode)).all()) == 1


def test_two_administrators_asking_for_one_change_at_once_make_one_request(app, make_user):
    """Each finds nothing waiting and asks: the second waits for the first, then gets the conflict page, and the
    account has one request waiting (two could be approved one after the other)."""
    from safeguarding.auth import role_requests
    from safeguarding.auth.models import RoleRequest, User

    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    target = make_user(Role.ADMIN)
    ids = {"first": first.id, "second": second.id}
    target_id, agency_id = target.id, target.agency_id
    db.session.commit()
    first_asked, second_looking = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def ask(name: str) -> None:
        with app.app_context():
            try:
                if name == "second":
                    first_asked.wait(10)
                with transaction():
                    actor, user = db.session.get(User, ids[name]), db.session.get(User, target_id)
                    if USING_POSTGRES:
                        db.session.execute(text("SET LOCAL lock_timeout = 0"))
                    if name == "second":
                        second_looking.set()
                    role_requests.request_change(user, "manager", agency_id, actor=actor)
                    if name == "first":
                        first_asked.set()
                        second_looking.wait(10)
                        # the second has looked, found nothing, and waits to insert (less than SQLite's 0.3 s)
                        threading.Event().wait(0.15)
                outcome[name] = "saved"
            except StaleEdit as err:
                # refused by the one-waiting-request index, not by a lock wait running out
                outcome[name] = f"conflict ({type(err.__cause__).__name__})"
            except Exception as err:  # pragma: no cover - shown in the assertion
                outcome[name] = repr(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome == {"first": "saved", "second": "conflict (IntegrityError)"}, outcome
    waiting = db.session.execute(db.select(RoleRequest).where(
        RoleRequest.user_id == target_id, RoleRequest.status == "pending")).scalars().all()
    assert [r.requested_by_id for r in waiting] == [ids["first"]]
