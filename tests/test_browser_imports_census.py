"""The onboarding import and the census items pages in Chromium with axe-core: a file with errors, a file that is
right and applied, and the census page with rows to fix."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.census.items import CollectionYear
from safeguarding.demo import seed
from safeguarding.discussions.models import ThresholdDecision
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
HEADER = "name,email,agency,role,job_title,line_manager_email,active\n"


def _sign_in(page, email):
    sign_in(page, email, DEMO)


def _choose(page, text: str) -> None:
    page.get_by_label("Upload a CSV file").set_input_files(
        {"name": "staff.csv", "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_role("button", name="Check the file").click()


def test_importing_users_and_the_census_page(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    _sign_in(page, "admin@example.org")
    page.goto("/admin/")
    page.get_by_role("link", name="import users from a CSV file").click()

    _choose(page, HEADER + "Nia New,not-an-email,Atlantis Police,chief,,,\n")
    expect(page).to_have_title(re.compile("^Error: Import users"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Row 2, column email")
    assert_accessible(page)

    _choose(page, HEADER + "Nia New,nia.new@example.org,Northshire Police,practitioner,Constable,,\n")
    expect(page.locator("#summary")).to_have_text("1 row: 1 new, 0 changed, 0 unchanged.")
    assert_accessible(page)
    page.get_by_role("button", name="Apply these changes").click()
    page.wait_for_url("**/admin/users")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Import applied: 1 new")
    expect(page.get_by_text("Waiting for a second administrator's approval")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    # a section 47 enquiry with no LA reference, so the page has a row to fix
    decision = db.session.execute(db.select(ThresholdDecision).where(ThresholdDecision.starts_enquiry.is_(True))
                                  .order_by(ThresholdDecision.id)).scalars().first()
    decision.child.la_reference = None
    db.session.commit()
    year = CollectionYear.containing(decision.enquiry_started_on or clock.london_today() - timedelta(days=1))
    _sign_in(page, "csc.manager@example.org")
    page.goto("/reports/")
    page.get_by_role("link", name="Children in need census: section 47 items").click()
    page.get_by_label("Collection year").select_option(str(year.start_year))
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#failures ~ .app-table-scroll table")).to_contain_text("8500")
    assert_accessible(page)
