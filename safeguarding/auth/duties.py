"""Separation of duties: what one administrator may not do alone. Pure rules (no Flask, no database), so the
services and the tests read the same sentences.

Administrators see no case data. An administrator who could give an administrator's account a case role (their
own, or a colleague's who would return the favour) could open any child's record on their own say-so; so such a
change waits for a second administrator, who is neither the one who asked nor the one who gains the access.
"""
from __future__ import annotations

ADMIN = "admin"
CASE_ROLES = frozenset({"mash", "practitioner", "manager"})


def needs_second_administrator(current_role: str, new_role: str) -> bool:
    """True when the change would give an administrator's account a case role."""
    return current_role == ADMIN and new_role in CASE_ROLES


def decision_problem(*, decider_id: int, decider_role: str, requested_by_id: int, user_id: int) -> str | None:
    """Why this person may not approve or reject the request, or None if they may."""
    if decider_role != ADMIN:
        return "Only an administrator can decide a change of role"
    if decider_id == requested_by_id:
        return "You asked for this change: another administrator must decide it"
    if decider_id == user_id:
        return "This change is to your own account: another administrator must decide it"
    return None
