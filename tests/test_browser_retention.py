"""The pages added for information governance, in Chromium with axe-core: "checked: nothing held", the retention
schedule with its dry-run report, and a legal hold with its error state."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from safeguarding.auth.models import Agency
from safeguarding.demo import seed
from safeguarding.discussions.models import StrategyDiscussion
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in
from .discussion_data import make_child

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def test_nothing_held_retention_and_legal_hold_pages(browser_app, browser_page):
    seed(DEMO)
    csc = db.session.execute(db.select(Agency).where(Agency.kind == "childrens_social_care")).scalars().first()
    old = make_child("Olivia", "Past", born=date(2000, 1, 1), agency=csc)  # the manager's agency's case
    sd_id = db.session.execute(db.select(StrategyDiscussion.id).where(StrategyDiscussion.status == "decided")
                               .order_by(StrategyDiscussion.id)).scalars().first()
    page = browser_page

    sign_in(page, "csc.manager@example.org", DEMO)
    page.goto(f"/discussions/{sd_id}")
    expect(page.locator("#information-by-agency")).to_be_visible()
    page.get_by_role("link", name="Record \u201cchecked: nothing held\u201d").click()
    page.get_by_role("button", name="Record: checked, nothing held").click()
    expect(page).to_have_title(re.compile("^Error: Record: checked, nothing held"))
    assert_accessible(page)

    page.goto(f"/children/{old.id}")
    page.get_by_role("link", name="Legal hold (retention)").click()
    page.get_by_role("button", name="Put on legal hold").click()
    expect(page).to_have_title(re.compile("^Error: Put on legal hold"))
    assert_accessible(page)
    page.get_by_label("Reason").fill("Civil claim received")
    page.get_by_role("button", name="Put on legal hold").click()
    page.wait_for_url(f"**/children/{old.id}")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "admin@example.org", DEMO)
    page.goto("/retention/")
    expect(page.locator("#retention-report .govuk-tag")).to_have_text("Legal hold")
    expect(page.locator("#retention-report")).to_contain_text("kept, not anonymised")
    assert_accessible(page)
