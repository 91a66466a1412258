"""Webhooks: clients are told that something happened (ids and kinds only, signed), and fetch what they may see.

Events are written in the same transaction as the change: every change a subscriber cares about is already audited,
so one listener turns those audit events into `WebhookEvent` rows as they are flushed (no feature has to call this
one). Agreed actions falling overdue are found by a scan, since nobody's transaction makes them so. The
scheduler's delivery job (reminders' `OTHER_OUTBOXES`) then copies each event to the subscriptions that want it
and sends them with the outbox's back-off (1, 2, 4 ... minutes, at most an hour; given up after 72 hours), the
receiver's 2xx marking each delivered. Every request carries

    X-SDC-Event-Id: the event's id (the same on every retry: a receiver keeps the ids it has stored)
    X-SDC-Timestamp: Unix seconds when it was signed (refuse old ones: replay)
    X-SDC-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the subscription's secret>
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from datetime import datetime, timedelta

import requests
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit.models import AuditEvent
from ..clock import now
from ..extensions import db
from ..reminders.rules import backoff
from ..reminders.sweep import due_key, insert_once
from ..service import RuleError
from .models import ApiClient, WebhookDelivery, WebhookEvent, WebhookSubscription

log = logging.getLogger("safeguarding.api")

EVENT_KINDS = {
    "discussion_convened": "A strategy discussion was convened",
    "decision_recorded": "A decision was recorded",
    "action_done": "An agreed action was done",
    "action_overdue": "An agreed action fell overdue",
    "return_recorded": "A missing child was found or returned",
    "difference_escalated": "A professional difference was escalated",
}
GIVE_UP_AFTER = timedelta(hours=72)
LEASE = timedelta(minutes=5)
TIMEOUT_SECONDS = 10
BATCH = 200
#: overdue actions older than this are not announced: a new subscriber is not flooded with the past
OVERDUE_LOOKBACK = timedelta(days=7)


# --- Events, in the transaction of the change -------------------------------------------------------------------


def event_of(entry: AuditEvent) -> tuple[str, str, int] | None:
    """(kind, object type, object id) of the webhook event an audit event is, if any."""
    action, kind, changes = entry.action, entry.object_type, entry.changes or {}
    if entry.object_id is None:
        return None
    if (action, kind) == ("convene", "strategy_discussion"):
        return "discussion_convened", kind, entry.object_id
    if (action, kind) == ("decide", "threshold_decision"):
        return "decision_recorded", kind, entry.object_id
    if (action, kind) == ("update", "agreed_action") and (changes.get("status") or {}).get("to") == "done":
        return "action_done", kind, entry.object_id
    if (action, kind) == ("create", "return_interview") and (changes.get("episode_id") or {}).get("to"):
        return "return_recorded", "missing_episode", int(changes["episode_id"]["to"])
    if (action, kind) == ("escalate", "professional_difference"):
        return "difference_escalated", kind, entry.object_id
    return None


def _capture(session, flush_context, instances) -> None:
    for entry in [obj for obj in session.new if isinstance(obj, AuditEvent)]:
        found = event_of(entry)
        if found is not None:
            session.add(WebhookEvent(key=f"audit:{uuid.uuid4().hex}", kind=found[0], object_type=found[1],
                                     object_id=found[2], occurred_at=now(), fanned_out=False))


def listen() -> None:
    if not event.contains(Session, "before_flush", _capture):
        event.listen(Session, "before_flush", _capture)


def scan_overdue_actions(at: datetime) -> int:
    from ..discussions.models import AgreedAction

    rows = [{"key": f"action_overdue:{action_id}:{due_key(due)}", "kind": "action_overdue",
             "object_type": "agreed_action", "object_id": action_id, "occurred_at": due, "fanned_out": False}
            for action_id, due in db.session.execute(
                select(AgreedAction.id, AgreedAction.due_at).where(
                    AgreedAction.status == "open", AgreedAction.due_at <= at,
                    AgreedAction.due_at > at - OVERDUE_LOOKBACK))]
    return len(insert_once(WebhookEvent, rows, ("key",)))


def fan_out() -> int:
    """Copy new events to every active subscription that wants them and existed when they happened."""
    events = list(db.session.execute(select(WebhookEvent).where(WebhookEvent.fanned_out.is_(False))
                                     .order_by(WebhookEvent.id).limit(1000)).scalars())
    if not events:
        return 0
    subscriptions = list(db.session.execute(select(WebhookSubscription).where(
        WebhookSubscription.is_active.is_(True))).scalars())
    at = now()
    rows = [{"subscription_id": sub.id, "event_id": ev.id, "state": "pending", "attempts": 0,
             "next_attempt_at": at, "created_at": at}
            for ev in events for sub in subscriptions
            if ev.kind in (sub.kinds or []) and sub.created_at <= ev.occurred_at]
    made = insert_once(WebhookDelivery, rows, ("subscription_id", "event_id"))
    db.session.execute(update(WebhookEvent).where(WebhookEvent.id.in_([e.id for e in events]))
                       .values(fanned_out=True))
    return len(made)


# --- Delivery ---------------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def payload(ev: WebhookEvent) -> bytes:
    return json.dumps({"id": ev.key, "kind": ev.kind, "object_type": ev.object_type, "object_id": ev.object_id,
                       "occurred_at": ev.occurred_at.isoformat().replace("+00:00", "Z")},
                      separators=(",", ":")).encode()


def may_see(client: ApiClient, ev: WebhookEvent, at: datetime) -> bool:
    """The client may be told only of what it could fetch: its token still works and the object is in its scope."""
    from ..differences.access import difference_scope
    from ..differences.models import ProfessionalDifference
    from ..discussions.access import discussion_scope
    from ..discussions.models import AgreedAction, StrategyDiscussion, ThresholdDecision
    from ..missing.access import missing_scope
    from ..missing.models import MissingEpisode
    from .framework import Principal

    if client.status(at) != "active":
        return False
    who = Principal(client.service_user)
    queries = {
        "strategy_discussion": select(StrategyDiscussion.id).where(StrategyDiscussion.id == ev.object_id,
                                                                   discussion_scope(who)),
        "missing_episode": select(MissingEpisode.id).where(MissingEpisode.id == ev.object_id,
                                                           missing_scope(who, MissingEpisode.child_id)),
        "professional_difference": select(ProfessionalDifference.id).where(
            ProfessionalDifference.id == ev.object_id, difference_scope(who)),
    }
    for model in (ThresholdDecision, AgreedAction):
        in_discussion = (StrategyDiscussion, StrategyDiscussion.id == model.discussion_id)
        queries[model.__tablename__] = (select(model.id).join(*in_discussion)
                                        .where(model.id == ev.object_id, discussion_scope(who)))
    query = queries.get(ev.object_type)
    return query is not None and db.session.execute(query).first() is not None


def _claim(at: datetime) -> list[int]:
    token = secrets.token_hex(8)
    ids = list(db.session.execute(select(WebhookDelivery.id).where(
        WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= at)
        .order_by(WebhookDelivery.id).limit(BATCH)).scalars())
    if ids:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids),
                                                         WebhookDelivery.next_attempt_at <= at)
                           .values(next_attempt_at=at + LEASE, claim_token=token))
    db.session.commit()
    return list(db.session.execute(select(WebhookDelivery.id).where(WebhookDelivery.claim_token == token)).scalars())


def _send(row: WebhookDelivery, at: datetime, post) -> None:
    sub = row.subscription
    if not sub.is_active or not may_see(sub.client, row.event, at):
        row.state, row.last_error = "withheld", "the client may not see this record (or its token no longer works)"
        return
    body = payload(row.event)
    timestamp = str(int(now().timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "strategy-discussion-coordinator-webhooks",
               "X-SDC-Event-Id": row.event.key, "X-SDC-Timestamp": timestamp,
               "X-SDC-Signature": sign(sub.secret, timestamp, body)}
    row.attempts += 1
    try:
        response = post(sub.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        row.last_status, row.last_error = response.status_code, None
        delivered = 200 <= response.status_code < 300
        if not delivered:
            row.last_error = f"the receiver answered {response.status_code}"
    except requests.RequestException as err:
        row.last_status, row.last_error, delivered = None, f"{type(err).__name__}"[:300], False
    if delivered:
        row.state, row.sent_at = "sent", now()
    elif at - row.created_at >= GIVE_UP_AFTER:
        row.state = "failed"
    else:
        row.next_attempt_at = at + backoff(row.attempts)


def deliver(at: datetime | None = None, post=None) -> str:
    """One pass: find overdue actions, copy events to subscriptions, send what is due. Commits as it goes, so a
    receiver that hangs costs its own timeout, never the others' deliveries."""
    at = at or now()
    post = post or requests.post
    overdue = scan_overdue_actions(at)
    copied = fan_out()
    db.session.commit()
    sent = failed = 0
    for delivery_id in _claim(at):
        row = db.session.get(WebhookDelivery, delivery_id)
        _send(row, at, post)
        row.claim_token = None
        sent += row.state == "sent"
        failed += row.state != "sent"
        db.session.commit()
    line = f"Webhooks: {sent} delivered, {failed} to retry or not sent ({overdue} overdue actions, {copied} queued)"
    log.info(line)
    return line


# --- Administrators ---------------------------------------------------------------------------------------------


def subscribe(client: ApiClient, url: str, kinds: list[str], *, actor) -> WebhookSubscription:
    if not url.startswith("https://") and not url.startswith(("http://127.0.0.1", "http://localhost")):
        raise RuleError("Enter an address that starts with https://", "url")
    if not kinds or set(kinds) - set(EVENT_KINDS):
        raise RuleError("Select which events to send", "kinds")
    sub = WebhookSubscription(client_id=client.id, url=url, kinds=list(kinds), secret=secrets.token_urlsafe(32))
    db.session.add(sub)
    db.session.flush()
    audit.record("create", "api_webhook_subscription", sub.id, user=actor,
                 changes={"client_id": {"to": client.id}, "url": {"to": url}, "kinds": {"to": list(kinds)}})
    return sub


def send_again(row: WebhookDelivery, *, actor) -> None:
    """An administrator asks for a delivery to be tried again now, whatever happened to it before."""
    at = now()
    before = row.state
    row.state, row.attempts, row.next_attempt_at, row.created_at, row.claim_token = "pending", 0, at, at, None
    audit.record("send_again", "api_webhook_delivery", row.id, user=actor, changes={"state": {"from": before,
                                                                                             "to": "pending"}})


#: rows removed per statement by the nightly housekeeping: bounded parameters and locks whatever the backlog
FORGET_BATCH = 5000


def forget_delivered(before: datetime) -> tuple[int, int]:
    """Forget deliveries that ended (sent, or withheld from a client that may not see the object) before `before`,
    then the events that have no delivery left and happened before it: (deliveries, events). Failed deliveries stay
    for administrators to send again. Never nearer than OVERDUE_LOOKBACK: an overdue action's event forgotten
    while the scan still looks back over it would be written, and sent, again. The caller commits."""
    before = min(before, now() - OVERDUE_LOOKBACK)
    deliveries = events = 0
    while True:
        ids = list(db.session.execute(select(WebhookDelivery.id).where(
            WebhookDelivery.state.in_(("sent", "withheld")),
            func.coalesce(WebhookDelivery.sent_at, WebhookDelivery.created_at) < before)
            .limit(FORGET_BATCH)).scalars())
        if not ids:
            break
        deliveries += db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids))).rowcount or 0
    while True:
        kept = select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id).exists()
        ids = list(db.session.execute(select(WebhookEvent.id).where(
            WebhookEvent.fanned_out.is_(True), WebhookEvent.occurred_at < before, ~kept)
            .limit(FORGET_BATCH)).scalars())
        if not ids:
            break
        events += db.session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(ids))).rowcount or 0
    return deliveries, events


def deliveries_of(client: ApiClient, limit: int = 50) -> list[WebhookDelivery]:
    return list(db.session.execute(
        select(WebhookDelivery).join(WebhookSubscription).where(WebhookSubscription.client_id == client.id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)).scalars())
