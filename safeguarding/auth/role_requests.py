"""Changes to an account that need a second administrator (`duties.py`): asked for, then approved or rejected.

Four kinds, one pattern (one table, one list page, one decision): a case role for an administrator's account
("role"); for any person's account (`guards_sign_in`), a new email address ("email") and a reset of its sign-in
codes ("sign_in_codes"), either of which would let whoever asked sign in as that person; and a new account an
administrator created ("new_account"), with an address they might control: until a second administrator (neither
its creator nor the person) approves it, it has no password and no set-password link can be sent; approval emails
the person their link, rejection deactivates it.

Services flush and never commit. Asking twice for the same change is one request (a resubmitted form); a decision
carries the version the decider saw, so two administrators deciding at once cannot both win. A request nobody
decided within `LAPSES_AFTER` lapses: it can no longer be approved, and can be asked for again.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..clock import now
from ..extensions import db
from ..service import RuleError, expect_version
from . import duties
from .models import LAPSES_AFTER, RoleRequest, User

PENDING = "pending"
LAPSED = "lapsed"
#: the first words of each kind's audited actions: role_change_requested, email_change_approved, ...
AUDIT_PREFIX = {"role": "role_change", "email": "email_change", "sign_in_codes": "sign_in_codes_reset",
                "new_account": "new_account"}
#: told of each new request (reminders notifies the other administrators); called inside the request's transaction
REQUESTED_HOOKS: list = []


def _waiting():
    """Pending and not yet lapsed (a lapsed one may still say "pending" until someone touches it)."""
    return (RoleRequest.status == PENDING) & (RoleRequest.requested_at > now() - LAPSES_AFTER)


def pending_for(user: User, kind: str = "role") -> RoleRequest | None:
    return db.session.execute(select(RoleRequest).where(
        RoleRequest.user_id == user.id, RoleRequest.kind == kind, _waiting())
        .order_by(RoleRequest.id).limit(1)).scalar_one_or_none()


def account_waiting(user: User) -> RoleRequest | None:
    """The account's latest new-account request when it has not been approved (pending, lapsed or rejected): no
    password, no set-password link, until it is. None for an approved account, or one made at the command line."""
    latest = db.session.execute(select(RoleRequest).where(
        RoleRequest.user_id == user.id, RoleRequest.kind == "new_account")
        .order_by(RoleRequest.id.desc()).limit(1)).scalar_one_or_none()
    return None if latest is None or latest.status == "approved" else latest


def accounts_waiting(user_ids) -> dict[int, RoleRequest]:
    """`account_waiting` for a page of users at once (one query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(RoleRequest).where(
        RoleRequest.user_id.in_(ids), RoleRequest.kind == "new_account").order_by(RoleRequest.id)).scalars()
    latest = {r.user_id: r for r in rows}
    return {user_id: r for user_id, r in latest.items() if r.status != "approved"}


def created_by(user: User) -> int | None:
    """Who created the account in the app (asked first for its approval); they never approve it, even when someone
    else asked again."""
    return db.session.execute(select(RoleRequest.requested_by_id).where(
        RoleRequest.user_id == user.id, RoleRequest.kind == "new_account")
        .order_by(RoleRequest.id).limit(1)).scalar_one_or_none()


def creators(requests) -> dict[int, int]:
    """`created_by` for the accounts of many new-account requests (one query): user id -> creator's id. `requests`:
    RoleRequests or rows with their kind and user_id."""
    user_ids = {r.user_id for r in requests if r.kind == "new_account"}
    if not user_ids:
        return {}
    rows = db.session.execute(select(RoleRequest.user_id, RoleRequest.requested_by_id).where(
        RoleRequest.user_id.in_(user_ids), RoleRequest.kind == "new_account").order_by(RoleRequest.id.desc())).all()
    return {user_id: by for user_id, by in rows}  # the first request's, written last


def active_admin_ids() -> set[int]:
    return set(db.session.execute(select(User.id).where(
        User.role == duties.ADMIN, User.is_active_user.is_(True), User.is_service_account.is_(False))).scalars())


def deciders_count(request: RoleRequest) -> int:
    """How many active administrators could decide this request (nobody, on a first install: the command line)."""
    excluded = {request.requested_by_id, request.user_id, created_by(request.user)} - {None}
    return db.session.execute(select(func.count()).select_from(User).where(
        User.role == duties.ADMIN, User.is_active_user.is_(True), User.is_service_account.is_(False),
        User.id.not_in(excluded))).scalar_one()


def pending_count() -> int:
    return db.session.execute(select(func.count()).select_from(RoleRequest).where(_waiting())).scalar_one()


def guards_sign_in(user: User) -> bool:
    """True when a new email address, a reset of sign-in codes or a typed password for `user` needs more than one
    administrator (`duties.guards_sign_in`)."""
    if user.role in duties.CASE_ROLES:
        return True
    waiting = pending_for(user, "role")
    return duties.guards_sign_in(user.role, waiting.to_role if waiting else None)


def waiting_query():
    """The requests waiting for a decision, oldest first, with what their cards show (for a page of them)."""
    return (select(RoleRequest).where(_waiting())
            .options(joinedload(RoleRequest.user), joinedload(RoleRequest.requested_by),
                     joinedload(RoleRequest.from_agency), joinedload(RoleRequest.to_agency))
            .order_by(RoleRequest.requested_at, RoleRequest.id))


def waiting_outline() -> list:
    """(id, version, kind, user_id, requested_by_id) of every waiting request: columns, not objects, so that an
    import's thousand accounts can be counted and approved together while a page shows a few of them."""
    return db.session.execute(select(RoleRequest.id, RoleRequest.version, RoleRequest.kind, RoleRequest.user_id,
                                     RoleRequest.requested_by_id).where(_waiting())
                              .order_by(RoleRequest.requested_at, RoleRequest.id)).all()


def recently_decided(limit: int = 50) -> list[RoleRequest]:
    """The latest decided or lapsed requests, newest first."""
    ended = func.coalesce(RoleRequest.decided_at, RoleRequest.requested_at)
    return list(db.session.execute(select(RoleRequest).where(~_waiting())
                                   .options(joinedload(RoleRequest.user), joinedload(RoleRequest.requested_by),
                                            joinedload(RoleRequest.decided_by), joinedload(RoleRequest.to_agency),
                                            joinedload(RoleRequest.from_agency))
                                   .order_by(ended.desc(), RoleRequest.id.desc()).limit(limit)).scalars())


def _changes(request: RoleRequest) -> dict | None:
    if request.kind == "new_account":
        return {"role": {"from": None, "to": request.to_role}, "agency_id": {"from": None, "to": request.to_agency_id},
                "email": {"from": None, "to": request.to_email}}
    if request.kind == "email":
        return {"email": {"from": request.from_email, "to": request.to_email}}
    if request.kind != "role":
        return None
    changes = {"role": {"from": request.from_role, "to": request.to_role}}
    if request.to_agency_id != request.from_agency_id:
        changes["agency_id"] = {"from": request.from_agency_id, "to": request.to_agency_id}
    return changes


def _detail(request: RoleRequest) -> str:
    return f"{request.kind.replace('_', ' ')} request {request.id} asked by user {request.requested_by_id}"


def _record(request: RoleRequest, outcome: str, actor, detail: str | None = None) -> None:
    audit.record(f"{AUDIT_PREFIX[request.kind]}_{outcome}", "user", request.user_id, user=actor,
                 changes=_changes(request), detail=detail or _detail(request))


def _lapse_old(user: User, kind: str, *, actor) -> None:
    """Write down that the user's earlier requests of this kind lapsed: a new one is being asked for."""
    old = db.session.execute(select(RoleRequest).where(
        RoleRequest.user_id == user.id, RoleRequest.kind == kind, RoleRequest.status == PENDING)).scalars().all()
    for request in old:
        mark_lapsed(request, actor=actor)


def lapse_overdue(batch: int = 500) -> int:
    """Write down, with its audit event, that each request nobody decided within LAPSES_AFTER has lapsed (the
    scheduler's nightly housekeeping): the pages already say so from the date, and now the record does too, so
    what the table says is what happened. Returns how many; the caller commits."""
    done = 0
    while True:
        overdue = db.session.execute(select(RoleRequest).where(
            RoleRequest.status == PENDING, RoleRequest.requested_at <= now() - LAPSES_AFTER)
            .order_by(RoleRequest.id).limit(batch)).scalars().all()
        for request in overdue:
            mark_lapsed(request, actor=None)
        db.session.flush()
        done += len(overdue)
        if len(overdue) < batch:
            return done


def mark_lapsed(request: RoleRequest, *, actor, why: str | None = None) -> None:
    request.status, request.decided_at = LAPSED, min(request.lapses_at, now())
    _record(request, "lapsed", actor,
            detail=f"{_detail(request)}: {why or f'not decided within {LAPSES_AFTER.days} days'}")


def _ask(user: User, kind: str, *, actor, notify: bool = True, **wanted) -> RoleRequest:
    request = RoleRequest(user_id=user.id, kind=kind, from_role=user.role, from_agency_id=user.agency_id,
                          to_role=user.role, to_agency_id=user.agency_id, requested_by_id=actor.id,
                          status=PENDING)
    for key, value in wanted.items():
        setattr(request, key, value)
    _lapse_old(user, kind, actor=actor)
    db.session.add(request)
    db.session.flush()
    _record(request, "requested", actor)
    db.session.flush()
    if notify:
        announce(request)
    return request


def announce(request: RoleRequest) -> None:
    """Tell the other administrators (once for a whole import: `notify=False` for each of its accounts)."""
    for hook in REQUESTED_HOOKS:
        hook(request)


def request_change(user: User, to_role: str, to_agency_id: int, *, actor) -> RoleRequest:
    """Ask for `user` to become `to_role` in agency `to_agency_id`; nothing about the account changes yet."""
    waiting = pending_for(user, "role")
    if waiting is not None:
        if (waiting.to_role, waiting.to_agency_id) == (to_role, to_agency_id):
            return waiting  # the same change asked for again: still the one request
        raise RuleError(f"A change of role for {user.name} is already waiting for another administrator. It must "
                        "be approved or rejected before you ask for a different one", "role")
    return _ask(user, "role", actor=actor, to_role=to_role, to_agency_id=to_agency_id)


def request_email_change(user: User, to_email: str, *, actor) -> RoleRequest:
    """Ask for `user`'s email address to become `to_email`; their sign-in and links go to the old one until then."""
    to_email = to_email.strip().lower()
    waiting = pending_for(user, "email")
    if waiting is not None:
        if waiting.to_email == to_email:
            return waiting
        raise RuleError(f"A change of email address for {user.name} (to {waiting.to_email}) is already waiting for "
                        "another administrator. It must be approved or rejected before you ask for a different one",
                        "email")
    return _ask(user, "email", actor=actor, from_email=user.email, to_email=to_email)


def request_codes_reset(user: User, *, actor) -> RoleRequest:
    """Ask for `user`'s sign-in codes to be reset; their authenticator app keeps working until then."""
    if actor.id == user.id:
        raise RuleError("Another administrator must reset your own sign-in codes", "decision")
    return pending_for(user, "sign_in_codes") or _ask(user, "sign_in_codes", actor=actor)


def request_new_account(user: User, *, actor, notify: bool = True) -> RoleRequest:
    """Ask a second administrator to approve an account `actor` has just created. Until then nobody can sign in to
    it, and no set-password link can be sent."""
    return _ask(user, "new_account", actor=actor, notify=notify, from_email=user.email, to_email=user.email)


def ask_again(user: User, *, actor) -> RoleRequest:
    """Ask again for a new account's approval: after its request lapsed or was rejected, or when the account changed
    (role, agency, address) before anyone decided, so what is approved is the account as it is now."""
    waiting = pending_for(user, "new_account")
    if waiting is not None and (waiting.to_role, waiting.to_agency_id, waiting.to_email) == (
            user.role, user.agency_id, user.email):
        return waiting  # the same request asked for again (a second click)
    if waiting is None and account_waiting(user) is None:
        raise RuleError(f"{user.name}'s account needs no approval: it has been approved, or was made at the command "
                        "line", "decision")
    if not user.is_active_user:
        raise RuleError(f"{user.name}'s account is deactivated: reactivate it first, then ask again", "decision")
    if waiting is not None:
        mark_lapsed(waiting, actor=actor, why="the account changed before anyone decided")
    return request_new_account(user, actor=actor)


def account_changed(user: User, *, actor) -> None:
    """After an edit: a new account still waiting is asked for again as it is now (role, agency or address)."""
    waiting = pending_for(user, "new_account")
    if waiting is not None and (waiting.to_role, waiting.to_agency_id, waiting.to_email) != (
            user.role, user.agency_id, user.email):
        ask_again(user, actor=actor)


def decision_problem(request: RoleRequest, actor) -> str | None:
    """Why `actor` may not approve or reject this request (`duties.decision_problem`), or None."""
    return duties.decision_problem(
        decider_id=actor.id, decider_role=actor.role, requested_by_id=request.requested_by_id,
        user_id=request.user_id, created_by_id=created_by(request.user) if request.kind == "new_account" else None)


def decidable_problem(request: RoleRequest) -> str | None:
    """Why nobody can decide this request any more (already decided, or lapsed), or None."""
    status = request.status_now
    if request.status == LAPSED and request.decided_at is not None and request.decided_at < request.lapses_at:
        return (f"The {request.what} for {request.user.name} was asked for again after the account changed: "
                "decide the newer request")
    if status == LAPSED:
        return (f"The {request.what} for {request.user.name} lapsed: nobody decided it within "
                f"{LAPSES_AFTER.days} days. Ask for it again if it is still needed")
    if status != PENDING:
        return f"The {request.what} for {request.user.name} was already {status}"
    return None


def _check_decider(request: RoleRequest, actor, expected_version: int | None) -> None:
    expect_version(request, expected_version)
    problem = decidable_problem(request)
    if problem:
        raise RuleError(problem, "decision")
    problem = decision_problem(request, actor)
    if problem:
        raise RuleError(problem, "decision")


def lapse(request: RoleRequest, *, actor) -> None:
    """Write down that a request lapsed, when someone tried to decide it after its time (audited once)."""
    if request.status == PENDING and request.status_now == LAPSED:
        mark_lapsed(request, actor=actor)
        db.session.flush()


def approve(request: RoleRequest, *, actor, expected_version: int | None) -> None:
    _check_decider(request, actor, expected_version)
    user = request.user
    if (user.role, user.agency_id) != (request.from_role, request.from_agency_id) and request.kind == "role":
        raise RuleError(f"{user.name}'s role or agency has changed since this was asked for: reject it and ask "
                        "again", "decision")
    if request.kind == "email" and user.email != request.from_email:
        raise RuleError(f"{user.name}'s email address has changed since this was asked for: reject it and ask "
                        "again", "decision")
    if request.kind == "new_account":
        _check_new_account(request, user)
    from . import mfa, services, set_password

    request.status, request.decided_by_id, request.decided_at = "approved", actor.id, now()
    _record(request, "approved", actor, detail=f"{_detail(request)}, created by user {created_by(user)}"
            if request.kind == "new_account" else None)
    if request.kind == "new_account":
        db.session.flush()
        set_password.send_link(user, actor=actor)  # the person chooses their own password; nobody else knows it
    elif request.kind == "sign_in_codes":
        mfa.reset(user, actor=actor, approved=True)
    else:
        data = audit.snapshot(user, services.USER_FIELDS)
        if request.kind == "email":
            data["email"] = request.to_email
        else:
            data.update(role=request.to_role, agency_id=request.to_agency_id)
        services.update_user(user, data, actor=actor, approved=True)
    db.session.flush()


def _check_new_account(request: RoleRequest, user: User) -> None:
    if (user.role, user.agency_id, user.email) != (request.to_role, request.to_agency_id, request.to_email):
        raise RuleError(f"{user.name}'s role, agency or email address has changed since this was asked for: ask "
                        "again for approval on their page", "decision")
    if not user.is_active_user:
        raise RuleError(f"{user.name}'s account is deactivated: reactivate it, then ask again", "decision")


def reject(request: RoleRequest, *, actor, expected_version: int | None) -> None:
    _check_decider(request, actor, expected_version)
    request.status, request.decided_by_id, request.decided_at = "rejected", actor.id, now()
    _record(request, "rejected", actor)
    if request.kind == "new_account" and request.user.is_active_user:
        from . import services

        services.set_user_active(request.user, False, actor=actor)  # never approved: nobody signs in to it
    db.session.flush()
