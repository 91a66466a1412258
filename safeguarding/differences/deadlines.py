"""The clocks of professional differences, in the shared deadline shape (see safeguarding/deadlines.py).

Each open stage has two deadlines, one per side, both due when the stage's timescale runs out:
- `difference_response`: the person answering for the challenged agency must respond within the stage;
  if they do not, their line manager (the natural next-stage lead) is told.
- `difference_stage`: the person leading for the side that disagrees must resolve or escalate; when the stage
  runs out unresolved they are prompted to escalate, and their line manager is told (`escalate_to_id`).
A `difference_notice` is due at once: someone newly leading a stage, or the partnership business unit at a
formal stage, has a difference to read. It stays open until they open the difference, or the stage ends.
"""
from __future__ import annotations

from datetime import datetime
from typing import Collection

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from ..clock import ensure_utc
from ..kept_deadlines.rows import FAR, KeptObject, KeptPart, Watch, always as _always, only as _only
from ..deadlines import Deadline
from ..extensions import db
from ..id_lists import among
from .models import DifferenceNotice, DifferenceStage, ProfessionalDifference

KINDS = {
    "difference_stage": "Professional difference stage: resolve or escalate",
    "difference_response": "Professional difference: respond",
    "difference_notice": "Professional difference to read",
}


def _url(difference_id: int) -> str:
    return f"/differences/{difference_id}"


def earliest_due(*, due_before: datetime) -> datetime | None:
    """No later than any open deadline here (see safeguarding/deadlines.py)."""
    stage = db.session.execute(db.select(func.min(DifferenceStage.due_at))
                               .where(DifferenceStage.closed_at.is_(None))).scalar()
    notice = db.session.execute(db.select(func.min(DifferenceNotice.created_at))
                                .where(DifferenceNotice.acknowledged_at.is_(None))).scalar()
    return min((ensure_utc(t) for t in (stage, notice) if t is not None), default=None)


def _stage_query(due_before: datetime, due_from: datetime | None = None):
    query = db.select(DifferenceStage).where(DifferenceStage.closed_at.is_(None), DifferenceStage.due_at < due_before)
    if due_from is not None:
        query = query.where(DifferenceStage.due_at >= due_from)
    return query


def _stage_rows(query, owners: set[int] | None, sides=("difference_stage", "difference_response")) -> list[Deadline]:
    """Each side's deadline of the stages `query` finds: the raising lead's (resolve or escalate) and the
    responding lead's (respond), for `owners` only when given."""
    query = query.options(joinedload(DifferenceStage.difference).joinedload(ProfessionalDifference.child),
                          joinedload(DifferenceStage.raising_lead), joinedload(DifferenceStage.responding_lead))
    found: list[Deadline] = []
    for stage in db.session.execute(query).scalars():
        difference = stage.difference
        child = difference.child
        common = dict(object_type="difference_stage", object_id=stage.id, due_at=stage.due_at,
                      url=f"{_url(difference.id)}#stage-{stage.number}", child_id=child.id,
                      child_name=child.display_name)
        if "difference_stage" in sides and (owners is None or stage.raising_lead_id in owners):
            found.append(Deadline(
                kind="difference_stage",
                title=f"{difference.reference} about {child.display_name}: stage {stage.number} ({stage.name}) "
                      f"ends; resolve it or escalate",
                owner_id=stage.raising_lead_id, owner_agency_id=stage.raising_lead.agency_id,
                escalate_to_id=stage.raising_lead.line_manager_id, **common))
        if "difference_response" in sides and (owners is None or stage.responding_lead_id in owners):
            found.append(Deadline(
                kind="difference_response",
                title=f"{difference.reference} about {child.display_name}: respond at stage {stage.number} "
                      f"({stage.name})",
                owner_id=stage.responding_lead_id, owner_agency_id=stage.responding_lead.agency_id,
                escalate_to_id=stage.responding_lead.line_manager_id, **common))
    return found


def _notice_query(due_before: datetime, owners: set[int] | None, due_from: datetime | None = None):
    query = (
        db.select(DifferenceNotice)
        .join(DifferenceStage, DifferenceStage.id == DifferenceNotice.stage_id)
        # a notice about a stage that has since ended would chase someone about something already over
        .where(DifferenceNotice.acknowledged_at.is_(None), DifferenceNotice.created_at < due_before,
               DifferenceStage.closed_at.is_(None))
    )
    if due_from is not None:
        query = query.where(DifferenceNotice.created_at >= due_from)
    if owners is not None:
        query = query.where(among(DifferenceNotice.recipient_id, owners))
    return query


def _notice_rows(query) -> list[Deadline]:
    query = query.options(joinedload(DifferenceNotice.stage),
                          joinedload(DifferenceNotice.difference).joinedload(ProfessionalDifference.child))
    found: list[Deadline] = []
    for notice in db.session.execute(query).scalars():
        difference, stage = notice.difference, notice.stage
        child = difference.child
        why = "the partnership is told" if notice.reason == "partnership" else "you are now involved"
        found.append(Deadline(
            kind="difference_notice", object_type="difference_notice", object_id=notice.id,
            title=f"{difference.reference} about {child.display_name} reached stage {stage.number} "
                  f"({stage.name}): {why}",
            due_at=notice.created_at, url=_url(difference.id), owner_id=notice.recipient_id,
            owner_agency_id=notice.recipient_agency_id, child_id=child.id, child_name=child.display_name))
    return found


def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None,
                   due_from: datetime | None = None) -> list[Deadline]:
    owners = set(owner_ids) if owner_ids is not None else None
    stage_query = _stage_query(due_before, due_from)
    if owners is not None:
        stage_query = stage_query.where(or_(among(DifferenceStage.raising_lead_id, owners),
                                            among(DifferenceStage.responding_lead_id, owners)))
    return _stage_rows(stage_query, owners) + _notice_rows(_notice_query(due_before, owners, due_from))


# --- Kept as rows for My work (safeguarding/kept_deadlines/rows.py) -------------------------------------------------


KEPT = (
    KeptObject("difference_stage", DifferenceStage, (
        KeptPart(frozenset({"difference_stage", "difference_response"}), lambda ids: _always(
            _stage_rows(_only(_stage_query(FAR), DifferenceStage.id, ids), None))),
    )),
    # a notice is open only while its stage is: one written while the stage closes waits for the closing
    KeptObject("difference_notice", DifferenceNotice, (
        KeptPart(frozenset({"difference_notice"}), lambda ids: _always(
            _notice_rows(_only(_notice_query(FAR, None), DifferenceNotice.id, ids)))),
    ), parents=lambda ids: (
        db.select(DifferenceStage.id)
        .where(DifferenceStage.id.in_(db.select(DifferenceNotice.stage_id).where(DifferenceNotice.id.in_(ids))))
        .order_by(DifferenceStage.id).with_for_update(read=True))),
)

KEPT_WATCHES = (
    Watch(DifferenceStage, "difference_stage"),
    # a notice about a stage that has ended chases nobody
    Watch(DifferenceStage, "difference_notice", attrs=("closed_at",),
          expand=lambda ids: db.select(DifferenceNotice.id).where(DifferenceNotice.stage_id.in_(ids))),
    Watch(DifferenceNotice, "difference_notice"),
)
