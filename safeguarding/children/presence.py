"""What a child has at all, asked in the statement that reads the child for their page.

A child's page shows sections for kinds of record most children never have (missing episodes, police protection,
protection orders, arrests, prompts to convene, professional differences, family adversity reports): each was a
statement of its own on every child's page, finding nothing for most children. Each feature registers here an
EXISTS for its kind (`register`), the page reads the child with all of them (`visible_child`), and a section reads
its rows only when `has` says the child has some. A flag is a hint for reading, never shown: a kind the viewer may
not see is still read through its own scope, and finds nothing. A kind whose rows most viewers may not see
(professional differences: the people in them) registers its scope too, and is asked through the viewer's scope,
so that its section reads nothing for those who would find nothing.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import Integer, bindparam, exists
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.access import child_scope, deny, scoped
from ..extensions import db
from .harm import REPORTERS_NAMED
from .models import Child, FamilyAdversity

#: name -> (function(child id column[, the viewer's scope]) -> an EXISTS of that kind's rows for the child,
#: function(user) -> the viewer's scope clause, or None)
KINDS: dict[str, tuple] = {}
#: KINDS as registered so far, a new tuple at each registration: the child's statement is kept with the very tuple
#: it was built from (`scoped`), so a kind registered later is never read with a statement that lacks it
_KINDS_NOW: tuple = ()
_KNOWN = "safeguarding.child_has"


def register(name: str, build: Callable, scope: Callable | None = None) -> None:
    """`build(child id column)`, or with `scope`, `build(child id column, scope(viewer))`: an EXISTS of the kind's
    rows for the child (that the viewer may see). `scope` must give the same clause object for the same viewer
    (`per_person`), so that the child's statement is kept for them."""
    global _KINDS_NOW
    KINDS[name] = (build, scope)
    _KINDS_NOW = tuple((name, build, scope) for name, (build, scope) in KINDS.items())


register("adversities", lambda child_id: exists().where(FamilyAdversity.child_id == child_id))


def _with_kinds(scope, kinds: tuple, *viewer_scopes):
    asked = [(build(Child.id) if viewer is None else build(Child.id, viewer)).label(name)
             for (name, build, _), viewer in zip(kinds, viewer_scopes, strict=True)]
    return db.select(Child, *asked).where(Child.id == bindparam("page_child", type_=Integer), scope)


def visible_child(child_id: int, user) -> Child:
    """The child if `user` may see them (otherwise 404, audited), with what they have asked in the same statement
    and kept for this request."""
    kinds = _KINDS_NOW
    viewer_scopes = tuple(None if scope is None else scope(user) for _, _, scope in kinds)
    row = db.session.execute(scoped((child_scope(user), kinds, *viewer_scopes), _with_kinds),
                             {"page_child": child_id}).one_or_none()
    if row is None:
        deny(404, "child", child_id)
    request.environ.setdefault(_KNOWN, {})[child_id] = dict(zip((name for name, _, _ in kinds), row[1:], strict=True))
    return row[0]


def known(child_id: int) -> dict[str, bool] | None:
    """What this request's page read of the child's kinds, or None if it did not."""
    if not has_request_context():
        return None
    return request.environ.get(_KNOWN, {}).get(child_id)


def has(child_id: int, name: str) -> bool:
    """Whether the child has rows of this kind: True unless this request read that they have none (read it)."""
    kinds = known(child_id)
    return True if kinds is None or name not in kinds else bool(kinds[name])


#: built once: building it and working out its cache key cost a third of what running it did
_ADVERSITIES = (db.select(FamilyAdversity).where(FamilyAdversity.child_id == bindparam("adversities_of", type_=Integer))
                .options(*REPORTERS_NAMED)
                .order_by(FamilyAdversity.recorded_at, FamilyAdversity.id))


def load_adversities(child: Child) -> None:
    """The child's family adversity reports, with who made each and their agency (the page names them), read only
    if the child has any."""
    reports = []
    if has(child.id, "adversities"):
        reports = list(db.session.execute(_ADVERSITIES, {"adversities_of": child.id}).scalars())
    set_committed_value(child, "adversities", reports)
