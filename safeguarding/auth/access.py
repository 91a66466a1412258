"""The one place that decides what a user may see and do.

A role grants actions (PERMISSIONS); a scope limits rows (functions below, one per kind of record, used by
every list, detail, export and API route). Routes are private unless marked @public; an object the user may
not see is a 404, and every refusal is audited as authz_fail.
"""
from __future__ import annotations

from collections import OrderedDict
from functools import cache, wraps
from threading import Lock
from typing import Callable

from flask import abort, request
from flask_login import current_user
from sqlalchemy import and_, bindparam, false, or_, select, true
from sqlalchemy.orm import aliased

from ..kept_statements import kept
from .models import Role

MASH, PRACTITIONER, MANAGER, ADMIN = Role.MASH.value, Role.PRACTITIONER.value, Role.MANAGER.value, Role.ADMIN.value
CASE_ROLES = frozenset({MASH, PRACTITIONER, MANAGER})

#: action -> roles that may perform it (row scope is checked separately)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin.manage": frozenset({ADMIN}),
    "admin.view_operations": frozenset({ADMIN}),
    "case.view": CASE_ROLES,  # children, discussions, actions: subject to row scope
    "child.create": frozenset({MASH, MANAGER, PRACTITIONER}),
    "child.edit": frozenset({MASH, MANAGER, PRACTITIONER}),
    "discussion.convene": frozenset({MASH, MANAGER}),
    "discussion.record": frozenset({MASH, MANAGER}),
    "vague_phrases.manage": frozenset({ADMIN, MANAGER}),
    "audit.view_child": frozenset({MANAGER}),
    "child.restrict": frozenset({MASH, MANAGER}),  # of a child in their scope; the reason is audited
    "break_glass.review": frozenset({MANAGER}),  # their agency's and team's uses
    # A legal hold stops the retention schedule for a child: a manager's decision, with a reason, audited.
    "retention.hold": frozenset({MANAGER}),
    "reports.view": frozenset({MANAGER, MASH}),
    # The children in need census rows (each child's LA reference, birth date and section 47 dates) and their
    # XML and CSV: the local authority's own return, for its managers and MASH staff; others see the figures.
    "census.view": frozenset({MANAGER, MASH}),
    "missing.record": frozenset({PRACTITIONER, MANAGER, MASH}),  # episodes, returns, prevention interviews
    "missing.police_protection": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.return_interview": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.close_return_interview": frozenset({MANAGER}),
    "missing.epo": frozenset({PRACTITIONER, MANAGER, MASH}),
    "missing.arrest": frozenset({PRACTITIONER, MANAGER, MASH}),  # an arrest of a child, in or out of an episode
    "missing.prompt": frozenset({MASH, MANAGER}),
    "difference.raise": CASE_ROLES,
    "difference.view": CASE_ROLES,  # subject to difference_scope
    # Reminders: everyone signed in has an inbox; only admins see the scheduler and the rules.
    "notifications.view": frozenset({MASH, PRACTITIONER, MANAGER, ADMIN}),
}

#: actions that are one agency's statutory duty as well as a role's: police record missing episodes and use
#: police powers; the local authority offers return home interviews and applies for emergency protection orders
AGENCY_ACTIONS: dict[str, frozenset[str]] = {
    "missing.record": frozenset({"police"}),
    "missing.police_protection": frozenset({"police"}),
    "missing.return_interview": frozenset({"childrens_social_care"}),
    "missing.close_return_interview": frozenset({"childrens_social_care"}),
    "missing.epo": frozenset({"childrens_social_care"}),
    "missing.arrest": frozenset({"police"}),
    "census.view": frozenset({"childrens_social_care"}),
}

#: Flask's own static files; every other public view says so with @public
_PUBLIC_ENDPOINTS = frozenset({"static"})


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in (sign-in page, health check)."""
    view._public = True  # type: ignore[attr-defined]
    return view


def is_public_view(view: Callable | None, endpoint: str | None) -> bool:
    return endpoint in _PUBLIC_ENDPOINTS or bool(getattr(view, "_public", False))


#: all the partnership business unit does, whatever its staff's roles: it reviews the partnership's work from its
#: figures and is the last stage of the escalation protocol for professional differences, and opens no case record
BUSINESS_UNIT_ACTIONS = frozenset({"reports.view", "difference.view", "notifications.view", "vague_phrases.manage"})


def can(user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role not in PERMISSIONS.get(action, frozenset()):
        return False
    if action not in BUSINESS_UNIT_ACTIONS and is_partnership_business_unit(user):
        return False
    agencies = AGENCY_ACTIONS.get(action)
    return agencies is None or (user.agency is not None and user.agency.kind in agencies)


def deny(status: int = 403, object_type: str | None = None, object_id: int | None = None):
    """Refuse, audit the refusal, and stop the request."""
    from ..audit import record
    from ..extensions import db

    record("authz_fail", object_type, object_id, detail=f"{request.method} {request.path}"[:300])
    db.session.commit()
    abort(status)


def require(action: str) -> Callable:
    """Decorator: the signed-in user's role must grant `action`, otherwise 403 (audited)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not can(current_user, action):
                deny(403)
            return view(*args, **kwargs)

        wrapper._requires = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


#: how many clauses each scope function keeps per process, the most recently used (a person uses one to three of
#: each; a clause is 20 to 40 kB once it has run, so the seven scope functions keep 10 to 20 MB at most)
PER_PERSON_KEPT = 64


def per_person(build: Callable) -> Callable:
    """Cache a scope function's clause per person: building one (a dozen correlated probes, each an ORM expression)
    was a tenth of a list page's time, and of a child's page, which builds several. A clause depends only on who the
    person is (id, role, agency and its kind: the key) and on the time (break glass), which it reads when it runs
    (`now_when_run`), so the same clause object serves every request of that person; SQLAlchemy clauses are
    immutable, so sharing them between threads is safe. The least recently used go first: a worker serves the
    people using the service now, not everyone it has ever seen."""
    kept: OrderedDict = OrderedDict()
    lock = Lock()

    @wraps(build)
    def cached(user, *args, **kwargs):
        if user is None or not getattr(user, "is_authenticated", False):
            return build(user, *args, **kwargs)
        agency = user.agency
        key = (user.id, user.role, user.agency_id, agency.kind if agency is not None else None, args,
               tuple(sorted(kwargs.items())))
        with lock:
            clause = kept.get(key)
            if clause is not None:
                kept.move_to_end(key)
                return clause
        clause = build(user, *args, **kwargs)
        with lock:
            kept[key] = clause
            while len(kept) > PER_PERSON_KEPT:
                kept.popitem(last=False)
        return clause

    cached.kept = kept  # type: ignore[attr-defined]
    return cached


def now_when_run():
    """A bound parameter whose value is the clock's now when the statement runs, not when the clause was built
    (clauses are kept between requests: `per_person`)."""
    from .. import clock

    # No type of its own: compared with a column, it takes that column's (and its conversion of times to UTC).
    return bindparam("now", callable_=lambda: clock.now(), unique=True)


def sees_all_cases(user) -> bool:
    """MASH staff triage every contact, so they see every case (restricted children aside). Managers see their
    agency's and their team's cases (`people_answered_for`), like everyone else: need to know, not oversight of all."""
    return user.role == MASH and may_see_cases(user)


def may_see_cases(user) -> bool:
    """Any case record at all (not the partnership business unit: `can` keeps it to BUSINESS_UNIT_ACTIONS)."""
    return can(user, "case.view")


def people_answered_for(user):
    """SELECT of user ids whose links to children count as this user's: their own; a manager's also those of their
    agency's staff and of the people they line-manage (a team can span agencies)."""
    from .models import User

    if user.role == MANAGER:
        return select(User.id).where(or_(User.id == user.id, User.agency_id == user.agency_id,
                                         User.line_manager_id == user.id))
    return select(User.id).where(User.id == user.id)


# --- Restricted children and break glass -----------------------------------------------------------------------
# A restricted child is seen only by the people on its access list, whatever else would link them; every linked
# record inherits this through `restriction_allows` on its child id. Break glass opens one child outside someone's
# scope for a while (read only), never a restricted one.


def hidden_restricted_ids(user):
    """SELECT of the ids of restricted children `user` is not named for."""
    from ..children.models import Child, ChildAccess

    named = select(ChildAccess.child_id).where(ChildAccess.user_id == user.id)
    return select(Child.id).where(Child.restricted.is_(True), Child.id.not_in(named))


@per_person
def restriction_allows(user, child_id_column):
    """SQL clause: the row's child (by `child_id_column`) is not a restricted child hidden from `user`. A correlated
    probe from the row's child (its flag, then its access list): a NOT IN over every hidden child was hashed in full
    for each query, so it cost the partnership's restricted children (989 at 10x), not the rows looked at."""
    child, named = _aliases()["restricted_child"], _aliases()["child_access"]
    return ~probe(select(child.id).where(
        child.id == child_id_column, child.restricted.is_(True),
        ~probe(select(named.child_id).where(named.child_id == child.id, named.user_id == user.id))))


def broken_glass_ids(user):
    """SELECT of the children `user` opened by break glass and may still read."""
    from ..children.models import BreakGlass
    from ..clock import now

    return select(BreakGlass.child_id).where(BreakGlass.user_id == user.id, BreakGlass.expires_at > now())


@cache
def _aliases() -> dict:
    """The tables inside the core's probes, aliased once: an alias's columns are worked out on first use, and a
    fresh alias for every probe of every scope cost 50 ms a scope on a child's page."""
    from ..children.models import BreakGlass, Child, ChildAccess, ChildLink

    return {"break_glass": aliased(BreakGlass, name="scope_break_glass"),
            "child_link": aliased(ChildLink, name="scope_child_link"),
            "child_access": aliased(ChildAccess, name="scope_child_access"),
            "restricted_child": aliased(Child, name="scope_restricted_child")}


def probe(query):
    """EXISTS(query), checked for each row the outer query reaches, through the index on the correlated column.
    OFFSET 0 keeps PostgreSQL from rewriting it as a hash of every row the rule could match (built in full before
    the first row, whatever the LIMIT: the partnership's size, not the page's); SQLite ignores it."""
    return query.offset(0).exists()


def broke_glass_for(user, child_id_column):
    """SQL clause: `user` opened the row's child (by `child_id_column`) by break glass and may still read it; a
    correlated EXISTS, one index probe (user, expiry) per row."""
    glass = _aliases()["break_glass"]
    return probe(select(glass.id).where(glass.child_id == child_id_column, glass.user_id == user.id,
                                        glass.expires_at > now_when_run()))


# --- Row scope: children -------------------------------------------------------------------------------------
# A practitioner sees a child their agency recorded, or one linked to them by a feature (invited to a discussion
# about the child, owner of an action, involved in a missing episode or a professional difference). Each feature
# says which of its rows link whom (`children/links.py`), and those links are kept as rows of `child_link` in the
# same transaction as the records that give them: a page of 25 children costs 25 index probes into it, not a dozen
# probes into discussions, actions, missing records and differences for each child the list counts and shows.


def _child_reach(user, for_change: bool):
    """SQL clause: the children `user` would see if no child were restricted."""
    from ..children.models import Child

    if not may_see_cases(user):
        return false()
    if sees_all_cases(user):
        return true()
    clauses = [Child.created_by_agency_id == user.agency_id, _linked(user)]
    if not for_change:
        clauses.append(broke_glass_for(user, Child.id))
    return or_(*clauses)


def _linked(user):
    """SQL clause on Child: one of its `child_link` rows is this user's. An agency's row is for its staff; a person's
    is for them and the people who answer for them (`people_answered_for`); a difference's also for whoever
    line-manages them, whatever their role; children's social care's for staff of any agency of that kind."""
    from ..children.models import Child, LinkVia
    from .models import AgencyKind, User

    link = _aliases()["child_link"]
    mine = []
    if user.agency_id is not None:  # never `agency_id IS NULL`: that is every person's row
        mine.append(link.agency_id == user.agency_id)
    if user.role == MANAGER:
        mine.append(link.user_id.in_(people_answered_for(user)))
    else:
        mine.append(link.user_id == user.id)
        mine.append(and_(link.via == LinkVia.DIFFERENCE.value,
                         link.user_id.in_(select(User.id).where(User.line_manager_id == user.id))))
    if user.agency is not None and user.agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value:
        mine.append(link.via == LinkVia.SOCIAL_CARE.value)
    return probe(select(link.child_id).where(link.child_id == Child.id, or_(*mine)))


@per_person
def child_scope(user, *, for_change: bool = False):
    """SQL clause restricting `Child` rows to those `user` may see (`for_change`: may change, so not by break
    glass, which is for reading)."""
    reach = _child_reach(user, for_change)
    return and_(reach, _not_hidden(user)) if may_see_cases(user) else reach


def _not_hidden(user):
    """SQL clause on Child: not restricted, or `user` is on its access list (the row's own flag, no subquery)."""
    from ..children.models import Child

    named = _aliases()["child_access"]
    return or_(Child.restricted.is_(False),
               probe(select(named.child_id).where(named.child_id == Child.id, named.user_id == user.id)))


@per_person
def restricted_out_of_sight(user):
    """SQL clause: restricted children `user` would otherwise see; lists say how many, never who."""
    from ..children.models import Child

    return and_(_child_reach(user, False), Child.id.in_(hidden_restricted_ids(user)))


#: how many statements `scoped` keeps per process, the most recently used: a record's page uses one to four, and a
#: person's every kind of record page about eighteen, so a dozen or more people's most used pages (a statement is
#: some 20 to 40 kB once it has run: 5 to 10 MB at most)
SCOPED_KEPT = 256


_SCOPED: OrderedDict = OrderedDict()
_SCOPED_LOCK = Lock()


def scoped(parts: tuple, build: Callable):
    """`build(*parts)`: a statement made of a scope clause and fixed pieces (a model, loader options, a join), kept
    and used again while `build` and every one of `parts` are the very same objects. SQLAlchemy works out a
    statement's cache key (a walk of its whole tree: the scope's probes, every loader option) on each execution of a
    new statement object, and keeps it with the object: a record's page, built afresh each time, spent a third of a
    millisecond to a millisecond on that walk per statement. A scope clause is already the same object for the same
    person (`per_person`), so its statements can be too; values that change (the record's id) are bound parameters.
    `parts` are compared by identity (`kept_statements.kept`)."""
    return kept(_SCOPED, _SCOPED_LOCK, SCOPED_KEPT, build, parts)


_VISIBLE_ID = bindparam("visible_id")


def _visible_statement(model, scope_clause, join, *options):
    query = select(model).options(*options)
    if join is not None:
        query = query.join(*join)
    return query.where(model.id == _VISIBLE_ID, scope_clause)


def visible_or_404(model, object_type: str, object_id: int, scope_clause, *options, join=None):
    """The row of `model` with this id if `scope_clause` lets the signed-in user see it; otherwise 404 (audited).
    Pass `options` and `join` made once (module constants), so that the statement is kept (`scoped`)."""
    from ..extensions import db

    query = scoped((model, scope_clause, join, *options), _visible_statement)
    # unique(): an option may join a collection (a row per item)
    row = db.session.execute(query, {"visible_id": object_id}).unique().scalar_one_or_none()
    if row is None:
        deny(404, object_type, object_id)
    return row


def visible_child_or_404(child_id: int, *options, for_change: bool = False):
    """The child if the signed-in user may see them; otherwise 404 (and an audited refusal). `options`: what to load
    with them."""
    from ..children.models import Child

    return visible_or_404(Child, "child", child_id, child_scope(current_user, for_change=for_change), *options)


def is_partnership_business_unit(user) -> bool:
    """Staff of the safeguarding partnership's business unit (an agency of that kind)."""
    from .models import AgencyKind

    agency = getattr(user, "agency", None)
    return agency is not None and agency.kind == AgencyKind.SAFEGUARDING_PARTNERSHIP.value
