"""A link, emailed to a new (or locked-out) person, that lets them choose their own password: nobody else ever
knows it, not even the administrator who created the account.

The link carries a signed token (itsdangerous, salted for this purpose) naming the account and a fingerprint of its
password hash at the time. It expires after SET_PASSWORD_LINK_HOURS, and it is single use: choosing a password
changes the hash, so that link and any other sent before it stop working. Setting a password never signs anyone in;
the person then signs in with it and their authenticator code (or sets one up), so a link never bypasses MFA.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit
from ..clock import now
from ..extensions import db
from ..service import RuleError
from . import passwords, role_requests, sessions
from .models import User

SALT = "set-password-link"
#: features that deliver the link (reminders puts it in the outbox); called inside the caller's transaction
LINK_HOOKS: list = []


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def hours() -> int:
    return int(current_app.config.get("SET_PASSWORD_LINK_HOURS", 72))


def unusable_password() -> str:
    """The hash of a password nobody knows: the account exists, but only the link can give it one."""
    return passwords.hash_password(secrets.token_urlsafe(32))


def not_approved_problem(user: User) -> str | None:
    """Why no link may be sent yet: a new account a second administrator has not approved (`role_requests`)."""
    waiting = role_requests.account_waiting(user)
    if waiting is None:
        return None
    return (f"{user.name}'s account is waiting for a second administrator's approval. They are emailed a link to "
            "choose their password when it is approved, not before")


def send_link(user: User, *, actor) -> str:
    """Make a link for `user` and hand it to the delivery hooks; audited (never the token). Returns the link.
    Refused for a new account still waiting for approval: whoever created it may control its address."""
    problem = not_approved_problem(user)
    if problem:
        raise RuleError(problem, "decision")
    token = _serializer().dumps({"user": user.id, "hash": _fingerprint(user)})
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/set-password/{token}"
    for hook in LINK_HOOKS:
        hook(user, link, hours())
    audit.record("set_password_link_sent", "user", user.id, user=actor, detail=f"valid for {hours()} hours")
    db.session.flush()
    return link


def user_for(token: str) -> User | None:
    """The account this token may set a password for, or None (unknown, expired, used, or the account is off)."""
    try:
        data = _serializer().loads(token, max_age=hours() * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.get(User, data["user"])
    if user is None or not user.is_active or not secrets.compare_digest(_fingerprint(user), str(data.get("hash"))):
        return None
    if role_requests.account_waiting(user) is not None:
        return None  # never approved (or approval was taken back): no link opens it
    return user


def choose(user: User, password: str) -> None:
    problem = passwords.password_problem(password, email=user.email, name=user.name)
    if problem:
        raise RuleError(problem, "new_password")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now()
    user.must_change_password = False  # the person chose it themselves
    user.failed_sign_ins, user.locked_until = 0, None
    sessions.end_all_for(user.id, "password_changed")
    audit.record("password_set_by_link", "user", user.id, user=user)
    db.session.flush()


def link_lifetime() -> timedelta:
    return timedelta(hours=hours())
