"""The retention schedule at work: what is due (the dry-run report), anonymising it, and legal holds.

Services flush, never commit (CONTRIBUTING.md). Anonymising keeps every row and blanks what identifies the child
(name, date of birth, address, NHS number, local reference) and every free-text field about them, so the
partnership's figures keep their counts. Audit events are never deleted or changed (the trail is hash-chained):
each child handled gets one new event saying so.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from sqlalchemy import case, func, or_, select, update

from .. import audit
from ..children.models import Child
from ..clock import now, to_london
from ..extensions import db
from ..service import RuleError, expect_version
from . import personal_data, rules
from .models import LegalHold, RetentionAction, RetentionSchedule

log = logging.getLogger("safeguarding.retention")

#: what replaces free text that said something; empty fields stay empty, so "not recorded" still reads as such
REMOVED = "[Removed under the retention schedule]"
SCHEDULE_FIELDS = ("child_protection_age", "missing_age", "no_birth_date_years", "audit_years_after",
                   "apply_enabled")
#: called with (child id, the name it had, the name it has now) inside the unit of work that anonymised it, so
#: features that copied the name elsewhere (reminders' notice titles and queued emails) remove it too; retention
#: itself knows nothing of them
ANONYMISED_HOOKS: list[Callable[[int, str, str], None]] = []
#: limits a partnership could defend: below 18 would delete a child's record while they are still a child
LIMITS = {"child_protection_age": (18, 100), "missing_age": (18, 100), "no_birth_date_years": (1, 100),
          "audit_years_after": (1, 100)}


def schedule_row() -> RetentionSchedule | None:
    return db.session.execute(select(RetentionSchedule).order_by(RetentionSchedule.id).limit(1)).scalar_one_or_none()


def current_schedule() -> tuple[rules.Schedule, bool]:
    """The schedule in force and whether applying it is switched on (the defaults, off, until an admin saves)."""
    row = schedule_row()
    if row is None:
        return rules.Schedule(), False
    return rules.Schedule(row.child_protection_age, row.missing_age, row.no_birth_date_years,
                          row.audit_years_after), row.apply_enabled


def update_schedule(data: dict, *, actor, expected_version: int | None) -> dict:
    for name, (low, high) in LIMITS.items():
        value = data.get(name)
        if value is None or not low <= value <= high:
            raise RuleError(f"Enter a whole number from {low} to {high}", name)
    row = schedule_row()
    if row is None:
        row = RetentionSchedule()
        db.session.add(row)
        db.session.flush()
    elif expected_version is not None:
        expect_version(row, expected_version)
    before = audit.snapshot(row, SCHEDULE_FIELDS)
    for name in SCHEDULE_FIELDS:
        setattr(row, name, data[name])
    changes = audit.changes_between(before, audit.snapshot(row, SCHEDULE_FIELDS))
    if changes:
        row.updated_at, row.updated_by_id = now(), actor.id
        audit.record("update", "retention_schedule", row.id, user=actor, changes=changes)
    db.session.flush()
    log.info("retention schedule updated by user=%s", actor.id)
    return changes


# --- Legal holds --------------------------------------------------------------------------------------------


def open_hold(child_id: int) -> LegalHold | None:
    return db.session.execute(select(LegalHold).where(LegalHold.child_id == child_id,
                                                      LegalHold.released_at.is_(None))).scalar_one_or_none()


def set_hold(child: Child, reason: str, *, actor) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise RuleError("Enter the reason for the legal hold", "reason")
    if open_hold(child.id) is not None:
        raise RuleError("This child's records are already on legal hold", "reason")
    hold = LegalHold(child_id=child.id, reason=reason, set_by_id=actor.id)
    db.session.add(hold)
    db.session.flush()
    audit.record("legal_hold", "child", child.id, user=actor,
                 changes={"legal_hold": {"from": False, "to": True}, "reason": {"changed": True}})
    db.session.flush()
    log.info("legal hold set child=%s hold=%s", child.id, hold.id)
    return hold


def release_hold(child: Child, reason: str, *, actor) -> LegalHold:
    reason = (reason or "").strip()
    hold = open_hold(child.id)
    if hold is None:
        raise RuleError("This child's records are not on legal hold", "reason")
    if not reason:
        raise RuleError("Enter the reason for releasing the legal hold", "reason")
    hold.released_at, hold.released_by_id, hold.release_reason = now(), actor.id, reason
    audit.record("legal_hold", "child", child.id, user=actor,
                 changes={"legal_hold": {"from": True, "to": False}, "reason": {"changed": True}})
    db.session.flush()
    log.info("legal hold released child=%s hold=%s", child.id, hold.id)
    return hold


# --- The dry-run report -------------------------------------------------------------------------------------


@dataclass
class Due:
    child_id: int
    due_on: date
    why: str
    held: bool
    la_reference: str | None
    counts: dict[str, int] = field(default_factory=dict)


def _latest(rows) -> dict[int, datetime]:
    return {child_id: at for child_id, at in rows if at is not None}


def report(today: date) -> list[Due]:
    """Every child whose records are due on or before `today` and not yet handled; held ones are listed, marked.
    Reads only: this is what the dry run shows and what `apply` then does."""
    schedule, _ = current_schedule()
    from ..discussions.models import DiscussionChild, StrategyDiscussion
    from ..missing.models import MissingEpisode

    done = select(RetentionAction.child_id)
    children = db.session.execute(select(Child.id, Child.date_of_birth, Child.created_at, Child.la_reference)
                                  .where(Child.id.not_in(done)).order_by(Child.id)).all()
    discussions = db.session.execute(
        select(DiscussionChild.child_id, func.count(), func.max(func.coalesce(StrategyDiscussion.scheduled_at,
                                                                              StrategyDiscussion.created_at)))
        .join(StrategyDiscussion, StrategyDiscussion.id == DiscussionChild.discussion_id)
        .group_by(DiscussionChild.child_id)).all()
    episodes = db.session.execute(
        select(MissingEpisode.child_id, func.count(),
               func.max(func.coalesce(MissingEpisode.returned_at, MissingEpisode.reported_missing_at)))
        .group_by(MissingEpisode.child_id)).all()
    discussion_count = {c: n for c, n, _ in discussions}
    episode_count = {c: n for c, n, _ in episodes}
    latest = [_latest((c, at) for c, _, at in discussions), _latest((c, at) for c, _, at in episodes)]
    held = set(db.session.execute(select(LegalHold.child_id).where(LegalHold.released_at.is_(None))).scalars())
    result = []
    for child_id, born, created_at, la_reference in children:
        last = max([created_at] + [d[child_id] for d in latest if child_id in d])
        due, why = rules.due_on(schedule, born=born, has_missing=child_id in episode_count,
                                last_record_on=to_london(last).date())
        if due <= today:
            result.append(Due(child_id, due, why, child_id in held, la_reference,
                              {"discussions": discussion_count.get(child_id, 0),
                               "missing_episodes": episode_count.get(child_id, 0)}))
    return result


# --- Anonymising --------------------------------------------------------------------------------------------


def _blank(column):
    return case((or_(column.is_(None), column == ""), column), else_=REMOVED)


def _blank_rows(model, where, columns) -> int:
    values = {name: _blank(getattr(model, name)) for name in columns}
    if hasattr(model, "version"):  # a form opened before anonymising must not write the old text back
        values["version"] = model.version + 1
    if not values:
        return 0
    return db.session.execute(update(model).where(where).values(**values)
                              .execution_options(synchronize_session=False)).rowcount


def _anonymise_child(child: Child) -> dict[str, int]:
    old_names = {child.full_name, child.display_name}
    child.first_name, child.last_name = "Anonymised", f"child {child.id}"
    child.date_of_birth = child.expected_date = None
    child.address = child.ethnicity = child.disability = ""
    # special category data goes with the rest: the figures of past periods count an anonymised child as not recorded
    child.ethnicity_code = child.disability_status = None
    child.nhs_number = child.la_reference = None
    db.session.flush()
    counts = {}
    for model, columns in personal_data.BY_CHILD:
        counts[model.__tablename__] = _blank_rows(model, model.child_id == child.id, columns)
    for model, key, parent, columns in personal_data.THROUGH_PARENT:
        parents = select(parent.id).where(parent.child_id == child.id)
        counts[model.__tablename__] = _blank_rows(model, getattr(model, key).in_(parents), columns)
    for name in sorted(old_names, key=len, reverse=True):  # "(unborn)" first, so no half-replaced name is left
        if name.strip():
            for hook in ANONYMISED_HOOKS:
                hook(child.id, name, child.full_name)
    return counts


def _anonymise_discussions(child_id: int, handled: set[int]) -> int:
    """Blank each discussion of this child whose every child has now been anonymised: until then what it says
    about "all the children" is still part of a sibling's live record."""
    from ..discussions.models import DiscussionChild

    discussion_ids = db.session.execute(select(DiscussionChild.discussion_id)
                                        .where(DiscussionChild.child_id == child_id)).scalars().all()
    blanked = 0
    for discussion_id in discussion_ids:
        others = set(db.session.execute(select(DiscussionChild.child_id)
                                        .where(DiscussionChild.discussion_id == discussion_id)).scalars())
        if not others <= handled:
            continue
        sd = personal_data.DISCUSSION
        _blank_rows(sd, sd.id == discussion_id, personal_data.DISCUSSION_TEXT)
        for model, columns in personal_data.BY_DISCUSSION:
            where = model.discussion_id == discussion_id
            if hasattr(model, "child_id"):
                where = where & model.child_id.is_(None)
            _blank_rows(model, where, columns)
        blanked += 1
    return blanked


def apply(today: date, *, actor=None) -> list[Due]:
    """Anonymise every child due and not on legal hold; one audit event each. Returns those handled."""
    schedule, _ = current_schedule()
    due = [d for d in report(today) if not d.held]
    handled = set(db.session.execute(select(RetentionAction.child_id)).scalars())
    for item in due:
        child = db.session.get(Child, item.child_id)
        counts = _anonymise_child(child)
        handled.add(child.id)
        discussions = _anonymise_discussions(child.id, handled)
        db.session.add(RetentionAction(child_id=child.id, due_on=item.due_on,
                                       done_by_id=getattr(actor, "id", None)))
        audit.record("retention", "child", child.id, user=actor, changes={
            "action": {"to": "anonymised"}, "due_on": {"to": item.due_on.isoformat()}, "rule": {"to": item.why},
            "rows_kept": {"to": sum(counts.values())}, "discussions_blanked": {"to": discussions},
            "schedule": {"to": f"{schedule.child_protection_age}/{schedule.missing_age}/"
                               f"{schedule.no_birth_date_years}"}})
        db.session.flush()
        log.info("retention anonymised child=%s due_on=%s", child.id, item.due_on)
    # The bulk updates went round the session: rows it loaded earlier must be read again, not trusted.
    db.session.expire_all()
    return due


def run_scheduled(today: date) -> str:
    """The scheduler's job: apply when the partnership has switched it on, otherwise only report."""
    _, enabled = current_schedule()
    if not enabled:
        items = report(today)
        return (f"Retention (dry run; applying is off): {sum(not d.held for d in items)} children due, "
                f"{sum(d.held for d in items)} on legal hold")
    done = apply(today)
    return f"Retention: {len(done)} children anonymised"
