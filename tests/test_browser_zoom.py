"""Zoomed to 200% and 400% (a 1280 px screen seen as 640 and 320 CSS pixels, at twice and four times the pixel
density) no page scrolls sideways and nothing is cut off (WCAG 1.4.4, 1.4.10); in forced colours (Windows high
contrast) every control still shows focus and every status tag still reads as one (WCAG 1.4.11, 2.4.7)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed

from .browser import enter_code
from .keyboard import focus_problems

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
PAGES = ["/my-work", "/discussions/", "/discussions/1", "/discussions/1/minutes", "/children/", "/reports/",
         "/missing/", "/differences/", "/discussions/new", "/account"]

#: what sticks out of the screen or is clipped: outside the tables' own scroll regions, anything visible whose box
#: passes either edge, or whose text is wider than a box that hides the overflow
CUT_OFF = """() => {
    const width = document.documentElement.clientWidth, found = [];
    const root = document.documentElement;
    if (root.scrollWidth > width) found.push(`the page scrolls sideways by ${root.scrollWidth - width}px`);
    for (const e of document.querySelectorAll('body *')) {
        if (e.closest('.app-table-scroll, .govuk-visually-hidden, .govuk-skip-link, script, svg')) continue;
        if (!e.checkVisibility({visibilityProperty: true})) continue;
        const box = e.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const style = getComputedStyle(e);
        const clips = ['hidden', 'clip'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1;
        if (box.left < -1 || box.right > width + 1 || clips)
            found.push(`${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || '').trim().slice(0, 30)}"`);
    }
    return found.slice(0, 5);
}"""


def _signed_in_context(page, **options):
    base = page.url.split("/sign-in")[0]
    context = page.context.browser.new_context(base_url=base, **options)
    zoomed = context.new_page()
    zoomed.goto("/sign-in")
    zoomed.get_by_label("Email address").fill("csc.manager@example.org")
    zoomed.get_by_label("Password", exact=True).fill(DEMO)
    zoomed.get_by_role("button", name="Sign in").click()
    enter_code(zoomed, "csc.manager@example.org")
    return context, zoomed


@pytest.mark.parametrize(("zoom", "width", "scale"), [("200%", 640, 2), ("400%", 320, 4)])
def test_zoomed_pages_reflow_with_nothing_cut_off(browser_app, browser_page, zoom, width, scale):
    seed(DEMO)
    browser_page.goto("/sign-in")
    context, page = _signed_in_context(browser_page, viewport={"width": width, "height": 800 // scale * 2},
                                       device_scale_factor=scale)
    try:
        problems = {}
        for path in PAGES:
            assert page.goto(path).ok, path
            if found := page.evaluate(CUT_OFF):
                problems[path] = found
        page.goto("/discussions/new")
        page.get_by_role("button", name="Convene the discussion").click()  # the error state, its messages longest
        expect(page).to_have_title(re.compile("^Error: "))  # the error page itself, not the form it replaced
        page.wait_for_load_state()
        if found := page.evaluate(CUT_OFF):
            problems["/discussions/new (error)"] = found
        menu = page.get_by_role("button", name="Menu")
        expect(menu).to_be_visible()  # at {zoom} the navigation folds behind Menu
        menu.press("Enter")
        expect(page.get_by_role("navigation", name="Menu").get_by_role("link", name="My work")).to_be_visible()
        assert problems == {}, f"at {zoom}: {problems}"
    finally:
        context.close()


def test_forced_colours_keep_focus_and_status_tags_visible(browser_app, browser_page):
    seed(DEMO)
    browser_page.goto("/sign-in")
    context, page = _signed_in_context(browser_page, forced_colors="active")
    try:
        assert page.evaluate("() => matchMedia('(forced-colors: active)').matches")
        tags_seen, problems = 0, {}
        for path in PAGES:
            assert page.goto(path).ok, path
            found = focus_problems(page)
            for tag in page.locator(".govuk-tag").evaluate_all("""els => els.map(e => {
                    const s = getComputedStyle(e);
                    return [e.textContent.trim(), s.borderTopStyle !== 'none' && parseFloat(s.borderTopWidth) >= 1];
                })"""):
                tags_seen += 1
                if not tag[1]:
                    found.append(f"the tag '{tag[0]}' has no border: in forced colours it reads as loose text")
            if found:
                problems[path] = found
        assert tags_seen >= 5  # the pages visited show statuses: the check saw them
        assert problems == {}
    finally:
        context.close()
