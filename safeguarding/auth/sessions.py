"""Server-side sessions: the cookie holds a random token, this module decides whether it is still valid."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import String, bindparam, select, update
from sqlalchemy.orm import joinedload

from ..clock import now
from ..extensions import db
from .models import User, UserSession

SESSION_KEY = "sid"
#: last_seen_at is written at most this often, so browsing is not a database write per request
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> UserSession:
    """Begin a new session for `user`: a fresh cookie, a fresh token (no session fixation)."""
    session.clear()
    token = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        ip_address=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(row)
    session[SESSION_KEY] = token
    session.permanent = True
    return row


#: name -> function(user id column) -> a scalar subquery every page shows (the unread notifications beside
#: "Notifications"), read in the same statement as the session and its user when a page is only being read
#: (GET, HEAD), instead of a statement of its own on every page; `rider(name)` gives it to the page
RIDERS: dict[str, Callable] = {}
_RIDDEN = "safeguarding.session_riders"


_TOKEN_HASH = bindparam("session_token_hash", type_=String)


@lru_cache(maxsize=8)
def _statement(with_user: bool, riders: tuple[str, ...]):
    """The session's statement, built once per process for each shape: every request runs it, and building it and
    working out its cache key took as long as running it (about 0.8 ms). Riders are registered as their features
    are imported, before any request; one registered later under a name already used would not be seen."""
    query = select(UserSession).where(UserSession.token_hash == _TOKEN_HASH)
    if with_user:
        query = query.options(joinedload(UserSession.user))
    return query.add_columns(*(RIDERS[name](UserSession.user_id).label(name) for name in riders))


def current(*, with_user: bool = False) -> UserSession | None:
    """This browser's session row (`with_user`: and its user, and the riders, in the same statement: every request
    asks)."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    riders = tuple(RIDERS) if with_user and request.method in ("GET", "HEAD") else ()
    row = db.session.execute(_statement(with_user, riders), {"session_token_hash": _hash(token)}
                             ).unique().one_or_none()
    if row is None:
        return None
    if riders:
        request.environ[_RIDDEN] = (row[0].user_id, dict(zip(riders, row[1:], strict=True)))
    return row[0]


def rider(name: str, user_id: int):
    """What `RIDERS[name]` read for `user_id` with this request's session, or None if it was not read (not a page
    being only read, or another person's)."""
    ridden = request.environ.get(_RIDDEN) if has_request_context() else None
    if ridden is None or ridden[0] != user_id:
        return None
    return ridden[1].get(name)


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only if this browser's server-side session is live."""
    row = current(with_user=True)
    if row is None or row.revoked_at is not None or str(row.user_id) != str(user_id):
        return None
    moment = now()
    cfg = current_app.config
    if moment - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        _revoke(row, "idle")
        return None
    if moment - row.created_at > timedelta(hours=cfg["SESSION_LIFETIME_HOURS"]):
        _revoke(row, "expired")
        return None
    user = row.user
    if not user.is_active:
        _revoke(row, "deactivated")
        return None
    if moment - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = moment
        db.session.commit()
    g.user_session = row  # the page says when it will end (the timeout warning)
    return user


def ends_at(row: UserSession) -> tuple[datetime, bool]:
    """When the session ends if nothing more happens, and whether using the service puts that off (the idle limit
    does; the limit on a session's whole length does not)."""
    cfg = current_app.config
    idle_end = row.last_seen_at + timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    hard_end = row.created_at + timedelta(hours=cfg["SESSION_LIFETIME_HOURS"])
    return (idle_end, True) if idle_end < hard_end else (hard_end, False)


def seconds_left() -> tuple[int, bool] | None:
    """For the page being drawn: seconds until this browser's session ends, and whether it can be put off."""
    row = g.get("user_session")
    if row is None:
        return None
    end, extendable = ends_at(row)
    return max(int((end - now()).total_seconds()), 0), extendable


def stay_signed_in() -> None:
    """The person asked for more time (the timeout warning): the idle limit starts again from now."""
    row = current()
    if row is not None and row.revoked_at is None:
        row.last_seen_at = now()


def _revoke(row: UserSession, reason: str) -> None:
    row.revoked_at = now()
    row.revoked_reason = reason
    db.session.commit()
    session.clear()


def end_current(reason: str = "signed_out") -> None:
    row = current()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()
        row.revoked_reason = reason
    session.clear()


def end_all_for(user_id: int, reason: str) -> int:
    """End every live session of a user (deactivation, password change, an admin's request)."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)
    )
    return result.rowcount or 0
