"""In a real browser: MASH staff's My work summarises the partnership's records waiting, and "Show all" pages them."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.auth import services as auth_services
from safeguarding.auth.models import Agency
from safeguarding.demo import seed
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in
from .discussion_data import convene, make_child

pytestmark = pytest.mark.browser
DEMO = "harbour-quartz-thistle"


def test_mash_my_work_summarises_records_waiting_and_show_all_pages_them(browser_app, browser_page, monkeypatch):
    from safeguarding.dashboard import views

    monkeypatch.setattr(views, "PARTNERSHIP_PER_PAGE", 3)
    seed(DEMO)
    chair = auth_services.find_user_by_email("mash@example.org")
    child = make_child("Rosa", "Browser")
    agencies = db.session.execute(db.select(Agency)).scalars().all()
    invited = [a for a in agencies if a.kind in ("childrens_social_care", "police", "health")]
    for hours in range(5):
        convene(chair, [child], invited, scheduled_at=clock.now() - timedelta(days=2, hours=hours))

    page = browser_page
    sign_in(page, "mash@example.org", DEMO)
    page.goto("/my-work")
    expect(page.locator("#partnership-summary")).to_contain_text("Overdue")
    expect(page.locator("#partnership-urgent")).to_contain_text("Rosa Browser")
    assert_accessible(page)

    page.locator("#partnership-all").click()
    expect(page).to_have_title(re.compile("^Discussions waiting for their record"))
    expect(page.locator("#partnership-deadlines tbody tr")).to_have_count(3)
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Next")).click()
    expect(page).to_have_url(re.compile(r"/my-work/partnership\?page=2$"))
    expect(page.locator("#partnership-deadlines tbody tr")).to_have_count(3)
