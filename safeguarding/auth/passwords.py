"""Password hashing (Argon2id) and the password policy (NCSC: length and a deny-list, no composition rules,
no forced expiry)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory defaults
#: verifying against this keeps a failed sign-in for an unknown email as slow as one for a known email
_DUMMY_HASH = _hasher.hash("not-a-real-password-used-for-timing")

#: words that make a password guessable in this service in particular
CONTEXT_WORDS = ("safeguarding", "strategy", "discussion", "children", "police", "mash", "partnership", "social")


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines()
                     if line.strip() and not line.startswith("#"))


#: stored for a user who has no password yet (imported): no Argon2 hash, so no password ever matches it
# A marker that matches no password (bandit B105)
NO_PASSWORD = "!no-password-yet"  # nosec B105


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def _core(password: str) -> str:
    """The password with case, leading/trailing digits and symbols removed: 'Password123!' -> 'password'."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def _local_words() -> tuple[str, ...]:
    """The partnership's own name ("Northshire-2026!" is the first thing an attacker here tries)."""
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover
        return ()
    if not has_app_context():
        return ()
    name = str(current_app.config.get("PARTNERSHIP_NAME", ""))
    return tuple(w for w in re.findall(r"[a-z]+", name.lower()) if len(w) >= 4)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """A GOV.UK-style error message if the password is not acceptable, otherwise None."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    common = _common()
    if lowered in common or _core(password) in common or len(set(lowered)) <= 3:
        return "Password is too easy to guess. Try three random words together"
    core = _core(password)
    if core and any(core == word or core.replace(" ", "") == word for word in CONTEXT_WORDS + _local_words()):
        return "Password must not be a word to do with this service. Try three random words together"
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or any(
        len(part) >= 4 and part.lower() in lowered for part in name.split()
    ):
        return "Password must not contain your name or email address"
    return None
