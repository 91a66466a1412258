"""Delivery: pending outbox rows -> one email per recipient, by SMTP or GOV.UK Notify.

Emails hold counts and a link, never a child's name or case details: email is not a secure channel. A pass
claims rows by pushing `next_attempt_at` forward (a lease) and stamping its token, so two deliverers never
send the same row; a pass that dies mid-way leaves its rows to be tried again when the lease runs out. A failed
send is retried with back-off (rules.backoff) without holding up other recipients; a relay that cannot be
reached ends the pass at once, so its timeout is paid once, not once per person.

An outage is not the message's fault: attempts that never reached the relay do not count towards MAX_ATTEMPTS, and
a row is only given up when it has waited GIVE_UP_AFTER (72 hours), when administrators are told in the app. Each
email's Message-ID is recorded before it is sent: if the process dies after the relay accepted it but before it was
marked sent, the next pass sends it again with the same Message-ID, which mail systems treat as the same message.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import ssl
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from .. import clock, deadlines
from ..extensions import db
from . import rules
from .models import FAILED, PENDING, SENT, Notification, OutboundEmail
from .rules import BEFORE, DIGEST, DUE, ESCALATION, NOTICE
from .sweep import touch

log = logging.getLogger("safeguarding.reminders")

#: a message the relay took and then choked on (connection dropped mid-send) is given up after this many attempts
MAX_ATTEMPTS = 16
#: however long the relay is down, a row keeps being tried for this long before it fails for good
GIVE_UP_AFTER = timedelta(hours=72)
#: how long a pass may hold rows before another pass may take them
LEASE = timedelta(minutes=15)
BATCH = 500
#: other outboxes that the scheduler's delivery job also drains (the integration API's webhooks), each a function
#: (now) -> a line for the log; registered by their feature at start-up
OTHER_OUTBOXES: list = []


class PermanentError(Exception):
    """The message can never be delivered as it is (address refused, template rejected)."""


class RelayUnavailable(Exception):
    """The relay cannot be reached or refused the connection: try everyone again later.

    `reached` says whether the relay was connected when it failed (the attempt then counts against the message)."""

    def __init__(self, message: str, *, reached: bool = False):
        super().__init__(message)
        self.reached = reached


@dataclass
class Email:
    to: str
    subject: str
    body: str
    #: recorded on the rows before sending, so a repeat after a crash is recognisably the same message
    message_id: str = ""
    #: an iCalendar invitation sent as text/calendar with its METHOD, which calendar programs act on
    calendar: str | None = None
    calendar_method: str | None = None


class SmtpTransport:
    """One connection per pass, STARTTLS and AUTH when configured."""

    name = "smtp"

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        try:
            conn = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"])
            if cfg["SMTP_STARTTLS"]:
                context = ssl.create_default_context(cafile=cfg.get("SMTP_CA_FILE") or None)
                conn.starttls(context=context)
            if cfg["SMTP_USERNAME"]:
                conn.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        except (OSError, smtplib.SMTPException) as err:
            raise RelayUnavailable(f"SMTP {cfg['SMTP_HOST']}:{cfg['SMTP_PORT']}: {type(err).__name__}: {err}") from err
        return conn

    def send(self, email: Email) -> None:
        if self.connection is None:
            self.connection = self._connect()
        msg = EmailMessage()
        msg["From"] = self.config["MAIL_FROM"]
        msg["To"] = email.to
        msg["Subject"] = email.subject
        msg["Date"] = formatdate(localtime=False)
        if email.message_id:
            msg["Message-ID"] = email.message_id
        msg.set_content(email.body)
        if email.calendar:
            msg.add_attachment(email.calendar.encode("utf-8"), maintype="text", subtype="calendar",
                               params={"method": email.calendar_method or "REQUEST"}, filename="invitation.ics")
        try:
            self.connection.send_message(msg)
        except smtplib.SMTPRecipientsRefused as err:
            raise PermanentError(f"recipient refused: {err.recipients}") from err
        except (OSError, smtplib.SMTPServerDisconnected) as err:
            self.connection = None
            raise RelayUnavailable(f"SMTP connection lost: {err}", reached=True) from err

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


class NotifyTransport:
    """GOV.UK Notify: a template whose subject is ((subject)) and whose body is ((body))."""

    name = "notify"

    def __init__(self, config):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.template_id = config["NOTIFY_TEMPLATE_ID"]
        self.client = NotificationsAPIClient(config["NOTIFY_API_KEY"], base_url=config["NOTIFY_BASE_URL"],
                                             timeout=config["SMTP_TIMEOUT"])

    def send(self, email: Email) -> None:
        from notifications_python_client.errors import HTTPError
        from requests import RequestException

        try:
            self.client.send_email_notification(email.to, self.template_id,
                                                personalisation={"subject": email.subject, "body": email.body})
        except HTTPError as err:
            # a bad address or template, or a key Notify refuses: sending again won't help
            if err.status_code in (400, 403):
                raise PermanentError(f"Notify {err.status_code}: {err.message}") from err
            raise RelayUnavailable(f"Notify {err.status_code}: {err.message}", reached=True) from err
        except RequestException as err:
            raise RelayUnavailable(f"Notify unreachable: {type(err).__name__}") from err

    def close(self) -> None:
        pass


def transport_problem(config) -> str | None:
    """Why email cannot be sent with this configuration, or None when it can."""
    if config["MAIL_TRANSPORT"] == "notify":
        missing = [n for n in ("NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID") if not config.get(n)]
        return f"GOV.UK Notify is not configured ({', '.join(missing)} not set)" if missing else None
    if config["MAIL_TRANSPORT"] != "smtp":
        return f"MAIL_TRANSPORT must be smtp or notify, not {config['MAIL_TRANSPORT']!r}"
    return None if config["SMTP_HOST"] else "email is not configured (SMTP_HOST is not set)"


def make_transport(config):
    return NotifyTransport(config) if config["MAIL_TRANSPORT"] == "notify" else SmtpTransport(config)


def compose(to: str, rows: list[Notification], base_url: str, labels: dict[str, str]) -> Email:
    """Counts and a link only. Titles (which may name a child) stay in the app."""
    counts = Counter((r.level, r.kind) for r in rows if r.level != DIGEST)
    lines = []
    order = rules.LEVELS + (NOTICE,)
    for (level, kind), n in sorted(counts.items(), key=lambda item: (order.index(item[0][0]), item[0][1])):
        what = rules.counted(kind, n, labels.get(kind))
        if level == DUE:
            lines.append(f"{what} overdue")
        elif level == BEFORE:
            lines.append(f"{what} due soon")
        elif level == ESCALATION:
            lines.append(f"{what} overdue in your team, escalated to you")
        elif level == NOTICE:
            lines.append(f"{what} to read")
    digests = [r.title for r in rows if r.level == DIGEST]
    if lines:
        subject = f"You have {lines[0]}" if len(lines) == 1 else f"You have {sum(counts.values())} reminders"
    else:
        subject = "Your daily summary"
    body = []
    if lines:
        body.append("You have:\n" + "\n".join(f"* {line}" for line in lines))
    body.extend(digests[-1:])  # the latest summary is the one that counts
    body.append(f"Sign in to see them: {base_url.rstrip('/')}/notifications")
    body.append("This email has no case details because email is not a secure channel.\n"
                "Strategy Discussion Coordinator")
    return Email(to=to, subject=subject, body="\n\n".join(body) + "\n")


@dataclass
class DeliveryResult:
    sent: int = 0
    emails: int = 0
    retrying: int = 0
    failed: int = 0
    #: rows given up in this pass (administrators are told)
    failed_ids: list[int] = field(default_factory=list)
    pending: int = 0
    problem: str | None = None
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.problem:
            return f"Delivery: {self.problem}; {self.pending} notifications pending, shown in the app"
        return (f"Delivery: {self.emails} emails sent for {self.sent} notifications, {self.retrying} to retry, "
                f"{self.failed} failed, {self.pending} pending")


_told_not_configured = False


def pending_count() -> int:
    return db.session.execute(select(func.count()).select_from(Notification)
                              .where(Notification.email_state == PENDING)).scalar_one()


def deliver(now: datetime | None = None) -> DeliveryResult:
    """Send every pending notification whose attempt is due: one email per recipient."""
    global _told_not_configured
    now = clock.ensure_utc(now or clock.now())
    config = current_app.config
    result = DeliveryResult()
    result.problem = transport_problem(config)
    if result.problem:
        if not _told_not_configured:
            log.warning("reminders: %s; notifications stay pending and are shown in the app", result.problem)
            _told_not_configured = True
        result.pending = pending_count()
        touch(last_delivery_result=result.line()[:300])
        db.session.commit()
        return result
    _told_not_configured = False

    token = secrets.token_hex(8)
    due = (select(Notification.id).where(Notification.email_state == PENDING, Notification.next_attempt_at <= now)
           .order_by(Notification.next_attempt_at, Notification.id).limit(BATCH))
    ids = list(db.session.execute(due).scalars())
    if ids:
        # Re-checking the state and time in the UPDATE is what stops two passes taking the same row.
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.email_state == PENDING, Notification.next_attempt_at <= now)
            .values(claim_token=token, next_attempt_at=now + LEASE)
        )
    db.session.commit()
    claimed = db.session.execute(
        select(Notification).where(Notification.claim_token == token, Notification.email_state == PENDING)
        .options(joinedload(Notification.recipient)).order_by(Notification.recipient_id, Notification.id)
    ).scalars().all()
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for row in claimed:
        by_recipient[row.recipient_id].append(row)

    labels = deadlines.kinds()
    transport = make_transport(config) if by_recipient else None
    relay_down: str | None = None
    try:
        for recipient_id, rows in by_recipient.items():
            recipient = rows[0].recipient
            if relay_down:
                _retry(rows, now, relay_down, result, counts=False)  # not tried: the relay was already down
            elif not recipient.is_active_user:
                _fail(rows, "recipient's account is deactivated", result)
            else:
                email = compose(recipient.email, rows, config["BASE_URL"], labels)
                email.message_id = _record_message_id(rows, config)
                try:
                    transport.send(email)
                except PermanentError as err:
                    _fail(rows, str(err), result)
                except RelayUnavailable as err:
                    relay_down = str(err)
                    log.warning("reminders: %s; will try again with back-off", relay_down)
                    _retry(rows, now, relay_down, result, counts=err.reached)
                else:
                    sent_at = clock.now()
                    for row in rows:
                        row.email_state, row.sent_at, row.last_error = SENT, sent_at, None
                        row.attempts += 1
                    db.session.commit()  # first, before anything else: the crash window after the relay said yes
                    result.sent += len(rows)
                    result.emails += 1
                    log.info("reminders email sent recipient=%s notifications=%s", recipient_id,
                             ",".join(str(r.id) for r in rows))
            db.session.commit()  # each recipient's outcome is kept even if a later one crashes the pass
        if not relay_down:
            transport = transport or make_transport(config)
            relay_down = _deliver_outbound(now, token, transport, result, config)
    finally:
        if transport is not None:
            transport.close()
    result.pending = pending_count()
    fields = {"last_delivery_at": clock.now(), "last_delivery_result": result.line()[:300]}
    if relay_down:
        fields.update(last_error_at=clock.now(), last_error=f"deliver: {relay_down}"[:2000])
    if result.failed_ids:
        fields.update(last_error_at=clock.now(),
                      last_error=f"deliver: {len(result.failed_ids)} emails failed for good"[:2000])
        _tell_administrators(result.failed_ids, now)
    touch(**fields)
    db.session.commit()
    return result


def _deliver_outbound(now: datetime, token: str, transport, result: DeliveryResult, config) -> str | None:
    """Invitations and mailbox notices: each row is its own email. Returns why the relay is down, if it is."""
    ids = list(db.session.execute(
        select(OutboundEmail.id).where(OutboundEmail.state == PENDING, OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id).limit(BATCH)).scalars())
    if not ids:
        return None
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(ids), OutboundEmail.state == PENDING, OutboundEmail.next_attempt_at <= now)
        .values(claim_token=token, next_attempt_at=now + LEASE))
    db.session.commit()
    claimed = db.session.execute(
        select(OutboundEmail).where(OutboundEmail.claim_token == token, OutboundEmail.state == PENDING)
        .order_by(OutboundEmail.id)).scalars().all()
    domain = (config.get("MAIL_FROM") or "localhost").rpartition("@")[2] or "localhost"
    for row in claimed:
        if row.message_id is None:
            row.message_id = f"<outbox.{row.id}.{secrets.token_hex(6)}@{domain}>"
            db.session.commit()
        email = Email(to=row.to_address, subject=row.subject, body=row.body, message_id=row.message_id,
                      calendar=row.calendar, calendar_method=row.calendar_method)
        try:
            transport.send(email)
        except PermanentError as err:
            row.state, row.last_error, row.claim_token = FAILED, str(err)[:2000], None
            row.attempts += 1
            _forget_credential(row)
            result.failed += 1
        except RelayUnavailable as err:
            for waiting in claimed[claimed.index(row):]:
                waiting.claim_token, waiting.last_error = None, str(err)[:2000]
                waited = now - clock.ensure_utc(waiting.created_at)
                if waited >= GIVE_UP_AFTER:
                    waiting.state = FAILED
                    result.failed += 1
                else:
                    waiting.next_attempt_at = now + min(max(waited / 2, timedelta(minutes=1)), timedelta(hours=1))
                    result.retrying += 1
            db.session.commit()
            log.warning("reminders: %s; outbox emails will be tried again", err)
            return str(err)
        else:
            row.state, row.sent_at, row.last_error, row.claim_token = SENT, clock.now(), None, None
            row.attempts += 1
            _forget_credential(row)
            db.session.commit()
            result.emails += 1
            log.info("outbox email sent id=%s purpose=%s", row.id, row.purpose)
        db.session.commit()
    return None


#: emails that carry a credential (a set-password link works once, for hours, for whoever holds it)
CREDENTIAL_PURPOSES = frozenset({"set_password"})
CREDENTIAL_FORGOTTEN = ("[This email held a link to choose a password. The link was removed from this copy once the "
                        "email was sent, or failed for good: it is a credential, and only the person should have it.]")


def _forget_credential(row) -> None:
    """Keep who was sent what and when, not the link itself: whoever can read the outbox (a database reader, a
    backup) could otherwise use a link that still works."""
    if row.purpose in CREDENTIAL_PURPOSES:
        row.body = CREDENTIAL_FORGOTTEN


def _record_message_id(rows: list[Notification], config) -> str:
    """The Message-ID of this email, written (and committed) before it is sent. The same rows keep the same id, so
    a pass that repeats an email the relay took before a crash sends the same message, not a new one."""
    ids = {row.message_id for row in rows}
    if len(ids) == 1 and None not in ids:
        return ids.pop()
    digest = hashlib.sha256(",".join(str(row.id) for row in rows).encode()).hexdigest()[:24]
    domain = (config.get("MAIL_FROM") or "localhost").rpartition("@")[2] or "localhost"
    message_id = f"<reminders.{digest}@{domain}>"
    for row in rows:
        row.message_id = message_id
    db.session.commit()
    return message_id


def _retry(rows: list[Notification], now: datetime, error: str, result: DeliveryResult, *, counts: bool) -> None:
    """Try again later. Only an attempt that reached the relay counts against the message; any row that has waited
    GIVE_UP_AFTER is given up, however it failed."""
    for row in rows:
        row.last_error = error[:2000]
        row.claim_token = None
        if counts:
            row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS or now - clock.ensure_utc(row.created_at) >= GIVE_UP_AFTER:
            row.email_state = FAILED
            result.failed += 1
            result.failed_ids.append(row.id)
        else:
            waited = now - clock.ensure_utc(row.created_at)
            # an outage backs off with the time already waited (at most an hour), not with attempts it never made
            pause = rules.backoff(row.attempts) if counts else min(max(waited / 2, timedelta(minutes=1)),
                                                                  timedelta(hours=1))
            row.next_attempt_at = now + pause
            result.retrying += 1


def _fail(rows: list[Notification], error: str, result: DeliveryResult) -> None:
    for row in rows:
        row.attempts += 1
        row.email_state, row.last_error, row.claim_token = FAILED, error[:2000], None
        result.failed += 1
        result.failed_ids.append(row.id)
    log.warning("reminders email failed for good recipient=%s: %s", rows[0].recipient_id, error)


def _tell_administrators(failed_ids: list[int], now: datetime) -> None:
    """Emails given up are shown to every administrator in the app (not by email: email is what failed)."""
    from ..auth.models import Role, User
    from .services import notify

    admins = db.session.execute(select(User.id).where(User.role == Role.ADMIN.value,
                                                      User.is_active_user.is_(True))).scalars().all()
    if not admins:
        log.error("reminders: %d emails failed for good and there is no administrator to tell", len(failed_ids))
        return
    notify(admins, kind="email_failed", object_type="delivery", object_id=min(failed_ids),
           title=f"{len(failed_ids)} reminder emails could not be delivered; see Operations", url="/admin/reminders")
    log.error("reminders: %d emails failed for good; administrators told in the app", len(failed_ids))
