"""Issue 11: the clocks on My work and in reminders start, give way and stop with the facts (deadline providers)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.discussions import services, thresholds
from safeguarding.discussions.deadlines import open_deadlines
from safeguarding.extensions import db
from safeguarding.missing import deadlines as missing_deadlines
from safeguarding.missing import rules as missing_rules
from safeguarding.missing.models import MissingEpisode, ReturnInterview, RhiOffer
from safeguarding.reminders import sweep as reminder_sweep
from safeguarding.reminders.models import Notification
from safeguarding.service import RuleError

from .conftest import PASSWORD
from .discussion_data import attend, convene, decision_data, make_child
from .pages import PageClient


def london(*args) -> datetime:
    return clock.london_datetime(date(*args[:3]), *args[3:])


def _kinds(at: datetime, due_before: datetime, prefix: str) -> dict[str, datetime]:
    with clock.frozen_at(at):
        return {d.kind: d.due_at for d in open_deadlines(due_before=due_before) if d.kind.startswith(prefix)}


def _section_47(mash, agencies, child, held_at, **overrides):
    with clock.frozen_at(held_at):
        sd = convene(mash, [child], [agencies["csc"], agencies["police"], agencies["health"]], scheduled_at=held_at,
                     referral_received_on=clock.london_today(), **overrides)
        attend(sd, mash)
    return sd


def test_icpc_booking_checkpoints_give_way_to_each_other_and_close_when_booked(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    horizon = london(2027, 1, 31)
    assert _kinds(london(2026, 12, 1, 12), horizon, "icpc") == {
        "icpc_request": london(2026, 12, 2, 17), "icpc_booking": london(2026, 12, 15, 17),
        "icpc": london(2026, 12, 22, 17)}
    # once the 10-working-day checkpoint is due, the request reminder gives way to it
    assert _kinds(london(2026, 12, 15, 17), horizon, "icpc") == {"icpc_booking": london(2026, 12, 15, 17),
                                                                  "icpc": london(2026, 12, 22, 17)}
    assert _kinds(london(2026, 12, 22, 17), horizon, "icpc") == {"icpc": london(2026, 12, 22, 17)}
    # the reminder to request it reaches the chair the day after the decision, not three days before it is due
    with clock.frozen_at(london(2026, 12, 2, 17)):
        reminder_sweep.sweep(london(2026, 12, 2, 17))
    requested = db.session.execute(sa.select(Notification).where(Notification.rule == "icpc_request")).scalars().all()
    assert [(n.level, n.recipient_id) for n in requested] == [("due", mash.id)]
    with clock.frozen_at(london(2026, 12, 3, 9)):
        services.record_icpc_date(decision, date(2026, 12, 18), actor=mash)
    # booked, the booking reminders stop; the booked date is then followed by "held"
    assert _kinds(london(2026, 12, 3, 9), horizon, "icpc") == {"icpc_held": london(2026, 12, 18, 17)}
    with clock.frozen_at(london(2026, 12, 18, 15)):
        services.record_conference_held(decision, date(2026, 12, 18), actor=mash, expected_version=decision.version)
    assert _kinds(london(2026, 12, 18, 15), horizon, "icpc") == {}


def test_a_strategy_meeting_set_three_weeks_late_does_not_stop_the_follow_up_clock(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10), mode="phone")
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(), actor=mash, follow_up_meeting=True)
    due = london(2026, 12, 8, 17)
    assert sd.follow_up_meeting_due_at == due
    invited = [agencies["csc"], agencies["police"], agencies["health"]]
    with clock.frozen_at(london(2026, 12, 2, 9)):
        # another phone call is not the strategy meeting asked for
        convene(mash, [amy], invited, kind="review", previous_id=sd.id, mode="phone",
                scheduled_at=london(2026, 12, 3, 10))
        convene(mash, [amy], invited, kind="review", previous_id=sd.id, mode="meeting",
                scheduled_at=london(2026, 12, 22, 10))
    after_due = london(2026, 12, 31)
    assert _kinds(london(2026, 12, 2, 9), after_due, "follow_up") == {"follow_up_meeting": due}
    assert _kinds(london(2026, 12, 21, 9), after_due, "follow_up") == {"follow_up_meeting": due}
    # held, late: the clock closes, and says so
    assert _kinds(london(2026, 12, 22, 11), after_due, "follow_up") == {}
    assert thresholds.follow_up_meeting_state(due, [london(2026, 12, 22, 10)], london(2026, 12, 22, 11)) == "late"


def test_a_strategy_meeting_convened_within_the_time_stops_the_chase(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10), mode="phone")
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(), actor=mash, follow_up_meeting=True)
        convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]], kind="review",
                previous_id=sd.id, mode="video", scheduled_at=london(2026, 12, 7, 14))
    assert _kinds(london(2026, 12, 1, 12), london(2026, 12, 31), "follow_up") == {}


def test_assessment_clock_runs_45_working_days_from_the_referral_until_completion_is_recorded(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    other = _section_47(mash, agencies, ben, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s17"), actor=mash)
        services.record_decision(other, ben.id, decision_data(outcome="nfa"), actor=mash)
    after_due = london(2027, 2, 6)
    # a section 17 decision starts it; no further action does not
    assert _kinds(london(2026, 12, 1, 12), after_due, "assessment") == {"assessment": london(2027, 2, 5, 17)}
    assert _kinds(london(2026, 12, 1, 12), london(2027, 2, 5, 17), "assessment") == {}
    with clock.frozen_at(london(2026, 12, 1, 12)):
        [found] = [d for d in open_deadlines(due_before=after_due, owner_ids=[mash.id]) if d.kind == "assessment"]
    assert found.child_id == amy.id and found.owner_id == mash.id
    with clock.frozen_at(london(2027, 1, 20, 12)):
        services.record_assessment_completed(decision, london(2027, 1, 20, 11), actor=mash,
                                             expected_version=decision.version)
    assert _kinds(london(2027, 1, 20, 12), after_due, "assessment") == {}
    assert decision.assessment_completed_by_id == mash.id


def test_an_assessment_completed_for_another_child_referred_the_same_day_leaves_this_one_open(signed_in, agencies):
    # completion stops the clock for the same child's same referral, never for another child's: on My work (asked
    # by owner, counted and paged in SQL) exactly as for the reminder sweep (asked for everyone's)
    from safeguarding import deadlines
    from safeguarding.dashboard.views import _end_of_today

    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    other = _section_47(mash, agencies, ben, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(outcome="s17"), actor=mash)
        bens = services.record_decision(other, ben.id, decision_data(outcome="s17"), actor=mash)
    at, after_due = london(2027, 2, 1, 12), london(2027, 2, 6)
    with clock.frozen_at(london(2027, 1, 20, 12)):
        services.record_assessment_completed(bens, london(2027, 1, 20, 11), actor=mash, expected_version=bens.version)
    with clock.frozen_at(at):
        everyones = [d.child_id for d in open_deadlines(due_before=after_due) if d.kind == "assessment"]
        theirs = [d.child_id for d in open_deadlines(due_before=after_due, owner_ids=[mash.id])
                  if d.kind == "assessment"]
        counts, first = deadlines.owned([mash.id], now=at, end_of_today=_end_of_today(at), due_before=after_due,
                                        limit=10)
        client = PageClient(current_app.test_client())
        client.sign_in(mash.email, PASSWORD)
        page = client.get("/my-work")
    assert everyones == theirs == [d.child_id for d in first if d.kind == "assessment"] == [amy.id]
    assert sum(counts) == len(first)
    assert "Child and family assessment for Amy" in page.text and "assessment for Ben" not in page.text


# --- Return home interview: a manager hears at 48 hours if nothing is offered ----------------------------------


def _returned(child, police, csc, returned_at, worker=None):
    episode = MissingEpisode(child_id=child.id, reported_missing_at=returned_at - timedelta(hours=6),
                             missing_from="home", risk_level="medium", recorded_by_id=police.id,
                             recorded_by_agency_id=police.agency_id, returned_at=returned_at)
    db.session.add(episode)
    db.session.flush()
    rhi = ReturnInterview(episode_id=episode.id, child_id=child.id, local_authority_id=csc.agency_id,
                          returned_at=returned_at, due_at=missing_rules.rhi_due_at(returned_at),
                          assigned_to_id=worker.id if worker else None)
    db.session.add(rhi)
    db.session.commit()
    return rhi


def test_return_interview_not_offered_reaches_the_manager_at_48_hours_not_after_72(make_user):
    manager = make_user(Role.MANAGER, "csc")
    worker = make_user(Role.PRACTITIONER, "csc", manager=manager)
    police = make_user(Role.PRACTITIONER, "police")
    returned = london(2026, 11, 27, 18)  # Friday evening: 48 hours is Sunday evening, 72 Monday evening
    rhi = _returned(make_child(), police, worker, returned, worker)
    kinds = _missing_kinds(london(2026, 11, 28), london(2026, 12, 7))
    assert kinds == {"return_interview_48h": london(2026, 11, 29, 18), "return_interview": london(2026, 11, 30, 18)}
    with clock.frozen_at(london(2026, 11, 29, 18)):
        reminder_sweep.sweep(london(2026, 11, 29, 18))
    sent = db.session.execute(sa.select(Notification.rule, Notification.level, Notification.recipient_id)
                              .where(Notification.level.in_(("due", "escalation")))).all()
    assert set(sent) == {("return_interview_48h", "due", worker.id),
                         ("return_interview_48h", "escalation", manager.id)}
    # at the end of the 72 hours the manager hears again at once, not a working day later
    with clock.frozen_at(london(2026, 11, 30, 18)):
        reminder_sweep.sweep(london(2026, 11, 30, 18))
    assert ("return_interview", "escalation", manager.id) in set(db.session.execute(
        sa.select(Notification.rule, Notification.level, Notification.recipient_id)).all())
    # an offer, even one the child refuses, ends the 48-hour escalation; the 72-hour clock runs on
    db.session.add(RhiOffer(return_interview_id=rhi.id, offered_at=london(2026, 11, 28, 10), offered_by_id=worker.id,
                            method="phone", response="declined"))
    db.session.commit()
    assert _missing_kinds(london(2026, 11, 28, 11), london(2026, 12, 7)) == {
        "return_interview": london(2026, 11, 30, 18)}


def _missing_kinds(at: datetime, due_before: datetime) -> dict[str, datetime]:
    with clock.frozen_at(at):
        return {d.kind: d.due_at for d in missing_deadlines.open_deadlines(due_before=due_before)}


def test_my_work_shows_the_booking_checkpoint_and_the_unoffered_interview(signed_in, agencies, make_user):
    # signed in at the moment looked at: a session does not outlive a jump of days
    with clock.frozen_at(london(2026, 12, 1, 9)):
        _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    with clock.frozen_at(london(2026, 12, 3, 9)):
        client = PageClient(current_app.test_client())
        client.sign_in(mash.email, PASSWORD)
        page = client.get("/my-work")
    assert "Request the initial child protection conference for Amy Example" in page.text
    assert "Book the initial child protection conference" not in page.text  # not within 7 days yet

    police = make_user(Role.PRACTITIONER, "police")
    with clock.frozen_at(london(2026, 12, 2, 19)):
        worker_client, worker = signed_in(Role.PRACTITIONER, "csc")
        _returned(make_child("Kai"), police, worker, london(2026, 11, 30, 18), worker)
        page = worker_client.get("/my-work")
    assert "not offered 48 hours after the return" in page.text and "Overdue (1)" in page.text


def test_a_sweep_run_as_if_later_sees_the_checkpoints_as_they_stand_then(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    with clock.frozen_at(london(2026, 12, 1, 12)):
        reminder_sweep.sweep(london(2026, 12, 16, 9))  # by hand, as if on the 16th
    rules = set(db.session.execute(sa.select(Notification.rule)).scalars())
    assert "icpc_booking" in rules and "icpc_request" not in rules  # given way by the 16th


# --- Repeat missing, through the service that records an episode ---------------------------------------------


def test_a_late_entry_completing_three_in_thirty_days_raises_the_prompt(make_user):
    from safeguarding.missing import services as missing_services
    from safeguarding.missing.models import DiscussionPrompt

    police = make_user(Role.PRACTITIONER, "police")
    kai = make_child("Kai")

    def episode(at):
        recorded = missing_services.record_episode(kai, {
            "reported_missing_at": at, "missing_from": "home", "missing_from_detail": "", "police_reference": "",
            "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""}, actor=police)
        recorded.returned_at = at + timedelta(hours=3)  # each came home before the next was entered
        db.session.flush()
        return recorded

    def prompts():
        return db.session.execute(sa.select(DiscussionPrompt.reason).where(DiscussionPrompt.child_id == kai.id)
                                  ).scalars().all()

    with clock.frozen_at(london(2026, 11, 25, 9)):
        episode(london(2026, 11, 1, 22))
        episode(london(2026, 11, 20, 23))
        assert prompts() == []
        episode(london(2026, 11, 10, 19))  # entered last, happened in between: three in 20 days
    assert prompts() == ["repeat_missing"]


def test_a_booked_conference_whose_date_passed_unconfirmed_is_chased_until_it_is_confirmed_held(
        signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _section_47(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
        services.record_icpc_date(decision, date(2026, 12, 18), actor=mash)
    horizon = london(2027, 1, 31)
    assert _kinds(london(2026, 12, 18, 9), london(2026, 12, 18, 17), "icpc") == {}
    assert _kinds(london(2026, 12, 21, 9), horizon, "icpc") == {"icpc_held": london(2026, 12, 18, 17)}
    with clock.frozen_at(london(2026, 12, 17, 9)), pytest.raises(RuleError, match="confirm it was held on or after"):
        services.record_conference_held(decision, date(2026, 12, 17), actor=mash, expected_version=decision.version)
    with clock.frozen_at(london(2026, 12, 21, 9)):
        services.record_conference_held(decision, date(2026, 12, 18), actor=mash, expected_version=decision.version)
    assert _kinds(london(2026, 12, 21, 9), horizon, "icpc") == {}
    assert (decision.icpc_status, decision.icpc_held_on, decision.icpc_held_by_id) == ("held", date(2026, 12, 18),
                                                                                      mash.id)


def test_a_job_pinned_at_its_instant_does_not_stop_the_clock_for_jobs_beside_it():
    """The scheduler runs the sweep and the daily summary in a thread pool. Each is pinned "as if" at its instant; when
    two overlapped, a process-wide pin restored the other's instant on the way out and left the clock stopped, so the
    delivery job never saw a reminder become due (found by tests/test_reminders_processes.py)."""
    import threading
    from datetime import datetime, timedelta, timezone

    from safeguarding import clock

    sweep_at = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)
    summary_at = sweep_at + timedelta(seconds=1)
    sweep_in, summary_in, sweep_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def sweep():
        with clock.as_if(sweep_at):
            sweep_in.set()
            summary_in.wait(5)
            seen["sweep"] = clock.now()
        sweep_out.set()

    def summary():
        sweep_in.wait(5)
        with clock.as_if(summary_at):
            summary_in.set()
            sweep_out.wait(5)  # the sweep finishes first: the order that stopped the clock
            seen["summary"] = clock.now()
        seen["after summary"] = clock.now()

    threads = [threading.Thread(target=sweep), threading.Thread(target=summary)]
    for t in threads:
        t.start()
    seen["delivery, meanwhile"] = clock.now()
    for t in threads:
        t.join(10)
    assert seen["sweep"] == sweep_at and seen["summary"] == summary_at
    assert seen["delivery, meanwhile"] > summary_at and seen["after summary"] > summary_at
    assert clock.now() > summary_at
