"""Open deadlines kept as rows (`OpenDeadline`), so My work costs what it shows, not what the partnership holds.

My work asked every deadline provider about every kind for the person and their team: sixteen sources counted in
one statement, each read up to the end of the page, and the derived clocks (conference checkpoints in working days,
police protection's hours) read whole; 29 statements and 50 ms for a CSC manager at ten times the largest
partnership. Each provider now also says, per kind of record its clocks belong to (`KeptObject`), how to work out
those records' deadlines whatever the time (`KeptPart.build`: each deadline with the moment it stops being open by
itself, if any) and which changes can move them (`Watch`). Every transaction that inserts, changes or deletes such
a row rebuilds those records' deadlines before it commits (`_before_commit`), and My work reads the rows: one
statement counts a person's or a team's and reads a page of them (`counted_page_owned`), and only the page's
records are read to show them (`show`).

Rebuilt, not patched: a record's deadlines are worked out again from the record, so they always equal what the
provider gives; `differences()` compares the table with a rebuild of everything (`flask check-open-deadlines`, the
scheduler each night, and after every test, which also checks that the rows still open now are exactly what the
providers' own `open_deadlines` give). Writes that bypass the ORM (the synthetic partnership's bulk load) call
`rebuild_all()`. The reminder sweep still asks the providers: it reads by due time across everyone, which their
indexes already serve.
"""
from __future__ import annotations

import contextlib
import functools
import heapq
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable, Collection, Iterable

from flask import has_app_context
from sqlalchemy import and_, bindparam, delete, event, insert, or_, select, union_all
from sqlalchemy.orm import Session, scoped_session

from .. import clock, deadlines
from ..counting import count_where
from ..deadlines import Deadline
from ..extensions import db
from ..id_lists import among, among_bound, ids_value
from ..row_events import listen_for_writes, noting
from .models import OpenDeadline

#: records rebuilt per statement: bounded parameters whatever a transaction touched (an import)
BATCH = 500
#: "whenever": the providers are asked for deadlines due before this to get all of them
FAR = datetime(2999, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class KeptPart:
    """Some of a record type's kinds: `build(ids)` gives the open deadlines of those kinds of the records `ids`
    (None: of every record), each with the moment it stops being open by itself (None: only a change stops it)."""

    kinds: frozenset[str]
    build: Callable[[list[int] | None], list[tuple[Deadline, datetime | None]]]


@dataclass(frozen=True)
class KeptObject:
    """A type of record deadlines belong to (`Deadline.object_type`), its model (whose rows are locked while they
    are rebuilt) and its parts."""

    object_type: str
    model: type
    parts: tuple[KeptPart, ...]
    #: PostgreSQL: a SELECT ... FOR SHARE of the rows these records' deadlines also depend on (a decision's
    #: discussion: its chair owns them, its cancellation ends one), from a list of ids, taken before the records: a
    #: decision recorded while its discussion's chair changes waits for that change rather than reading the chair
    #: it replaces (the change's own rebuild lists the discussion's decisions before this one exists)
    parents: Callable[[list[int]], object] | None = None

    def build(self, ids: list[int] | None,
              kinds: Collection[str] | None = None) -> list[tuple[Deadline, datetime | None]]:
        return [found for part in self.parts if kinds is None or part.kinds & set(kinds)
                for found in part.build(ids)]


@dataclass(frozen=True)
class Watch:
    """A model whose rows move the deadlines of records of `object_type`: when one is inserted, deleted, or changes
    one of `attrs` (None: any column), the records named by its `key` column's old and new values are rebuilt;
    `expand`: a SELECT of those records' ids from a list of key values, when the key names something else (a
    discussion, for its decisions)."""

    model: type
    object_type: str
    key: str = "id"
    attrs: tuple[str, ...] | None = None
    expand: Callable[[list[int]], object] | None = None


def only(query, column, ids: list[int] | None):
    """`query` narrowed to the records `ids` (None: all of them)."""
    return query if ids is None else query.where(among(column, ids))


def always(found: list[Deadline]) -> list[tuple[Deadline, None]]:
    """Deadlines that stay open until a change closes them."""
    return [(d, None) for d in found]


def kept_providers() -> list:
    return [module for module in deadlines.providers() if getattr(module, "KEPT", None)]


def _objects() -> dict[str, KeptObject]:
    return {kept.object_type: kept for module in kept_providers() for kept in module.KEPT}


def row_of(deadline: Deadline, until: datetime | None) -> dict:
    return {"object_type": deadline.object_type, "object_id": deadline.object_id, "kind": deadline.kind,
            "due_at": clock.ensure_utc(deadline.due_at), "until": clock.ensure_utc(until) if until else None,
            "owner_id": None if deadline.team_mailbox else deadline.owner_id,
            "team_agency_id": deadline.owner_agency_id if deadline.team_mailbox else None}


# --- Rebuilding ---------------------------------------------------------------------------------------------------


def rebuild(session: Session, touched: dict[str, set[int]]) -> None:
    """Work out again the deadlines of these records from the records, in the current transaction. On PostgreSQL
    the records' rows are locked first (FOR NO KEY UPDATE, in id order, as a change to them would; the rows they
    depend on FOR SHARE before them), so two transactions rebuilding the same record take turns and the second
    rebuilds from what the first committed: an offer recorded for an interview while someone assigns it could
    otherwise leave the deadline of either's view, or keep it twice (tests/test_open_deadlines_kept.py)."""
    objects = _objects()
    connection = session.connection()
    with _reading_through(session):
        for object_type in sorted(touched):
            kept = objects.get(object_type)
            ids = sorted(touched[object_type])
            if kept is None or not ids:
                continue
            for start in range(0, len(ids), BATCH):
                batch = ids[start:start + BATCH]
                if connection.dialect.name == "postgresql":
                    if kept.parents is not None:
                        connection.execute(kept.parents(batch))
                    key = kept.model.__mapper__.primary_key[0]
                    connection.execute(select(key).where(key.in_(batch)).order_by(key)
                                       .with_for_update(key_share=True))
                # What the session holds may be older than what is saved now, after the locks (an interview it read
                # before someone else reassigned it keeps the old assignee), and the ORM does not overwrite what it
                # holds with what it reads again: every deadline is worked out from the rows as they are now.
                session.expire_all()
                connection.execute(delete(OpenDeadline).where(OpenDeadline.object_type == object_type,
                                                              OpenDeadline.object_id.in_(batch)))
                rows = [row_of(d, until) for d, until in kept.build(batch)]
                if rows:
                    connection.execute(insert(OpenDeadline), rows)


def rebuild_all(session: Session) -> int:
    """Every record's deadlines from the records (after a bulk load that bypassed the ORM, or a repair); returns
    the rows written. On PostgreSQL the table is locked against every other change to it first, so a record's
    rebuild under way is waited for and none can interleave with this one."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE open_deadline IN SHARE ROW EXCLUSIVE MODE")
    connection.execute(delete(OpenDeadline))
    with _reading_through(session):
        rows = _everything()
    for start in range(0, len(rows), BATCH):
        connection.execute(insert(OpenDeadline), rows[start:start + BATCH])
    return len(rows)


def _everything() -> list[dict]:
    # read as saved now, not as this session first read them (the nightly check reads twice, the second time with
    # the table held)
    db.session.expire_all()
    return [row_of(d, until) for kept in _objects().values() for d, until in kept.build(None)]


_FIELDS = ("object_type", "object_id", "kind", "due_at", "until", "owner_id", "team_agency_id")


def _as_tuple(row: dict) -> tuple:
    return tuple(row[name] for name in _FIELDS)


def differences(session: Session, limit: int = 20) -> tuple[list, list]:
    """(deadlines the records give that the table lacks, rows the table has that the records do not give): both
    empty when the table is true. At most `limit` of each. (A deadline kept twice cannot be: one row per record and
    kind is a unique index.)"""
    with _reading_through(session):
        given = {_as_tuple(row) for row in _everything()}
    kept_rows = [tuple(clock.ensure_utc(v) if isinstance(v, datetime) else v for v in row)
                 for row in session.execute(select(*(getattr(OpenDeadline, name) for name in _FIELDS))).all()]
    kept = set(kept_rows)
    missing = sorted(given - kept, key=_sort_key)[:limit]
    extra = sorted(kept - given, key=_sort_key)[:limit]
    return missing, extra


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, v if v is not None else 0) for v in row)


def providers_disagree(session: Session, at: datetime) -> tuple[list, list]:
    """(open now by the providers but not by the table, open now by the table but not by the providers): what My
    work would miss or show wrongly. Compares the table, as it reads at `at`, with the kept providers' own
    `open_deadlines`."""
    given = set()
    with _reading_through(session):
        for module in kept_providers():
            for d in module.open_deadlines(due_before=FAR):
                row = row_of(d, None)
                given.add((row["object_type"], row["object_id"], row["kind"], row["due_at"], row["owner_id"],
                           row["team_agency_id"]))
    kept = {(t, i, k, clock.ensure_utc(due), owner, team) for t, i, k, due, owner, team in session.execute(
        select(OpenDeadline.object_type, OpenDeadline.object_id, OpenDeadline.kind, OpenDeadline.due_at,
               OpenDeadline.owner_id, OpenDeadline.team_agency_id)
        .where(_open_at(at)))}
    return sorted(given - kept, key=_sort_key), sorted(kept - given, key=_sort_key)


class DeadlinesDiffered(Exception):
    """The kept deadlines were not what the records give: a write path moved a deadline unseen (a bug), or the table
    was restored or edited apart from the records. Raised after they were rebuilt, for the scheduler to show admins."""


def check_and_repair(session: Session) -> str | None:
    """The nightly check: compare, and if the kept deadlines differ from the records, rebuild them all in the
    current transaction and say what differed (None when they match). The caller commits, then reports it."""
    missing, extra = differences(session)
    if not missing and not extra:
        return None
    if session.connection().dialect.name == "postgresql":
        # a change committed while the records were being read can look like a difference: look again with the
        # table held, and only call it one (and rebuild everything, holding every save of a deadline meanwhile) if
        # it still is
        session.connection().exec_driver_sql("LOCK TABLE open_deadline IN SHARE ROW EXCLUSIVE MODE")
        missing, extra = differences(session)
        if not missing and not extra:
            return None
    rows = rebuild_all(session)

    def some(found):
        return (f"{len(found)}{' or more' if len(found) >= 20 else ''} (first: {found[0][2]} of {found[0][0]} "
                f"{found[0][1]})") if found else "0"

    return (f"Open deadlines kept for My work differed from the records: given but not kept {some(missing)}, kept "
            f"but not given {some(extra)}; all {rows:,} rebuilt from the records")


# --- Keeping them -------------------------------------------------------------------------------------------------


#: model -> its watches, from the providers when the app is created (`keep_in_step`)
_WATCHES: dict[type, list[Watch]] = {}
_PENDING = "open_deadlines_touched"


#: after an insert (the new row's keys); before an update or a delete (the stored row is read)
_ON_INSERT = noting(_WATCHES, _PENDING, changed_only=False, stored=False)
_ON_UPDATE = noting(_WATCHES, _PENDING, changed_only=True, stored=True)
_ON_DELETE = noting(_WATCHES, _PENDING, changed_only=False, stored=True)


def _touched(session: Session, pending: dict[Watch, set[int]]) -> dict[str, set[int]]:
    touched: dict[str, set[int]] = {}
    connection = session.connection()
    for watch, values in pending.items():
        if watch.expand is None:
            touched.setdefault(watch.object_type, set()).update(values)
            continue
        ordered = sorted(values)
        for start in range(0, len(ordered), BATCH):
            touched.setdefault(watch.object_type, set()).update(
                connection.execute(watch.expand(ordered[start:start + BATCH])).scalars())
    return touched


def _before_commit(session: Session) -> None:
    """Flush, then rebuild the deadlines of every record this transaction's flushes touched: once per transaction,
    whatever number of flushes it took."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending:
        rebuild(session, _touched(session, pending))


@contextlib.contextmanager
def _reading_through(session: Session):
    """The providers read through `db.session`: while deadlines are worked out it is `session` (a transaction
    committed on another session, a test's own or the migration's, is worked out from what that one can see, its
    own changes included). Needs the app's context, as every session of the app has."""
    if not has_app_context():
        raise RuntimeError("Open deadlines are worked out within the app's context: push it before committing")
    if isinstance(session, scoped_session):
        session = session()
    registry = db.session.registry
    previous = registry() if registry.has() else None
    if previous is session:
        yield
        return
    registry.set(session)
    try:
        yield
    finally:
        if previous is not None:
            registry.set(previous)
        else:
            registry.clear()


def _forget(session: Session, previous_transaction) -> None:
    """A transaction rolled back leaves nothing to rebuild; a savepoint rolled back leaves what the transaction
    around it touched (what it touched itself is rebuilt for nothing, harmlessly)."""
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def keep_in_step() -> None:
    """Install the listeners once, at app creation, after the providers have registered."""
    for module in kept_providers():
        kept_kinds = {kind for kept in module.KEPT for part in kept.parts for kind in part.kinds}
        if set(module.KINDS) - kept_kinds:
            # My work asks a provider that keeps rows nothing else: a kind left out would vanish from it
            raise RuntimeError(f"{module.__name__} keeps no rows for {sorted(set(module.KINDS) - kept_kinds)}")
        for watch in module.KEPT_WATCHES:
            if watch not in _WATCHES.setdefault(watch.model, []):
                _WATCHES[watch.model].append(watch)
    listen_for_writes(_WATCHES, _ON_INSERT, _ON_UPDATE, _ON_DELETE)
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _forget)


# --- Reading them (My work) ---------------------------------------------------------------------------------------


def _open_at(at: datetime):
    return or_(OpenDeadline.until.is_(None), OpenDeadline.until > at)


def _owned_rows(owners: Callable, *, now, due_before):
    """(object_type, object_id, kind, due_at, owner) of these people's open deadlines: their own, and each one's
    copy of their agency's team deadlines when they are an active manager there (the mailbox, as the providers
    give it asked about them). `owners(column)`: the clause naming the people (`among`, or `among_bound` in a kept
    statement, as `now` and `due_before` may be bound parameters)."""
    from ..auth.models import Role, User

    open_now = and_(OpenDeadline.due_at < due_before, _open_at(now))
    columns = (OpenDeadline.object_type, OpenDeadline.object_id, OpenDeadline.kind, OpenDeadline.due_at)
    theirs = select(*columns, OpenDeadline.owner_id.label("owner")).where(owners(OpenDeadline.owner_id), open_now)
    mailbox = (select(*columns, User.id.label("owner"))
               .join(User, and_(User.agency_id == OpenDeadline.team_agency_id, User.role == Role.MANAGER.value,
                                User.is_active_user.is_(True), owners(User.id)))
               .where(OpenDeadline.owner_id.is_(None), open_now))
    return union_all(theirs, mailbox).subquery("owned")


def count_owned(owner_ids: list[int], *, now: datetime, end_of_today: datetime,
                due_before: datetime) -> tuple[int, int, int]:
    rows = _owned_rows(lambda column: among(column, owner_ids), now=now, due_before=due_before)
    found = db.session.execute(select(count_where(rows.c.due_at <= now),
                                      count_where(and_(rows.c.due_at > now, rows.c.due_at < end_of_today)),
                                      count_where(rows.c.due_at >= end_of_today))).one()
    return int(found[0] or 0), int(found[1] or 0), int(found[2] or 0)


def counted_page_owned(owner_ids: list[int], *, now: datetime, end_of_today: datetime, due_before: datetime,
                       limit: int, offset: int = 0) -> tuple[tuple[int, int, int], list[Deadline]]:
    """`count_owned` and `page_owned` in one statement: the counts as window aggregates over the same rows, beside
    the page's (one pass over a person's or a team's deadlines, where the two statements made two). A page past the
    last row has no row to carry them: counted on their own then. The statement is built once per page position
    (`_counted_page_statement`), the people and times bound when it runs: building it and working out its cache
    key cost more than a millisecond of every My work."""
    statement = _counted_page_statement(db.session.get_bind().dialect.name, limit, offset)
    page = db.session.execute(statement, {"owned_owners": ids_value(owner_ids), "owned_now": now,
                                          "owned_due_before": due_before, "owned_end_of_today": end_of_today}).all()
    if not page:
        return (count_owned(owner_ids, now=now, end_of_today=end_of_today, due_before=due_before)
                if offset else (0, 0, 0)), []
    first = page[0]
    return (int(first[-3]), int(first[-2]), int(first[-1])), show(row[:5] for row in page)


@functools.lru_cache(maxsize=64)
def _counted_page_statement(dialect: str, limit: int, offset: int):
    now, end_of_today = bindparam("owned_now"), bindparam("owned_end_of_today")
    rows = _owned_rows(lambda column: among_bound(column, "owned_owners", dialect), now=now,
                       due_before=bindparam("owned_due_before"))
    counts = (count_where(rows.c.due_at <= now).over(),
              count_where(and_(rows.c.due_at > now, rows.c.due_at < end_of_today)).over(),
              count_where(rows.c.due_at >= end_of_today).over())
    return (select(rows, *counts).order_by(rows.c.due_at, rows.c.kind, rows.c.object_id, rows.c.owner)
            .limit(limit).offset(offset))


def page_owned(owner_ids: list[int], *, now: datetime, due_before: datetime, limit: int,
               offset: int = 0) -> list[Deadline]:
    """These people's open deadlines, soonest first (`deadlines.order_key`), rows offset to offset + limit: the
    page's keys from the table, then only its records read to show them."""
    rows = _owned_rows(lambda column: among(column, owner_ids), now=now, due_before=due_before)
    page = db.session.execute(select(rows).order_by(rows.c.due_at, rows.c.kind, rows.c.object_id, rows.c.owner)
                              .limit(limit).offset(offset)).all()
    return show(page)


def show(page: Iterable) -> list[Deadline]:
    """The Deadlines of (object_type, object_id, kind, due_at, owner) rows, in their order, read from the records
    (one query per record type and part on the page). A row whose record no longer gives it (changed since the
    page's rows were read) is left out."""
    page = list(page)
    objects = _objects()
    wanted: dict[str, set[int]] = {}
    kinds: dict[str, set[str]] = {}
    for object_type, object_id, kind, _due, _owner in page:
        wanted.setdefault(object_type, set()).add(object_id)
        kinds.setdefault(object_type, set()).add(kind)
    built: dict[tuple[str, int, str], Deadline] = {}
    for object_type, ids in wanted.items():
        for d, _until in objects[object_type].build(sorted(ids), kinds[object_type]):
            built[(d.object_type, d.object_id, d.kind)] = d
    shown = []
    for object_type, object_id, kind, _due, owner in page:
        d = built.get((object_type, object_id, kind))
        if d is not None:
            shown.append(replace(d, owner_id=owner) if d.owner_id != owner else d)
    return shown


def merge(*runs: Iterable[Deadline]) -> list[Deadline]:
    return list(heapq.merge(*(sorted(run, key=deadlines.order_key) for run in runs), key=deadlines.order_key))
