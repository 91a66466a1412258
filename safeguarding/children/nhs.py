"""NHS number validation (pure): 10 digits, the last a modulus 11 check digit, never one digit repeated."""
from __future__ import annotations

import re

from ..rule_error import RuleError


def normalise(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def _check_digit_matches(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def check_nhs_number(value: str) -> str:
    """The NHS number as 10 digits, or RuleError with a GOV.UK message.

    0000000000 and 1111111111 pass the modulus 11 check, and are what people type to get past a required field:
    accepted, they would make every such child "the same child" under the unique number."""
    digits = normalise(value)
    if not re.fullmatch(r"\d{10}", digits):
        raise RuleError("NHS number must be 10 digits, like 943 476 5919", "nhs_number")
    if len(set(digits)) == 1:
        raise RuleError("NHS number cannot be one digit repeated: enter the child's NHS number, or leave it blank "
                        "if it is not known", "nhs_number")
    if not _check_digit_matches(digits):
        raise RuleError("Enter a valid NHS number: 10 digits with a correct check digit", "nhs_number")
    return digits


def is_valid_nhs_number(value: str) -> bool:
    try:
        check_nhs_number(value)
    except RuleError:
        return False
    return True


def formatted(value: str | None) -> str:
    digits = normalise(value or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else (value or "")
