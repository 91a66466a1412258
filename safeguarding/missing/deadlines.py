"""The clocks of missing children and emergency powers, in the shared Deadline shape.

- Return home interview: due 72 clock hours after the return; open until completed or closed as not held.
  Owner: the assigned worker. An unassigned interview is on the My work of every active manager of the responsible
  children's social care agency (ReturnInterview.local_authority_id) until someone is assigned: allocating it is a
  manager's job. Asked for everyone's deadlines (the reminder sweep, the partnership view) it is one deadline with
  no named owner (team_mailbox): its reminders go once to that agency's shared mailbox, or to one fallback person,
  never to each manager.
- Return home interview not offered at 48 hours (`return_interview_48h`): same owners, due 48 clock hours after
  the return while no offer has been recorded; its escalation reaches the owner's manager at once, while 24 of
  the 72 hours remain. Closed by the first offer (refused or not), completion, or closing as not held.
- Police protection (s46): three clocks while it lasts, at 48 hours (plan the end), 66 hours (six hours left)
  and the 72-hour end. Owner: the officer who recorded it; escalated to their line manager.
- Emergency protection order: expiry at the end the court specified (at most what s45 allows), or the
  extended end. Owner: the social worker who recorded it.

Each query is one indexed range scan over open rows due before `due_before`.
"""
from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Collection

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from ..auth.models import Role, User
from ..children.models import Child, full_name
from ..clock import ensure_utc
from ..kept_deadlines.rows import FAR, KeptObject, KeptPart, Watch, always as _always, only as _only
from ..deadlines import Deadline
from ..extensions import db
from ..id_lists import among
from . import rules
from .models import EmergencyProtectionOrder, PoliceProtection, ReturnInterview, RhiOffer, RhiStatus

KINDS = {
    "return_interview": "Return home interview",
    "return_interview_48h": "Return home interview not offered at 48 hours",
    "police_protection_48h": "Police protection: 48 hours",
    "police_protection_66h": "Police protection: 6 hours left",
    "police_protection": "Police protection ends",
    "epo_expiry": "Emergency protection order expires",
}

_PP_KINDS = {48: "police_protection_48h", 66: "police_protection_66h", 72: "police_protection"}
_PP_TITLES = {48: "Police protection for {name}: 48 hours, plan the end",
              66: "Police protection for {name}: 6 hours left",
              72: "Police protection for {name} must end"}


def open_deadlines(*, due_before: datetime, owner_ids: Collection[int] | None = None,
                   due_from: datetime | None = None) -> list[Deadline]:
    return [d for query in (_return_interviews, _unoffered_return_interviews, _police_protection, _epos)
            for d in query(due_before, owner_ids, due_from)]


def earliest_due(*, due_before: datetime) -> datetime | None:
    """No later than any open deadline here (see safeguarding/deadlines.py): one MIN per table's open rows."""
    queries = [
        select(func.min(ReturnInterview.returned_at)).where(ReturnInterview.status == RhiStatus.OPEN.value),
        select(func.min(PoliceProtection.started_at)).where(PoliceProtection.ended_at.is_(None)),
        select(func.min(EmergencyProtectionOrder.expires_at)).where(EmergencyProtectionOrder.ended_at.is_(None)),
    ]
    found = [ensure_utc(t) for t in (db.session.execute(q).scalar() for q in queries) if t is not None]
    return min(found, default=None)


def _child_name(relationship):
    """A deadline names its child and nothing more: the name columns only (a child's row carries its whole record)."""
    return joinedload(relationship).load_only(Child.first_name, Child.last_name)


@functools.cache
def _interview_columns():
    # columns, not records: what an interview's clocks say, and its child's name. Built once (statements are
    # immutable): each query adds its conditions to it.
    return (select(ReturnInterview.id, ReturnInterview.child_id, ReturnInterview.due_at, ReturnInterview.returned_at,
                   ReturnInterview.assigned_to_id, ReturnInterview.local_authority_id, Child.first_name,
                   Child.last_name)
            .select_from(ReturnInterview).join(Child, Child.id == ReturnInterview.child_id))


def _open_interviews(due_before: datetime, due_from: datetime | None = None):
    query = _interview_columns().where(ReturnInterview.status == RhiStatus.OPEN.value,
                                       ReturnInterview.due_at < due_before)
    if due_from is not None:
        query = query.where(ReturnInterview.due_at >= due_from)
    return query


def _interview_rows(rows) -> list[Deadline]:
    return [Deadline(kind="return_interview", object_type="return_interview", object_id=rhi.id,
                     title=f"Return home interview for {name}" + ("" if rhi.assigned_to_id else " (not yet assigned)"),
                     due_at=rhi.due_at, url=f"/missing/return-interviews/{rhi.id}", owner_id=owner,
                     owner_agency_id=rhi.local_authority_id, child_id=rhi.child_id, child_name=name,
                     team_mailbox=rhi.assigned_to_id is None)
            for rhi, owner in rows for name in (full_name(rhi.first_name, rhi.last_name),)]


def _return_interviews(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    query = _open_interviews(due_before, due_from).order_by(ReturnInterview.due_at)
    return _interview_rows(_with_owners(query, owner_ids))


_AFTER_RETURN = timedelta(hours=rules.RHI_ESCALATION_HOURS)


def _unoffered_interviews(due_before: datetime, due_from: datetime | None = None):
    offered = exists().where(RhiOffer.return_interview_id == ReturnInterview.id)
    query = _interview_columns().where(ReturnInterview.status == RhiStatus.OPEN.value, ~offered,
                                       ReturnInterview.returned_at < due_before - _AFTER_RETURN)
    if due_from is not None:
        query = query.where(ReturnInterview.returned_at >= due_from - _AFTER_RETURN)
    return query


def _unoffered_rows(rows) -> list[Deadline]:
    return [Deadline(kind="return_interview_48h", object_type="return_interview", object_id=rhi.id,
                     title=f"Return home interview for {name}: not offered 48 hours after the return",
                     due_at=rules.rhi_escalation_at(rhi.returned_at), url=f"/missing/return-interviews/{rhi.id}",
                     owner_id=owner, owner_agency_id=rhi.local_authority_id, child_id=rhi.child_id,
                     child_name=name, team_mailbox=rhi.assigned_to_id is None)
            for rhi, owner in rows for name in (full_name(rhi.first_name, rhi.last_name),)]


def _unoffered_return_interviews(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    query = _unoffered_interviews(due_before, due_from).order_by(ReturnInterview.returned_at)
    return _unoffered_rows(_with_owners(query, owner_ids))


def _with_owners(query, owner_ids) -> list[tuple]:
    """(interview's row from `_interview_columns`, owner) pairs: the assigned worker, else (asked for some people's
    deadlines) each of them who is an active manager of the responsible authority, or (asked for everyone's) no
    named owner, once."""
    if owner_ids is None:
        return [(rhi, rhi.assigned_to_id) for rhi in db.session.execute(query)]
    ids = list(owner_ids)
    managed_agencies = select(User.agency_id).where(among(User.id, ids), User.role == Role.MANAGER.value)
    query = query.where(or_(among(ReturnInterview.assigned_to_id, ids),
                            and_(ReturnInterview.assigned_to_id.is_(None),
                                 ReturnInterview.local_authority_id.in_(managed_agencies))))
    rows = list(db.session.execute(query))
    unassigned = {r.local_authority_id for r in rows if r.assigned_to_id is None}
    managers: dict[int, list[int]] = {}
    if unassigned:
        for user_id, agency_id in db.session.execute(
                select(User.id, User.agency_id).where(User.agency_id.in_(unassigned), User.role == Role.MANAGER.value,
                                                      User.is_active_user.is_(True)).order_by(User.id)):
            managers.setdefault(agency_id, []).append(user_id)
    wanted = set(ids)
    found = []
    for rhi in rows:
        owners = [rhi.assigned_to_id] if rhi.assigned_to_id else managers.get(rhi.local_authority_id, [])
        found.extend((rhi, owner) for owner in owners if owner in wanted)
    return found


def _police_protection_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    first = min(rules.POLICE_PROTECTION_CHECKPOINTS)
    query = (select(PoliceProtection).options(_child_name(PoliceProtection.child))
             .where(PoliceProtection.ended_at.is_(None),
                    PoliceProtection.started_at < due_before - timedelta(hours=first)))
    if due_from is not None:
        # the end is at most 72 hours after the start (a day of slack); checkpoints are filtered exactly below
        query = query.where(PoliceProtection.started_at >= due_from - timedelta(hours=rules.POLICE_PROTECTION_HOURS,
                                                                                  days=1))
    if owner_ids is not None:
        query = query.where(among(PoliceProtection.recorded_by_id, owner_ids))
    return query


def _police_protection_rows(query, due_before: datetime, due_from: datetime | None = None) -> list[Deadline]:
    found = []
    for pp in db.session.execute(query).scalars():
        name = pp.child.full_name
        for hours, due in rules.police_protection_checkpoints(pp.started_at):
            if due >= due_before or (due_from is not None and due < due_from):
                continue
            found.append(Deadline(
                kind=_PP_KINDS[hours], object_type="police_protection", object_id=pp.id,
                title=_PP_TITLES[hours].format(name=name), due_at=due, url=f"/missing/police-protection/{pp.id}",
                owner_id=pp.recorded_by_id, owner_agency_id=pp.recorded_by_agency_id, child_id=pp.child_id,
                child_name=name))
    return found


def _police_protection(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _police_protection_rows(_police_protection_query(due_before, owner_ids, due_from), due_before, due_from)


def _epo_query(due_before: datetime, owner_ids, due_from: datetime | None = None):
    query = select(EmergencyProtectionOrder).where(EmergencyProtectionOrder.ended_at.is_(None),
                                                   EmergencyProtectionOrder.expires_at < due_before)
    if due_from is not None:
        query = query.where(EmergencyProtectionOrder.expires_at >= due_from)
    if owner_ids is not None:
        query = query.where(among(EmergencyProtectionOrder.recorded_by_id, owner_ids))
    return query


def _epo_rows(query) -> list[Deadline]:
    found = []
    for epo in db.session.execute(query.options(_child_name(EmergencyProtectionOrder.child))).scalars():
        name = epo.child.full_name
        found.append(Deadline(
            kind="epo_expiry", object_type="emergency_protection_order", object_id=epo.id,
            title=f"Emergency protection order for {name} expires", due_at=epo.expires_at,
            url=f"/missing/epo/{epo.id}", owner_id=epo.recorded_by_id, owner_agency_id=epo.recorded_by_agency_id,
            child_id=epo.child_id, child_name=name))
    return found


def _epos(due_before: datetime, owner_ids, due_from: datetime | None = None) -> list[Deadline]:
    return _epo_rows(_epo_query(due_before, owner_ids, due_from))


# --- Kept as rows for My work (safeguarding/kept_deadlines/rows.py) -------------------------------------------------


def _kept_interviews(ids) -> list[tuple[Deadline, None]]:
    """An open interview's clocks: the interview itself, and while nobody has recorded an offer the 48-hour one;
    read in one query for both (My work shows either)."""
    offered = exists().where(RhiOffer.return_interview_id == ReturnInterview.id)
    query = _only(_interview_columns().add_columns(offered.label("offered"))
                  .where(ReturnInterview.status == RhiStatus.OPEN.value), ReturnInterview.id, ids)
    found = []
    for rhi in db.session.execute(query):
        owned = [(rhi, rhi.assigned_to_id)]
        found += _interview_rows(owned) + ([] if rhi.offered else _unoffered_rows(owned))
    return _always(found)


KEPT = (
    KeptObject("return_interview", ReturnInterview, (
        KeptPart(frozenset({"return_interview", "return_interview_48h"}), _kept_interviews),
    )),
    KeptObject("police_protection", PoliceProtection, (
        KeptPart(frozenset(_PP_KINDS.values()), lambda ids: _always(_police_protection_rows(
            _only(_police_protection_query(FAR, None), PoliceProtection.id, ids), FAR))),
    )),
    KeptObject("emergency_protection_order", EmergencyProtectionOrder, (
        KeptPart(frozenset({"epo_expiry"}), lambda ids: _always(
            _epo_rows(_only(_epo_query(FAR, None), EmergencyProtectionOrder.id, ids)))),
    )),
)

KEPT_WATCHES = (
    Watch(ReturnInterview, "return_interview"),
    # the first offer ends the 48-hour clock
    Watch(RhiOffer, "return_interview", key="return_interview_id"),
    Watch(PoliceProtection, "police_protection"),
    Watch(EmergencyProtectionOrder, "emergency_protection_order"),
)
