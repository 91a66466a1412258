"""Dates on a discussion that must make sense together: the pure rules, each naming the other date."""
from datetime import date

from safeguarding.discussions.dates import (
    ChildDates,
    discussion_date_problems,
    due_date_needs_confirming,
    seen_date_problem,
)

TODAY = date(2026, 12, 1)
AMY = ChildDates("Amy Example", date(2020, 3, 4))


def test_a_sensible_discussion_has_no_problems():
    assert discussion_date_problems(date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 1), [AMY], TODAY) == []


def test_the_1990_discussion_names_the_referral_the_decision_to_convene_and_the_birth():
    problems = discussion_date_problems(date(1990, 1, 1), date(2026, 12, 1), date(2026, 11, 30), [AMY], TODAY)
    assert problems == [
        ("scheduled_date", ("Date of the discussion must be the same as or after the date the referral was received "
                           "(1 December 2026)")),
        ("scheduled_date", ("Date of the discussion must be the same as or after the decision to convene it "
                           "(30 November 2026)")),
        ("scheduled_date", ("Date of the discussion must be the same as or after Amy Example's date of birth "
                           "(4 March 2020)")),
    ]


def test_a_referral_cannot_be_received_in_the_future():
    assert discussion_date_problems(None, date(2026, 12, 2), None, [], TODAY) == [
        ("referral_received_on", "Date the referral was received must be today or in the past")]


def test_an_unborn_baby_is_discussed_during_the_pregnancy_not_before_it():
    baby = ChildDates("Baby Example", None, is_unborn=True, expected_on=date(2027, 3, 1))
    assert discussion_date_problems(date(2026, 12, 2), None, None, [baby], TODAY) == []
    assert discussion_date_problems(date(2025, 1, 1), None, None, [baby], TODAY) == [
        ("scheduled_date", ("Date of the discussion must be during the pregnancy: Baby Example is expected on "
                           "1 March 2027"))]


def test_a_child_is_seen_after_birth_and_not_in_the_future():
    assert seen_date_problem(date(1900, 1, 1), AMY, TODAY) == (
        "Date the child was seen must be the same as or after Amy Example's date of birth (4 March 2020)")
    assert seen_date_problem(date(2026, 12, 2), AMY, TODAY) == "Date the child was seen must be today or in the past"
    assert seen_date_problem(TODAY, AMY, TODAY) is None and seen_date_problem(None, AMY, TODAY) is None


def test_a_due_date_more_than_a_year_ahead_needs_confirming():
    assert not due_date_needs_confirming(date(2027, 12, 1), TODAY)
    assert due_date_needs_confirming(date(2027, 12, 3), TODAY)
