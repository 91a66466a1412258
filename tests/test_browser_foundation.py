"""A demo user signs in and out in a real Chromium; the pages pass axe-core at WCAG 2.2 AA."""
import re

import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed

from .browser import assert_accessible, demo_code, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def test_sign_in_home_and_sign_out_are_accessible(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    page.goto("/")
    expect(page).to_have_title(re.compile("^" + re.escape("Sign in")))
    assert_accessible(page)

    page.get_by_label("Email address").fill("mash@example.org")
    page.get_by_label("Password", exact=True).fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Password", exact=True).fill(DEMO)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/sign-in/code")  # the password alone opens nothing
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: Enter your sign-in code"))
    assert_accessible(page)
    page.get_by_label("Code").fill(demo_code("mash@example.org"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/home")
    assert "Welcome, Sam Patel" in page.locator("h1").inner_text()
    assert_accessible(page)

    page.goto("/no-such-page")
    expect(page).to_have_title(re.compile("^" + re.escape("Page not found")))
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    expect(page.locator("body")).to_contain_text("You have been signed out")
    page.goto("/home")
    expect(page).to_have_title(re.compile(r"^Sign in"))


def test_keyboard_only_sign_in(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    sign_in(page, "police@example.org", DEMO, keyboard=True)
    assert "DC Chris Evans" in page.locator("h1").inner_text()
