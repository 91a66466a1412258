"""The clocks of a strategy discussion, in the shared Deadline shape (see safeguarding/deadlines.py).

- agreed_action: owned by the action's owner; open until done or cancelled.
- minutes_circulation: owned by the chair; due 1 working day (local setting) after the discussion; open until
  the minutes are circulated.
- icpc: owned by the chair of the discussion that started the section 47 enquiry (the chair made the decision
  and is always a named person; the allocated social worker may not be known yet); due 15 working days after
  that discussion; open until a conference date is recorded as booked or held.
- follow_up_meeting: owned by the chair of a phone discussion who asked for a strategy meeting to follow; due
  5 working days (local setting) after the discussion; open until a review discussion linked to it is convened.
- still_to_decide: owned by the chair; a decision left an answer "not decided yet" (ABE interview, intermediary,
  medical examination, legal action, what the family is told); due by the end of the working day after the
  decision; open until every answer is given. (Scanned by its answers, not an indexed due time: an indexed
  column needs a migration after 0014.)
Each is one indexed query whose cost grows with the rows returned.
"""
from __future__ import annotations

from datetime import datetime
from typing import Collection

from sqlalchemy import or_
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..deadlines import Deadline
from ..extensions import db
from .models import (NOT_DECIDED, UNDECIDED_QUESTIONS, AgreedAction, DiscussionChild, StrategyDiscussion,
                     ThresholdDecision)
from .thresholds import circulation_due_at

KINDS = {
    "agreed_action": "Agreed action",
    "minutes_circulation": "Minutes to circulate",
    "icpc": "Initial child protection conference",
    "follow_up_meeting": "Strategy meeting to follow a phone discussion",
    "still_to_decide": "Decision with answers still to decide",
}


def _action_deadlines(due_before: datetime, owner_ids) -> list[Deadline]:
    query = (db.select(AgreedAction)
             .options(joinedload(AgreedAction.child), joinedload(AgreedAction.owner))
             .where(AgreedAction.status == "open", AgreedAction.due_at < due_before))
    if owner_ids is not None:
        query = query.where(AgreedAction.owner_id.in_(list(owner_ids)))
    return [Deadline(kind="agreed_action", object_type="agreed_action", object_id=a.id,
                     title=f"Action: {_short(a.description)}", due_at=a.due_at,
                     url=f"/discussions/{a.discussion_id}#action-{a.id}", owner_id=a.owner_id,
                     owner_agency_id=a.owner_agency_id, child_id=a.child_id,
                     child_name=a.child.display_name if a.child else None)
            for a in db.session.execute(query).unique().scalars()]


def _circulation_deadlines(due_before: datetime, owner_ids) -> list[Deadline]:
    query = (db.select(StrategyDiscussion)
             .options(selectinload(StrategyDiscussion.children).joinedload(DiscussionChild.child),
                      joinedload(StrategyDiscussion.chair))
             .where(StrategyDiscussion.minutes_status.in_(("draft", "agreed")),
                    StrategyDiscussion.circulation_due_at < due_before,
                    StrategyDiscussion.status.in_(("convened", "decided"))))
    if owner_ids is not None:
        query = query.where(StrategyDiscussion.chair_id.in_(list(owner_ids)))
    found = []
    for sd in db.session.execute(query).unique().scalars():
        first = sd.children[0].child if sd.children else None
        found.append(Deadline(kind="minutes_circulation", object_type="strategy_discussion", object_id=sd.id,
                              title=f"Circulate the minutes: {sd.title}", due_at=sd.circulation_due_at,
                              url=f"/discussions/{sd.id}/minutes", owner_id=sd.chair_id,
                              owner_agency_id=sd.chair.agency_id if sd.chair else None,
                              child_id=first.id if first else None,
                              child_name=first.display_name if first else None))
    return found


def _icpc_deadlines(due_before: datetime, owner_ids) -> list[Deadline]:
    query = (db.select(ThresholdDecision)
             .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
             .options(joinedload(ThresholdDecision.child),
                      joinedload(ThresholdDecision.discussion).joinedload(StrategyDiscussion.chair))
             .where(ThresholdDecision.icpc_status == "due", ThresholdDecision.icpc_due_at < due_before))
    if owner_ids is not None:
        query = query.where(StrategyDiscussion.chair_id.in_(list(owner_ids)))
    found = []
    for d in db.session.execute(query).unique().scalars():
        chair = d.discussion.chair
        found.append(Deadline(kind="icpc", object_type="threshold_decision", object_id=d.id,
                              title=f"Initial child protection conference for {d.child.display_name}",
                              due_at=d.icpc_due_at, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                              owner_id=chair.id if chair else None,
                              owner_agency_id=chair.agency_id if chair else None,
                              child_id=d.child_id, child_name=d.child.display_name))
    return found


def _follow_up_deadlines(due_before: datetime, owner_ids) -> list[Deadline]:
    review = aliased(StrategyDiscussion)
    convened_review = (db.select(review.id).where(review.previous_id == StrategyDiscussion.id,
                                                  review.status.in_(("convened", "decided"))).exists())
    query = (db.select(StrategyDiscussion)
             .options(selectinload(StrategyDiscussion.children).joinedload(DiscussionChild.child),
                      joinedload(StrategyDiscussion.chair))
             .where(StrategyDiscussion.follow_up_meeting_due_at < due_before,
                    StrategyDiscussion.status.in_(("convened", "decided")), ~convened_review))
    if owner_ids is not None:
        query = query.where(StrategyDiscussion.chair_id.in_(list(owner_ids)))
    found = []
    for sd in db.session.execute(query).unique().scalars():
        first = sd.children[0].child if sd.children else None
        found.append(Deadline(kind="follow_up_meeting", object_type="strategy_discussion", object_id=sd.id,
                              title=f"Convene the strategy meeting after the phone discussion: {sd.title}",
                              due_at=sd.follow_up_meeting_due_at, url=f"/discussions/{sd.id}#follow-up-meeting",
                              owner_id=sd.chair_id, owner_agency_id=sd.chair.agency_id if sd.chair else None,
                              child_id=first.id if first else None,
                              child_name=first.display_name if first else None))
    return found


def _still_to_decide_deadlines(due_before: datetime, owner_ids) -> list[Deadline]:
    # Due by the end of the working day after the decision, so only decisions made before `due_before` can be due.
    undecided = or_(*(getattr(ThresholdDecision, name) == NOT_DECIDED for name in UNDECIDED_QUESTIONS))
    query = (db.select(ThresholdDecision)
             .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
             .options(joinedload(ThresholdDecision.child),
                      joinedload(ThresholdDecision.discussion).joinedload(StrategyDiscussion.chair))
             .where(undecided, ThresholdDecision.decided_at < due_before, StrategyDiscussion.status != "cancelled"))
    if owner_ids is not None:
        query = query.where(StrategyDiscussion.chair_id.in_(list(owner_ids)))
    found = []
    for d in db.session.execute(query).unique().scalars():
        due_at = still_to_decide_due_at(d)
        if due_at >= due_before:
            continue
        chair = d.discussion.chair
        found.append(Deadline(kind="still_to_decide", object_type="threshold_decision", object_id=d.id,
                              title=f"Still to decide for {d.child.display_name}: {', '.join(d.still_to_decide)}",
                              due_at=due_at, url=f"/discussions/{d.discussion_id}#decision-{d.child_id}",
                              owner_id=chair.id if chair else None,
                              owner_agency_id=chair.agency_id if chair else None,
                              child_id=d.child_id, child_name=d.child.display_name))
    return found


def still_to_decide_due_at(decision: ThresholdDecision) -> datetime:
    """"Not decided yet" is settled by the end of the next working day after the decision was recorded."""
    return circulation_due_at(decision.decided_at, 1)


def _short(text: str, size: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None) -> list[Deadline]:
    return (_action_deadlines(due_before, owner_ids) + _circulation_deadlines(due_before, owner_ids)
            + _icpc_deadlines(due_before, owner_ids) + _follow_up_deadlines(due_before, owner_ids)
            + _still_to_decide_deadlines(due_before, owner_ids))
