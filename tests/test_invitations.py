"""Calendar invitations and agency-mailbox emails go through the outbox and arrive at a real SMTP server."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar
from sqlalchemy import func, select

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.extensions import db
from safeguarding.reminders import delivery, hooks
from safeguarding.reminders.models import SENT, OutboundEmail
from safeguarding.service import transaction

from .discussion_data import convene, make_child


def _event(message):
    calendars = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    cal = Calendar.from_ical(calendars[0].get_content())
    return cal, next(iter(cal.walk("VEVENT")))


def test_each_invitee_gets_a_calendar_invitation_with_the_london_time_and_no_case_details(
        app, agencies, make_user, smtp_server):
    app.config.update(smtp_server.config(), BASE_URL="https://sdc.example.gov.uk")
    chair = make_user(Role.MASH, "csc", name="Casey Chair")
    child = make_child("Ellie", "Example")
    summer = datetime(2027, 7, 1, 9, 30, tzinfo=timezone.utc)  # 10:30 in London (BST)
    with clock.frozen_at(datetime(2027, 6, 30, 12, tzinfo=timezone.utc)):
        sd = convene(chair, [child], [agencies["police"], agencies["health"], agencies["csc"]], scheduled_at=summer)
        # convening wrote them, in its own transaction: three agency mailboxes and the chair
        assert db.session.execute(select(func.count()).select_from(OutboundEmail)).scalar_one() == 4
        assert hooks.discussion_scheduled(sd) == 0  # written once, however often it is asked
        result = delivery.deliver(clock.now())
    assert result.emails == 4
    to = sorted(m["To"] for m in smtp_server.messages)
    assert to == sorted([chair.email, "police@agency.example.org", "health@agency.example.org",
                         "csc@agency.example.org"])
    for message in smtp_server.messages:
        cal, event = _event(message)
        assert str(cal["method"]) == "REQUEST"
        assert event.decoded("dtstart") == summer
        assert event.decoded("dtstart").astimezone(clock.LONDON).hour == 10
        assert str(event["uid"]) == f"strategy-discussion-{sd.id}@test.example"
        text = message.as_string()
        for secret in ("Ellie", "Example", "Injury to a baby", "unsanitary"):
            assert secret not in text
        assert f"https://sdc.example.gov.uk/discussions/{sd.id}" in message.get_body(("plain",)).get_content()
    rows = db.session.execute(select(OutboundEmail)).scalars().all()
    assert {r.state for r in rows} == {SENT}


def test_a_new_time_sends_an_update_with_a_higher_sequence_and_cancelling_sends_cancel(
        app, agencies, make_user, smtp_server):
    app.config.update(smtp_server.config())
    chair = make_user(Role.MASH, "csc")
    child = make_child()
    sd = convene(chair, [child], [agencies["police"]])
    with transaction():
        services.update_details(sd, {"scheduled_at": sd.scheduled_at + timedelta(days=1)}, sd.version, actor=chair)
    with transaction():
        services.cancel_discussion(sd, "Held as part of another discussion", actor=chair)
    delivery.deliver(clock.now())
    police = [m for m in smtp_server.messages if m["To"] == "police@agency.example.org"]
    events = [_event(m) for m in police]
    assert [str(cal["method"]) for cal, _ in events] == ["REQUEST", "REQUEST", "CANCEL"]
    sequences = [int(ev["sequence"]) for _, ev in events]
    assert sequences[0] < sequences[1] <= sequences[2]
    assert len({str(ev["uid"]) for _, ev in events}) == 1
    assert events[1][1].decoded("dtstart") == sd.scheduled_at.replace(microsecond=0)
