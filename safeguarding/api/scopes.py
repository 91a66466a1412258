"""What an API client may do: read and/or write, per resource. Pure: no Flask, no database."""
from __future__ import annotations

#: resource -> (label, what writing means there); reading is always the list and detail endpoints
RESOURCES: dict[str, tuple[str, str]] = {
    "children": ("Children", "add children"),
    "missing": ("Missing episodes", "report children missing and found"),
    "discussions": ("Strategy discussions and decisions", ""),
    "actions": ("Agreed actions", "complete their agency's actions"),
    "deadlines": ("Deadlines due", ""),
    "referrals": ("Referrals", "send referrals in"),
}
ACCESS = ("read", "write")


def scope_name(resource: str, access: str) -> str:
    return f"{resource}:{access}"


def all_scopes() -> list[tuple[str, str]]:
    """(scope, label) for every scope a client may be given; resources nobody writes through have no write scope."""
    found = []
    for resource, (label, writes) in RESOURCES.items():
        if resource != "referrals":
            found.append((scope_name(resource, "read"), f"{label}: read"))
        if writes:
            found.append((scope_name(resource, "write"), f"{label}: {writes}"))
    return found


def allows(granted: list[str] | None, resource: str, access: str) -> bool:
    return scope_name(resource, access) in set(granted or ())
