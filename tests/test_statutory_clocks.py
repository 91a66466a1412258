"""Issue 11: statutory clocks that start, move and stop with the facts. Each test is an example from the issue
that the old rules got wrong (pure rules: no Flask, no database)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding.discussions import thresholds
from safeguarding.missing import rules

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


# --- Missing children and emergency powers -------------------------------------------------------------------


def test_a_late_entry_for_10_november_between_1_and_20_november_prompts_a_discussion():
    first, third = london(2026, 11, 1, 22, 0), london(2026, 11, 20, 23, 0)
    late_entry = london(2026, 11, 10, 19, 0)
    times = [first, third, late_entry]  # in order of entry
    assert rules.is_repeat_missing(times, late_entry)
    assert rules.repeat_missing_window(times, late_entry) == [first, late_entry, third]
    # the entries made before it had no prompt, and none is invented for them
    assert not rules.is_repeat_missing([first, third], third)


def test_repeat_missing_window_holds_the_episode_and_spans_30_london_days():
    times = [london(2026, 11, 1, 9), london(2026, 11, 30, 21), london(2026, 12, 1, 9)]
    # 1 Nov to 30 Nov is 30 days; 1 Dec is the 31st
    assert rules.repeat_missing_window(times, times[1]) == []
    assert rules.repeat_missing_window(times + [london(2026, 11, 15)], times[1]) == sorted(
        times[:2] + [london(2026, 11, 15)])
    # a window that does not contain the episode does not count for it
    assert not rules.is_repeat_missing(times + [london(2026, 11, 2), london(2026, 11, 3)], london(2026, 12, 20))


def test_police_protection_beyond_72_hours_is_recorded_as_a_breach_with_a_reason():
    start = london(2026, 11, 27, 10, 0)
    end = start + timedelta(hours=75)
    now = london(2026, 12, 1, 9, 0)
    assert rules.police_protection_breached(start, end)
    assert not rules.police_protection_breached(start, start + timedelta(hours=72))
    assert rules.check_police_protection_end(start, end, now, breach_reason="No placement found until Monday")
    with pytest.raises(rules.RuleError, match="enter why"):
        rules.check_police_protection_end(start, end, now, breach_reason="  ")


def test_return_home_interview_reaches_a_manager_at_48_hours_if_nothing_is_offered():
    returned = london(2026, 10, 23, 18, 0)  # BST; the clocks go back on the 25th: 48 real hours
    assert rules.rhi_escalation_at(returned) == london(2026, 10, 25, 17, 0)
    assert rules.rhi_escalation_at(returned) < rules.rhi_due_at(returned)
    at_48 = rules.rhi_escalation_at(returned)
    assert not rules.rhi_needs_escalation(returned, [], at_48 - timedelta(minutes=1))
    assert rules.rhi_needs_escalation(returned, [], at_48)
    declined = london(2026, 10, 24, 10, 0)
    assert not rules.rhi_needs_escalation(returned, [declined], at_48)
    assert rules.rhi_needs_escalation(returned, [at_48 + timedelta(hours=1)], at_48 + timedelta(hours=2))


def test_a_lapsed_emergency_protection_order_cannot_be_extended():
    expired = london(2026, 11, 28, 10, 0)
    with pytest.raises(rules.RuleError, match="lapsed .* only be extended while it is in force"):
        rules.epo_extension_latest_end(expired, london(2026, 12, 1, 9, 0))
    with pytest.raises(rules.RuleError, match="lapsed"):
        rules.epo_extension_latest_end(expired, expired)
    assert rules.epo_extension_latest_end(expired, expired - timedelta(minutes=1)) == london(2026, 12, 5, 10, 0)


def test_an_extension_is_at_most_7_days_from_the_stated_end_and_once():
    ends = london(2026, 10, 22, 15, 0)  # BST; 7 days later is GMT, same wall time
    at = london(2026, 10, 21, 9, 0)
    assert rules.epo_extension_latest_end(ends, at) == london(2026, 10, 29, 15, 0)
    rules.check_epo_extension_end(ends, london(2026, 10, 29, 15, 0), at, already_extended=False)
    with pytest.raises(rules.RuleError, match="at most 7 days"):
        rules.check_epo_extension_end(ends, london(2026, 10, 29, 15, 1), at, already_extended=False)
    with pytest.raises(rules.RuleError, match="after the order's current end"):
        rules.check_epo_extension_end(ends, ends, at, already_extended=False)
    with pytest.raises(rules.RuleError, match="only once"):
        rules.check_epo_extension_end(ends, london(2026, 10, 25, 15, 0), at, already_extended=True)


def test_a_court_specified_3_day_order_is_accepted_and_expires_when_the_court_said():
    granted = london(2026, 12, 1, 15, 0)
    three_days = london(2026, 12, 4, 15, 0)
    rules.check_epo_end(granted, three_days)
    with pytest.raises(rules.RuleError, match="at most 8 days: the end must be no later than 9 December 2026 15:00"):
        rules.check_epo_end(granted, london(2026, 12, 9, 15, 1))
    with pytest.raises(rules.RuleError, match="after it was granted"):
        rules.check_epo_end(granted, granted)


def test_epo_latest_end_is_8_days_on_the_wall_clock():
    assert rules.epo_latest_end(london(2026, 12, 1, 15, 0)) == london(2026, 12, 9, 15, 0)
    assert rules.epo_latest_end(london(2026, 10, 20, 10, 0)) == london(2026, 10, 28, 10, 0)  # across the change


def test_epo_noon_rule_when_the_eighth_day_is_a_public_holiday():
    # 8th day Sunday 6 Dec 2026: noon on Monday 7 Dec
    assert rules.epo_latest_end(london(2026, 11, 28, 15, 0)) == london(2026, 12, 7, 12, 0)
    # 8th day Christmas Day (Friday): Saturday 26th is not a public holiday in s45(2), so noon on the 26th
    assert rules.epo_latest_end(london(2026, 12, 17, 9, 0)) == london(2026, 12, 26, 12, 0)
    # 8th day Sunday 27 Dec, then the substitute bank holiday on Monday 28th: noon on Tuesday 29th
    assert rules.epo_latest_end(london(2026, 12, 19, 18, 0)) == london(2026, 12, 29, 12, 0)
    # 8th day Good Friday 26 March 2027: Saturday is not a holiday, so noon on Saturday 27th
    assert rules.epo_latest_end(london(2027, 3, 18, 11, 0)) == london(2027, 3, 27, 12, 0)
    # a Saturday 8th day is not a public holiday: no noon rule
    assert rules.epo_latest_end(london(2026, 11, 27, 15, 0)) == london(2026, 12, 5, 15, 0)


def test_epo_after_police_protection_runs_8_days_from_its_first_day():
    protected = london(2026, 11, 27, 22, 0)  # Friday night: day 1
    granted = london(2026, 11, 30, 11, 0)  # Monday
    # days 27 Nov to 4 Dec: ends at the end of Friday 4 December, not 8 days after the grant
    assert rules.epo_latest_end(granted, police_protection_started_at=protected) == london(2026, 12, 5, 0, 0)
    assert rules.epo_latest_end(granted) == london(2026, 12, 8, 11, 0)
    # the 8th day a Sunday: noon on Monday
    assert rules.epo_latest_end(london(2026, 12, 1, 10), police_protection_started_at=london(2026, 11, 29, 3)) == \
        london(2026, 12, 7, 12, 0)
    with pytest.raises(rules.RuleError, match="must have begun before"):
        rules.epo_latest_end(granted, police_protection_started_at=granted + timedelta(hours=1))
    with pytest.raises(rules.RuleError, match="ended before the order was granted"):
        rules.epo_latest_end(london(2026, 12, 10, 9), police_protection_started_at=protected)


def test_an_arrest_asks_about_exploitation_with_no_answer_set():
    now = london(2026, 12, 1, 9, 0)
    rules.check_arrest(now - timedelta(hours=2), "not_known", now)
    with pytest.raises(rules.RuleError, match="signs that the child is being exploited"):
        rules.check_arrest(now - timedelta(hours=2), None, now)
    with pytest.raises(rules.RuleError, match="in the past"):
        rules.check_arrest(now + timedelta(hours=2), "no", now)


# --- Section 47 enquiry: a life of its own --------------------------------------------------------------------


def test_a_new_initial_discussion_after_an_unclosed_enquiry_gets_its_own_clock():
    september = date(2026, 9, 1)
    # old behaviour, kept for reviews: the enquiry under way is continued
    review = thresholds.enquiry_start("s47_single", date(2026, 11, 30), september)
    assert not review.starts_here and review.started_on == september
    new = thresholds.enquiry_start("s47_single", date(2026, 11, 30), september, initial=True)
    assert new.starts_here and new.started_on == date(2026, 11, 30)
    assert thresholds.icpc_due_on(new.started_on) == date(2026, 12, 21)


def test_an_enquiry_with_a_recorded_outcome_is_not_continued():
    september = date(2026, 9, 1)
    start = thresholds.enquiry_start("s47_joint", date(2026, 11, 30), september,
                                     open_enquiry_ended_on=date(2026, 9, 20))
    assert start.starts_here and start.started_on == date(2026, 11, 30)


def test_an_outcome_other_than_a_conference_ends_the_icpc_clock():
    assert thresholds.icpc_still_needed(None) and thresholds.icpc_still_needed("icpc")
    for outcome in ("child_in_need", "no_further_action", "not_substantiated"):
        assert not thresholds.icpc_still_needed(outcome)
    today = date(2026, 11, 30)
    thresholds.check_enquiry_outcome("not_substantiated", "Accidental injury, explained", date(2026, 9, 20),
                                     date(2026, 9, 1), today)
    with pytest.raises(thresholds.RuleError, match="Select the outcome"):
        thresholds.check_enquiry_outcome(None, "x", today, date(2026, 9, 1), today)
    with pytest.raises(thresholds.RuleError, match="Enter the reasons"):
        thresholds.check_enquiry_outcome("no_further_action", " ", today, date(2026, 9, 1), today)
    with pytest.raises(thresholds.RuleError, match="on or after the enquiry started"):
        thresholds.check_enquiry_outcome("no_further_action", "x", date(2026, 8, 31), date(2026, 9, 1), today)
    with pytest.raises(thresholds.RuleError, match="today or in the past"):
        thresholds.check_enquiry_outcome("no_further_action", "x", date(2026, 12, 1), date(2026, 9, 1), today)


def test_conference_dates_are_checked():
    started = date(2026, 12, 1)
    with pytest.raises(thresholds.RuleError, match="on or after the strategy discussion") as refused:
        thresholds.check_conference_booking(date(2020, 1, 1), started)
    assert refused.value.field == "icpc_date"
    thresholds.check_conference_booking(date(2026, 12, 22), started)  # the due date itself is on time
    with pytest.raises(thresholds.RuleError, match=r"after its due date \(22 December 2026\)"):
        thresholds.check_conference_booking(date(2026, 12, 23), started)
    thresholds.check_conference_booking(date(2026, 12, 23), started, late_reason="Chair unavailable")
    assert thresholds.conference_is_late(date(2026, 12, 23), started)
    # booked is followed by held: confirmed on or after its date, chased from 17:00 that day
    with pytest.raises(thresholds.RuleError, match="confirm it was held on or after"):
        thresholds.check_conference_held(date(2026, 12, 18), date(2026, 12, 17))
    thresholds.check_conference_held(date(2026, 12, 18), date(2026, 12, 18))
    assert thresholds.conference_held_due_at(date(2026, 12, 18)) == london(2026, 12, 18, 17, 0)


def test_correcting_the_discussion_date_moves_every_clock_it_drives():
    before = thresholds.discussion_clocks(london(2026, 12, 1, 10, 0), follow_up_asked=True, starts_enquiry=True)
    assert before.icpc_due_on == date(2026, 12, 22)
    after = thresholds.discussion_clocks(london(2026, 11, 20, 10, 0), follow_up_asked=True, starts_enquiry=True)
    assert after.icpc_due_on == date(2026, 12, 11) and after.icpc_due_at == london(2026, 12, 11, 17, 0)
    assert after.circulation_due_at == london(2026, 11, 23, 17, 0)
    assert after.follow_up_meeting_due_at == london(2026, 11, 27, 17, 0)
    plain = thresholds.discussion_clocks(london(2026, 11, 20, 10, 0))
    assert plain.follow_up_meeting_due_at is None and plain.icpc_due_on is None


def test_decision_to_convene_and_end_time_are_checked():
    decided, held = london(2026, 12, 1, 9, 0), london(2026, 12, 1, 11, 0)
    thresholds.check_discussion_times(decided, held, held + timedelta(hours=1))
    thresholds.check_discussion_times(decided, held, None)
    with pytest.raises(thresholds.RuleError, match="after the decision to convene"):
        thresholds.check_discussion_times(held, decided, None)
    with pytest.raises(thresholds.RuleError, match="ended must be after it started"):
        thresholds.check_discussion_times(decided, held, held)
