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


def connect() -> None:
    from ..discussions import services as discussions

    if minutes_circulated not in discussions.MINUTES_CIRCULATED_HOOKS:
        discussions.MINUTES_CIRCULATED_HOOKS.append(minutes_circulated)
