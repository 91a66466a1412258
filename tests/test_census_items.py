"""The census's section 47 items and validation rules, on hand-built rows (no app, no database)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from xml.etree import ElementTree as ET

import pytest

from safeguarding.census import items
from safeguarding.census.items import CollectionYear, Section47Row
from safeguarding.exports import csv_text

YEAR = CollectionYear(2025)  # 1 April 2025 to 31 March 2026


def row(**overrides) -> Section47Row:
    """A clean enquiry: started Monday 2 June 2025, conference held on its target date, 23 June 2025."""
    data = dict(child_id=1, discussion_id=10, la_child_id="LA0001", person_birth_date=date(2016, 2, 14),
                expected_birth_date=None, sex="F", referral_date=date(2025, 6, 1), s47_start=date(2025, 6, 2),
                icpc_target=date(2025, 6, 23), icpc_date=date(2025, 6, 23), icpc_not_required=False)
    data.update(overrides)
    return Section47Row(**data)


def codes(*rows, year=YEAR) -> list[str]:
    return [f.code for f in items.validate(rows, year)]


def test_collection_year_runs_1_april_to_31_march():
    assert (YEAR.start, YEAR.reference_date, YEAR.census_year, YEAR.label) == (
        date(2025, 4, 1), date(2026, 3, 31), 2026, "2025 to 2026")
    assert CollectionYear.containing(date(2026, 3, 31)) == YEAR
    assert CollectionYear.containing(date(2026, 4, 1)) == CollectionYear(2026)
    assert YEAR.holds(date(2025, 4, 1)) and YEAR.holds(date(2026, 3, 31))
    assert not YEAR.holds(date(2025, 3, 31)) and not YEAR.holds(date(2026, 4, 1)) and not YEAR.holds(None)


def test_a_clean_enquiry_passes_every_rule():
    assert codes(row()) == []


def test_8500_la_child_id_missing():
    assert codes(row(la_child_id=None)) == ["8500"]
    assert codes(row(la_child_id="   ")) == ["8500"]


def test_8615_conference_before_the_enquiry_started_or_without_a_start():
    assert "8615" in codes(row(icpc_date=date(2025, 6, 1)))
    assert "8615" in codes(row(s47_start=None, icpc_target=None))
    assert "8615" not in codes(row(icpc_date=date(2025, 6, 2)))  # the same day is allowed


def test_8715_conference_outside_the_census_year():
    assert codes(row(icpc_date=date(2026, 4, 2))) == ["8715"]
    failure = items.validate([row(icpc_date=date(2026, 4, 2))], YEAR)[0]
    assert failure.message == "Date of Initial Child Protection Conference must fall within the census year"


def test_8740_an_enquiry_open_at_the_year_end_must_start_in_the_year():
    started_last_year = row(s47_start=date(2025, 3, 10), icpc_target=date(2025, 3, 31), icpc_date=None,
                            referral_date=date(2025, 3, 9))
    assert codes(started_last_year) == ["8740", "8675Q"]
    # ended without a conference: not open, so neither rule applies
    assert codes(replace(started_last_year, icpc_not_required=True)) == []


def test_8675Q_no_conference_more_than_15_working_days_before_the_year_end():
    open_long = row(s47_start=date(2026, 2, 2), icpc_target=date(2026, 2, 23), icpc_date=None,
                    referral_date=date(2026, 2, 1))
    assert codes(open_long) == ["8675Q"]
    failure = items.validate([open_long], YEAR)[0]
    assert failure.rule.query and failure.message.startswith("Please check")
    # started 20 March 2026: 7 working days before 31 March, its conference is not due yet
    recent = row(s47_start=date(2026, 3, 20), icpc_target=date(2026, 4, 14), icpc_date=None,  # Easter in between
                 referral_date=date(2026, 3, 20))
    assert codes(recent) == []


def test_8870Q_target_date_on_a_weekend():
    assert "8870Q" in codes(row(icpc_target=date(2025, 6, 21)))  # a Saturday


def test_2889_and_1104_dates_before_the_referral():
    assert codes(row(referral_date=date(2025, 6, 3), icpc_date=date(2025, 6, 23))) == ["2889"]
    assert codes(row(referral_date=date(2025, 6, 24))) == ["2889", "1104"]
    assert codes(row(referral_date=None)) == []  # not held: nothing to compare


def test_target_must_be_15_working_days_after_the_start():
    assert codes(row(icpc_target=date(2025, 6, 24))) == ["SDC1"]
    # the August bank holiday moves the target: 18 August 2025 + 15 working days is 9 September, not 8 September
    assert codes(row(s47_start=date(2025, 8, 18), icpc_target=date(2025, 9, 9), icpc_date=None,
                     referral_date=date(2025, 8, 18))) == ["8675Q"]
    assert "SDC1" in codes(row(s47_start=date(2025, 8, 18), icpc_target=date(2025, 9, 8), icpc_date=None))
    assert not items.RULES_BY_CODE["SDC1"].dfe


def test_not_required_and_a_conference_date_cannot_both_be_right():
    assert codes(row(icpc_not_required=True)) == ["SDC2"]


def test_facts_as_at_the_reference_date():
    assert items.as_at_reference_date(YEAR, held_on=date(2026, 3, 31), ended_without_conference_on=None) == (
        date(2026, 3, 31), False)
    # held after 31 March: not yet in this year's return
    assert items.as_at_reference_date(YEAR, held_on=date(2026, 4, 1), ended_without_conference_on=None) == (
        None, False)
    assert items.as_at_reference_date(YEAR, held_on=None, ended_without_conference_on=date(2026, 1, 5)) == (
        None, True)
    assert items.as_at_reference_date(YEAR, held_on=None, ended_without_conference_on=date(2026, 4, 5)) == (
        None, False)


def test_which_enquiries_belong_in_a_year():
    assert items.open_during(YEAR, date(2025, 4, 1), None)
    assert items.open_during(YEAR, date(2025, 3, 1), date(2025, 4, 1))  # started before, closed in the year
    assert not items.open_during(YEAR, date(2025, 3, 1), date(2025, 3, 31))  # closed before the year
    assert not items.open_during(YEAR, date(2026, 4, 1), None)
    assert not items.open_during(YEAR, None, None)


@pytest.mark.parametrize("gender, code", [("female", "F"), ("male", "M"), ("other", "U"), ("unknown", "U"),
                                          (None, "U")])
def test_sex_codes(gender, code):
    assert items.sex_code(gender) == code


def test_xml_is_well_formed_and_carries_the_census_items():
    unborn = row(child_id=2, la_child_id=None, person_birth_date=None, expected_birth_date=date(2026, 1, 9),
                 sex="U", icpc_date=None, icpc_not_required=True, referral_date=None)
    body = items.to_xml([row(), unborn], YEAR)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    message = ET.fromstring(body)
    assert message.tag == "Message"
    assert [e.text for e in message.find("Header/CollectionDetails")] == ["CIN", "2026", "2026-03-31"]
    first, second = message.findall("Children/Child")
    assert [(e.tag, e.text) for e in first.find("ChildIdentifiers")] == [
        ("LAchildID", "LA0001"), ("PersonBirthDate", "2016-02-14"), ("Sex", "F")]
    assert first.findtext("CINdetails/CINreferralDate") == "2025-06-01"
    assert [(e.tag, e.text) for e in first.find("CINdetails/Section47")] == [
        ("S47ActualStartDate", "2025-06-02"), ("InitialCPCtarget", "2025-06-23"),
        ("DateOfInitialCPC", "2025-06-23"), ("ICPCnotRequired", "false")]
    # what the tool does not hold is left out, never sent empty
    assert [e.tag for e in second.find("ChildIdentifiers")] == ["ExpectedPersonBirthDate", "Sex"]
    assert second.find("CINdetails/CINreferralDate") is None
    assert [(e.tag, e.text) for e in second.find("CINdetails/Section47")] == [
        ("S47ActualStartDate", "2025-06-02"), ("InitialCPCtarget", "2025-06-23"), ("ICPCnotRequired", "true")]
    spec_items = {name for name, *_ in items.ITEMS}
    assert {e.tag for e in message.iter()} - {"Message", "Header", "CollectionDetails", "Collection", "Year",
                                             "ReferenceDate", "Children", "Child", "ChildIdentifiers",
                                             "CINdetails", "Section47"} <= spec_items


def test_xml_escapes_what_a_reference_holds():
    body = items.to_xml([row(la_child_id="A&B <1>")], YEAR)
    assert ET.fromstring(body).findtext("Children/Child/ChildIdentifiers/LAchildID") == "A&B <1>"


def test_csv_names_the_items_lists_failing_codes_and_is_formula_safe():
    rows = [row(), row(child_id=3, discussion_id=11, la_child_id="=HYPERLINK(\"http://x\")", icpc_target=None)]
    text = csv_text(items.CSV_HEADER, items.csv_rows(rows, items.validate(rows, YEAR)))
    lines = text.splitlines()
    assert lines[0].startswith("LAchildID,PersonBirthDate,ExpectedPersonBirthDate,Sex,CINreferralDate,"
                               "S47ActualStartDate,InitialCPCtarget,DateOfInitialCPC,ICPCnotRequired,")
    assert lines[1] == "LA0001,2016-02-14,,F,2025-06-01,2025-06-02,2025-06-23,2025-06-23,false,,1,10"
    assert lines[2].startswith("\"'=HYPERLINK(") and ",SDC1,3,11" in lines[2]


def test_figures_count_without_naming_anyone():
    rows = [row(), row(icpc_date=None, icpc_not_required=True), row(icpc_date=None, s47_start=date(2026, 3, 25),
                                                                    icpc_target=date(2026, 4, 16))]
    result = items.figures(rows, items.validate(rows, YEAR))
    assert (result.enquiries, result.conferences, result.not_required, result.open) == (3, 1, 1, 1)


def test_8890_an_enquiry_starting_while_another_for_the_child_is_ongoing():
    first = row()  # 2 June to its conference on 23 June 2025
    during = row(discussion_id=11, s47_start=date(2025, 6, 16), icpc_target=date(2025, 7, 7),
                 icpc_date=date(2025, 7, 7))
    after = row(discussion_id=12, s47_start=date(2025, 6, 24), icpc_target=date(2025, 7, 15),
                icpc_date=date(2025, 7, 15))
    assert codes(first, after) == []
    failures = items.validate([first, during, after], YEAR)
    assert [(f.code, f.row.discussion_id) for f in failures] == [("8890", 11), ("8890", 12)]  # 12 starts in 11's
    # another child's enquiry is no clash; nor is one that ended without a conference
    assert codes(first, replace(during, child_id=2)) == []
    ended = row(icpc_date=None, icpc_not_required=True)
    assert codes(ended, replace(during, discussion_id=13)) == []
    # still open with no conference: ongoing to the year's end
    still_open = row(s47_start=date(2026, 3, 20), icpc_target=date(2026, 4, 14), icpc_date=None,
                     referral_date=date(2026, 3, 20))
    assert "8890" in codes(still_open, replace(still_open, discussion_id=14, s47_start=date(2026, 3, 30),
                                                icpc_target=date(2026, 4, 20)))
