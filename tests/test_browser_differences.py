"""In a real Chromium: a police officer disagrees with the "no further action" decision children's social care made
at a strategy discussion, the social work manager responds at stage 2, and it is resolved. Every page passes
axe-core, error states included."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.auth.models import Agency, User
from safeguarding.demo import seed
from safeguarding.differences.models import ProfessionalDifference
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db

from .browser import assert_accessible, sign_in
from .discussion_data import attend, decision_data, details, make_child

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def no_further_action_yesterday():
    """Ruby's strategy discussion, chaired yesterday by the MASH social worker: no further action."""
    chair = db.session.execute(db.select(User).where(User.email == "mash@example.org")).scalar_one()
    core = db.session.execute(db.select(Agency).where(Agency.kind.in_(
        ["childrens_social_care", "police", "health"]))).scalars().all()
    ruby = make_child("Ruby", "Shaw", born=date(2015, 10, 4))
    held = clock.now() - timedelta(days=1)
    with clock.frozen_at(held - timedelta(hours=2)):
        data = details(chair_id=chair.id, scheduled_at=held)
        data.update(child_ids=[ruby.id], agency_ids=[a.id for a in core])
        sd = discussions.convene(data, actor=chair)
    with clock.frozen_at(held + timedelta(minutes=40)):
        attend(sd, chair)
        discussions.record_decision(sd, ruby.id, decision_data(
            outcome="nfa", rationale="Ruby's bruise was explained by a fall at the park; her mother is engaging.",
            medical_examination="no", medical_details=""), actor=chair)
    db.session.commit()  # discussions services only flush: the browser's server thread reads the committed file
    return sd, ruby


def test_police_officer_disagrees_with_no_further_action_manager_responds_at_stage_two_and_it_is_resolved(
        browser_app, browser_page):
    seed(DEMO)
    sd, ruby = no_further_action_yesterday()
    page = browser_page
    sign_in(page, "police@example.org", DEMO)
    page.goto(f"/discussions/{sd.id}")
    expect(page).to_have_title(re.compile("^" + re.escape("Initial strategy discussion: Ruby Shaw")))
    expect(page.locator("body")).to_contain_text("No professional difference that you can see has been raised")
    assert_accessible(page)
    page.get_by_role("link", name="Disagree with this decision for Ruby Shaw").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Raise a professional difference")))
    # Started from the decision: children's social care, the chair, and what was decided.
    expect(page.get_by_label("Which agency made the decision you disagree with?")).to_have_value(
        str(db.session.execute(db.select(Agency.id).where(Agency.kind == "childrens_social_care")).scalar_one()))
    expect(page.get_by_label("Who made the decision, or will answer for their agency?")).to_have_value(
        str(db.session.execute(db.select(User.id).where(User.email == "mash@example.org")).scalar_one()))
    about = page.get_by_label("Which decision or action do you disagree with?")
    expect(about).to_have_value(re.compile("No further action. Reasons recorded: Ruby's bruise"))
    assert_accessible(page)

    # Nothing else filled in: every problem named, the decision kept, and the page is still accessible.
    page.get_by_role("button", name="Raise the difference").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: Raise a professional difference")))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter why you disagree")
    expect(summary).to_contain_text("Select whether the child is at immediate risk of significant harm")
    expect(about).to_have_value(re.compile("No further action"))
    assert_accessible(page)

    page.get_by_label("Why do you disagree?").fill("Police intelligence of domestic abuse at the address was not "
                                                   "shared before the decision.")
    page.get_by_label("What outcome are you seeking?").fill("Reconvene with police present; consider section 47")
    page.locator("#immediate_risk-2").check()  # No
    page.get_by_role("button", name="Raise the difference").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Professional difference PD-")))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Sam Patel has been told")
    expect(page.locator("body")).to_contain_text(
        "The decision \u201cNo further action\u201d at the strategy discussion of")
    assert_accessible(page)
    difference_url = page.url

    # Stage 1 did not settle it: the officer escalates to the first-line managers suggested for each side.
    page.get_by_role("button", name="Escalate to stage 2").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Escalate")))
    assert_accessible(page)
    page.get_by_role("button", name="Escalate").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: Escalate")))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what was discussed at this stage")
    assert_accessible(page)
    page.get_by_label("What was discussed at this stage").fill("Spoke to Sam Patel; CSC view unchanged.")
    expect(page.get_by_label("Who will answer for Northshire Children's Social Care?")).not_to_have_value("0")
    page.get_by_role("button", name="Escalate").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Escalated to stage 2 (First-line managers)")
    sign_out(page)

    # The social work manager responds at stage 2 and records that it is resolved.
    sign_in(page, "csc.manager@example.org", DEMO)
    page.goto(difference_url)
    expect(page.locator("body")).to_contain_text("Stage 2 of 4: First-line managers")
    assert_accessible(page)
    page.get_by_role("button", name="Record the outcome").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Record the outcome")))
    page.get_by_label("Resolved: we agree a way forward").check()
    page.get_by_role("button", name="Record the outcome").click()
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what was discussed at this stage")
    assert_accessible(page)
    page.get_by_label("What was discussed").fill("Reviewed with Inspector Shah: the police intelligence changes "
                                                 "the threshold. Strategy discussion to be reconvened.")
    page.get_by_label("Agreed plan (optional)").fill("Strategy discussion tomorrow at 10:00 with police")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("resolved at stage 2")
    assert_accessible(page)

    # The discussion and Ruby's timeline both show it, saying which decision it was about.
    mine = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.child_id == ruby.id)).scalar_one()
    assert mine.status == "resolved" and [s.outcome for s in mine.stages] == ["escalated", "resolved"]
    assert mine.decision_id == sd.decisions[0].id
    page.get_by_role("link", name=re.compile("^The decision .No further action. at the strategy discussion")).click()
    expect(page).to_have_title(re.compile("^" + re.escape("Initial strategy discussion: Ruby Shaw")))
    expect(page.locator("#professional-differences + .app-table-scroll table")).to_contain_text(mine.reference)
    expect(page.locator("body")).to_contain_text("Resolved at stage 2")
    assert_accessible(page)
    page.goto(f"/children/{ruby.id}")
    expect(page.locator("body")).to_contain_text(
        "The decision \u201cNo further action\u201d at the strategy discussion of")
    assert_accessible(page)
    page.goto("/differences/figures")
    expect(page).to_have_title(re.compile("^Professional differences"))
    assert_accessible(page)
