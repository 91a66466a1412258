"""The navigation fits: at 1280 px one row for the busiest role, Sign out with the account (never a tab); on a
phone the navigation folds behind Menu."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def test_navigation_is_one_row_at_1280_and_sign_out_is_not_a_tab(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "csc.manager@example.org", DEMO)  # a manager: the most entries
    tops = page.evaluate("() => [...document.querySelectorAll('.govuk-service-navigation__item')]"
                         ".map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(tops) >= 6 and len(set(tops)) == 1, tops
    assert page.locator(".govuk-service-navigation").get_by_text("Sign out").count() == 0
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert_accessible(page)

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(page.locator(".govuk-service-navigation__list")).to_be_hidden()
    menu.click()
    expect(page.locator(".govuk-service-navigation__list")).to_be_visible()
    assert_accessible(page)


def test_no_page_scrolls_sideways_at_320_px(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, "csc.manager@example.org", DEMO)
    for path in ("/my-work", "/discussions/", "/children/", "/reports/", "/missing/", "/differences/"):
        page.goto(path)
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        culprits = page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
                .filter(e => e.scrollWidth > width + 1 || e.getBoundingClientRect().right > width + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40));
        }""")
        assert wide <= 0, f"{path} scrolls sideways by {wide}px at 320px: {culprits}"
    region = page.locator(".app-table-scroll").first
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
