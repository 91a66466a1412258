"""A MASH user runs a strategy discussion for two siblings in Chromium; the police officer finds the action.
axe-core reports no WCAG 2.2 AA violations on each page of the journey, including an error state."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.demo import seed

from .browser import assert_accessible, sign_in
from .discussion_data import make_child

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"


def _fill_date(page, field, day: date):
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))


def test_mash_runs_a_discussion_for_siblings_and_police_see_their_action(browser_app, browser_page):
    seed(DEMO)
    sophie = make_child("Sophie", "Walker", born=date(2017, 6, 3))
    make_child("Max", "Walker", born=date(2020, 1, 12))
    page = browser_page
    sign_in(page, "mash@example.org", DEMO)

    page.goto(f"/children/{sophie.id}")
    page.get_by_role("link", name="Convene a strategy discussion about Sophie Walker").click()
    expect(page).to_have_title(re.compile("^Convene a strategy discussion"))
    assert_accessible(page)

    page.get_by_label("Find a brother or sister to add").fill("Max Walker")
    page.get_by_role("button", name="Find child").click()
    page.get_by_label(re.compile("Max Walker")).check()
    assert page.get_by_label(re.compile("Sophie Walker")).is_checked()
    tomorrow = clock.london_today() + timedelta(days=1)
    # Nothing is answered for the person: initial or review, urgency and how it is held are chosen.
    assert not page.get_by_label("Initial", exact=True).is_checked()
    page.get_by_label("Initial", exact=True).check()
    page.get_by_label(re.compile("Not urgent")).check()
    page.get_by_label("Video call").check()
    _fill_date(page, "scheduled_date", tomorrow)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Who referred").fill("Ambulance crew")
    _fill_date(page, "referral_received_on", clock.london_today())
    page.get_by_label("Category of harm").select_option(label="Neglect")
    page.get_by_label("Why a strategy discussion is needed").fill("Ambulance crew called to the home")
    page.get_by_role("button", name="Convene the discussion").click()
    # The referrer's words were left out: an error, and nothing typed is lost.
    expect(page).to_have_title(re.compile("^Error: Convene"))
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.get_by_label("Who referred").input_value() == "Ambulance crew"
    assert_accessible(page)

    page.get_by_label("The referrer's concern, in their own words").fill(
        "The flat was unsanitary with a foul smell and a fire hazard.")
    page.get_by_role("button", name="Convene the discussion").click()
    page.wait_for_url(re.compile(r"/discussions/\d+$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Strategy discussion convened")
    assert_accessible(page)

    page.get_by_role("link", name="Record attendance").click()
    page.get_by_role("group", name=re.compile("Northshire Children's Social Care")).get_by_label("Attended").check()
    page.get_by_role("group", name=re.compile("Northshire Police")).get_by_label("Attended").check()
    page.get_by_role("group", name=re.compile("Northshire Health")).get_by_label("Apologies").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page).to_have_title(re.compile("^Error: Record attendance"))  # apologies need a reason
    assert_accessible(page)
    page.get_by_label("Reason (Northshire Health (NHS))").fill("Health visitor on a home visit")
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_url(re.compile(r"/discussions/\d+#attendance$"))
    warning = page.locator("#minimum-agencies")
    assert "Not present: Health" in warning.inner_text()
    assert_accessible(page)

    # Vague words are pointed out while typing, and saving is never blocked.
    page.get_by_role("link", name="Record information shared").click()
    page.get_by_label("Agency sharing the information").select_option(label="Northshire Police")
    page.get_by_label("About").select_option(label="Other information")
    page.get_by_label("Which child").select_option(label="All the children")
    page.get_by_label("What was shared").fill("Father known to police. Home conditions were poor.")
    expect(page.locator(".app-vague-hint")).to_contain_text("“Home conditions were poor”")
    page.get_by_label("UK GDPR Article 6(1)(e): public task").check()
    assert_accessible(page)
    page.get_by_role("button", name="Record information").click()
    page.wait_for_url(re.compile(r"#information$"))
    expect(page.locator("#information ~ div .app-vague-hint").first).to_contain_text("Home conditions were poor")

    page.get_by_role("button", name="Record the decision for Sophie").click()
    page.get_by_label("Section 47 enquiry (single agency)").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_title(re.compile("^Error: Decision"))
    assert "Enter the reasons for the decision" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Reasons for the decision").fill("Fire hazard and no food; Sophie has a burn on her hand")
    page.get_by_label("Why the decision is made without every required agency").fill(
        "Health visitor unavailable; records sent by email")
    assert "Select whether a medical examination is needed" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_role("group", name=re.compile("ABE")).get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Intermediary considered?").get_by_label("Not decided yet").check()
    page.get_by_role("group", name="Medical examination needed?").get_by_label("Yes").check()
    page.get_by_label("Medical examination: who, where and when").fill("Paediatrician at 3pm today")
    page.get_by_role("group", name="Legal action").get_by_label("None").check()
    page.get_by_role("group", name="What the family is told").get_by_label("Will be told").check()
    page.get_by_label("When, and by whom").fill("Today, by the social worker")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(r"#decision-\d+$"))
    expect(page.locator("body")).to_contain_text("Initial child protection conference")
    assert "Due by" in page.locator(f"#decision-{sophie.id} + dl").inner_text()

    for description, owner in (("Check PNC and intelligence on both parents", "DC Chris Evans"),
                               ("Share the children's health records", "Nurse Ruth Green")):
        page.get_by_role("link", name="Add an agreed action").click()
        page.get_by_label("What needs to be done").fill(description)
        page.get_by_label("For which child").select_option(label="All the children")
        labels = page.locator("#owner_id option").all_inner_texts()
        page.get_by_label("Owner").select_option(label=next(o for o in labels if o.startswith(owner)))
        _fill_date(page, "due_date", tomorrow)
        page.get_by_label("Due time").fill("17:00")
        if description.startswith("Check"):
            assert_accessible(page)
        page.get_by_role("button", name="Add action").click()
        page.wait_for_url(re.compile(r"#actions$"))
    assert page.locator("#actions + .app-table-scroll table tbody tr").count() == 2
    # Back to the form just saved, and submit it again: nothing new is added, and the person is told so.
    page.go_back()
    page.get_by_role("button", name="Add action").click()
    page.wait_for_url(re.compile(r"#actions$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("This was already saved")
    assert page.locator("#actions + .app-table-scroll table tbody tr").count() == 2
    # The same form sent twice at the same moment (a double click, a flaky connection): one action.
    page.get_by_role("link", name="Add an agreed action").click()
    page.get_by_label("What needs to be done").fill("Visit the school")
    page.get_by_label("For which child").select_option(label="All the children")
    labels = page.locator("#owner_id option").all_inner_texts()
    page.get_by_label("Owner").select_option(label=next(o for o in labels if o.startswith("DC Chris Evans")))
    _fill_date(page, "due_date", tomorrow)
    page.get_by_label("Due time").fill("12:00")
    statuses = page.evaluate("""async () => {
        const form = document.querySelector('form[method="post"]:not([action])');
        const send = () => fetch(location.href, {method: 'POST', body: new FormData(form), redirect: 'manual'});
        return (await Promise.all([send(), send()])).map(r => r.type);
    }""")
    assert statuses == ["opaqueredirect", "opaqueredirect"]
    page.goto(page.url.rsplit("/actions/new", 1)[0])
    assert page.locator("#actions + .app-table-scroll table tbody tr").count() == 3
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "police@example.org", DEMO)
    page.get_by_role("link", name="My actions").first.click()
    expect(page).to_have_title(re.compile("^My actions"))
    expect(page.locator("main")).to_contain_text("Check PNC and intelligence on both parents")
    expect(page.locator("main")).not_to_contain_text("Share the children's health records")
    assert_accessible(page)


def test_the_conference_and_enquiry_outcome_pages_are_accessible_with_their_errors(browser_app, browser_page):
    from safeguarding.auth.models import Agency, User
    from safeguarding.discussions import services
    from safeguarding.extensions import db
    from safeguarding.service import transaction

    from .discussion_data import attend, convene, decision_data

    seed(DEMO)
    mash = db.session.execute(db.select(User).where(User.email == "mash@example.org")).scalar_one()
    core = [db.session.execute(db.select(Agency).where(Agency.kind == kind)).scalars().first()
            for kind in ("childrens_social_care", "police", "health")]
    amy = make_child("Amy", "Brook", born=date(2018, 3, 1))
    held = clock.now() - timedelta(hours=2)
    # the referral came the day the discussion was held: between midnight and 2 a.m. that is yesterday, not today
    sd = convene(mash, [amy], core, scheduled_at=held, referral_received_on=held.astimezone(clock.LONDON).date())
    attend(sd, mash)
    with transaction():
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    page = browser_page
    sign_in(page, "mash@example.org", DEMO)

    page.goto(f"/discussions/{sd.id}/decisions/{decision.id}/icpc")
    _fill_date(page, "icpc_date", date(2020, 1, 1))
    page.get_by_role("button", name="Record conference date").click()
    expect(page).to_have_title(re.compile("^Error: Initial child protection conference"))
    assert_accessible(page)

    page.goto(f"/discussions/{sd.id}/decisions/{decision.id}/enquiry-outcome")
    assert not page.get_by_label("Concerns not substantiated").is_checked()  # nothing answered for the person
    page.get_by_role("button", name="Record the outcome").click()
    expect(page).to_have_title(re.compile("^Error: Outcome of the section 47 enquiry"))
    assert_accessible(page)
    page.get_by_label("Concerns not substantiated").check()
    page.get_by_label("Reasons for the outcome").fill("The GP's records explain the bruise")
    _fill_date(page, "enquiry_outcome_on", clock.london_today())
    page.get_by_role("button", name="Record the outcome").click()
    page.wait_for_url(re.compile(rf"/discussions/{sd.id}#decision-{amy.id}$"))
    expect(page.locator("main")).to_contain_text("Not needed: the enquiry ended without one")
    assert_accessible(page)
