"""Writes from the web side of reminders: one-off notices, and acknowledging notifications."""
from __future__ import annotations

import logging

from sqlalchemy import update

from .. import audit, clock
from ..extensions import db
from .models import Notification

log = logging.getLogger("safeguarding.reminders")


def acknowledge(notification: Notification, user) -> bool:
    """Record that `user` has seen it (once: a second acknowledgement keeps the first's who and when)."""
    if notification.acknowledged_at is not None:
        return False
    at = clock.now()
    notification.acknowledged_at = at
    notification.acknowledged_by_id = user.id
    audit.record("acknowledge", "notification", notification.id, user=user,
                 changes={"acknowledged_at": {"from": None, "to": at.isoformat()}})
    db.session.commit()
    log.info("notification acknowledged id=%s user=%s", notification.id, user.id)
    return True


def acknowledge_all(user) -> int:
    """Acknowledge every unread notification of `user`; one audit event with the count."""
    at = clock.now()
    count = db.session.execute(
        update(Notification).where(Notification.recipient_id == user.id, Notification.acknowledged_at.is_(None))
        .values(acknowledged_at=at, acknowledged_by_id=user.id)
    ).rowcount
    if count:
        audit.record("acknowledge_all", "notification", None, user=user, detail=f"{count} notifications")
    db.session.commit()
    log.info("notifications acknowledged count=%s user=%s", count, user.id)
    return count


def notify(recipient_ids, *, kind: str, object_type: str, object_id: int, title: str, url: str) -> int:
    """A one-off notice to each recipient, in the app and by email (counts and a link only), written once:
    the outbox's unique key makes a repeated call harmless. The caller commits."""
    from .rules import NOTICE
    from .models import PENDING
    from .sweep import KEY, RESTRICTED_TITLE, insert_once, restricted_urls

    if restricted_urls([url]):
        title = RESTRICTED_TITLE
    at = clock.now()
    rows = [{"rule": kind, "object_type": object_type, "object_id": object_id, "level": NOTICE,
             "recipient_id": recipient_id, "due_key": "", "kind": kind, "title": title[:300], "url": url[:300],
             "due_at": None,
             "owner_id": None, "created_at": at, "email_state": PENDING, "attempts": 0, "next_attempt_at": at}
            for recipient_id in dict.fromkeys(recipient_ids)]
    return len(insert_once(Notification, rows, KEY))
