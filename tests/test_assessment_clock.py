"""The child and family assessment's due time, kept on one decision per child per referral (issue 14): set when a
section 17 or 47 decision is recorded, moved with a corrected referral date, stopped by completion on any decision
about the referral, never doubled by a review; My work and the sweep read it by its index and see what the rule
derived in Python showed before."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from safeguarding import clock, deadlines
from safeguarding.auth.models import Role
from safeguarding.discussions import services, thresholds
from safeguarding.discussions.deadlines import open_deadlines
from safeguarding.discussions.models import StrategyDiscussion, ThresholdDecision
from safeguarding.extensions import db

from .conftest import USING_POSTGRES, make_config
from .discussion_data import attend, convene, decision_data, make_child

REFERRAL = date(2026, 11, 20)
#: 45 working days after 20 November 2026, across Christmas and the new year
DUE = clock.london_datetime(date(2027, 1, 27), 17)
LATER = clock.london_datetime(date(2027, 6, 1), 9)


def london(*args) -> datetime:
    return clock.london_datetime(date(*args[:3]), *args[3:])


def _held(mash, agencies, children, held_at, **overrides):
    overrides.setdefault("referral_received_on", REFERRAL)
    with clock.frozen_at(held_at - timedelta(hours=1)):
        sd = convene(mash, children, [agencies["csc"], agencies["police"], agencies["health"]], scheduled_at=held_at,
                     **overrides)
        attend(sd, mash)
    return sd


def _decide(sd, child, outcome, at, actor):
    with clock.frozen_at(at):
        existing = sd.decision_for(child.id)
        decision = services.record_decision(sd, child.id, decision_data(outcome=outcome), actor=actor,
                                            expected_version=existing.version if existing else None)
    db.session.commit()
    return decision


def _complete(decision, at, actor):
    with clock.frozen_at(at):
        services.record_assessment_completed(decision, at - timedelta(hours=1), actor=actor,
                                             expected_version=decision.version)
    db.session.commit()


def _correct_referral(sd, referral, at, actor):
    with clock.frozen_at(at):
        services.update_details(sd, {"referral_received_on": referral}, sd.version, actor=actor)
    db.session.commit()


def _stored() -> dict[int, datetime]:
    return dict(db.session.execute(sa.select(ThresholdDecision.id, ThresholdDecision.assessment_due_at)
                                   .where(ThresholdDecision.assessment_due_at.is_not(None))).all())


def _derived() -> dict[int, datetime]:
    """The rule My work and the sweep derived in Python before the due time was stored: each open section 17 or 47
    decision with a referral date, unless completion is recorded on any decision for the child about the same
    referral; one per child and referral, the earliest decided."""
    rows = db.session.execute(
        sa.select(ThresholdDecision.id, ThresholdDecision.child_id, ThresholdDecision.outcome,
                  ThresholdDecision.decided_at, ThresholdDecision.assessment_completed_at,
                  StrategyDiscussion.referral_received_on)
        .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)).all()
    completed = {(r.child_id, r.referral_received_on) for r in rows if r.assessment_completed_at is not None}
    running = sorted((r for r in rows if r.outcome in thresholds.ASSESSMENT_OUTCOMES
                      and r.assessment_completed_at is None and r.referral_received_on is not None
                      and (r.child_id, r.referral_received_on) not in completed),
                     key=lambda r: (r.decided_at, r.id))
    found, seen = {}, set()
    for r in running:
        if (r.child_id, r.referral_received_on) not in seen:
            seen.add((r.child_id, r.referral_received_on))
            found[r.id] = thresholds.assessment_due_at(r.referral_received_on)
    return found


def _assessments(owner_ids=None, due_before=LATER) -> dict[int, datetime]:
    return {d.object_id: d.due_at for d in open_deadlines(due_before=due_before, owner_ids=owner_ids)
            if d.kind == "assessment"}


def test_a_section_17_or_47_decision_starts_the_clock_and_no_further_action_does_not(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    sd = _held(mash, agencies, [amy, ben], london(2026, 12, 1, 10))
    amys = _decide(sd, amy, "s47_single", london(2026, 12, 1, 11), mash)
    bens = _decide(sd, ben, "nfa", london(2026, 12, 1, 11, 5), mash)
    assert amys.assessment_due_at == DUE == thresholds.assessment_due_at(REFERRAL)
    assert bens.assessment_due_at is None
    # a decision corrected to no further action stops it; back to section 17, it runs again
    _decide(sd, amy, "nfa", london(2026, 12, 1, 12), mash)
    assert amys.assessment_due_at is None
    _decide(sd, amy, "s17", london(2026, 12, 1, 13), mash)
    assert amys.assessment_due_at == DUE
    assert _assessments() == {amys.id: DUE}


def test_a_corrected_referral_date_moves_the_due_time(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, [amy], london(2026, 12, 1, 10))
    decision = _decide(sd, amy, "s17", london(2026, 12, 1, 11), mash)
    _correct_referral(sd, date(2026, 11, 27), london(2026, 12, 1, 12), mash)
    assert decision.assessment_due_at == london(2027, 2, 3, 17) == thresholds.assessment_due_at(date(2026, 11, 27))
    assert _assessments() == {decision.id: london(2027, 2, 3, 17)}
    # no referral date, no clock (nothing to count 45 working days from); given again, it runs again
    _correct_referral(sd, None, london(2026, 12, 1, 13), mash)
    assert decision.assessment_due_at is None and _assessments() == {}
    _correct_referral(sd, REFERRAL, london(2026, 12, 1, 14), mash)
    assert decision.assessment_due_at == DUE


def test_completion_on_this_decision_or_a_review_about_the_same_referral_stops_the_clock(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    first = _held(mash, agencies, [amy, ben], london(2026, 12, 1, 10))
    review = _held(mash, agencies, [amy], london(2026, 12, 8, 10), kind="review", previous_id=first.id)
    amys = _decide(first, amy, "s47_joint", london(2026, 12, 1, 11), mash)
    bens = _decide(first, ben, "s17", london(2026, 12, 1, 11, 5), mash)
    on_review = _decide(review, amy, "s17", london(2026, 12, 8, 11), mash)
    _complete(on_review, london(2027, 1, 12, 10), mash)
    assert amys.assessment_due_at is None and on_review.assessment_due_at is None
    # Ben's assessment is his own
    assert bens.assessment_due_at == DUE and _assessments() == {bens.id: DUE}
    _complete(bens, london(2027, 1, 12, 11), mash)
    assert _stored() == {} == _assessments()


def test_a_review_about_the_same_referral_does_not_start_a_second_clock(app, signed_in, agencies):
    from safeguarding.dashboard.views import _end_of_today

    _, mash = signed_in(Role.MASH)
    _, other_chair = signed_in(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, [amy], london(2026, 12, 1, 10))
    review = _held(other_chair, agencies, [amy], london(2026, 12, 8, 10), kind="review", previous_id=first.id)
    started = _decide(first, amy, "s47_single", london(2026, 12, 1, 11), mash)
    kept = _decide(review, amy, "s47_single", london(2026, 12, 8, 11), other_chair)
    assert (started.assessment_due_at, kept.assessment_due_at) == (DUE, None)
    at = london(2027, 1, 25, 9)
    with clock.frozen_at(at):
        for owners, expected in (([mash.id], 1), ([other_chair.id], 0), ([mash.id, other_chair.id], 1)):
            counts, first_rows = deadlines.owned(owners, now=at, end_of_today=_end_of_today(at), due_before=LATER,
                                                 limit=10)
            assert [d.object_id for d in first_rows if d.kind == "assessment"] == [started.id] * expected
            assert sum(counts) == len(first_rows)
        assert _assessments() == {started.id: DUE}
    # the first decision corrected to no further action: the review's section 47 decision holds the clock now
    _decide(first, amy, "nfa", london(2026, 12, 9, 9), mash)
    assert (started.assessment_due_at, kept.assessment_due_at) == (None, DUE)
    assert _assessments(owner_ids=[other_chair.id]) == {kept.id: DUE} == _derived()


def test_a_referral_date_corrected_to_another_discussions_joins_its_assessment(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, [amy], london(2026, 12, 1, 10))
    later = _held(mash, agencies, [amy], london(2026, 12, 3, 10), referral_received_on=date(2026, 12, 2))
    started = _decide(first, amy, "s17", london(2026, 12, 1, 11), mash)
    second = _decide(later, amy, "s17", london(2026, 12, 3, 11), mash)
    assert second.assessment_due_at == thresholds.assessment_due_at(date(2026, 12, 2))
    # it was the same referral after all: one assessment, counted from it
    _correct_referral(later, REFERRAL, london(2026, 12, 3, 12), mash)
    assert (started.assessment_due_at, second.assessment_due_at) == (DUE, None)
    # and back: the first referral's clock stays where it was, the second starts again
    _correct_referral(later, date(2026, 12, 2), london(2026, 12, 3, 13), mash)
    assert started.assessment_due_at == DUE
    assert second.assessment_due_at == thresholds.assessment_due_at(date(2026, 12, 2))
    assert _stored() == _derived()


def test_the_sweep_reads_the_due_time_by_range_and_where_a_catch_up_starts(signed_in, agencies):
    from safeguarding.discussions.deadlines import earliest_due

    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, [amy], london(2026, 12, 1, 10))
    decision = _decide(sd, amy, "s17", london(2026, 12, 1, 11), mash)
    with clock.frozen_at(london(2027, 1, 27, 18)):
        assert _assessments(due_before=DUE) == {}
        assert _assessments(due_before=DUE + timedelta(seconds=1)) == {decision.id: DUE}
        window = {d.object_id for d in open_deadlines(due_before=DUE + timedelta(hours=1), due_from=DUE)
                  if d.kind == "assessment"}
        assert window == {decision.id}
        assert not [d for d in open_deadlines(due_before=LATER, due_from=DUE + timedelta(seconds=1))
                    if d.kind == "assessment"]
        assert earliest_due(due_before=LATER) <= DUE


def test_a_referral_received_on_a_sunday_is_swept_on_the_day_it_falls_due(signed_in, agencies):
    # Due 45 working days after Sunday 22 November 2026: 17:00 on 27 January 2027, as for the Friday before. Derived
    # from the referral date, a sweep's slice ending that evening looked back only to the Saturday and never saw it.
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sunday = date(2026, 11, 22)
    sd = _held(mash, agencies, [amy], london(2026, 12, 1, 10), referral_received_on=sunday)
    decision = _decide(sd, amy, "s17", london(2026, 12, 1, 11), mash)
    assert decision.assessment_due_at == DUE == thresholds.assessment_due_at(sunday)
    evening = london(2027, 1, 27, 18)
    with clock.frozen_at(evening):
        found = [d.object_id for d in open_deadlines(due_before=evening, due_from=evening - timedelta(days=1))
                 if d.kind == "assessment"]
        assert found == [decision.id]
        assert _assessments(owner_ids=[mash.id], due_before=evening) == {decision.id: DUE}


@pytest.mark.parametrize("seed", range(6))
def test_the_stored_due_time_is_what_the_rule_derived_from_the_decisions(signed_in, agencies, seed):
    """Random decisions, corrections, completions and corrected referral dates about two children in three
    discussions: after every step the stored due times are exactly the derived rule's, and My work and the sweep
    show them."""
    rng = random.Random(seed)  # nosec B311: a reproducible test sequence
    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    referrals = [REFERRAL, date(2026, 11, 25), None]
    discussions = [_held(mash, agencies, [amy, ben], london(2026, 12, 1, 10)),
                   _held(mash, agencies, [amy, ben], london(2026, 12, 1, 10, 30)),
                   _held(mash, agencies, [amy], london(2026, 12, 1, 11), referral_received_on=date(2026, 11, 25))]
    at = london(2026, 12, 2, 9)
    for _ in range(14):
        at += timedelta(minutes=rng.choice([0, 1, 30]))  # 0: two decisions in the same instant (ordered by id)
        sd = rng.choice(discussions)
        child = rng.choice([c.child for c in sd.children])
        decision = sd.decision_for(child.id)
        step = rng.choice(["decide", "decide", "complete", "referral"])
        if step == "complete" and decision is not None and thresholds.starts_assessment(decision.outcome) \
                and decision.assessment_completed_at is None and sd.referral_received_on is not None:
            _complete(decision, at, mash)
        elif step == "referral":
            _correct_referral(sd, rng.choice(referrals), at, mash)
        else:
            _decide(sd, child, rng.choice(list(thresholds.OUTCOMES)), at, mash)
        derived = _derived()
        assert _stored() == derived
        with clock.frozen_at(at):
            assert _assessments() == derived == _assessments(owner_ids=[mash.id])


# --- Migration 0036 on decisions already recorded -----------------------------------------------------------


@pytest.mark.skipif(USING_POSTGRES, reason="the rows are written with SQLite's own driver between two upgrades")
def test_migration_gives_each_running_assessment_its_due_time_once_per_referral(tmp_path):
    import sqlite3

    from flask_migrate import upgrade

    from safeguarding import create_app

    from .test_discussions_clocks import _insert

    path = tmp_path / "upgraded.sqlite"
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SQLALCHEMY_ENGINE_OPTIONS={}))
    with app.app_context():
        upgrade(revision="0035")
        db.engine.dispose()
    # (decision id, child, discussion, outcome, decided at, completed at); discussions 1 and 2 are about the
    # referral of 20 November, discussion 3 about 25 November, discussion 4 has no referral date
    decisions = [(1, 1, 1, "s47_single", "2026-12-01 11:00:00.000000", None),   # holds child 1's clock
                 (2, 1, 2, "s47_single", "2026-12-08 11:00:00.000000", None),   # its review: no second clock
                 (3, 2, 1, "s17", "2026-12-01 11:00:00.000000", None),          # completed on its review
                 (4, 2, 2, "nfa", "2026-12-08 11:00:00.000000", "2026-12-20 10:00:00.000000"),
                 (5, 1, 3, "s17", "2026-12-02 11:00:00.000000", None),          # another referral: its own
                 (6, 3, 1, "early_help", "2026-12-01 11:00:00.000000", None),   # no assessment
                 (7, 3, 4, "s17", "2026-12-03 11:00:00.000000", None)]          # no referral date
    with sqlite3.connect(path) as conn:
        for child_id in (1, 2, 3):
            _insert(conn, "child", id=child_id, gender="female", looked_after="no")
        for sd_id, referral in ((1, "2026-11-20"), (2, "2026-11-20"), (3, "2026-11-25"), (4, None)):
            _insert(conn, "strategy_discussion", id=sd_id, referral_received_on=referral, kind="initial",
                    status="decided", mode="phone", minutes_status="draft", urgency="standard",
                    harm_category="physical")
        for row_id, child_id, sd_id, outcome, decided_at, completed_at in decisions:
            _insert(conn, "threshold_decision", id=row_id, discussion_id=sd_id, child_id=child_id, outcome=outcome,
                    abe_planned="no", intermediary_considered="no", medical_examination="no", legal_action="none",
                    family_told="told", icpc_status="not_needed", decided_at=decided_at,
                    assessment_completed_at=completed_at)
    with app.app_context():
        upgrade(revision="0036")
        stored = dict(db.session.execute(sa.select(ThresholdDecision.id, ThresholdDecision.assessment_due_at)
                                         .where(ThresholdDecision.assessment_due_at.is_not(None))).all())
        derived = _derived()
        db.session.remove()
        db.engine.dispose()
    assert stored == derived == {1: DUE, 5: thresholds.assessment_due_at(date(2026, 11, 25))}


def test_the_synthetic_partnership_stores_the_due_times_the_rule_derives(app, runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "synthetic-demo-password")
    result = runner.invoke(args=["seed-synthetic", "--scale", "0.01"])
    assert result.exit_code == 0, result.output
    derived = _derived()
    assert derived and _stored() == derived



def test_the_demo_stores_the_due_times_the_rule_derives(app):
    from safeguarding.demo import seed

    with clock.frozen_at(london(2026, 5, 20, 12)):
        seed("harbour-quartz-thistle")
    derived = _derived()
    # the demo's section 17 and 47 stories (and its recent discussions) have assessments running
    assert derived and _stored() == derived
