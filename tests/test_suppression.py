"""The small-number rules every figures page shares (safeguarding/suppression.py) beyond those the practice-learning
rules test (tests/test_practice_learning_rules.py): a share, and the charts the other pages build from them."""
from __future__ import annotations

from datetime import date

from safeguarding import suppression
from safeguarding.charts import table_rows
from safeguarding.differences.figures import Figures
from safeguarding.differences.figures_charts import by_agency, resolution, status_text
from safeguarding.missing.figures_charts import police_protection
from safeguarding.missing.services import ProtectionFigures


def test_a_share_is_withheld_with_either_count_and_shown_otherwise():
    assert suppression.share_text(6, 12) == "50%"
    assert suppression.share_text(3, 12) == "[c]"        # the part identifies
    assert suppression.share_text(0, 4) == "[c]"         # 0 of 4 tells as much as the 4
    assert suppression.share_text(0, 12) == "0%"
    assert suppression.share_text(6, 12, hidden=True) == "[c]"  # withheld with a second number
    assert suppression.share_text(0, 0) == "–"


def test_months_adding_up_to_the_whole_period_withhold_a_second_with_a_lone_small_one():
    months = [ProtectionFigures(date(2026, 7, 1), 9, 0), ProtectionFigures(date(2026, 8, 1), 2, 2),
              ProtectionFigures(date(2026, 9, 1), 6, 0)]
    header, rows = table_rows(police_protection(months, ProtectionFigures(date(2026, 7, 1), 17, 2)))
    assert header == ["Month it began", "Police protections", "Lasted more than 72 hours"]
    # August's 2 would be 17 - 9 - 6: the smallest other (6, September) is withheld with it
    assert rows == [["Jul 2026", "9", "0"], ["Aug 2026", "[c]", "[c]"], ["Sep 2026", "[c]", "0"],
                    ["Whole period", "17", "[c]"]]


def test_differences_by_agency_status_and_time_to_resolution():
    figures = Figures(total=12, by_status={"open": 7, "resolved": 3, "withdrawn": 2},
                      raised_by=[("Police", 12)], raised_against=[("Health", 6), ("Social care", 5), ("Schools", 1)],
                      resolved=3, resolved_within_timescales=2, median_working_days_to_resolve=4,
                      longest_working_days_to_resolve=11)
    assert status_text(figures) == "12 (7 open, [c] resolved, [c] withdrawn)"
    _, rows = table_rows(by_agency(figures))
    assert rows == [["Health", "0", "6"], ["Police", "12", "0"], ["Schools", "0", "[c]"],
                    ["Social care", "0", "[c]"]]
    _, rows = table_rows(resolution(figures))
    # three resolved: their median and longest times would tell of those three
    assert rows == [["Resolved", "[c]"], ["Resolved with every stage within its timescale", "[c] of [c] ([c])"],
                    ["Median time to resolution", "[c]"], ["Longest time to resolution", "[c]"]]
    figures.resolved, figures.resolved_within_timescales = 8, 6
    _, rows = table_rows(resolution(figures))
    assert rows[1:] == [["Resolved with every stage within its timescale", "6 of 8 (75%)"],
                        ["Median time to resolution", "4 working days"],
                        ["Longest time to resolution", "11 working days"]]
