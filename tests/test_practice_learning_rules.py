"""The practice-learning report's pure rules: quarters, suppression, rates, age bands, deadline calendars."""
from __future__ import annotations

from datetime import date

import pytest

from safeguarding.reports import learning_rules as rules
from safeguarding.reports.sql import london_date_of_stored
from safeguarding.workdays import add_working_days, is_working_day


def test_small_numbers_are_withheld_but_zero_is_not():
    assert [rules.shown(n) for n in (0, 1, 4, 5, 120)] == ["0", "[c]", "[c]", "5", "120"]
    assert rules.shown(None) == "–"


def test_a_rate_is_withheld_when_either_of_its_numbers_is():
    assert rules.Figure(3, 40).text == "[c] of 40 ([c])"
    assert rules.Figure(6, 8).text == "6 of 8 (75%)"
    assert rules.Figure(0, 4).text == "0 of [c] ([c])"
    assert rules.Figure(0, 12).text == "0 of 12 (0%)"
    assert rules.Figure(0, 0).text == "No records" and rules.Figure(0, 0).rate is None
    assert rules.Figure(5, 5).rate == 100


def test_a_breakdown_withholds_a_second_count_when_one_could_be_worked_out_from_the_total():
    assert rules.withheld([6, 5, 1, 0]) == [False, True, True, False]  # the smallest other above 0
    assert rules.withheld([6, 3, 2, 0]) == [False, True, True, False]  # two withheld already
    assert rules.withheld([9, 7, 0]) == [False, False, False]
    assert rules.withheld([3, 0, 0]) == [True, False, False]  # nothing else to withhold: the total is 3 anyway
    assert rules.withheld([]) == []


def test_a_quarter_cannot_be_worked_out_from_the_period_and_the_other_quarters():
    quarters = rules.trend_quarters(date(2026, 12, 31))[-4:]
    figures = [rules.Figure(2, 8), rules.Figure(6, 10), rules.Figure(7, 12), rules.Figure(0, 0)]
    # a year of whole quarters: its figure (15 of 30) is the quarters' sum, so with the 2 the next smallest met (6)
    # is withheld too, or 15 - 6 - 7 would give it away; their rates with them
    year = rules.adds_up_to_period(quarters, date(2026, 1, 1), date(2026, 12, 31))
    assert year == [True, True, True, True]
    assert rules.trend_texts(figures, year) == [("[c]", "8", "[c]", None), ("[c]", "10", "[c]", None),
                                                ("7", "12", "58%", 58), ("0", "0", "–", None)]
    # a period that is not whole quarters is not their sum: only the small count is withheld
    part = rules.adds_up_to_period(quarters, date(2026, 1, 15), date(2026, 12, 31))
    assert part == [False] * 4
    assert rules.trend_texts(figures, part)[1] == ("6", "10", "60%", 60)
    assert rules.trend_texts(figures)[0] == ("[c]", "8", "[c]", None)


def test_quarters_run_to_the_one_the_period_ends_in():
    quarters = rules.trend_quarters(date(2026, 11, 30))
    assert len(quarters) == 8
    assert (quarters[0].start, quarters[-1].end) == (date(2025, 1, 1), date(2026, 12, 31))
    assert [q.short_label for q in quarters[:2]] == ["Q1 2025", "Q2 2025"]
    assert quarters[-1].label == "Oct to Dec 2026"
    for earlier, later in zip(quarters, quarters[1:], strict=False):
        assert (later.start - earlier.end).days == 1
    assert rules.quarter_of(date(2026, 3, 31)) == rules.Quarter(date(2026, 1, 1), date(2026, 3, 31))
    assert rules.quarter_of(date(2026, 4, 1)).start == date(2026, 4, 1)


def test_age_bands_on_the_last_day_of_the_period():
    end = date(2026, 3, 31)
    assert rules.age_band(None, True, end) == "unborn"
    assert rules.age_band(None, False, end) == "not_known"
    assert rules.age_band(date(2025, 4, 1), False, end) == "under_1"
    assert rules.age_band(date(2025, 3, 31), False, end) == "1_4"
    assert rules.age_band(date(2021, 4, 1), False, end) == "1_4"
    assert rules.age_band(date(2021, 3, 31), False, end) == "5_9"
    assert rules.age_band(date(2010, 4, 1), False, end) == "10_15"
    assert rules.age_band(date(2010, 3, 31), False, end) == "16_plus"


def test_tally_lists_every_group_in_order():
    assert rules.tally([("b", 2), ("a", 1), ("b", 3)], ["a", "b", "c"]) == [("a", 1), ("b", 5), ("c", 0)]


@pytest.mark.parametrize("days", [0, 1, 3, 15, 45])
def test_deadline_calendars_agree_with_adding_working_days_one_day_at_a_time(days):
    # across Christmas, Easter and both clock changes of 2026
    first, last = date(2025, 12, 1), date(2026, 12, 31)
    deadlines = rules.working_day_deadlines(first, last, days, is_working_day)
    assert len(deadlines) == (last - first).days + 1
    assert all(due == add_working_days(day, days) for day, due in deadlines.items())


def test_sqlites_london_date_follows_the_clock_changes():
    assert london_date_of_stored("2026-06-30 23:30:00.000000") == "2026-07-01"  # BST: 00:30 on 1 July
    assert london_date_of_stored("2026-12-31 23:30:00.000000") == "2026-12-31"  # GMT
    assert london_date_of_stored("2026-03-29 00:30:00") == "2026-03-29"  # before the clocks go forward
    assert london_date_of_stored(None) is None


def test_the_readme_lists_every_question_with_its_rule():
    from pathlib import Path

    from safeguarding.reports import learning

    readme = " ".join(Path(__file__).parent.parent.joinpath("README.md").read_text().split())
    for q in learning.QUESTIONS:
        assert f"**{q.question}** {q.measure}: {' '.join(q.rule.split())}" in readme
