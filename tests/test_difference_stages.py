"""Stage rules for resolving professional differences: presets, deadlines across bank holidays, urgent hours."""
from datetime import datetime

import pytest

from safeguarding.clock import LONDON, UTC
from safeguarding.differences import stages
from safeguarding.differences.stages import PRESETS, StageRuleError, check_move, check_start, next_stage, stage_due_at


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_presets_match_the_procedures():
    london_cp = PRESETS["london"]
    assert [s.name for s in london_cp.stages] == ["Practitioner to practitioner", "First-line managers",
                                                  "Senior managers", "Safeguarding partnership"]
    assert {s.timescale for s in london_cp.stages} == {5} and {s.unit for s in london_cp.stages} == {"working_days"}
    assert [s.notify_partnership for s in london_cp.stages] == [False, False, True, True]
    assert [s.timescale for s in PRESETS["lincolnshire"].stages] == [2, 5, 2]
    assert [s.timescale for s in PRESETS["darlington"].stages][:2] == [1, 3]
    assert stages.DEFAULT_PRESET == "london"


def test_working_days_skip_christmas_substitute_days_and_new_year():
    # Opened on Christmas Eve 2026: 25 Dec, 28 Dec (Boxing Day substitute) and 1 Jan are not working days.
    due = stage_due_at(PRESETS["london"].stage(1), london(2026, 12, 24, 10, 0))
    assert due == london(2027, 1, 5, 17, 0).astimezone(UTC)


def test_working_days_skip_easter_and_end_at_close_of_business_in_summer_time():
    # Lincolnshire stage 1 (2 working days) from Maundy Thursday: Good Friday and Easter Monday do not count.
    due = stage_due_at(PRESETS["lincolnshire"].stage(1), london(2026, 4, 2, 9, 0))
    assert due.astimezone(LONDON) == london(2026, 4, 8, 17, 0)
    assert due == datetime(2026, 4, 8, 16, 0, tzinfo=UTC)  # 17:00 BST


def test_darlington_one_working_day_over_the_august_bank_holiday():
    due = stage_due_at(PRESETS["darlington"].stage(1), london(2026, 8, 28, 15, 0))  # a Friday
    assert due.astimezone(LONDON) == london(2026, 9, 1, 17, 0)  # Monday 31 August is a bank holiday


def test_opened_at_the_weekend_counts_from_the_next_working_day():
    due = stage_due_at(PRESETS["darlington"].stage(2), london(2026, 11, 28, 11, 0))  # Saturday
    assert due.astimezone(LONDON) == london(2026, 12, 2, 17, 0)  # Mon, Tue, Wed


def test_urgent_stage_runs_in_real_hours_across_the_clock_change():
    opened = london(2026, 10, 24, 18, 0)  # 18:00 BST; the clocks go back overnight
    due = stage_due_at(PRESETS["london"].stage(2), opened, urgent=True)
    assert due - opened.astimezone(UTC) == stages.timedelta(hours=24)
    assert due.astimezone(LONDON) == london(2026, 10, 25, 17, 0)  # 17:00 GMT


def test_a_stage_set_in_hours_by_the_partnership():
    rule = stages.StageRule(1, "Call the decision-maker", "", 48, stages.HOURS)
    assert rule.timescale_words == "48 hours"
    assert stage_due_at(rule, london(2026, 12, 24, 10, 0)) == london(2026, 12, 26, 10, 0).astimezone(UTC)


def test_next_stage_and_the_last_stage():
    policy = PRESETS["lincolnshire"]
    assert next_stage(policy, 1).number == 2
    assert next_stage(policy, 3) is None
    with pytest.raises(StageRuleError, match="last stage"):
        check_move(policy, 3, 4, urgent=True, reason="x")


def test_stages_are_taken_in_order_unless_the_child_is_at_immediate_risk_and_a_reason_is_given():
    policy = PRESETS["london"]
    assert check_move(policy, 1, 2, urgent=False, reason="").number == 2
    with pytest.raises(StageRuleError, match="only be skipped when the child is at immediate risk") as err:
        check_move(policy, 1, 3, urgent=False, reason="Manager on leave")
    assert err.value.field == "target_stage"
    with pytest.raises(StageRuleError, match="Give the reason for skipping stage 2") as err:
        check_move(policy, 1, 3, urgent=True, reason="  ")
    assert err.value.field == "skip_reason"
    assert check_move(policy, 1, 4, urgent=True, reason="Child returning home tonight").number == 4
    with pytest.raises(StageRuleError, match="after stage 2"):
        check_move(policy, 2, 2, urgent=True, reason="x")


def test_starting_after_stage_one():
    policy = PRESETS["london"]
    assert check_start(policy, 1, urgent=False, reason="").number == 1
    with pytest.raises(StageRuleError, match="Give the reason for skipping stage 1, 2"):
        check_start(policy, 3, urgent=True, reason="")
    assert check_start(policy, 2, urgent=True, reason="Decision-maker unreachable").number == 2
    with pytest.raises(StageRuleError, match="no stage 9"):
        check_start(policy, 9, urgent=True, reason="x")


def test_each_stage_names_how_senior_its_leads_must_be():
    ranks = {key: stages.lead_ranks(policy) for key, policy in stages.PRESETS.items()}
    A, M, S = stages.ANYONE, stages.MANAGER, stages.SENIOR_MANAGER
    assert ranks["london"] == {1: A, 2: M, 3: S, 4: S}
    assert ranks["lincolnshire"] == {1: A, 2: M, 3: S}
    # "Inter-agency meeting" names nobody: it keeps the seniority of the stage before it.
    assert ranks["darlington"] == {1: A, 2: M, 3: M, 4: S}
