"""My work reads open deadlines kept as rows (`kept_deadlines/rows.py`): kept with every change in its transaction,
giving way by themselves when their time comes (no change to the record needed), checked and repaired against the
records at night and at the command line, and filled by the migration that made the table."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.kept_deadlines import rows as kept
from safeguarding.kept_deadlines.models import OpenDeadline
from safeguarding.discussions import services
from safeguarding.extensions import db

from .conftest import PASSWORD, USING_POSTGRES
from .discussion_data import convene, decision_data, make_child
from .pages import PageClient
from .test_clock_deadlines import _section_47, london


def _my_work(email: str, at: datetime) -> str:
    with clock.frozen_at(at):
        client = PageClient(current_app.test_client())
        client.sign_in(email, PASSWORD)
        return client.get("/my-work").text


def _section_47_decided(signed_in, agencies):
    """MASH's section 47 decision for Amy on Tuesday 1 December 2026: the conference's clocks start."""
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
        db.session.commit()
    return mash, sd


def test_a_booking_checkpoint_gives_way_to_the_next_on_my_work_with_no_change_to_the_record(signed_in, agencies):
    mash, sd = _section_47_decided(signed_in, agencies)
    rows = {r.kind: r.until for r in db.session.execute(select(OpenDeadline)).scalars()
            if r.kind.startswith("icpc")}
    assert rows == {"icpc_request": london(2026, 12, 15, 17), "icpc_booking": london(2026, 12, 22, 17), "icpc": None}

    request = "Request the initial child protection conference for Amy Example"
    book = "Book the initial child protection conference for Amy Example"
    before = _my_work(mash.email, london(2026, 12, 15, 16))
    assert request in before and book in before
    after = _my_work(mash.email, london(2026, 12, 15, 18))
    assert request not in after and book in after
    assert "Initial child protection conference for Amy Example" in after  # due on the 22nd: within the week


def test_a_late_strategy_meeting_stops_the_follow_up_chase_on_my_work_when_its_time_comes(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10), mode="phone")
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(), actor=mash, follow_up_meeting=True)
        db.session.commit()
    with clock.frozen_at(london(2026, 12, 2, 9)):
        convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]], kind="review",
                previous_id=sd.id, mode="meeting", scheduled_at=london(2026, 12, 22, 10))
    chase = "Convene the strategy meeting after the phone discussion"
    assert chase in _my_work(mash.email, london(2026, 12, 21, 9))
    assert chase not in _my_work(mash.email, london(2026, 12, 22, 11))


def test_check_open_deadlines_reports_a_difference_and_repairs_it(app, signed_in, agencies, runner):
    mash, sd = _section_47_decided(signed_in, agencies)
    assert "match the records" in runner.invoke(args=["check-open-deadlines"]).output
    # a row lost (a restore from an old backup, a hand edit): the chair's My work would no longer show it
    db.session.execute(delete(OpenDeadline).where(OpenDeadline.kind == "icpc"))
    db.session.commit()
    result = runner.invoke(args=["check-open-deadlines"])
    assert result.exit_code != 0
    assert f"Given by the records but not kept: icpc of threshold_decision {sd.decisions[0].id}" in result.output
    assert "Rebuilt" in runner.invoke(args=["check-open-deadlines", "--repair"]).output
    assert runner.invoke(args=["check-open-deadlines"]).exit_code == 0


def test_the_nightly_check_rebuilds_deadlines_that_differ_and_tells_the_administrators(app, signed_in, agencies):
    from safeguarding.reminders import cli

    mash, sd = _section_47_decided(signed_in, agencies)
    cli.run_job(app, "open_deadlines")
    admin, _ = signed_in(Role.ADMIN)
    assert "differed" not in admin.get("/admin/reminders").text
    kept_before = db.session.execute(select(OpenDeadline.kind, OpenDeadline.object_id)).all()
    db.session.execute(delete(OpenDeadline))
    db.session.commit()
    cli.run_job(app, "open_deadlines")
    assert sorted(db.session.execute(select(OpenDeadline.kind, OpenDeadline.object_id)).all()) == sorted(kept_before)
    page = admin.get("/admin/reminders").text
    assert f"Open deadlines kept for My work differed from the records: given but not kept {len(kept_before)}" in page


def test_the_migration_fills_the_table_from_the_records(tmp_path):
    """Down to the revision before the table and up again: what the migration keeps is what the app keeps."""
    from flask_migrate import downgrade, upgrade

    from safeguarding import create_app

    from .conftest import make_config

    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.sqlite'}",
                                 SQLALCHEMY_ENGINE_OPTIONS={}))
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"], env={"DEMO_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output

        def rows():
            return sorted(tuple(r) for r in db.session.execute(
                select(OpenDeadline.object_type, OpenDeadline.object_id, OpenDeadline.kind, OpenDeadline.due_at,
                       OpenDeadline.until, OpenDeadline.owner_id, OpenDeadline.team_agency_id)).all())

        kept_by_the_app = rows()
        db.session.remove()
        downgrade(revision="0043")
        upgrade()
        filled = rows()
        assert kept.differences(db.session) == ([], [])
        db.session.remove()
        db.engine.dispose()
    assert len(kept_by_the_app) > 20 and filled == kept_by_the_app
    assert {"agreed_action", "icpc", "return_interview", "police_protection", "difference_stage"} <= \
        {kind for _, _, kind, *_ in filled}


def test_a_team_deadline_nobody_has_is_on_each_active_manager_of_the_agency_and_only_theirs(signed_in, make_user,
                                                                                          agencies):


    first_client, first = signed_in(Role.MANAGER, "csc", name="Ann Manager")
    second = make_user(Role.MANAGER, "csc", name="Bo Manager")
    away = make_user(Role.MANAGER, "csc", name="Cy Manager", active=False)
    elsewhere = make_user(Role.MANAGER, "police", name="Di Inspector")
    officer = make_user(Role.PRACTITIONER, "police")
    _returned_interview(make_user)
    row = db.session.execute(select(OpenDeadline).where(OpenDeadline.kind == "return_interview")).scalar_one()
    assert row.owner_id is None and row.team_agency_id == agencies["csc"].id
    now = clock.now()
    for person, expected in ((first, 1), (second, 1), (away, 0), (elsewhere, 0), (officer, 0)):
        counts = kept.count_owned([person.id], now=now, end_of_today=now + timedelta(days=1),
                                  due_before=now + timedelta(days=7))
        assert sum(counts) == expected * 2, person.name  # the interview and its 48-hour offer
    # asked for both managers at once (their own manager's team), it is each one's: twice
    both = kept.page_owned([first.id, second.id], now=now, due_before=now + timedelta(days=7), limit=10)
    assert sorted((d.kind, d.owner_id) for d in both) == sorted(
        (kind, person.id) for kind in ("return_interview", "return_interview_48h") for person in (first, second))
    assert "Return home interview for Kai Example (not yet assigned)" in first_client.get("/my-work").text


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite lets one writer at a time into the whole database, so two "
                    "rebuilds of one record cannot overlap there; PostgreSQL runs them at once")
def test_two_rebuilds_of_one_interview_at_once_take_turns_and_keep_its_deadlines_once(app, signed_in, make_user,
                                                                                      agencies):
    from safeguarding.missing.models import RhiOffer

    _, worker = signed_in(Role.PRACTITIONER, "csc")
    interview_id, worker_id = _returned_interview(make_user), worker.id
    db.session.close()
    # one transaction is working out the interview's deadlines (a repair, another change to it) while the worker
    # records that it was offered
    first, second = Session(db.engine), Session(db.engine)
    kept.rebuild(first, {"return_interview": {interview_id}})

    def record_the_offer():
        second.add(RhiOffer(return_interview_id=interview_id, offered_at=clock.now(), offered_by_id=worker_id,
                            method="phone", response="accepted"))
        second.commit()

    failed = _while_held(first, record_the_offer, "waits for the other rather than working them out beside it")
    second.close()
    # without the turn, the offer's rebuild could not see the rows the other wrote and wrote its own beside them
    # (a unique violation: the worker's offer lost with a server error)
    assert failed == []
    rows = db.session.execute(select(OpenDeadline.kind, OpenDeadline.owner_id, OpenDeadline.team_agency_id)
                              .where(OpenDeadline.object_id == interview_id)).all()
    assert rows == [("return_interview", None, agencies["csc"].id)]  # offered: no 48-hour clock; nobody assigned


def _while_held(first: Session, change, why_waiting: str) -> list[Exception]:
    """Run `change` (in a thread, with the app's context, as a request would) while `first`'s transaction is open:
    it must wait for `first` to commit, then finish. Returns what it raised, if anything."""
    app = current_app._get_current_object()
    done, failed = threading.Event(), []

    def run():
        try:
            with app.app_context():
                change()
        except Exception as err:  # noqa: BLE001 - returned to the test
            failed.append(err)
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set(), why_waiting
    first.commit()
    thread.join(10)
    first.close()
    assert done.is_set()
    return failed


def _returned_interview(make_user) -> int:
    from safeguarding.missing import services as missing_services

    from .test_my_work_paging import EPISODE, RETURN

    officer = make_user(Role.PRACTITIONER, "police")
    at = clock.now() - timedelta(hours=10)
    episode = missing_services.record_episode(make_child("Kai"), {
        **EPISODE, "reported_missing_at": at - timedelta(hours=5)}, actor=officer)
    missing_services.record_return(episode, {**RETURN, "returned_at": at}, actor=officer,
                                   expected_version=episode.version)
    db.session.commit()
    return episode.return_interview.id


def test_deadlines_are_worked_out_from_the_record_as_saved_not_as_this_request_first_read_it(app, make_user):
    from safeguarding.missing import services as missing_services
    from safeguarding.missing.models import ReturnInterview

    first_worker, second_worker = make_user(Role.PRACTITIONER, "csc"), make_user(Role.PRACTITIONER, "csc")
    interview_id = _returned_interview(make_user)
    db.session.get(ReturnInterview, interview_id).assigned_to_id = first_worker.id
    db.session.commit()
    # this request reads the interview (assigned to the first worker)...
    interview = db.session.get(ReturnInterview, interview_id)
    assert interview.assigned_to_id == first_worker.id
    # ...someone else reassigns it and saves...
    other = Session(db.engine)
    other.get(ReturnInterview, interview_id).assigned_to_id = second_worker.id
    other.commit()
    other.close()
    # ...and this request records an offer: the deadline is the second worker's, as saved
    missing_services.record_offer(interview, {"offered_at": clock.now() - timedelta(hours=1), "method": "phone",
                                              "response": "accepted", "note": ""}, actor=first_worker)
    db.session.commit()
    assert db.session.execute(select(OpenDeadline.kind, OpenDeadline.owner_id)).all() == [
        ("return_interview", second_worker.id)]


def test_a_savepoint_rolled_back_keeps_what_the_transaction_around_it_changed(app, make_user):
    from safeguarding.missing.models import ReturnInterview

    worker = make_user(Role.PRACTITIONER, "csc")
    interview_id = _returned_interview(make_user)
    db.session.get(ReturnInterview, interview_id).assigned_to_id = worker.id
    db.session.flush()
    db.session.begin_nested().rollback()  # e.g. a duplicate found and handled inside the same request
    db.session.commit()
    assert {kind: owner for kind, owner in db.session.execute(
        select(OpenDeadline.kind, OpenDeadline.owner_id))} == {"return_interview": worker.id,
                                                               "return_interview_48h": worker.id}


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite lets one writer at a time into the whole database, so a "
                    "decision cannot be recorded while the chair changes there; PostgreSQL runs them at once")
def test_a_decision_recorded_while_the_chair_changes_is_the_new_chairs(app, signed_in, make_user, agencies):
    from safeguarding.discussions.models import StrategyDiscussion

    from .discussion_data import attend

    _, mash = signed_in(Role.MASH)
    new_chair = make_user(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben")
    sd = convene(mash, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]],
                 scheduled_at=clock.now() - timedelta(hours=1), referral_received_on=None)
    attend(sd, mash)
    sd_id, amy_id, mash_id, new_chair_id = sd.id, amy.id, mash.id, new_chair.id
    db.session.close()
    # MASH hands the discussion to another chair; at the same moment the decision for one child is recorded
    first = Session(db.engine)
    first.get(StrategyDiscussion, sd_id).chair_id = new_chair_id
    first.flush()
    def record_the_decision():
        from safeguarding.auth.models import User
        from safeguarding.service import transaction

        with transaction():
            services.record_decision(db.session.get(StrategyDiscussion, sd_id), amy_id,
                                     decision_data(outcome="s47_single"), actor=db.session.get(User, mash_id))
        db.session.remove()

    assert _while_held(first, record_the_decision,
                       "its deadlines wait for the chair being changed, not the chair it replaces") == []
    owners = set(db.session.execute(select(OpenDeadline.owner_id)
                                    .where(OpenDeadline.object_type == "threshold_decision")).scalars())
    assert owners == {new_chair_id}
