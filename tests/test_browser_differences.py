"""In a real Chromium: a police officer disagrees with children's social care's "no further action" decision, the
social work manager responds at stage 2, and it is resolved. Every page passes axe-core, error states included."""
import re
import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed
from safeguarding.differences.models import ProfessionalDifference
from safeguarding.extensions import db

from .browser import assert_accessible

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def sign_in(page, email):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/home")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def test_police_officer_disagrees_manager_responds_at_stage_two_and_it_is_resolved(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    sign_in(page, "police@example.org")
    page.get_by_role("link", name="Children").first.click()
    page.get_by_role("link", name="Mia Collins").click()
    assert_accessible(page)
    page.get_by_role("link", name="Raise a professional difference").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Raise a professional difference")))
    assert_accessible(page)

    # Nothing filled in: every problem named, and the page is still accessible.
    page.get_by_role("button", name="Raise the difference").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: Raise a professional difference")))
    summary = page.locator(".govuk-error-summary")
    assert "Select the agency whose decision you disagree with" in summary.inner_text()
    assert "Enter why you disagree" in summary.inner_text()
    assert_accessible(page)

    page.get_by_label("Which agency made the decision you disagree with?").select_option(
        label="Northshire Children's Social Care")
    page.get_by_label("Who made the decision, or will answer for their agency?").select_option(
        label="Sam Patel, MASH social worker (Northshire Children's Social Care)")
    page.get_by_label("Which decision or action do you disagree with?").fill(
        "The decision today to take no further action after Mia's disclosure")
    page.get_by_label("Why do you disagree?").fill("Police intelligence of domestic abuse at the address.")
    page.get_by_label("What outcome are you seeking?").fill("A strategy discussion with police present")
    page.get_by_label("Threshold decision (for example no further action or early help)").check()
    page.locator("#immediate_risk-2").check()  # No
    page.get_by_role("button", name="Raise the difference").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Professional difference PD-")))
    assert "Sam Patel has been told" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)
    difference_url = page.url

    # Stage 1 did not settle it: the officer escalates to the first-line managers suggested for each side.
    page.get_by_role("button", name="Escalate to stage 2").click()
    assert_accessible(page)
    page.get_by_role("button", name="Escalate").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: Escalate")))
    assert "Enter what was discussed at this stage" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("What was discussed at this stage").fill("Spoke to Sam Patel; CSC view unchanged.")
    assert page.get_by_label("Who will answer for Northshire Children's Social Care?").input_value() != "0"
    page.get_by_role("button", name="Escalate").click()
    assert "Escalated to stage 2 (First-line managers)" in page.locator(".govuk-notification-banner").inner_text()
    sign_out(page)

    # The social work manager responds at stage 2 and records that it is resolved.
    sign_in(page, "csc.manager@example.org")
    page.goto(difference_url)
    expect(page.locator("body")).to_contain_text("Stage 2 of 4: First-line managers")
    assert_accessible(page)
    page.get_by_role("button", name="Record the outcome").click()
    page.get_by_label("Resolved: we agree a way forward").check()
    page.get_by_role("button", name="Record the outcome").click()
    assert "Enter what was discussed at this stage" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("What was discussed").fill("Reviewed with DI Shah: the police intelligence changes the "
                                                 "threshold. Strategy discussion convened.")
    page.get_by_label("Agreed plan (optional)").fill("Strategy discussion tomorrow at 10:00 with police")
    page.get_by_role("button", name="Record the outcome").click()
    assert "resolved at stage 2" in page.locator(".govuk-notification-banner").inner_text()
    assert_accessible(page)

    mine = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.about.like("The decision today%"))).scalar_one()
    assert mine.status == "resolved" and [s.outcome for s in mine.stages] == ["escalated", "resolved"]
    page.goto("/differences/figures")
    assert_accessible(page)
