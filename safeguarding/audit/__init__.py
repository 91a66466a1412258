"""Append-only audit trail: who viewed or changed what, when, from where."""
from .services import changes_between, commit_view, record, record_view, shown, snapshot  # noqa: F401
