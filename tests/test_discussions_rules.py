"""The pure rules: thresholds (ICPC, circulation, timescales, minimum agencies) and the vague-language flag."""
from datetime import date, datetime, timezone

import pytest

from safeguarding.discussions import thresholds
from safeguarding.discussions.vague_language import DEFAULT_PHRASES, flag, phrases_found

UTC = timezone.utc


def test_icpc_is_15_working_days_after_the_discussion_across_christmas_and_new_year():
    # Tue 15 Dec 2026; bank holidays Fri 25 Dec, Mon 28 Dec (Boxing Day substitute), Fri 1 Jan 2027.
    assert thresholds.icpc_due_on(date(2026, 12, 15)) == date(2027, 1, 8)
    # Due by close of business in London (GMT in January: 17:00 UTC).
    assert thresholds.icpc_due_at(date(2026, 12, 15)) == datetime(2027, 1, 8, 17, 0, tzinfo=UTC)


def test_icpc_due_is_17_00_bst_in_summer():
    assert thresholds.icpc_due_at(date(2026, 6, 1)) == datetime(2026, 6, 22, 16, 0, tzinfo=UTC)


def test_initiating_discussion_starts_the_enquiry_and_a_review_does_not_restart_it():
    initial = thresholds.enquiry_start("s47_single", date(2026, 12, 15), None)
    assert initial.starts_here and initial.started_on == date(2026, 12, 15)
    review = thresholds.enquiry_start("s47_joint", date(2027, 1, 4), initial.started_on)
    assert not review.starts_here and review.started_on == date(2026, 12, 15)
    assert thresholds.icpc_due_on(review.started_on) == date(2027, 1, 8)
    assert thresholds.enquiry_start("s17", date(2027, 1, 4), initial.started_on) is None


def test_circulation_is_due_by_17_00_on_the_next_working_day():
    friday_2pm_bst = datetime(2026, 10, 23, 13, 0, tzinfo=UTC)
    assert thresholds.circulation_due_at(friday_2pm_bst) == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)  # GMT now
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert thresholds.circulation_due_at(christmas_eve) == datetime(2026, 12, 29, 17, 0, tzinfo=UTC)


def test_timescale_for_holding_the_discussion():
    friday = date(2026, 10, 23)
    assert thresholds.latest_start_on(friday, urgent=True) == friday
    assert thresholds.latest_start_on(friday, urgent=False) == date(2026, 10, 26)
    assert thresholds.latest_start_on(friday, urgent=False, working_days=9) == date(2026, 10, 28)  # at most 3


def test_minimum_agencies():
    assert thresholds.missing_minimum_agencies({"childrens_social_care", "police", "health"}) == []
    assert thresholds.missing_minimum_agencies({"childrens_social_care", "education"}) == ["Police", "Health"]


@pytest.mark.parametrize("text,expected", [
    ("Home conditions were poor.", ["Home conditions were poor"]),
    ("The child appeared   fine and there were NO CONCERNS", ["appeared   fine", "NO CONCERNS"]),
    ("She is putting herself at risk; a lifestyle choice", ["putting herself at risk", "lifestyle choice"]),
    ("Unsanitary, with a foul smell and a fire hazard", []),
    ("no concernsabout", []),
])
def test_vague_phrases_are_found_as_written(text, expected):
    assert phrases_found(text) == expected


def test_longer_phrase_wins_and_positions_are_given():
    matches = flag("There were no concerns noted today", DEFAULT_PHRASES)
    assert [(m.phrase, m.start, m.end) for m in matches] == [("no concerns noted", 11, 28)]
    assert flag("", DEFAULT_PHRASES) == [] and flag(None) == []


def test_a_partnership_list_replaces_the_defaults():
    assert phrases_found("It was a parenting issue, frankly grim", ["frankly grim"]) == ["frankly grim"]


def test_of_two_overlapping_phrases_of_one_length_the_same_one_is_flagged_whatever_the_lists_order():
    # the first in alphabetical order, in every process (the list's order, or a set's, must not decide it)
    text = "The home was cold and damp today"
    for phrases in (["cold and damp", "home was cold"], ["home was cold", "cold and damp"]):
        assert [m.phrase for m in flag(text, phrases)] == ["cold and damp"]
    # eight such pairs: an order left to chance would get all eight right one time in 256
    pairs = [(f"seen at {n} am", f"{n} am on foot") for n in range(10, 18)]
    found = flag(". ".join(f"seen at {n} am on foot" for n in range(10, 18)), [p for pair in pairs for p in pair])
    assert [m.phrase for m in found] == [second for _, second in pairs]
