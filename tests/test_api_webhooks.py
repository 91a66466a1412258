"""Webhooks: events written with the change, signed, delivered with back-off through a receiver that was down for a
while, each received exactly once; ids and kinds only; a delivery log with "send again" for administrators."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from safeguarding.api import webhooks
from safeguarding.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from safeguarding.auth.models import Role
from safeguarding.clock import now
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db
from safeguarding.service import transaction

from .api_data import Api, make_client
from .discussion_data import convene, make_child


class Receiver:
    """A subscriber's endpoint on a loopback port: answers 503 while `down`, otherwise checks the signature and
    keeps each event once (by its id), as a careful receiver would."""

    def __init__(self):
        self.down = False
        self.secret = ""
        self.posts: list[dict] = []
        self.stored: dict[str, dict] = {}
        #: event id -> how many times it was accepted (answered 2xx)
        self.accepted: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append({"headers": dict(self.headers), "body": body})
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                stamp = self.headers["X-SDC-Timestamp"]
                expected = "sha256=" + hmac.new(receiver.secret.encode(), stamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                if not hmac.compare_digest(expected, self.headers["X-SDC-Signature"]):
                    self.send_response(401)
                    self.end_headers()
                    return
                event = json.loads(body)
                assert event["id"] == self.headers["X-SDC-Event-Id"]
                receiver.stored.setdefault(event["id"], event)
                receiver.accepted[event["id"]] = receiver.accepted.get(event["id"], 0) + 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_events_reach_a_receiver_that_was_down_for_a_while_exactly_once_and_signed(app, agencies, make_user,
                                                                                    signed_in, receiver):
    admin_page, admin = signed_in(Role.ADMIN, "csc")
    client, token = make_client(admin, agencies["police"])
    shown = admin_page.post_form(f"/admin/api-clients/{client.id}/webhooks",
                                 {"url": receiver.url, "kinds": list(webhooks.EVENT_KINDS)}, expected=200,
                                 form_url=f"/admin/api-clients/{client.id}")
    receiver.secret = shown.html.split('id="webhook-secret">')[1].split("<")[0]
    assert db.session.execute(select(WebhookSubscription)).scalar_one().secret == receiver.secret

    chair = make_user(Role.MASH, "csc")
    officer = make_user(Role.PRACTITIONER, "police")
    child = make_child(agency=agencies["police"])
    sd = convene(chair, [child], [agencies["csc"], agencies["police"]])
    not_for_police = convene(chair, [make_child("Other", agency=agencies["health"])], [agencies["health"]])
    with transaction():
        done = discussions.add_action(sd, {"description": "Check police systems", "owner_id": officer.id,
                                           "child_id": child.id, "due_at": now() + timedelta(days=1)}, actor=chair)
        late = discussions.add_action(sd, {"description": "Visit the school", "owner_id": officer.id,
                                           "child_id": child.id, "due_at": now() + timedelta(hours=1)}, actor=chair)
    with transaction():
        discussions.complete_action(done, "Checked: nothing held", actor=officer, expected_version=done.version)
    niche = Api(app.test_client(), token)
    episode = niche.post("/missing-episodes", {"child_id": child.id, "reported_missing_at": "2026-11-30T20:00:00Z",
                                               "missing_from": "home", "risk_level": "high"}).json
    assert niche.post(f"/missing-episodes/{episode['id']}/found",
                      {"miss_mis_epi_end": "2026-11-30T23:00:00Z", "found_where": "Bus station",
                       "returned_by": "PC Jones"}).status_code == 200
    # written in the same transactions as the changes themselves
    kinds = {(e.kind, e.object_type, e.object_id) for e in db.session.execute(select(WebhookEvent)).scalars()}
    assert kinds == {("discussion_convened", "strategy_discussion", sd.id),
                     ("discussion_convened", "strategy_discussion", not_for_police.id),
                     ("action_done", "agreed_action", done.id), ("return_recorded", "missing_episode", episode["id"])}

    start = now() + timedelta(hours=2)  # the second action is overdue by then
    receiver.down = True
    webhooks.deliver(start)
    tried = len(receiver.posts)
    assert tried == 4 and not receiver.stored
    webhooks.deliver(start + timedelta(seconds=30))  # backing off: nothing is due yet
    assert len(receiver.posts) == tried
    webhooks.deliver(start + timedelta(minutes=2))
    assert len(receiver.posts) > tried and not receiver.stored
    receiver.down = False
    webhooks.deliver(start + timedelta(minutes=10))
    webhooks.deliver(start + timedelta(hours=1))
    webhooks.deliver(start + timedelta(hours=2))

    assert {(e["kind"], e["object_id"]) for e in receiver.stored.values()} == {
        ("discussion_convened", sd.id), ("action_done", done.id), ("action_overdue", late.id),
        ("return_recorded", episode["id"])}
    # each event was accepted once after the receiver came back: nothing it had taken came again
    assert list(receiver.accepted.values()) == [1, 1, 1, 1]
    for event in receiver.stored.values():
        assert set(event) == {"id", "kind", "object_type", "object_id", "occurred_at"}  # no child's details
    rows = db.session.execute(select(WebhookDelivery)).scalars().all()
    assert sorted(r.state for r in rows) == ["sent"] * 4 + ["withheld"]

    log = admin_page.get(f"/admin/api-clients/{client.id}")
    assert "A missing child was found or returned" in log and "Withheld" in log
    before = len(receiver.posts)
    sent_row = next(r for r in rows if r.state == "sent")
    admin_page.post_form(f"/admin/api-clients/deliveries/{sent_row.id}/send-again", {},
                         form_url=f"/admin/api-clients/{client.id}")
    webhooks.deliver(now())
    assert len(receiver.posts) == before + 1 and receiver.accepted[sent_row.event.key] == 2


def test_a_delivery_is_given_up_after_72_hours_and_a_forged_signature_is_refused(app, agencies, make_user,
                                                                                 receiver):
    admin = make_user(Role.ADMIN, "csc")
    client, _ = make_client(admin, agencies["police"])
    with transaction():
        webhooks.subscribe(client, receiver.url, ["discussion_convened"], actor=admin)
    receiver.secret = "not the subscription's secret"
    chair = make_user(Role.MASH, "csc")
    convene(chair, [make_child(agency=agencies["police"])], [agencies["police"]])
    start = now()
    for hours in (0, 1, 24, 48, 73):
        webhooks.deliver(start + timedelta(hours=hours))
    row = db.session.execute(select(WebhookDelivery)).scalar_one()
    assert row.state == "failed" and row.last_status == 401 and not receiver.stored


def test_only_https_addresses_and_known_events_are_subscribed(app, agencies, make_user):
    admin = make_user(Role.ADMIN, "csc")
    client, _ = make_client(admin, agencies["police"])
    with pytest.raises(webhooks.RuleError) as plain:
        webhooks.subscribe(client, "http://receiver.example.org/events", ["action_done"], actor=admin)
    assert plain.value.field == "url"
    with pytest.raises(webhooks.RuleError) as unknown:
        webhooks.subscribe(client, "https://receiver.example.org/events", ["everything"], actor=admin)
    assert unknown.value.field == "kinds"


def test_the_nightly_housekeeping_forgets_old_sent_deliveries_and_keeps_failed_and_recent_ones(app, agencies,
                                                                                             make_user):
    from safeguarding.reminders import cli

    admin = make_user(Role.ADMIN, "csc")
    client, _ = make_client(admin, agencies["police"])
    with transaction():
        subscription = webhooks.subscribe(client, "https://receiver.example.org/events", ["discussion_convened"],
                                          actor=admin)
    at = now()

    def event_with(state, days_ago):
        when = at - timedelta(days=days_ago)
        event = WebhookEvent(key=f"test:{state}:{days_ago}", kind="discussion_convened",
                             object_type="strategy_discussion", object_id=1, occurred_at=when, fanned_out=True)
        db.session.add(event)
        db.session.flush()
        db.session.add(WebhookDelivery(subscription_id=subscription.id, event_id=event.id, state=state,
                                       created_at=when, sent_at=when if state == "sent" else None))
        return event.key

    event_with("sent", 45), event_with("withheld", 40)  # both forgotten
    old_failed, recent_sent = event_with("failed", 50), event_with("sent", 3)
    db.session.commit()
    cli.run_job(app, "api_keys")
    db.session.expire_all()
    left = {(d.event.key, d.state) for d in db.session.execute(select(WebhookDelivery)).scalars()}
    assert left == {(old_failed, "failed"), (recent_sent, "sent")}  # failed ones stay to be sent again
    keys = set(db.session.execute(select(WebhookEvent.key)).scalars())
    assert keys == {old_failed, recent_sent}
    # a shorter setting still never forgets what the overdue scan could write again (its last 7 days)
    app.config["API_WEBHOOK_KEEP_DAYS"] = 1
    cli.run_job(app, "api_keys")
    db.session.expire_all()
    assert set(db.session.execute(select(WebhookEvent.key)).scalars()) == {old_failed, recent_sent}
