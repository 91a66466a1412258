"""Partnership reports: strategy discussion figures for a period, its CSV, access, bad input, query counts."""
import csv
import io
from datetime import date, timedelta


from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.exports import csv_text, safe_cell
from safeguarding.extensions import db
from safeguarding.reports import figures, summaries
from safeguarding.periods import last_full_quarter

from .discussion_data import attend, convene, decision_data, make_child
from .sql_statements import statements_of_get

Q3_START, Q3_END = date(2026, 7, 1), date(2026, 9, 30)


def _held(mash, agencies, day, *, invite=("csc", "police", "health"), first="Amy", **statuses):
    """A discussion held at 10:00 London on `day`, attendance recorded (agency kind -> status)."""
    child = make_child(first, "Reportson")
    sd = convene(mash, [child], [agencies[k] for k in invite], scheduled_at=clock.london_datetime(day, 10))
    attend(sd, mash, **statuses)
    return sd, child


def _period_query(start, end):
    return (f"start={start.day}&start={start.month}&start={start.year}"
            f"&end={end.day}&end={end.month}&end={end.year}")


def _refresh(at=None):
    """Work the summaries out as the scheduler's nightly job does (one slice: the test data is small)."""
    summaries.refresh_all(at or clock.now(), slice_days=5000)


def _compute(user, start=Q3_START, end=Q3_END, today=date(2026, 11, 26)):
    """The figures the page shows (from the summaries, worked out at noon on `today`), checked against the same
    counted from the records."""
    at = clock.london_datetime(today, 12)
    _refresh(at)
    report = figures.compute(start, end, user=user, at=at, today=today)
    assert report == figures.compute_live(start, end, user=user, at=at, today=today)
    return report


def test_last_full_quarter():
    assert last_full_quarter(date(2026, 11, 26)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_full_quarter(date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_full_quarter(date(2026, 3, 31)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert last_full_quarter(date(2026, 4, 1)) == (date(2026, 1, 1), date(2026, 3, 31))


def test_attendance_by_agency_and_police_presence(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    _held(mash, agencies, date(2026, 7, 6))                                     # everyone attended
    _held(mash, agencies, date(2026, 8, 3), police="apologies", health="information_sent")
    _held(mash, agencies, date(2026, 9, 30), invite=("csc", "health"))          # police never invited
    _held(mash, agencies, date(2026, 9, 14), police="not_invited")              # recorded as not invited
    _held(mash, agencies, date(2026, 10, 1))                                    # after the period
    cancelled, _ = _held(mash, agencies, date(2026, 8, 10), police="apologies")
    services.cancel_discussion(cancelled, "Arranged by mistake", actor=mash)
    report = _compute(mash)
    assert report.held == 4
    police = report.police
    assert (police.held, police.attended, police.invited, police.absent, police.not_invited) == (4, 1, 2, 3, 2)
    rows = {a.name: a for a in report.agencies}
    force = rows["Testshire Police"]
    assert ((force.invited, force.attended, force.apologies, force.not_invited, force.attended_percent)
            == (2, 1, 1, 1, 50))
    assert rows["Testshire NHS"].information_sent == 1 and rows["Testshire NHS"].attended == 3
    # A police force with no invitations is still listed: the zero is the finding.
    assert rows["Neighbouring Police"].invited == 0
    assert report.agencies[0].kind == "police"


def test_several_people_from_one_agency_count_once(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    sd, _ = _held(mash, agencies, date(2026, 7, 6), police="apologies")
    services.add_invitation(sd, {"agency_id": agencies["police"].id, "person_name": "DS Kaur", "role": "DS"},
                            actor=mash)
    extra = sd.invitations[-1]
    services.record_attendance(sd, {extra.id: ("attended", "")}, actor=mash)
    force = {a.name: a for a in _compute(mash).agencies}["Testshire Police"]
    assert (force.invited, force.attended, force.apologies) == (1, 1, 0)


def test_page_shows_police_presence_gaps_outcomes_icpc_and_actions(signed_in, agencies, make_user):
    client, manager = signed_in(Role.MANAGER)
    _, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    full, amy = _held(mash, agencies, date(2026, 7, 6), first="Amelia")
    services.record_decision(full, amy.id, decision_data(outcome="s47_joint"), actor=mash)
    gap, ben = _held(mash, agencies, date(2026, 8, 3), first="Benedict", police="apologies")
    services.record_decision(gap, ben.id, decision_data(outcome="s17"), actor=mash,
                             minimum_agency_reason="Duty inspector called away to a firearms incident")
    icpc = full.decision_for(amy.id)
    services.record_icpc_date(icpc, icpc.icpc_due_on + timedelta(days=2), actor=mash, late_reason="No chair free")
    with clock.frozen_at(clock.london_datetime(date(2026, 8, 3), 12)):
        done = services.add_action(gap, {"description": "Check PNC", "owner_id": officer.id,
                                         "due_at": clock.london_datetime(date(2026, 8, 4), 17)}, actor=mash)
        services.add_action(gap, {"description": "Home visit", "owner_id": mash.id,
                                  "due_at": clock.london_datetime(date(2026, 8, 5), 17)}, actor=mash)
    with clock.frozen_at(clock.london_datetime(date(2026, 8, 6), 9)):
        services.complete_action(done, "Checked: two previous incidents", actor=officer,
                                 expected_version=done.version)

    _refresh()
    page = client.get("/reports/?" + _period_query(Q3_START, Q3_END))
    # Two discussions: every count from 1 to 4 is withheld, and any percentage worked out from one
    assert "Discussions held from 1 July 2026 to 30 September 2026: [c]" in page
    assert "Police attended [c] of [c]" in page
    assert "Police were not present at [c] of [c] strategy discussions ([c])" in page
    assert "Duty inspector called away to a firearms incident" in page
    # one decision without police: withheld, and the sentence does not give it away by its singular
    assert "[c] decisions at [c] discussions made without police ([c])" in page
    assert f'href="/discussions/{gap.id}"' in page.html and f'href="/discussions/{full.id}"' in page.html
    assert "Section 17 child in need assessment [c] [c]" in page and "No further action 0 [c]" in page
    assert "Later than the due date" in page
    assert "Testshire Police 0 0 [c] [c] 0" in page  # the PNC check, done a day late
    # Counts only: no child's name anywhere on the page.
    for name in ("Amelia", "Benedict", "Reportson"):
        assert name not in page.html
    event_ = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "report_view")).scalar_one()
    assert event_.user_id == manager.id and event_.detail == "2026-07-01 to 2026-09-30"


def test_icpc_and_actions_figures(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    decisions = []
    for i, day in enumerate((date(2026, 7, 6), date(2026, 8, 3), date(2026, 9, 1), date(2026, 9, 28))):
        sd, child = _held(mash, agencies, day, first=f"Child{i}")
        decisions.append(services.record_decision(sd, child.id, decision_data(outcome="s47_single"), actor=mash))
    services.record_icpc_date(decisions[0], decisions[0].icpc_due_on, actor=mash)            # on the due date
    services.record_icpc_date(decisions[1], decisions[1].icpc_due_on + timedelta(days=1), actor=mash,  # late
                              late_reason="No chair free")
    # decisions[2] has no date and its due date has passed; decisions[3] is due 19 October
    report = _compute(mash, today=date(2026, 10, 1))
    assert report.icpc_counts == {"on_time": 1, "late": 1, "overdue": 1, "due": 1}
    assert [row.status for row in report.icpc_list] == ["on_time", "late", "overdue", "due"]
    assert report.outcomes[3] == ("Section 47 enquiry (single agency)", 4) and report.decisions == 4
    # an enquiry that ended without a conference needed none: it is not an overdue conference in the figures
    with clock.frozen_at(clock.london_datetime(date(2026, 9, 30), 12)):
        services.record_enquiry_outcome(decisions[2], {"enquiry_outcome": "child_in_need",
                                                       "enquiry_outcome_reason": "Support plan agreed",
                                                       "enquiry_outcome_on": date(2026, 9, 30)},
                                        actor=mash, expected_version=decisions[2].version)
    assert _compute(mash, today=date(2026, 10, 1)).icpc_counts == {"on_time": 1, "late": 1, "overdue": 0, "due": 1}

    sd = decisions[3].discussion
    with clock.frozen_at(clock.london_datetime(date(2026, 9, 28), 12)):
        for hours in (24, 48, 24 * 30):
            services.add_action(sd, {"description": f"Due in {hours} hours", "owner_id": officer.id,
                                     "due_at": clock.london_datetime(date(2026, 9, 28), 12) + timedelta(hours=hours)},
                                actor=mash)
        services.add_action(sd, {"description": "Strategy notes", "owner_id": mash.id,
                                 "due_at": clock.london_datetime(date(2026, 9, 29), 12)}, actor=mash)
    first, second, third = sorted((a for a in sd.actions if a.owner_id == officer.id), key=lambda a: a.due_at)
    with clock.frozen_at(clock.london_datetime(date(2026, 9, 29), 9)):
        services.complete_action(first, "Done in time", actor=officer, expected_version=first.version)
    with clock.frozen_at(clock.london_datetime(date(2026, 10, 2), 9)):
        services.complete_action(second, "Done late", actor=officer, expected_version=second.version)
    by_agency = {a.name: a for a in _compute(mash, today=date(2026, 10, 3)).actions}
    police = by_agency["Testshire Police"]
    assert (police.open, police.overdue, police.done, police.done_late, police.cancelled) == (1, 0, 2, 1, 0)
    csc = by_agency["Testshire Children's Social Care"]
    assert (csc.open, csc.overdue) == (0, 1)


def test_default_period_is_the_last_full_quarter(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    start, end = last_full_quarter(clock.london_today())
    _held(mash, agencies, start + timedelta(days=3))
    _refresh()
    page = client.get("/reports/")
    assert f"Discussions held from {start.strftime('%-d %B %Y')} to {end.strftime('%-d %B %Y')}: [c]" in page
    # The form shows the period it used, so the reader can adjust it.
    assert f'value="{start:%m}"' in page.html and f'value="{end:%d}"' in page.html


def test_bad_periods_show_errors_and_keep_what_was_typed(signed_in, agencies):
    client, _ = signed_in(Role.MANAGER)
    page = client.get("/reports/?start=31&start=2&start=2026&end=1&end=3&end=2026")
    assert "There is a problem" in page and "From must be a real date" in page
    assert page.title.startswith("Error:")
    assert 'value="31"' in page.html
    assert "To must be the same as or after From" in client.get("/reports/?" + _period_query(
        date(2026, 3, 1), date(2026, 2, 1)))
    assert "Enter the To date" in client.get("/reports/?start=1&start=1&start=2026")
    future = clock.london_today() + timedelta(days=2)
    assert "From must be today or in the past" in client.get("/reports/?" + _period_query(future, future))
    assert "To must be no more than 3 years after From" in client.get("/reports/?" + _period_query(
        date(2020, 1, 1), date(2025, 1, 1)))
    assert not db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "report_view")).first()
    client.get("/reports/attendance.csv?start=31&start=2&start=2026&end=1&end=3&end=2026", expected=400)


def test_access_and_navigation(signed_in, agencies):
    for role, agency in ((Role.PRACTITIONER, "police"), (Role.PRACTITIONER, "csc"), (Role.ADMIN, "csc")):
        client, _ = signed_in(role, agency)
        client.get("/reports/", expected=403)
        client.get("/reports/attendance.csv", expected=403)
        assert 'href="/reports/"' not in client.get("/home").html
    manager, _ = signed_in(Role.MANAGER, "police")
    home = manager.get("/home")
    assert 'href="/reports/"' in home.html
    page = manager.get("/reports/")
    assert 'href="/missing/figures"' in page.html and 'href="/differences/figures"' in page.html


def test_csv_download_escapes_formulas_and_holds_only_counts(signed_in, agencies):
    client, manager = signed_in(Role.MANAGER)
    agencies["education"].name = "=HYPERLINK(\"http://evil.example\",\"Click\")"
    db.session.commit()
    sd, child = _held(manager, agencies, date(2026, 8, 3), invite=("csc", "police", "health", "education"),
                      police="apologies")
    _refresh()
    response = client.request("GET", "/reports/attendance.csv?" + _period_query(Q3_START, Q3_END))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attendance-by-agency-2026-07-01-to-2026-09-30.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Agency", "Attended", "Sent information instead", "Apologies", "Not recorded", "Invited",
                       "Attended (% of invited)", "Recorded as not invited"]
    by_name = {r[0]: r for r in rows[1:]}
    # one apology from one invitation: withheld in the CSV as on the page
    assert by_name["Testshire Police"][1:] == ["0", "0", "[c]", "0", "[c]", "[c]", "0"]
    assert "'=HYPERLINK(\"http://evil.example\",\"Click\")" in by_name
    assert child.first_name not in text and child.last_name not in text
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "report_view")).scalars().all()
    assert [(e.object_type, e.detail) for e in events] == [
        ("strategy_discussion_csv", "attendance-by-agency: 2026-07-01 to 2026-09-30")]


def test_numbers_from_5_show_and_a_lone_small_one_takes_a_second_with_it(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    for i in range(6):
        sd, child = _held(mash, agencies, date(2026, 7, 6) + timedelta(days=7 * i), first=f"Child{i}",
                          police="apologies" if i == 0 else "attended")
        services.record_decision(sd, child.id, decision_data(outcome="s17"), actor=mash,
                                 minimum_agency_reason="Police on another call" if i == 0 else "")
    _refresh()
    query = _period_query(Q3_START, Q3_END)
    page = client.get("/reports/?" + query)
    assert "Discussions held from 1 July 2026 to 30 September 2026: 6" in page
    assert "Police attended 5 of 6" in page and "83% of discussions held" in page
    assert "Police 83% 5 6 0" in page  # the minimum agencies' table, after its chart
    # Police: 5 attended, 1 apology (of 6 invitations, which the table gives): the apology is withheld, and so is
    # the attended 5, or the apology would be 6 - 5.
    assert "Testshire Police [c] 0 [c] 0 6 [c] 0" in page
    assert "Section 17 child in need assessment 6 100%" in page
    assert '<svg class="app-chart" role="img"' in page.html
    # every figures table downloads as CSV with the page's numbers, and each download is audited
    keys = ["minimum-agencies", "attendance-by-agency", "outcomes-by-decision", "icpc-status", "actions-by-agency"]
    for key in keys:
        # no enquiry started and no action agreed, so those two tables are not on the page; their CSVs still
        # download (zeros, or no rows)
        assert (f'href="/reports/tables/{key}.csv?' in page.html) == (key not in ("icpc-status", "actions-by-agency"))
        response = client.request("GET", f"/reports/tables/{key}.csv?{query}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        if key == "attendance-by-agency":
            assert ["Testshire Police", "[c]", "0", "[c]", "0", "6", "[c]", "0"] in rows
        if key == "outcomes-by-decision":
            assert ["Section 17 child in need assessment", "6", "100%"] in rows
    client.get(f"/reports/tables/no-such-table.csv?{query}", expected=404)
    client.get("/reports/tables/outcomes-by-decision.csv?start=31&start=2&start=2026&end=1&end=3&end=2026",
               expected=400)
    csvs = db.session.execute(db.select(AuditEvent.detail).where(
        AuditEvent.action == "report_view", AuditEvent.object_type == "strategy_discussion_csv"
        ).order_by(AuditEvent.id)).scalars().all()
    assert csvs == [f"{key}: 2026-07-01 to 2026-09-30" for key in keys]


def test_safe_cell_prefixes_every_formula_start():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("Police") == "Police" and safe_cell(-3) == -3 and safe_cell(None) == ""
    assert csv_text(["A"], [["=x"]]) == "A\r\n'=x\r\n"


def _count_statements(client, url):
    return len(statements_of_get(client, url))


def _many(n, mash, agencies, start):
    for i in range(n):
        day = Q3_START + timedelta(days=(start + i) % 90)
        sd, child = _held(mash, agencies, day, first=f"Child{start + i}",
                          police="apologies" if i % 3 else "attended")
        services.record_decision(sd, child.id, decision_data(outcome="s47_single" if i % 2 else "s17"), actor=mash,
                                 minimum_agency_reason="Police on another call" if i % 3 else "")
        with clock.frozen_at(clock.london_datetime(day, 11)):
            services.add_action(sd, {"description": "Visit", "owner_id": mash.id,
                                     "due_at": clock.london_datetime(day + timedelta(days=1), 17)}, actor=mash)


def test_report_costs_the_same_statements_for_5_and_50_discussions(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    url = "/reports/?" + _period_query(Q3_START, Q3_END)
    _many(5, mash, agencies, 0)
    _refresh()
    few = _count_statements(client, url)
    _many(45, mash, agencies, 5)
    _refresh()
    assert "Discussions held from 1 July 2026 to 30 September 2026: 50" in client.get(url)
    many = _count_statements(client, url)
    assert few == many
    csv_url = "/reports/attendance.csv?" + _period_query(Q3_START, Q3_END)
    assert _count_statements(client, csv_url) > 0
