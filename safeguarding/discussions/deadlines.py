"""The clocks of a strategy discussion, in the shared Deadline shape (see safeguarding/deadlines.py).

- agreed_action: owned by the action's owner; open until done or cancelled.
- minutes_circulation: owned by the chair; due 1 working day (local setting) after the discussion; open until
  the minutes are circulated.
- icpc: owned by the chair of the discussion that started the section 47 enquiry (the chair made the decision
  and is always a named person; the allocated social worker may not be known yet); due 15 working days after
  that discussion (moved with a corrected date); open until a conference date is booked, or the enquiry's
  recorded outcome needs no conference. Two booking checkpoints come
  first (thresholds.ICPC_CHECKPOINTS): request it (1 working day) and, still not booked, book it (10 working
  days); each gives way to the next once that is due, so My work shows where the booking stands, once.
- follow_up_meeting: owned by the chair of a phone discussion who asked for a strategy meeting to follow; due
  5 working days (local setting) after the discussion; open until a strategy meeting (not another phone call)
  linked to it is held, or is convened for a time by the due date. One convened for after the due date does
  not stop the chase: the clock is met only by a meeting held in time (thresholds.follow_up_meeting_state).
- icpc_held: a booked conference whose date has come, until it is confirmed as held; owned by the chair.
- assessment: the child and family assessment, due 45 working days after the referral; started by a section 17
  or 47 decision; owned by that discussion's chair; open until its completion is recorded (on any decision for
  the child about the same referral). One per referral: the due time is kept on the earliest such decision
  (`ThresholdDecision.assessment_due_at`, indexed, kept by the services), so a review does not start another.
- still_to_decide: owned by the chair; a decision left an answer "not decided yet" (ABE interview, intermediary,
  medical examination, legal action, what the family is told); due by the end of the working day after the
  decision (`ThresholdDecision.still_to_decide_due_at`, indexed); open until every answer is given.
Each is one indexed query whose cost grows with the rows returned.
"""
from __future__ import annotations

import functools

from datetime import datetime, timedelta
from typing import Collection

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased, joinedload

from .. import clock
from ..kept_deadlines.rows import FAR, KeptObject, KeptPart, Watch, always as _always, only as _only
from ..deadlines import Deadline
from ..extensions import db
from ..auth.models import User
from ..children.models import Child, display_name
from ..id_lists import among
from ..counting import count_where
from . import thresholds
from .listing import children_named
from .models import (NOT_DECIDED, UNDECIDED_QUESTIONS, AgreedAction, StrategyDiscussion, ThresholdDecision,
                     discussion_title)

KINDS = {
    "agreed_action": "Agreed action",
    "minutes_circulation": "Minutes to circulate",
    "icpc": "Initial child protection conference",
    "follow_up_meeting": "Strategy meeting to follow a phone discussion",
    "icpc_request": "Initial child protection conference: request it",
    "icpc_booking": "Initial child protection conference: not yet booked",
    "assessment": "Child and family assessment",
    "icpc_held": "Initial child protection conference: confirm it was held",
    "still_to_decide": "Decision with answers still to decide",
}

_ICPC_TITLES = {
    "icpc_request": "Request the initial child protection conference for {name}",
    "icpc_booking": "Book the initial child protection conference for {name}: 5 working days left",
    "icpc": "Initial child protection conference for {name}",
}
#: The first booking checkpoint falls 14 working days before the ICPC is due; 31 calendar days covers that even
#: across Christmas and Easter, so the query can stay a range scan on the indexed due time.
_ICPC_LOOKAHEAD = timedelta(days=31)


def _child_name(relationship):
    """A deadline names its child and nothing more: the name columns only (a child's row carries its whole record)."""
    return joinedload(relationship).load_only(Child.first_name, Child.last_name, Child.is_unborn)


def _chair_agency(path):
    """A deadline's owner is the chair: their agency only (not their password hash and sign-in secrets)."""
    return path.joinedload(StrategyDiscussion.chair).load_only(User.agency_id)


@functools.cache
def _action_columns():
    # columns, not records: the action's and its child's name (an action's record carries its whole history).
    # Built once (statements are immutable): each query adds its conditions to it.
    return (db.select(AgreedAction.id, AgreedAction.description, AgreedAction.due_at, AgreedAction.discussion_id,
                      AgreedAction.owner_id, AgreedAction.owner_agency_id, AgreedAction.child_id, Child.first_name,
                      Child.last_name, Child.is_unborn)
            .select_from(AgreedAction).outerjoin(Child, Child.id == AgreedAction.child_id))


def _action_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    query = _action_columns().where(AgreedAction.status == "open", AgreedAction.due_at < due_before)
    if due_from is not None:
        query = query.where(AgreedAction.due_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(AgreedAction.owner_id, owner_ids))
    return query


def _action_rows(query) -> list[Deadline]:
    """The deadlines of the actions `query` (from `_action_query`) finds."""
    rows = db.session.execute(query)
    return [Deadline(kind="agreed_action", object_type="agreed_action", object_id=action_id,
                     title=f"Action: {_short(description)}", due_at=due_at,
                     url=f"/discussions/{discussion_id}#action-{action_id}", owner_id=owner_id,
                     owner_agency_id=owner_agency_id, child_id=child_id,
                     child_name=display_name(first, last, unborn) if child_id is not None else None)
            for (action_id, description, due_at, discussion_id, owner_id, owner_agency_id, child_id, first, last,
                 unborn) in rows]


def _action_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _action_rows(_action_query(due_before, owner_ids, due_from))


def _circulation_open(due_before: datetime) -> list:
    return [StrategyDiscussion.minutes_status.in_(("draft", "agreed")),
            StrategyDiscussion.circulation_due_at < due_before,
            StrategyDiscussion.status.in_(("convened", "decided"))]


@functools.cache
def _discussion_columns(due_name: str):
    """(id, kind, due time, chair, chair's agency) of discussions: columns, not records (a discussion's row carries
    everything said at it; as ORM objects the discussions and their children were most of My work's cost for MASH).
    `due_name`: the discussion's column the deadline falls due by. Built once: each query adds its conditions."""
    chair = aliased(User)
    return (db.select(StrategyDiscussion.id, StrategyDiscussion.kind, getattr(StrategyDiscussion, due_name),
                      StrategyDiscussion.chair_id, chair.agency_id)
            .select_from(StrategyDiscussion).outerjoin(chair, chair.id == StrategyDiscussion.chair_id))


def _circulation_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    query = _discussion_columns("circulation_due_at").where(*_circulation_open(due_before))
    if due_from is not None:
        query = query.where(StrategyDiscussion.circulation_due_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(StrategyDiscussion.chair_id, owner_ids))
    return query


def _discussion_rows(query):
    """(id, due time, chair, chair's agency, title, first child's id and name) of each discussion `query` (from
    `_discussion_columns`) finds."""
    rows = db.session.execute(query).all()
    children = children_named([r.id for r in rows])
    for sd_id, kind, due_at, chair_id, chair_agency_id in rows:
        named = children.get(sd_id, [])
        first = named[0] if named else (None, None)
        yield sd_id, due_at, chair_id, chair_agency_id, discussion_title(kind, [name for _, name in named]), *first


def _circulation_rows(query) -> list[Deadline]:
    return [Deadline(kind="minutes_circulation", object_type="strategy_discussion", object_id=sd_id,
                     title=f"Circulate the minutes: {title}", due_at=due_at, url=f"/discussions/{sd_id}/minutes",
                     owner_id=chair_id, owner_agency_id=chair_agency_id, child_id=child_id, child_name=child_name)
            for sd_id, due_at, chair_id, chair_agency_id, title, child_id, child_name
            in _discussion_rows(query)]


def _circulation_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None, *,
                           limit: int | None = None, offset: int = 0) -> list[Deadline]:
    query = _circulation_query(due_before, owner_ids, due_from)
    if limit is not None:
        # the same order the dashboard merges in (due, then id), so a page here is a prefix of the merged list
        query = query.order_by(StrategyDiscussion.circulation_due_at, StrategyDiscussion.id).limit(limit).offset(offset)
    return _circulation_rows(query)


def _icpc_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    query = (db.select(ThresholdDecision)
             .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
             .options(_child_name(ThresholdDecision.child),
                      _chair_agency(joinedload(ThresholdDecision.discussion)))
             .where(ThresholdDecision.icpc_status == "due",
                    ThresholdDecision.icpc_due_at < due_before + _ICPC_LOOKAHEAD))
    if due_from is not None:
        # the checkpoints come before the conference's due time, never after it
        query = query.where(ThresholdDecision.icpc_due_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(StrategyDiscussion.chair_id, owner_ids))
    return query


def _icpc_points(query, due_before: datetime, due_from: datetime | None = None
                 ) -> list[tuple[Deadline, datetime | None]]:
    """Each decision's conference deadlines, each with the moment it gives way (a booking checkpoint to the next,
    once that is due; the conference itself only to a change)."""
    found = []
    for d in db.session.execute(query).unique().scalars():
        chair = d.discussion.chair
        if d.enquiry_started_on is not None:
            points = thresholds.icpc_checkpoints(d.enquiry_started_on)
            # the stored due time is the one the chair was told; the checkpoints are counted from the same start
            points[-1] = ("icpc", d.icpc_due_at)
        else:
            points = [("icpc", d.icpc_due_at)]
        for index, (kind, due) in enumerate(points):
            if due >= due_before or (due_from is not None and due < due_from):
                continue
            until = points[index + 1][1] if kind != "icpc" else None
            found.append((Deadline(kind=kind, object_type="threshold_decision", object_id=d.id,
                                   title=_ICPC_TITLES[kind].format(name=d.child.display_name),
                                   due_at=due, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                                   owner_id=chair.id if chair else None,
                                   owner_agency_id=chair.agency_id if chair else None,
                                   child_id=d.child_id, child_name=d.child.display_name), until))
    return found


def _icpc_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    now = clock.now()
    return [d for d, until in _icpc_points(_icpc_query(due_before, owner_ids, due_from), due_before, due_from)
            if until is None or until > now]


#: built once: each `aliased()` proxies every column of its table, 1.7 ms of Python for a strategy discussion
_REVIEW = aliased(StrategyDiscussion, name="follow_up_review")


def _follow_up_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    review = _REVIEW
    # Stops the chase: a strategy meeting already held, or convened for a time by the due date. A meeting set
    # for after the due date leaves the chair chased until it is held (and then the clock closes as late).
    in_time_or_held = (db.select(review.id)
                       .where(review.previous_id == StrategyDiscussion.id, review.status.in_(("convened", "decided")),
                              review.mode.in_(sorted(thresholds.FOLLOW_UP_MEETING_MODES)),
                              or_(review.scheduled_at <= StrategyDiscussion.follow_up_meeting_due_at,
                                  review.scheduled_at <= clock.now()))
                       .exists())
    query = (_discussion_columns("follow_up_meeting_due_at")
             .where(StrategyDiscussion.follow_up_meeting_due_at < due_before,
                    StrategyDiscussion.status.in_(("convened", "decided")), ~in_time_or_held))
    if due_from is not None:
        query = query.where(StrategyDiscussion.follow_up_meeting_due_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(StrategyDiscussion.chair_id, owner_ids))
    return query


def _follow_up_rows(query) -> list[Deadline]:
    return [Deadline(kind="follow_up_meeting", object_type="strategy_discussion", object_id=sd_id,
                     title=f"Convene the strategy meeting after the phone discussion: {title}", due_at=due_at,
                     url=f"/discussions/{sd_id}#follow-up-meeting", owner_id=chair_id,
                     owner_agency_id=chair_agency_id, child_id=child_id, child_name=child_name)
            for sd_id, due_at, chair_id, chair_agency_id, title, child_id, child_name
            in _discussion_rows(query)]


def _follow_up_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _follow_up_rows(_follow_up_query(due_before, owner_ids, due_from))


def _conference_held_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    # "Booked" must be followed by "held": a booked date that passes unconfirmed is chased from 17:00 that day.
    query = (db.select(ThresholdDecision)
             .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
             .options(_child_name(ThresholdDecision.child),
                      _chair_agency(joinedload(ThresholdDecision.discussion)))
             .where(ThresholdDecision.icpc_status == "booked", ThresholdDecision.icpc_date.is_not(None),
                    ThresholdDecision.icpc_held_on.is_(None),
                    ThresholdDecision.icpc_date <= clock.to_london(due_before).date()))
    if due_from is not None:
        query = query.where(ThresholdDecision.icpc_date >= clock.to_london(due_from).date() - timedelta(days=1))
    if owner_ids is not None:
        query = query.where(among(StrategyDiscussion.chair_id, owner_ids))
    return query


def _conference_held_rows(query, due_before: datetime, due_from: datetime | None = None) -> list[Deadline]:
    found = []
    for d in db.session.execute(query).unique().scalars():
        due = thresholds.conference_held_due_at(d.icpc_date)
        if due >= due_before or (due_from is not None and due < due_from):
            continue
        chair = d.discussion.chair
        found.append(Deadline(kind="icpc_held", object_type="threshold_decision", object_id=d.id,
                              title=f"Confirm the initial child protection conference for {d.child.display_name} "
                                    f"was held on {d.icpc_date.strftime('%-d %B %Y')}",
                              due_at=due, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                              owner_id=chair.id if chair else None,
                              owner_agency_id=chair.agency_id if chair else None,
                              child_id=d.child_id, child_name=d.child.display_name))
    return found


def _conference_held_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _conference_held_rows(_conference_held_query(due_before, owner_ids, due_from), due_before, due_from)


def _assessment_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    # The services keep the due time on the one decision holding each referral's assessment clock (set while it
    # runs, cleared once the assessment is completed on any decision about the referral), so this is a range scan on
    # its partial index: the partnership's running clocks, not every decision it ever made. The decision's own
    # outcome and completion are checked as well, so a row written around the services is never chased for an
    # assessment it records as done.
    query = db.select(ThresholdDecision).where(ThresholdDecision.assessment_due_at < due_before,
                                               ThresholdDecision.assessment_completed_at.is_(None),
                                               ThresholdDecision.outcome.in_(sorted(thresholds.ASSESSMENT_OUTCOMES)))
    if due_from is not None:
        query = query.where(ThresholdDecision.assessment_due_at >= due_from)
    if owner_ids is not None:
        query = (query.join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
                 .where(among(StrategyDiscussion.chair_id, owner_ids)))
    return query


def _assessment_rows(query) -> list[Deadline]:
    query = query.options(_child_name(ThresholdDecision.child),
                          _chair_agency(joinedload(ThresholdDecision.discussion)))
    found = []
    for d in db.session.execute(query).unique().scalars():
        chair = d.discussion.chair
        found.append(Deadline(kind="assessment", object_type="threshold_decision", object_id=d.id,
                              title=f"Child and family assessment for {d.child.display_name}",
                              due_at=d.assessment_due_at, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                              owner_id=chair.id if chair else None,
                              owner_agency_id=chair.agency_id if chair else None,
                              child_id=d.child_id, child_name=d.child.display_name))
    return found


def _assessment_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _assessment_rows(_assessment_query(due_before, owner_ids, due_from))


def _still_to_decide_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    # The services keep the due time beside the answers (set while any is "not decided yet", cleared once all are
    # given), so this is a range scan on its index; the answers are checked as well, so a row written around the
    # services is never chased for an answer it has.
    undecided = or_(*(getattr(ThresholdDecision, name) == NOT_DECIDED for name in UNDECIDED_QUESTIONS))
    query = (db.select(ThresholdDecision)
             .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
             .where(ThresholdDecision.still_to_decide_due_at < due_before, undecided,
                    StrategyDiscussion.status != "cancelled"))
    if due_from is not None:
        query = query.where(ThresholdDecision.still_to_decide_due_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(StrategyDiscussion.chair_id, owner_ids))
    return query


def _still_to_decide_rows(query) -> list[Deadline]:
    query = query.options(_child_name(ThresholdDecision.child),
                          _chair_agency(joinedload(ThresholdDecision.discussion)))
    found = []
    for d in db.session.execute(query).unique().scalars():
        due_at = d.still_to_decide_due_at
        chair = d.discussion.chair
        found.append(Deadline(kind="still_to_decide", object_type="threshold_decision", object_id=d.id,
                              title=f"Still to decide for {d.child.display_name}: {', '.join(d.still_to_decide)}",
                              due_at=due_at, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                              owner_id=chair.id if chair else None,
                              owner_agency_id=chair.agency_id if chair else None,
                              child_id=d.child_id, child_name=d.child.display_name))
    return found


def _still_to_decide_deadlines(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _still_to_decide_rows(_still_to_decide_query(due_before, owner_ids, due_from))


#: kinds this module can page and count in SQL for the whole partnership (MASH staff's view on My work); other
#: kinds are only asked for through `open_deadlines`
PAGED_KINDS = frozenset({"minutes_circulation"})


def page_deadlines(kind: str, *, due_before: datetime, limit: int, offset: int = 0) -> list[Deadline]:
    """One page of the partnership's open deadlines of `kind`, soonest first (due, then id)."""
    if kind not in PAGED_KINDS:
        raise ValueError(f"{kind} is not paged here")
    return _circulation_deadlines(due_before, None, limit=limit, offset=offset)


def count_deadlines(kind: str, *, now: datetime, end_of_today: datetime, due_before: datetime) -> tuple[int, int, int]:
    """(overdue, due later today, due later before `due_before`) for the partnership's open deadlines of `kind`, in
    one statement: the counts a summary needs without loading the rows."""
    if kind not in PAGED_KINDS:
        raise ValueError(f"{kind} is not counted here")
    due = StrategyDiscussion.circulation_due_at


    row = db.session.execute(db.select(count_where(due <= now), count_where(and_(due > now, due < end_of_today)),
                                       count_where(due >= end_of_today))
                             .where(*_circulation_open(due_before))).one()
    return int(row[0]), int(row[1]), int(row[2])


def _short(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None,
                   due_from: datetime | None = None) -> list[Deadline]:
    return [d for query in (_action_deadlines, _circulation_deadlines, _icpc_deadlines, _follow_up_deadlines,
                            _conference_held_deadlines, _assessment_deadlines, _still_to_decide_deadlines)
            for d in query(due_before, owner_ids, due_from)]


def earliest_due(*, due_before: datetime) -> datetime | None:
    """A time no later than any open deadline here due before `due_before` (None: there is none): where the
    reminder sweep's catch-up starts. One MIN per kind over its open rows; derived clocks from what they derive from."""
    times = [
        db.select(func.min(AgreedAction.due_at)).where(AgreedAction.status == "open"),
        db.select(func.min(StrategyDiscussion.circulation_due_at)).where(*_circulation_open(due_before)),
        db.select(func.min(StrategyDiscussion.follow_up_meeting_due_at))
        .where(StrategyDiscussion.status.in_(("convened", "decided"))),
        db.select(func.min(ThresholdDecision.still_to_decide_due_at)),
        db.select(func.min(ThresholdDecision.assessment_due_at)),
    ]
    found = [clock.ensure_utc(t) for t in (db.session.execute(q).scalar() for q in times) if t is not None]
    # the booking checkpoints fall up to _ICPC_LOOKAHEAD before the conference's due time
    icpc = db.session.execute(db.select(func.min(ThresholdDecision.icpc_due_at))
                              .where(ThresholdDecision.icpc_status == "due")).scalar()
    if icpc is not None:
        found.append(clock.ensure_utc(icpc) - _ICPC_LOOKAHEAD)
    days = [
        db.select(func.min(ThresholdDecision.icpc_date)).where(ThresholdDecision.icpc_status == "booked",
                                                              ThresholdDecision.icpc_held_on.is_(None)),
    ]
    found += [clock.london_datetime(d) for d in (db.session.execute(q).scalar() for q in days) if d is not None]
    return min(found, default=None)


# --- Kept as rows for My work (safeguarding/kept_deadlines/rows.py) -------------------------------------------------


def _kept_follow_ups(ids) -> list[tuple[Deadline, datetime | None]]:
    """A phone discussion's follow-up meeting, whatever the time: none once a strategy meeting linked to it is
    convened for a time by the due date; otherwise open until the earliest such meeting's time, if one is convened
    (held by then, or not, that stops the chase: `_follow_up_query`)."""
    query = _only(_discussion_columns("follow_up_meeting_due_at").where(
        StrategyDiscussion.follow_up_meeting_due_at.is_not(None),
        StrategyDiscussion.status.in_(("convened", "decided"))), StrategyDiscussion.id, ids)
    found = _follow_up_rows(query)
    if not found:
        return []
    review = _REVIEW
    meetings: dict[int, list[datetime]] = {}
    for previous_id, at in db.session.execute(
            db.select(review.previous_id, review.scheduled_at)
            .where(among(review.previous_id, [d.object_id for d in found]),
                   review.status.in_(("convened", "decided")),
                   review.mode.in_(sorted(thresholds.FOLLOW_UP_MEETING_MODES)), review.scheduled_at.is_not(None))):
        meetings.setdefault(previous_id, []).append(clock.ensure_utc(at))
    kept = []
    for d in found:
        times = meetings.get(d.object_id, [])
        if any(at <= d.due_at for at in times):
            continue
        kept.append((d, min(times, default=None)))
    return kept


KEPT = (
    KeptObject("agreed_action", AgreedAction, (
        KeptPart(frozenset({"agreed_action"}),
                 lambda ids: _always(_action_rows(_only(_action_query(FAR, None), AgreedAction.id, ids)))),
    )),
    KeptObject("strategy_discussion", StrategyDiscussion, (
        KeptPart(frozenset({"minutes_circulation"}), lambda ids: _always(
            _circulation_rows(_only(_circulation_query(FAR, None), StrategyDiscussion.id, ids)))),
        KeptPart(frozenset({"follow_up_meeting"}), _kept_follow_ups),
    )),
    KeptObject("threshold_decision", ThresholdDecision, (
        KeptPart(frozenset({"icpc_request", "icpc_booking", "icpc"}),
                 lambda ids: _icpc_points(_only(_icpc_query(FAR, None), ThresholdDecision.id, ids), FAR)),
        KeptPart(frozenset({"icpc_held"}), lambda ids: _always(_conference_held_rows(
            _only(_conference_held_query(FAR, None), ThresholdDecision.id, ids), FAR))),
        KeptPart(frozenset({"assessment"}), lambda ids: _always(
            _assessment_rows(_only(_assessment_query(FAR, None), ThresholdDecision.id, ids)))),
        KeptPart(frozenset({"still_to_decide"}), lambda ids: _always(
            _still_to_decide_rows(_only(_still_to_decide_query(FAR, None), ThresholdDecision.id, ids)))),
    ), parents=lambda ids: (
        db.select(StrategyDiscussion.id)
        .where(StrategyDiscussion.id.in_(db.select(ThresholdDecision.discussion_id)
                                         .where(ThresholdDecision.id.in_(ids))))
        .order_by(StrategyDiscussion.id).with_for_update(read=True))),
)

KEPT_WATCHES = (
    Watch(AgreedAction, "agreed_action"),
    Watch(StrategyDiscussion, "strategy_discussion"),
    # a strategy meeting convened to follow a phone discussion stops (or times the end of) that one's chase
    Watch(StrategyDiscussion, "strategy_discussion", key="previous_id",
          attrs=("previous_id", "status", "mode", "scheduled_at")),
    # a decision's deadlines are its discussion chair's, and a cancelled discussion asks nothing still to decide
    Watch(StrategyDiscussion, "threshold_decision", attrs=("status", "chair_id"),
          expand=lambda ids: db.select(ThresholdDecision.id).where(ThresholdDecision.discussion_id.in_(ids))),
    Watch(ThresholdDecision, "threshold_decision"),
)
