"""Who may see missing children's records; registered with the core at app creation (`register`)."""
from __future__ import annotations

from sqlalchemy import bindparam, false, func, select

from ..auth.access import (
    per_person,
    probe,
    child_scope,
    may_see_cases,
    restriction_allows,
    scoped,
    sees_all_cases,
)
from ..children import links
from ..children.links import LinkSource, Watch, link_row
from ..children.models import Child, LinkVia
from .models import (
    Arrest,
    EmergencyProtectionOrder,
    MissingEpisode,
    PoliceProtection,
    ReturnInterview,
    RhiOffer,
)

# --- Missing children and emergency powers ----------------------------------------------------------------------
# The police record episodes and police protection; children's social care must offer every missing child a
# return home interview and is told of every police protection (s46(3)(a)) and every arrest, so it sees every
# child with any of them.
# Anyone else sees the episodes of a child they may already see: an education or health practitioner who is not
# involved sees none.


_RECORDS = (MissingEpisode, PoliceProtection, EmergencyProtectionOrder, Arrest)
#: every arrest of a child, missing episode and police protection is for children's social care and MASH to
#: consider a strategy discussion (an order is children's social care's own)
_FOR_SOCIAL_CARE = (MissingEpisode, PoliceProtection, Arrest)


def _link_rows(only):
    """The agency that recorded an episode, police protection, order or arrest; the people assigned a child's return
    interview or who offered one; and children's social care for any episode, police protection or arrest."""
    def of_children(query, column):
        return query.where(only(column)) if only is not None else query

    rows = [of_children(select(*link_row(model.child_id, LinkVia.AGENCY, agency_id=model.recorded_by_agency_id)),
                        model.child_id) for model in _RECORDS]
    rows.append(of_children(select(*link_row(ReturnInterview.child_id, LinkVia.PERSON,
                                             user_id=ReturnInterview.assigned_to_id))
                            .where(ReturnInterview.assigned_to_id.is_not(None)), ReturnInterview.child_id))
    rows.append(of_children(select(*link_row(ReturnInterview.child_id, LinkVia.PERSON, user_id=RhiOffer.offered_by_id))
                            .join(ReturnInterview, ReturnInterview.id == RhiOffer.return_interview_id),
                            ReturnInterview.child_id))
    rows.extend(of_children(select(*link_row(model.child_id, LinkVia.SOCIAL_CARE)), model.child_id)
                for model in _FOR_SOCIAL_CARE)
    return rows


def _children_of_interviews(interview_ids):
    return select(ReturnInterview.child_id).where(ReturnInterview.id.in_(interview_ids))


LINKS = LinkSource(rows=_link_rows, watches=(
    *(Watch(model, "child_id", ("child_id", "recorded_by_agency_id")) for model in _RECORDS),
    Watch(ReturnInterview, "child_id", ("child_id", "assigned_to_id")),
    Watch(RhiOffer, "return_interview_id", ("return_interview_id", "offered_by_id"), _children_of_interviews),
))


@per_person
def missing_scope(user, child_id_column):
    """SQL clause on any missing-feature row (by its child_id column): visible when its child is (a correlated
    EXISTS on that child, with the child's own scope)."""
    if not may_see_cases(user):
        return false()
    if sees_all_cases(user):
        return restriction_allows(user, child_id_column)
    return probe(select(Child.id).where(Child.id == child_id_column, child_scope(user)).correlate_except(Child))


def may_change(user, row) -> bool:
    """Episodes, police protection, orders and arrests are changed only by the agency that recorded them (the
    force, or children's social care for an order): another force invited to a discussion about the child reads
    them, never regrades or closes them."""
    return may_see_cases(user) and row.recorded_by_agency_id == user.agency_id


def _recent_episodes(scope):
    return (select(MissingEpisode).where(
        MissingEpisode.child_id.in_(bindparam("recent_of", expanding=True)),
        MissingEpisode.reported_missing_at >= bindparam("recent_since"),
        MissingEpisode.reported_missing_at <= bindparam("recent_until"), scope)
        .order_by(MissingEpisode.reported_missing_at.desc(), MissingEpisode.id.desc()))


def recent_episodes(child_ids, user, since, until) -> dict[int, list]:
    """Episodes of these children reported between `since` and `until` that `user` may see, newest first
    (for the cumulative harm beside a decision: children.harm)."""
    from ..extensions import db

    found: dict[int, list] = {}
    episodes = db.session.execute(
        scoped((missing_scope(user, MissingEpisode.child_id),), _recent_episodes),
        {"recent_of": list(child_ids), "recent_since": since, "recent_until": until}).scalars()
    for episode in episodes:
        found.setdefault(episode.child_id, []).append(episode)
    return found


def first_recorded_event(child_id: int):
    """(when, what) of the earliest episode, police protection or order recorded for the child, or None: a
    corrected date of birth cannot come after it (children.services)."""
    from ..extensions import db

    found = []
    for column, what in ((MissingEpisode.reported_missing_at, "reported missing"),
                         (PoliceProtection.started_at, "taken into police protection"),
                         (EmergencyProtectionOrder.granted_at, "made subject to an emergency protection order"),
                         (Arrest.arrested_at, "arrested")):
        first = db.session.execute(select(func.min(column)).where(column.class_.child_id == child_id)).scalar()
        if first is not None:
            found.append((first, what))
    return min(found, key=lambda pair: pair[0]) if found else None


def register() -> None:
    from ..children import presence
    from ..children.harm import register_missing_episodes
    from ..children.services import register_first_event
    from .services import CHILD_RECORD_KINDS

    links.register(LINKS)
    register_missing_episodes(recent_episodes)
    register_first_event(first_recorded_event)
    for name, build in CHILD_RECORD_KINDS.items():
        presence.register(name, build)
