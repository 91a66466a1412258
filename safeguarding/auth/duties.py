"""Separation of duties: what one administrator may not do alone. Pure rules (no Flask, no database), so the
services and the tests read the same sentences.

Administrators see no case data. An administrator who could give an administrator's account a case role (their
own, or a colleague's who would return the favour) could open any child's record on their own say-so; so such a
change waits for a second administrator, who is neither the one who asked nor the one who gains the access.

The same holds for taking over an account that already has a case role. Whoever controls where its sign-in goes
(its email address: set-password links, and identity-provider sign-in, go by it), its sign-in codes or its password
can sign in as that person. So, for such an account, a new email address and a reset of sign-in codes wait for a
second administrator too, and an administrator never types its password (the person is emailed a link instead, to
the address they have now). And for another administrator's account: an administrator who took over a colleague's
account would be the "second administrator" for their own requests.

Creating an account is the same takeover from the start (the creator chooses its email address): an account an
administrator creates in the app has no password, and no set-password link can be sent, until a second
administrator, neither its creator nor the person, approves it. The command line (`flask create-user`, the first
administrator, operators who can read the database anyway) needs no approval.
"""
from __future__ import annotations

ADMIN = "admin"
CASE_ROLES = frozenset({"mash", "practitioner", "manager"})


def needs_second_administrator(current_role: str, new_role: str) -> bool:
    """True when the change would give an administrator's account a case role."""
    return current_role == ADMIN and new_role in CASE_ROLES


def guards_sign_in(role: str, pending_role: str | None = None) -> bool:
    """True when whoever could sign in to this account could open children's records: it has a case role, or a
    change to one is waiting for approval (so the takeover cannot be slipped in before the approval), or it is an
    administrator's, who approves the changes that give such access."""
    return role in CASE_ROLES or role == ADMIN or pending_role in CASE_ROLES


CASE_ROLE_SETTING_REFUSED = ("An administrator cannot set someone's password: whoever knew it could sign in as them "
                             "and open children's records, or approve changes that do. Email them a password link "
                             "instead")


def decision_problem(*, decider_id: int, decider_role: str, requested_by_id: int, user_id: int,
                     created_by_id: int | None = None) -> str | None:
    """Why this person may not approve or reject the request, or None if they may. `created_by_id`: for a new
    account, the administrator who created it (who may not be the one who asked again after a lapse)."""
    if decider_role != ADMIN:
        return "Only an administrator can decide this request"
    if decider_id == created_by_id:
        return "You created this account: another administrator must decide it"
    if decider_id == requested_by_id:
        return "You asked for this change: another administrator must decide it"
    if decider_id == user_id:
        return "This change is to your own account: another administrator must decide it"
    return None
