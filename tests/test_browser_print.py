"""The printable record of a demo discussion in a real Chromium: accessible, and on A4 with nothing cut off."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed
from safeguarding.discussions.models import StrategyDiscussion
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "harbour-quartz-thistle"


def test_the_printable_record_of_a_demo_discussion_passes_axe_and_fits_a4(browser_app, browser_page):
    seed(DEMO)
    sd = db.session.execute(db.select(StrategyDiscussion).where(StrategyDiscussion.minutes_status == "circulated")
                            .limit(1)).scalar_one()
    page = browser_page
    sign_in(page, "mash@example.org", DEMO)
    page.goto(f"/discussions/{sd.id}")
    page.get_by_role("link", name="Print the record").click()
    expect(page).to_have_title(re.compile("^Record of a strategy discussion"))
    assert_accessible(page)
    page.emulate_media(media="print")
    assert_accessible(page)
    assert page.locator(".govuk-header").is_hidden()
    # A4 is 210 mm wide: less 30 mm of margins, 180 mm (about 680 CSS px) for the record; nothing wider
    page.set_viewport_size({"width": 680, "height": 1000})
    overflow = page.evaluate("""() => [...document.querySelectorAll('table, pre, p, h1, h2')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 681)
        .map(e => e.tagName + ': ' + e.textContent.slice(0, 40))""")
    assert overflow == []
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
