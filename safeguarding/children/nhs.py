"""NHS number validation (pure): 10 digits, the last a modulus 11 check digit."""
from __future__ import annotations

import re


def normalise(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def is_valid_nhs_number(value: str) -> bool:
    digits = normalise(value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def formatted(value: str | None) -> str:
    digits = normalise(value or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else (value or "")
