"""Missing episodes, return home interviews and emergency powers, through the pages people use."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.children.models import Child
from safeguarding.deadlines import open_deadlines as all_open_deadlines
from safeguarding.extensions import db
from safeguarding.periods import trend_quarters
from safeguarding.missing import deadlines, services
from safeguarding.missing.models import (DiscussionPrompt, EmergencyProtectionOrder, MissingEpisode,
                                         PoliceProtection, ReturnInterview, RhiOffer)

from .missing_data import london, when
from .once_forms import post_new

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
#: Tuesday 27 October 2026, 09:00 GMT: just after the clocks went back
NOW = datetime(2026, 10, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def make_child(user, first="Kai", last="Example") -> Child:
    from datetime import date

    child = child_services.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": date(2011, 5, 4),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "yes", "responsible_authority": "Testshire",
    }, actor=user)
    db.session.commit()
    return child


def episode_form(reported: datetime, **overrides) -> dict:
    data = {**when("reported", reported), "missing_from": "childrens_home", "missing_from_detail": "Oak House",
            "police_reference": "MP/123", "risk_level": "medium", "risk_reason": "Known to older males",
            "indicators": ["county_lines"], "circumstances": "Left after school"}
    data.update(overrides)
    return data


def return_form(returned: datetime, **overrides) -> dict:
    data = {**when("returned", returned), "found_where": "Bus station, Leeds", "returned_by": "Police officer",
            "out_of_area": "y"}
    data.update(overrides)
    return data


def record_episode(actor, child, reported: datetime, returned: datetime | None = None) -> MissingEpisode:
    episode = services.record_episode(child, {
        "reported_missing_at": reported, "missing_from": "home", "missing_from_detail": "", "police_reference": "",
        "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""}, actor=actor)
    if returned:
        services.record_return(episode, {"returned_at": returned, "found_where": "Home", "returned_by": "Mother",
                                         "out_of_area": False, "abroad": False}, actor=actor,
                               expected_version=episode.version)
    db.session.commit()
    return episode


@pytest.fixture
def people(signed_in):
    police, police_user = signed_in(Role.PRACTITIONER, "police", name="PC Dana Reed")
    csc, csc_user = signed_in(Role.PRACTITIONER, "csc", name="Jo Worker")
    return police, police_user, csc, csc_user


def test_police_record_episode_and_return_opening_an_rhi_due_72_hours_later(people):
    police, police_user, csc, _ = people
    child = make_child(police_user)
    page = post_new(police, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 23, 16, 0)))
    episode = db.session.execute(db.select(MissingEpisode)).scalar_one()
    assert page.response.headers["Location"] == f"/missing/episodes/{episode.id}"
    assert episode.reported_missing_at == datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # 16:00 BST
    assert episode.indicators == ["county_lines"] and episode.risk_level == "medium"
    shown = police.get(f"/missing/episodes/{episode.id}")
    assert "Still missing" in shown and "Known to older males" in shown

    post_new(police, f"/missing/episodes/{episode.id}/return", return_form(london(2026, 10, 23, 18, 0)))
    rhi = db.session.execute(db.select(ReturnInterview)).scalar_one()
    assert rhi.due_at == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)  # 17:00 GMT, 72 real hours
    episode_page = police.get(f"/missing/episodes/{episode.id}")
    assert "Return recorded. The return home interview is due by 26 Oct 2026 17:00" in episode_page
    assert "No police prevention interview has been recorded for this return" in episode_page

    post_new(police, f"/missing/episodes/{episode.id}/prevention-interview",
                     {**when("conducted", london(2026, 10, 23, 20, 0)), "officer_name": "PC Dana Reed",
                      "outcome": "concerns_shared", "note": "Would not say where"})
    assert "Seen: concerns found and shared" in police.get(f"/missing/episodes/{episode.id}")
    row = police.get("/missing/?show=episodes").html.split("Kai Example")[1].split("</tr>")[0]
    assert "Done" in row and "Not recorded" not in row  # the episodes list says the interview was done

    # social care sees the interview due (overdue now) and the child
    listing = csc.get("/missing/?show=rhis")
    assert "Kai Example" in listing and "Overdue" in listing
    csc.get(f"/children/{child.id}")
    events = {(e.action, e.object_type) for e in db.session.execute(db.select(AuditEvent)).scalars()}
    assert {("create", "missing_episode"), ("create", "return_interview"), ("update", "missing_episode"),
            ("create", "prevention_interview"), ("view", "missing_episode")} <= events
    create = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "create",
                                                            AuditEvent.object_type == "missing_episode")).scalar_one()
    assert create.changes["circumstances"] == {"changed": True}  # free text is not copied into the audit log


def test_risk_grading_changes_are_kept_as_history(people):
    police, police_user, _, _ = people
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 26, 10, 0))
    post_new(police, f"/missing/episodes/{episode.id}/risk", {"level": "high", "reason": "Seen with known dealer"},
                     form_url=f"/missing/episodes/{episode.id}")
    page = police.get(f"/missing/episodes/{episode.id}")
    assert db.session.get(MissingEpisode, episode.id).risk_level == "high"
    assert "Seen with known dealer" in page and "Medium" in page and "High risk" in page
    error = post_new(police, f"/missing/episodes/{episode.id}/risk", {"level": "low", "reason": ""}, expected=200,
                             form_url=f"/missing/episodes/{episode.id}")
    assert "Enter why the risk grading changed" in error and error.title.startswith("Error:")


def test_bad_dates_get_gov_uk_errors_and_keep_what_was_typed(people):
    police, police_user, _, _ = people
    child = make_child(police_user)
    future = post_new(police, f"/missing/children/{child.id}/episodes/new",
                              episode_form(london(2026, 10, 28, 10, 0), circumstances="Typed words stay"),
                              expected=200)
    assert "Date reported missing must be today or in the past" in future and "Typed words stay" in future.html
    later_today = post_new(police, f"/missing/children/{child.id}/episodes/new",
                                   episode_form(london(2026, 10, 27, 23, 0)), expected=200)
    assert "Time reported missing must be in the past" in later_today
    missing_time = post_new(police, f"/missing/children/{child.id}/episodes/new",
                                    episode_form(london(2026, 10, 26, 9, 0), reported_time=""), expected=200)
    assert "Enter the time the child was reported missing" in missing_time
    assert db.session.execute(db.select(MissingEpisode)).first() is None

    episode = record_episode(police_user, child, london(2026, 10, 26, 10, 0))
    before = post_new(police, f"/missing/episodes/{episode.id}/return",
                              return_form(london(2026, 10, 26, 9, 0), found_where="Outside the library"),
                              expected=200)
    assert "Date found or returned must be after the child was reported missing" in before
    assert "Outside the library" in before.html and 'value="09:00"' in before.html
    assert db.session.get(MissingEpisode, episode.id).returned_at is None


def test_offer_declined_then_completed_within_72_hours(people):
    police, police_user, csc, csc_user = people
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 25, 8, 0), returned=london(2026, 10, 25, 20, 0))
    rhi = episode.return_interview
    url = f"/missing/return-interviews/{rhi.id}"

    early = post_new(csc, f"{url}/offers", {**when("offered", london(2026, 10, 25, 19, 0)),
                                            "method": "phone", "response": "accepted"},
                          expected=200, form_url=url)
    assert "Date of the offer must be after the child was found or returned" in early

    post_new(csc, f"{url}/offers", {**when("offered", london(2026, 10, 26, 10, 0)), "method": "in_person",
                                    "response": "declined", "note": "Said leave me alone"}, form_url=url)
    page = csc.get(url)
    assert db.session.get(ReturnInterview, rhi.id).is_open
    assert "offer again, ideally by Jo Worker again" in page and "Said leave me alone" in page
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id == csc_user.id  # first offerer becomes the worker

    post_new(csc, f"{url}/offers", {**when("offered", london(2026, 10, 26, 16, 0)), "method": "in_person",
                                    "response": "accepted"}, form_url=url)
    completion = {**when("completed", london(2026, 10, 27, 8, 30)), "interviewer_name": "Jo Worker",
                  "interviewer_organisation": "Missing children team", "interviewer_independent": "no",
                  "interview_location": "Cafe", "why_left": "Arguments at home", "where_and_with_whom": "Friends",
                  "harm": "None disclosed", "support_and_referrals": "Youth worker",
                  "information_sharing_consent": "yes"}
    refused = post_new(csc, f"{url}/complete", completion, expected=200)
    assert "The interviewer must be independent of the child's placement" in refused
    assert "Arguments at home" in refused.html
    post_new(csc, f"{url}/complete", {**completion, "interviewer_independent": "yes"})
    done = db.session.get(ReturnInterview, rhi.id)
    assert done.status == "completed" and done.completed_in_time is True
    assert "Return home interview completed within 72 hours" in csc.get(url)
    assert not [d for d in deadlines.open_deadlines(due_before=NOW + timedelta(days=7)) if d.kind == "return_interview"]
    offers = db.session.execute(db.select(RhiOffer)).scalars().all()
    assert [o.response for o in offers] == ["declined", "accepted"]
    # an interview cannot be completed twice
    again = csc.get(f"{url}/complete", expected=302)
    assert again.response.headers["Location"] == url


def test_interview_after_72_hours_is_completed_late(people):
    _, police_user, csc, _ = people
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 20, 8, 0), returned=london(2026, 10, 20, 12, 0))
    url = f"/missing/return-interviews/{episode.return_interview.id}"
    post_new(csc, f"{url}/complete", {
        **when("completed", london(2026, 10, 23, 12, 1)), "interviewer_name": "Jo", "interviewer_organisation": "Team",
        "interviewer_independent": "yes", "interview_location": "School", "why_left": "x", "where_and_with_whom": "x",
        "harm": "x", "support_and_referrals": "x", "information_sharing_consent": "no"})
    assert db.session.get(ReturnInterview, episode.return_interview.id).completed_in_time is False
    assert "Completed late" in csc.get(url)


def test_manager_can_close_an_interview_the_child_refused(people, signed_in):
    _, police_user, csc, csc_user = people
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 25, 8, 0), returned=london(2026, 10, 25, 20, 0))
    rhi_id = episode.return_interview.id
    too_soon = post_new(manager, f"/missing/return-interviews/{rhi_id}/not-held", {"reason": "Refused"},
                                 expected=200)
    assert "Record at least one offer before deciding not to hold the interview" in too_soon
    services.record_offer(db.session.get(ReturnInterview, rhi_id), {
        "offered_at": london(2026, 10, 26, 9, 0), "method": "phone", "response": "declined"}, actor=csc_user)
    db.session.commit()
    csc.get(f"/missing/return-interviews/{rhi_id}/not-held", expected=403)  # practitioners cannot close it
    post_new(manager, f"/missing/return-interviews/{rhi_id}/not-held", {"reason": "Refused three offers"})
    assert db.session.get(ReturnInterview, rhi_id).status == "not_held"


def test_who_may_do_what(people, signed_in):
    police, police_user, csc, _ = people
    school, _ = signed_in(Role.PRACTITIONER, "education")
    other_force, _ = signed_in(Role.PRACTITIONER, "other_police")
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 26, 8, 0), returned=london(2026, 10, 26, 10, 0))
    rhi_id = episode.return_interview.id
    for client in (school, other_force):
        client.get(f"/missing/episodes/{episode.id}", expected=404)
        client.get(f"/missing/return-interviews/{rhi_id}", expected=404)
        client.get(f"/children/{child.id}", expected=404)
        assert "Kai Example" not in client.get("/missing/?show=episodes")
    for client in (csc, mash):
        assert "Kai Example" in client.get("/missing/?show=episodes")
        client.get(f"/missing/episodes/{episode.id}")
    csc.get(f"/missing/children/{child.id}/episodes/new", expected=403)  # social care does not record episodes
    post_new(police, f"/missing/return-interviews/{rhi_id}/offers", {}, expected=403,
                     form_url=f"/missing/return-interviews/{rhi_id}")
    school.get(f"/missing/children/{child.id}/episodes/new", expected=403)
    fails = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "authz_fail")).scalars().all()
    assert len(fails) >= 9


def test_worker_assigned_to_an_rhi_can_see_the_child(people, signed_in, make_user):
    _, police_user, csc, _ = people
    other_la_worker = make_user(Role.PRACTITIONER, "csc")
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 26, 8, 0), returned=london(2026, 10, 26, 10, 0))
    rhi = episode.return_interview
    url = f"/missing/return-interviews/{rhi.id}"
    page = csc.get(url)
    # the interview's page links to its own page for choosing the worker, rather than listing every worker
    assert 'name="assign-worker"' not in page.html and f'href="{url}/assign"' in page.html
    assert "Nobody has been assigned yet" in page
    choose = csc.get(f"{url}/assign")
    assert "Assign a worker" in choose and other_la_worker.name in choose
    # nobody is chosen for them: a page of radios, none of them checked
    assert f'name="assign-worker" type="radio" value="{other_la_worker.id}"' in choose.html
    assert "checked" not in choose.html
    # nothing chosen: the error is on the page that asks, and nothing is saved
    errors = post_new(csc, f"{url}/assign", {"assign-worker": ""}, expected=200)
    assert "Select the worker who will offer the interview" in errors
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id is None
    post_new(csc, f"{url}/assign", {"assign-worker": str(other_la_worker.id)})
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id == other_la_worker.id
    assert "Assigned to" in csc.get(url)
    assert "Change the worker" in csc.get(f"{url}/assign")


def test_repeat_missing_prompts_mash_at_three_in_thirty_days(people, signed_in):
    _, police_user, _, _ = people
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(police_user)
    other = make_child(police_user, first="Lee")
    for day in (1, 15):
        record_episode(police_user, child, london(2026, 10, day, 22, 0), returned=london(2026, 10, day, 23, 0))
        record_episode(police_user, other, london(2026, 10, day, 22, 0), returned=london(2026, 10, day, 23, 0))
    assert db.session.execute(db.select(DiscussionPrompt)).first() is None
    record_episode(police_user, child, london(2026, 10, 26, 9, 0))  # third within 1-26 October
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert prompt.child_id == child.id and prompt.reason == "repeat_missing"

    page = mash.get(f"/children/{child.id}")
    assert "Repeatedly missing" in page and "Create a draft strategy discussion" in page
    assert "Missing episodes, last 30 days 3" in page and "Missing now" in page
    assert "Kai Example" in mash.get("/missing/")  # MASH land on the prompts
    note = services.prompt_note(prompt)
    assert note.count("- Missing from home") == 3

    post_new(mash, f"/missing/prompts/{prompt.id}/close", {"note": "Discussion booked for 10:00 tomorrow"})
    assert db.session.get(DiscussionPrompt, prompt.id).closed_at == NOW
    assert "Repeatedly missing" not in mash.get(f"/children/{child.id}")


def test_one_click_turns_the_prompt_into_a_draft_discussion(people, signed_in):
    _, police_user, _, _ = people
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(police_user)
    for day in (2, 9, 16):
        record_episode(police_user, child, london(2026, 10, day, 22, 0), returned=london(2026, 10, day + 1, 1, 0))
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    page = post_new(mash, f"/missing/prompts/{prompt.id}/convene", {}, form_url=f"/children/{child.id}")
    prompt = db.session.get(DiscussionPrompt, prompt.id)
    from safeguarding.discussions.models import StrategyDiscussion

    draft = db.session.execute(db.select(StrategyDiscussion)).scalar_one()
    assert page.response.headers["Location"] == f"/discussions/{draft.id}"
    assert draft.status == "draft" and draft.reason.count("- Missing from home") == 3
    assert [c.child_id for c in draft.children] == [child.id]
    assert prompt.closed_at == NOW and prompt.discussion_id == draft.id


def test_three_episodes_in_thirty_one_days_do_not_prompt(people):
    _, police_user, _, _ = people
    child = make_child(police_user)
    for when_ in (london(2026, 9, 26, 10, 0), london(2026, 10, 10, 10, 0), london(2026, 10, 26, 10, 0)):
        record_episode(police_user, child, when_, returned=when_ + timedelta(hours=3))
    assert db.session.execute(db.select(DiscussionPrompt)).first() is None


def test_an_episode_with_an_arrest_prompts(people):
    police, police_user, _, _ = people
    child = make_child(police_user)
    post_new(police, f"/missing/children/{child.id}/episodes/new",
                     episode_form(london(2026, 10, 26, 10, 0), arrested="y", indicators=["criminal_exploitation"]))
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert prompt.reason == "arrest"


def test_police_protection_clocks_and_end(people, signed_in):
    police, police_user, csc, _ = people
    child = make_child(police_user)
    start = london(2026, 10, 24, 20, 0)  # BST; 72 real hours later is 19:00 GMT on the 27th
    post_new(police, f"/missing/children/{child.id}/police-protection/new",
                     {**when("started", start), "designated_officer": "Insp Shah", "place_of_safety": "Foster home",
                      "reason": "Found alone at 2am"})
    pp = db.session.execute(db.select(PoliceProtection)).scalar_one()
    assert pp.ends_at == datetime(2026, 10, 27, 19, 0, tzinfo=UTC)
    assert db.session.execute(db.select(DiscussionPrompt)).scalar_one().reason == "police_protection"
    found = [(d.kind, d.due_at.astimezone(LONDON).strftime("%d %H:%M"), d.owner_id)
             for d in deadlines.open_deadlines(due_before=NOW + timedelta(days=7))]
    assert found == [("police_protection_48h", "26 19:00", police_user.id),
                     ("police_protection_66h", "27 13:00", police_user.id),
                     ("police_protection", "27 19:00", police_user.id)]
    # only the clocks already due are asked for, by an earlier horizon
    assert [d.kind for d in deadlines.open_deadlines(due_before=NOW)] == ["police_protection_48h"]
    page = csc.get(f"/missing/police-protection/{pp.id}")  # children's social care is told
    assert "must end by 27 Oct 2026 19:00" in page

    url = f"/missing/police-protection/{pp.id}/end"
    future = post_new(police, url, {**when("ended", london(2026, 10, 27, 19, 0)), "end_outcome": "returned_home"},
                              expected=200)
    assert "Time police protection ended must be in the past" in future
    post_new(police, url, {**when("ended", london(2026, 10, 27, 8, 0)), "end_outcome": "accommodated"})
    assert db.session.get(PoliceProtection, pp.id).ended_at is not None
    assert deadlines.open_deadlines(due_before=NOW + timedelta(days=7)) == []

    # one that began earlier, so that its 72 hours are already over
    earlier = services.start_police_protection(child, {
        "started_at": london(2026, 10, 24, 8, 0), "designated_officer": "Insp Shah", "place_of_safety": "Home",
        "reason": "x"}, actor=police_user)
    db.session.commit()
    assert earlier.ends_at.astimezone(LONDON) == london(2026, 10, 27, 7, 0)
    too_long = post_new(police, f"/missing/police-protection/{earlier.id}/end",
                                {**when("ended", london(2026, 10, 27, 7, 1)), "end_outcome": "returned_home",
                                 "end_note": "Typed note"}, expected=200)
    assert "Police protection lasted more than 72 hours: enter why" in too_long and "Typed note" in too_long.html
    assert db.session.get(PoliceProtection, earlier.id).ended_at is None


def test_emergency_protection_order_extension_rules(people, signed_in):
    _, police_user, csc, csc_user = people
    child = make_child(csc_user)
    post_new(csc, f"/missing/children/{child.id}/epo/new", {**when("granted", london(2026, 10, 22, 15, 0)),
                                                          **when("ends", london(2026, 10, 30, 15, 0)),
                                                          "court": "Testshire Family Court"})
    epo = db.session.execute(db.select(EmergencyProtectionOrder)).scalar_one()
    assert epo.expires_at.astimezone(LONDON) == london(2026, 10, 30, 15, 0)
    url = f"/missing/epo/{epo.id}"
    too_long = post_new(csc, f"{url}/extend", {**when("extend-extended", london(2026, 10, 26, 10, 0)),
                                               **when("extend-new_end", london(2026, 11, 6, 15, 1))},
                        expected=200, form_url=url)
    assert "An extension can be at most 7 days: the end must be no later than 6 November 2026 15:00" in too_long
    assert 'value="15:01"' in too_long.html
    no_end = post_new(csc, f"{url}/extend", {**when("extend-extended", london(2026, 10, 26, 10, 0))}, expected=200,
                      form_url=url)
    assert "Enter the date the extended order ends" in no_end
    post_new(csc, f"{url}/extend", {**when("extend-extended", london(2026, 10, 26, 10, 0)),
                                    **when("extend-new_end", london(2026, 11, 6, 15, 0))}, form_url=url)
    extended = db.session.get(EmergencyProtectionOrder, epo.id)
    assert extended.expires_at.astimezone(LONDON) == london(2026, 11, 6, 15, 0)
    assert extended.extended_from.astimezone(LONDON) == london(2026, 10, 30, 15, 0)
    second = post_new(csc, f"{url}/extend", {**when("extend-extended", london(2026, 10, 27, 8, 0)),
                                             **when("extend-new_end", london(2026, 11, 7, 15, 0))},
                      expected=200, form_url=url)
    assert "already been extended: an emergency protection order can be extended only once" in second
    assert db.session.get(EmergencyProtectionOrder, epo.id).expires_at.astimezone(LONDON) == london(2026, 11, 6, 15, 0)
    [deadline] = deadlines.open_deadlines(due_before=NOW + timedelta(days=14))
    assert deadline.kind == "epo_expiry" and deadline.owner_id == csc_user.id


def _interviews(**kwargs):
    return [d for d in deadlines.open_deadlines(**kwargs) if d.kind == "return_interview"]


def test_return_interview_deadline_owners(people, make_user):
    _, police_user, _, csc_user = people
    manager = make_user(Role.MANAGER, "csc")
    inactive_manager = make_user(Role.MANAGER, "csc", active=False)
    police_manager = make_user(Role.MANAGER, "police")
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 26, 8, 0), returned=london(2026, 10, 26, 10, 0))
    horizon = NOW + timedelta(days=7)
    # everyone's deadlines (the sweep): once, nobody named, the team's; a manager's own: theirs to allocate
    [unassigned] = _interviews(due_before=horizon)
    assert unassigned.owner_id is None and unassigned.team_mailbox and unassigned.kind == "return_interview"
    [unassigned] = _interviews(due_before=horizon, owner_ids=[manager.id])
    assert unassigned.owner_id == manager.id and unassigned.kind == "return_interview"
    assert "not yet assigned" in unassigned.title and unassigned.url.endswith(f"/{episode.return_interview.id}")
    assert _interviews(due_before=horizon, owner_ids=[inactive_manager.id, police_manager.id]) == []
    services.assign(episode.return_interview, csc_user, actor=manager,
                    expected_version=episode.return_interview.version)
    db.session.commit()
    assert [d.owner_id for d in _interviews(due_before=horizon)] == [csc_user.id]
    assert [d.owner_id for d in _interviews(due_before=horizon, owner_ids=[csc_user.id])] == [csc_user.id]
    assert _interviews(due_before=horizon, owner_ids=[manager.id]) == []
    assert _interviews(due_before=london(2026, 10, 29, 9, 0)) == []  # due 10:00 GMT on the 29th
    # nothing offered yet: the 48-hour escalation runs beside the 72-hour clock
    assert [d.kind for d in all_open_deadlines(due_before=horizon)] == ["return_interview_48h", "return_interview"]
    assert "return_interview" in deadlines.KINDS


def test_figures_for_a_quarter(people, signed_in):
    _, police_user, _, csc_user = people
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(police_user)

    def returned(at, offers=(), completed=None):
        episode = record_episode(police_user, child, at - timedelta(hours=2), returned=at)
        rhi = episode.return_interview
        for i, response in enumerate(offers):
            services.record_offer(rhi, {"offered_at": at + timedelta(hours=1 + i), "method": "phone",
                                        "response": response}, actor=csc_user)
        if completed is not None:
            services.complete(rhi, {
                "completed_at": at + completed, "interviewer_name": "Jo", "interviewer_organisation": "Team",
                "interviewer_independent": True, "interview_location": "Home", "why_left": "x",
                "where_and_with_whom": "x", "harm": "x", "health_needs": "", "support_and_referrals": "x",
                "information_sharing_consent": "yes"}, actor=csc_user, expected_version=rhi.version)
        db.session.commit()

    returned(london(2026, 7, 3, 12, 0), ["declined", "accepted"], timedelta(hours=30))
    returned(london(2026, 7, 20, 12, 0), ["accepted"], timedelta(hours=80))
    returned(london(2026, 8, 10, 12, 0), ["declined"])
    returned(london(2026, 8, 31, 23, 30))  # 23:30 BST on 31 August is still August in London
    returned(london(2026, 10, 1, 9, 0), ["accepted"], timedelta(hours=2))  # outside the quarter
    months, total = services.figures(date(2026, 7, 1), date(2026, 9, 30))
    counts = [(m.returns, m.offered, m.accepted, m.completed, m.in_time) for m in months + [total]]
    assert counts == [(2, 2, 2, 2, 1), (2, 1, 0, 0, 0), (0, 0, 0, 0, 0), (4, 3, 2, 2, 1)]
    page = manager.get("/missing/figures")  # defaults to the last full quarter: July to September 2026
    assert "Figures for 1 July 2026 to 30 September 2026" in page
    # Every count from 1 to 4 is withheld, on the page, in the chart and in the CSV, with the percentages of them
    assert "Sep 2026 – – – – 0 0 0 0 0" in page
    assert "Whole period [c] [c] [c] [c] [c] [c] [c] [c] [c]" in page
    assert "Jul 2026 [c] [c] [c] [c] [c] [c] [c] [c] [c]" in page
    assert "Q3 2026 [c] [c] [c]" in page  # the trend's quarter

    # Six more returns in July, each interviewed within 30 hours, and the figures can be shown
    for day in range(21, 27):
        returned(london(2026, 7, day, 12, 0), ["accepted"], timedelta(hours=30))
    page = manager.get("/missing/figures")
    # July: 8 returns, all offered, accepted and completed, 7 in time; August: 2 returns, 1 offered. August's small
    # counts are withheld, and with them July's returns and offers, or August's could be worked out from the whole
    # period's; a percentage is withheld with either of its counts.
    assert "Jul 2026 [c] [c] [c] [c] [c] [c] 8 8 7" in page
    assert "Aug 2026 [c] [c] [c] [c] [c] [c] 0 0 0" in page
    assert "Whole period 90% 80% 80% 70% 10 9 8 8 7" in page
    assert "Q3 2026 70% 7 10" in page and "Q2 2026 – 0 0" in page
    response = manager.request("GET", "/missing/figures/tables/return-interviews.csv?start=1&start=7&start=2026"
                                      "&end=30&end=9&end=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Month returned", "Offered (%)", "Accepted (%)", "Completed (%)", "In 72 hours (%)", "Returns",
                       "Offered", "Accepted", "Completed", "In 72 hours"]
    assert rows[1:] == [["Jul 2026", "[c]", "[c]", "[c]", "[c]", "[c]", "[c]", "8", "8", "7"],
                        ["Aug 2026", "[c]", "[c]", "[c]", "[c]", "[c]", "[c]", "0", "0", "0"],
                        ["Sep 2026", "–", "–", "–", "–", "0", "0", "0", "0", "0"],
                        ["Whole period", "90%", "80%", "80%", "70%", "10", "9", "8", "8", "7"]]
    for key in ("interviews-by-quarter", "police-protection"):
        assert f'href="/missing/figures/tables/{key}.csv?' in page.html
        assert manager.request("GET", f"/missing/figures/tables/{key}.csv").status_code == 200
    manager.get("/missing/figures/tables/no-such-table.csv", expected=404)
    manager.get("/missing/figures/tables/return-interviews.csv?start=31&start=2&start=2026", expected=400)
    exports = db.session.execute(db.select(AuditEvent.detail).where(
        AuditEvent.action == "report_view", AuditEvent.object_type == "missing_figures_csv"
        ).order_by(AuditEvent.id)).scalars().all()
    assert exports == ["return-interviews: 2026-07-01 to 2026-09-30", "interviews-by-quarter: 2026-07-01 to 2026-09-30",
                       "police-protection: 2026-07-01 to 2026-09-30"]
    chosen = manager.get("/missing/figures?start=1&start=10&start=2026&end=31&end=10&end=2026")
    assert "Whole period [c] [c] [c] [c] [c] [c] [c] [c] [c]" in chosen
    wrong = manager.get("/missing/figures?start=1&start=10&start=2026&end=1&end=9&end=2026")
    assert "To must be the same as or after From" in wrong and wrong.title.startswith("Error:")
    _, _, csc, _ = people
    csc.get("/missing/figures", expected=403)


def test_interviews_by_quarter_counts_by_the_london_quarter_of_the_return(people):
    _, police_user, _, csc_user = people
    child = make_child(police_user)
    for at in (london(2026, 6, 30, 23, 30),   # 23:30 BST on 30 June: still Q2 in London (22:30 UTC)
               london(2026, 7, 1, 0, 30),     # 00:30 BST on 1 July: Q3, though 30 June in UTC
               london(2026, 9, 30, 12, 0), london(2026, 10, 20, 9, 0)):
        episode = record_episode(police_user, child, at - timedelta(minutes=30), returned=at)
        if at.month == 7:
            rhi = episode.return_interview
            services.complete(rhi, {
                "completed_at": at + timedelta(hours=20), "interviewer_name": "Jo", "interviewer_organisation": "Team",
                "interviewer_independent": True, "interview_location": "Home", "why_left": "x",
                "where_and_with_whom": "x", "harm": "x", "health_needs": "", "support_and_referrals": "x",
                "information_sharing_consent": "yes"}, actor=csc_user, expected_version=rhi.version)
    db.session.commit()
    trend = services.interviews_by_quarter(trend_quarters(date(2026, 12, 31), 3))
    assert [(q.short_label, returns, in_time) for q, returns, in_time in trend] == [
        ("Q2 2026", 1, 0), ("Q3 2026", 2, 1), ("Q4 2026", 1, 0)]


def test_child_page_shows_counts_actions_and_timeline(people, signed_in):
    police, police_user, csc, _ = people
    child = make_child(police_user)
    record_episode(police_user, child, london(2026, 8, 10, 10, 0), returned=london(2026, 8, 10, 12, 0))
    record_episode(police_user, child, london(2026, 10, 20, 10, 0), returned=london(2026, 10, 20, 12, 0))
    page = police.get(f"/children/{child.id}")
    assert "Missing episodes, last 30 days 1" in page and "Missing episodes, last 90 days 2" in page
    assert "Record a missing episode" in page and "Record police protection" in page
    assert "Record an emergency protection order" not in page
    assert "Reported missing from home" in page and "Found or returned" in page
    csc_page = csc.get(f"/children/{child.id}")
    assert "Record an emergency protection order" in csc_page and "Return home interview due by" in csc_page


def test_stale_episode_edit_is_refused(people, signed_in):
    police, police_user, _, _ = people
    colleague, _ = signed_in(Role.MANAGER, "police")
    child = make_child(police_user)
    episode = record_episode(police_user, child, london(2026, 10, 26, 8, 0))
    url = f"/missing/episodes/{episode.id}/edit"
    token = police.get(url).csrf()
    stale = episode.version
    post_new(colleague, url, {**episode_form(london(2026, 10, 26, 8, 0), police_reference="MP/999"),
                              "version": stale})
    page = police.post(url, {**episode_form(london(2026, 10, 26, 8, 0), police_reference="MP/111"),
                             "version": stale, "csrf_token": token}, expected=200)
    assert "Someone else changed this record" in page and 'value="MP/111"' in page.html
    assert db.session.get(MissingEpisode, episode.id).police_reference == "MP/999"


def test_the_interviews_due_list_costs_the_same_whatever_offers_its_rows_have(people, signed_in):
    """Each row says how many offers and the last one's answer: read with the page, not one statement per offer."""
    from safeguarding.missing.models import ReturnInterview, RhiOffer

    from .sql_statements import statements_run

    police, police_user, csc, csc_user = people
    mash, _ = signed_in(Role.MASH)

    def interviews(count, first):
        for n in range(count):
            child = make_child(police_user, first=f"{first}{n}")
            record_episode(police_user, child, NOW - timedelta(hours=30 + n), returned=NOW - timedelta(hours=20 + n))
        return db.session.execute(db.select(ReturnInterview).order_by(ReturnInterview.id.desc()).limit(count)
                                  ).scalars().all()

    def statements():
        mash.get("/missing/?show=rhis")
        with statements_run() as seen:
            page = mash.get("/missing/?show=rhis")
        return len(seen), page

    interviews(2, "Plain")
    before, _ = statements()
    for rhi in interviews(3, "Offered"):
        db.session.add_all([RhiOffer(return_interview_id=rhi.id, offered_at=NOW - timedelta(hours=n + 1),
                                     offered_by_id=csc_user.id, method="phone", response=response)
                            for n, response in enumerate(("declined", "accepted"))])
    db.session.commit()
    after, page = statements()
    assert after == before
    assert page.text.count("2 (last declined)") == 3  # ordered by when offered: the later offer was declined
    assert page.text.count("Not assigned") == 5
    db.session.get(ReturnInterview, rhi.id).assigned_to_id = csc_user.id
    db.session.commit()
    assert statements()[1].text.count("Not assigned") == 4 and csc_user.name in statements()[1].text


def test_an_episode_s_and_an_interview_s_pages_read_them_whole_in_one_statement(people):
    """An episode's page shows its arrests (oldest first), an interview's its offers (in the order made) and its
    child, a child's page the offers on its timeline: each read with the record, so a record with several costs
    what one with none does."""
    from .sql_statements import statements_of_get

    police, police_user, csc, csc_user = people
    child = make_child(police_user, first="Ria")
    plain = record_episode(police_user, child, NOW - timedelta(days=3), returned=NOW - timedelta(days=2, hours=20))
    busy = record_episode(police_user, child, NOW - timedelta(hours=30), returned=NOW - timedelta(hours=20))
    for hours in (22, 26):  # recorded newest first: the page puts them in time order
        services.record_arrest(child, {"arrested_at": NOW - timedelta(hours=hours), "exploitation": "yes",
                                       "episode_id": busy.id, "police_reference": "", "note": ""}, actor=police_user)
    for hours, response in ((18, "declined"), (10, "accepted")):
        services.record_offer(busy.return_interview, {"offered_at": NOW - timedelta(hours=hours), "method": "phone",
                                                      "response": response}, actor=csc_user)
    db.session.commit()

    page = police.get(f"/missing/episodes/{busy.id}")
    shown = [(NOW - timedelta(hours=h)).astimezone(LONDON).strftime("Arrested %d %b %Y %H:%M") for h in (26, 22)]
    assert shown[0] in page and shown[1] in page and page.text.index(shown[0]) < page.text.index(shown[1])
    statements = statements_of_get(police, f"/missing/episodes/{busy.id}")
    assert len(statements) == len(statements_of_get(police, f"/missing/episodes/{plain.id}"))
    assert not _reads_on_their_own(statements, "child_arrest", "child")

    page = csc.get(f"/missing/return-interviews/{busy.return_interview.id}")
    assert "Ria Example" in page and page.text.index("Declined") < page.text.index("Accepted")
    statements = statements_of_get(csc, f"/missing/return-interviews/{busy.return_interview.id}")
    assert len(statements) == len(statements_of_get(csc, f"/missing/return-interviews/{plain.return_interview.id}"))
    assert not _reads_on_their_own(statements, "rhi_offer", "child")

    # the child's page shows the offers on the timeline, read with the child's episodes
    page = csc.get(f"/children/{child.id}")
    assert "Interview offered: declined" in page and "Interview offered: accepted" in page
    assert not _reads_on_their_own(statements_of_get(csc, f"/children/{child.id}"), "rhi_offer")


def _reads_on_their_own(statements: list[str], *tables: str) -> list[str]:
    """The statements that read one of these tables' rows by themselves (a lazy or select-in load), not joined."""
    return [s for s in statements if s.lstrip().startswith(tuple(f"SELECT {table}." for table in tables))]
