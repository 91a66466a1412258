"""Taking over a social worker's account needs two administrators, in Chromium with axe-core: one asks for a new
email address and a reset of sign-in codes and is refused a typed password; a second approves on *Changes to
approve*."""
import pytest
from playwright.sync_api import expect

from safeguarding.auth import mfa, services
from safeguarding.auth.models import Role, User
from safeguarding.demo import seed
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def _second_administrator() -> User:
    admin = services.find_user_by_email("admin@example.org")
    second = services.create_user({"name": "Bea Second", "email": "bea.admin@example.org",
                                   "agency_id": admin.agency_id, "job_title": "Administrator",
                                   "role": Role.ADMIN.value}, DEMO, chosen_by_owner=True)
    mfa.enrol_for_demo(second)
    db.session.commit()
    return second


def _user_row(page, name):
    return page.get_by_role("row").filter(has_text=name)


def test_a_new_email_and_a_code_reset_wait_for_a_second_administrator(browser_app, browser_page):
    seed(DEMO)
    _second_administrator()
    page = browser_page
    sign_in(page, "admin@example.org", DEMO)
    page.goto("/admin/users")
    _user_row(page, "Jo Williams").get_by_role("link", name="Edit").click()
    page.get_by_label("Email address").fill("jo.elsewhere@example.net")
    page.get_by_role("button", name="Save user").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Changing their email address to jo.elsewhere@example.net needs a second administrator")
    _user_row(page, "Jo Williams").get_by_role("link", name="Edit").click()
    expect(page.locator(".govuk-inset-text")).to_contain_text("waiting for a second administrator")
    expect(page.get_by_label("Email address")).to_have_value("social.worker@example.org")
    assert_accessible(page)

    page.goto("/admin/users")
    # no administrator sets anyone's password: the list offers the emailed link only, and an old bookmark says why
    expect(_user_row(page, "Jo Williams").get_by_role("link", name="Set password")).to_have_count(0)
    page.goto(_user_row(page, "Jo Williams").get_by_role("link", name="Edit").get_attribute("href") + "/password")
    expect(page.locator("#password-refused")).to_contain_text("Email them a password link instead")
    assert_accessible(page)
    page.goto("/admin/users")
    _user_row(page, "Jo Williams").get_by_role("link", name="Reset sign-in codes").click()
    assert_accessible(page)
    page.get_by_role("button", name="Ask a second administrator to approve the reset").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Their codes keep working")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "bea.admin@example.org", DEMO)
    page.goto("/admin/")
    page.get_by_role("link", name="Changes to approve").click()
    expect(page.locator(".govuk-summary-card")).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("button", name="Approve the change of email address for Jo Williams").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Change of email address for Jo Williams approved")
    expect(page.get_by_role("table")).to_contain_text("Approved by Bea Second")
    assert_accessible(page)
    db.session.expire_all()
    assert services.find_user_by_email("jo.elsewhere@example.net") is not None
