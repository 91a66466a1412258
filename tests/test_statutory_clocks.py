"""Issue 11: statutory clocks that start, move and stop with the facts. Each test is an example from the issue
that the old rules got wrong (pure rules: no Flask, no database)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from safeguarding.discussions import thresholds

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


def london(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold).astimezone(UTC)


# --- Working-day clocks end at 17:00 London ------------------------------------------------------------------


def test_out_of_hours_discussion_at_01_30_saturday_is_due_for_circulation_17_00_monday():
    due = thresholds.circulation_due_at(london(2026, 11, 28, 1, 30))
    assert due == london(2026, 11, 30, 17, 0)
    assert due != london(2026, 11, 30, 1, 30)


def test_circulation_counts_from_the_london_date_not_the_utc_date():
    # 00:30 BST on Friday 23 Oct is still Thursday 22 Oct in UTC: due Monday, not Friday
    assert thresholds.circulation_due_at(london(2026, 10, 23, 0, 30)) == london(2026, 10, 26, 17, 0)
    assert thresholds.circulation_due_at(london(2026, 10, 23, 0, 30), working_days=2) == london(2026, 10, 27, 17, 0)


def test_circulation_in_the_repeated_october_hour_is_due_17_00_gmt_monday():
    held = london(2026, 10, 25, 1, 30, fold=1)  # the second 01:30, GMT
    assert thresholds.circulation_due_at(held) == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)


# --- Assessment: 45 working days from the referral ------------------------------------------------------------


def test_assessment_is_due_45_working_days_after_the_referral_across_christmas():
    # 1 Dec 2026: 45 working days, skipping 25 and 28 Dec 2026 and 1 Jan 2027
    assert thresholds.assessment_due_on(date(2026, 12, 1)) == date(2027, 2, 5)
    assert thresholds.assessment_due_at(date(2026, 12, 1)) == datetime(2027, 2, 5, 17, 0, tzinfo=UTC)


def test_assessment_is_started_by_a_section_17_or_47_decision_only():
    assert thresholds.starts_assessment("s17")
    assert thresholds.starts_assessment("s47_single") and thresholds.starts_assessment("s47_joint")
    assert not any(thresholds.starts_assessment(o) for o in ("nfa", "early_help", "police_only", None))


# --- ICPC reminders that leave time to book -------------------------------------------------------------------


def test_icpc_is_requested_within_1_working_day_and_chased_at_10_so_it_can_still_be_booked():
    # Section 47 decided Tuesday 1 Dec 2026; due 22 Dec (15 working days)
    points = thresholds.icpc_checkpoints(date(2026, 12, 1))
    assert points == [("icpc_request", london(2026, 12, 2, 17, 0)),
                      ("icpc_booking", london(2026, 12, 15, 17, 0)),
                      ("icpc", london(2026, 12, 22, 17, 0))]
    # at the 10-working-day reminder, 5 working days remain to hold the conference
    assert thresholds.icpc_due_on(date(2026, 12, 1)) - date(2026, 12, 15) == timedelta(days=7)


def test_icpc_for_the_late_november_enquiry_is_due_21_december():
    # the new initial discussion on 30 Nov deciding section 47 gets its own clock
    assert thresholds.icpc_due_on(date(2026, 11, 30)) == date(2026, 12, 21)
    # and the corrected discussion date of 20 Nov moves the ICPC to 11 Dec
    assert thresholds.icpc_due_on(date(2026, 11, 20)) == date(2026, 12, 11)


# --- Follow-up strategy meeting: met only by a meeting held by its due time ----------------------------------


def test_a_review_set_three_weeks_late_does_not_meet_the_follow_up_clock():
    phone = london(2026, 12, 1, 10, 0)
    due = thresholds.follow_up_meeting_due_at(phone)
    assert due == london(2026, 12, 8, 17, 0)
    late_meeting = london(2026, 12, 22, 10, 0)
    # convened for three weeks later: still chased, and shown for what it is
    assert thresholds.follow_up_meeting_state(due, [late_meeting], london(2026, 12, 2, 9, 0)) == "booked_late"
    assert thresholds.follow_up_meeting_state(due, [late_meeting], london(2026, 12, 9, 9, 0)) == "booked_late"
    assert "booked_late" in thresholds.FOLLOW_UP_CHASED
    # once held, the clock closes as late
    assert thresholds.follow_up_meeting_state(due, [late_meeting], london(2026, 12, 22, 11, 0)) == "late"
    assert "late" not in thresholds.FOLLOW_UP_CHASED


def test_a_meeting_held_by_the_due_time_meets_the_follow_up_clock():
    due = london(2026, 12, 8, 17, 0)
    assert thresholds.follow_up_meeting_state(due, [], london(2026, 12, 2)) == "open"
    assert thresholds.follow_up_meeting_state(due, [], due) == "overdue"
    in_time = london(2026, 12, 8, 16, 0)
    assert thresholds.follow_up_meeting_state(due, [in_time], london(2026, 12, 2)) == "booked"
    assert "booked" not in thresholds.FOLLOW_UP_CHASED
    assert thresholds.follow_up_meeting_state(due, [in_time], london(2026, 12, 8, 16, 0)) == "met"
    assert thresholds.follow_up_meeting_state(due, [due], due) == "met"
    # the first meeting held is the one that counts
    assert thresholds.follow_up_meeting_state(due, [london(2026, 12, 20), in_time], london(2026, 12, 21)) == "met"
    assert set(thresholds.FOLLOW_UP_STATES) >= {"open", "booked", "met", "booked_late", "overdue", "late"}
