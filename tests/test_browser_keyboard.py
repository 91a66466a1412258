"""Each kind of user's main journey by keyboard alone, in Chromium: every control is reached with Tab or Shift+Tab
and operated with Enter, Space, the arrow keys and typing (never the mouse); the control reached is visibly focused
(the GOV.UK yellow) at every step, and a form sent with something missing puts the focus on its error summary."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.auth.models import Agency, User
from safeguarding.demo import seed
from safeguarding.differences.models import ProfessionalDifference
from safeguarding.discussions import services as discussions
from safeguarding.discussions.models import AgreedAction, StrategyDiscussion
from safeguarding.extensions import db
from safeguarding.missing.models import Arrest
from safeguarding.service import transaction

from .browser import assert_accessible, demo_code
from .discussion_data import attend, convene, make_child
from .keyboard import Keyboard
from .test_browser_differences import no_further_action_yesterday

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def sign_in(page, email: str) -> Keyboard:
    page.goto("/sign-in")
    keys = Keyboard(page)
    keys.type_into("#email", email)
    keys.press("Tab")
    page.keyboard.type(DEMO)
    keys.press("Enter")
    page.wait_for_url("**/sign-in/code")
    keys.type_into("#code", demo_code(email))
    keys.press("Enter")
    page.wait_for_url("**/home")
    return keys


def test_mash_convenes_a_discussion_through_to_circulating_the_minutes_by_keyboard(browser_app, browser_page):
    seed(DEMO)
    sophie = make_child("Sophie", "Walker", born=date(2017, 6, 3))
    page = browser_page
    keys = sign_in(page, "mash@example.org")
    page.goto(f"/children/{sophie.id}")
    keys.follow("Convene a strategy discussion about Sophie Walker")
    expect(page).to_have_title(re.compile("^Convene a strategy discussion"))
    assert page.locator("input[name=child_ids]").first.is_checked()

    keys.submit_expecting_error("Convene the discussion", "Select whether this is an initial or a review discussion")
    keys.choose("kind", "initial")
    keys.choose("urgency", "standard")
    keys.date("scheduled_date", clock.london_today() + timedelta(days=1))
    keys.type_into("#scheduled_time", "10:30")
    keys.choose("mode", "video")
    keys.select("#chair_id", "Sam Patel")
    keys.type_into("#referral_source", "Ambulance crew")
    keys.date("referral_received_on", clock.london_today())
    keys.select("#harm_category", "Neglect")
    keys.type_into("#reason", "Ambulance crew called to the home")
    keys.type_into("#referrer_words", "The flat was unsanitary with a foul smell and a fire hazard.")
    keys.type_into("#scheduled_time", "10:45")  # a second thought: back up the form with Shift+Tab
    keys.press_button("Convene the discussion")
    page.wait_for_url(re.compile(r"/discussions/\d+$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Strategy discussion convened")
    discussion_id = int(page.url.rsplit("/", 1)[1])

    keys.follow("Record attendance")
    for name in page.locator("input[type=radio][name^=status_]").evaluate_all(
            "els => [...new Set(els.map(e => e.name))]"):
        keys.choose(name, "attended")
    keys.press_button("Save attendance")
    page.wait_for_url(re.compile(r"#attendance$"))

    keys.press_button("Record the decision for Sophie")
    expect(page).to_have_title(re.compile("^Decision for Sophie Walker"))
    keys.submit_expecting_error("Record the decision", "Select the decision")
    keys.choose("outcome", "nfa")
    keys.type_into("#rationale", "Home conditions improved at the visit; no injury found")
    keys.choose("abe_planned", "no")
    keys.choose("intermediary_considered", "not_decided")
    keys.choose("medical_examination", "no")
    keys.choose("legal_action", "none")
    keys.choose("family_told", "not_decided")
    keys.press_button("Record the decision")
    page.wait_for_url(re.compile(r"#decision-\d+$"))

    keys.follow("Write or read the minutes")
    expect(page).to_have_title(re.compile("^Minutes"))
    keys.follow("Fill the box from what is recorded")
    expect(page.locator("#text")).to_contain_text("Home conditions improved")
    keys.press_button("Save minutes")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Minutes saved (version 1)")
    keys.press_button("Agree version 1 as chair")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Minutes agreed (version 1)")
    keys.press_button("Circulate version 1")
    expect(page).to_have_title(re.compile("^Circulate the minutes"))
    keys.submit_expecting_error("Record circulation", "Select whether the referrer has been told the outcome")
    keys.choose("referrer_told", "yes")
    keys.type_into("#referrer_told_how", "Phoned the ambulance service control room")
    keys.press_button("Record circulation")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Circulation of the minutes recorded")
    db.session.expire_all()
    assert db.session.get(StrategyDiscussion, discussion_id).minutes_status == "circulated"
    assert {"Tab", "Shift+Tab", "Enter", "Space", "ArrowDown", "Home"} <= keys.keys_used, keys.keys_used
    assert_accessible(page)


def test_police_record_an_arrest_by_keyboard_alone(browser_app, browser_page):
    seed(DEMO)
    police = db.session.execute(db.select(Agency).where(Agency.name == "Northshire Police")).scalar_one()
    child = make_child("Kai", "Keyboard", agency=police)  # a child the force recorded, so the officer may see them
    page = browser_page
    keys = sign_in(page, "police@example.org")

    page.goto("/children/")
    keys.type_into("#query", "Kai Keyboard")
    keys.press("Enter")
    expect(page.locator("main")).to_contain_text("Kai Keyboard")
    keys.activate(f'a[href="/children/{child.id}"]')
    page.wait_for_url(f"**/children/{child.id}")

    keys.activate(f'a[href="/missing/children/{child.id}/arrests/new"]')
    expect(page).to_have_title(re.compile("^Record an arrest"))
    keys.date("arrested_date", clock.london_today())
    keys.press("Tab")
    page.keyboard.type("00:05")
    keys.choose("exploitation", "not_known")
    if page.locator("input[name=episode]").count():  # asked only when the child has recent episodes
        keys.tick("input[name=episode]")
    keys.press_button("Record the arrest")
    expect(page.locator("body")).to_contain_text(re.compile("Arrest recorded|arrest", re.I))
    assert "Error:" not in page.title()
    arrest = db.session.execute(db.select(Arrest).where(Arrest.child_id == child.id)).scalar_one()
    assert arrest.exploitation == "not_known"
    assert_accessible(page)


def test_a_practitioner_takes_their_action_to_done_by_keyboard(browser_app, browser_page):
    seed(DEMO)
    mash = db.session.execute(db.select(User).where(User.email == "mash@example.org")).scalar_one()
    worker = db.session.execute(db.select(User).where(User.email == "social.worker@example.org")).scalar_one()
    core = db.session.execute(db.select(Agency).where(Agency.kind.in_(
        ["childrens_social_care", "police", "health"]))).scalars().all()
    sd = convene(mash, [make_child("Leo", "Keys", born=date(2019, 5, 1))], core)
    attend(sd, mash)
    with transaction():
        action = discussions.add_action(sd, {"description": "Visit Leo at home and see his bedroom",
                                             "owner_id": worker.id, "due_at": clock.now() + timedelta(days=2)},
                                        actor=mash)
    page = browser_page
    keys = sign_in(page, "social.worker@example.org")
    keys.follow("My actions")
    expect(page).to_have_title(re.compile("^My actions"))
    keys.tab_to("role=region[name='Open actions']")  # the table's scroll region takes the focus too
    keys.follow("Visit Leo at home and see his bedroom")
    expect(page).to_have_title(re.compile("^Agreed action"))
    keys.submit_expecting_error("Mark as done", "Enter what was done")
    keys.type_into("#done-completion_note", "Visited on Tuesday with his mother; bedroom clean, new bed delivered")
    keys.press_button("Mark as done")
    expect(page.locator(".govuk-notification-banner")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(AgreedAction, action.id).status == "done"
    keys.follow("My actions")
    keys.follow("Done")
    expect(page.locator("main")).to_contain_text("Visit Leo at home and see his bedroom")
    assert {"Tab", "Shift+Tab", "Enter"} <= keys.keys_used, keys.keys_used


def test_police_record_a_return_and_a_social_worker_the_return_interview_by_keyboard(browser_app, browser_page):
    seed(DEMO)
    police = db.session.execute(db.select(Agency).where(Agency.name == "Northshire Police")).scalar_one()
    casey = make_child("Casey", "Keys", born=date(2011, 4, 3), agency=police)
    now = clock.now()

    def moment(keys, prefix, instant):
        local = clock.to_london(instant)
        keys.date(f"{prefix}_date", local.date())
        keys.type_into(f"#{prefix}_time", local.strftime("%H:%M"))

    page = browser_page
    keys = sign_in(page, "police@example.org")
    page.goto(f"/children/{casey.id}")
    keys.follow("Record a missing episode")
    keys.submit_expecting_error("Save episode", "Select where the child went missing from")
    moment(keys, "reported", now - timedelta(hours=6))
    keys.choose("missing_from", "childrens_home")
    keys.type_into("#police_reference", "NP/7001")
    keys.choose("risk_level", "high")
    keys.tick("input[name=indicators][value=county_lines]")
    keys.press_button("Save episode")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Missing episode recorded")

    keys.press_button("Record that the child was found or returned")
    keys.submit_expecting_error("Record the return", "Enter where the child was found")
    moment(keys, "returned", now - timedelta(hours=3))
    keys.type_into("#found_where", "Bus station")
    keys.type_into("#returned_by", "British Transport Police")
    keys.press_button("Record the return")
    expect(page.locator("body")).to_contain_text("The return home interview is due by")
    keys.activate("role=button[name='Sign out']")

    keys = sign_in(page, "social.worker@example.org")
    keys.follow("Missing")
    keys.follow("Return interviews due")
    keys.follow("Casey Keys")
    expect(page.locator("body")).to_contain_text("Due by")
    keys.submit_expecting_error("Record the offer", "Select how the interview was offered")
    moment(keys, "offered", now - timedelta(hours=2))
    keys.choose("method", "in_person")
    keys.choose("response", "accepted")
    keys.press_button("Record the offer")
    keys.press_button("Complete the interview")
    keys.submit_expecting_error("Complete the interview", "Enter why the child left")
    moment(keys, "completed", now - timedelta(minutes=20))
    keys.type_into("#interviewer_name", "Jo Williams")
    keys.type_into("#interviewer_organisation", "Missing children team")
    keys.choose("interviewer_independent", "yes")
    keys.type_into("#interview_location", "Youth centre")
    keys.type_into("#why_left", "Owed money to older boys")
    keys.type_into("#where_and_with_whom", "Train to Leeds with two older boys")
    keys.type_into("#harm", "Threatened if he did not carry a bag")
    keys.type_into("#support_and_referrals", "Referral to the exploitation team")
    keys.choose("information_sharing_consent", "yes")
    keys.press_button("Complete the interview")
    expect(page.locator("body")).to_contain_text("Return home interview completed within 72 hours")
    assert_accessible(page)


def test_a_practitioner_raises_and_escalates_a_professional_difference_by_keyboard(browser_app, browser_page):
    seed(DEMO)
    sd, ruby = no_further_action_yesterday()
    page = browser_page
    keys = sign_in(page, "police@example.org")
    page.goto(f"/discussions/{sd.id}")
    keys.follow("Disagree with this decision for Ruby Shaw")
    expect(page).to_have_title(re.compile("^Raise a professional difference"))
    keys.submit_expecting_error("Raise the difference", "Enter why you disagree")
    keys.type_into("#concern", "Police intelligence of domestic abuse at the address was not shared.")
    keys.type_into("#outcome_sought", "Reconvene with police present; consider section 47")
    keys.choose("immediate_risk", "no")
    keys.press_button("Raise the difference")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Sam Patel has been told")

    keys.press_button("Escalate to stage 2")
    expect(page).to_have_title(re.compile("^Escalate"))
    keys.submit_expecting_error("Escalate", "Enter what was discussed at this stage")
    keys.type_into("#discussion", "Spoke to Sam Patel; the CSC view is unchanged.")
    keys.press_button("Escalate")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Escalated to stage 2 (First-line managers)")
    difference = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.child_id == ruby.id)).scalar_one()
    assert [s.outcome for s in difference.stages][0] == "escalated"
    assert_accessible(page)
