"""Client tokens: long random secrets, stored only as their SHA-256 (a slow hash adds nothing to 256 random bits)."""
from __future__ import annotations

import hashlib
import secrets

#: recognisable in a leaked log or a secret scanner's rules
PREFIX = "sdc_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def shown_part(token: str) -> str:
    """The start of a token, kept so an administrator can tell which token a system holds without the secret."""
    return token[: len(PREFIX) + 6]
