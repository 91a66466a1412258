"""Delivery through a real SMTP server (aiosmtpd on 127.0.0.1) and a real HTTP stand-in for GOV.UK Notify."""
from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import func, select

from safeguarding.extensions import db
from safeguarding.reminders import delivery
from safeguarding.reminders.models import FAILED, PENDING, SENT, Notification, SchedulerHeartbeat
from safeguarding.reminders.rules import backoff
from safeguarding.reminders.sweep import sweep

from .reminder_provider import london
from .smtp_server import Authenticator, SmtpServer, free_port, self_signed_cert

NOW = london(2026, 12, 1, 17, 0)  # Tuesday


def states() -> list[str]:
    return [n.email_state for n in db.session.execute(select(Notification).order_by(Notification.id)).scalars()]


@pytest.fixture
def overdue(chase, team):
    """Two overdue actions (one two working days overdue) about a named child."""
    owner, manager = team
    chase.add_task("Visit Ellie Example at home", london(2026, 11, 27, 17, 0), owner, child_name="Ellie Example")
    chase.add_task("Share Ellie's school report", london(2026, 11, 30, 12, 0), owner, child_name="Ellie Example")
    sweep(NOW)
    return owner, manager


def test_one_email_per_recipient_with_counts_and_a_link_and_no_child_data(app, overdue, smtp_server):
    owner, manager = overdue
    app.config.update(smtp_server.config(), BASE_URL="https://sdc.example.gov.uk")
    result = delivery.deliver(NOW)
    assert (result.emails, result.sent, result.pending) == (2, 3, 0)
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert set(by_to) == {owner.email, manager.email}
    assert by_to[owner.email]["Subject"] == "You have 2 agreed actions overdue"
    assert by_to[owner.email]["From"] == "reminders@test.example"
    assert by_to[manager.email]["Subject"] == "You have 1 agreed action overdue in your team, escalated to you"
    for message in smtp_server.messages:
        body = message.get_body(("plain",)).get_content()
        assert "https://sdc.example.gov.uk/notifications" in body
        for secret in ("Ellie", "Example", "school report", "Visit", owner.name):
            assert secret not in body and secret not in message["Subject"]
    assert states() == [SENT, SENT, SENT]
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.last_delivery_at is not None and "2 emails sent for 3 notifications" in beat.last_delivery_result
    assert delivery.deliver(NOW + timedelta(minutes=1)).emails == 0
    assert len(smtp_server.messages) == 2


def test_without_smtp_configured_rows_stay_pending_in_the_app_and_the_log_says_so(app, overdue, caplog):
    app.config.update(SMTP_HOST="")
    delivery._told_not_configured = False
    with caplog.at_level(logging.WARNING, logger="safeguarding.reminders"):
        result = delivery.deliver(NOW)
    assert result.problem == "email is not configured (SMTP_HOST is not set)"
    assert result.line() == ("Delivery: email is not configured (SMTP_HOST is not set); 3 notifications pending, "
                             "shown in the app")
    assert "email is not configured" in caplog.text
    assert states() == [PENDING] * 3


def test_smtp_down_keeps_rows_pending_with_back_off_then_delivers_when_it_is_back(app, overdue):
    port = free_port()
    server = SmtpServer(port)
    app.config.update(server.config())
    result = delivery.deliver(NOW)
    assert (result.sent, result.retrying) == (0, 3)
    rows = db.session.execute(select(Notification)).scalars().all()
    assert {(r.email_state, r.attempts) for r in rows} == {(PENDING, 0)}  # the outage is not the message's fault
    assert {r.next_attempt_at for r in rows} == {NOW + backoff(1)}
    assert "ConnectionRefusedError" in rows[0].last_error
    assert "deliver: SMTP 127.0.0.1" in db.session.get(SchedulerHeartbeat, 1).last_error

    server.start()
    try:
        assert delivery.deliver(NOW + timedelta(seconds=30)).emails == 0  # still backing off
        assert delivery.deliver(NOW + backoff(1)).emails == 2
        assert len(server.messages) == 2
        assert states() == [SENT] * 3
    finally:
        server.stop()


def test_starttls_and_login_to_a_relay_with_its_own_certificate_authority(app, overdue, tmp_path):
    cert, key = self_signed_cert(tmp_path)
    import ssl

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    auth = Authenticator("reminders", "relay-secret-1")
    server = SmtpServer(tls_context=tls, require_starttls=True, authenticator=auth, auth_require_tls=True).start()
    try:
        app.config.update(server.config(), SMTP_STARTTLS=True, SMTP_CA_FILE=cert, SMTP_USERNAME="reminders",
                          SMTP_PASSWORD="wrong-password")
        result = delivery.deliver(NOW)
        assert result.retrying == 3 and not server.messages  # a bad password is a fault to fix, not a lost email
        app.config.update(SMTP_PASSWORD="relay-secret-1")
        assert delivery.deliver(NOW + timedelta(hours=1)).emails == 2
        assert len(server.messages) == 2
    finally:
        server.stop()


class RefusingCapture:
    """Refuses one address, as a relay does for a mailbox that does not exist."""

    def __init__(self, capture, refused: str):
        self.capture, self.refused = capture, refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, *args):
        return await self.capture.handle_DATA(*args)


def test_a_refused_address_fails_for_good_without_holding_up_the_others(app, overdue):
    owner, manager = overdue
    server = SmtpServer()
    server_handler = RefusingCapture(server.capture, owner.email)
    from aiosmtpd.controller import Controller

    controller = Controller(server_handler, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        app.config.update(server.config())
        result = delivery.deliver(NOW)
        assert (result.emails, result.failed) == (1, 2)
        assert [m["To"] for m in server.messages] == [manager.email]
        failed = db.session.execute(select(Notification).where(Notification.email_state == FAILED)).scalars().all()
        assert {n.recipient_id for n in failed} == {owner.id}
        assert "recipient refused" in failed[0].last_error
    finally:
        controller.stop()


def test_a_crash_after_the_outbox_write_sends_each_reminder_exactly_once(app, overdue, smtp_server, monkeypatch):
    app.config.update(smtp_server.config())

    def crash(*args, **kwargs):
        raise SystemExit("killed between claiming rows and sending")

    with monkeypatch.context() as m:
        m.setattr(delivery, "compose", crash)
        with pytest.raises(SystemExit):
            delivery.deliver(NOW)
    db.session.rollback()
    assert smtp_server.messages == []
    assert sweep(NOW + timedelta(minutes=5)).created == 0  # the next sweep adds nothing
    assert delivery.deliver(NOW + timedelta(minutes=5)).emails == 0  # the dead pass's lease still holds
    assert delivery.deliver(NOW + delivery.LEASE).emails == 2
    assert delivery.deliver(NOW + delivery.LEASE * 3).emails == 0
    assert sorted(m["To"] for m in smtp_server.messages) == sorted({m["To"] for m in smtp_server.messages})
    assert len(smtp_server.messages) == 2


def _until_due(at):
    """The next instant any pending row may be tried."""
    return db.session.execute(select(func.min(Notification.next_attempt_at))
                              .where(Notification.email_state == PENDING)).scalar_one()


def test_a_relay_down_for_a_day_loses_nothing_and_each_message_arrives_once(app, overdue):
    server = SmtpServer(free_port())
    app.config.update(server.config())
    at, passes = NOW, 0
    while at < NOW + timedelta(hours=24):
        result = delivery.deliver(at)
        assert result.failed == 0 and result.sent == 0
        passes += 1
        at = max(_until_due(at), at + timedelta(minutes=5))  # the scheduler runs about every minute or five
    assert states() == [PENDING] * 3
    assert passes <= 24 * 12 + 1
    rows = db.session.execute(select(Notification)).scalars().all()
    # backing off with the time waited: at most an hour apart by now, never once a minute all day
    assert all(r.next_attempt_at - at <= timedelta(hours=1) for r in rows)

    server.start()
    try:
        back_at = _until_due(at)
        assert delivery.deliver(back_at).emails == 2
        assert delivery.deliver(back_at + timedelta(hours=2)).emails == 0
        assert states() == [SENT] * 3
        assert len(server.messages) == 2
    finally:
        server.stop()


def test_after_72_hours_of_outage_rows_fail_loudly_to_administrators(app, overdue, make_user):
    admin = make_user("admin", "csc")
    server = SmtpServer(free_port())
    app.config.update(server.config())
    at = NOW
    while True:
        result = delivery.deliver(at)
        if result.failed:
            break
        assert at < NOW + delivery.GIVE_UP_AFTER + timedelta(hours=1)
        at = _until_due(at)
    assert at >= NOW + delivery.GIVE_UP_AFTER  # never before 72 hours
    assert states()[:3] == [FAILED] * 3
    notice = db.session.execute(select(Notification).where(Notification.recipient_id == admin.id)).scalar_one()
    assert notice.title == "3 reminder emails could not be delivered; see Operations"
    assert notice.url == "/admin/reminders"
    assert "3 emails failed for good" in db.session.get(SchedulerHeartbeat, 1).last_error


def test_a_crash_after_the_relay_accepted_repeats_the_same_message_not_a_new_one(app, overdue, smtp_server,
                                                                                 monkeypatch):
    app.config.update(smtp_server.config())
    real_send = delivery.SmtpTransport.send

    def accepted_then_killed(self, email):
        real_send(self, email)
        raise SystemExit("killed after the relay accepted the message, before it was marked sent")

    with monkeypatch.context() as m:
        m.setattr(delivery.SmtpTransport, "send", accepted_then_killed)
        with pytest.raises(SystemExit):
            delivery.deliver(NOW)
    db.session.rollback()
    assert len(smtp_server.messages) == 1
    assert delivery.deliver(NOW + delivery.LEASE).emails == 2
    assert delivery.deliver(NOW + delivery.LEASE * 3).emails == 0
    assert len(smtp_server.messages) == 3  # one repeat on the wire...
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 2  # ...carrying the same Message-ID: one message
    assert states() == [SENT] * 3


class NotifyStandIn(BaseHTTPRequestHandler):
    """Answers like GOV.UK Notify's POST /v2/notifications/email, keeping what it was sent."""

    received: list = []
    status = 201

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, "auth": self.headers["Authorization"], "json": body})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if self.status == 201:
            self.wfile.write(json.dumps({"id": "1", "content": {}, "template": {}}).encode())
        else:
            self.wfile.write(json.dumps({"status_code": self.status, "errors": [
                {"error": "BadRequestError", "message": "Not a valid email address"}]}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def notify_server():
    NotifyStandIn.received = []
    NotifyStandIn.status = 201
    server = HTTPServer(("127.0.0.1", 0), NotifyStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)


NOTIFY_KEY = "test_key-" + "11111111-2222-3333-4444-555555555555" + "-" + "66666666-7777-8888-9999-000000000000"


def test_gov_uk_notify_transport_sends_subject_and_body_as_personalisation(app, overdue, notify_server):
    owner, manager = overdue
    app.config.update(MAIL_TRANSPORT="notify", NOTIFY_API_KEY=NOTIFY_KEY, NOTIFY_TEMPLATE_ID="template-1",
                      NOTIFY_BASE_URL=f"http://127.0.0.1:{notify_server.server_port}")
    assert delivery.deliver(NOW).emails == 2
    sent = {r["json"]["email_address"]: r for r in NotifyStandIn.received}
    assert set(sent) == {owner.email, manager.email}
    request = sent[owner.email]
    assert request["path"] == "/v2/notifications/email" and request["auth"].startswith("Bearer ")
    assert request["json"]["template_id"] == "template-1"
    assert request["json"]["personalisation"]["subject"] == "You have 2 agreed actions overdue"
    assert "Ellie" not in json.dumps(request["json"])


def test_notify_refusing_an_address_fails_the_rows_and_missing_settings_keep_them_pending(app, overdue, notify_server):
    app.config.update(MAIL_TRANSPORT="notify", NOTIFY_API_KEY="", NOTIFY_TEMPLATE_ID="template-1",
                      NOTIFY_BASE_URL=f"http://127.0.0.1:{notify_server.server_port}")
    assert delivery.deliver(NOW).problem == "GOV.UK Notify is not configured (NOTIFY_API_KEY not set)"
    app.config.update(NOTIFY_API_KEY=NOTIFY_KEY)
    NotifyStandIn.status = 400
    result = delivery.deliver(NOW)
    assert result.failed == 3 and states() == [FAILED] * 3


def test_a_set_password_link_leaves_the_outbox_once_sent(app, make_user, smtp_server):
    """The person gets the link; the copy kept in the outbox says what was sent, not the link (a credential)."""
    import re

    from safeguarding.auth import set_password
    from safeguarding.auth.models import Role
    from safeguarding.reminders.models import OutboundEmail
    from safeguarding.service import transaction

    from .pages import PageClient

    app.config.update(smtp_server.config(), BASE_URL="https://sdc.example.gov.uk")
    person = make_user(Role.PRACTITIONER, "csc", name="Pat Newcomer")
    admin = make_user(Role.ADMIN, "csc", name="An Administrator")
    with transaction():
        set_password.send_link(person, actor=admin)
    stored = db.session.execute(select(OutboundEmail).where(OutboundEmail.purpose == "set_password")).scalar_one()
    assert "/set-password/" in stored.body  # waiting to go: the relay needs it
    delivery.deliver()
    [message] = smtp_server.messages
    link = re.search(r"https://sdc\.example\.gov\.uk(/set-password/\S+)", message.get_body(("plain",)).get_content())
    db.session.expire_all()
    stored = db.session.get(OutboundEmail, stored.id)
    assert stored.state == SENT and "/set-password/" not in stored.body
    assert stored.body == delivery.CREDENTIAL_FORGOTTEN and stored.to_address == person.email
    # and the link the person was sent still works
    assert "Choose your password" in PageClient(app.test_client()).get(link.group(1))
