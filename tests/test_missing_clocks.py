"""Issue 11, in the missing feature: the clocks of police protection, emergency protection orders, repeat missing
and arrests start, move and stop with the facts, as a new user would try them."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.children.models import Child
from safeguarding.extensions import db
from safeguarding.missing import deadlines, services
from safeguarding.missing.models import (Arrest, DiscussionPrompt, EmergencyProtectionOrder, MissingEpisode,
                                         PoliceProtection)

from .missing_data import london, when
from .once_forms import post_new

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
#: Tuesday 1 December 2026, 12:00 GMT
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def make_child(user, first="Kai", last="Example") -> Child:
    child = child_services.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": date(2011, 5, 4),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""}, actor=user)
    db.session.commit()
    return child


@pytest.fixture
def police(signed_in):
    return signed_in(Role.PRACTITIONER, "police", name="PC Dana Reed")


@pytest.fixture
def csc(signed_in):
    return signed_in(Role.PRACTITIONER, "csc", name="Jo Worker")


def start_pp(user, child, started: datetime) -> PoliceProtection:
    pp = services.start_police_protection(child, {
        "started_at": started, "designated_officer": "Insp Shah", "place_of_safety": "Foster home",
        "reason": "Found alone at 2am"}, actor=user)
    db.session.commit()
    return pp


# --- Police protection beyond 72 hours is recorded as it happened ------------------------------------------------


def test_police_protection_ending_after_72_hours_is_recorded_as_a_breach_with_its_reason(police, signed_in):
    client, user = police
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(user)
    pp = start_pp(user, child, london(2026, 11, 20, 10, 0))  # 72 hours ran out at 10:00 on 23 November
    page = client.get(f"/missing/police-protection/{pp.id}")
    assert "The 72 hours ran out at 23 Nov 2026 10:00" in page
    url = f"/missing/police-protection/{pp.id}/end"
    true_end = {**when("ended", london(2026, 11, 23, 16, 30)), "end_outcome": "accommodated",
                "end_note": "Typed note"}
    refused = post_new(client, url, true_end, expected=200)
    assert "Police protection lasted more than 72 hours: enter why" in refused and "Typed note" in refused.html
    assert db.session.get(PoliceProtection, pp.id).ended_at is None

    post_new(client, url, {**true_end, "breach_reason": "No foster placement until the afternoon"})
    pp = db.session.get(PoliceProtection, pp.id)
    assert pp.ended_at == london(2026, 11, 23, 16, 30) and pp.breached
    assert pp.breach_reason == "No foster placement until the afternoon"
    shown = client.get(f"/missing/police-protection/{pp.id}")
    assert "Lasted more than 72 hours: a breach" in shown and "No foster placement until the afternoon" in shown
    child_page = client.get(f"/children/{child.id}")
    assert "Police protection ended after more than 72 hours (breach)" in child_page
    assert "lasted more than 72 hours, ended 23 Nov 2026 16:30 (breach)" in child_page

    figures = manager.get("/missing/figures?start=1&start=11&start=2026&end=30&end=11&end=2026")
    assert "Nov 2026 [c] [c]" in figures and "Police protection" in figures  # one: withheld


def test_an_end_within_72_hours_is_no_breach_and_keeps_no_reason(police):
    client, user = police
    child = make_child(user)
    pp = start_pp(user, child, london(2026, 11, 29, 10, 0))
    post_new(client, f"/missing/police-protection/{pp.id}/end",
             {**when("ended", london(2026, 11, 30, 10, 0)), "end_outcome": "returned_home",
              "breach_reason": "typed by mistake"})
    pp = db.session.get(PoliceProtection, pp.id)
    assert pp.ended_at is not None and not pp.breached and pp.breach_reason == ""


def test_figures_count_a_police_protection_still_open_after_72_hours(police, signed_in):
    _, user = police
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(user)
    start_pp(user, child, london(2026, 11, 10, 10, 0))
    other = make_child(user, first="Lee")
    start_pp(user, other, london(2026, 11, 30, 10, 0))  # 26 hours in: not a breach
    months, total = services.police_protection_figures(date(2026, 11, 1), date(2026, 11, 30))
    assert (total.began, total.over_72_hours) == (2, 1)
    assert "Whole period [c] [c]" in manager.get("/missing/figures?start=1&start=11&start=2026&end=30&end=11&end=2026")


# --- Emergency protection orders: the court's period, s45(3), the noon rule, one extension while in force ---------


def epo_form(granted: datetime, ends: datetime, **extra) -> dict:
    return {**when("granted", granted), **when("ends", ends), "court": "Testshire Family Court", **extra}


def only_order() -> EmergencyProtectionOrder:
    return db.session.execute(db.select(EmergencyProtectionOrder)).scalar_one()


def test_a_three_day_order_is_reminded_on_its_third_day_not_its_eighth(csc):
    client, user = csc
    child = make_child(user)
    url = f"/missing/children/{child.id}/epo/new"
    no_end = post_new(client, url, {**when("granted", london(2026, 11, 30, 10, 0)), "court": "Family Court"},
                      expected=200)
    assert "Enter the date the order ends" in no_end
    too_long = post_new(client, url, epo_form(london(2026, 11, 30, 10, 0), london(2026, 12, 8, 10, 1)),
                        expected=200)
    assert "the end must be no later than 8 December 2026 10:00" in too_long and 'value="10:01"' in too_long.html
    post_new(client, url, epo_form(london(2026, 11, 30, 10, 0), london(2026, 12, 3, 10, 0)))
    order = only_order()
    assert order.expires_at == london(2026, 12, 3, 10, 0)
    [deadline] = [d for d in deadlines.open_deadlines(due_before=london(2026, 12, 20, 0, 0))
                  if d.kind == "epo_expiry"]
    assert deadline.due_at == london(2026, 12, 3, 10, 0)
    assert "In force until 3 Dec 2026 10:00" in client.get(f"/missing/epo/{order.id}")


def test_after_police_protection_the_8_days_begin_with_its_first_day(police, csc):
    _, officer = police
    client, user = csc
    child = make_child(user)
    pp = start_pp(officer, child, london(2026, 11, 24, 22, 0))  # day 1 is Tuesday 24 November
    url = f"/missing/children/{child.id}/epo/new"
    unanswered = post_new(client, url, epo_form(london(2026, 11, 26, 15, 0), london(2026, 12, 2, 0, 0)), expected=200)
    assert "Select whether the order followed police protection" in unanswered
    eight_from_grant = post_new(client, url, epo_form(london(2026, 11, 26, 15, 0), london(2026, 12, 4, 15, 0),
                                                      after_police_protection=str(pp.id)), expected=200)
    assert "the end must be no later than 2 December 2026 00:00" in eight_from_grant
    post_new(client, url, epo_form(london(2026, 11, 26, 15, 0), london(2026, 12, 2, 0, 0),
                                   after_police_protection=str(pp.id)))
    order = only_order()
    assert order.police_protection_id == pp.id and order.expires_at == london(2026, 12, 2, 0, 0)


def test_an_order_whose_eighth_day_is_a_sunday_may_run_to_noon_on_monday(csc):
    client, user = csc
    child = make_child(user)
    url = f"/missing/children/{child.id}/epo/new"
    granted = london(2026, 11, 21, 10, 0)  # Saturday: the 8 days end on Sunday 29 November
    past_noon = post_new(client, url, epo_form(granted, london(2026, 11, 30, 12, 1)), expected=200)
    assert "no later than 30 November 2026 12:00" in past_noon
    post_new(client, url, epo_form(granted, london(2026, 11, 30, 12, 0)))
    assert only_order().expires_at == london(2026, 11, 30, 12, 0)


def test_a_lapsed_order_cannot_be_extended(csc):
    client, user = csc
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/epo/new",
             epo_form(london(2026, 11, 20, 10, 0), london(2026, 11, 28, 10, 0)))
    order = only_order()
    url = f"/missing/epo/{order.id}"
    page = client.get(url)
    assert "This order lapsed at 28 Nov 2026 10:00" in page and "In force until" not in page
    refused = post_new(client, f"{url}/extend", {**when("extend-extended", london(2026, 12, 1, 9, 0)),
                                                 **when("extend-new_end", london(2026, 12, 5, 10, 0))},
                       expected=200, form_url=url)
    assert "This order lapsed at 10:00 on 28 November 2026" in refused
    assert "can only be extended while it is in force" in refused
    order = db.session.get(EmergencyProtectionOrder, order.id)
    assert order.expires_at == london(2026, 11, 28, 10, 0) and not order.is_extended
    assert "in force until 5 Dec" not in client.get(f"/children/{child.id}")
    # made while in force, it is recorded even when typed in later, to at most 7 days after the stated end
    post_new(client, f"{url}/extend", {**when("extend-extended", london(2026, 11, 27, 15, 0)),
                                       **when("extend-new_end", london(2026, 12, 5, 10, 0))}, form_url=url)
    order = db.session.get(EmergencyProtectionOrder, order.id)
    assert order.expires_at == london(2026, 12, 5, 10, 0) and order.extended_from == london(2026, 11, 28, 10, 0)
    assert "Order extended to 5 Dec 2026 10:00" in client.get(f"/children/{child.id}")


# --- Repeat missing: every 30-day window that contains the episode, whatever the order of entry -----------------


def record_episode(actor, child, reported: datetime, returned: datetime) -> MissingEpisode:
    episode = services.record_episode(child, {
        "reported_missing_at": reported, "missing_from": "home", "missing_from_detail": "", "police_reference": "",
        "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""}, actor=actor)
    services.record_return(episode, {"returned_at": returned, "found_where": "Home", "returned_by": "Mother",
                                     "out_of_area": False, "abroad": False}, actor=actor,
                           expected_version=episode.version)
    db.session.commit()
    return episode


def test_a_late_entry_that_makes_three_in_twenty_days_prompts(police, signed_in):
    client, user = police
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(user)
    for day in (1, 20):
        record_episode(user, child, london(2026, 11, day, 22, 0), london(2026, 11, day, 23, 0))
    # in a 30-day window with the 20th, not with the 1st
    record_episode(user, child, london(2026, 12, 1, 8, 0), london(2026, 12, 1, 10, 0))
    assert db.session.execute(db.select(DiscussionPrompt)).first() is None
    post_new(client, f"/missing/children/{child.id}/episodes/new",
             {**when("reported", london(2026, 11, 10, 21, 0)), "missing_from": "home", "risk_level": "medium"})
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert prompt.reason == "repeat_missing"
    behind = [e.reported_missing_at.astimezone(LONDON).day for e in services.prompt_episodes(prompt)]
    assert behind == [1, 10, 20]  # of the windows holding the late entry, the fullest and earliest
    assert services.prompt_note(prompt).count("- Missing from home") == 3
    page = mash.get(f"/children/{child.id}")
    assert "Repeatedly missing. Missing 3 times from" in page


def test_the_prompt_names_the_window_that_prompted_not_the_last_30_days(police, signed_in):
    _, user = police
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(user)
    for day in (1, 20):
        record_episode(user, child, london(2026, 11, day, 22, 0), london(2026, 11, day, 23, 0))
    record_episode(user, child, london(2026, 11, 10, 21, 0), london(2026, 11, 10, 23, 0))
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert [e.reported_missing_at.astimezone(LONDON).day for e in services.prompt_episodes(prompt)] == [1, 10, 20]
    page = mash.get(f"/children/{child.id}")
    # on 1 December only two of the three fall in the last 30 days; the prompt says which three prompted it
    assert "Missing 3 times from 1 November 2026 to 20 November 2026" in page


# --- Arrests: recorded on the child, and every one prompts ---------------------------------------------------


def arrest_form(at: datetime, **extra) -> dict:
    return {**when("arrested", at), "police_reference": "AR/77", "note": "Found with cash in Leeds", **extra}


@pytest.mark.parametrize("answer", ["no", "not_known", "yes"])
def test_every_arrest_outside_an_episode_prompts_whatever_the_exploitation_answer(police, signed_in, answer):
    client, user = police
    mash, _ = signed_in(Role.MASH, "csc")
    csc, _ = signed_in(Role.PRACTITIONER, "csc")
    child = make_child(user)
    assert "Record an arrest" in client.get(f"/children/{child.id}")
    url = f"/missing/children/{child.id}/arrests/new"
    form = client.get(url)
    assert "Are there signs that the child is being exploited?" in form and " checked" not in form.html
    unanswered = post_new(client, url, arrest_form(london(2026, 11, 30, 18, 0)), expected=200)
    assert "Select whether there are signs that the child is being exploited" in unanswered
    assert "Found with cash in Leeds" in unanswered.html
    page = post_new(client, url, arrest_form(london(2026, 11, 30, 18, 0), exploitation=answer))
    arrest = db.session.execute(db.select(Arrest)).scalar_one()
    assert page.response.headers["Location"] == f"/missing/arrests/{arrest.id}"
    assert arrest.episode_id is None and arrest.exploitation == answer and arrest.version == 1
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert (prompt.reason, prompt.object_type, prompt.object_id) == ("arrest", "child_arrest", arrest.id)
    assert "- Arrested 30 Nov 2026 18:00; signs of exploitation" in services.prompt_note(prompt)
    child_page = mash.get(f"/children/{child.id}")
    assert "Arrested. Arrested: whenever a child is arrested" in child_page
    assert "Create a draft strategy discussion" in child_page
    assert "Arrested" in csc.get(f"/missing/arrests/{arrest.id}")  # children's social care sees it too


def test_an_arrest_during_an_episode_is_linked_to_it(police):
    client, user = police
    child = make_child(user)
    episode = record_episode(user, child, london(2026, 11, 29, 20, 0), london(2026, 11, 30, 2, 0))
    url = f"/missing/children/{child.id}/arrests/new"
    unanswered = post_new(client, url, arrest_form(london(2026, 11, 30, 1, 0), exploitation="yes"), expected=200)
    assert "Select whether the child was arrested during a missing episode" in unanswered
    before = post_new(client, url, arrest_form(london(2026, 11, 29, 19, 0), exploitation="yes",
                                               episode=str(episode.id)), expected=200)
    assert "Date of the arrest must be after the child was reported missing, 29 Nov 2026 20:00" in before
    post_new(client, url, arrest_form(london(2026, 11, 30, 1, 0), exploitation="yes", episode=str(episode.id)))
    arrest = db.session.execute(db.select(Arrest)).scalar_one()
    assert arrest.episode_id == episode.id
    assert "Yes, reported missing 29 Nov 2026 20:00" in client.get(f"/missing/arrests/{arrest.id}")
    assert "Signs of exploitation: yes" in client.get(f"/children/{child.id}")


def test_the_old_arrested_box_on_an_episode_prompts_without_indicators(police):
    client, user = police
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/episodes/new",
             {**when("reported", london(2026, 11, 30, 21, 0)), "missing_from": "home", "risk_level": "medium",
              "arrested": "y"})
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    assert prompt.reason == "arrest" and prompt.object_type == "missing_episode"


def test_only_the_police_record_arrests(csc, police):
    client, _ = csc
    _, officer = police
    child = make_child(officer)
    client.get(f"/missing/children/{child.id}/arrests/new", expected=403)


def test_a_second_arrest_while_the_prompt_waits_is_put_in_front_of_the_same_decision(police, signed_in):
    client, user = police
    mash, _ = signed_in(Role.MASH, "csc")
    child = make_child(user)
    url = f"/missing/children/{child.id}/arrests/new"
    post_new(client, url, arrest_form(london(2026, 11, 28, 18, 0), exploitation="no"))
    post_new(client, url, arrest_form(london(2026, 11, 30, 18, 0), exploitation="not_known"))
    prompt = db.session.execute(db.select(DiscussionPrompt)).scalar_one()
    note = services.prompt_note(prompt)
    assert "Arrested 28 Nov 2026 18:00" in note and "Arrested 30 Nov 2026 18:00" in note
    post_new(mash, f"/missing/prompts/{prompt.id}/close", {"note": "Discussion booked"})
    post_new(client, url, arrest_form(london(2026, 12, 1, 9, 0), exploitation="no"))
    prompts = db.session.execute(db.select(DiscussionPrompt).order_by(DiscussionPrompt.id)).scalars().all()
    assert len(prompts) == 2 and prompts[1].closed_at is None  # once dealt with, the next arrest prompts again
    assert services.prompt_note(prompts[1]).count("- Arrested") == 1


def test_the_episode_page_links_the_arrests_made_during_it(police):
    client, user = police
    child = make_child(user)
    episode = record_episode(user, child, london(2026, 11, 29, 20, 0), london(2026, 11, 30, 2, 0))
    post_new(client, f"/missing/children/{child.id}/arrests/new",
             arrest_form(london(2026, 11, 30, 1, 0), exploitation="yes", episode=str(episode.id)))
    arrest = db.session.execute(db.select(Arrest)).scalar_one()
    page = client.get(f"/missing/episodes/{episode.id}")
    assert f'href="/missing/arrests/{arrest.id}"' in page.html and "Arrested 30 Nov 2026 01:00" in page


def test_correcting_the_courts_end_moves_the_reminder_and_rechecks_the_extension(csc):
    client, user = csc
    child = make_child(user)
    post_new(client, f"/missing/children/{child.id}/epo/new",
             epo_form(london(2026, 11, 27, 10, 0), london(2026, 11, 30, 10, 0)))
    order = only_order()
    url = f"/missing/epo/{order.id}/edit"
    form = client.get(url)
    assert 'value="10:00"' in form.html and "Testshire Family Court" in form.html
    post_new(client, url, {**epo_form(london(2026, 11, 27, 10, 0), london(2026, 12, 3, 10, 0)),
                           "version": order.version})
    order = db.session.get(EmergencyProtectionOrder, order.id)
    assert order.expires_at == london(2026, 12, 3, 10, 0)
    [deadline] = [d for d in deadlines.open_deadlines(due_before=london(2026, 12, 20, 0, 0))
                  if d.kind == "epo_expiry"]
    assert deadline.due_at == london(2026, 12, 3, 10, 0)
    extend_url = f"/missing/epo/{order.id}"
    post_new(client, f"{extend_url}/extend", {**when("extend-extended", london(2026, 12, 1, 9, 0)),
                                              **when("extend-new_end", london(2026, 12, 10, 10, 0))},
             form_url=extend_url)
    order = db.session.get(EmergencyProtectionOrder, order.id)
    assert order.expires_at == london(2026, 12, 10, 10, 0)
    # the court's first end was really 30 November: the extension made on 1 December came after it lapsed
    refused = post_new(client, url, {**epo_form(london(2026, 11, 27, 10, 0), london(2026, 11, 30, 10, 0)),
                                     "version": order.version}, expected=200)
    assert "no longer fits: This order lapsed at 10:00 on 30 November 2026" in refused
    assert db.session.get(EmergencyProtectionOrder, order.id).extended_from == london(2026, 12, 3, 10, 0)
