"""The practice-learning report: each briefing question's figure against records counted by hand, the trend's
quarters at London's boundaries, small numbers withheld on the page and in every CSV, the lists behind the figures
limited to what the reader may see, and who may open it all."""
from __future__ import annotations

import csv
import re
import io
from datetime import date, datetime, timedelta

import pytest

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.differences import services as difference_services
from safeguarding.differences.models import DifferenceStage, ProfessionalDifference
from safeguarding.discussions.models import (
    DiscussionChild,
    InformationShared,
    Invitation,
    StrategyDiscussion,
    ThresholdDecision,
)
from safeguarding.extensions import db
from safeguarding.missing.models import MissingEpisode, PoliceProtection, ReturnInterview
from safeguarding.reports import learning, summaries
from safeguarding.reports.learning_rules import Figure

from .sql_statements import statements_of_get

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
TODAY = date(2026, 11, 26)
NOW = clock.london_datetime(TODAY, 12)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return clock.london_datetime(day, hour, minute)


def _query(start: date, end: date) -> str:
    return (f"start={start.day}&start={start.month}&start={start.year}"
            f"&end={end.day}&end={end.month}&end={end.year}")


def child(first="Amy", *, born=date(2015, 5, 1), unborn=False) -> Child:
    c = Child(first_name=first, last_name="Pemberton-Quayle", date_of_birth=None if unborn else born, is_unborn=unborn,
              expected_date=date(2027, 1, 1) if unborn else None, gender="female")
    db.session.add(c)
    db.session.flush()
    return c


def sd(held: datetime, *, status="decided", decided: datetime | None = None, urgency="standard", kind="initial",
       police: str | None = "attended", due: datetime | None = None, circulated: datetime | None = None,
       children=(), agencies=None, referral: date | None = None, **links) -> StrategyDiscussion:
    """A discussion written straight to the database, so every figure's inputs are exactly what the test says."""
    discussion = StrategyDiscussion(
        status=status, kind=kind, urgency=urgency, scheduled_at=held, convene_decided_at=decided or held,
        circulation_due_at=due or held + timedelta(days=1), circulated_at=circulated,
        referral_received_on=referral or clock.to_london(held).date())
    db.session.add(discussion)
    db.session.flush()
    if police is not None:
        db.session.add(Invitation(discussion_id=discussion.id, agency_id=agencies["police"].id, status=police))
    db.session.add(Invitation(discussion_id=discussion.id, agency_id=agencies["csc"].id, status="attended"))
    for c in children:
        db.session.add(DiscussionChild(discussion_id=discussion.id, child_id=c.id, **links))
    db.session.flush()
    return discussion


def refresh(now=NOW) -> None:
    """Work the summaries out as the scheduler's nightly job does (every day, one slice: the test data is small)."""
    summaries.refresh_all(now, slice_days=5000)


def answered(key: str, period=Q3, now=NOW, today=TODAY) -> learning.Answer:
    """The figure and trend the page shows (from the summaries, refreshed at `now`), checked against the same
    counted from the records."""
    quarters = learning.rules.trend_quarters(period[1])
    question = learning.BY_KEY[key]
    refresh(now)
    shown = learning.summarised_answers(summaries.totals(*period, [key], quarters), quarters, [question])[0]
    assert shown == learning.answer(question, *period, now=now, today=today, quarters=quarters)
    return shown


def figure(key: str, period=Q3, now=NOW, today=TODAY) -> Figure:
    return answered(key, period, now, today).figure


def trend(key: str, period=Q3) -> dict[str, Figure]:
    return {q.short_label: f for q, f in answered(key, period).trend}


@pytest.fixture
def held(agencies):
    """Six discussions held in July to September 2026 (two at London's quarter boundaries), one either side of the
    quarter, one cancelled and one draft, with their police answers, timeliness and children."""
    amy, ben, cat, dan, eve = (child(n) for n in ("Amy", "Ben", "Cat", "Dan", "Eve"))
    unborn = child("Baby", unborn=True)
    made = {}
    # 1 July 00:30 London is 30 June 23:30 UTC: still the third quarter in London
    made["a"] = sd(at(date(2026, 7, 1), 0, 30), decided=at(date(2026, 7, 1), 0, 5),
                   circulated=at(date(2026, 7, 1), 15), children=[amy], agencies=agencies,
                   child_seen="yes", seen_alone="yes", child_said="I want to stay with my nan")
    made["b"] = sd(at(date(2026, 7, 15)), decided=at(date(2026, 7, 13)),  # latest was 14 July: late
                   circulated=at(date(2026, 7, 20)), children=[ben], agencies=agencies,
                   child_seen="yes", seen_alone="no")
    made["c"] = sd(at(date(2026, 8, 3)), decided=at(date(2026, 7, 31), 16), police="apologies",  # Friday to Monday
                   children=[cat, unborn], agencies=agencies, child_seen="no")
    made["d"] = sd(at(date(2026, 9, 1)), decided=at(date(2026, 8, 31)), urgency="urgent",  # urgent: same day
                   circulated=at(date(2026, 9, 1), 16), children=[dan], agencies=agencies,
                   child_seen="yes", seen_alone="yes")
    # 30 September 23:30 London (22:30 UTC), and no police invitation at all
    made["e"] = sd(at(date(2026, 9, 30), 23, 30), decided=at(date(2026, 9, 30), 9), police=None,
                   circulated=at(date(2026, 10, 1), 9), children=[eve], agencies=agencies)
    made["f"] = sd(at(date(2026, 8, 20)), status="convened", decided=at(date(2026, 8, 20), 9), children=[ben],
                   agencies=agencies, child_seen="yes", seen_alone="yes", child_said="Nothing happened")
    sd(at(date(2026, 8, 10)), status="cancelled", children=[dan], agencies=agencies)
    sd(at(date(2026, 8, 11)), status="draft", children=[dan], agencies=agencies)
    # either side of the quarter in London: 30 June 23:30 (the second quarter) and 1 October 00:30 (the fourth)
    made["before"] = sd(at(date(2026, 6, 30), 23, 30), children=[amy], agencies=agencies)
    made["after"] = sd(at(date(2026, 10, 1), 0, 30), children=[cat], agencies=agencies)
    for key, topic, nothing in (("a", "police_convictions", False), ("b", "police_intelligence", True),
                                ("d", "police_other_forces", False), ("c", "health_injuries", False)):
        db.session.add(InformationShared(discussion_id=made[key].id, agency_id=agencies["police"].id, topic=topic,
                                         text="" if nothing else "Two previous convictions", nothing_held=nothing))
    db.session.commit()
    made["children"] = {"amy": amy, "ben": ben, "cat": cat, "dan": dan, "eve": eve}
    return made


def test_police_figures_count_held_discussions_in_the_london_quarter(held):
    assert figure("police-attended") == Figure(met=4, counted=6)  # a, b, d, f; not c (apologies), not e
    assert figure("police-convictions") == Figure(1, 6)
    assert figure("police-intelligence") == Figure(1, 6)  # checked, nothing held: an answer
    assert figure("police-other-forces") == Figure(1, 6)
    by_quarter = trend("police-attended")
    # eight quarters, ending with the period's
    assert list(by_quarter) == ["Q4 2024", "Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025", "Q1 2026", "Q2 2026",
                                "Q3 2026"]
    assert by_quarter["Q2 2026"] == Figure(1, 1) and by_quarter["Q3 2026"] == Figure(4, 6)
    assert by_quarter["Q1 2025"] == Figure(0, 0)
    assert trend("police-attended", period=(date(2026, 10, 1), date(2026, 10, 31)))["Q4 2026"] == Figure(1, 1)


def test_timeliness_of_holding_the_discussion_and_circulating_the_minutes(held):
    # in time: a (same day), c (Friday's decision, Monday's discussion), e, f; late: b, d (urgent, next day)
    assert figure("held-in-time") == Figure(4, 6)
    # the minutes: a, d, e by their due time; b late; c and f never circulated, past due
    assert figure("minutes-in-time") == Figure(3, 6)
    # on 2 July, only a's minutes were due (or circulated): the rest are not yet counted
    assert figure("minutes-in-time", period=(date(2026, 7, 1), date(2026, 7, 1)), now=at(date(2026, 7, 1), 12)) \
        == Figure(1, 1)


def test_the_partnerships_timescale_setting_is_used(app, held):
    app.config["DISCUSSION_WITHIN_WORKING_DAYS"] = 2
    assert figure("held-in-time") == Figure(5, 6)  # b (Monday's decision, Wednesday's discussion) is now in time


def test_child_seen_seen_alone_and_heard(held):
    # six children born (the unborn baby is not counted): seen a, b, d, f; alone a, d, f; their words a, f
    assert figure("child-seen") == Figure(4, 6)
    assert figure("child-seen-alone") == Figure(3, 6)
    assert figure("child-voice") == Figure(2, 6)


def test_children_coming_back_to_discussions(held):
    # Amy (a) was discussed on 30 June; Ben (f) at b in July: 2 of the 6 children at initial discussions
    assert figure("repeat-discussions") == Figure(2, 6)
    assert trend("repeat-discussions")["Q2 2026"] == Figure(0, 1)


def _decision(discussion, c, **fields) -> ThresholdDecision:
    data = {"outcome": "s47_single", "rationale": "Bruising"} | fields
    decision = ThresholdDecision(discussion_id=discussion.id, child_id=c.id, **data)
    db.session.add(decision)
    db.session.flush()
    return decision


def test_conferences_assessments_and_abe_interviews(held, agencies):
    kids = held["children"]
    due = date(2026, 7, 22)
    _decision(held["a"], kids["amy"], starts_enquiry=True, icpc_status="booked", icpc_due_on=due, icpc_date=due,
              abe_planned="yes", abe_joint=True, intermediary_considered="yes")
    _decision(held["b"], kids["ben"], starts_enquiry=True, icpc_status="booked", icpc_due_on=date(2026, 8, 5),
              icpc_date=date(2026, 8, 6), abe_planned="yes", abe_joint=False, intermediary_considered="no",
              assessment_completed_at=at(date(2026, 9, 1)))
    _decision(held["c"], kids["cat"], starts_enquiry=True, icpc_status="due", icpc_due_on=date(2026, 8, 24))
    _decision(held["d"], kids["dan"], starts_enquiry=True, icpc_status="due", icpc_due_on=date(2026, 12, 1),
              assessment_completed_at=at(date(2026, 11, 20)))  # not yet due: not counted; assessment late
    _decision(held["e"], kids["eve"], starts_enquiry=True, icpc_status="ended", icpc_due_on=date(2026, 10, 21),
              assessment_completed_at=at(date(2026, 10, 30)))
    _decision(held["f"], kids["ben"], outcome="s17")
    db.session.commit()
    assert figure("icpc-in-time") == Figure(1, 3)  # a on time; b a day late; c overdue; d not due; e ended
    assert figure("abe-joint") == Figure(1, 2)
    assert figure("abe-intermediary") == Figure(1, 2)
    # assessments by the referral's date: a's referral was 1 July (not done), b's 15 July (done 1 September: in
    # time), c's 3 August (not done), d's 1 September (done 20 November: late), e's 30 September (done 30 October:
    # in time), f's 20 August for Ben (not done, due 22 October). Six referrals, two in time.
    assert figure("assessment-in-time") == Figure(2, 6)
    # one assessment per child per referral: a review about Ben's referral with no completion changes nothing
    review = sd(at(date(2026, 7, 25)), kind="review", children=[kids["ben"]], agencies=agencies,
                referral=date(2026, 7, 15))
    _decision(review, kids["ben"], outcome="s47_single", icpc_status="inherited")
    db.session.commit()
    assert figure("assessment-in-time") == Figure(2, 6)
    # assessments are counted by the referral date: 30 September's referral is not in a period ending 29 September
    assert figure("assessment-in-time", period=(date(2026, 7, 1), date(2026, 9, 29))) == Figure(1, 5)


def _episode(c, reported: datetime, user, agency, *, returned: datetime | None = None) -> MissingEpisode:
    episode = MissingEpisode(child_id=c.id, reported_missing_at=reported, missing_from="home", risk_level="medium",
                             recorded_by_id=user.id, recorded_by_agency_id=agency.id, returned_at=returned)
    db.session.add(episode)
    db.session.flush()
    return episode


def test_return_interviews_police_protection_and_repeat_missing(agencies, make_user):
    officer = make_user(Role.PRACTITIONER, "police")
    amy, ben = child("Amy"), child("Ben")
    police, csc = agencies["police"], agencies["csc"]
    _episode(amy, at(date(2026, 5, 1)), officer, police)  # before the quarter: makes Amy's July episodes repeats
    rhis = []
    for n, (day, status, in_time) in enumerate([(date(2026, 7, 2), "completed", True),
                                                (date(2026, 7, 20), "completed", False),
                                                (date(2026, 8, 5), "not_held", None),
                                                (date(2026, 9, 30), "open", None),
                                                (date(2026, 11, 25), "open", None)]):
        who = amy if n < 2 else ben
        episode = _episode(who, at(day) - timedelta(days=1), officer, police, returned=at(day))
        rhi = ReturnInterview(episode_id=episode.id, child_id=who.id, local_authority_id=csc.id,
                              returned_at=at(day), due_at=at(day) + timedelta(hours=72), status=status,
                              completed_in_time=in_time)
        db.session.add(rhi)
        rhis.append(rhi)
    for day, hours, breached in ((date(2026, 7, 3), 48, False), (date(2026, 8, 3), 80, True),
                                 (date(2026, 9, 29), None, False)):
        started = at(day)
        db.session.add(PoliceProtection(
            child_id=ben.id, started_at=started, ends_at=started + timedelta(hours=72), designated_officer="DI Rao",
            place_of_safety="Foster carer", recorded_by_id=officer.id, recorded_by_agency_id=police.id,
            ended_at=started + timedelta(hours=hours) if hours else None, breached=breached))
    db.session.commit()
    # four returns in the quarter: in time; late; not held; open and past due (30 September + 72 hours)
    assert figure("rhi-in-time") == Figure(1, 4)
    assert figure("rhi-in-time", now=at(date(2026, 10, 2), 12)) == Figure(1, 3)  # the last not yet due
    assert figure("protection-in-time") == Figure(1, 3)  # 48 hours; 80 hours; still open past 72 hours
    # episodes reported in the quarter: Amy's two (both after her May episode) and Ben's first two (his first is
    # new, his second a repeat); the 30 September episode was reported on 29 September
    assert figure("repeat-missing") == Figure(3, 4)


def test_professional_differences_escalated_and_resolved_in_time(agencies, make_user):
    policy = difference_services.ensure_policies()[0]
    raiser, other = make_user(Role.PRACTITIONER, "police"), make_user(Role.PRACTITIONER, "csc")
    kid = child()

    def difference(raised: datetime, status: str, stages: list[tuple[int, int | None]]) -> None:
        """stages: (hours it ran, hours it was allowed) for each stage, in order; None: still open."""
        pd = ProfessionalDifference(child_id=kid.id, raised_by_id=raiser.id, raised_by_agency_id=raiser.agency_id,
                                    against_agency_id=other.agency_id, about="Decision", concern="Concern",
                                    outcome_sought="Review", theme="threshold", policy_id=policy.id, status=status,
                                    raised_at=raised, current_stage=len(stages))
        db.session.add(pd)
        db.session.flush()
        opened = raised
        for number, (ran, allowed) in enumerate(stages, start=1):
            closed = opened + timedelta(hours=ran) if ran is not None else None
            db.session.add(DifferenceStage(difference_id=pd.id, number=number, name=f"Stage {number}",
                                           opened_by_id=raiser.id, opened_at=opened,
                                           due_at=opened + timedelta(hours=allowed), raising_lead_id=raiser.id,
                                           responding_lead_id=other.id, closed_at=closed,
                                           outcome=("escalated" if number < len(stages) else "resolved")
                                           if closed else None))
            opened = closed or opened

    difference(at(date(2026, 7, 6)), "resolved", [(10, 24)])                 # resolved in time at stage 1
    difference(at(date(2026, 7, 7)), "resolved", [(30, 24), (5, 48)])        # escalated; stage 1 late
    difference(at(date(2026, 8, 3)), "resolved", [(20, 24), (40, 48)])       # escalated; all in time
    difference(at(date(2026, 9, 1)), "open", [(20, 24), (None, 48)])         # escalated, still open
    difference(at(date(2026, 10, 5)), "resolved", [(1, 24)])                 # after the quarter
    db.session.commit()
    assert figure("differences-escalated") == Figure(3, 4)
    assert figure("differences-in-time") == Figure(2, 3)
    assert learning.stage_figures(*Q3) == [(1, Figure(3, 4)), (2, Figure(2, 2))]
    assert learning.compute(*Q3, now=NOW, today=TODAY).stages == [(1, Figure(3, 4)), (2, Figure(2, 2))]


def test_page_answers_each_question_withholds_small_numbers_and_links_to_the_lists(signed_in, held):
    client, manager = signed_in(Role.MANAGER)
    refresh()
    page = client.get("/reports/practice-learning?" + _query(*Q3))
    for q in learning.QUESTIONS:
        assert q.question in page and f'id="trend-{q.key}"' in page.html
        assert f'href="/reports/practice-learning/{q.key}?{_query(*Q3)}"' in page.html.replace("&amp;", "&")
    assert "Police attended: [c] of 6 ([c])" in page  # 4 of 6: the 4 is withheld, and so is the rate
    assert "Held in time: [c] of 6 ([c])" in page
    assert "[c] means a number from 1 to 4" in page
    assert "What these figures cannot answer" in page
    for name in ("Amy", "Pemberton-Quayle", "my nan"):
        assert name not in page.html
    assert '<svg class="app-chart" role="img"' in page.html and "<title" in page.html and "<desc" in page.html
    assert page.html.count("<svg") == page.html.count('<table class="govuk-table app-chart-table"')
    # the content security policy allows no inline style or script: the charts need neither
    assert "style-src 'self';" in page.response.headers["Content-Security-Policy"]
    assert "style=" not in page.html and "<style" not in page.html
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "practice_learning_report")
                               ).scalar_one()
    assert event.user_id == manager.id and event.detail == "2026-07-01 to 2026-09-30"


def test_every_figures_table_downloads_as_csv_with_the_same_numbers_withheld(signed_in, held, agencies):
    client, _ = signed_in(Role.MANAGER)
    agencies["police"].name = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    refresh()
    url = f"/reports/practice-learning/tables/trend-police-attended.csv?{_query(*Q3)}"
    response = client.request("GET", url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Quarter", "Police attended (%)", "Police attended", "Counted"]
    by_quarter = {row[0]: row[1:] for row in rows[1:]}
    assert by_quarter["Q2 2026"] == ["[c]", "[c]", "[c]"]
    assert by_quarter["Q3 2026"] == ["[c]", "[c]", "6"]
    assert by_quarter["Q1 2025"] == ["–", "0", "0"]
    agency = client.request("GET", f"/reports/practice-learning/tables/agency-attendance.csv?{_query(*Q3)}")
    text = agency.get_data(as_text=True)
    assert "'=HYPERLINK" in text
    client.get(f"/reports/practice-learning/tables/no-such-table.csv?{_query(*Q3)}", expected=404)
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "practice_learning_csv")
                                ).scalars().all()
    assert [e.detail.split(":")[0] for e in events] == ["trend-police-attended", "agency-attendance"]


def test_lists_behind_a_figure_show_only_what_the_reader_may_see(signed_in, make_user, held, agencies):
    mash_client, _ = signed_in(Role.MASH)
    page = mash_client.get(f"/reports/practice-learning/police-attended?{_query(*Q3)}")
    assert "6 records" in page
    for key in ("a", "b", "c", "d", "e", "f"):
        assert f'href="/discussions/{held[key].id}"' in page.html
    assert "Download this list (CSV)" not in page  # MASH see the list; managers download it
    mash_client.get(f"/reports/practice-learning/police-attended.csv?{_query(*Q3)}", expected=403)

    # a health manager's agency was invited to none of these: the figure is the partnership's, the list is empty
    health_client, _ = signed_in(Role.MANAGER, "health")
    assert "There are no records in this figure that you may see" in health_client.get(
        f"/reports/practice-learning/police-attended?{_query(*Q3)}")
    police_client, _ = signed_in(Role.MANAGER, "police")
    listed = police_client.get(f"/reports/practice-learning/police-attended?{_query(*Q3)}")
    assert f'href="/discussions/{held["e"].id}"' not in listed.html  # police were not invited to e
    assert "5 records" in listed
    response = police_client.request("GET", f"/reports/practice-learning/police-attended.csv?{_query(*Q3)}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Record", "Date", "Police attended", "Link"] and len(rows) == 6
    assert {row[2] for row in rows[1:]} == {"Yes", "No"}
    police_client.get(f"/reports/practice-learning/no-such-question?{_query(*Q3)}", expected=404)
    kinds = [e.object_type for e in db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type.like("practice_learning%"))).scalars()]
    assert kinds == ["practice_learning_list"] * 3 + ["practice_learning_list_csv"]


def test_who_may_see_the_report(signed_in, agencies, held):
    from safeguarding.auth.models import Agency

    unit = Agency(name="Testshire Safeguarding Partnership", kind="safeguarding_partnership",
                  shared_mailbox="scp@example.org")
    db.session.add(unit)
    db.session.commit()
    agencies["unit"] = unit
    refresh()
    for role, agency in ((Role.PRACTITIONER, "police"), (Role.PRACTITIONER, "csc"), (Role.ADMIN, "csc")):
        client, _ = signed_in(role, agency)
        client.get("/reports/practice-learning", expected=403)
        client.get(f"/reports/practice-learning/police-attended?{_query(*Q3)}", expected=403)
        client.get(f"/reports/practice-learning/tables/trend-police-attended.csv?{_query(*Q3)}", expected=403)
    # the partnership business unit sees the figures, and no case record behind them
    client, _ = signed_in(Role.MANAGER, "unit")
    assert "Police attended: [c] of 6 ([c])" in client.get("/reports/practice-learning?" + _query(*Q3))
    assert "There are no records in this figure that you may see" in client.get(
        f"/reports/practice-learning/police-attended?{_query(*Q3)}")
    assert 'href="/reports/practice-learning"' in client.get("/reports/").html


def test_bad_periods_are_errors_not_failures(signed_in, agencies):
    client, _ = signed_in(Role.MANAGER)
    page = client.get("/reports/practice-learning?start=31&start=2&start=2026&end=1&end=3&end=2026")
    assert "There is a problem" in page and page.title.startswith("Error:")
    client.get("/reports/practice-learning/tables/trend-police-attended.csv?start=x", expected=400)
    client.get("/reports/practice-learning/police-attended?start=x", expected=400)
    # no period given: the last full quarter; never worked out yet, the page says so rather than show zeros
    page = client.get("/reports/practice-learning")
    assert "have not been worked out yet" in page and "Figures for" not in page
    refresh(clock.now())
    page = client.get("/reports/practice-learning")
    assert "Figures for" in page and "Figures as at" in page


def test_breakdowns_count_each_child_discussed_once_in_their_group(agencies):
    made = []
    for n, (born, gender, code, disabled) in enumerate([
            (date(2026, 1, 1), "female", "WBRI", "no"),        # under 1 on 30 September
            (date(2025, 9, 30), "male", "WIRT", "yes"),        # 1 on 30 September
            (date(2016, 10, 1), "male", "BAFR", None),         # 9
            (date(2010, 9, 30), "female", "CHNE", "refused"),  # 16
            (date(2011, 10, 1), "refused", "REFU", "not_known"),  # 14
            (date(2012, 5, 5), "unknown", None, None)]):      # 14
        c = child(f"Child{n}", born=born)
        c.gender, c.ethnicity_code, c.disability_status = gender, code, disabled
        made.append(c)
    baby = child("Baby", unborn=True)
    first = sd(at(date(2026, 7, 6)), children=made[:3] + [baby], agencies=agencies)
    second = sd(at(date(2026, 8, 6)), children=made[2:], agencies=agencies)  # Child2 again: counted once
    sd(at(date(2026, 8, 7)), status="cancelled", children=[child("Cancelled")], agencies=agencies)
    sd(at(date(2026, 10, 7)), children=[child("Later")], agencies=agencies)
    _decision(first, made[2], outcome="s47_joint")
    _decision(second, made[2], outcome="s47_single")  # the same child's second enquiry: still one child
    _decision(second, made[3], outcome="s17")
    db.session.commit()
    refresh()
    assert learning.breakdowns(*Q3) == learning.breakdowns_live(*Q3)
    found = {b.key: b for b in learning.breakdowns(*Q3)}
    assert found["age"].children == [("Unborn", 1), ("Under 1", 1), ("1 to 4", 1), ("5 to 9", 1), ("10 to 15", 2),
                                     ("16 and over", 1), ("Not known", 0)]
    assert dict(found["age"].section_47) == {"Unborn": 0, "Under 1": 0, "1 to 4": 0, "5 to 9": 1, "10 to 15": 0,
                                             "16 and over": 0, "Not known": 0}
    assert dict(found["sex"].children) == {"Female": 3, "Male": 2, "Other": 0, "Not known": 1,
                                           "Refused (the child or family would not say)": 1}
    assert dict(found["ethnicity"].children) == {
        "White": 2, "Mixed": 0, "Asian or Asian British": 0, "Black or Black British": 1, "Chinese": 1,
        "Any other ethnic group": 0, "Refused": 1, "Not known": 0, "Not recorded": 2}
    assert dict(found["disability"].children) == {"Disabled": 1, "Not disabled": 1, "Not known": 1, "Refused": 1,
                                                  "Not recorded": 3}


def test_breakdown_tables_withhold_small_groups_on_the_page_and_in_the_csv(signed_in, agencies):
    client, _ = signed_in(Role.MANAGER)
    kids = []
    for n in range(12):
        c = child(f"Kid{n}")
        c.ethnicity_code = "WBRI" if n < 6 else "BAFR" if n < 11 else "AIND"
        kids.append(c)
    sd(at(date(2026, 7, 6)), children=kids, agencies=agencies)
    db.session.commit()
    refresh()
    page = client.get("/reports/practice-learning?" + _query(*Q3))
    assert 'id="breakdown-ethnicity"' in page.html
    table = page.html.split('id="breakdown-ethnicity"')[1].split("</table>")[0]
    assert re.search(r">White</th><td[^>]*>6</td><td[^>]*>50%</td><td[^>]*>0</td>", table)
    # one Asian child is withheld; so are the 5 Black children, or 12 - 6 would give the 1 away
    assert re.search(r">Asian or Asian British</th><td[^>]*>\[c\]</td><td[^>]*>\[c\]</td>", table)
    assert re.search(r">Black or Black British</th><td[^>]*>\[c\]</td><td[^>]*>\[c\]</td>", table)
    response = client.request("GET", f"/reports/practice-learning/tables/breakdown-ethnicity.csv?{_query(*Q3)}")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))}
    assert rows["White"] == ["6", "50%", "0"] and rows["Asian or Asian British"] == ["[c]", "[c]", "0"]
    assert rows["Black or Black British"] == ["[c]", "[c]", "0"] and rows["Chinese"] == ["0", "0%", "0"]
    assert rows["Ethnicity (census main category)"][0] == "Children discussed"


def _statements(client, url) -> int:
    return len(statements_of_get(client, url))


def test_the_page_costs_the_same_statements_for_few_and_many_records(signed_in, agencies, make_user):
    client, _ = signed_in(Role.MANAGER)
    url = "/reports/practice-learning?" + _query(*Q3)

    def add(n: int) -> None:
        for i in range(n):
            day = date(2026, 7, 1) + timedelta(days=(7 * i) % 90)
            kid = child(f"Many{i}")
            discussion = sd(at(day), decided=at(day) - timedelta(days=i % 3), children=[kid], agencies=agencies,
                            child_seen="yes")
            _decision(discussion, kid, outcome="s17" if i % 2 else "s47_single")
        db.session.commit()
        refresh()

    add(3)
    few = _statements(client, url)  # each the first view after the summaries' refresh
    add(30)
    many = _statements(client, url)
    assert "Police attended: 33 of 33 (100%)" in client.get(url)
    assert many == few


def test_a_period_longer_than_the_trend_counts_every_record_in_it(held, agencies):
    sd(at(date(2024, 3, 1)), children=[child("Early")], agencies=agencies)
    db.session.commit()
    period = (date(2024, 1, 1), Q3[1])
    # a, b, d and f, 30 June and March 2024 attended, of 8 held (c, e no police)
    assert figure("police-attended", period=period) == Figure(6, 8)
    quarters = trend("police-attended", period=period)
    assert sum(f.counted for f in quarters.values()) == 7  # the trend starts in October 2024
