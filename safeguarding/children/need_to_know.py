"""Restricted children and break glass: the writes that widen or narrow who sees a child (issue 13).

Restricting names the only people who may see a child and everything linked to them (the scopes in
`auth.access` read `Child.restricted` and `ChildAccess`). Break glass lets someone with a reason read a child
outside their scope for `BREAK_GLASS_HOURS`, audited and listed for their agency's managers; it is offered only
where the app has already said a record exists, through a signed offer bound to the person and the child, so a
guessed id still gets the plain 404.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm.attributes import flag_modified

from .. import audit
from ..auth.access import CASE_ROLES
from ..auth.models import User
from ..clock import now
from ..extensions import db
from ..service import RuleError, expect_version
from .models import BreakGlass, Child, ChildAccess

log = logging.getLogger("safeguarding.children")

#: an offer of break glass lasts as long as someone might reasonably take to read the page that made it
OFFER_SECONDS = 30 * 60


def access_list(child: Child) -> list[User]:
    return list(db.session.execute(
        db.select(User).join(ChildAccess, ChildAccess.user_id == User.id)
        .where(ChildAccess.child_id == child.id).order_by(User.name, User.id)).scalars())


def set_restriction(child: Child, *, restricted: bool, emails: list[str], reason: str, actor,
                    expected_version: int | None) -> list[User]:
    """Restrict the child to the people with these email addresses (and whoever restricts it, who must not lock
    themselves out), or lift the restriction. The reason is required either way and audited as changed only."""
    expect_version(child, expected_version)
    if not reason.strip():
        raise RuleError("Enter why the record is being restricted or opened up", "reason")
    people: list[User] = []
    if restricted:
        wanted = {e.strip().lower() for e in emails if e.strip()}
        found = {u.email: u for u in db.session.execute(db.select(User).where(User.email.in_(wanted))).scalars()}
        for email in sorted(wanted):
            user = found.get(email)
            if user is None or not user.is_active_user:
                raise RuleError(f"No one active uses the email address {email}: check it", "people")
            if user.role not in CASE_ROLES:
                raise RuleError(f"{email} cannot be given access: administrators see no case records", "people")
            people.append(user)
        if actor.id not in {u.id for u in people}:
            people.append(actor)
    before = sorted(u.id for u in access_list(child))
    db.session.execute(db.delete(ChildAccess).where(ChildAccess.child_id == child.id))
    for user in people:
        db.session.add(ChildAccess(child_id=child.id, user_id=user.id, granted_by_id=actor.id))
    was = child.restricted
    child.restricted = restricted
    # a new version even when only the list changed, so two people editing the list cannot overwrite each other
    flag_modified(child, "restricted")
    db.session.flush()
    audit.record("restrict" if restricted else "unrestrict", "child", child.id, user=actor,
                 changes={"restricted": {"from": was, "to": restricted},
                          "access_list": {"from": before, "to": sorted(u.id for u in people)},
                          "reason": {"changed": True}})
    log.info("child restriction set id=%s restricted=%s people=%s", child.id, restricted, len(people))
    return people


# --- Break glass ------------------------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="break-glass-offer")


def offer_token(user, child_id: int) -> str:
    """A signed offer for this person to break glass on this child, made where the app has already told them a
    record exists."""
    return _serializer().dumps({"u": user.id, "c": child_id})


def offered_child(token: str, user) -> int | None:
    """The child this offer was made to `user` for, if it is theirs, genuine and recent."""
    try:
        data = _serializer().loads(token, max_age=OFFER_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.id or not isinstance(data.get("c"), int):
        return None
    return data["c"]


def break_glass(child: Child, reason: str, *, actor) -> BreakGlass:
    """Open the child's record to `actor` for reading, for the configured hours, with their reason."""
    reason = reason.strip()
    if len(reason) < 10:
        raise RuleError("Enter why you need this record now, for example the referral or incident you are dealing "
                        "with", "reason")
    if child.restricted:
        # a restricted child's list is the whole point: no one breaks into it, they ask a named person
        raise RuleError("This record cannot be opened this way. Ask the MASH team manager", "reason")
    opened = now()
    row = BreakGlass(child_id=child.id, user_id=actor.id, agency_id=actor.agency_id, reason=reason,
                     opened_at=opened,
                     expires_at=opened + timedelta(hours=current_app.config["BREAK_GLASS_HOURS"]))
    db.session.add(row)
    db.session.flush()
    audit.record("break_glass", "child", child.id, user=actor,
                 changes={"expires_at": {"to": row.expires_at.isoformat()}, "reason": {"changed": True}})
    log.info("break glass id=%s child=%s user=%s", row.id, child.id, actor.id)
    return row


def uses_to_review(manager):
    """SELECT of the break-glass uses by the manager's agency's staff and the people they line-manage, newest
    first."""
    team = db.select(User.id).where(User.line_manager_id == manager.id)
    return (db.select(BreakGlass).where(db.or_(BreakGlass.agency_id == manager.agency_id,
                                               BreakGlass.user_id.in_(team)))
            .order_by(BreakGlass.opened_at.desc(), BreakGlass.id.desc()))
