"""Events in other features that become notices in the outbox. Reminders depends on features, never the reverse:
a feature offers a hook list; this module subscribes to it."""
from __future__ import annotations

import logging

from ..extensions import db
from . import services

log = logging.getLogger("safeguarding.reminders")


def minutes_circulated(circulation) -> None:
    """Everyone named on the discussion (invited users and the chair) is told the agreed minutes are ready.

    Runs inside the circulation's unit of work and only flushes: the notices are committed with the circulation
    or not at all (a second transaction after it could be lost to a crash in between)."""
    sd = circulation.discussion
    people = [inv.user_id for inv in sd.invitations if inv.user_id and inv.status != "not_invited"]
    if sd.chair_id:
        people.append(sd.chair_id)
    recipients = [p for p in people if p != circulation.circulated_by_id]
    created = services.notify(
        recipients, kind="minutes_circulated", object_type="minutes_circulation", object_id=circulation.id,
        title=f"Agreed minutes circulated (version {circulation.version.number}) for a strategy discussion "
              "you were part of", url=f"/discussions/{sd.id}#minutes")
    db.session.flush()
    log.info("minutes circulation notices discussion=%s created=%d", sd.id, created)


def _invitees(sd) -> list[tuple[str, int | None, int | None]]:
    """(address, person, agency) for everyone asked to the discussion: the named person where there is one,
    otherwise the agency's shared mailbox; and the chair."""
    found: dict[str, tuple[str, int | None, int | None]] = {}
    for inv in sd.invitations:
        if inv.status == "not_invited":
            continue
        if inv.user is not None and inv.user.is_active_user:
            found.setdefault(inv.user.email.lower(), (inv.user.email, inv.user.id, None))
        elif inv.agency is not None and inv.agency.shared_mailbox:
            found.setdefault(inv.agency.shared_mailbox.lower(), (inv.agency.shared_mailbox, None, inv.agency.id))
    if sd.chair is not None:
        found.setdefault(sd.chair.email.lower(), (sd.chair.email, sd.chair.id, None))
    return list(found.values())


def discussion_scheduled(sd, method: str = "REQUEST") -> int:
    """A calendar invitation (or its update or cancellation) to each invitee, in the caller's transaction.

    SEQUENCE is the discussion's version, which only ever rises, so each change replaces the entry in calendars."""
    from flask import current_app

    from .. import clock
    from ..discussions import calendar
    from ..discussions.models import MODES
    from . import outbox

    if sd.scheduled_at is None:
        return 0
    base = current_app.config["BASE_URL"].rstrip("/")
    mail_from = current_app.config["MAIL_FROM"]
    domain = mail_from.rpartition("@")[2] or "localhost"
    meeting = calendar.Meeting(
        uid=calendar.uid_for(sd.id, domain), sequence=sd.version or 0, starts_at=sd.scheduled_at,
        ends_at=sd.ended_at, how=MODES.get(sd.mode, "Strategy discussion"), url=f"{base}/discussions/{sd.id}",
        organizer_name=sd.chair.name if sd.chair else "MASH", organizer_email=sd.chair.email if sd.chair else mail_from)
    people = _invitees(sd)
    ics = calendar.invitation(meeting, [address for address, _, _ in people], method, now=clock.now())
    when = clock.to_london(sd.scheduled_at).strftime("%A %-d %B %Y at %H:%M")
    cancelled = method == calendar.CANCEL
    subject = "Cancelled: strategy discussion" if cancelled else "Invitation: strategy discussion"
    body = (f"The strategy discussion on {when} (London time) has been cancelled.\n" if cancelled else
            f"You are invited to a strategy discussion on {when} (London time), by {meeting.how.lower()}.\n")
    body += (f"\nDetails, for those who may see them: {meeting.url}\n\n"
             "This email has no case details because email is not a secure channel.\nStrategy Discussion Coordinator\n")
    created = 0
    for address, person_id, agency_id in people:
        created += outbox.enqueue(
            key=f"{'cancel' if cancelled else 'invitation'}:{sd.id}:{meeting.sequence}:{address.lower()}",
            purpose="cancellation" if cancelled else "invitation", object_type="strategy_discussion",
            object_id=sd.id, to_address=address, recipient_id=person_id, agency_id=agency_id, subject=subject,
            body=body, calendar=ics, calendar_method=method)
    log.info("discussion invitations discussion=%s method=%s sequence=%s created=%d", sd.id, method,
             meeting.sequence, created)
    return created


def connect() -> None:
    from ..discussions import services as discussions

    if minutes_circulated not in discussions.MINUTES_CIRCULATED_HOOKS:
        discussions.MINUTES_CIRCULATED_HOOKS.append(minutes_circulated)
