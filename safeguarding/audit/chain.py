"""A hash chain over the audit trail, so that an altered, deleted, truncated or back-dated event is detected.

The trail is written by every request; chaining each event as it is written would make every request wait for the
one before it. Instead `seal` runs a little later (SEAL_DELAY, longer than any transaction writing an event lasts),
in event id order, and each seal stores sha256(previous hash + the event's canonical content). `verify` recomputes
the chain from the first event. What it reports:
- an event whose content no longer matches its seal (altered after sealing);
- a broken link (an event deleted from the middle, or seals tampered with);
- an event without a seal below the highest sealed id (written into the sealed part of the trail afterwards);
- an event dated before the sealed event it follows by more than SEAL_DELAY (back-dated);
- fewer sealed events than the chain's head says (the trail emptied or cut short).
The head (count and hash) is also written to the application log at every seal, outside the database, so even
truncating both tables together leaves evidence elsewhere.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from .models import AuditEvent, AuditSeal

log = logging.getLogger("safeguarding.audit")

#: events younger than this are left for the next seal: a transaction that wrote one may not have committed yet
SEAL_DELAY = timedelta(minutes=2)
GENESIS = "0" * 64
BATCH = 5000


def canonical(event: AuditEvent) -> bytes:
    """The event's content in one fixed form, identical on SQLite and PostgreSQL."""
    return json.dumps({
        "id": event.id, "occurred_at": clock.ensure_utc(event.occurred_at).isoformat(), "user_id": event.user_id,
        "agency_id": event.agency_id, "role": event.role, "action": event.action, "object_type": event.object_type,
        "object_id": event.object_id, "changes": event.changes, "ip_address": event.ip_address,
        "detail": event.detail,
    }, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def link(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(event)).hexdigest()


def _head() -> tuple[int, str]:
    row = db.session.execute(select(AuditSeal.event_id, AuditSeal.hash)
                             .order_by(AuditSeal.event_id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def seal(now: datetime | None = None) -> int:
    """Seal every event older than SEAL_DELAY not sealed yet, in id order; returns how many. The caller commits."""
    now = clock.ensure_utc(now or clock.now())
    last_id, prev = _head()
    sealed = 0
    while True:
        events = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id, AuditEvent.occurred_at <= now - SEAL_DELAY)
            .order_by(AuditEvent.id).limit(BATCH)).scalars().all()
        if not events:
            break
        for event in events:
            current = link(prev, event)
            db.session.add(AuditSeal(event_id=event.id, prev_hash=prev, hash=current))
            prev, last_id = current, event.id
            sealed += 1
        db.session.flush()
    if sealed:
        count = db.session.execute(select(func.count()).select_from(AuditSeal)).scalar_one()
        log.info("audit sealed=%d head_event=%d head_hash=%s sealed_total=%d", sealed, last_id, prev, count)
    return sealed


@dataclass
class Verification:
    events: int = 0
    sealed: int = 0
    head_event: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        state = "intact" if self.ok else f"{len(self.problems)} problems"
        return (f"Audit trail {state}: {self.events} events, {self.sealed} sealed, head event {self.head_event} "
                f"hash {self.head_hash}")


def verify() -> Verification:
    """Walk the whole chain (in id order, a batch at a time)."""
    result = Verification()
    prev, prev_at, prev_sealed_id = GENESIS, None, 0
    max_sealed = db.session.execute(select(func.max(AuditSeal.event_id))).scalar_one() or 0
    after = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent, AuditSeal).outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
            .where(AuditEvent.id > after).order_by(AuditEvent.id).limit(BATCH)).all()
        if not rows:
            break
        for event, seal_row in rows:
            after = event.id
            result.events += 1
            if seal_row is None:
                if event.id < max_sealed:
                    result.problems.append(f"event {event.id} was written into the sealed part of the trail "
                                           "after it was sealed")
                continue
            result.sealed += 1
            if seal_row.prev_hash != prev:
                result.problems.append(f"the chain is broken before event {event.id} (an event before it was "
                                       "deleted, or seals were changed)")
            expected = link(prev, event)
            if expected != seal_row.hash:
                result.problems.append(f"event {event.id} was changed after it was sealed")
            at = clock.ensure_utc(event.occurred_at)
            if prev_at is not None and at < prev_at - SEAL_DELAY:
                result.problems.append(f"event {event.id} is dated before event {prev_sealed_id}, which it follows")
            prev, prev_at, prev_sealed_id = seal_row.hash, at, event.id
        db.session.expunge_all()
    seals = db.session.execute(select(func.count()).select_from(AuditSeal)).scalar_one()
    if seals != result.sealed:
        result.problems.append(f"{seals - result.sealed} seals have no event: sealed events were deleted")
    result.head_event, result.head_hash = prev_sealed_id, prev
    return result
