"""Who may see a notification."""
from __future__ import annotations

from sqlalchemy import false

from ..auth.access import can, per_person
from .models import Notification


@per_person
def notification_scope(user):
    """A notification is its recipient's alone: not their manager's, not an admin's."""
    if not can(user, "notifications.view"):
        return false()
    return Notification.recipient_id == user.id
