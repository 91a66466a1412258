"""Every write about a strategy discussion: validates the rules, changes rows, audits the fields changed,
flushes, and logs one line with identifiers only. The view commits (or rolls back) the whole unit of work with
`safeguarding.service.transaction()`, so a change, its audit events and its notices land together or not at all."""
from __future__ import annotations

import functools
import logging
from datetime import date, datetime
from typing import Callable, Iterable

from flask import current_app, has_app_context
from sqlalchemy import false, or_
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..auth.models import Agency, User
from ..children.models import Child
from ..clock import london_today, now
from ..extensions import db
from ..service import RuleError, StaleEdit, expect_version
from . import dates, thresholds
from .models import (UNDECIDED_QUESTIONS, AgreedAction, AgreedActionChange, ChildRemoval, DiscussionChild, Dissent,
                     InformationShared, Invitation, MinutesCirculation, MinutesVersion, StrategyDiscussion,
                     ThresholdDecision, VaguePhrase)
from .lawful_basis import LAWFUL_BASES
from .vague_language import DEFAULT_PHRASES, normalise

log = logging.getLogger("safeguarding.discussions")

DETAIL_FIELDS = ("kind", "previous_id", "urgency", "scheduled_at", "mode", "out_of_hours", "chair_id",
                 "referral_source", "referral_received_on", "reason", "harm_category", "referrer_words",
                 "referrer_summary")
#: free text about a child or family: the audit log says it changed, not to what
DETAIL_PERSONAL = ("referral_source", "reason", "referrer_words", "referrer_summary")
DECISION_FIELDS = ("outcome", "rationale", "abe_planned", "abe_joint", "abe_lead_interviewer",
                   "intermediary_considered", "intermediary_reason", "medical_examination", "medical_details",
                   "legal_action", "family_told", "family_told_when", "family_not_told_reason",
                   "interim_safety_plan", "next_review_on")
DECISION_PERSONAL = ("rationale", "abe_lead_interviewer", "intermediary_reason", "medical_details",
                     "family_told_when", "family_not_told_reason", "interim_safety_plan")
#: when the discussion was decided on and when it ended: entered on the form; other features' drafts and older
#: callers may leave them out (then the decision to convene is taken as no later than the discussion itself)
TIME_FIELDS = ("convene_decided_at", "ended_at")
#: every date the discussion's time drives: the audit log shows each one move when the date is corrected
CLOCK_FIELDS = ("circulation_due_at", "follow_up_meeting_due_at")
#: what a decision's section 47 enquiry and its conference clock are, recomputed whenever an input changes
ENQUIRY_CLOCK_FIELDS = ("starts_enquiry", "enquiry_started_on", "icpc_due_on", "icpc_due_at", "icpc_status")
ENQUIRY_OUTCOME_FIELDS = ("enquiry_outcome", "enquiry_outcome_reason", "enquiry_outcome_on", "enquiry_outcome_by_id",
                          "icpc_status")
VOICE_FIELDS = ("child_seen", "seen_alone", "seen_on", "seen_by", "child_said", "not_seen_reason")
VOICE_PERSONAL = ("seen_by", "child_said", "not_seen_reason")

#: Called with the flushed MinutesCirculation inside the circulation's own transaction. The reminders feature adds
#: a function here to put the "minutes are ready" notices in its outbox; hooks flush and never commit, so the
#: circulation and its notices are saved together or not at all.
MINUTES_CIRCULATED_HOOKS: list[Callable[[MinutesCirculation], None]] = []
#: Called with (discussion, "REQUEST" or "CANCEL") after a discussion is convened, moved or cancelled, in the same
#: unit of work; the reminders feature writes each invitee's calendar invitation to its outbox.
SCHEDULE_HOOKS: list[Callable[[StrategyDiscussion, str], None]] = []
#: Called with (action, actor) when an agreed action gets an owner (new, or handed to someone else), so the owner
#: is told, in the same unit of work.
ACTION_ASSIGNED_HOOKS: list[Callable[[AgreedAction, object], None]] = []


def _announce_schedule(sd: StrategyDiscussion, method: str) -> None:
    for hook in SCHEDULE_HOOKS:
        hook(sd, method)


def _announce_owner(action: AgreedAction, actor) -> None:
    for hook in ACTION_ASSIGNED_HOOKS:
        hook(action, actor)


def setting(name: str, default: int) -> int:
    if has_app_context():
        return int(current_app.config.get(name, default))
    return default


def _pure(rule: Callable, *args, fields: dict[str, str] | None = None, **kwargs) -> None:
    """Run a rule from thresholds.py, which stays free of Flask: its error becomes the service's RuleError, on the
    form field that shows it (`fields` maps the rule's field names to the form's)."""
    try:
        rule(*args, **kwargs)
    except thresholds.RuleError as err:
        raise RuleError(err.message, (fields or {}).get(err.field, err.field)) from None


def _check_times(convene_decided_at: datetime, held_at: datetime | None, ended_at: datetime | None) -> None:
    if convene_decided_at > now():
        raise RuleError("Date the decision to convene was made must be today or in the past", "convene_decided_date")
    if held_at is not None:
        _pure(thresholds.check_discussion_times, convene_decided_at, held_at, ended_at,
              fields={"scheduled_at": "scheduled_date", "ended_at": "ended_time"})


def _circulation_due(discussion: StrategyDiscussion) -> datetime | None:
    if discussion.scheduled_at is None:
        return None
    return thresholds.circulation_due_at(discussion.scheduled_at, setting("MINUTES_CIRCULATION_WORKING_DAYS", 1))


# --- Convening -----------------------------------------------------------------------------------------------


def _load_children(child_ids: Iterable[int]) -> list[Child]:
    ids = list(dict.fromkeys(int(i) for i in child_ids))
    if not ids:
        raise RuleError("Select at least one child", "child_ids")
    children = db.session.execute(db.select(Child).where(Child.id.in_(ids))).scalars().all()
    if len(children) != len(ids):
        raise RuleError("Select children from the list", "child_ids")
    return sorted(children, key=lambda c: ids.index(c.id))


def create_draft_discussion(child_ids: Iterable[int], reason: str, *, actor, linked_note: str = "",
                            referral: dict | None = None) -> StrategyDiscussion:
    """Open a draft discussion pre-filled for these children, for MASH to convene.

    Other features call this when their rules prompt a discussion (3 missing episodes in 30 days, police
    protection, a child arrested). The draft has no date or chair yet; it is listed under "Drafts to convene".
    `referral` (a referral sent in by another agency's system): referral_source, referral_received_on and
    referrer_words, the referrer's words kept exactly as sent.
    """
    children = _load_children(child_ids)
    referral = referral or {}
    if referral.get("referral_received_on") and referral["referral_received_on"] > london_today():
        raise RuleError("Date the referral was received must be today or in the past", "referral_received_on")
    sd = StrategyDiscussion(status="draft", reason=reason.strip(), linked_note=(linked_note or "").strip()[:500],
                            created_by_id=getattr(actor, "id", None), convene_decided_at=now(),
                            referral_source=referral.get("referral_source", ""),
                            referral_received_on=referral.get("referral_received_on"),
                            referrer_words=referral.get("referrer_words", ""))
    sd.children = [DiscussionChild(child=c) for c in children]
    db.session.add(sd)
    db.session.flush()
    extra = {"referral_source": {"changed": True}, "referrer_words": {"changed": True}} if referral else {}
    audit.record("create", "strategy_discussion", sd.id, user=actor,
                 changes={"status": {"to": "draft"}, "child_ids": {"to": [c.id for c in children]},
                          "reason": {"changed": True}, **extra})
    db.session.flush()
    log.info("discussion draft created id=%s children=%s", sd.id, len(children))
    return sd


def child_dates(child: Child) -> dates.ChildDates:
    return dates.ChildDates(child.display_name, child.date_of_birth, bool(child.is_unborn), child.expected_date)


def _check_dates(data: dict, children: list[Child], convene_decided_at: datetime | None) -> None:
    held = data.get("scheduled_at")
    problems = dates.discussion_date_problems(
        thresholds.london_date_of(held) if held else None, data.get("referral_received_on"),
        thresholds.london_date_of(convene_decided_at) if convene_decided_at else None,
        [child_dates(c) for c in children], thresholds.london_date_of(now()))
    if problems:
        field, message = problems[0]
        raise RuleError(message, field)


def _check_details(data: dict) -> None:
    if data.get("kind") == "review" and not data.get("previous_id"):
        raise RuleError("Select the discussion this one reviews", "previous_id")
    if data.get("chair_id"):
        chair = db.session.get(User, data["chair_id"])
        if (chair is None or not chair.is_active_user or chair.role not in ("mash", "manager")
                or chair.agency.kind != "childrens_social_care"):
            raise RuleError("Select a chair from the list", "chair_id")


def _invite_agencies(sd: StrategyDiscussion, agency_ids: Iterable[int]) -> list[int]:
    already = {i.agency_id for i in sd.invitations}
    added = []
    for agency_id in agency_ids:
        if agency_id in already:
            continue
        agency = db.session.get(Agency, agency_id)
        if agency is None or not agency.is_active:
            raise RuleError("Select agencies from the list", "agency_ids")
        sd.invitations.append(Invitation(agency=agency, status="invited"))
        added.append(agency_id)
    return added


def convene(data: dict, *, actor) -> StrategyDiscussion:
    """Convene a new discussion: children, details, and the agencies invited (CSC, police and health by default)."""
    children = _load_children(data["child_ids"])
    _check_details(data)
    # Entered on the form; for a caller that has no answer, a discussion recorded after it was held was decided on
    # before it was held, not when it was typed in.
    decided_at = data.get("convene_decided_at") or (min(now(), data["scheduled_at"]) if data.get("scheduled_at")
                                                     else now())
    _check_dates(data, children, None)
    _check_times(decided_at, data.get("scheduled_at"), data.get("ended_at"))
    sd = StrategyDiscussion(status="convened", created_by_id=actor.id, convene_decided_at=decided_at,
                            ended_at=data.get("ended_at"), **{k: data[k] for k in DETAIL_FIELDS})
    perpetrator = (data.get("alleged_perpetrator") or "").strip()[:500]
    sd.children = [DiscussionChild(child=c, alleged_perpetrator=perpetrator) for c in children]
    _invite_agencies(sd, data.get("agency_ids", []))
    sd.circulation_due_at = _circulation_due(sd)
    db.session.add(sd)
    db.session.flush()
    changes = audit.changes_between({}, audit.snapshot(sd, DETAIL_FIELDS + TIME_FIELDS + CLOCK_FIELDS),
                                    DETAIL_PERSONAL)
    if perpetrator:
        changes["alleged_perpetrator"] = {"changed": True}
    changes["child_ids"] = {"to": [c.id for c in children]}
    changes["invited_agency_ids"] = {"to": [i.agency_id for i in sd.invitations]}
    audit.record("convene", "strategy_discussion", sd.id, user=actor, changes=changes)
    db.session.flush()
    _announce_schedule(sd, "REQUEST")
    log.info("discussion convened id=%s children=%s", sd.id, len(children))
    return sd


def update_details(sd: StrategyDiscussion, data: dict, expected_version: int, *, actor,
                   agency_ids: Iterable[int] = ()) -> dict:
    """Change a discussion's details; convenes a draft. The referrer's words, once given, never change."""
    expect_version(sd, expected_version)
    _check_details(data)
    merged = {k: data.get(k, getattr(sd, k)) for k in ("scheduled_at", "referral_received_on") + TIME_FIELDS}
    merged["convene_decided_at"] = merged["convene_decided_at"] or sd.convene_decided_at
    # A discussion cannot be held before the decision to convene it (for a draft, when it was opened). Only a
    # moved time is held to that: discussions recorded after they were held, before this rule, keep their date.
    moved = sd.status == "draft" or any(merged[k] != getattr(sd, k) for k in ("scheduled_at",) + TIME_FIELDS)
    _check_dates(merged, [link.child for link in sd.children], merged["convene_decided_at"] if moved else None)
    if moved:
        _check_times(merged["convene_decided_at"], merged["scheduled_at"], merged["ended_at"])
    if sd.referrer_words.strip() and data.get("referrer_words", sd.referrer_words) != sd.referrer_words:
        raise RuleError("The referrer's words cannot be changed once recorded: add a summary beside them instead",
                        "referrer_words")
    tracked = DETAIL_FIELDS + TIME_FIELDS + CLOCK_FIELDS + ("status",)
    before = audit.snapshot(sd, tracked)
    # The inputs of the clocks: the date, and whether this discussion starts an enquiry or continues one.
    clock_inputs = ("scheduled_at", "kind", "previous_id")
    inputs_were = [getattr(sd, k) for k in clock_inputs]
    referral_was = sd.referral_received_on
    for key in DETAIL_FIELDS:
        if key in data:
            setattr(sd, key, data[key])
    sd.convene_decided_at, sd.ended_at = merged["convene_decided_at"], merged["ended_at"]
    if sd.status == "draft":
        sd.status = "convened"
    added = _invite_agencies(sd, agency_ids)
    if [getattr(sd, k) for k in clock_inputs] != inputs_were:
        _recompute_clocks(sd, actor)
    if sd.referral_received_on != referral_was:
        # the assessment is due 45 working days after the referral: its clock moves, or joins the same child's
        # decisions about the corrected referral (one assessment per referral)
        _keep_assessment_clocks(sd, [d.child_id for d in sd.decisions], referral_was=referral_was)
    changes = audit.changes_between(before, audit.snapshot(sd, tracked), DETAIL_PERSONAL)
    if added:
        changes["invited_agency_ids"] = {"added": added}
    if "alleged_perpetrator" in data:
        perpetrator = (data["alleged_perpetrator"] or "").strip()[:500]
        for link in sd.children:
            if link.alleged_perpetrator != perpetrator:
                link.alleged_perpetrator = perpetrator
                changes["alleged_perpetrator"] = {"changed": True}
    if not changes:
        return {}
    audit.record("update", "strategy_discussion", sd.id, user=actor, changes=changes)
    db.session.flush()
    if {"scheduled_at", "ended_at", "status", "invited_agency_ids", "mode", "chair_id"} & set(changes):
        _announce_schedule(sd, "REQUEST")  # convened from a draft, moved, or someone new asked
    return changes


def cancel_discussion(sd: StrategyDiscussion, reason: str, *, actor) -> None:
    if sd.status not in ("draft", "convened"):
        raise RuleError("Only a discussion that has not reached a decision can be cancelled", "reason")
    if sd.decisions:
        # A decision already recorded started its clocks (an assessment, a conference within 15 working days);
        # cancelling the discussion around it would leave them running for a discussion that says it never happened.
        decided = ", ".join(sorted(d.child.display_name for d in sd.decisions))
        raise RuleError(f"A decision is already recorded for {decided}, so this discussion cannot be cancelled. "
                        "Record the decisions still to make, or remove the children they are for", "reason")
    if not reason.strip():
        raise RuleError("Enter why the discussion is cancelled", "reason")
    was_convened = sd.status == "convened"
    sd.status = "cancelled"
    sd.cancelled_reason = reason.strip()[:500]
    audit.record("cancel", "strategy_discussion", sd.id, user=actor,
                 changes={"status": {"to": "cancelled"}, "cancelled_reason": {"changed": True}})
    db.session.flush()
    if was_convened:
        _announce_schedule(sd, "CANCEL")


# --- Children in a convened discussion ---------------------------------------------------------------------


def add_child(sd: StrategyDiscussion, child: Child, *, actor, expected_version: int | None) -> DiscussionChild:
    """A brother or sister found after convening joins the discussion and will get their own decision."""
    expect_version(sd, expected_version)
    if sd.status not in ("draft", "convened"):
        raise RuleError("A child can only be added before every decision is recorded", "child_id")
    if any(link.child_id == child.id for link in sd.children):
        raise RuleError(f"{child.display_name} is already in this discussion", "child_id")
    if sd.scheduled_at is not None:
        _check_dates({"scheduled_at": sd.scheduled_at}, [child], None)
    perpetrator = sd.children[0].alleged_perpetrator if sd.children else ""
    link = DiscussionChild(discussion=sd, child=child, alleged_perpetrator=perpetrator)
    sd.children.append(link)
    try:
        db.session.flush()
    except IntegrityError:
        raise StaleEdit() from None
    _touch(sd)
    audit.record("add_child", "strategy_discussion", sd.id, user=actor, changes={"child_id": {"to": child.id}})
    log.info("child added discussion=%s child=%s", sd.id, child.id)
    return link


def remove_child(sd: StrategyDiscussion, child_id: int, reason: str, *, actor,
                 expected_version: int | None) -> ChildRemoval:
    """Take a child off the discussion before their decision; the reason stays on the record."""
    expect_version(sd, expected_version)
    link = next((c for c in sd.children if c.child_id == child_id), None)
    if link is None:
        raise RuleError("Select a child from this discussion", "reason")
    if sd.decision_for(child_id) is not None:
        raise RuleError(f"{link.child.display_name} already has a decision: it stays on the record", "reason")
    if link.voice_recorded_at is not None:
        # What the child said is evidence; removing them would delete it with their place in the discussion.
        raise RuleError(f"{link.child.display_name}'s voice is recorded on this discussion: it stays on the record",
                        "reason")
    if len(sd.children) == 1:
        raise RuleError("A discussion needs at least one child: cancel the discussion instead", "reason")
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(f"Enter why {link.child.display_name} is being removed from the discussion", "reason")
    removal = ChildRemoval(discussion=sd, child_id=child_id, reason=reason[:2000], removed_by_id=actor.id)
    db.session.add(removal)
    sd.children.remove(link)
    _touch(sd)
    decided = {d.child_id for d in sd.decisions}
    if sd.status == "convened" and decided and decided >= {c.child_id for c in sd.children}:
        sd.status, sd.decided_at = "decided", now()
        sd.circulation_due_at = sd.circulation_due_at or _circulation_due(sd)
    db.session.flush()
    audit.record("remove_child", "strategy_discussion", sd.id, user=actor,
                 changes={"child_id": {"from": child_id}, "reason": {"changed": True}})
    log.info("child removed discussion=%s child=%s", sd.id, child_id)
    return removal


def _touch(sd: StrategyDiscussion) -> None:
    """Move the discussion's version: its list of children changed, so pages opened before are stale."""
    from sqlalchemy.orm import attributes

    attributes.flag_modified(sd, "status")


# --- Attendance ----------------------------------------------------------------------------------------------


def add_invitation(sd: StrategyDiscussion, data: dict, *, actor) -> Invitation:
    agency = db.session.get(Agency, data["agency_id"])
    if agency is None or not agency.is_active:
        raise RuleError("Select an agency", "agency_id")
    user = db.session.get(User, data["user_id"]) if data.get("user_id") else None
    if user is not None and user.agency_id != agency.id:
        raise RuleError(f"{user.name} works for {user.agency.name}: choose that agency or another person", "user_id")
    if user is None and not data.get("person_name"):
        raise RuleError("Select a person or enter their name", "person_name")
    inv = Invitation(discussion=sd, agency=agency, user=user, person_name=data.get("person_name", ""),
                     role=data.get("role", ""), status="invited")
    db.session.add(inv)
    db.session.flush()
    audit.record("create", "discussion_invitation", inv.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "agency_id": {"to": agency.id},
                          "user_id": {"to": getattr(user, "id", None)}})
    db.session.flush()
    return inv


def record_attendance(sd: StrategyDiscussion, answers: dict[int, tuple[str, str]], *, actor,
                      versions: dict[int, int | None] | None = None) -> dict:
    """answers: invitation id -> (status, reason). Apologies and "not invited" need a reason.

    `versions` (invitation id -> the version the form showed) makes a changed answer on an invitation someone else
    has since recorded a StaleEdit: attendance feeds the minimum-agency check, so it is never silently overwritten.
    """
    changes = {}
    by_id = {i.id: i for i in sd.invitations}
    for inv_id, (status, reason) in answers.items():
        inv = by_id.get(inv_id)
        if inv is None:
            continue
        reason = (reason or "").strip()
        if versions is not None and (inv.status, inv.reason) != (status, reason[:500]):
            expect_version(inv, versions.get(inv_id))
        if status in ("apologies", "not_invited") and not reason:
            label = "apologies" if status == "apologies" else "not inviting them"
            raise RuleError(f"Enter the reason for {label} ({inv.agency.name})", f"reason_{inv_id}")
        if (inv.status, inv.reason) != (status, reason):
            changes[f"invitation_{inv_id}"] = {"from": inv.status, "to": status}
            inv.status, inv.reason, inv.recorded_at = status, reason[:500], now()
    if changes:
        audit.record("attendance", "strategy_discussion", sd.id, user=actor, changes=changes)
        db.session.flush()
    return changes


def missing_minimum_agencies(sd: StrategyDiscussion) -> list[str]:
    return thresholds.missing_minimum_agencies(sd.present_agency_kinds)


# --- Information shared and the child's voice ---------------------------------------------------------------


def _information_about(sd: StrategyDiscussion, data: dict) -> None:
    invited = {i.agency_id for i in sd.invitations}
    if data["agency_id"] not in invited:
        raise RuleError("Select an agency invited to this discussion", "agency_id")
    if data.get("child_id") and data["child_id"] not in {link.child_id for link in sd.children}:
        raise RuleError("Select a child from this discussion", "child_id")


def record_information(sd: StrategyDiscussion, data: dict, *, actor) -> InformationShared:
    _information_about(sd, data)
    # Checked here as well as on the form: a demo seed or a script must not share information without a basis.
    if data.get("lawful_basis") not in LAWFUL_BASES:
        raise RuleError("Select the lawful basis for sharing this information", "lawful_basis")
    row = InformationShared(discussion=sd, agency_id=data["agency_id"], child_id=data.get("child_id") or None,
                            topic=data["topic"], text=data["text"], shared_by=data.get("shared_by", ""),
                            lawful_basis=data["lawful_basis"], recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("create", "discussion_information", row.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "agency_id": {"to": row.agency_id},
                          "topic": {"to": row.topic}, "lawful_basis": {"to": row.lawful_basis},
                          "text": {"changed": True}})
    db.session.flush()
    log.info("information recorded discussion=%s entry=%s", sd.id, row.id)
    return row


def record_nothing_held(sd: StrategyDiscussion, data: dict, *, actor) -> InformationShared:
    """An agency's answer "checked: nothing held" for one topic: kept as its own entry, with who and when."""
    _information_about(sd, data)
    child_id = data.get("child_id") or None
    for item in sd.information:
        if (item.agency_id, item.topic, item.child_id) == (data["agency_id"], data["topic"], child_id):
            if item.nothing_held:
                raise RuleError("This agency has already answered \u201cchecked: nothing held\u201d on this topic",
                                "topic")
            raise RuleError("This agency has already shared information on this topic about this child", "topic")
    row = InformationShared(discussion=sd, agency_id=data["agency_id"], child_id=child_id, topic=data["topic"],
                            text="", shared_by=data.get("shared_by", ""), nothing_held=True,
                            recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("create", "discussion_information", row.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "agency_id": {"to": row.agency_id},
                          "topic": {"to": row.topic}, "nothing_held": {"to": True}})
    db.session.flush()
    log.info("nothing held recorded discussion=%s entry=%s", sd.id, row.id)
    return row


def record_child_voice(link: DiscussionChild, data: dict, *, actor, expected_version: int | None = None) -> dict:
    """What the child said and whether they were seen; refused on a version someone else has since saved."""
    if expected_version is not None or link.voice_recorded_at is not None:
        expect_version(link, expected_version)
    problem = dates.seen_date_problem(data.get("seen_on"), child_dates(link.child), thresholds.london_date_of(now()))
    if problem:
        raise RuleError(problem, "seen_on")
    before = audit.snapshot(link, VOICE_FIELDS)
    for key in VOICE_FIELDS:
        setattr(link, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(link, VOICE_FIELDS), VOICE_PERSONAL)
    if changes:
        link.voice_recorded_at = now()
        audit.record("update", "discussion_child", link.id, user=actor, changes=changes)
        db.session.flush()
    return changes


# --- Decisions -----------------------------------------------------------------------------------------------


def _chain_ids(sd: StrategyDiscussion) -> list[int]:
    ids, seen, current = [], {sd.id}, sd.previous
    while current is not None and current.id not in seen:
        ids.append(current.id)
        seen.add(current.id)
        current = current.previous
    return ids


def _open_enquiry_for(sd: StrategyDiscussion, child_id: int) -> ThresholdDecision | None:
    """The decision that started the child's section 47 enquiry still under way (earlier in the chain of
    discussions, or any whose conference is still due), if any."""
    chain = _chain_ids(sd)
    query = (db.select(ThresholdDecision)
             .where(ThresholdDecision.child_id == child_id, ThresholdDecision.discussion_id != sd.id,
                    ThresholdDecision.starts_enquiry.is_(True),
                    or_(ThresholdDecision.discussion_id.in_(chain) if chain else false(),
                           ThresholdDecision.icpc_status == "due"))
             .order_by(ThresholdDecision.enquiry_started_on.desc()).limit(1))
    return db.session.execute(query).scalar_one_or_none()


def held_on(sd: StrategyDiscussion) -> date:
    return thresholds.london_date_of(sd.scheduled_at or sd.created_at)


def _apply_enquiry(sd: StrategyDiscussion, decision: ThresholdDecision) -> None:
    """Set the decision's section 47 enquiry and ICPC clock from its inputs: the outcome, the discussion's date,
    whether the discussion is initial, and any enquiry already under way for the child (ended or not)."""
    held = held_on(sd)
    start = thresholds.enquiry_start(decision.outcome, held, None)
    open_enquiry = None
    if start is not None:
        with db.session.no_autoflush:  # a new decision is flushed by the caller, where a concurrent one is caught
            open_enquiry = _open_enquiry_for(sd, decision.child_id)
    if open_enquiry is not None:
        start = thresholds.enquiry_start(decision.outcome, held, open_enquiry.enquiry_started_on,
                                         initial=sd.kind == "initial",
                                         open_enquiry_ended_on=open_enquiry.enquiry_outcome_on)
    if start is None:
        decision.starts_enquiry, decision.enquiry_started_on = False, None
        decision.icpc_due_on, decision.icpc_due_at, decision.icpc_status = None, None, "not_needed"
        return
    decision.starts_enquiry = start.starts_here
    decision.enquiry_started_on = start.started_on
    decision.icpc_due_on = thresholds.icpc_due_on(start.started_on)
    if start.starts_here:
        decision.icpc_due_at = thresholds.icpc_due_at(start.started_on)
        if decision.icpc_status not in ("booked", "held", "ended"):
            decision.icpc_status = "due"
    else:
        # The ICPC clock belongs to the discussion that started the enquiry; it is not restarted here.
        decision.icpc_due_at, decision.icpc_status = None, "inherited"


def _recompute_clocks(sd: StrategyDiscussion, actor) -> None:
    """The discussion's time (or kind, or the discussion it reviews) changed: every date it drives moves with it,
    here and on the reviews that inherit its enquiry. Each decision changed gets its own audit event (the
    discussion's own dates are in the caller's)."""
    if sd.scheduled_at is None:
        return
    clocks = thresholds.discussion_clocks(
        sd.scheduled_at, circulation_working_days=setting("MINUTES_CIRCULATION_WORKING_DAYS", 1),
        follow_up_asked=sd.follow_up_meeting_due_at is not None,
        follow_up_working_days=setting("FOLLOW_UP_MEETING_WORKING_DAYS", thresholds.FOLLOW_UP_MEETING_WORKING_DAYS))
    if sd.minutes_status != "circulated":
        sd.circulation_due_at = clocks.circulation_due_at
    sd.follow_up_meeting_due_at = clocks.follow_up_meeting_due_at
    for decision in sd.decisions:
        before = audit.snapshot(decision, ENQUIRY_CLOCK_FIELDS)
        started_here, was_started_on = decision.starts_enquiry, decision.enquiry_started_on
        _apply_enquiry(sd, decision)
        changes = audit.changes_between(before, audit.snapshot(decision, ENQUIRY_CLOCK_FIELDS))
        if not changes:
            continue
        changes["discussion_scheduled_at"] = {"to": audit.snapshot(sd, ("scheduled_at",))["scheduled_at"]}
        audit.record("recompute", "threshold_decision", decision.id, user=actor, changes=changes)
        if started_here and decision.starts_enquiry:
            _move_inherited(decision, was_started_on, actor)


def _move_inherited(started: ThresholdDecision, was_started_on: date | None, actor) -> None:
    """Reviews that continued this enquiry show its ICPC date: they move with the discussion that started it."""
    if was_started_on is None:
        return
    inheriting = db.session.execute(
        db.select(ThresholdDecision).where(ThresholdDecision.child_id == started.child_id,
                                           ThresholdDecision.id != started.id,
                                           ThresholdDecision.icpc_status == "inherited",
                                           ThresholdDecision.enquiry_started_on == was_started_on)).scalars().all()
    for review in inheriting:
        before = audit.snapshot(review, ENQUIRY_CLOCK_FIELDS)
        review.enquiry_started_on, review.icpc_due_on = started.enquiry_started_on, started.icpc_due_on
        audit.record("recompute", "threshold_decision", review.id, user=actor,
                     changes=audit.changes_between(before, audit.snapshot(review, ENQUIRY_CLOCK_FIELDS)))


def _keep_assessment_clocks(sd: StrategyDiscussion, child_ids: Iterable[int], *,
                            referral_was: date | None = None) -> None:
    """Put the child and family assessment's due time on the one decision that holds each of these children's
    clocks for the discussion's referral (thresholds.assessment_clock_holder), and take it off the others: called
    whenever an input changes (a decision recorded or corrected, its assessment completed, the referral date
    corrected: then `referral_was` is the date before, whose decisions are looked at again too). The due time is
    derived from the decisions about the same referral on every discussion (the initial one and its reviews), so
    all of them are read; the child's row is locked first so two people deciding about one referral at once
    cannot both hold its clock. Nothing else moves it: a decision stands when its discussion is later cancelled (as
    the conference clock does), a child joins a discussion without a decision, and one with a decision cannot be
    taken off it."""
    child_ids = sorted(set(child_ids))
    if not child_ids:
        return
    referrals = {r for r in (sd.referral_received_on, referral_was) if r is not None}
    if sd.referral_received_on is None:
        for decision in sd.decisions:
            if decision.child_id in child_ids and decision.assessment_due_at is not None:
                decision.assessment_due_at = None
    if not referrals:
        return
    # FOR NO KEY UPDATE, as the children's links take it (children/links.py): never a stronger lock on a row this
    # transaction may already hold, which could deadlock with someone recording something else for the child. The
    # discussion first, then its children, in the order the links take them: a decision taking the children and
    # then (saving) the discussion, against an invitation change taking the discussion and then the children,
    # could each wait for the other.
    if sd.id is not None:
        db.session.execute(db.select(StrategyDiscussion.id).where(StrategyDiscussion.id == sd.id)
                           .with_for_update(key_share=True))
    db.session.execute(db.select(Child.id).where(Child.id.in_(child_ids)).order_by(Child.id)
                       .with_for_update(key_share=True))
    found = db.session.execute(
        db.select(ThresholdDecision, StrategyDiscussion.referral_received_on)
        .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
        .where(ThresholdDecision.child_id.in_(child_ids),
               StrategyDiscussion.referral_received_on.in_(sorted(referrals)))).all()
    groups: dict[tuple[int, date], list[ThresholdDecision]] = {}
    for decision, referral in found:
        groups.setdefault((decision.child_id, referral), []).append(decision)
    for (_, referral), decisions in groups.items():
        holder = thresholds.assessment_clock_holder(
            thresholds.ReferralDecision(d.id, d.outcome, d.decided_at, d.assessment_completed_at is not None)
            for d in decisions)
        for decision in decisions:
            due = thresholds.assessment_due_at(referral) if decision.id == holder else None
            if decision.assessment_due_at != due:  # a decision left as it was keeps its version
                decision.assessment_due_at = due


def record_decision(sd: StrategyDiscussion, child_id: int, data: dict, *, actor,
                    expected_version: int | None = None, minimum_agency_reason: str = "",
                    follow_up_meeting: bool | None = None) -> ThresholdDecision:
    """Record (or correct) the decision for one child. Rationale is mandatory; a decision without CSC, police
    or health present needs a recorded reason, and the gap is kept on the decision for reporting."""
    if sd.status not in ("convened", "decided"):
        raise RuleError("Convene the discussion before recording a decision", "outcome")
    link = next((c for c in sd.children if c.child_id == child_id), None)
    if link is None:
        raise RuleError("Select a child from this discussion", "outcome")
    if data.get("outcome") not in thresholds.OUTCOMES:
        raise RuleError("Select the decision", "outcome")
    if not (data.get("rationale") or "").strip():
        raise RuleError("Enter the reasons for the decision", "rationale")
    missing = missing_minimum_agencies(sd)
    reason = (minimum_agency_reason or "").strip() or sd.minimum_agency_reason
    if missing and not reason:
        raise RuleError(f"Enter why the decision is made without {' and '.join(missing)}", "minimum_agency_reason")

    for name, label in UNDECIDED_QUESTIONS.items():
        if not data.get(name):
            raise RuleError(f"Select an answer for {label.lower()}", name)

    decision = sd.decision_for(child_id)
    if decision is not None:
        # A form opened before anyone decided (no version) must not replace a decision saved since.
        expect_version(decision, expected_version)
    is_new = decision is None
    if is_new:
        decision = ThresholdDecision(discussion=sd, child_id=child_id, decided_by_id=actor.id)
        db.session.add(decision)
    before = {} if is_new else audit.snapshot(decision, DECISION_FIELDS + ENQUIRY_CLOCK_FIELDS)
    for key in DECISION_FIELDS:
        setattr(decision, key, data[key])
    decision.decided_at, decision.decided_by_id = now(), actor.id
    decision.agencies_absent = ", ".join(missing)
    if missing:
        sd.has_agency_gap = True
    decision.still_to_decide_due_at = (thresholds.circulation_due_at(decision.decided_at, 1)
                                       if decision.still_to_decide else None)
    _apply_enquiry(sd, decision)

    if missing and minimum_agency_reason.strip():
        sd.minimum_agency_reason = minimum_agency_reason.strip()
    follow_up = _set_follow_up_meeting(sd, follow_up_meeting)
    decided_children = {d.child_id for d in sd.decisions} | {child_id}
    if sd.status == "convened" and decided_children >= {c.child_id for c in sd.children}:
        sd.status, sd.decided_at = "decided", now()
        sd.circulation_due_at = sd.circulation_due_at or _circulation_due(sd)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone else recorded this child's first decision at the same moment (one decision per child).
        raise StaleEdit() from None
    _keep_assessment_clocks(sd, [child_id])
    changes = audit.changes_between(before, audit.snapshot(decision, DECISION_FIELDS + ENQUIRY_CLOCK_FIELDS),
                                    DECISION_PERSONAL)
    changes["child_id"] = {"to": child_id}
    if missing:
        changes["agencies_absent"] = {"to": decision.agencies_absent}
        changes["minimum_agency_reason"] = {"changed": True}
    audit.record("decide" if is_new else "update", "threshold_decision", decision.id, user=actor, changes=changes)
    if follow_up:
        audit.record("update", "strategy_discussion", sd.id, user=actor, changes=follow_up)
    db.session.flush()
    log.info("decision recorded discussion=%s child=%s outcome=%s", sd.id, child_id, decision.outcome)
    return decision


def _set_follow_up_meeting(sd: StrategyDiscussion, asked: bool | None) -> dict:
    """The chair of a phone discussion asks (or no longer asks) for a strategy meeting to follow."""
    if asked is None or sd.mode != "phone":
        return {}
    before = audit.snapshot(sd, ("follow_up_meeting_due_at",))
    if not asked:
        sd.follow_up_meeting_due_at = None
    elif sd.follow_up_meeting_due_at is None:
        sd.follow_up_meeting_due_at = thresholds.follow_up_meeting_due_at(
            sd.scheduled_at or sd.created_at,
            setting("FOLLOW_UP_MEETING_WORKING_DAYS", thresholds.FOLLOW_UP_MEETING_WORKING_DAYS))
    return audit.changes_between(before, audit.snapshot(sd, ("follow_up_meeting_due_at",)))


def follow_up_reviews(sd: StrategyDiscussion) -> list[StrategyDiscussion]:
    """Review discussions convened after this one (the strategy meeting its chair asked for, if any)."""
    return db.session.execute(
        db.select(StrategyDiscussion).where(StrategyDiscussion.previous_id == sd.id,
                                            StrategyDiscussion.status.in_(("convened", "decided")))
        .order_by(StrategyDiscussion.scheduled_at)).scalars().all()


def _starting_decision(decision: ThresholdDecision, field: str) -> None:
    if not decision.starts_enquiry:
        raise RuleError("Record the conference and the enquiry's outcome on the discussion that started the enquiry",
                        field)


def record_icpc_date(decision: ThresholdDecision, when: date, *, actor, expected_version: int | None = None,
                     late_reason: str = "") -> None:
    """A conference date booked closes the ICPC deadline; refused on a decision someone has since changed
    (two people booking different dates must not silently overwrite each other). The date is checked against the
    enquiry (never before the discussion that started it; after its due date only with the reason)."""
    if expected_version is not None:
        expect_version(decision, expected_version)
    _starting_decision(decision, "icpc_date")
    if decision.icpc_status == "ended":
        raise RuleError("The enquiry ended without a conference: record a conference as its outcome first",
                        "icpc_date")
    if decision.icpc_status == "held":
        raise RuleError("The conference is already recorded as held", "icpc_date")
    late_reason = (late_reason or "").strip()
    _pure(thresholds.check_conference_booking, when, decision.enquiry_started_on, late_reason)
    tracked = ("icpc_date", "icpc_status", "icpc_late_reason")
    before = audit.snapshot(decision, tracked)
    decision.icpc_date, decision.icpc_status, decision.icpc_recorded_by_id = when, "booked", actor.id
    decision.icpc_late_reason = late_reason[:2000] if thresholds.conference_is_late(
        when, decision.enquiry_started_on) else ""
    audit.record("update", "threshold_decision", decision.id, user=actor,
                 changes=audit.changes_between(before, audit.snapshot(decision, tracked), ("icpc_late_reason",)))
    db.session.flush()


def record_conference_held(decision: ThresholdDecision, held: date | None, *, actor,
                           expected_version: int | None) -> None:
    """The booked conference took place: confirmed on or after its date, which stops the "confirm it was held"
    chase."""
    expect_version(decision, expected_version)
    _starting_decision(decision, "icpc_held_on")
    if decision.icpc_status not in ("booked", "held") or decision.icpc_date is None:
        raise RuleError("Record the date the conference is booked for first", "icpc_held_on")
    if held is None:
        raise RuleError("Enter the date the conference was held", "icpc_held_on")
    today = thresholds.london_date_of(now())
    _pure(thresholds.check_conference_held, decision.icpc_date, today, fields={"icpc_held": "icpc_held_on"})
    if held > today:
        raise RuleError("Date the conference was held must be today or in the past", "icpc_held_on")
    if held < decision.icpc_date:
        raise RuleError("Date the conference was held must be on or after the date it was booked for "
                        f"({dates.long_date(decision.icpc_date)}): record the new date first", "icpc_held_on")
    tracked = ("icpc_held_on", "icpc_held_by_id", "icpc_status")
    before = audit.snapshot(decision, tracked)
    decision.icpc_held_on, decision.icpc_held_by_id, decision.icpc_status = held, actor.id, "held"
    audit.record("update", "threshold_decision", decision.id, user=actor,
                 changes=audit.changes_between(before, audit.snapshot(decision, tracked)))
    db.session.flush()
    log.info("conference held decision=%s", decision.id)


def record_enquiry_outcome(decision: ThresholdDecision, data: dict, *, actor, expected_version: int | None) -> dict:
    """How the section 47 enquiry ended, why, who decided and when. Any outcome but a conference ends the ICPC
    clock; a later initial discussion then starts an enquiry (and a clock) of its own."""
    expect_version(decision, expected_version)
    _starting_decision(decision, "enquiry_outcome")
    outcome, reason, decided_on = data.get("enquiry_outcome"), (data.get("enquiry_outcome_reason") or "").strip(), \
        data.get("enquiry_outcome_on")
    if decided_on is None:
        if outcome not in thresholds.ENQUIRY_OUTCOMES:
            raise RuleError("Select the outcome of the section 47 enquiry", "enquiry_outcome")
        raise RuleError("Enter the date of the outcome", "enquiry_outcome_on")
    _pure(thresholds.check_enquiry_outcome, outcome, reason, decided_on, decision.enquiry_started_on,
          thresholds.london_date_of(now()))
    if decision.icpc_status == "held" and outcome != "icpc":
        raise RuleError("A conference was held for this enquiry: select the conference as its outcome",
                        "enquiry_outcome")
    before = audit.snapshot(decision, ENQUIRY_OUTCOME_FIELDS)
    decision.enquiry_outcome, decision.enquiry_outcome_reason = outcome, reason[:5000]
    decision.enquiry_outcome_on, decision.enquiry_outcome_by_id = decided_on, actor.id
    if thresholds.icpc_still_needed(outcome):
        if decision.icpc_status == "ended":
            decision.icpc_status = "booked" if decision.icpc_date else "due"
    elif decision.icpc_status in ("due", "booked"):
        decision.icpc_status = "ended"
    changes = audit.changes_between(before, audit.snapshot(decision, ENQUIRY_OUTCOME_FIELDS),
                                    ("enquiry_outcome_reason",))
    if changes:
        audit.record("enquiry_outcome", "threshold_decision", decision.id, user=actor, changes=changes)
        db.session.flush()
    log.info("enquiry outcome decision=%s outcome=%s", decision.id, outcome)
    return changes


def record_assessment_completed(decision: ThresholdDecision, completed_at: datetime | None, *, actor,
                                expected_version: int | None) -> dict:
    """The child and family assessment was completed: its 45 working day clock stops."""
    expect_version(decision, expected_version)
    if not thresholds.starts_assessment(decision.outcome):
        raise RuleError("Only a section 17 or section 47 decision starts a child and family assessment",
                        "completed_date")
    if completed_at is None:
        raise RuleError("Enter the date the assessment was completed", "completed_date")
    if completed_at > now():
        raise RuleError("Date the assessment was completed must be today or in the past", "completed_date")
    referral = decision.discussion.referral_received_on
    if referral is not None and thresholds.london_date_of(completed_at) < referral:
        raise RuleError("Date the assessment was completed must be on or after the referral was received "
                        f"({dates.long_date(referral)})", "completed_date")
    tracked = ("assessment_completed_at", "assessment_completed_by_id")
    before = audit.snapshot(decision, tracked)
    decision.assessment_completed_at, decision.assessment_completed_by_id = completed_at, actor.id
    _keep_assessment_clocks(decision.discussion, [decision.child_id])
    changes = audit.changes_between(before, audit.snapshot(decision, tracked))
    if changes:
        audit.record("assessment_completed", "threshold_decision", decision.id, user=actor, changes=changes)
        db.session.flush()
    return changes


# --- Agreed actions ------------------------------------------------------------------------------------------

ACTION_FIELDS = ("description", "child_id", "owner_id", "owner_agency_id", "due_at", "status")


def _check_far_ahead(due_at: datetime, confirmed: bool) -> None:
    if not confirmed and dates.due_date_needs_confirming(thresholds.london_date_of(due_at),
                                                         thresholds.london_date_of(now())):
        raise RuleError(f"Due date is more than a year ahead ({dates.long_date(thresholds.london_date_of(due_at))}): "
                        "check the year, or confirm the date is right", "due_date")


def add_action(sd: StrategyDiscussion, data: dict, *, actor) -> AgreedAction:
    owner = db.session.get(User, data["owner_id"]) if data.get("owner_id") else None
    if owner is None or not owner.is_active_user or owner.role == "admin":
        raise RuleError("Select who owns the action", "owner_id")
    if data["due_at"] is None:
        raise RuleError("Enter the due date", "due_date")
    if data["due_at"] <= now():
        raise RuleError("Due date and time must be in the future", "due_date")
    _check_far_ahead(data["due_at"], bool(data.get("far_ahead_confirmed")))
    if data.get("child_id") and data["child_id"] not in {c.child_id for c in sd.children}:
        raise RuleError("Select a child from this discussion", "child_id")
    action = AgreedAction(discussion=sd, description=data["description"], child_id=data.get("child_id") or None,
                          owner_id=owner.id, owner_agency_id=owner.agency_id, due_at=data["due_at"],
                          status="open", created_by_id=actor.id)
    db.session.add(action)
    db.session.flush()
    changes = audit.changes_between({}, audit.snapshot(action, ACTION_FIELDS), ("description",))
    audit.record("create", "agreed_action", action.id, user=actor, changes=changes)
    db.session.flush()
    _announce_owner(action, actor)
    log.info("action added id=%s discussion=%s owner=%s", action.id, sd.id, owner.id)
    return action


def _change_action(action: AgreedAction, expected_version: int, actor, status: str, **fields) -> dict:
    expect_version(action, expected_version)
    if action.status != "open":
        raise RuleError(f"This action is already {action.status_label.lower()}", "status")
    tracked = ("status", "completion_note", "cancel_reason", "completed_at", "completed_by_id")
    before = audit.snapshot(action, tracked)
    action.status = status
    for key, value in fields.items():
        setattr(action, key, value)
    changes = audit.changes_between(before, audit.snapshot(action, tracked), ("completion_note", "cancel_reason"))
    audit.record("update", "agreed_action", action.id, user=actor, changes=changes)
    db.session.flush()
    return changes


def change_action(action: AgreedAction, *, owner_id: int, due_at: datetime, reason: str, actor,
                  expected_version: int, far_ahead_confirmed: bool = False) -> dict:
    """Give an open action a new owner or due date. The reason is kept beside the action, and the audit
    log says who moved what from what to what."""
    expect_version(action, expected_version)
    if action.status != "open":
        raise RuleError(f"This action is already {action.status_label.lower()}", "reason")
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.is_active_user or owner.role == "admin":
        raise RuleError("Select who owns the action", "owner_id")
    if due_at is None:
        raise RuleError("Enter the due date", "due_date")
    if due_at.replace(second=0, microsecond=0) == action.due_at.replace(second=0, microsecond=0):
        due_at = action.due_at  # forms give whole minutes: the same minute is no change
    if owner.id == action.owner_id and due_at == action.due_at:
        raise RuleError("Choose a different owner or a different due date and time", "owner_id")
    if due_at != action.due_at and due_at <= now():
        raise RuleError("Due date and time must be in the future", "due_date")
    if due_at != action.due_at:
        _check_far_ahead(due_at, far_ahead_confirmed)
    if not reason.strip():
        raise RuleError("Enter why the action is changing", "reason")
    tracked = ("owner_id", "owner_agency_id", "due_at")
    before = audit.snapshot(action, tracked)
    action.changes.append(AgreedActionChange(changed_by_id=actor.id, from_owner_id=action.owner_id,
                                             to_owner_id=owner.id, from_due_at=action.due_at, to_due_at=due_at,
                                             reason=reason.strip()[:2000]))
    action.owner_id, action.owner_agency_id, action.due_at = owner.id, owner.agency_id, due_at
    changes = audit.changes_between(before, audit.snapshot(action, tracked))
    changes["reason"] = {"changed": True}
    audit.record("reassign", "agreed_action", action.id, user=actor, changes=changes)
    db.session.flush()
    if "owner_id" in changes:
        _announce_owner(action, actor)
    log.info("action changed id=%s owner=%s", action.id, owner.id)
    return changes


def complete_action(action: AgreedAction, note: str, *, actor, expected_version: int) -> dict:
    if not note.strip():
        raise RuleError("Enter what was done", "completion_note")
    return _change_action(action, expected_version, actor, "done", completion_note=note.strip(),
                          completed_by_id=actor.id, completed_at=now())


def cancel_action(action: AgreedAction, reason: str, *, actor, expected_version: int) -> dict:
    if not reason.strip():
        raise RuleError("Enter why the action is cancelled", "cancel_reason")
    return _change_action(action, expected_version, actor, "cancelled", cancel_reason=reason.strip(),
                          completed_by_id=actor.id, completed_at=now())


# --- Minutes -------------------------------------------------------------------------------------------------


def save_minutes(sd: StrategyDiscussion, text: str, *, actor, based_on_id: int, based_on_revision: int,
                 change_note: str = "") -> MinutesVersion:
    """Save the minutes. While the latest version is a draft it is edited in place; once the chair has agreed
    it, saving makes a new version (every version is kept) that needs agreeing and circulating again.

    `based_on_id`/`based_on_revision` say which version the editor opened (0/0: none yet). If someone saved in
    between, StaleEdit (carrying the version saved since) is raised and nothing is written; the caller shows both.
    """
    latest = sd.latest_minutes
    if (latest.id if latest else 0) != based_on_id or (latest.revision if latest else 0) != based_on_revision:
        raise StaleEdit(latest)
    text = text.strip()
    if not text:
        raise RuleError("Enter the minutes", "text")
    if latest is not None and latest.agreed_at is None:
        if latest.text == text:
            return latest
        latest.text, latest.updated_at, latest.updated_by_id = text, now(), actor.id
        if change_note.strip():
            latest.change_note = change_note.strip()[:500]
        version, action = latest, "update"
    else:
        if latest is not None and not change_note.strip():
            raise RuleError("Say what changed since the agreed version, and why", "change_note")
        version = MinutesVersion(discussion=sd, number=(latest.number + 1) if latest else 1, text=text,
                                 change_note=change_note.strip()[:500], created_by_id=actor.id,
                                 updated_by_id=actor.id)
        db.session.add(version)
        if latest is not None:
            was = sd.minutes_status
            sd.minutes_status = "draft"
            if was == "circulated":
                # The changed record is owed to attendees again, on the same timescale.
                sd.circulation_due_at = thresholds.circulation_due_at(
                    now(), setting("MINUTES_CIRCULATION_WORKING_DAYS", 1))
        action = "create"
    try:
        db.session.flush()
    except IntegrityError:
        # Two editors made the next version number at the same moment: the later one has a stale view.
        raise StaleEdit() from None
    audit.record(action, "minutes_version", version.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "number": {"to": version.number},
                          "text": {"changed": True}})
    db.session.flush()
    return version


def agree_minutes(sd: StrategyDiscussion, *, actor, version_id: int | None = None,
                  revision: int | None = None) -> MinutesVersion:
    """The chair signs the minutes off: exactly the text they read (`version_id`/`revision`), never a text
    someone saved after they opened the page."""
    if actor.id != sd.chair_id:
        raise RuleError("Only the chair can agree the minutes", "agree")
    latest = sd.latest_minutes
    if latest is None:
        raise RuleError("Write the minutes before agreeing them", "agree")
    if version_id is not None and (latest.id != version_id or latest.revision != revision):
        raise StaleEdit(latest)
    if latest.agreed_at is not None:
        raise RuleError("This version is already agreed", "agree")
    undecided = [c.child.display_name for c in sd.children if sd.decision_for(c.child_id) is None]
    if undecided:
        raise RuleError(f"Record the decision for {', '.join(undecided)} before agreeing the minutes", "agree")
    latest.agreed_at, latest.agreed_by_id = now(), actor.id
    sd.minutes_status, sd.minutes_agreed_at, sd.minutes_agreed_by_id = "agreed", latest.agreed_at, actor.id
    audit.record("agree", "minutes_version", latest.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "number": {"to": latest.number},
                          "minutes_status": {"to": "agreed"}})
    db.session.flush()
    return latest


def circulation_recipients(sd: StrategyDiscussion) -> list[str]:
    """Everyone invited who took part or sent apologies or information, and the chair: one line each."""
    lines = []
    for inv in sd.invitations:
        if inv.status in ("not_invited",):
            continue
        email = inv.user.email if inv.user else (inv.agency.shared_mailbox or "")
        lines.append(f"{inv.who} ({inv.agency.name})" + (f" <{email}>" if email else ""))
    if sd.chair is not None:
        lines.append(f"{sd.chair.name}, chair ({sd.chair.agency.name}) <{sd.chair.email}>")
    return list(dict.fromkeys(lines))


def circulate_minutes(sd: StrategyDiscussion, *, actor, referrer_told: str, referrer_told_how: str = "",
                      expected_version: int | None = None) -> MinutesCirculation:
    """Record that the agreed minutes went to the attendees (who, when, to whom), and whether the referrer
    was told the outcome. MINUTES_CIRCULATED_HOOKS (e.g. the notices and the email outbox) run in the same unit of
    work, so a crash can never leave a circulation whose notices were lost."""
    if expected_version is not None:
        expect_version(sd, expected_version)
    latest = sd.latest_minutes
    if latest is None or latest.agreed_at is None:
        raise RuleError("The chair must agree the minutes before they are circulated", "referrer_told")
    if referrer_told not in ("yes", "no"):
        raise RuleError("Select whether the referrer has been told the outcome", "referrer_told")
    if referrer_told == "no" and not referrer_told_how.strip():
        raise RuleError("Enter why the referrer has not been told the outcome", "referrer_told_how")
    circulation = MinutesCirculation(discussion=sd, version=latest, circulated_by_id=actor.id,
                                     recipients="\n".join(circulation_recipients(sd)),
                                     referrer_told=referrer_told, referrer_told_how=referrer_told_how.strip()[:500])
    db.session.add(circulation)
    sd.minutes_status, sd.circulated_at = "circulated", now()
    db.session.flush()
    audit.record("circulate", "strategy_discussion", sd.id, user=actor,
                 changes={"minutes_version": {"to": latest.number}, "minutes_status": {"to": "circulated"},
                          "recipients": {"to": len(circulation.recipients.splitlines())},
                          "referrer_told": {"to": referrer_told}})
    for hook in MINUTES_CIRCULATED_HOOKS:
        hook(circulation)
    db.session.flush()
    log.info("minutes circulated discussion=%s version=%s", sd.id, latest.number)
    return circulation


def record_dissent(sd: StrategyDiscussion, data: dict, *, actor) -> Dissent:
    if data["agency_id"] not in {i.agency_id for i in sd.invitations}:
        raise RuleError("Select an agency invited to this discussion", "agency_id")
    row = Dissent(discussion=sd, agency_id=data["agency_id"], person_name=data["person_name"], text=data["text"],
                  recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record("create", "discussion_dissent", row.id, user=actor,
                 changes={"discussion_id": {"to": sd.id}, "agency_id": {"to": row.agency_id},
                          "text": {"changed": True}})
    db.session.flush()
    return row


# --- The partnership's list of vague phrases ----------------------------------------------------------------


@functools.cache
def _phrases_statement():
    # built once: the discussion's page reads the phrases every time
    return db.select(VaguePhrase.phrase, VaguePhrase.is_active)


def current_phrases() -> list[str]:
    rows = db.session.execute(_phrases_statement()).all()
    if not rows:
        return list(DEFAULT_PHRASES)
    return sorted(p for p, active in rows if active)


def _seed_phrases(actor) -> None:
    if db.session.execute(db.select(VaguePhrase.id).limit(1)).first() is None:
        for phrase in DEFAULT_PHRASES:
            db.session.add(VaguePhrase(phrase=phrase, created_by_id=getattr(actor, "id", None)))
        db.session.flush()


def add_phrase(phrase: str, *, actor) -> str:
    phrase = normalise(phrase)
    if not phrase:
        raise RuleError("Enter a phrase", "phrase")
    _seed_phrases(actor)
    row = db.session.execute(db.select(VaguePhrase).where(VaguePhrase.phrase == phrase)).scalar_one_or_none()
    if row is not None and row.is_active:
        raise RuleError(f"“{phrase}” is already on the list", "phrase")
    if row is None:
        row = VaguePhrase(phrase=phrase, created_by_id=actor.id)
        db.session.add(row)
    row.is_active = True
    db.session.flush()
    audit.record("create", "vague_phrase", row.id, user=actor, changes={"phrase": {"to": phrase}})
    db.session.flush()
    return phrase


def remove_phrase(phrase: str, *, actor) -> None:
    _seed_phrases(actor)
    row = db.session.execute(db.select(VaguePhrase).where(VaguePhrase.phrase == normalise(phrase))).scalar_one_or_none()
    if row is None or not row.is_active:
        raise RuleError("That phrase is not on the list", "phrase")
    row.is_active = False
    audit.record("delete", "vague_phrase", row.id, user=actor, changes={"phrase": {"from": row.phrase}})
    db.session.flush()

