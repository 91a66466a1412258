"""When reminders fire: instants across weekends, bank holidays and both clock changes (pure rules)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from apscheduler.triggers.cron import CronTrigger

from safeguarding.clock import LONDON
from safeguarding.reminders import rules
from safeguarding.reminders.rules import BEFORE, DUE, ESCALATION, RuleSettings

UTC = timezone.utc
ACTION = rules.default_for("agreed_action")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


def test_escalation_after_a_weekend_lands_on_tuesday_at_the_same_time():
    due = london(2026, 11, 27, 17, 0)  # Friday
    assert rules.escalation_at(due, 2) == london(2026, 12, 1, 17, 0)


def test_escalation_skips_the_august_bank_holiday():
    due = london(2026, 8, 28, 17, 0)  # Friday before bank holiday Monday 31 August
    assert rules.escalation_at(due, 2) == london(2026, 9, 2, 17, 0)


def test_escalation_skips_christmas_and_the_substitute_boxing_day():
    due = london(2026, 12, 24, 12, 0)  # 25th Friday, Boxing Day moved to Monday 28th
    assert rules.escalation_at(due, 2) == london(2026, 12, 30, 12, 0)


def test_escalation_across_the_october_clock_change_keeps_the_london_hour():
    due = london(2026, 10, 23, 17, 0)  # Friday 17:00 BST = 16:00 UTC; clocks go back on Sunday 25th
    escalates = rules.escalation_at(due, 2)
    assert escalates == datetime(2026, 10, 27, 17, 0, tzinfo=UTC)  # Tuesday 17:00 GMT
    assert escalates - due == timedelta(days=4, hours=1)


def test_escalation_across_the_march_clock_change_keeps_the_london_hour():
    due = london(2026, 3, 27, 17, 0)  # Friday 17:00 GMT; clocks go forward on Sunday 29th
    escalates = rules.escalation_at(due, 2)
    assert escalates == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # Tuesday 17:00 BST
    assert escalates - due == timedelta(days=3, hours=23)


def test_reminder_before_is_in_real_hours_across_the_march_change():
    due = london(2026, 3, 29, 12, 0)  # Sunday noon BST, the day the clocks go forward
    before = rules.fire_instants(due, ACTION)[BEFORE]
    assert due - before == timedelta(hours=24)
    assert before.astimezone(LONDON).hour == 11  # Saturday 11:00 GMT: 24 real hours, 23 on the wall clock


def test_levels_become_true_one_after_another_and_stay_true():
    due = london(2026, 11, 27, 17, 0)
    assert rules.levels_true_at(due, ACTION, due - timedelta(hours=25)) == []
    assert rules.levels_true_at(due, ACTION, due - timedelta(hours=24)) == [BEFORE]
    assert rules.levels_true_at(due, ACTION, due - timedelta(seconds=1)) == [BEFORE]
    assert rules.levels_true_at(due, ACTION, due) == [DUE]
    assert rules.levels_true_at(due, ACTION, london(2026, 12, 1, 16, 59)) == [DUE]
    assert rules.levels_true_at(due, ACTION, london(2026, 12, 1, 17, 0)) == [DUE, ESCALATION]


def test_a_rule_without_escalation_or_lead_only_reminds_at_due_time():
    rule = RuleSettings(remind_hours_before=None, remind_at_due=True, escalate_after_working_days=None)
    due = london(2026, 11, 27, 17, 0)
    assert rules.levels_true_at(due, rule, due + timedelta(days=30)) == [DUE]
    assert rules.levels_true_at(due, RuleSettings(is_active=False), due + timedelta(days=30)) == []


def test_short_statutory_clocks_escalate_sooner_than_agreed_actions():
    assert rules.default_for("police_protection").escalate_after_working_days == 0
    assert rules.default_for("agreed_action").escalate_after_working_days == 2
    assert rules.default_for("some_new_kind") == rules.FALLBACK


def test_daily_summary_only_on_working_days_from_the_hour():
    assert rules.digest_day(london(2026, 12, 1, 8, 0), 8) == date(2026, 12, 1)  # Tuesday
    assert rules.digest_day(london(2026, 12, 1, 7, 59), 8) is None
    assert rules.digest_day(london(2026, 11, 28, 9, 0), 8) is None  # Saturday
    assert rules.digest_day(london(2026, 8, 31, 9, 0), 8) is None  # bank holiday Monday
    assert rules.digest_day(london(2026, 3, 30, 8, 0), 8) == date(2026, 3, 30)  # first BST Monday, 07:00 UTC


def test_the_digest_trigger_follows_london_time_across_both_changes():
    trigger = CronTrigger(day_of_week="mon-fri", hour=8, minute=0, timezone=LONDON)
    after_friday = london(2026, 3, 27, 8, 30)
    assert trigger.get_next_fire_time(None, after_friday) == london(2026, 3, 30, 8, 0)
    assert london(2026, 3, 30, 8, 0) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    after_october_friday = london(2026, 10, 23, 8, 30)
    assert trigger.get_next_fire_time(None, after_october_friday) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)


def test_backoff_grows_and_is_capped_at_an_hour():
    assert [rules.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 12)] == [1, 2, 4, 8, 60, 60]


def test_emails_count_known_kinds_in_plain_english_and_never_mis_pluralise_others():
    assert rules.counted("agreed_action", 1) == "1 agreed action"
    assert rules.counted("agreed_action", 2) == "2 agreed actions"
    assert rules.counted("minutes_circulation", 3) == "3 sets of minutes to circulate"
    assert rules.counted("police_protection_48h", 2, "Police protection: 48 hours") == \
        "2 × Police protection: 48 hours"


def test_police_protection_and_epo_reach_the_manager_when_they_end_not_days_later():
    ends = london(2026, 10, 25, 1, 30)  # the repeated hour of the October change
    rule = rules.default_for("police_protection")
    assert rules.fire_instants(ends, rule)[ESCALATION] == ends
    assert rules.levels_true_at(ends, rule, ends) == [DUE, ESCALATION]


# --- Issue 11: escalations on UTC instants, never before the due time ----------------------------------------


def test_escalation_in_the_repeated_october_hour_is_not_an_hour_early():
    due = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 01:30 in London (GMT)
    assert rules.escalation_at(due, 0) == due
    rule = rules.default_for("police_protection")
    assert rules.fire_instants(due, rule)[ESCALATION] == due
    assert rules.levels_true_at(due, rule, due - timedelta(minutes=30)) == [BEFORE]


def test_escalation_from_the_repeated_hour_keeps_the_wall_time_a_working_day_later():
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert rules.escalation_at(first, 1) == rules.escalation_at(second, 1) == datetime(2026, 10, 26, 1, 30,
                                                                                         tzinfo=UTC)


def test_escalation_is_never_before_the_due_time_across_both_clock_changes():
    for start in (datetime(2026, 3, 27, 0, 0, tzinfo=UTC), datetime(2026, 10, 23, 0, 0, tzinfo=UTC)):
        for quarter in range(4 * 24 * 5):
            due = start + timedelta(minutes=15 * quarter)
            for days in (0, 1, 2):
                escalates = rules.escalation_at(due, days)
                assert escalates >= due, (due, days)
                if days:
                    assert to_wall(escalates) == to_wall(due), (due, days)


def to_wall(instant: datetime) -> tuple[int, int]:
    local = instant.astimezone(LONDON)
    return local.hour, local.minute


def test_return_interview_reaches_the_manager_while_the_72_hours_still_run():
    returned = london(2026, 11, 27, 18, 0)  # Friday evening
    unoffered = rules.default_for("return_interview_48h")
    at_48 = returned + timedelta(hours=48)
    assert rules.fire_instants(at_48, unoffered)[ESCALATION] == at_48  # Sunday 18:00, not Tuesday
    due = returned + timedelta(hours=72)
    # at the end of the 72 hours the manager hears at once, not a working day (or two) later
    assert rules.fire_instants(due, rules.default_for("return_interview"))[ESCALATION] == due


def test_icpc_booking_checkpoints_have_rules_and_words():
    for kind in ("icpc_request", "icpc_booking", "icpc_held", "follow_up_meeting", "assessment",
                 "return_interview_48h"):
        assert kind in rules.DEFAULTS and kind in rules.NOUNS
    assert rules.counted("icpc_booking", 2) == "2 initial child protection conferences not yet booked"
