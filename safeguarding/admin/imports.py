"""Onboarding users and agencies from a CSV file: a dry run that shows what would change, then the same run for real.

Both runs go row by row through the services the admin forms use (`auth.services`), inside a savepoint, so an
imported row meets exactly the rules a typed one does (one email, one agency name, an existing agency, no one their
own line manager, nobody changing their own role...). The dry run then rolls everything back; the real run commits
in one transaction, and only when no row has an error. Matching is by email address (users) and name (agencies), so
applying the same file twice changes nothing the second time.
"""
from __future__ import annotations

import contextvars
import hashlib
import logging
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from .. import audit
from ..auth import duties, role_requests, services
from ..auth.models import AGENCY_KIND_LABELS, ROLE_LABELS, Agency, RoleRequest, User
from ..extensions import db
from ..service import RuleError
from .csv_import import AGENCY_COLUMNS, USER_COLUMNS, Column, ParsedFile, Row, parse, yes_no
from .forms import AgencyForm, UserForm

log = logging.getLogger("safeguarding.admin")

#: True while a dry run is under way: the services log each user and audit event they write, and the operator's log
#: must not say a user was created when the dry run rolled it back
_checking = contextvars.ContextVar("import_dry_run", default=False)


class _NotWhileChecking(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _checking.get()


for _name in ("safeguarding.audit", "safeguarding.auth"):
    logging.getLogger(_name).addFilter(_NotWhileChecking())

ROLES = tuple(r.value for r in ROLE_LABELS)
KINDS = tuple(k.value for k in AGENCY_KIND_LABELS)
#: a service's form field -> the file's column, so a broken rule is shown on the cell that breaks it
USER_FIELD_COLUMNS = {"name": "name", "email": "email", "agency_id": "agency", "job_title": "job_title",
                      "role": "role", "line_manager_id": "line_manager_email", "is_active_user": "active"}
AGENCY_FIELD_COLUMNS = {"name": "name", "kind": "kind", "shared_mailbox": "shared_mailbox", "is_active": "active"}
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class Kind:
    key: str
    columns: tuple[Column, ...]
    noun: str  # "users"


KINDS_OF_IMPORT = {"users": Kind("users", USER_COLUMNS, "users"),
                   "agencies": Kind("agencies", AGENCY_COLUMNS, "agencies")}


@dataclass
class RowResult:
    row: Row
    status: str | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[str | None, str]]:
        return self.row.errors


@dataclass
class ImportResult:
    kind: Kind
    digest: str
    problems: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.problems) + sum(len(r.errors) for r in self.rows)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status and not r.errors)

    @property
    def can_apply(self) -> bool:
        return not self.error_count and bool(self.rows)


def dry_run(kind: Kind, content: bytes, *, actor) -> ImportResult:
    """What applying the file would do, row by row; nothing is kept."""
    outer = db.session.begin_nested()
    token = _checking.set(True)
    try:
        return _run(kind, content, actor=actor)
    finally:
        _checking.reset(token)
        outer.rollback()


def apply(kind: Kind, content: bytes, *, actor) -> ImportResult:
    """The same run, kept (the caller's transaction commits it) when no row has an error; otherwise nothing changes
    and the result says why. One audit event names the file (by its SHA-256) and the counts."""
    outer = db.session.begin_nested()
    result = _run(kind, content, actor=actor)
    if not result.can_apply:
        outer.rollback()
        return result
    outer.commit()
    if kind.key == "users" and result.count(NEW):
        _announce_new_accounts(actor)
    audit.record("import", kind.key, None, user=actor,
                 detail=f"file sha256 {result.digest[:16]}: {result.count(NEW)} new, {result.count(UPDATED)} "
                        f"changed, {result.count(UNCHANGED)} unchanged")
    db.session.flush()
    log.info("import %s new=%s updated=%s unchanged=%s", kind.key, result.count(NEW), result.count(UPDATED),
             result.count(UNCHANGED))
    return result


def _announce_new_accounts(actor) -> None:
    """The other administrators hear once that the file's new accounts wait for approval, not once per person."""
    latest = db.session.execute(db.select(RoleRequest).where(
        RoleRequest.requested_by_id == actor.id, RoleRequest.kind == "new_account", RoleRequest.status == "pending")
        .order_by(RoleRequest.id.desc()).limit(1)).scalar_one_or_none()
    if latest is not None:
        role_requests.announce(latest)


def _run(kind: Kind, content: bytes, *, actor) -> ImportResult:
    parsed: ParsedFile = parse(content, kind.columns)
    result = ImportResult(kind=kind, digest=hashlib.sha256(content).hexdigest(), problems=parsed.problems)
    if parsed.problems:
        return result
    result.rows = [RowResult(row) for row in parsed.rows]
    _mark_repeats(result.rows, "email" if kind.key == "users" else "name")
    if kind.key == "users":
        _run_users(result.rows, actor)
    else:
        _run_agencies(result.rows, actor)
    return result


def _mark_repeats(rows: list[RowResult], column: str) -> None:
    first: dict[str, int] = {}
    for result in rows:
        key = result.row.cells.get(column, "").strip().lower()
        if not key:
            continue
        if key in first:
            result.row.error(column, f"{column} is the same as in row {first[key]}: each row must be a different "
                                     f"{'person' if column == 'email' else 'agency'}")
        else:
            first[key] = result.row.number


def _guarded(result: RowResult, fields: dict[str, str], work) -> None:
    """Run one row's change; a broken rule is shown on its column. The services check every rule before they change
    anything, so a refused row has written nothing and needs no savepoint of its own."""
    try:
        work()
    except RuleError as err:
        result.row.error(fields.get(err.field or "", None), err.message)
        result.status = None


def _form_errors(form, names: tuple[str, ...], fields: dict[str, str], row: Row) -> None:
    form.validate()
    for name in names:
        for message in getattr(form, name).errors:
            row.error(fields[name], message)


# --- Users ---------------------------------------------------------------------------------------------------


def _agencies_by_name() -> dict[str, Agency]:
    return {a.name.strip().lower(): a for a in db.session.execute(db.select(Agency)).scalars()}


def _users_by_email() -> dict[str, User]:
    """Every user, by lower-case email: one query for the file instead of one or two per row."""
    return {u.email.strip().lower(): u for u in db.session.execute(db.select(User)).scalars()}


def _check_user_cells(row: Row, agencies: dict[str, Agency]) -> dict | None:
    """The row as the service's data (without a line manager), or None when a cell is wrong (errors on the row)."""
    cells = row.cells
    form = UserForm(formdata=MultiDict({"name": cells.get("name", ""), "email": cells.get("email", ""),
                                        "job_title": cells.get("job_title", "")}), meta={"csrf": False})
    form.agency_id.choices, form.line_manager_id.choices = [], []
    _form_errors(form, ("name", "email", "job_title"), USER_FIELD_COLUMNS, row)
    agency = agencies.get(cells.get("agency", "").strip().lower())
    if not cells.get("agency"):
        row.error("agency", "Enter the agency's name")
    elif agency is None:
        row.error("agency", "No agency has this name: add it under Agencies first, or check the spelling")
    role = cells.get("role", "").strip().lower()
    if role not in ROLES:
        row.error("role", f"role must be one of: {', '.join(ROLES)}")
    active = yes_no(cells.get("active", ""))
    if active is None:
        row.error("active", "active must be yes or no")
    if row.errors:
        return None
    return {"name": form.name.data.strip(), "email": form.email.data.strip().lower(), "agency_id": agency.id,
            "job_title": (form.job_title.data or "").strip(), "role": role, "is_active_user": active}


def _run_users(results: list[RowResult], actor) -> None:
    agencies, users = _agencies_by_name(), _users_by_email()
    in_file = {r.row.cells.get("email", "").strip().lower() for r in results}
    pending_managers: list[tuple[RowResult, User, str]] = []
    for result in results:
        data = None if result.row.errors else _check_user_cells(result.row, agencies)
        manager_email = result.row.cells.get("line_manager_email", "").strip().lower()
        manager = users.get(manager_email) if manager_email else None
        if manager_email and manager is None and manager_email not in in_file:
            result.row.error("line_manager_email", "No user has this email address, here or in this file")
        elif manager is not None and not manager.is_active_user:
            # the admin form offers only active people as line managers: overdue work must reach someone
            result.row.error("line_manager_email", "This line manager's account is deactivated: choose someone active")
        if data is None or result.row.errors:
            continue
        existing = users.get(data["email"])
        # A manager added by this file exists only after its own row: the link is made in a second pass.
        later = bool(manager_email) and manager is None
        if existing is None:
            data["line_manager_id"] = manager.id if manager else None
            _guarded(result, USER_FIELD_COLUMNS, lambda d=data, r=result: _create_user(r, d, actor, users))
        else:
            data["line_manager_id"] = existing.line_manager_id if later else (manager.id if manager else None)
            _guarded(result, USER_FIELD_COLUMNS, lambda u=existing, d=data, r=result: _update_user(r, u, d, actor))
        if later and result.status:
            pending_managers.append((result, users[data["email"]], manager_email))
    for result, user, manager_email in pending_managers:
        manager = users.get(manager_email)
        if manager is None:  # its own row had an error
            result.row.error("line_manager_email", "The line manager's own row has an error: fix that row first")
            continue
        data = audit.snapshot(user, services.USER_FIELDS)
        data["line_manager_id"] = manager.id
        _guarded(result, USER_FIELD_COLUMNS, lambda u=user, d=data, r=result: _update_user(r, u, d, actor))


def _create_user(result: RowResult, data: dict, actor, users: dict[str, User]) -> None:
    users[data["email"]] = services.create_user_awaiting_password(data, actor=actor)
    result.status = NEW


def _update_user(result: RowResult, user: User, data: dict, actor) -> None:
    if duties.needs_second_administrator(user.role, data.get("role", user.role)):
        # On the user's page this becomes a request for a second administrator; a file applied in one go has no
        # such step, so the row is refused rather than half-applied.
        raise RuleError("An administrator's account gets a case role only with a second administrator's approval: "
                        "change it on the user's page", "role")
    changes = services.update_user(user, data, actor=actor)
    columns = [USER_FIELD_COLUMNS.get(name, name) for name in changes]
    if result.status == NEW:
        return  # a new user's line manager, linked in the second pass
    result.changed = sorted(set(result.changed) | set(columns))
    result.status = UPDATED if result.changed else UNCHANGED


# --- Agencies ------------------------------------------------------------------------------------------------


def _run_agencies(results: list[RowResult], actor) -> None:
    agencies = _agencies_by_name()
    for result in results:
        if result.row.errors:
            continue
        cells = result.row.cells
        kind = cells.get("kind", "").strip().lower()
        active = yes_no(cells.get("active", ""))
        form = AgencyForm(formdata=MultiDict({"name": cells.get("name", ""), "kind": kind,
                                              "shared_mailbox": cells.get("shared_mailbox", "")}),
                          meta={"csrf": False})
        form.safeguarding_lead_id.choices = []
        _form_errors(form, ("name", "shared_mailbox"), AGENCY_FIELD_COLUMNS, result.row)
        if kind not in KINDS:
            result.row.error("kind", f"kind must be one of: {', '.join(KINDS)}")
        if active is None:
            result.row.error("active", "active must be yes or no")
        if result.row.errors:
            continue
        existing = agencies.get(form.name.data.strip().lower())
        data = {"name": form.name.data.strip(), "kind": kind,
                "shared_mailbox": (form.shared_mailbox.data or "").strip() or None, "is_active": active,
                "safeguarding_lead_id": existing.safeguarding_lead_id if existing else None}
        if existing is None:
            _guarded(result, AGENCY_FIELD_COLUMNS, lambda d=data, r=result: _create_agency(r, d, actor))
        else:
            _guarded(result, AGENCY_FIELD_COLUMNS,
                          lambda a=existing, d=data, r=result: _update_agency(r, a, d, actor))


def _create_agency(result: RowResult, data: dict, actor) -> None:
    services.create_agency(data, actor=actor)
    result.status = NEW


def _update_agency(result: RowResult, agency: Agency, data: dict, actor) -> None:
    changes = services.update_agency(agency, data, actor=actor)
    result.changed = sorted(AGENCY_FIELD_COLUMNS.get(name, name) for name in changes)
    result.status = UPDATED if result.changed else UNCHANGED
