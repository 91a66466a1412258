"""Who may be assigned a return home interview, and finding them by name or email a page at a time.

One rule, used both to list the people offered and to check the one chosen when the choice is saved: an active
person (not an administrator) in a children's social care agency. A partnership at ten times the largest has 800
of them, so the page that assigns a worker shows a searchable page of 25, never the whole list; a choice posted
for anyone else (a forged form, or someone who left after the page was shown) is refused with a GOV.UK error.
"""
from __future__ import annotations

import re

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from ..auth.models import Agency, AgencyKind, Role, User
from ..extensions import db
from ..input_guard import MAX_ID
from ..pagination import Page, paginate

#: how much of a search is used: a name and a surname, or an email address, fit well inside it
SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 5
_ID_RE = re.compile(r"^[0-9]{1,10}$")
#: the chosen person cannot be assigned: not in children's social care, or left after the page was shown
NOT_ASSIGNABLE = "Select another worker: the one you chose is not an active member of children's social care"


def search_words(query: str | None) -> list[str]:
    """The words to look for, lower case: every one must appear in the person's name or email address. The query
    is cut to SEARCH_MAX_CHARS and SEARCH_MAX_WORDS: anything longer matches nobody a person would look for, and a
    bounded query keeps the statement the same size whatever was typed."""
    words = (query or "")[:SEARCH_MAX_CHARS].lower().split()
    return list(dict.fromkeys(words))[:SEARCH_MAX_WORDS]


def chosen_id(raw) -> int:
    """A posted worker id as a whole number, or 0 (nobody) for anything that cannot be one: an id larger than any
    row would overflow the database driver, and a forged value must be a GOV.UK error, never a server error."""
    text = str(raw if raw is not None else "").strip()
    if not _ID_RE.match(text):
        return 0
    number = int(text)
    return number if 0 < number <= MAX_ID else 0


def assignable():
    """SQL clause on User: may be assigned a return home interview."""
    return and_(User.is_active_user.is_(True), User.role != Role.ADMIN.value,
                exists(select(Agency.id).where(Agency.id == User.agency_id,
                                               Agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value)))


def may_be_assigned(user: User | None) -> bool:
    """The same rule as `assignable`, for a person already loaded."""
    return (user is not None and bool(user.is_active_user) and user.role != Role.ADMIN.value
            and user.agency is not None and user.agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value)


def find(query: str | None, raw_page, local_authority_id: int | None = None) -> Page:
    """One page of the people who may be assigned whose name or email holds every word searched for: those of the
    interview's own local authority first (the team it belongs to until someone is assigned), then by name.
    Two statements whatever the agency's size: the page (each person's agency and line manager joined to it), and
    a count stopped at the pagination cap."""
    conditions = [assignable()]
    for word in search_words(query):
        conditions.append(or_(func.lower(User.name).contains(word, autoescape=True),
                              func.lower(User.email).contains(word, autoescape=True)))
    listed = (select(User).where(*conditions)
              .options(joinedload(User.agency), joinedload(User.line_manager))
              .order_by(case((User.agency_id == local_authority_id, 0), else_=1), func.lower(User.name), User.id))
    counted = select(User.id).where(*conditions)
    return paginate(listed, raw_page, counted=counted)


def assignable_worker(raw_id) -> User | None:
    """The person chosen, if they may (still) be assigned: checked in the database when the choice is saved."""
    worker_id = chosen_id(raw_id)
    if not worker_id:
        return None
    return db.session.execute(select(User).where(User.id == worker_id, assignable())).scalar_one_or_none()
