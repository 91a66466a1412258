"""Writing audit events. Callers add the event to the same transaction as the change it describes."""
from __future__ import annotations

import enum
import functools
import logging
from datetime import date, datetime
from typing import Any, Iterable, TypeVar

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.dialects import postgresql

from ..clock import now
from ..extensions import db
from .models import AuditEvent, AuditEventChild

T = TypeVar("T")

log = logging.getLogger("safeguarding.audit")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def changes_between(before: dict[str, Any], after: dict[str, Any], free_text: Iterable[str] = ()) -> dict:
    free = set(free_text)
    result = {}
    for name, new in after.items():
        old = before.get(name)
        if old != new:
            result[name] = {"changed": True} if name in free else {"from": old, "to": new}
    return result


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def _event(action: str, object_type: str | None, object_id: int | None, changes: dict | None, user,
           detail: str | None) -> dict[str, Any]:
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    return {"user_id": getattr(user, "id", None), "agency_id": getattr(user, "agency_id", None),
            "role": getattr(user, "role", None), "action": action, "object_type": object_type,
            "object_id": object_id, "changes": changes or None, "ip_address": _client_ip(),
            "detail": (detail or "")[:300] or None}


def record(action: str, object_type: str | None = None, object_id: int | None = None, *,
           changes: dict | None = None, user=None, detail: str | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits with its change)."""
    event = AuditEvent(**_event(action, object_type, object_id, changes, user, detail))
    db.session.add(event)
    # One line per event for the operator's log; identifiers only, never case content.
    log.info("audit action=%s object=%s:%s user=%s", action, object_type, object_id, event.user_id)
    return event


#: a view's event and its children, written straight to their tables: every record's page writes one, and the
#: session's unit of work (an object to track, a flush, then the children, another flush) cost about a millisecond
_VIEW = AuditEvent.__table__.insert().returning(AuditEvent.__table__.c.id)
_VIEW_CHILD = AuditEventChild.__table__.insert()


@functools.cache
def _view_and_children():
    """PostgreSQL: the event and its children in one statement (the event's INSERT … RETURNING as a WITH, the
    children's rows selected from it), where the page waited for the event's id before writing its children. Built
    at first use, when every model is mapped: a foreign key column's type is known only once its table is."""
    events = AuditEvent.__table__
    event = (events.insert().values({column.name: bindparam(column.name, type_=column.type)
                                     for column in events.c if column.name != "id"})
             .returning(events.c.id).cte("viewed"))
    return AuditEventChild.__table__.insert().from_select(
        ["event_id", "child_id"],
        select(event.c.id, func.unnest(bindparam("children", type_=postgresql.ARRAY(Integer)))))


def record_view(object_type: str, object_id: int | None, child_ids: Iterable[int] = (), *,
                detail: str | None = None) -> None:
    """A view of case data: recorded and committed at once, since a GET changes nothing else. `child_ids`: the
    children the page showed when its object is not a child (so they appear under "who has looked"); `detail`: how
    it was seen, when not on a page (an API client's call).

    The commit keeps what the page has already loaded: expiring it would make the template load every row again,
    one query per related object, and undo the view's eager loading. Nothing else changed in this transaction, so
    the loaded rows are still what the page should show."""
    values = _event("view", object_type, object_id, None, None, detail)
    children = sorted({int(c) for c in child_ids if c})
    if children and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_view_and_children(), {**values, "occurred_at": now(), "children": children})
    else:
        event_id = db.session.execute(_VIEW, values).scalar_one()
        if children:
            db.session.execute(_VIEW_CHILD, [{"event_id": event_id, "child_id": c} for c in children])
    log.info("audit action=view object=%s:%s user=%s", object_type, object_id, values["user_id"])
    commit_view()


def shown(page: T, object_type: str, object_id: int | None, child_ids: Iterable[int] = ()) -> T:
    """`page` (a record's page, already drawn), once its view is recorded: `return shown(render_template(...),
    "child", child.id)`. The page is drawn first, so the reads that drew it (the template's own included) and the
    audit event are one transaction and one commit, where recording first and drawing after began a second
    transaction for what the page read next (a pool check-out, BEGIN and COMMIT: three round trips). The page
    leaves the server only once the event is committed; if the commit fails, the person gets the error page, never
    the record."""
    record_view(object_type, object_id, child_ids)
    return page


def commit_view() -> None:
    """Commit a page's audit event (a view: nothing else changed) keeping what the page has already loaded, the
    signed-in person and their session included: expiring it would make the page read them all again."""
    from ..service import commit_keeping_loaded

    commit_keeping_loaded()
