"""Who may see missing children's records; registered with the core at app creation (`register`)."""
from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased

from ..auth.access import (
    per_person,
    MANAGER,
    probe,
    child_scope,
    may_see_cases,
    people_answered_for,
    register_child_link,
    restriction_allows,
    sees_all_cases,
)
from ..children.models import Child
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


#: the tables inside the probes, aliased once (see auth/access.py)
_IN_PROBE = {model: aliased(model, name=f"scope_{model.__tablename__}")
             for model in (MissingEpisode, PoliceProtection, EmergencyProtectionOrder, Arrest, ReturnInterview,
                           RhiOffer)}


def _one_of_people(user, person_column):
    """SQL clause: `person_column` is the user, or (a manager) one of the people they answer for. An equality for
    anyone else, so that a probe can look it up in an index rather than filter by a subquery."""
    if user.role == MANAGER:
        return person_column.in_(people_answered_for(user))
    return person_column == user.id


def _missing_child_link(user):
    """Correlated EXISTS probes from the child: (child) on each record, then the recording agency or the people
    assigned or offering."""
    def recorded_by_my_agency(model):
        row = _IN_PROBE[model]
        return probe(select(row.id).where(row.child_id == Child.id, row.recorded_by_agency_id == user.agency_id))

    def any_of(model):
        row = _IN_PROBE[model]
        return probe(select(row.id).where(row.child_id == Child.id))

    interview, offer = _IN_PROBE[ReturnInterview], _IN_PROBE[RhiOffer]
    clauses = [recorded_by_my_agency(model) for model in (MissingEpisode, PoliceProtection,
                                                          EmergencyProtectionOrder, Arrest)]
    # Two probes, each one index lookup from the child (assigned: (child, person); offered: the person's offers,
    # then their interview's child), not one probe walking every interview of the child with an offers probe for
    # each: a child missing often has dozens (17 on average among the first 1,723 children at 10x, 2 at 1x), so
    # that cost grew with the partnership's history.
    clauses.append(probe(select(interview.id).where(interview.child_id == Child.id,
                                                    _one_of_people(user, interview.assigned_to_id))))
    clauses.append(probe(select(offer.id).join(interview, interview.id == offer.return_interview_id).where(
        interview.child_id == Child.id, _one_of_people(user, offer.offered_by_id))))
    if user.agency is not None and user.agency.kind == "childrens_social_care":
        # every arrest of a child is for children's social care and MASH to consider a strategy discussion
        clauses.extend(any_of(model) for model in (MissingEpisode, PoliceProtection, Arrest))
    return or_(*clauses)


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


def recent_episodes(child_ids, user, since, until) -> dict[int, list]:
    """Episodes of these children reported between `since` and `until` that `user` may see, newest first
    (for the cumulative harm beside a decision: children.harm)."""
    from ..extensions import db

    found: dict[int, list] = {}
    episodes = db.session.execute(
        select(MissingEpisode).where(MissingEpisode.child_id.in_(list(child_ids)),
                                     MissingEpisode.reported_missing_at >= since,
                                     MissingEpisode.reported_missing_at <= until,
                                     missing_scope(user, MissingEpisode.child_id))
        .order_by(MissingEpisode.reported_missing_at.desc(), MissingEpisode.id.desc())).scalars()
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
    from ..children.harm import register_missing_episodes
    from ..children.services import register_first_event

    register_child_link(_missing_child_link)
    register_missing_episodes(recent_episodes)
    register_first_event(first_recorded_event)
