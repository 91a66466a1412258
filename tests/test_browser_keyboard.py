"""A police officer's journey by keyboard alone: sign in, find a child, record an arrest. Every control is reached
and operated with Tab, Enter and Space (no mouse), and the focused control is visibly marked."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.auth.models import Agency
from safeguarding.demo import seed
from safeguarding.extensions import db
from safeguarding.missing.models import Arrest

from .browser import assert_accessible, demo_code
from .discussion_data import make_child

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                                    "getComputedStyle(document.activeElement).boxShadow")
            assert outline.split(" ")[0] != "none" or "rgb" in outline, f"no visible focus on {selector}"
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_police_record_an_arrest_by_keyboard_alone(browser_app, browser_page):
    seed(DEMO)
    police = db.session.execute(db.select(Agency).where(Agency.name == "Northshire Police")).scalar_one()
    child = make_child("Kai", "Keyboard", agency=police)  # a child the force recorded, so the officer may see them
    page = browser_page
    page.goto("/sign-in")
    _tab_to(page, "#email")
    page.keyboard.type("police@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO)
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in/code")
    _tab_to(page, "#code")
    page.keyboard.type(demo_code("police@example.org"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/home")

    page.goto("/children/")
    _tab_to(page, "#query")
    page.keyboard.type("Kai Keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Kai Keyboard")
    _tab_to(page, f'a[href="/children/{child.id}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/children/{child.id}")

    _tab_to(page, f'a[href="/missing/children/{child.id}/arrests/new"]')
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile("^Record an arrest"))
    today = clock.london_today()
    _tab_to(page, "#arrested_date-day")
    for part in (str(today.day), str(today.month), str(today.year)):
        page.keyboard.type(part)
        page.keyboard.press("Tab")
    page.keyboard.type("00:05")
    _tab_to(page, "input[name=exploitation]", limit=10)  # a radio group takes one Tab; arrows choose within it
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("input[name=exploitation][value=not_known]").is_checked()
    if page.locator("input[name=episode]").count():  # asked only when the child has recent episodes
        _tab_to(page, "input[name=episode]", limit=10)
        page.keyboard.press("Space")
    _tab_to(page, "button[type=submit]", limit=20)
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text(re.compile("Arrest recorded|arrest", re.I))
    assert "Error:" not in page.title()
    arrest = db.session.execute(db.select(Arrest).where(Arrest.child_id == child.id)).scalar_one()
    assert arrest.exploitation == "not_known"
    assert_accessible(page)
