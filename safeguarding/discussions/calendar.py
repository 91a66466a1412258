"""Calendar invitations for a strategy discussion: pure iCalendar (RFC 5545 / iTIP), no Flask or database.

An invitation says when and how, and links to the discussion; it never names a child or says why the discussion
is held, because calendars are shared, synced to phones and read by assistants. One discussion keeps one UID for
life; every change of time raises SEQUENCE, so calendars replace the old entry instead of adding a second; a
cancellation is METHOD:CANCEL with the same UID.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from icalendar import Calendar, Event, vCalAddress, vText

from ..clock import LONDON
REQUEST, CANCEL = "REQUEST", "CANCEL"
#: when no end is recorded, the invitation blocks an hour (most strategy discussions take less)
DEFAULT_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class Meeting:
    uid: str
    sequence: int
    starts_at: datetime  # aware
    ends_at: datetime | None
    how: str  # "Phone", "Video call", "Face to face"
    url: str
    organizer_name: str
    organizer_email: str


def uid_for(discussion_id: int, domain: str) -> str:
    """Stable for the life of the discussion, unique across partnerships using different domains."""
    return f"strategy-discussion-{discussion_id}@{domain}"


def invitation(meeting: Meeting, attendee_emails: list[str], method: str = REQUEST, *, now: datetime) -> bytes:
    if meeting.starts_at.tzinfo is None:
        raise ValueError("an aware start time is required")
    cal = Calendar()
    cal.add("prodid", "-//Strategy Discussion Coordinator//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    start = meeting.starts_at.astimezone(LONDON)
    event.add("dtstart", start)
    event.add("dtend", (meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH).astimezone(LONDON))
    event.add("summary", "Strategy discussion" if method == REQUEST else "Cancelled: strategy discussion")
    event.add("description", f"{meeting.how}. Details for those who may see them: {meeting.url}\n"
                             "No case details are in this invitation.")
    event.add("url", meeting.url)
    event.add("status", "CONFIRMED" if method == REQUEST else "CANCELLED")
    event.add("class", "CONFIDENTIAL")
    organizer = vCalAddress(f"mailto:{meeting.organizer_email}")
    organizer.params["cn"] = vText(meeting.organizer_name)
    event["organizer"] = organizer
    for email in attendee_emails:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    cal.add_missing_timezones()  # the Europe/London VTIMEZONE, so BST and GMT are both right
    return cal.to_ical()
