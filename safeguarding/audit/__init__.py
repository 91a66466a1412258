"""Append-only audit trail: who viewed or changed what, when, from where."""
from .services import record, record_view, snapshot, changes_between  # noqa: F401
