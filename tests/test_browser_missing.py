"""A police officer records a missing episode and the return; a social worker offers the return home interview,
records a refusal, offers again and completes it within 72 hours. Every page passes axe-core, errors included."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.demo import seed
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def fill_moment(page, prefix: str, moment) -> None:
    local = clock.to_london(moment)
    page.locator(f"#{prefix}_date-day").fill(str(local.day))
    page.locator(f"#{prefix}_date-month").fill(str(local.month))
    page.locator(f"#{prefix}_date-year").fill(str(local.year))
    page.locator(f"#{prefix}_time").fill(local.strftime("%H:%M"))


def test_missing_episode_return_and_return_home_interview(browser_app, browser_page):
    seed(DEMO)
    db.session.commit()  # the demo's services flush; the server thread must see (and not wait for) it
    page = browser_page
    now = clock.now()
    sign_in(page, "police@example.org", DEMO)

    page.goto("/children/new")
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Journey")
    page.locator("#date_of_birth-day").fill("3")
    page.locator("#date_of_birth-month").fill("4")
    page.locator("#date_of_birth-year").fill("2011")
    page.locator('input[name="gender"][value="unknown"]').check()
    page.locator('input[name="looked_after"][value="no"]').check()
    page.get_by_role("button", name="Save child").click()
    page.get_by_role("link", name="Record a missing episode").click()
    assert_accessible(page)
    fill_moment(page, "reported", now - timedelta(hours=6))
    page.get_by_label("Children's home").check()
    page.get_by_label("Police reference").fill("NP/7001")
    page.get_by_label("High").check()
    page.get_by_label("County lines").check()
    page.get_by_role("button", name="Save episode").click()
    expect(page.locator("body")).to_contain_text("Missing episode recorded")
    assert_accessible(page)

    page.get_by_role("button", name="Record that the child was found or returned").click()
    fill_moment(page, "returned", now - timedelta(hours=7))  # before the report: refused
    page.get_by_label("Where the child was found").fill("Bus station")
    page.get_by_label("Who found or brought the child back").fill("British Transport Police")
    page.get_by_role("button", name="Record the return").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error:")))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "must be after the child was reported missing" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Where the child was found").input_value() == "Bus station"
    assert_accessible(page)
    fill_moment(page, "returned", now - timedelta(hours=3))
    page.get_by_role("button", name="Record the return").click()
    expect(page.locator("body")).to_contain_text("The return home interview is due by")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "social.worker@example.org", DEMO)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Missing").click()
    page.get_by_role("link", name="Return interviews due").click()
    assert_accessible(page)
    page.get_by_role("link", name="Casey Journey").click()
    expect(page.locator("body")).to_contain_text("Due by")
    assert_accessible(page)

    fill_moment(page, "offered", now - timedelta(hours=2))
    page.get_by_label("Phone call").check()
    page.get_by_label("Declined").check()
    page.get_by_label("What the child said (optional)").fill("Not today")
    page.get_by_role("button", name="Record the offer").click()
    expect(page.locator("body")).to_contain_text("The interview stays open")
    expect(page.locator("body")).to_contain_text("ideally by Jo Williams again")
    assert_accessible(page)

    fill_moment(page, "offered", now - timedelta(hours=1))
    page.get_by_label("In person").check()
    page.get_by_label("Accepted").check()
    page.get_by_role("button", name="Record the offer").click()
    page.get_by_role("button", name="Complete the interview").click()
    fill_moment(page, "completed", now - timedelta(minutes=20))
    page.get_by_label("Interviewer's organisation or team").fill("Missing children team")
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Where the interview took place").fill("Youth centre")
    page.get_by_label("Why the child left").fill("Owed money to older boys")
    page.get_by_label("Where they went, with whom, and how they travelled").fill("Train to Leeds with two older boys")
    page.get_by_label("Harm, threats or exploitation while missing").fill("Threatened if he did not carry a bag")
    page.get_by_label("Support offered and referrals made").fill("Referral to exploitation team")
    page.get_by_label("Yes, the child agreed to information being shared").check()
    assert_accessible(page)
    page.get_by_role("button", name="Complete the interview").click()
    expect(page.locator("body")).to_contain_text("Return home interview completed within 72 hours")
    expect(page.locator("body")).to_contain_text("Threatened if he did not carry a bag")
    assert_accessible(page)


def test_back_and_save_again_records_one_missing_episode(browser_app, browser_page):
    from safeguarding.missing.models import DiscussionPrompt, MissingEpisode

    seed(DEMO)
    db.session.commit()  # the demo's services flush; the server thread must see (and not wait for) it
    page = browser_page
    now = clock.now()
    sign_in(page, "police@example.org", DEMO)
    page.goto("/children/new")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Twice")
    page.locator("#date_of_birth-day").fill("9")
    page.locator("#date_of_birth-month").fill("9")
    page.locator("#date_of_birth-year").fill("2012")
    page.locator('input[name="gender"][value="unknown"]').check()
    page.locator('input[name="looked_after"][value="no"]').check()
    page.get_by_role("button", name="Save child").click()
    page.get_by_role("link", name="Record a missing episode").click()
    fill_moment(page, "reported", now - timedelta(hours=2))
    page.get_by_label("Home", exact=True).check()
    page.get_by_label("Medium").check()
    page.get_by_role("button", name="Save episode").click()
    expect(page.locator("body")).to_contain_text("Missing episode recorded")

    page.go_back()
    if not page.locator("#reported_time").input_value():  # the browser did not keep what was typed
        fill_moment(page, "reported", now - timedelta(hours=2))
        page.get_by_label("Home", exact=True).check()
        page.get_by_label("Medium").check()
    page.get_by_role("button", name="Save episode").click()
    expect(page.locator("body")).to_contain_text("This was already saved. Nothing new was added.")
    assert_accessible(page)
    db.session.expire_all()
    child_episodes = db.session.execute(db.select(MissingEpisode).where(
        MissingEpisode.child.has(first_name="Robin"))).scalars().all()
    assert len(child_episodes) == 1
    prompts = db.session.execute(db.select(DiscussionPrompt).where(
        DiscussionPrompt.child_id == child_episodes[0].child_id)).scalars().all()
    assert prompts == []


def test_arrest_and_police_protection_beyond_72_hours_pages_are_accessible(browser_app, browser_page):
    seed(DEMO)
    db.session.commit()
    page = browser_page
    now = clock.now()
    sign_in(page, "police@example.org", DEMO)
    page.goto("/children/new")
    page.get_by_label("First name").fill("Riley")
    page.get_by_label("Last name").fill("Stone")
    page.locator("#date_of_birth-day").fill("9")
    page.locator("#date_of_birth-month").fill("9")
    page.locator("#date_of_birth-year").fill("2010")
    page.locator('input[name="gender"][value="unknown"]').check()
    page.locator('input[name="looked_after"][value="no"]').check()
    page.get_by_role("button", name="Save child").click()
    child_url = page.url

    page.get_by_role("link", name="Record an arrest").click()
    fill_moment(page, "arrested", now - timedelta(hours=3))
    page.get_by_role("button", name="Record the arrest").click()  # the exploitation question is unanswered
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select whether there are signs")
    assert_accessible(page)
    page.get_by_label("Not known").check()
    page.get_by_role("button", name="Record the arrest").click()
    expect(page.locator("body")).to_contain_text("Arrest recorded")
    assert_accessible(page)

    page.goto(child_url)
    page.get_by_role("link", name="Record police protection").click()
    fill_moment(page, "started", now - timedelta(hours=80))
    page.get_by_label("Designated officer").fill("Insp Shah")
    page.get_by_label("Place of safety").fill("Foster home")
    page.get_by_label("Why the child was taken into police protection").fill("Found alone")
    page.get_by_role("button", name="Record police protection").click()
    expect(page.locator("body")).to_contain_text("The 72 hours ran out")
    page.get_by_role("button", name="Record the end of police protection").click()
    fill_moment(page, "ended", now - timedelta(hours=2))
    page.get_by_label("Returned home").check()
    page.get_by_role("button", name="Record the end").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("enter why")
    assert_accessible(page)
    page.get_by_label("Why police protection lasted longer than 72 hours").fill("No placement until the morning")
    page.get_by_role("button", name="Record the end").click()
    expect(page.locator("body")).to_contain_text("as lasting more than 72 hours")
    assert_accessible(page)


def test_a_manager_finds_and_assigns_a_worker_by_searching(browser_app, browser_page):
    from safeguarding.missing.models import ReturnInterview

    seed(DEMO)
    db.session.commit()
    rhi = db.session.execute(db.select(ReturnInterview).where(ReturnInterview.status == "open")
                             .order_by(ReturnInterview.id.desc()).limit(1)).scalar_one()
    page = browser_page
    sign_in(page, "csc.manager@example.org", DEMO)
    page.goto(f"/missing/return-interviews/{rhi.id}")
    page.get_by_role("button", name="Change the worker").click()
    expect(page.locator("#assigned-now")).to_contain_text("Jo Williams")
    expect(page.get_by_label("Jo Williams (assigned now)")).not_to_be_checked()  # shown, not chosen for them
    assert_accessible(page)

    page.get_by_role("button", name="Assign").click()  # nothing chosen
    expect(page).to_have_title(re.compile("^" + re.escape("Error:")))
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.locator(".govuk-error-summary").get_by_role("link").click()  # the summary leads to the first option
    expect(page.locator("#assign-worker")).to_be_focused()
    assert_accessible(page)

    page.get_by_label("Search by name or email").fill("patel")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Search by name or email")).to_have_value("patel")
    expect(page.locator(".govuk-radios__item")).to_have_count(1)
    page.get_by_label("Sam Patel").check()
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("body")).to_contain_text("Assigned to Sam Patel")

    page.goto(f"/missing/return-interviews/{rhi.id}/assign?q=nobody-by-this-name")
    expect(page.locator("body")).to_contain_text("No workers found")
    assert_accessible(page)
