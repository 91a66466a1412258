"""A second factor for every sign-in: a time-based code from an authenticator app (TOTP, RFC 6238, via pyotp), or
one of ten single-use recovery codes. After the password is right the person is only half signed in: their id waits
in the (signed) session cookie for five minutes, and nothing but the code pages is open to them.

Codes are checked against the one clock (`clock.now()`), one 30-second step either side, and each step is accepted
once. Wrong codes count towards the same account lock as wrong passwords.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pyotp
import segno
from flask import current_app, session
from sqlalchemy import delete, select

from .. import audit
from ..clock import now
from ..extensions import db
from ..service import RuleError
from .models import RecoveryCode, User

PENDING_KEY, PENDING_AT, NEXT_KEY = "mfa_user", "mfa_at", "mfa_next"
#: how long the half-signed-in state lasts after the password was right
PENDING_FOR = timedelta(minutes=5)
RECOVERY_CODES = 10
ISSUER = "Strategy Discussion Coordinator"
#: The one authenticator key every demo user holds, printed in the README so that a phone can be set up for the
#: demo (and `make code` still works). Production configuration refuses any account that holds it. (Bandit's B105
#: "hard-coded password" is right that it is public: that is the point.)
DEMO_SECRET = "DEMOSDCDEMOSDCDEMOSDCDEMOSDCDEMO"  # nosec B105


def required() -> bool:
    return bool(current_app.config.get("MFA_REQUIRED", True))


# --- The half-signed-in state ----------------------------------------------------------------------------------


def begin(user: User, next_url: str | None) -> None:
    session.clear()
    session[PENDING_KEY] = user.id
    session[PENDING_AT] = now().timestamp()
    if next_url:
        session[NEXT_KEY] = next_url


def pending_user() -> User | None:
    user_id, started = session.get(PENDING_KEY), session.get(PENDING_AT)
    if not user_id or not started or now().timestamp() - float(started) > PENDING_FOR.total_seconds():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def pending_next() -> str | None:
    return session.get(NEXT_KEY)


# --- Codes -----------------------------------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def provisioning_uri(user: User) -> str:
    return _totp(user.mfa_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(user: User) -> str:
    """The set-up QR code as a data: URI for an <img> (no request, the secret never leaves this page)."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5)


def start_setup(user: User) -> None:
    """A new secret for a person who has none in force (first sign-in, or after an administrator's reset)."""
    if user.mfa_enrolled_at is None and not user.mfa_secret:
        user.mfa_secret = pyotp.random_base32()
        db.session.flush()


def current_code(secret: str) -> str:
    return _totp(secret).at(now())


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp, moment = _totp(secret), now()
    for offset in (0, -1, 1):
        at = moment + timedelta(seconds=30 * offset)
        if secrets.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


def check_code(user: User, code: str) -> bool:
    """True when `code` is the authenticator's code for now (a step not used before). The caller commits."""
    if not user.mfa_secret:
        return False
    step = _matching_step(user.mfa_secret, code)
    if step is None or step <= (user.mfa_last_step or 0):
        return False
    user.mfa_last_step = step
    return True


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace(" ", "").encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working), shown once; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join(secrets.token_hex(3) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    db.session.add_all([RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes])
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    row = db.session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = now()
    audit.record("mfa_recovery_code_used", "user", user.id, user=user)
    return True


def confirm_setup(user: User, code: str) -> list[str] | None:
    """The first code from the app proves it holds the secret: codes are in force from now. Returns the recovery
    codes to show once, or None if the code was wrong."""
    if user.mfa_enrolled_at is not None or not check_code(user, code):
        return None
    user.mfa_enrolled_at = now()
    codes = new_recovery_codes(user)
    audit.record("mfa_enrolled", "user", user.id, user=user)
    return codes


def reset(user: User, *, actor, approved: bool = False, how: str = "") -> None:
    """An administrator's reset (phone lost and recovery codes too): the person sets up again at next sign-in.

    For someone with a case role, only as a second administrator's approval (`role_requests.request_codes_reset`):
    codes reset by one administrator, with a password link to an address they control, would let them sign in as
    that person."""
    from . import role_requests

    if actor is not None and not approved and role_requests.guards_sign_in(user):
        raise RuleError(f"Resetting {user.name}'s sign-in codes needs a second administrator", "decision")
    user.mfa_secret, user.mfa_enrolled_at, user.mfa_last_step, user.mfa_reset_at = None, None, 0, now()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    from . import sessions

    ended = sessions.end_all_for(user.id, "mfa_reset")
    audit.record("mfa_reset", "user", user.id, user=actor,
                 detail=f"{how}; {ended} session(s) ended"[:300] if how else f"{ended} session(s) ended")
    db.session.flush()


def demo_secret_allowed() -> bool:
    return bool(current_app.config.get("DEMO_TOTP_SECRET_ALLOWED", False))


def holds_refused_demo_secret(user: User) -> bool:
    """True when this account's codes come from the published demo key and this is not a demo: no code (and no
    recovery code) may then sign it in; an administrator resets its codes."""
    return user.mfa_secret == DEMO_SECRET and not demo_secret_allowed()


def enrol_for_demo(user: User) -> None:
    """Demo users start enrolled with the README's demo key (a phone can add it; `flask mfa-code EMAIL` prints the
    current code), so the demo can be tried with or without a phone; real users enrol on first sign-in."""
    if not demo_secret_allowed():
        raise RuntimeError("the demo authenticator key is refused in this configuration")
    user.mfa_secret = DEMO_SECRET
    user.mfa_enrolled_at = user.mfa_enrolled_at or now()
