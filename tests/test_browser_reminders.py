"""In a real browser: an overdue action is on My work and in notifications; completing it takes it off."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from safeguarding import clock
from safeguarding.auth import services as auth_services
from safeguarding.demo import seed
from safeguarding.discussions import services as discussions
from safeguarding.discussions.models import AgreedAction
from safeguarding.extensions import db
from safeguarding.reminders.sweep import sweep

from .browser import assert_accessible, sign_in
from .discussion_data import convene, make_child

pytestmark = pytest.mark.browser
DEMO = "harbour-quartz-thistle"


def test_an_overdue_action_is_on_my_work_until_its_owner_completes_it(browser_app, browser_page):
    seed(DEMO)
    chair = auth_services.find_user_by_email("mash@example.org")
    officer = auth_services.find_user_by_email("police@example.org")
    child = make_child("Lily", "Browser")
    from safeguarding.auth.models import Agency

    agencies = db.session.execute(db.select(Agency)).scalars().all()
    sd = convene(chair, [child], [a for a in agencies if a.kind in ("childrens_social_care", "police", "health")])
    action = discussions.add_action(sd, {"description": "Check Lily's address on police systems",
                                         "owner_id": officer.id, "due_at": clock.now() + timedelta(hours=1),
                                         "child_id": child.id}, actor=chair)
    # Time passes: the action is now two hours overdue, and the scheduler's sweep has run.
    db.session.execute(update(AgreedAction).where(AgreedAction.id == action.id)
                       .values(due_at=clock.now() - timedelta(hours=2)))
    db.session.commit()
    sweep(clock.now())

    page = browser_page
    sign_in(page, "police@example.org", DEMO)
    expect(page.get_by_role("link", name=re.compile(r"^Notifications \d+ unread"))).to_be_visible()

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My work").click()
    expect(page).to_have_title(re.compile("^My work"))
    row = page.locator("#mine-overdue tr", has_text="Check Lily's address on police systems")
    expect(row).to_contain_text("Overdue by 2 hours")
    expect(row).to_contain_text("Lily Browser")
    assert_accessible(page)

    row.get_by_role("link", name=re.compile("Check Lily's address")).click()
    expect(page).to_have_url(re.compile(rf"/discussions/{sd.id}#action-{action.id}$"))
    page.locator(f"#action-{action.id}").get_by_role("link", name=re.compile("Check Lily's address")).click()
    expect(page.get_by_role("heading", name="Mark as done")).to_be_visible()
    page.get_by_label("What was done").fill("Address confirmed; no other occupants known to police")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("Action marked as done")).to_be_visible()

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My work").click()
    expect(page).to_have_title(re.compile("^My work"))
    expect(page.get_by_text("Check Lily's address on police systems")).to_have_count(0)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page).to_have_title(re.compile("^Notifications"))
    assert_accessible(page)
    page.locator("tr", has_text="Overdue: Action: Check Lily's address").get_by_role(
        "button", name=re.compile("^Acknowledge")).click()
    expect(page.get_by_text("Notification acknowledged")).to_be_visible()
    expect(page.locator("tr", has_text="Overdue: Action: Check Lily's address")).to_contain_text("Acknowledged")
