"""A new account waits for a second administrator, in Chromium with axe-core: one administrator adds a social worker
(no password field) and is refused a password link; a second approves on *Changes to approve*, which emails the
person their link."""
import pytest
from playwright.sync_api import expect

from safeguarding.auth import mfa, services
from safeguarding.auth.models import Role
from safeguarding.demo import seed
from safeguarding.extensions import db
from safeguarding.reminders.models import OutboundEmail

from .browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def _second_administrator() -> None:
    admin = services.find_user_by_email("admin@example.org")
    second = services.create_user({"name": "Bea Second", "email": "bea.admin@example.org",
                                   "agency_id": admin.agency_id, "job_title": "Administrator",
                                   "role": Role.ADMIN.value}, DEMO, chosen_by_owner=True)  # as at the command line
    mfa.enrol_for_demo(second)
    db.session.commit()


def test_a_new_account_is_approved_by_a_second_administrator(browser_app, browser_page):
    seed(DEMO)
    _second_administrator()
    page = browser_page
    sign_in(page, "admin@example.org", DEMO)
    page.goto("/admin/users/new")
    expect(page.get_by_label("Initial password (optional)")).to_have_count(0)
    page.get_by_label("Full name").fill("Nina Newcomer")
    page.get_by_label("Email address").fill("nina.newcomer@example.org")
    page.get_by_label("Agency").select_option(label="Northshire Children's Social Care")
    page.get_by_label("Practitioner").check()
    page.get_by_role("button", name="Save user").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "A second administrator must approve the account")
    expect(page.locator("#account-approval")).to_contain_text("Waiting for a second administrator's approval")
    assert_accessible(page)

    page.goto("/admin/users")
    expect(page.get_by_role("row").filter(has_text="Nina Newcomer")).to_contain_text(
        "Waiting for a second administrator's approval")
    db.session.expire_all()
    nina = services.find_user_by_email("nina.newcomer@example.org")
    page.goto(f"/admin/users/{nina.id}/password-link")
    expect(page.locator("#link-refused")).to_contain_text("waiting for a second administrator's approval")
    expect(page.get_by_role("button", name="Send the link")).to_have_count(0)
    assert_accessible(page)
    page.goto("/admin/role-requests")
    expect(page.locator(".govuk-summary-card").filter(has_text="Nina Newcomer")).to_contain_text(
        "Waiting for another administrator to decide")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "bea.admin@example.org", DEMO)
    page.goto("/admin/role-requests")
    assert_accessible(page)
    page.get_by_role("button", name="Approve the new account for Nina Newcomer").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "New account for Nina Newcomer approved: they have been emailed a link")
    expect(page.get_by_role("table")).to_contain_text("Approved by Bea Second")
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.execute(db.select(OutboundEmail).where(
        OutboundEmail.to_address == "nina.newcomer@example.org", OutboundEmail.purpose == "set_password")
    ).scalar_one()
