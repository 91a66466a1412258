"""Missing episodes and emergency powers: dates that make sense together, each create once, each change on the
version the person saw (issue 10's examples, through the pages)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.extensions import db
from safeguarding.missing import services
from safeguarding.missing.models import (
    DiscussionPrompt,
    EmergencyProtectionOrder,
    MissingEpisode,
    PoliceProtection,
    RiskGrading,
)

from .missing_data import london, when
from .once_forms import form_fields, post_new

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 10, 27, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def make_child(user, born=date(2011, 5, 4), unborn=False):
    child = child_services.create_child({
        "first_name": "Kai", "last_name": "Example", "is_unborn": unborn, "date_of_birth": None if unborn else born,
        "expected_date": date(2027, 1, 1) if unborn else None, "gender": "male", "ethnicity": "", "disability": "",
        "address": "", "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": "",
    }, actor=user)
    db.session.commit()
    return child


def episode_form(reported: datetime, **overrides) -> dict:
    return {**when("reported", reported), "missing_from": "home", "risk_level": "medium",
            "circumstances": "Left after school", **overrides}


@pytest.fixture
def police(signed_in):
    return signed_in(Role.PRACTITIONER, "police", name="PC Dana Reed")


@pytest.fixture
def csc(signed_in):
    return signed_in(Role.MASH, "csc", name="Sam Patel")


def _episodes() -> list[MissingEpisode]:
    return list(db.session.execute(db.select(MissingEpisode).order_by(MissingEpisode.id)).scalars())


# --- Dates that make sense together ------------------------------------------------------------------------


def test_a_missing_episode_reported_in_1066_is_refused_naming_the_date_of_birth(police):
    client, user = police
    child = make_child(user)
    page = post_new(client, f"/missing/children/{child.id}/episodes/new",
                    episode_form(london(1066, 10, 14, 9, 0), circumstances="Typed words stay"), expected=200)
    # refused as before the child's birth, or (where the date field bounds years) as not a real date
    assert ("Date reported missing must be the same as or after the child's date of birth, 4 May 2011" in page
            or "Date reported missing must be a real date" in page)
    assert page.title.startswith("Error:") and "Typed words stay" in page.html
    before_birth = post_new(client, f"/missing/children/{child.id}/episodes/new",
                            episode_form(london(2011, 5, 3, 23, 0)), expected=200)
    assert "the child's date of birth, 4 May 2011" in before_birth
    assert _episodes() == []


def test_an_unborn_child_cannot_go_missing_or_be_taken_into_police_protection(police):
    client, user = police
    child = make_child(user, unborn=True)
    page = post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 9, 0)),
                    expected=200)
    assert "this child is recorded as unborn" in page
    pp = post_new(client, f"/missing/children/{child.id}/police-protection/new",
                  {**when("started", london(2026, 10, 26, 9, 0)), "designated_officer": "Insp Shah",
                   "place_of_safety": "Foster home", "reason": "x"}, expected=200)
    assert "this child is recorded as unborn" in pp


def test_police_protection_and_orders_not_before_birth(police, csc):
    police_client, police_user = police
    child = make_child(police_user, born=date(2020, 6, 1))
    page = post_new(police_client, f"/missing/children/{child.id}/police-protection/new",
                    {**when("started", london(2020, 5, 1, 9, 0)), "designated_officer": "Insp Shah",
                     "place_of_safety": "Foster home", "reason": "Found alone"}, expected=200)
    assert "Date police protection began must be the same as or after the child's date of birth, 1 June 2020" in page
    csc_client, _ = csc
    order = post_new(csc_client, f"/missing/children/{child.id}/epo/new",
                     {**when("granted", london(1999, 1, 1, 10, 0)), **when("ends", london(1999, 1, 5, 10, 0)),
                      "court": "Family Court"}, expected=200)
    assert "Date the order was granted must be the same as or after the child's date of birth, 1 June 2020" in order
    assert db.session.execute(db.select(PoliceProtection)).first() is None
    assert db.session.execute(db.select(EmergencyProtectionOrder)).first() is None


def test_no_overlapping_open_police_protection(police):
    client, user = police
    child = make_child(user, born=date(2015, 1, 1))
    url = f"/missing/children/{child.id}/police-protection/new"
    data = {"designated_officer": "Insp Shah", "place_of_safety": "Foster home", "reason": "Found alone"}
    post_new(client, url, {**when("started", london(2026, 10, 26, 20, 0)), **data})
    second = post_new(client, url, {**when("started", london(2020, 3, 1, 9, 0)), **data, "reason": "Typed reason"},
                      expected=200)
    assert "Kai is already in police protection since 26 Oct 2026 20:00" in second
    assert "Typed reason" in second.html
    assert len(db.session.execute(db.select(PoliceProtection)).all()) == 1


def test_a_return_before_the_report_is_refused_naming_the_report(police):
    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 10, 0)))
    episode = _episodes()[0]
    page = post_new(client, f"/missing/episodes/{episode.id}/return",
                    {**when("returned", london(2026, 10, 26, 9, 0)), "found_where": "Library",
                     "returned_by": "Police"}, expected=200)
    assert "Date found or returned must be after the child was reported missing, 26 Oct 2026 10:00" in page


# --- Every create once ---------------------------------------------------------------------------------------


def test_back_and_resubmit_makes_one_open_episode_and_no_false_repeat_prompt(police):
    client, user = police
    child = make_child(user)
    for day in (5, 15):  # two earlier episodes this month: a third would prompt "repeatedly missing"
        services.record_episode(child, {"reported_missing_at": london(2026, 10, day, 22, 0), "missing_from": "home",
                                        "missing_from_detail": "", "police_reference": "", "risk_level": "medium",
                                        "indicators": [], "arrested": False, "circumstances": ""}, actor=user)
        services.record_return(_episodes()[-1], {"returned_at": london(2026, 10, day, 23, 0), "found_where": "Home",
                                                 "returned_by": "Mother", "out_of_area": False, "abroad": False},
                               actor=user, expected_version=1)
    db.session.commit()
    url = f"/missing/children/{child.id}/episodes/new"
    fields = form_fields(client, url)
    first = client.post(url, {**fields, **episode_form(london(2026, 10, 26, 9, 0))})
    # Back, then Save again: the same page, the same key
    again = client.post(url, {**fields, **episode_form(london(2026, 10, 26, 9, 0))})
    assert again.response.headers["Location"] == first.response.headers["Location"]
    assert "This was already saved. Nothing new was added." in client.get(again.response.headers["Location"])
    # Back and reload (a fresh key), the same answers
    client.post(url, {**form_fields(client, url), **episode_form(london(2026, 10, 26, 9, 0))})
    # a slightly different time for the same disappearance, while the child is still missing
    third = post_new(client, url, episode_form(london(2026, 10, 26, 9, 5)), expected=200)
    assert "Kai is already recorded as missing since 26 Oct 2026 09:00" in third
    assert len([e for e in _episodes() if e.returned_at is None]) == 1
    prompts = db.session.execute(db.select(DiscussionPrompt)).scalars().all()
    assert [p.reason for p in prompts] == ["repeat_missing"]  # the third real episode, once


def test_an_episode_cannot_start_inside_an_earlier_one(police):
    client, user = police
    child = make_child(user)
    url = f"/missing/children/{child.id}/episodes/new"
    post_new(client, url, episode_form(london(2026, 10, 20, 9, 0)))
    post_new(client, f"/missing/episodes/{_episodes()[0].id}/return",
             {**when("returned", london(2026, 10, 22, 9, 0)), "found_where": "Home", "returned_by": "Mother"})
    page = post_new(client, url, episode_form(london(2026, 10, 21, 9, 0)), expected=200)
    assert "Date reported missing falls within another episode" in page
    assert len(_episodes()) == 1


def test_offers_police_protection_and_orders_are_created_once(police, csc):
    police_client, police_user = police
    csc_client, _ = csc
    child = make_child(police_user)
    pp_url = f"/missing/children/{child.id}/police-protection/new"
    pp = {**when("started", london(2026, 10, 26, 20, 0)), "designated_officer": "Insp Shah",
          "place_of_safety": "Foster home", "reason": "Found alone"}
    fields = form_fields(police_client, pp_url)
    police_client.post(pp_url, {**fields, **pp})
    police_client.post(pp_url, {**fields, **pp})
    assert len(db.session.execute(db.select(PoliceProtection)).all()) == 1
    epo_url = f"/missing/children/{child.id}/epo/new"
    fields = form_fields(csc_client, epo_url)
    for _ in range(2):
        csc_client.post(epo_url, {**fields, **when("granted", london(2026, 10, 26, 15, 0)),
                                  **when("ends", london(2026, 10, 30, 15, 0)), "court": "Family Court",
                                  "after_police_protection": "no"})
    assert len(db.session.execute(db.select(EmergencyProtectionOrder)).all()) == 1


# --- Every change on the version the person saw ---------------------------------------------------------------


def test_a_stale_return_gets_the_conflict_page_with_the_input_kept(police, signed_in):
    client, user = police
    colleague, _ = signed_in(Role.MANAGER, "police")
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 9, 0)))
    episode = _episodes()[0]
    url = f"/missing/episodes/{episode.id}/return"
    mine = form_fields(client, url)
    post_new(colleague, url, {**when("returned", london(2026, 10, 26, 12, 0)), "found_where": "Park",
                              "returned_by": "PC Shah"})
    page = client.post(url, {**mine, **when("returned", london(2026, 10, 26, 13, 0)), "found_where": "Typed by me",
                             "returned_by": "Mother"}, expected=200)
    assert "Someone else changed this record" in page and "Typed by me" in page.html
    assert db.session.get(MissingEpisode, episode.id).found_where == "Park"


def test_a_stale_regrade_or_extension_is_refused(police, csc, signed_in):
    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 9, 0)))
    episode = _episodes()[0]
    page_url = f"/missing/episodes/{episode.id}"
    mine = form_fields(client, page_url)
    post_new(client, f"{page_url}/risk", {"level": "high", "reason": "Seen with dealer"}, form_url=page_url)
    stale = client.post(f"{page_url}/risk", {**mine, "level": "low", "reason": "Typed reason"}, expected=200)
    assert "Someone else changed this record" in stale and "Typed reason" in stale.html
    assert db.session.get(MissingEpisode, episode.id).risk_level == "high"
    assert len(db.session.execute(db.select(RiskGrading)).all()) == 2  # the first grading and one change

    csc_client, _ = csc
    post_new(csc_client, f"/missing/children/{child.id}/epo/new",
             {**when("granted", london(2026, 10, 26, 15, 0)), **when("ends", london(2026, 10, 30, 15, 0)),
              "court": "Family Court"})
    order = db.session.execute(db.select(EmergencyProtectionOrder)).scalar_one()
    order_url = f"/missing/epo/{order.id}"
    mine = form_fields(csc_client, order_url)
    post_new(csc_client, f"{order_url}/end", {**when("end-ended", london(2026, 10, 27, 8, 0)),
                                             "end-end_outcome": "discharged"}, form_url=order_url)
    page = csc_client.post(f"{order_url}/extend", {**mine, **when("extend-extended", london(2026, 10, 27, 7, 0)),
                                                   **when("extend-new_end", london(2026, 11, 2, 15, 0))},
                           expected=200)
    assert "Someone else changed this record" in page
    assert not db.session.get(EmergencyProtectionOrder, order.id).is_extended


@pytest.mark.parametrize("bad", ["abc", "", "1.5", "99999999999999999999", "-1"])
def test_a_bad_hidden_version_is_a_gov_uk_error_not_a_server_error(police, bad):
    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 9, 0)))
    episode = _episodes()[0]
    url = f"/missing/episodes/{episode.id}/return"
    # a non-numeric version is refused before any view (input_guard); an empty one by the view itself
    status, message = ((200, "This page is out of date. Reload the page and make your change again") if bad == ""
                       else (400, "This page was changed before it was sent"))
    page = post_new(client, url, {**when("returned", london(2026, 10, 26, 13, 0)), "found_where": "Park",
                                  "returned_by": "Mother", "version": bad}, expected=status)
    assert message in page
    edit = post_new(client, f"/missing/episodes/{episode.id}/edit",
                    {**episode_form(london(2026, 10, 26, 9, 0)), "version": bad}, expected=status)
    assert message.split(".")[0] in edit
    assert db.session.get(MissingEpisode, episode.id).returned_at is None


def test_back_and_resubmit_a_return_or_a_regrade_saves_it_once(police):
    from safeguarding.missing.models import ReturnInterview

    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 26, 9, 0)))
    episode = _episodes()[0]
    url = f"/missing/episodes/{episode.id}/return"
    fields = form_fields(client, url)
    data = {**when("returned", london(2026, 10, 26, 13, 0)), "found_where": "Park", "returned_by": "Mother"}
    client.post(url, {**fields, **data})
    again = client.post(url, {**fields, **data})
    assert "This was already saved" in client.get(again.response.headers["Location"])
    assert len(db.session.execute(db.select(ReturnInterview)).all()) == 1

    page_url = f"/missing/episodes/{episode.id}"
    fields = form_fields(client, page_url)
    for _ in range(2):
        client.post(f"{page_url}/risk", {**fields, "level": "high", "reason": "Seen with dealer"})
    assert len(db.session.execute(db.select(RiskGrading)).all()) == 2  # the first grading and one change


def test_a_corrected_date_of_birth_cannot_come_after_what_is_recorded(police):
    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new", episode_form(london(2026, 10, 20, 9, 0)))
    url = f"/children/{child.id}/edit"
    form = {"first_name": "Kai", "last_name": "Example", "gender": "male", "looked_after": "no",
            "version": db.session.get(type(child), child.id).version}
    later = client.post_form(url, {**form, "date_of_birth": ["21", "10", "2026"]}, expected=200)
    assert "Date of birth must be the same as or before 20 October 2026, when the child was reported missing" in later
    unborn = client.post_form(url, {**form, "date_of_birth": ["", "", ""], "is_unborn": "y",
                                    "expected_date": ["1", "3", "2027"]}, expected=200)
    assert "This child cannot be recorded as unborn: they were reported missing on 20 October 2026" in unborn
    client.post_form(url, {**form, "date_of_birth": ["20", "10", "2012"]})
