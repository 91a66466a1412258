"""Every write about professional differences: validates, changes, audits, logs one line.

History is append-only: a stage is opened once and closed once, never edited or reopened afterwards, and a
resolved or withdrawn difference stays closed (disagreeing again means raising a new one).

The shared service contract (`safeguarding/service.py`): a refused change is a `RuleError`, services flush and the
view's `transaction()` commits, so a stage that someone else closed meanwhile surfaces there as `StaleEdit`.
"""
from __future__ import annotations

import logging
from datetime import datetime

from .. import audit
from ..auth.access import is_partnership_business_unit
from ..auth.models import Agency, AgencyKind, Role, User
from ..clock import now, to_london
from ..extensions import db
from ..service import RuleError
from . import stages
from .models import (DifferenceNotice, DifferenceStage, Outcome, PolicyStage, ProfessionalDifference, Status,
                     StagePolicy, THEME_LABELS)

log = logging.getLogger("safeguarding.differences")

DIFFERENCE_FIELDS = ("child_id", "decision_id", "action_id", "raised_by_agency_id", "against_agency_id", "about",
                     "concern", "outcome_sought",
                     "immediate_risk", "theme", "policy_id", "status", "current_stage")
STAGE_FIELDS = ("number", "name", "urgent", "due_at", "raising_lead_id", "responding_lead_id", "skip_reason",
                "outcome", "discussion", "agreed_plan", "plan_due_at", "closed_at")
#: free text about a child or family: the audit log says it changed, not what it says
PERSONAL = ("about", "concern", "outcome_sought", "skip_reason", "discussion", "agreed_plan")
POLICY_STAGE_FIELDS = ("name", "involved", "timescale", "unit", "urgent_hours", "notify_partnership")


# --- Policy ------------------------------------------------------------------------------------------------


def ensure_policies() -> list[StagePolicy]:
    """The shipped presets as editable policies (London in use), created the first time anyone needs them."""
    existing = {p.key: p for p in db.session.execute(db.select(StagePolicy)).scalars()}
    created = False
    for key, preset in stages.PRESETS.items():
        if key in existing:
            continue
        policy = StagePolicy(key=key, name=preset.name, source=preset.source,
                             in_use=not existing and key == stages.DEFAULT_PRESET)
        policy.stages = [PolicyStage(number=r.number, name=r.name, involved=r.involved, timescale=r.timescale,
                                     unit=r.unit, urgent_hours=r.urgent_hours, notify_partnership=r.notify_partnership)
                         for r in preset.stages]
        db.session.add(policy)
        existing[key] = policy
        created = True
    if created:
        db.session.flush()
    return sorted(existing.values(), key=lambda p: list(stages.PRESETS).index(p.key)
                  if p.key in stages.PRESETS else 99)


def policy_in_use() -> StagePolicy:
    policies = ensure_policies()
    return next((p for p in policies if p.in_use), policies[0])


def choose_policy(policy: StagePolicy, *, actor) -> None:
    before = policy_in_use()
    if before.id == policy.id:
        return
    before.in_use = False
    policy.in_use = True
    policy.updated_by_id = actor.id
    audit.record("update", "difference_policy", policy.id, user=actor,
                 changes={"in_use": {"from": before.key, "to": policy.key}})
    db.session.flush()
    log.info("difference policy chosen key=%s", policy.key)


def update_policy_stage(stage: PolicyStage, data: dict, *, actor) -> dict:
    before = audit.snapshot(stage, POLICY_STAGE_FIELDS)
    for key in POLICY_STAGE_FIELDS:
        setattr(stage, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(stage, POLICY_STAGE_FIELDS))
    if not changes:
        return {}
    stage.policy.updated_by_id = actor.id
    stage.policy.updated_at = now()
    audit.record("update", "difference_policy_stage", stage.id, user=actor, changes=changes)
    db.session.flush()
    log.info("difference policy stage updated id=%s", stage.id)
    return changes


# --- Who may do what ---------------------------------------------------------------------------------------


def can_act(difference: ProfessionalDifference, user) -> bool:
    """The raiser and the two leads of the open stage record what happens at it."""
    stage = difference.open_stage
    if stage is None or user is None:
        return False
    return user.id in (difference.raised_by_id, stage.raising_lead_id, stage.responding_lead_id)


def can_withdraw(difference: ProfessionalDifference, user) -> bool:
    """Only the side that disagrees can withdraw its challenge."""
    stage = difference.open_stage
    return stage is not None and user.id in (difference.raised_by_id, stage.raising_lead_id)


def _active_user_of(user_id: int | None, agency_id: int, field: str, who: str) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active_user:
        raise RuleError(f"Select {who}", field)
    if user.agency_id != agency_id:
        agency = db.session.get(Agency, agency_id)
        raise RuleError(f"Select {who}: they must work for {agency.name if agency else 'that agency'}",
                              field)
    return user


def lead_rank(user: User) -> int:
    """How senior `user` is, as far as roles and line management show (see `stages.lead_ranks`)."""
    if user.role != Role.MANAGER.value:
        return stages.ANYONE
    above = user.line_manager
    if above is None or not above.is_active_user or above.agency_id != user.agency_id:
        return stages.SENIOR_MANAGER
    manages_managers = db.session.execute(db.select(User.id).where(
        User.line_manager_id == user.id, User.role == Role.MANAGER.value, User.is_active_user.is_(True)
    ).limit(1)).first()
    return stages.SENIOR_MANAGER if manages_managers else stages.MANAGER


def _senior_enough(user: User, needed: int) -> User | None:
    """`user`, or the nearest active line manager above them in their agency, who is senior enough to lead."""
    person, seen = user, set()
    while lead_rank(person) < needed:
        seen.add(person.id)
        above = person.line_manager
        if above is None or above.id in seen or not above.is_active_user or above.agency_id != user.agency_id:
            return None
        person = above
    return person


def _check_lead_rank(user: User, rule: stages.StageRule, ranks: dict[int, int], field: str, side: str) -> None:
    needed = ranks.get(rule.number, stages.ANYONE)
    held = lead_rank(user)
    if held < needed:
        raise RuleError(f"Select {stages.RANK_WORDS[needed]} {side}: stage {rule.number} ({rule.name}) is led by "
                        f"{stages.RANK_WORDS[needed]} on each side, and {user.name} is {stages.RANK_WORDS[held]}",
                        field)


def _closed_message(difference: ProfessionalDifference, doing: str) -> str:
    when = to_london(difference.closed_at).strftime("%-d %B %Y") if difference.closed_at else ""
    return (f"This professional difference was {difference.status} on {when}, so it cannot be {doing}. "
            "If you still disagree, raise a new one.")


# --- Raising -----------------------------------------------------------------------------------------------


def _check_source(child, decision, action) -> None:
    """A difference raised from a strategy discussion is about one child who was discussed there."""
    if decision is not None and action is not None:
        raise ValueError("a difference is about a decision or an action, not both")
    if decision is not None and decision.child_id != child.id:
        raise RuleError("This decision was about another child: raise the difference from their decision",
                              "child_id")
    if action is not None:
        discussed = {link.child_id for link in action.discussion.children}
        if child.id not in discussed or action.child_id not in (None, child.id):
            raise RuleError("Select a child this action is for", "child_id")


def raise_difference(child, data: dict, *, actor, decision=None, action=None) -> ProfessionalDifference:
    """Raise a difference about a decision concerning `child`; opens its first stage and tells the responder.

    `decision` (a ThresholdDecision) or `action` (an AgreedAction) links it to the strategy discussion it came
    from; the caller has already checked the actor may see that discussion."""
    _check_source(child, decision, action)
    against = db.session.get(Agency, data.get("against_agency_id") or 0)
    if against is None or not against.is_active:
        raise RuleError("Select the agency whose decision you disagree with", "against_agency_id")
    if against.id == actor.agency_id:
        raise RuleError("Select another agency: disagreements within your own agency go through your own "
                              "line management", "against_agency_id")
    if data.get("theme") not in THEME_LABELS:
        raise RuleError("Select what the disagreement is about", "theme")
    responder = _active_user_of(data.get("responding_lead_id"), against.id, "responding_lead_id",
                                "the person who made the decision, or who will answer for their agency")
    policy = policy_in_use()
    urgent = bool(data.get("immediate_risk"))
    try:
        rule = stages.check_start(policy.as_rules(), int(data.get("start_stage") or 1), urgent=urgent,
                                  reason=data.get("skip_reason", ""))
    except stages.StageRuleError as err:
        raise RuleError(str(err), "start_stage" if err.field == "target_stage" else err.field) from None
    ranks = stages.lead_ranks(policy.as_rules())
    _check_lead_rank(responder, rule, ranks, "responding_lead_id", f"to answer for {against.name}")
    raising_lead = _senior_enough(actor, ranks.get(rule.number, stages.ANYONE))
    if raising_lead is None:
        needed = stages.RANK_WORDS[ranks[rule.number]]
        raise RuleError(f"Start at stage 1, or ask {needed} in your agency to raise it: stage {rule.number} "
                        f"({rule.name}) is led by {needed} on each side, and nobody above you is recorded",
                        "start_stage")
    difference = ProfessionalDifference(
        child_id=child.id, decision_id=decision.id if decision is not None else None,
        action_id=action.id if action is not None else None, raised_by_id=actor.id,
        raised_by_agency_id=actor.agency_id, against_agency_id=against.id,
        about=data["about"], concern=data["concern"], outcome_sought=data["outcome_sought"], immediate_risk=urgent,
        theme=data["theme"], policy_id=policy.id, status=Status.OPEN.value, current_stage=rule.number,
        raised_at=now())
    db.session.add(difference)
    db.session.flush()
    audit.record("create", "professional_difference", difference.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(difference, DIFFERENCE_FIELDS), PERSONAL))
    _open_stage(difference, rule, raising_lead=raising_lead, responding_lead=responder, actor=actor,
                skip_reason=data.get("skip_reason", "") if rule.number > 1 else "")
    db.session.flush()
    log.info("difference raised id=%s child=%s decision=%s action=%s stage=%s urgent=%s", difference.id, child.id,
             difference.decision_id, difference.action_id, rule.number, urgent)
    return difference


def _open_stage(difference, rule: stages.StageRule, *, raising_lead: User, responding_lead: User, actor,
                skip_reason: str = "") -> DifferenceStage:
    opened = now()
    stage = DifferenceStage(
        difference=difference, number=rule.number, name=rule.name, involved=rule.involved,
        timescale_words=f"{rule.urgent_hours} hours" if difference.immediate_risk else rule.timescale_words,
        urgent=difference.immediate_risk, notify_partnership=rule.notify_partnership, opened_at=opened,
        opened_by_id=actor.id, due_at=stages.stage_due_at(rule, opened, urgent=difference.immediate_risk),
        raising_lead_id=raising_lead.id, responding_lead_id=responding_lead.id, skip_reason=skip_reason)
    db.session.add(stage)
    db.session.flush()
    audit.record("create", "difference_stage", stage.id, user=actor,
                 changes={"difference_id": {"to": difference.id},
                          **audit.changes_between({}, audit.snapshot(stage, STAGE_FIELDS[:7]), PERSONAL)})
    # Everyone newly leading this stage is told, except whoever opened it (they know).
    for person in {raising_lead.id: raising_lead, responding_lead.id: responding_lead}.values():
        if person.id != actor.id:
            _notice(difference, stage, person.agency_id, person.id, "stage_lead")
    if rule.notify_partnership:
        units = db.session.execute(db.select(Agency).where(
            Agency.kind == AgencyKind.SAFEGUARDING_PARTNERSHIP.value, Agency.is_active.is_(True))).scalars()
        for unit in units:
            _notice(difference, stage, unit.id, None, "partnership")
    return stage


def _notice(difference, stage, agency_id: int, user_id: int | None, reason: str) -> None:
    notice = DifferenceNotice(difference_id=difference.id, stage_id=stage.id, recipient_id=user_id,
                              recipient_agency_id=agency_id, reason=reason, created_at=now())
    db.session.add(notice)
    db.session.flush()
    audit.record("create", "difference_notice", notice.id,
                 changes={"stage_id": {"to": stage.id}, "recipient_id": {"to": user_id},
                          "recipient_agency_id": {"to": agency_id}, "reason": {"to": reason}})


def acknowledge_notices(difference: ProfessionalDifference, user, notices=None) -> int:
    """Opening the difference is reading it: the user's notices, and their agency's shared ones, are done.
    `notices`: the difference's notices, if the page has read them all already."""
    shared = is_partnership_business_unit(user)
    if notices is None:
        conditions = [DifferenceNotice.recipient_id == user.id]
        if shared:
            conditions.append(db.and_(DifferenceNotice.recipient_id.is_(None),
                                      DifferenceNotice.recipient_agency_id == user.agency_id))
        notices = db.session.execute(db.select(DifferenceNotice).where(
            DifferenceNotice.difference_id == difference.id, DifferenceNotice.acknowledged_at.is_(None),
            db.or_(*conditions))).scalars().all()
    else:
        notices = [n for n in notices if n.difference_id == difference.id and n.acknowledged_at is None and (
            n.recipient_id == user.id
            or (shared and n.recipient_id is None and n.recipient_agency_id == user.agency_id))]
    for notice in notices:
        notice.acknowledged_at = now()
        notice.acknowledged_by_id = user.id
        audit.record("acknowledge", "difference_notice", notice.id, user=user)
    if notices:
        db.session.flush()
    return len(notices)


# --- Moving through the stages -----------------------------------------------------------------------------


def _require_open(difference: ProfessionalDifference, doing: str) -> DifferenceStage:
    stage = difference.open_stage
    if not difference.is_open or stage is None:
        raise RuleError(_closed_message(difference, doing))
    return stage


def _require_notes(data: dict, number: int) -> None:
    if not (data.get("discussion") or "").strip():
        raise RuleError(f"Enter what was discussed at stage {number}", "discussion")


def _close_stage(stage: DifferenceStage, outcome: Outcome, data: dict, *, actor) -> None:
    before = audit.snapshot(stage, STAGE_FIELDS)
    stage.closed_at = now()
    stage.closed_by_id = actor.id
    stage.outcome = outcome.value
    stage.discussion = data["discussion"].strip()
    stage.agreed_plan = (data.get("agreed_plan") or "").strip()
    stage.plan_due_at = data.get("plan_due_at")
    audit.record("update", "difference_stage", stage.id, user=actor,
                 changes=audit.changes_between(before, audit.snapshot(stage, STAGE_FIELDS), PERSONAL))


def escalate(difference: ProfessionalDifference, data: dict, *, actor) -> DifferenceStage:
    """Close the open stage as escalated and open the next (or a later one, for a child at immediate risk)."""
    current = _require_open(difference, "escalated")
    if not can_act(difference, actor):
        raise RuleError("Only the people leading this stage, or who raised the difference, can escalate it")
    _require_notes(data, current.number)
    if data.get("immediate_risk") and not difference.immediate_risk:
        difference.immediate_risk = True  # risk can rise during a difference; it is never lowered here
    target = int(data.get("target_stage") or 0) or current.number + 1
    try:
        rule = stages.check_move(difference.policy.as_rules(), current.number, target,
                                 urgent=difference.immediate_risk, reason=data.get("skip_reason", ""))
    except stages.StageRuleError as err:
        raise RuleError(str(err), err.field) from None
    raising = _active_user_of(data.get("raising_lead_id"), difference.raised_by_agency_id, "raising_lead_id",
                              f"who will lead for {difference.raised_by_agency.name} at stage {rule.number}")
    responding = _active_user_of(data.get("responding_lead_id"), difference.against_agency_id,
                                 "responding_lead_id",
                                 f"who will answer for {difference.against_agency.name} at stage {rule.number}")
    ranks = stages.lead_ranks(difference.policy.as_rules())
    _check_lead_rank(raising, rule, ranks, "raising_lead_id", f"to lead for {difference.raised_by_agency.name}")
    _check_lead_rank(responding, rule, ranks, "responding_lead_id",
                     f"to answer for {difference.against_agency.name}")
    before = audit.snapshot(difference, DIFFERENCE_FIELDS)
    _close_stage(current, Outcome.ESCALATED, data, actor=actor)
    difference.current_stage = rule.number
    skipped = rule.number > current.number + 1
    stage = _open_stage(difference, rule, raising_lead=raising, responding_lead=responding, actor=actor,
                        skip_reason=(data.get("skip_reason") or "").strip() if skipped else "")
    audit.record("escalate", "professional_difference", difference.id, user=actor,
                 changes=audit.changes_between(before, audit.snapshot(difference, DIFFERENCE_FIELDS), PERSONAL))
    db.session.flush()
    log.info("difference escalated id=%s from=%s to=%s", difference.id, current.number, rule.number)
    return stage


def close(difference: ProfessionalDifference, data: dict, *, actor) -> None:
    """Record that the difference is resolved (both sides agree a way forward) or withdrawn by the raiser."""
    outcome = Outcome(data["outcome"]) if data.get("outcome") in (Outcome.RESOLVED.value,
                                                                  Outcome.WITHDRAWN.value) else None
    if outcome is None:
        raise RuleError("Select whether the difference is resolved or withdrawn", "outcome")
    current = _require_open(difference, outcome.value)
    if not can_act(difference, actor):
        raise RuleError("Only the people leading this stage, or who raised the difference, can record "
                              "its outcome")
    if outcome is Outcome.WITHDRAWN and not can_withdraw(difference, actor):
        raise RuleError("Only the side that raised the difference can withdraw it", "outcome")
    _require_notes(data, current.number)
    plan_due_at: datetime | None = data.get("plan_due_at")
    if plan_due_at is not None and not (data.get("agreed_plan") or "").strip():
        raise RuleError("Enter the agreed plan, or leave its deadline blank", "agreed_plan")
    before = audit.snapshot(difference, DIFFERENCE_FIELDS)
    _close_stage(current, outcome, data, actor=actor)
    difference.status = Status.RESOLVED.value if outcome is Outcome.RESOLVED else Status.WITHDRAWN.value
    difference.closed_at = current.closed_at
    audit.record(outcome.value, "professional_difference", difference.id, user=actor,
                 changes=audit.changes_between(before, audit.snapshot(difference, DIFFERENCE_FIELDS), PERSONAL))
    db.session.flush()
    log.info("difference %s id=%s at stage=%s", outcome.value, difference.id, current.number)


def suggested_leads(difference: ProfessionalDifference, target: int) -> tuple[int | None, int | None]:
    """Who leads each side at stage `target`: the current leads' line managers, one level up per stage moved
    (a first-line manager at the next stage, their own manager at the one after), staying within each agency."""
    stage = difference.open_stage
    if stage is None:
        return None, None

    try:
        needed = stages.lead_ranks(difference.policy.as_rules()).get(target, stages.ANYONE)
    except stages.StageRuleError:
        needed = stages.ANYONE

    def up(user: User, agency_id: int) -> int | None:
        person, steps = user, 0
        # One level up per stage moved, and further while the person is not senior enough for the stage.
        while steps < max(1, target - stage.number) or lead_rank(person) < needed:
            manager = person.line_manager
            if manager is None or not manager.is_active_user or manager.agency_id != agency_id or steps > 10:
                break
            person, steps = manager, steps + 1
        if person.id == user.id or lead_rank(person) < needed:
            return None
        return person.id

    return (up(stage.raising_lead, difference.raised_by_agency_id),
            up(stage.responding_lead, difference.against_agency_id))
