"""The statutory arithmetic, alone: 72 real hours across clock changes, EPO days, the repeat-missing rule."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding.missing import rules

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_rhi_due_across_the_october_clock_change():
    # DOMAIN.md: a return at 18:00 BST on 23 Oct 2026 is due 17:00 GMT on 26 Oct 2026
    due = rules.rhi_due_at(london(2026, 10, 23, 18, 0))
    assert due == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    assert due.astimezone(LONDON).strftime("%d %b %H:%M %Z") == "26 Oct 17:00 GMT"


def test_rhi_due_across_the_march_clock_change():
    # 27 March 2027 18:00 GMT; clocks go forward on 28 March: due 19:00 BST on 30 March
    due = rules.rhi_due_at(london(2027, 3, 27, 18, 0))
    assert due.astimezone(LONDON).strftime("%d %b %H:%M %Z") == "30 Mar 19:00 BST"
    assert due - london(2027, 3, 27, 18, 0) == timedelta(hours=72)


def test_rhi_due_across_a_leap_day():
    due = rules.rhi_due_at(london(2028, 2, 27, 9, 30))
    assert due.astimezone(LONDON) == london(2028, 3, 1, 9, 30)


def test_rhi_due_rejects_naive_times():
    with pytest.raises(ValueError):
        rules.rhi_due_at(datetime(2026, 10, 23, 18, 0))


def test_rhi_in_time_is_inclusive_of_the_72nd_hour():
    returned = london(2026, 6, 1, 12, 0)
    assert rules.rhi_in_time(returned, returned + timedelta(hours=72))
    assert not rules.rhi_in_time(returned, returned + timedelta(hours=72, minutes=1))


def test_police_protection_ends_72_real_hours_later_with_clocks_at_48_and_66():
    start = london(2026, 10, 24, 20, 0)  # BST; clocks go back that night
    assert rules.police_protection_ends_at(start).astimezone(LONDON) == london(2026, 10, 27, 19, 0)
    hours = [(h, t.astimezone(LONDON).strftime("%d %H:%M")) for h, t in rules.police_protection_checkpoints(start)]
    assert hours == [(48, "26 19:00"), (66, "27 13:00"), (72, "27 19:00")]


def test_police_protection_end_checks():
    start = london(2026, 5, 1, 10, 0)
    now = london(2026, 5, 10, 10, 0)
    assert rules.check_police_protection_end(start, start + timedelta(hours=72), now) is False
    with pytest.raises(rules.RuleError, match="lasted more than 72 hours: enter why"):
        rules.check_police_protection_end(start, start + timedelta(hours=72, minutes=1), now)
    with pytest.raises(rules.RuleError, match="after it began"):
        rules.check_police_protection_end(start, start - timedelta(minutes=1), now)
    with pytest.raises(rules.RuleError, match="in the past"):
        rules.check_police_protection_end(start, now + timedelta(minutes=1), now)


def test_epo_lasts_eight_calendar_days_and_one_extension_of_up_to_seven():
    granted = london(2026, 10, 20, 10, 0)  # spans the October change: still 10:00 on the wall clock
    assert rules.epo_expires_at(granted).astimezone(LONDON) == london(2026, 10, 28, 10, 0)
    assert rules.epo_expires_at(granted, 7).astimezone(LONDON) == london(2026, 11, 4, 10, 0)
    with pytest.raises(rules.RuleError):
        rules.epo_expires_at(granted, 8)
    rules.check_epo_extension(False, 7)
    with pytest.raises(rules.RuleError, match="between 1 and 7 days"):
        rules.check_epo_extension(False, 8)
    with pytest.raises(rules.RuleError, match="extended only once"):
        rules.check_epo_extension(True, 3)


def test_return_and_offer_order():
    reported, now = london(2026, 5, 1, 10, 0), london(2026, 5, 3, 10, 0)
    rules.check_return(reported, reported + timedelta(hours=5), now)
    with pytest.raises(rules.RuleError, match="after the child was reported missing"):
        rules.check_return(reported, reported - timedelta(minutes=1), now)
    with pytest.raises(rules.RuleError, match="in the past"):
        rules.check_return(reported, now + timedelta(minutes=1), now)
    with pytest.raises(rules.RuleError, match="after the child was found or returned"):
        rules.check_offer(reported, reported - timedelta(minutes=1), now)


def test_repeat_missing_at_exactly_three_in_thirty_days_and_not_three_in_thirty_one():
    first = london(2026, 1, 1, 22, 0)
    second = london(2026, 1, 15, 3, 0)
    assert rules.is_repeat_missing([first, second, london(2026, 1, 30, 23, 0)], london(2026, 1, 30, 23, 30))
    assert not rules.is_repeat_missing([first, second, london(2026, 1, 31, 1, 0)], london(2026, 1, 31, 2, 0))
    assert not rules.is_repeat_missing([first, second], london(2026, 1, 20))


def test_repeat_missing_counts_every_episode_in_a_window_around_the_episode_and_respects_local_settings():
    times = [london(2026, 3, d, 12) for d in (1, 2, 3, 4)]
    # the window of 1 to 30 March contains the episode of the 2nd and all four episodes
    assert rules.is_repeat_missing(times, london(2026, 3, 2, 12))
    assert not rules.is_repeat_missing(times[:2], london(2026, 3, 2, 12))
    assert rules.is_repeat_missing(times, london(2026, 3, 4, 12), threshold=4, window_days=7)
    assert not rules.is_repeat_missing(times, london(2026, 3, 4, 12), threshold=5, window_days=7)
    assert not rules.is_repeat_missing(times, london(2026, 3, 4, 12), threshold=3, window_days=1)


def test_repeat_missing_window_around_an_episode_not_yet_in_the_list():
    later = [london(2026, 11, d, 12) for d in (5, 6)]
    assert rules.repeat_missing_window(later + [london(2026, 11, 4, 9)], london(2026, 11, 4, 9)) == \
        [london(2026, 11, 4, 9)] + later
    assert rules.repeat_missing_window(later + [london(2026, 11, 7, 9)], london(2026, 11, 4, 9)) == \
        later + [london(2026, 11, 7, 9)]
