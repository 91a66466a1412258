"""In a real Chromium: convening sends each invitee a calendar invitation that a calendar parser reads at the right
London time; moving it sends an update with a higher SEQUENCE; cancelling sends CANCEL. Through a real SMTP server."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from safeguarding import clock
from safeguarding.demo import seed
from safeguarding.reminders import delivery

from .browser import assert_accessible, sign_in
from .discussion_data import make_child

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
POLICE_MAILBOX = "mash.police@northshire-police.example.org"


def _fill_date(page, field, day: date):
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))


def _events_to(server, address, discussion_id):
    """(METHOD, VEVENT) of each invitation to `address` about this discussion (the demo's own went out too)."""
    found = []
    for message in server.messages:
        if message["To"] != address:
            continue
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                cal = Calendar.from_ical(part.get_content())
                event = next(iter(cal.walk("VEVENT")))
                if str(event["uid"]).startswith(f"strategy-discussion-{discussion_id}@"):
                    found.append((str(cal["method"]), event))
    return found


def test_invitations_follow_the_discussion_into_each_invitees_calendar(browser_app, browser_page, smtp_server):
    browser_app.config.update(smtp_server.config())
    seed(DEMO)
    child = make_child("Sophie", "Walker", born=date(2017, 6, 3))
    page = browser_page
    sign_in(page, "mash@example.org", DEMO)

    page.goto(f"/children/{child.id}")
    page.get_by_role("link", name="Convene a strategy discussion about Sophie Walker").click()
    tomorrow = clock.london_today() + timedelta(days=1)
    page.get_by_label("Initial", exact=True).check()
    page.get_by_label(re.compile("Not urgent")).check()
    page.get_by_label("Video call").check()
    _fill_date(page, "scheduled_date", tomorrow)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Who referred").fill("School")
    _fill_date(page, "referral_received_on", clock.london_today())
    page.get_by_label("Category of harm").select_option(label="Neglect")
    page.get_by_label("Why a strategy discussion is needed").fill("Sophie came to school hungry and bruised")
    page.get_by_label("The referrer's concern, in their own words").fill("She said there is no food at home.")
    page.get_by_role("button", name="Convene the discussion").click()
    page.wait_for_url(re.compile(r"/discussions/\d+$"))
    sd_id = int(page.url.rsplit("/", 1)[1])
    delivery.deliver(clock.now())

    [(method, event)] = _events_to(smtp_server, POLICE_MAILBOX, sd_id)
    start = event.decoded("dtstart")
    assert method == "REQUEST" and start.astimezone(clock.LONDON).replace(tzinfo=None) == datetime.combine(
        tomorrow, datetime.min.time()).replace(hour=10, minute=30)
    first_sequence, uid = int(event["sequence"]), str(event["uid"])
    for message in smtp_server.messages:
        assert "Sophie" not in message.as_string() and "hungry" not in message.as_string()
    assert {m["To"] for m in smtp_server.messages} >= {POLICE_MAILBOX, "mash@northshire.example.org",
                                                      "safeguarding@northshire-nhs.example.org"}

    page.get_by_role("link", name="Change the details").click()
    page.get_by_label("Start time").fill("11:15")
    page.get_by_role("button", name=re.compile("Save|Convene")).click()
    page.wait_for_url(re.compile(r"/discussions/\d+$"))
    delivery.deliver(clock.now() + timedelta(minutes=1))
    moved = _events_to(smtp_server, POLICE_MAILBOX, sd_id)[-1]
    assert moved[0] == "REQUEST" and int(moved[1]["sequence"]) > first_sequence and str(moved[1]["uid"]) == uid
    assert moved[1].decoded("dtstart").astimezone(clock.LONDON).strftime("%H:%M") == "11:15"

    page.get_by_role("link", name="Cancel the discussion").click()
    assert_accessible(page)
    page.get_by_label("Why the discussion is cancelled").fill("Merged with her brother's discussion")
    page.get_by_role("button", name="Cancel the discussion").click()
    expect(page.locator("body")).to_contain_text("Cancelled")
    delivery.deliver(clock.now() + timedelta(minutes=2))
    cancelled = _events_to(smtp_server, POLICE_MAILBOX, sd_id)[-1]
    assert cancelled[0] == "CANCEL" and str(cancelled[1]["uid"]) == uid
    assert int(cancelled[1]["sequence"]) >= int(moved[1]["sequence"])
