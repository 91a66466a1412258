"""Who is linked to which child, kept as rows (`ChildLink`) from the records that link them.

A practitioner sees a child their agency recorded, or one a feature links them to: their agency invited to a
discussion about the child, they own one of its actions, their force recorded a missing episode, they raised a
professional difference... Checked as a dozen probes into those records for every child a list counts and shows,
that cost a practitioner's list three times MASH's at ten times the largest partnership. So each feature says here
which of its rows link whom to a child (`LinkSource.rows`) and which changes can move a link (`Watch`); whenever a
flush inserts, changes or deletes such a row, the links of the children it touches are rebuilt from the records in
the same transaction (`_after_flush`), and a list's scope is one index probe into `child_link`.

Rebuilt, not patched: a child's rows are worked out again from everything about them, so removing one of two reasons
(an invitation withdrawn while the agency's episode stands) leaves the other, and the rows always equal what a
rebuild from the records gives; `differences()` compares the two (`flask check-child-links`, and after every test).
Writes that bypass the ORM (the synthetic partnership's bulk load) call `rebuild_all()`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import (Integer, bindparam, cast, delete, event, except_, func, insert, literal, null, select,
                        union)
from sqlalchemy.orm import Session

from ..row_events import listen_for_writes, noting
from .models import Child, ChildLink

#: children rebuilt per statement: bounded parameters whatever a flush touched (a bulk import)
BATCH = 500


@dataclass(frozen=True)
class Watch:
    """A model whose rows link people to children: when one is inserted, deleted, or changes one of `attrs`, the
    children found from its `key` column's old and new values are rebuilt. `children`: SELECT of child ids from a
    list of key values; None when the key is the child id itself."""

    model: type
    key: str
    attrs: tuple[str, ...]
    children: Callable[[list[int]], object] | None = None
    #: PostgreSQL: SELECT ... FOR NO KEY UPDATE of the rows the key values name, taken before their children are
    #: read: a change to a discussion's invitations and a child joining it lock the same discussion, so neither
    #: rebuilds from a list of children, or of invitations, the other is changing
    lock: Callable[[list[int]], object] | None = None


@dataclass(frozen=True)
class LinkSource:
    """One feature's links: `rows(only)` is a list of SELECTs of (child_id, via, agency_id, user_id), each limited
    by `only(child_id_column)` (a clause, or None for every child); `watches` the models whose changes move them."""

    rows: Callable[[Callable | None], list]
    watches: tuple[Watch, ...] = field(default_factory=tuple)


SOURCES: list[LinkSource] = []


def register(source: LinkSource) -> None:
    if source not in SOURCES:
        SOURCES.append(source)


#: typed: PostgreSQL reads a bare NULL in a UNION as text, which an id column cannot be compared with
_NO_ID = cast(null(), Integer)


def link_row(child_id, via, *, agency_id=None, user_id=None):
    """The four labelled columns every source SELECTs."""
    return (child_id.label("child_id"), literal(via.value if hasattr(via, "value") else via).label("via"),
            (agency_id if agency_id is not None else _NO_ID).label("agency_id"),
            (user_id if user_id is not None else _NO_ID).label("user_id"))


def _everything(only: Callable | None = None):
    """SELECT DISTINCT of every link the records give (for the children `only` admits)."""
    parts = [part for source in SOURCES for part in source.rows(only)]
    return union(*parts) if len(parts) > 1 else parts[0].distinct()


_COLUMNS = ("child_id", "via", "agency_id", "user_id")


def rebuild(connection, child_ids: Iterable[int]) -> None:
    """Work out again the links of these children from the records, in the current transaction. On PostgreSQL the
    children's rows are locked first (FOR NO KEY UPDATE, in id order), so two transactions rebuilding the same child
    take turns and the second deletes and rebuilds from what the first committed; without it the second, having
    waited on the first's deletions, could not see the rows the first wrote and kept them beside its own (every link
    twice; tests/test_child_links.py)."""
    ids = sorted(set(child_ids))
    lock, forget, write = _statements()
    for start in range(0, len(ids), BATCH):
        batch = {"children": ids[start:start + BATCH]}
        if connection.dialect.name == "postgresql":
            connection.execute(lock, batch)
        connection.execute(forget, batch)
        connection.execute(write, batch)


_BUILT: list = []


def _statements() -> tuple:
    """(lock, delete, insert) for a list of children, built once: the sixteen SELECTs of the links cost 5 ms of
    Python to build, three times what the database takes to run them for one child."""
    if not _BUILT:
        children = bindparam("children", expanding=True)
        rows = _everything(lambda column: column.in_(children)).subquery()
        _BUILT.extend((
            select(Child.id).where(Child.id.in_(children)).order_by(Child.id).with_for_update(key_share=True),
            delete(ChildLink).where(ChildLink.child_id.in_(children)),
            insert(ChildLink).from_select(_COLUMNS, select(*(rows.c[name] for name in _COLUMNS)))))
    return tuple(_BUILT)


def rebuild_all(connection) -> int:
    """Every child's links from the records (after a bulk load that bypassed the ORM); returns the rows written.
    On PostgreSQL the table is locked against every other change to it first (each child's rebuild waits, and a
    rebuild under way is waited for): otherwise a child's rebuild could remove a link while this one, reading an
    older snapshot, put it back."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE child_link IN SHARE ROW EXCLUSIVE MODE")
    connection.execute(delete(ChildLink))
    rows = _everything().subquery()
    connection.execute(insert(ChildLink).from_select(_COLUMNS, select(*(rows.c[name] for name in _COLUMNS))))
    return connection.execute(select(func.count()).select_from(ChildLink)).scalar_one()


def differences(connection, limit: int = 20) -> tuple[list, list]:
    """(links the records give that the table lacks, links the table has that the records do not give or keeps more
    than once): both empty when the table is true. At most `limit` of each. EXCEPT compares sets, so a link kept
    twice (two rebuilds of one child not taking turns) is looked for on its own."""
    columns = [getattr(ChildLink, name) for name in _COLUMNS]
    kept = select(*columns)
    records = _everything().subquery()
    given = select(*(records.c[name] for name in _COLUMNS))
    missing = connection.execute(except_(given, kept).limit(limit)).all()
    extra = connection.execute(except_(kept, given).limit(limit)).all()
    if len(extra) < limit:
        extra += connection.execute(select(*columns).group_by(*columns).having(func.count() > 1)
                                    .limit(limit - len(extra))).all()
    return [tuple(r) for r in missing], [tuple(r) for r in extra]


class LinksDiffered(Exception):
    """The kept links were not what the records give: a write path moved a link unseen (a bug), or the table was
    restored or edited apart from the records. Raised after they were rebuilt, for the scheduler to show admins."""


def check_and_repair(connection) -> str | None:
    """The nightly check: compare, and if the links differ from the records, rebuild them all in the current
    transaction (the records are what was agreed and done; the rows only speed reading them) and say what differed
    (None when they match). The caller commits, then reports it (LinksDiffered)."""
    missing, extra = differences(connection)
    if not missing and not extra:
        return None
    rows = rebuild_all(connection)

    def some(found):
        return f"{len(found)}{' or more' if len(found) >= 20 else ''} (first: child {found[0][0]}, via " \
               f"{found[0][1]})" if found else "0"

    return (f"Children's links differed from the records: given but not kept {some(missing)}, kept but not given "
            f"{some(extra)}; all {rows:,} rebuilt from the records")


# --- Keeping them -------------------------------------------------------------------------------------------------


#: model -> its watches, from SOURCES when the app is created (`keep_in_step`)
_WATCHES: dict[type, list[Watch]] = {}


_PENDING = "child_links_touched"


#: after an insert (the new row's keys, its id included); before an update or a delete (the stored row is read)
_ON_INSERT = noting(_WATCHES, _PENDING, changed_only=False, stored=False)
_ON_UPDATE = noting(_WATCHES, _PENDING, changed_only=True, stored=True)
_ON_DELETE = noting(_WATCHES, _PENDING, changed_only=False, stored=True)


def touched_children(session: Session, pending: dict[Watch, set[int]]) -> set[int]:
    """The children whose links the rows this flush wrote may have moved."""
    children: set[int] = set()
    connection = session.connection()
    for watch, values in pending.items():
        if not values:
            continue
        if watch.children is None:
            children |= values
            continue
        ordered = sorted(values)
        for start in range(0, len(ordered), BATCH):
            if watch.lock is not None and connection.dialect.name == "postgresql":
                connection.execute(watch.lock(ordered[start:start + BATCH]))
            children.update(connection.execute(watch.children(ordered[start:start + BATCH])).scalars())
    return children


def _after_flush(session: Session, _flush_context) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        children = touched_children(session, pending)
        if children:
            rebuild(session.connection(), children)


def _forget(session: Session, *_args) -> None:
    """A flush that failed (rolled back) leaves nothing to rebuild."""
    session.info.pop(_PENDING, None)


def keep_in_step() -> None:
    """Rebuild the touched children's links in every flush, in its transaction (installed once, at app creation,
    after the features have registered their sources)."""
    for source in SOURCES:
        for watch in source.watches:
            if watch not in _WATCHES.setdefault(watch.model, []):
                _WATCHES[watch.model].append(watch)
    listen_for_writes(_WATCHES, _ON_INSERT, _ON_UPDATE, _ON_DELETE)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_rollback", _forget)
