"""The children in need census items page and its downloads: what each reader sees, the files, the audit trail."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from xml.etree import ElementTree as ET

from sqlalchemy import select

from safeguarding import clock
from safeguarding.audit.models import AuditEvent, AuditEventChild
from safeguarding.auth.models import Agency, AgencyKind, Role
from safeguarding.discussions import services
from safeguarding.extensions import db

from .discussion_data import attend, convene, decision_data, make_child

YEAR = "year=2026"  # 1 April 2026 to 31 March 2027


def _enquiry(mash, agencies, day, first, la_reference=None):
    child = make_child(first, "Census")
    child.la_reference = la_reference
    sd = convene(mash, [child], [agencies[k] for k in ("csc", "police", "health")],
                 scheduled_at=clock.london_datetime(day, 10))
    attend(sd, mash)
    decision = services.record_decision(sd, child.id, decision_data(outcome="s47_single"), actor=mash)
    db.session.commit()
    return sd, child, decision


def _year_of_enquiries(mash, agencies):
    """One enquiry with its conference held on time, one that ended without a conference, one with no LA
    reference still waiting for its conference (overdue), and one from before the year that closed before it."""
    held_sd, held_child, held = _enquiry(mash, agencies, date(2026, 7, 6), "Hana", "LA-100")
    services.record_icpc_date(held, held.icpc_due_on, actor=mash)
    services.record_conference_held(held, held.icpc_due_on, actor=mash, expected_version=held.version)
    _, _, ended = _enquiry(mash, agencies, date(2026, 8, 3), "Enzo", "LA-200")
    services.record_enquiry_outcome(ended, {"enquiry_outcome": "child_in_need", "enquiry_outcome_reason": "CIN plan",
                                            "enquiry_outcome_on": date(2026, 8, 10)},
                                    actor=mash, expected_version=ended.version)
    open_sd, open_child, _ = _enquiry(mash, agencies, date(2026, 9, 1), "Olly")
    with clock.frozen_at(clock.london_datetime(date(2026, 3, 2), 12)):
        _, _, before = _enquiry(mash, agencies, date(2026, 3, 2), "Bea", "LA-050")
    with clock.frozen_at(clock.london_datetime(date(2026, 3, 20), 12)):
        services.record_enquiry_outcome(before, {"enquiry_outcome": "not_substantiated",
                                                 "enquiry_outcome_reason": "Explained", "enquiry_outcome_on":
                                                 date(2026, 3, 20)}, actor=mash, expected_version=before.version)
    db.session.commit()
    return held_child, open_sd, open_child


def test_csc_manager_sees_the_rows_to_fix_and_downloads_audited(signed_in, agencies):
    client, manager = signed_in(Role.MANAGER, "csc")
    _, mash = signed_in(Role.MASH, "csc")
    held_child, open_sd, open_child = _year_of_enquiries(mash, agencies)

    page = client.get(f"/reports/census/?{YEAR}")
    assert "2026 to 2027: 1 April 2026 to 31 March 2027" in page
    assert "Section 47 enquiries 3" in page  # the enquiry that closed in March 2026 belongs to the year before
    assert "Initial conference held (DateOfInitialCPC) 1" in page
    assert "Conference not required (ICPCnotRequired) 1" in page
    assert "8500 LA Child ID missing Not recorded 2026-09-01 LAchildID" in page
    assert f'href="/discussions/{open_sd.id}"' in page.html
    assert "Olly" not in page.markup  # references and dates, never a name

    xml = client.get(f"/reports/census/section47.xml?{YEAR}")
    assert xml.response.mimetype == "application/xml"
    assert "no-store" in xml.response.headers["Cache-Control"]
    message = ET.fromstring(xml.response.get_data())
    assert message.findtext("Header/CollectionDetails/ReferenceDate") == "2027-03-31"
    groups = {c.findtext("ChildIdentifiers/LAchildID"): c.find("CINdetails/Section47")
              for c in message.findall("Children/Child")}
    assert set(groups) == {"LA-100", "LA-200", None}
    held = groups["LA-100"]
    assert held.findtext("S47ActualStartDate") == "2026-07-06"
    assert held.findtext("InitialCPCtarget") == "2026-07-27"
    assert held.findtext("DateOfInitialCPC") == "2026-07-27"
    assert held.findtext("ICPCnotRequired") == "false"
    assert groups["LA-200"].findtext("ICPCnotRequired") == "true"
    assert groups["LA-200"].find("DateOfInitialCPC") is None

    body = client.get(f"/reports/census/section47.csv?{YEAR}").response.get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert lines[0][:4] == ["LAchildID", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex"]
    by_child = {line[10]: line for line in lines[1:]}
    assert by_child[str(open_child.id)][9] == "8500 8675Q"  # no LA reference, conference overdue
    assert by_child[str(held_child.id)][:9] == ["LA-100", "2016-02-14", "", "F", by_child[str(held_child.id)][4],
                                                "2026-07-06", "2026-07-27", "2026-07-27", "false"]

    exports = db.session.execute(select(AuditEvent).where(AuditEvent.action == "export")
                                 .order_by(AuditEvent.id)).scalars().all()
    assert [(e.user_id, e.detail) for e in exports] == [
        (manager.id, "census XML 2026 to 2027: 3 enquiries"), (manager.id, "census CSV 2026 to 2027: 3 enquiries")]
    linked = db.session.execute(select(AuditEventChild.child_id).where(AuditEventChild.event_id == exports[0].id)
                                ).scalars().all()
    assert len(linked) == 3 and held_child.id in linked


def test_business_unit_and_other_agencies_see_figures_only(signed_in, agencies, make_user):
    agencies["bu"] = Agency(name="Testshire Safeguarding Partnership", kind=AgencyKind.SAFEGUARDING_PARTNERSHIP.value)
    db.session.add(agencies["bu"])
    db.session.commit()
    _, mash = signed_in(Role.MASH, "csc")
    _year_of_enquiries(mash, agencies)
    for role, agency in ((Role.MANAGER, "bu"), (Role.MANAGER, "police"), (Role.MASH, "police")):
        client, _ = signed_in(role, agency)
        page = client.get(f"/reports/census/?{YEAR}")
        assert "Section 47 enquiries 3" in page
        assert "8500 LA Child ID missing 1" in page  # how many fail, not which
        assert "Enquiries to fix" not in page and "LA-100" not in page.markup and "Not recorded" not in page
        assert "for the local authority's managers and MASH staff" in page
        client.get(f"/reports/census/section47.xml?{YEAR}", expected=403)
        client.get(f"/reports/census/section47.csv?{YEAR}", expected=403)
    practitioner, _ = signed_in(Role.PRACTITIONER, "csc")
    practitioner.get(f"/reports/census/?{YEAR}", expected=403)


def test_a_restricted_child_is_counted_not_shown(signed_in, agencies, make_user):
    client, _ = signed_in(Role.MANAGER, "csc")
    _, mash = signed_in(Role.MASH, "csc")
    _, child, _ = _enquiry(mash, agencies, date(2026, 7, 6), "Rae", "LA-RESTRICTED")
    child.restricted = True
    db.session.commit()
    page = client.get(f"/reports/census/?{YEAR}")
    assert "Section 47 enquiries 1" in page and "Every enquiry passes these rules" in page
    assert "1 enquiry is about children you may not see" in page
    assert b"LA-RESTRICTED" not in client.get(f"/reports/census/section47.xml?{YEAR}").response.get_data()


def test_the_year_defaults_to_the_one_in_progress_and_bad_years_are_refused(signed_in):
    client, _ = signed_in(Role.MANAGER, "csc")
    this_year = clock.london_today()
    start = this_year.year if this_year.month >= 4 else this_year.year - 1
    assert f"{start} to {start + 1}: 1 April {start}" in client.get("/reports/census/")
    for junk in ("1999", "abc", "", "2026.5", "9" * 40, str(start + 1)):
        page = client.get(f"/reports/census/?year={junk}", expected=400)
        assert "Select a collection year from the list" in page
        client.get(f"/reports/census/section47.xml?year={junk}", expected=400)


def test_the_reports_page_links_to_the_census_items(signed_in):
    client, _ = signed_in(Role.MANAGER, "csc")
    assert 'href="/reports/census/"' in client.get("/reports/").html


def test_demo_dates_pass_the_target_rule(signed_in, agencies):
    """Every enquiry the tool records has its target 15 working days after its start (rule SDC1)."""
    _, mash = signed_in(Role.MASH, "csc")
    for offset in range(0, 40, 3):  # across the August bank holiday
        _enquiry(mash, agencies, date(2026, 8, 3) + timedelta(days=offset), f"T{offset}", f"LA-T{offset}")
    from safeguarding.census import items, queries
    from safeguarding.auth.models import User
    rows = queries.section47_rows(items.CollectionYear(2026), db.session.get(User, mash.id))
    assert len(rows) == 14
    assert "SDC1" not in [f.code for f in items.validate(rows, items.CollectionYear(2026))]


def test_who_has_looked_shows_the_census_download(signed_in, agencies):
    client, _ = signed_in(Role.MANAGER, "csc")
    _, mash = signed_in(Role.MASH, "csc")
    _, child, _ = _enquiry(mash, agencies, date(2026, 7, 6), "Wren", "LA-W")
    client.get(f"/reports/census/section47.csv?{YEAR}")
    page = client.get(f"/audit/children/{child.id}")
    assert "Downloaded the children in need census items" in page


def test_the_demo_data_passes_the_census_rules(app):
    """The demo's enquiries, in the years they fall in, break no DfE rule (queries ask for a reason only) and none
    of this tool's own checks."""
    from safeguarding.census import items, queries
    from safeguarding.demo import seed

    seed("demo-password-for-census-tests")
    today = clock.london_today()
    years = {items.CollectionYear.containing(today), items.CollectionYear.containing(today - timedelta(days=120))}
    found = []
    for year in years:
        rows = queries.section47_rows(year)
        assert rows, f"the demo has section 47 enquiries in {year.label}"
        found += [(year.label, f.code, f.row.la_child_id) for f in items.validate(rows, year) if not f.rule.query]
    assert found == []


def test_a_long_list_of_failures_is_cut_short_with_the_csv_for_the_rest(signed_in, agencies, monkeypatch):
    from safeguarding.census import views

    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    client, _ = signed_in(Role.MANAGER, "csc")
    _, mash = signed_in(Role.MASH, "csc")
    for n in range(3):
        _enquiry(mash, agencies, date(2026, 7, 6 + n), f"Nolaref{n}")  # no LA reference: 8500 on each
    page = client.get(f"/reports/census/?{YEAR}")
    assert "The first 2 of 6 are listed" in page  # 8500 and 8675Q for each
    assert page.html.count(">Child record</a>") == 2


def test_a_second_enquiry_started_while_the_first_is_open_is_flagged(signed_in, agencies):
    client, _ = signed_in(Role.MANAGER, "csc")
    _, mash = signed_in(Role.MASH, "csc")
    _, child, _ = _enquiry(mash, agencies, date(2026, 7, 6), "Twice", "LA-2X")
    second = convene(mash, [child], [agencies[k] for k in ("csc", "police", "health")],
                     scheduled_at=clock.london_datetime(date(2026, 7, 13), 10))  # a new concern, a new initial
    attend(second, mash)
    services.record_decision(second, child.id, decision_data(outcome="s47_single"), actor=mash)
    db.session.commit()
    page = client.get(f"/reports/census/?{YEAR}")
    assert "8890 A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing " \
           "LA-2X 2026-07-13" in page
