"""Every write about people, agencies and sign-in: validates, changes, audits, logs one line.

Services flush and never commit: the caller's `transaction()` commits the change with its audit events.
"""
from __future__ import annotations

import logging

from datetime import timedelta

from sqlalchemy import func, update

from .. import audit
from ..clock import now
from ..extensions import db
from ..service import RuleError
from . import duties, passwords, role_requests, sessions
from .models import Agency, Role, User

log = logging.getLogger("safeguarding.auth")

USER_FIELDS = ("name", "email", "agency_id", "job_title", "role", "line_manager_id", "is_active_user")
AGENCY_FIELDS = ("name", "kind", "shared_mailbox", "is_active", "safeguarding_lead_id")


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()


#: wrong passwords in a row, from any address, before an account is locked for LOCK_MINUTES (ASVS 2.2.1); the
#: per-address limit (LOGIN_RATE_LIMIT) still applies on top
LOCK_AFTER_FAILURES = 10
LOCK_MINUTES = 15


def sign_in(email: str, password: str, *, complete: bool = True) -> User | None:
    """The user if the email and password match an active, unlocked account; audited either way.

    The caller shows one message for every failure (locked included), so nobody can learn which emails have
    accounts, and commits either way: a failed attempt is audited and counted even though nothing else changes.
    With `complete=False` (a second factor follows) nothing else happens yet: `complete_sign_in` does the rest once
    the code is right, and the count of failures is not reset by the password alone.
    """
    user = find_user_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is not None and user.locked_until is not None and user.locked_until > now():
        audit.record("sign_in_failed", "user", user.id, user=user, detail="account locked after wrong passwords")
        return None
    if not ok or user is None or not user.is_active:
        if user is not None and not ok:
            _count_failure(user)
        audit.record("sign_in_failed", "user", user.id if user else None, user=user,
                     detail=("inactive account" if ok and user else "bad email or password"))
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if not complete:
        audit.record("sign_in_password_ok", "user", user.id, user=user, detail="second factor next")
        db.session.flush()
        return user
    return complete_sign_in(user)


def second_factor_failed(user: User, detail: str) -> None:
    """A wrong authenticator or recovery code: audited, and counted towards the same lock as wrong passwords."""
    _count_failure(user)
    audit.record("sign_in_failed", "user", user.id, user=user, detail=detail)
    db.session.flush()


def locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > now()


def complete_sign_in(user: User, method: str | None = None) -> User:
    """Start the signed-in session (after the password, and the code when one is required)."""
    user.failed_sign_ins, user.locked_until = 0, None
    user.last_sign_in_at = now()
    sessions.start(user)
    audit.record("sign_in", "user", user.id, user=user, detail=method)
    db.session.flush()
    log.info("sign-in user=%s", user.id)
    return user


def _count_failure(user: User) -> None:
    """One more wrong password for this account, counted in the database (atomic, whichever process answers)."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_sign_ins=User.failed_sign_ins + 1))
    db.session.refresh(user, ["failed_sign_ins"])
    if user.failed_sign_ins >= LOCK_AFTER_FAILURES:
        user.failed_sign_ins, user.locked_until = 0, now() + timedelta(minutes=LOCK_MINUTES)
        audit.record("account_locked", "user", user.id, user=user,
                     detail=f"{LOCK_AFTER_FAILURES} wrong passwords in a row; locked for {LOCK_MINUTES} minutes")
        log.warning("account locked user=%s", user.id)


def sign_out(user: User) -> None:
    sessions.end_current("signed_out")
    audit.record("sign_out", "user", user.id, user=user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise RuleError("Your current password is not right", "current_password")
    problem = passwords.password_problem(new, email=user.email, name=user.name)
    if problem:
        raise RuleError(problem, "new_password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = now()
    user.must_change_password = False
    ended = sessions.end_all_for(user.id, "password_changed")
    audit.record("password_changed", "user", user.id, user=user, detail=f"{ended} session(s) ended")
    sessions.start(user)  # keep this browser signed in with a fresh session
    db.session.flush()


def _check_user_rules(data: dict, user: User | None = None) -> None:
    email = data["email"].strip().lower()
    other = find_user_by_email(email)
    if other is not None and (user is None or other.id != user.id):
        raise RuleError("A user with this email address already exists", "email")
    if data.get("line_manager_id") and user is not None and data["line_manager_id"] == user.id:
        raise RuleError("A user cannot be their own line manager", "line_manager_id")
    if data["role"] not in {r.value for r in Role}:
        raise RuleError("Select a role", "role")
    # The form offers only existing agencies and people, but a stale or altered page can still send others.
    if db.session.get(Agency, data.get("agency_id") or 0) is None:
        raise RuleError("Select an agency", "agency_id")
    manager_id = data.get("line_manager_id")
    if manager_id and db.session.get(User, manager_id) is None:
        raise RuleError("Select a line manager from the list", "line_manager_id")


#: an administrator in the app never types a new person's password (the command line, with no actor, does)
TYPED_FIRST_REFUSED = ("An administrator cannot choose a new person's password: they are emailed a link to choose "
                       "their own once a second administrator approves the account")


def create_user(data: dict, password: str | None, *, actor=None, chosen_by_owner: bool = False) -> User:
    """`chosen_by_owner`: the password was typed by the person themselves (the first administrator at the command
    line, demo users); otherwise it was chosen for them and they must replace it at first sign-in.
    No password: nobody knows one yet. Created by an administrator in the app (`actor`): always no password, and
    the account waits for a second administrator's approval (`role_requests.request_new_account`), which emails the
    person a set-password link. The command line and fixtures (no actor) need no approval."""
    _check_user_rules(data)
    if actor is not None and password is not None:
        raise RuleError(TYPED_FIRST_REFUSED, "password")
    if password is not None:
        problem = passwords.password_problem(password, email=data["email"], name=data["name"])
        if problem:
            raise RuleError(problem, "password")
    user = User(**{k: v for k, v in data.items() if k in USER_FIELDS})
    user.email = user.email.strip().lower()
    if password is None:
        from .set_password import unusable_password

        user.password_hash = unusable_password()
        user.must_change_password = False  # they choose it through the link
    else:
        user.password_hash = passwords.hash_password(password)
        user.must_change_password = not chosen_by_owner  # only its owner should know a password
    user.password_changed_at = now()
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(user, USER_FIELDS)))
    db.session.flush()
    if actor is not None:
        role_requests.request_new_account(user, actor=actor)
    log.info("user created id=%s", user.id)
    return user


def create_user_awaiting_password(data: dict, *, actor=None, how: str = "import") -> User:
    """A user with no password yet (onboarding from a file): the same rules as `create_user`, and no way to sign in
    until a second administrator approves the account (`role_requests`; one notice for the whole file, so `actor`'s
    requests are announced by the caller), which emails the person a link to choose their password."""
    _check_user_rules(data)
    user = User(**{k: v for k, v in data.items() if k in USER_FIELDS})
    user.email = user.email.strip().lower()
    user.password_hash = passwords.NO_PASSWORD
    user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, user=actor, detail=how,
                 changes=audit.changes_between({}, audit.snapshot(user, USER_FIELDS)))
    db.session.flush()
    if actor is not None:
        role_requests.request_new_account(user, actor=actor, notify=False)
    log.info("user created id=%s by %s", user.id, how)
    return user


def update_user(user: User, data: dict, *, actor=None, approved: bool = False) -> dict:
    """Apply an administrator's edit. A case role for an administrator's account, and a new email address for an
    account with a case role (or waiting for one), are not applied: each becomes a request that a second
    administrator decides (`role_requests`, `duties`); `approved` is that decision. The rest of the edit is saved."""
    _check_user_rules(data, user)
    new_role = data.get("role", user.role)
    # A new account not yet approved: nobody can sign in to it, and its approval is asked for again as it is after
    # the edit (`account_changed`), so a change of its role or address needs no request of its own.
    new_email = str(data.get("email", user.email)).strip().lower()
    guarded = actor is not None and not approved and (
        duties.needs_second_administrator(user.role, new_role) or new_email != user.email
    ) and role_requests.account_waiting(user) is None
    if guarded and duties.needs_second_administrator(user.role, new_role):
        role_requests.request_change(user, new_role, data.get("agency_id", user.agency_id), actor=actor)
        data = {k: v for k, v in data.items() if k not in ("role", "agency_id")}
    if guarded and new_email != user.email and role_requests.guards_sign_in(user):
        # Their sign-in and password links go to this address: whoever controls it could become them.
        role_requests.request_email_change(user, new_email, actor=actor)
        data = {k: v for k, v in data.items() if k != "email"}
    if actor is not None and actor.id == user.id and not approved and (
            data.get("role", user.role) != user.role or data.get("agency_id", user.agency_id) != user.agency_id):
        # Their own agency or (administrator) role: another administrator makes that change, and the trail shows who.
        raise RuleError("You cannot change your own role or agency: ask another administrator", "role")
    if actor is not None and actor.id == user.id and data.get("is_active_user", True) is False:
        raise RuleError("You cannot deactivate your own account", "is_active_user")
    before = audit.snapshot(user, USER_FIELDS)
    for key in USER_FIELDS:
        if key in data:
            setattr(user, key, data[key])
    user.email = user.email.strip().lower()
    changes = audit.changes_between(before, audit.snapshot(user, USER_FIELDS))
    if changes:
        if "is_active_user" in changes and not user.is_active_user:
            sessions.end_all_for(user.id, "deactivated")
        audit.record("update", "user", user.id, user=actor, changes=changes)
    db.session.flush()
    if actor is not None and changes.keys() & {"role", "agency_id", "email"}:
        role_requests.account_changed(user, actor=actor)
    return changes


def set_user_active(user: User, active: bool, *, actor=None) -> None:
    data = audit.snapshot(user, USER_FIELDS)
    data["is_active_user"] = active
    update_user(user, data, actor=actor)


def reset_password(user: User, password: str, *, actor=None) -> None:
    """A password an administrator typed (`actor`), or the command line's (no actor). Never, from an administrator,
    for someone with a case role: they are emailed a link instead (`duties.CASE_ROLE_SETTING_REFUSED`)."""
    if actor is not None and role_requests.guards_sign_in(user):
        raise RuleError(duties.CASE_ROLE_SETTING_REFUSED, "password")
    problem = passwords.password_problem(password, email=user.email, name=user.name)
    if problem:
        raise RuleError(problem, "password")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now()
    user.must_change_password = True  # the administrator knows it; the person chooses their own at next sign-in
    user.failed_sign_ins, user.locked_until = 0, None
    ended = sessions.end_all_for(user.id, "password_changed")
    audit.record("password_reset", "user", user.id, user=actor, detail=f"{ended} session(s) ended")
    db.session.flush()


def _check_agency_rules(data: dict, agency: Agency | None = None) -> None:
    other = db.session.execute(
        db.select(Agency).where(func.lower(Agency.name) == data["name"].strip().lower())
    ).scalar_one_or_none()
    if other is not None and (agency is None or other.id != agency.id):
        raise RuleError("An agency with this name already exists", "name")
    lead_id = data.get("safeguarding_lead_id")
    if lead_id is not None:
        lead = db.session.get(User, lead_id)
        if lead is None or not lead.is_active_user or agency is None or lead.agency_id != agency.id:
            raise RuleError("Select a safeguarding lead from this agency's active staff", "safeguarding_lead_id")


def create_agency(data: dict, *, actor=None) -> Agency:
    _check_agency_rules(data)
    agency = Agency(**{k: v for k, v in data.items() if k in AGENCY_FIELDS})
    agency.name = agency.name.strip()
    db.session.add(agency)
    db.session.flush()
    audit.record("create", "agency", agency.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(agency, AGENCY_FIELDS)))
    db.session.flush()
    return agency


def update_agency(agency: Agency, data: dict, *, actor=None) -> dict:
    _check_agency_rules(data, agency)
    before = audit.snapshot(agency, AGENCY_FIELDS)
    for key in AGENCY_FIELDS:
        if key in data:
            setattr(agency, key, data[key])
    agency.name = agency.name.strip()
    changes = audit.changes_between(before, audit.snapshot(agency, AGENCY_FIELDS))
    if changes:
        audit.record("update", "agency", agency.id, user=actor, changes=changes)
    db.session.flush()
    return changes
