"""Many people writing to one discussion at once, each through the real pages with their own database session:
every write lands or gets the conflict page; nothing is lost, nothing doubled, no server error.

Runs on a SQLite file (so each thread has its own connection), or on PostgreSQL when TEST_DATABASE_URL says so.
"""
from __future__ import annotations

import os
import re
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.discussions.models import AgreedAction, Invitation, StrategyDiscussion, ThresholdDecision
from safeguarding.extensions import db
from safeguarding.service import transaction

from .conftest import PASSWORD, USING_POSTGRES
from .discussion_data import convene_decided, convene, date_parts, decision_data, hidden_fields, make_child

CONFLICT = "while you were editing it"
#: writers in all; `DISCUSSION_WRITERS=200` gives the README's figure (the suite runs 28 on a 2-core machine)
WRITERS = max(28, int(os.environ.get("DISCUSSION_WRITERS", "28")))


@pytest.fixture
def app(app_factory, tmp_path):
    overrides = {"RATELIMIT_ENABLED": False}
    if USING_POSTGRES:
        return app_factory(**overrides)
    return app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'record.sqlite'}",
                       SQLALCHEMY_ENGINE_OPTIONS={}, **overrides)


def _signed_in_client(app, email):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in", data={**hidden_fields(page), "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def test_writers_at_once_on_one_discussion_each_land_or_get_a_conflict(app, agencies, make_user):
    chair = make_user(Role.MASH)
    amy = make_child("Amy")
    sd = convene(chair, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    rows, actions, = WRITERS * 2 // 7, WRITERS * 2 // 7  # 28 writers: 8 rows, 4 racers, 8 actions, 8 decisions
    racers, decisions = rows // 2, WRITERS - rows - rows // 2 - actions
    with transaction():
        for n in range(rows - 3):
            services.add_invitation(sd, {"agency_id": agencies["education"].id, "person_name": f"Teacher {n}"},
                                    actor=chair)
    db.session.commit()
    invitations = [inv.id for inv in sd.invitations]
    url, amy_id, owner_id = f"/discussions/{sd.id}", amy.id, chair.id  # plain values: threads share no ORM rows
    due = date_parts(clock.london_today() + timedelta(days=3))

    # (kind, which row, what they post): people on different attendance rows, more racing half of those rows,
    # agreed actions (the last one the first one's submission sent twice), and decisions for the same child.
    writers = []
    for inv_id in invitations:
        writers.append(("attendance", inv_id, {f"status_{inv_id}": "attended"}))
    for inv_id in invitations[:racers]:
        writers.append(("attendance", inv_id, {f"status_{inv_id}": "apologies", f"reason_{inv_id}": "Leave"}))
    for n in range(actions):
        which = n if n < actions - 1 else 0
        writers.append(("action", which, {
            "description": f"Action {which}", "child_id": "0", "owner_id": str(owner_id),
            "due_date": due, "due_time": "10:00"}))
    for n in range(decisions):
        outcome = ["nfa", "s17", "s47_joint", "s47_single"][n % 4]
        writers.append(("decision", n, {"outcome": outcome, "rationale": f"Writer {n}", "abe_planned": "no",
                                        "intermediary_considered": "no", "medical_examination": "not_decided",
                                        "legal_action": "none", "family_told": "not_decided",
                                        # attendance is being recorded at the same moment, so not yet on record
                                        "minimum_agency_reason": "Attendance still being recorded"}))
    assert len(writers) >= 20
    emails = [make_user(Role.MASH).email for _ in writers]
    db.session.commit()

    ready = threading.Barrier(len(writers))
    results: list[tuple[str, int, dict, int, str] | None] = [None] * len(writers)
    errors: list[BaseException] = []
    action_key = {}
    key_lock = threading.Lock()

    def write(i):
        kind, which, data = writers[i]
        try:
            client = _signed_in_client(app, emails[i])
            form_url = {"attendance": f"{url}/attendance", "action": f"{url}/actions/new",
                        "decision": f"{url}/children/{amy_id}/decision"}[kind]
            opened = hidden_fields(client.get(form_url).get_data(as_text=True))
            if kind == "action":
                # the repeated action is one person's double submission: the same form, posted twice
                with key_lock:
                    opened["submission_key"] = action_key.setdefault(which, opened["submission_key"])
            ready.wait(timeout=60)
            response = client.post(form_url, data={**opened, **data})
            results[i] = (kind, which, data, response.status_code, response.get_data(as_text=True))
        except BaseException as err:  # noqa: BLE001 - every failure is reported below
            errors.append(err)
            ready.abort()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(r is not None for r in results)
    assert not [r[3] for r in results if r[3] >= 500]

    def outcome(result):
        kind, _, _, status, body = result
        if status == 302:
            return "landed"
        errors_shown = re.findall(r'href="#[^"]*">([^<]*)<', body)
        assert status == 200 and CONFLICT in body, (kind, status, errors_shown)
        return "conflict"

    db.session.expire_all()
    # Attendance: every row holds the answer of a writer told it landed; each racing pair has one of each.
    landed_attendance = [r for r in results if r[0] == "attendance" and outcome(r) == "landed"]
    statuses = {inv.id: inv.status for inv in db.session.execute(
        select(Invitation).where(Invitation.discussion_id == sd.id)).scalars()}
    for inv_id in invitations:
        winners = [r for r in landed_attendance if r[1] == inv_id]
        assert len(winners) == 1, inv_id
        assert statuses[inv_id] == winners[0][2][f"status_{inv_id}"]

    # Actions: one per submission, never two for the double submission, none lost.
    saved = db.session.execute(select(AgreedAction.description).where(AgreedAction.discussion_id == sd.id)
                                 ).scalars().all()
    assert sorted(saved) == sorted(f"Action {n}" for n in range(actions - 1))
    assert all(outcome(r) == "landed" for r in results if r[0] == "action")

    # Decisions: exactly one landed, and it is the one stored; the others saw the conflict page.
    decided = [r for r in results if r[0] == "decision" and outcome(r) == "landed"]
    assert len(decided) == 1
    stored = db.session.execute(select(ThresholdDecision).where(ThresholdDecision.discussion_id == sd.id)
                                ).scalar_one()
    assert (stored.outcome, stored.rationale) == (decided[0][2]["outcome"], decided[0][2]["rationale"])
    conflicts = [r for r in results if r[0] == "decision" and outcome(r) == "conflict"]
    assert len(conflicts) == decisions - 1


def test_identical_convene_posts_at_the_same_moment_make_one_discussion(app, agencies, make_user):
    mash = make_user(Role.MASH)
    amy = make_child("Amy")
    db.session.commit()
    prepared, email, amy_id, mash_id = {}, mash.email, amy.id, mash.id

    def prepare():  # in a thread of its own, as a browser's requests are: no app context (or `g`) is shared
        prepared["client"] = _signed_in_client(app, email)
        prepared["page"] = prepared["client"].get(f"/discussions/new?child={amy_id}").get_data(as_text=True)

    preparing = threading.Thread(target=prepare)
    preparing.start()
    preparing.join(timeout=60)
    client, opened = prepared["client"], hidden_fields(prepared["page"])
    data = {**opened, "child_ids": [str(amy_id)], "kind": "initial", "urgency": "urgent", "mode": "phone",
            "scheduled_date": date_parts(clock.london_today()), "scheduled_time": "23:30", "chair_id": str(mash_id),
            **convene_decided(),
            "referral_source": "School", "referral_received_on": date_parts(clock.london_today()),
            "harm_category": "physical", "reason": "Bruising", "referrer_words": "A bruise on her cheek",
            "agency_ids": [str(agencies["csc"].id)]}
    # One person's browser sending the same form several times at once: the same signed-in cookie each time.
    clients = [client]
    for _ in range(4):
        twin = app.test_client()
        for cookie in client._cookies.values():
            twin.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        clients.append(twin)
    ready = threading.Barrier(len(clients))
    answers, errors = [], []

    def post(each):
        try:
            ready.wait(timeout=60)
            response = each.post("/discussions/new", data=data)
            answers.append((response.status_code, response.headers.get("Location")))
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    ids = db.session.execute(select(StrategyDiscussion.id)).scalars().all()
    assert len(ids) == 1, answers
    assert answers == [(302, f"/discussions/{ids[0]}")] * len(clients)


# --- Two people deciding about one referral at once ----------------------------------------------------------


def test_two_decisions_about_one_referral_at_once_leave_one_assessment_clock(app, agencies, make_user):
    # issue 14: the assessment's due time is kept on one decision per child per referral
    from .test_assessment_clock import DUE, _derived, _held, _stored, london

    mash = make_user(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, [amy], london(2026, 12, 1, 10))
    review = _held(mash, agencies, [amy], london(2026, 12, 8, 10), kind="review", previous_id=first.id)
    ids = {"first": first.id, "review": review.id, "child": amy.id, "actor": mash.id}
    db.session.remove()
    first_flushed, problems = threading.Event(), []

    def decide(which: str, at: datetime, before_commit=lambda: None, wait=lambda: None):
        with app.app_context():
            try:
                wait()
                sd = db.session.get(StrategyDiscussion, ids[which])
                with clock.frozen_at(at):
                    services.record_decision(sd, ids["child"], decision_data(outcome="s47_single"),
                                             actor=db.session.get(type(mash), ids["actor"]))
                before_commit()
                db.session.commit()
            except Exception as error:  # reported below: a thread's failure must fail the test
                problems.append(error)
                first_flushed.set()
            finally:
                db.session.remove()

    # the first holds its transaction open while the review's decision is recorded: the review's must wait for it
    # and see it, not decide alone that it holds the referral's clock
    racers = [threading.Thread(target=decide, args=("first", london(2026, 12, 8, 11)),
                               kwargs={"before_commit": lambda: (first_flushed.set(), threading.Event().wait(0.5))}),
              threading.Thread(target=decide, args=("review", london(2026, 12, 8, 12)),
                               kwargs={"wait": first_flushed.wait})]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join(timeout=30)
    assert not problems
    with app.app_context():
        assert list(_stored().values()) == [DUE]
        assert _stored() == _derived()
