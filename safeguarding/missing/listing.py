"""The missing lists' rows (return interviews due, episodes): the columns each list shows, read as plain rows.

As ORM records, a page of interviews was 25 interviews, their children, their workers and every offer each had been
made (a statement of its own), to show a name, a worker's name, how many offers and the last one's answer; a page of
episodes was the episodes and their children, whole. The columns come in one statement: the names joined, the
offers counted and the last answer read beside each row.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select

from ..auth.models import User
from ..children.models import Child, display_name
from .models import LABELS, EpisodeLabels, MissingEpisode, PreventionInterview, ReturnInterview, RhiOffer, RhiStatus


@dataclass
class InterviewRow:
    id: int
    returned_at: datetime
    due_at: datetime
    status: str
    completed_in_time: bool | None
    first_name: str
    last_name: str
    is_unborn: bool
    worker_name: str | None
    offers: int
    last_response: str | None

    @property
    def child_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.is_unborn)

    @property
    def last_response_label(self) -> str:
        return LABELS["response"].get(self.last_response, self.last_response or "")


@dataclass
class EpisodeRow(EpisodeLabels):
    id: int
    reported_missing_at: datetime
    missing_from: str
    risk_level: str
    returned_at: datetime | None
    first_name: str
    last_name: str
    is_unborn: bool
    prevention_recorded: bool

    @property
    def child_name(self) -> str:
        return display_name(self.first_name, self.last_name, self.is_unborn)


# Built once (statements are immutable): each page adds its conditions and order.

@functools.cache
def _interview_columns():
    offers = RhiOffer.return_interview_id == ReturnInterview.id
    return (select(ReturnInterview.id, ReturnInterview.returned_at, ReturnInterview.due_at, ReturnInterview.status,
                   ReturnInterview.completed_in_time, Child.first_name, Child.last_name, Child.is_unborn, User.name,
                   select(func.count(RhiOffer.id)).where(offers).scalar_subquery(),
                   # the last offer as the interview's page lists them (by when it was made)
                   select(RhiOffer.response).where(offers).order_by(RhiOffer.offered_at.desc(), RhiOffer.id.desc())
                   .limit(1).scalar_subquery())
            .select_from(ReturnInterview).join(Child, Child.id == ReturnInterview.child_id)
            .outerjoin(User, User.id == ReturnInterview.assigned_to_id))


@functools.cache
def _episode_columns():
    return (select(MissingEpisode.id, MissingEpisode.reported_missing_at, MissingEpisode.missing_from,
                   MissingEpisode.risk_level, MissingEpisode.returned_at, Child.first_name, Child.last_name,
                   Child.is_unborn,
                   exists().where(PreventionInterview.episode_id == MissingEpisode.id))
            .select_from(MissingEpisode).join(Child, Child.id == MissingEpisode.child_id))


def interviews(conditions, order):
    return _interview_columns().where(*conditions).order_by(*order)


def episodes(conditions, order):
    return _episode_columns().where(*conditions).order_by(*order)


#: the lists whose statements are kept per person (`listed`), each name the same object on every request
KEPT_TABS = {name: name for name in ("rhis", "missing", "episodes")}


def listed(scope, tab: str):
    """A kept list's statements for one person's scope (`missing_scope` on the list's child column) and `tab` (one
    of KEPT_TABS): its rows (the columns it shows) and the records to count (without them). Built to be kept
    (`auth.access.scoped`): SQLAlchemy walks a new statement's whole tree, the scope included, on each run."""
    if tab == "rhis":
        conditions = [ReturnInterview.status == RhiStatus.OPEN.value, scope]
        return (interviews(conditions, [ReturnInterview.due_at, ReturnInterview.id]),
                select(ReturnInterview.id).where(*conditions))
    conditions = [scope]
    if tab == "missing":
        conditions.append(MissingEpisode.returned_at.is_(None))
    return (episodes(conditions, [MissingEpisode.reported_missing_at.desc(), MissingEpisode.id.desc()]),
            select(MissingEpisode.id).where(*conditions))


def as_rows(kind: type, found) -> list:
    return [kind(*values) for values in found]
