"""Two minutes before the session ends for want of use, a dialog says so and "Stay signed in" (or Esc) gives the full
time again (WCAG 2.2.1 Timing Adjustable); left alone, the page signs out at the end. The browser's clock is run
forward; the server's is not, so only the page's own timing is tested here, and the server's limits elsewhere."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguarding.auth.models import User, UserSession
from safeguarding.demo import seed
from safeguarding.extensions import db

from .browser import assert_accessible, enter_code
from .keyboard import assert_focus_visible

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def _last_seen(email: str):
    db.session.expire_all()
    return db.session.execute(db.select(UserSession.last_seen_at).join(User).where(
        User.email == email, UserSession.revoked_at.is_(None))).scalar_one()


def test_the_timeout_warning_keeps_the_session_going_or_signs_out(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    page.clock.install()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("social.worker@example.org")
    page.get_by_label("Password", exact=True).fill(DEMO)
    page.get_by_role("button", name="Sign in").click()
    enter_code(page, "social.worker@example.org")
    page.goto("/my-work")
    warning = page.get_by_role("dialog", name="You will be signed out in 2 minutes")
    expect(warning).to_be_hidden()

    page.clock.run_for("27:50")
    expect(warning).to_be_hidden()
    page.clock.run_for("00:20")  # 28 minutes 10 seconds of nothing: two minutes left
    expect(warning).to_be_visible()
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_focus_visible(page, "Stay signed in")
    assert_accessible(page)
    before = _last_seen("social.worker@example.org")
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    expect(page).to_have_title(re.compile("^My work"))
    assert _last_seen("social.worker@example.org") > before  # the server started the 30 minutes again

    page.clock.run_for("28:10")
    expect(warning).to_be_visible()
    page.keyboard.press("Escape")  # Esc keeps the session going too
    expect(warning).to_be_hidden()

    page.clock.run_for("28:10")
    expect(warning).to_be_visible()
    page.clock.run_for("02:00")  # nobody there: signed out, the record no longer on the screen
    page.wait_for_url("**/sign-in")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have been signed out")
