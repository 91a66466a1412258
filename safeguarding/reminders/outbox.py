"""Write emails that are not reminders (invitations, notices to agency mailboxes) to the outbox, once.

The caller's transaction commits them with the change they tell of; delivery.py sends them.
"""
from __future__ import annotations

from .. import clock
from .models import PENDING, OutboundEmail
from .sweep import insert_once


def email_row(*, key: str, purpose: str, object_type: str, object_id: int, to_address: str, subject: str,
              body: str, recipient_id: int | None = None, agency_id: int | None = None,
              calendar: bytes | str | None = None, calendar_method: str | None = None) -> dict:
    """One outbox row, for `enqueue` or for writing many at once (`enqueue_many`)."""
    at = clock.now()
    if isinstance(calendar, bytes):
        calendar = calendar.decode("utf-8")
    return {"key": key[:400], "purpose": purpose, "object_type": object_type, "object_id": object_id,
            "to_address": to_address, "recipient_id": recipient_id, "agency_id": agency_id,
            "subject": subject[:200], "body": body, "calendar": calendar, "calendar_method": calendar_method,
            "created_at": at, "state": PENDING, "attempts": 0, "next_attempt_at": at}


def enqueue(**email) -> bool:
    """Add one email unless one with this key exists; True when it was new (arguments: `email_row`'s)."""
    return bool(insert_once(OutboundEmail, [email_row(**email)], ("key",)))


def enqueue_many(rows: list[dict]) -> int:
    """Add `email_row`s, skipping keys that exist (in paged statements, not one per email); how many were new."""
    unique = list({row["key"]: row for row in rows}.values())
    return len(insert_once(OutboundEmail, unique, ("key",)))


def deliveries(object_type: str, object_id: int) -> list:
    """Every notice and email written about this object, as `safeguarding.deliveries.Delivery` rows (two queries)."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from ..deliveries import Delivery
    from ..extensions import db
    from .models import Notification

    found = []
    notices = db.session.execute(
        select(Notification).options(joinedload(Notification.recipient))
        .where(Notification.object_type == object_type, Notification.object_id == object_id)).scalars()
    for row in notices:
        found.append(Delivery(to=row.recipient.name, how="In the app, and by email without case details",
                              state=row.email_state, written_at=row.created_at, sent_at=row.sent_at))
    emails = db.session.execute(
        select(OutboundEmail).where(OutboundEmail.object_type == object_type, OutboundEmail.object_id == object_id)
    ).scalars()
    for row in emails:
        found.append(Delivery(to=row.to_address, how="Email without case details to the agency's shared mailbox"
                              if row.agency_id else "Email without case details", state=row.state,
                              written_at=row.created_at, sent_at=row.sent_at))
    return found
