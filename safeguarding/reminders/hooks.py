"""Events in other features that become notices in the outbox. Reminders depends on features, never the reverse:
a feature offers a hook list; this module subscribes to it."""
from __future__ import annotations

import logging

from ..extensions import db
from . import services

log = logging.getLogger("safeguarding.reminders")


def minutes_circulated(circulation) -> None:
    """Everyone named on the discussion (invited users, action owners and the chair) is told in the app and by a
    case-free email that the agreed minutes are ready; every invited agency's shared mailbox gets the same email,
    so an agency whose representative has no account here (or has left) still hears.

    Runs inside the circulation's unit of work and only flushes: the notices are committed with the circulation
    or not at all (a second transaction after it could be lost to a crash in between)."""
    sd = circulation.discussion
    from flask import current_app

    from . import outbox

    people = [inv.user_id for inv in sd.invitations if inv.user_id and inv.status != "not_invited"]
    people += [action.owner_id for action in sd.actions if action.owner_id and action.status == "open"]
    if sd.chair_id:
        people.append(sd.chair_id)
    recipients = [p for p in people if p != circulation.circulated_by_id]
    number = circulation.version.number
    created = services.notify(
        recipients, kind="minutes_circulated", object_type="minutes_circulation", object_id=circulation.id,
        title=f"Agreed minutes circulated (version {number}) for a strategy discussion "
              "you were part of", url=f"/discussions/{sd.id}#minutes")
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/discussions/{sd.id}#minutes"
    mailboxes = 0
    for inv in sd.invitations:
        mailbox = inv.agency.shared_mailbox if inv.agency is not None else None
        if inv.status == "not_invited" or not mailbox:
            continue
        mailboxes += outbox.enqueue(
            key=f"minutes:{circulation.id}:{mailbox.lower()}", purpose="minutes_circulated",
            object_type="minutes_circulation", object_id=circulation.id, to_address=mailbox, agency_id=inv.agency_id,
            subject="Agreed minutes of a strategy discussion are ready",
            body=(f"The agreed minutes (version {number}) of a strategy discussion your agency was invited to are "
                  f"ready.\n\nSign in to read them: {link}\n\nThis email has no case details because email is not "
                  "a secure channel.\nStrategy Discussion Coordinator\n"))
    db.session.flush()
    log.info("minutes circulation notices discussion=%s people=%d mailboxes=%d", sd.id, created, mailboxes)


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


def action_assigned(action, actor) -> int:
    """The new owner of an agreed action is told: in the app, and by a case-free email (unless they gave it
    to themselves)."""
    if action.owner_id is None or action.owner_id == getattr(actor, "id", None):
        return 0
    created = services.notify(
        [action.owner_id], kind="action_assigned", object_type="agreed_action", object_id=action.id,
        title=f"You own an agreed action from a strategy discussion: {action.description[:200]}",
        url=f"/discussions/actions/{action.id}")
    log.info("action owner notice action=%s owner=%s created=%d", action.id, action.owner_id, created)
    return created


def child_anonymised(child_id: int, old_name: str, new_name: str) -> None:
    """Notice titles and queued emails that named the child (a conference due for them, a difference about them)
    name them no more once retention has anonymised the child."""
    from sqlalchemy import func, update

    from .models import Notification, OutboundEmail

    changed = db.session.execute(
        update(Notification).where(Notification.title.contains(old_name, autoescape=True))
        .values(title=func.substr(func.replace(Notification.title, old_name, new_name), 1, 300))
        .execution_options(synchronize_session=False)).rowcount
    for column in (OutboundEmail.subject, OutboundEmail.body, OutboundEmail.calendar):
        replaced = func.replace(column, old_name, new_name)
        if column.key == "subject":  # the new name may be longer than the old; the column is not
            replaced = func.substr(replaced, 1, 200)
        changed += db.session.execute(
            update(OutboundEmail).where(column.contains(old_name, autoescape=True))
            .values({column.key: replaced})
            .execution_options(synchronize_session=False)).rowcount
    log.info("retention: %d notices and emails no longer name child=%s", changed, child_id)


def set_password_link(user, link: str, hours: int) -> None:
    """The link to choose a password, to the person alone (it is a credential: never to a shared mailbox)."""
    from .. import clock
    from . import outbox

    outbox.enqueue(
        key=f"set-password:{user.id}:{clock.now().isoformat()}", purpose="set_password", object_type="user",
        object_id=user.id, to_address=user.email, recipient_id=user.id,
        subject="Choose your password for the Strategy Discussion Coordinator",
        body=(f"Hello {user.name},\n\nChoose your password for the Strategy Discussion Coordinator here. The link "
              f"works once, for {hours} hours:\n\n{link}\n\nThen sign in with your email address and that "
              "password. The first time, you will also set up sign-in codes with an authenticator app on your "
              "phone.\n\nIf you did not expect this email, do not use the link: tell your administrator.\n"))


def role_change_requested(request) -> None:
    """Every other active administrator hears that a change of role, of email address or of sign-in codes waits for
    a second one (the requester and the person it is about cannot decide it, so they are not asked)."""
    from ..auth.models import Role, User

    deciders = db.session.execute(db.select(User.id).where(
        User.role == Role.ADMIN.value, User.is_active_user.is_(True),
        User.id.not_in([request.requested_by_id, request.user_id]))).scalars().all()
    services.notify(deciders, kind="role_request", object_type="role_request", object_id=request.id,
                    title=f"A {request.what} needs a second administrator's approval", url="/admin/role-requests")


def connect() -> None:
    from ..auth import role_requests, set_password
    from ..discussions import services as discussions
    from ..retention import services as retention

    for hooks, subscriber in ((discussions.MINUTES_CIRCULATED_HOOKS, minutes_circulated),
                              (discussions.SCHEDULE_HOOKS, discussion_scheduled),
                              (discussions.ACTION_ASSIGNED_HOOKS, action_assigned),
                              (retention.ANONYMISED_HOOKS, child_anonymised),
                              (set_password.LINK_HOOKS, set_password_link),
                              (role_requests.REQUESTED_HOOKS, role_change_requested)):
        if subscriber not in hooks:
            hooks.append(subscriber)
