from datetime import date

from safeguarding.workdays import add_working_days, is_working_day, working_days_between


def test_weekend_is_skipped():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert add_working_days(friday, 5) == date(2026, 12, 4)


def test_christmas_and_boxing_day_substitute_2026():
    # 25 Dec 2026 is a Friday; Boxing Day falls on Saturday so Monday 28 Dec is the substitute holiday.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_easter_2027():
    # Good Friday 26 March 2027, Easter Monday 29 March 2027.
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)


def test_range_spanning_new_year():
    # 23 Dec 2026 (Wed) + 15 working days skips 25, 28 Dec and 1 Jan 2027.
    assert add_working_days(date(2026, 12, 23), 15) == date(2027, 1, 18)
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 18)) == 15


def test_between_is_inverse_of_add():
    start = date(2026, 5, 1)  # Friday before the early May bank holiday
    for n in range(0, 40):
        assert working_days_between(start, add_working_days(start, n)) == n


def test_negative_and_empty_ranges():
    assert add_working_days(date(2026, 11, 30), -1) == date(2026, 11, 27)
    assert working_days_between(date(2026, 11, 30), date(2026, 11, 30)) == 0
    assert working_days_between(date(2026, 12, 1), date(2026, 11, 30)) == 0


def test_public_holidays_for_the_emergency_protection_order_noon_rule():
    from safeguarding.workdays import is_public_holiday

    assert is_public_holiday(date(2026, 12, 25))  # Friday Christmas Day
    assert not is_public_holiday(date(2026, 12, 26))  # Saturday Boxing Day: the bank holiday is Monday 28th
    assert is_public_holiday(date(2026, 12, 27)) and is_public_holiday(date(2026, 12, 28))  # Sunday, substitute
    assert is_public_holiday(date(2027, 12, 25))  # Saturday Christmas Day is still Christmas Day
    assert is_public_holiday(date(2027, 3, 26))  # Good Friday
    assert not is_public_holiday(date(2027, 1, 2))  # a Saturday
    assert not is_public_holiday(date(2022, 1, 1))  # Saturday New Year's Day: Monday 3rd is the bank holiday
