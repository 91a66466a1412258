"""Every write about missing episodes and emergency powers: checks the rules, changes rows, audits the fields
that changed (free text only as "changed"), and logs one line with identifiers only. Flushes only: the view's
`transaction()` commits the change with its audit events and prompts, or none of them."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from .. import audit
from ..auth.models import Agency, AgencyKind, User
from ..children.models import Child
from ..clock import LONDON, london_datetime, now
from ..extensions import db
from ..periods import Quarter
from ..service import RuleError, StaleEdit, expect_version
from ..templating import london
from . import rules, workers
from .models import (Arrest, DiscussionPrompt, EmergencyProtectionOrder, MissingEpisode, PoliceProtection,
                     PreventionInterview, PromptReason, ReturnInterview, RhiOffer, RhiStatus, RiskGrading)

log = logging.getLogger("safeguarding.missing")

EPISODE_FIELDS = ("reported_missing_at", "missing_from", "missing_from_detail", "police_reference", "risk_level",
                  "indicators", "arrested", "circumstances")
RETURN_FIELDS = ("returned_at", "found_where", "returned_by", "out_of_area", "abroad")
COMPLETION_FIELDS = ("completed_at", "interviewer_name", "interviewer_organisation", "interviewer_independent",
                     "interview_location", "why_left", "where_and_with_whom", "harm", "health_needs",
                     "support_and_referrals", "information_sharing_consent")
PP_FIELDS = ("started_at", "designated_officer", "place_of_safety", "reason")
EPO_FIELDS = ("granted_at", "court")
#: about the child and family, so the audit log says only that they changed
FREE_TEXT = ("missing_from_detail", "circumstances", "found_where", "returned_by", "interview_location", "why_left",
             "where_and_with_whom", "harm", "health_needs", "support_and_referrals", "reason", "note",
             "place_of_safety", "end_note", "not_held_reason", "close_note", "breach_reason")

__all__ = ["RuleError", "StaleEdit"]


def _settings() -> tuple[int, int]:
    cfg = current_app.config
    return int(cfg.get("MISSING_REPEAT_THRESHOLD", 3)), int(cfg.get("MISSING_REPEAT_WINDOW_DAYS", 30))


def _not_future(value: datetime, label: str, field: str | None = None) -> None:
    rules.check_not_future(value, now(), label, field)


def _lock_child(child_id: int) -> Child:
    """Take the child's row for this transaction, so two people recording for one child at the same moment are
    checked one after the other (PostgreSQL; SQLite serialises writers anyway). FOR NO KEY UPDATE, as the children's
    links take it (children/links.py): a transaction asking for a stronger lock on a row it already holds could
    deadlock with someone recording something else for the child."""
    return db.session.execute(select(Child).where(Child.id == child_id).with_for_update(key_share=True)).scalar_one()


def _after_birth(child, moment: datetime, what: str, field: str) -> None:
    rules.check_after_birth(moment, child.date_of_birth, child.is_unborn, what, field)


def _check_no_overlapping_episode(child, reported_at: datetime, exclude_id: int | None = None) -> None:
    """A child still missing cannot go missing again: a second open episode is a double entry, and would count
    towards "repeatedly missing" as if the child had gone missing twice."""
    query = select(MissingEpisode).where(MissingEpisode.child_id == child.id)
    if exclude_id is not None:
        query = query.where(MissingEpisode.id != exclude_id)
    earlier = list(db.session.execute(query.order_by(MissingEpisode.reported_missing_at)).scalars())
    still_missing = next((e for e in earlier if e.returned_at is None), None)
    if still_missing is not None and exclude_id is None:
        raise RuleError(f"{child.first_name} is already recorded as missing since "
                        f"{london(still_missing.reported_missing_at)}: record their return on that episode before "
                        "a new one", "reported_date")
    clash = rules.overlapping(reported_at, [(e.reported_missing_at, e.returned_at) for e in earlier])
    if clash is not None:
        returned = f"returned {london(clash[1])}" if clash[1] else "still missing"
        raise RuleError(f"Date reported missing falls within another episode: reported missing {london(clash[0])}, "
                        f"{returned}", "reported_date")


# --- Episodes -------------------------------------------------------------------------------------------------


def record_episode(child, data: dict, *, actor) -> MissingEpisode:
    _lock_child(child.id)
    _not_future(data["reported_missing_at"], "Time reported missing", "reported_time")
    _after_birth(child, data["reported_missing_at"], "Date reported missing", "reported_date")
    _check_no_overlapping_episode(child, data["reported_missing_at"])
    episode = MissingEpisode(child_id=child.id, recorded_by_id=actor.id, recorded_by_agency_id=actor.agency_id,
                             **{k: data[k] for k in EPISODE_FIELDS})
    db.session.add(episode)
    db.session.flush()
    db.session.add(RiskGrading(episode_id=episode.id, level=episode.risk_level, graded_by_id=actor.id,
                               graded_at=now(), reason=data.get("risk_reason", "")))
    audit.record("create", "missing_episode", episode.id, user=actor,
                 changes={"child_id": {"to": child.id},
                          **audit.changes_between({}, audit.snapshot(episode, EPISODE_FIELDS), FREE_TEXT)})
    _raise_prompts(episode, actor)
    log.info("missing episode recorded id=%s child=%s", episode.id, child.id)
    return episode


def update_episode(episode: MissingEpisode, data: dict, expected_version: int | None, *, actor) -> dict:
    """Correct the episode's details. The risk grading changes through regrade_risk, so its history is kept."""
    expect_version(episode, expected_version)
    _lock_child(episode.child_id)
    _not_future(data["reported_missing_at"], "Time reported missing", "reported_time")
    _after_birth(episode.child, data["reported_missing_at"], "Date reported missing", "reported_date")
    if episode.returned_at and data["reported_missing_at"] > episode.returned_at:
        raise RuleError(f"Date reported missing must be before the child was found or returned, "
                        f"{london(episode.returned_at)}", "reported_date")
    if data["reported_missing_at"] != episode.reported_missing_at:
        _check_no_overlapping_episode(episode.child, data["reported_missing_at"], exclude_id=episode.id)
    fields = [f for f in EPISODE_FIELDS if f != "risk_level"]
    before = audit.snapshot(episode, fields)
    for key in fields:
        setattr(episode, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(episode, fields), FREE_TEXT)
    if not changes:
        return {}
    audit.record("update", "missing_episode", episode.id, user=actor, changes=changes)
    _raise_prompts(episode, actor, repeat="reported_missing_at" in changes, arrest="arrested" in changes)
    log.info("missing episode updated id=%s", episode.id)
    return changes


def regrade_risk(episode: MissingEpisode, level: str, reason: str, *, actor,
                 expected_version: int | None) -> RiskGrading:
    expect_version(episode, expected_version)
    previous = episode.risk_level
    grading = RiskGrading(episode_id=episode.id, level=level, graded_by_id=actor.id, graded_at=now(), reason=reason)
    episode.risk_level = level
    db.session.add(grading)
    db.session.flush()
    audit.record("update", "missing_episode", episode.id, user=actor,
                 changes={"risk_level": {"from": previous, "to": level}, "reason": {"changed": True}})
    if previous == level:
        flag_modified(episode, "risk_level")  # a new reason for the same grade is still a change to the episode
    log.info("missing episode regraded id=%s", episode.id)
    return grading


def responsible_authority(child, worker: User | None = None) -> Agency:
    """The children's social care agency that owes the child a return home interview.

    The assigned worker's agency when there is one; otherwise, for a looked-after child placed here by another
    council, that council when it is set up as an agency here (by its name on the child's record); otherwise the
    agency that recorded the child if it is children's social care; otherwise the partnership's first children's
    social care agency (most partnerships have exactly one local authority)."""
    if worker is not None and worker.agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value:
        return worker.agency
    named = (child.responsible_authority or "").strip()
    if child.looked_after == "yes" and named:
        agency = db.session.execute(
            select(Agency).where(func.lower(Agency.name) == named.lower(),
                                 Agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value, Agency.is_active.is_(True))
        ).scalar_one_or_none()
        if agency is not None:
            return agency
    if child.created_by_agency_id:
        agency = db.session.get(Agency, child.created_by_agency_id)
        if agency is not None and agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value:
            return agency
    agency = db.session.execute(
        select(Agency).where(Agency.kind == AgencyKind.CHILDRENS_SOCIAL_CARE.value, Agency.is_active.is_(True))
        .order_by(Agency.id).limit(1)).scalar_one_or_none()
    if agency is None:
        raise RuleError("No children's social care agency is set up to hold the return home interview: ask "
                        "your administrator to add one", "returned_date")
    return agency


def record_return(episode: MissingEpisode, data: dict, *, actor, expected_version: int | None) -> ReturnInterview:
    """Record that the child was found or returned; opens the return home interview with its 72-hour clock.

    Recording it again corrects the details; the interview's clock moves with a corrected return time."""
    expect_version(episode, expected_version)
    rules.check_return(episode.reported_missing_at, data["returned_at"], now())
    before = audit.snapshot(episode, RETURN_FIELDS)
    for key in RETURN_FIELDS:
        setattr(episode, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(episode, RETURN_FIELDS), FREE_TEXT)
    rhi = episode.return_interview
    if rhi is None:
        rhi = ReturnInterview(episode=episode, child_id=episode.child_id,
                              local_authority_id=responsible_authority(episode.child).id,
                              returned_at=episode.returned_at, due_at=rules.rhi_due_at(episode.returned_at))
        db.session.add(rhi)
        db.session.flush()
        audit.record("create", "return_interview", rhi.id, user=actor,
                     changes={"episode_id": {"to": episode.id}, "due_at": {"to": rhi.due_at.isoformat()}})
    elif rhi.returned_at != episode.returned_at:
        old_due = rhi.due_at
        rhi.returned_at = episode.returned_at
        rhi.due_at = rules.rhi_due_at(episode.returned_at)
        if rhi.completed_at:
            rhi.completed_in_time = rules.rhi_in_time(rhi.returned_at, rhi.completed_at)
        audit.record("update", "return_interview", rhi.id, user=actor,
                     changes={"due_at": {"from": old_due.isoformat(), "to": rhi.due_at.isoformat()}})
    if changes:
        audit.record("update", "missing_episode", episode.id, user=actor, changes=changes)
    db.session.flush()
    log.info("missing episode return recorded id=%s rhi=%s", episode.id, rhi.id)
    return rhi


def record_prevention_interview(episode: MissingEpisode, data: dict, *, actor,
                                expected_version: int | None) -> PreventionInterview:
    """Record or correct the police prevention interview. It belongs to the episode, so it carries the episode's
    version: two officers correcting it at once cannot overwrite each other."""
    expect_version(episode, expected_version)
    if episode.returned_at is None:
        raise RuleError("Record the child's return before the prevention interview", "conducted_date")
    _not_future(data["conducted_at"], "Time of the prevention interview", "conducted_time")
    if data["conducted_at"] < episode.returned_at:
        raise RuleError("Date of the prevention interview must be after the child was found or returned, "
                        f"{london(episode.returned_at)}", "conducted_date")
    flag_modified(episode, "returned_at")
    fields = ("conducted_at", "officer_name", "outcome", "note")
    row = episode.prevention_interview
    action = "update"
    if row is None:
        row = PreventionInterview(episode_id=episode.id, recorded_by_id=actor.id, **{k: data[k] for k in fields})
        db.session.add(row)
        before: dict = {}
        action = "create"
    else:
        before = audit.snapshot(row, fields)
        for key in fields:
            setattr(row, key, data[key])
    db.session.flush()
    audit.record(action, "prevention_interview", row.id, user=actor,
                 changes={"episode_id": {"to": episode.id},
                          **audit.changes_between(before, audit.snapshot(row, fields), FREE_TEXT)})
    log.info("prevention interview recorded id=%s episode=%s", row.id, episode.id)
    return row


# --- Return home interviews -----------------------------------------------------------------------------------


def _check_open(rhi: ReturnInterview) -> None:
    if not rhi.is_open:
        raise RuleError("This return home interview is already closed")


def assign(rhi: ReturnInterview, worker: User | None, *, actor, expected_version: int | None) -> None:
    expect_version(rhi, expected_version)
    if not workers.may_be_assigned(worker):
        raise RuleError(workers.NOT_ASSIGNABLE, "worker")
    before = rhi.assigned_to_id
    rhi.assigned_to_id = worker.id
    rhi.local_authority_id = worker.agency_id
    audit.record("update", "return_interview", rhi.id, user=actor,
                 changes={"assigned_to_id": {"from": before, "to": worker.id}})
    db.session.flush()
    log.info("return interview assigned id=%s", rhi.id)


def record_offer(rhi: ReturnInterview, data: dict, *, actor) -> RhiOffer:
    """Record an offer. A refusal leaves the interview open: the page then encourages another offer."""
    _check_open(rhi)
    rules.check_offer(rhi.returned_at, data["offered_at"], now())
    offer = RhiOffer(return_interview_id=rhi.id, offered_by_id=actor.id, offered_at=data["offered_at"],
                     method=data["method"], response=data["response"], note=data.get("note", ""))
    db.session.add(offer)
    if rhi.assigned_to_id is None:
        # whoever made the first offer is best placed to make the next: the same face helps
        rhi.assigned_to_id = actor.id
    db.session.flush()
    audit.record("create", "rhi_offer", offer.id, user=actor,
                 changes={"return_interview_id": {"to": rhi.id}, "method": {"to": offer.method},
                          "response": {"to": offer.response}, "offered_at": {"to": offer.offered_at.isoformat()}})
    log.info("rhi offer recorded id=%s rhi=%s", offer.id, rhi.id)
    return offer


def complete(rhi: ReturnInterview, data: dict, *, actor, expected_version: int | None) -> None:
    expect_version(rhi, expected_version)
    _check_open(rhi)
    completed_at = data["completed_at"]
    _not_future(completed_at, "Time of the interview", "completed_time")
    if completed_at < rhi.returned_at:
        raise RuleError("Date of the interview must be after the child was found or returned, "
                        f"{london(rhi.returned_at)}", "completed_date")
    if not data["interviewer_independent"]:
        raise RuleError("The interviewer must be independent of the child's placement", "interviewer_independent")
    before = audit.snapshot(rhi, COMPLETION_FIELDS + ("status",))
    for key in COMPLETION_FIELDS:
        setattr(rhi, key, data[key])
    rhi.status = RhiStatus.COMPLETED.value
    rhi.completed_in_time = rules.rhi_in_time(rhi.returned_at, completed_at)
    rhi.closed_by_id = actor.id
    changes = audit.changes_between(before, audit.snapshot(rhi, COMPLETION_FIELDS + ("status",)), FREE_TEXT)
    changes["completed_in_time"] = {"to": rhi.completed_in_time}
    audit.record("update", "return_interview", rhi.id, user=actor, changes=changes)
    db.session.flush()
    log.info("return interview completed id=%s in_time=%s", rhi.id, rhi.completed_in_time)


def close_not_held(rhi: ReturnInterview, reason: str, *, actor, expected_version: int | None) -> None:
    """A manager records that no interview will be held, after the child refused every offer."""
    expect_version(rhi, expected_version)
    _check_open(rhi)
    if not rhi.offers:
        raise RuleError("Record at least one offer before deciding not to hold the interview", "reason")
    rhi.status = RhiStatus.NOT_HELD.value
    rhi.not_held_reason = reason
    rhi.closed_by_id = actor.id
    audit.record("update", "return_interview", rhi.id, user=actor,
                 changes={"status": {"from": RhiStatus.OPEN.value, "to": rhi.status},
                          "not_held_reason": {"changed": True}})
    db.session.flush()
    log.info("return interview closed without interview id=%s", rhi.id)


# --- Police protection and EPOs -------------------------------------------------------------------------------


def start_police_protection(child, data: dict, *, actor) -> PoliceProtection:
    _lock_child(child.id)
    started = data["started_at"]
    _not_future(started, "Time police protection began", "started_time")
    _after_birth(child, started, "Date police protection began", "started_date")
    _check_no_overlapping_police_protection(child, started)
    pp = PoliceProtection(child_id=child.id, ends_at=rules.police_protection_ends_at(data["started_at"]),
                          recorded_by_id=actor.id, recorded_by_agency_id=actor.agency_id,
                          **{k: data[k] for k in PP_FIELDS})
    db.session.add(pp)
    db.session.flush()
    audit.record("create", "police_protection", pp.id, user=actor,
                 changes={"child_id": {"to": child.id},
                          **audit.changes_between({}, audit.snapshot(pp, PP_FIELDS + ("ends_at",)), FREE_TEXT)})
    _open_prompt(child.id, PromptReason.POLICE_PROTECTION, "police_protection", pp.id, actor)
    log.info("police protection recorded id=%s child=%s", pp.id, child.id)
    return pp


def _check_no_overlapping_police_protection(child, started: datetime) -> None:
    """One police protection at a time: a second open one for the same child is a double entry (two 72-hour
    clocks, two prompts) or a mistyped date."""
    earlier = list(db.session.execute(select(PoliceProtection).where(PoliceProtection.child_id == child.id)
                                      .order_by(PoliceProtection.started_at)).scalars())
    still_open = next((pp for pp in earlier if pp.ended_at is None), None)
    if still_open is not None:
        raise RuleError(f"{child.first_name} is already in police protection since {london(still_open.started_at)}: "
                        "record the end of that police protection before a new one", "started_date")
    clash = rules.overlapping(started, [(pp.started_at, pp.ended_at) for pp in earlier])
    if clash is not None:
        raise RuleError(f"Date police protection began falls within an earlier police protection, from "
                        f"{london(clash[0])} to {london(clash[1])}", "started_date")


def end_police_protection(pp: PoliceProtection, data: dict, *, actor, expected_version: int | None) -> None:
    """Record the end as it happened: after 72 hours it is a breach, kept with its reason and counted."""
    expect_version(pp, expected_version)
    if not pp.is_active:
        raise RuleError("This police protection has already ended", "ended_date")
    reason = (data.get("breach_reason") or "").strip()
    breached = rules.check_police_protection_end(pp.started_at, data["ended_at"], now(), reason)
    pp.ended_at, pp.end_outcome, pp.end_note = data["ended_at"], data["end_outcome"], data.get("end_note", "")
    pp.breached = breached
    # a reason typed for an end within 72 hours explains no breach: keeping it would suggest one
    pp.breach_reason = reason if breached else ""
    changes = {"ended_at": {"to": pp.ended_at.isoformat()}, "end_outcome": {"to": pp.end_outcome},
               "end_note": {"changed": True}, "breached": {"to": breached}}
    if breached:
        changes["breach_reason"] = {"changed": True}
    audit.record("update", "police_protection", pp.id, user=actor, changes=changes)
    db.session.flush()
    log.info("police protection ended id=%s breached=%s", pp.id, breached)


def _police_protection_before(child, pp_id: int | None, granted_at: datetime) -> PoliceProtection | None:
    if pp_id is None:
        return None
    pp = db.session.get(PoliceProtection, pp_id)
    if pp is None or pp.child_id != child.id:
        raise RuleError("Select whether the order followed police protection", "after_police_protection")
    if pp.started_at > granted_at:
        raise RuleError(f"The order must be granted after police protection began, {london(pp.started_at)}",
                        "after_police_protection")
    return pp


def record_epo(child, data: dict, *, actor) -> EmergencyProtectionOrder:
    """Record the order with the end the court specified, which may be no later than s45 allows."""
    granted, ends = data["granted_at"], data["ends_at"]
    _not_future(granted, "Time the order was granted", "granted_time")
    _after_birth(child, granted, "Date the order was granted", "granted_date")
    pp = _police_protection_before(child, data.get("police_protection_id"), granted)
    try:
        rules.check_epo_end(granted, ends, pp.started_at if pp else None)
    except RuleError as err:
        raise RuleError(err.message, "ends_date") from None
    epo = EmergencyProtectionOrder(child_id=child.id, expires_at=ends, police_protection_id=pp.id if pp else None,
                                   recorded_by_id=actor.id, recorded_by_agency_id=actor.agency_id,
                                   **{k: data[k] for k in EPO_FIELDS})
    db.session.add(epo)
    db.session.flush()
    audit.record("create", "emergency_protection_order", epo.id, user=actor,
                 changes={"child_id": {"to": child.id},
                          **audit.changes_between({}, audit.snapshot(
                              epo, EPO_FIELDS + ("expires_at", "police_protection_id")))})
    log.info("epo recorded id=%s child=%s", epo.id, child.id)
    return epo


def correct_epo(epo: EmergencyProtectionOrder, data: dict, *, actor, expected_version: int | None) -> dict:
    """Correct the grant, the court's end or whether it followed police protection. The end in force moves with
    a corrected stated end, and a recorded extension is checked again against it (made while in force, at most
    7 days on), so a correction cannot leave an order longer than s45 allows."""
    expect_version(epo, expected_version)
    granted, ends = data["granted_at"], data["ends_at"]
    _not_future(granted, "Time the order was granted", "granted_time")
    _after_birth(epo.child, granted, "Date the order was granted", "granted_date")
    pp = _police_protection_before(epo.child, data.get("police_protection_id"), granted)
    try:
        rules.check_epo_end(granted, ends, pp.started_at if pp else None)
    except RuleError as err:
        raise RuleError(err.message, "ends_date") from None
    if epo.is_extended:
        if epo.extended_at < granted:
            raise RuleError(f"Date the order was granted must be before it was extended, {london(epo.extended_at)}",
                            "granted_date")
        try:
            rules.check_epo_extension_end(ends, epo.expires_at, epo.extended_at, already_extended=False)
        except RuleError as err:
            raise RuleError(f"The extension recorded {london(epo.extended_at)} to {london(epo.expires_at)} no "
                            f"longer fits: {err.message}", "ends_date") from None
    current_end = epo.expires_at if epo.is_extended else ends
    if epo.ended_at is not None and not granted <= epo.ended_at <= current_end:
        raise RuleError(f"The order is recorded as ended {london(epo.ended_at)}, which must be between its grant "
                        "and its end", "ends_date")
    fields = ("granted_at", "court", "police_protection_id", "expires_at", "extended_from")
    before = audit.snapshot(epo, fields)
    epo.granted_at, epo.court = granted, data["court"]
    epo.police_protection_id = pp.id if pp else None
    if epo.is_extended:
        epo.extended_from = ends
    else:
        epo.expires_at = ends
    changes = audit.changes_between(before, audit.snapshot(epo, fields))
    if changes:
        audit.record("update", "emergency_protection_order", epo.id, user=actor, changes=changes)
        db.session.flush()
        log.info("epo corrected id=%s", epo.id)
    return changes


def extend_epo(epo: EmergencyProtectionOrder, data: dict, *, actor, expected_version: int | None) -> None:
    """Record the court's one extension (s45(4)-(6)): made while the order was in force, to an end at most 7
    days after its stated end. A lapsed order is refused, however soon after: it cannot be revived."""
    expect_version(epo, expected_version)
    at, new_end = data["extended_at"], data["new_end"]
    if epo.ended_at is not None:
        raise RuleError(f"This order ended {london(epo.ended_at)} and cannot be extended", "extended_date")
    _not_future(at, "Time the court extended the order", "extended_time")
    if at < epo.granted_at:
        raise RuleError(f"Date the court extended the order must be after it was granted, {london(epo.granted_at)}",
                        "extended_date")
    if epo.is_extended:
        raise RuleError("This order has already been extended: an emergency protection order can be extended "
                        "only once", "extended_date")
    try:
        rules.epo_extension_latest_end(epo.expires_at, at)
    except RuleError as err:
        raise RuleError(err.message, "extended_date") from None
    try:
        rules.check_epo_extension_end(epo.expires_at, new_end, at, epo.is_extended)
    except RuleError as err:
        raise RuleError(err.message, "new_end_date") from None
    old = epo.expires_at
    epo.extended_from, epo.extended_at, epo.expires_at = old, at, new_end
    audit.record("update", "emergency_protection_order", epo.id, user=actor,
                 changes={"extended_at": {"to": at.isoformat()},
                          "expires_at": {"from": old.isoformat(), "to": new_end.isoformat()}})
    db.session.flush()
    log.info("epo extended id=%s", epo.id)


def end_epo(epo: EmergencyProtectionOrder, data: dict, *, actor, expected_version: int | None) -> None:
    expect_version(epo, expected_version)
    if epo.ended_at is not None:
        raise RuleError("This order has already ended", "ended_date")
    _not_future(data["ended_at"], "Time the order ended", "ended_time")
    if data["ended_at"] < epo.granted_at:
        raise RuleError(f"Date the order ended must be after it was granted, {london(epo.granted_at)}", "ended_date")
    if data["ended_at"] > epo.expires_at:
        raise RuleError(f"Date the order ended must be no later than its expiry, {london(epo.expires_at)}",
                        "ended_date")
    epo.ended_at, epo.end_outcome = data["ended_at"], data["end_outcome"]
    audit.record("update", "emergency_protection_order", epo.id, user=actor,
                 changes={"ended_at": {"to": epo.ended_at.isoformat()}, "end_outcome": {"to": epo.end_outcome}})
    db.session.flush()
    log.info("epo ended id=%s", epo.id)


# --- Arrests ------------------------------------------------------------------------------------------------


ARREST_FIELDS = ("arrested_at", "exploitation", "episode_id", "police_reference", "note")


def record_arrest(child, data: dict, *, actor) -> Arrest:
    """Record an arrest of the child, inside or outside a missing episode. Every arrest prompts MASH to consider
    a strategy discussion, whatever the exploitation answer: the answer informs the discussion, it does not
    decide whether there is one."""
    _lock_child(child.id)
    arrested = data["arrested_at"]
    _not_future(arrested, "Time of the arrest", "arrested_time")
    _after_birth(child, arrested, "Date of the arrest", "arrested_date")
    try:
        rules.check_arrest(arrested, data.get("exploitation"), now())
    except RuleError as err:
        answered = data.get("exploitation") in rules.EXPLOITATION_ANSWERS
        raise RuleError(err.message, "arrested_time" if answered else "exploitation") from None
    episode_id = data.get("episode_id")
    if episode_id is not None:
        episode = db.session.get(MissingEpisode, episode_id)
        if episode is None or episode.child_id != child.id:
            raise RuleError("Select whether the child was arrested during a missing episode", "episode")
        if arrested < episode.reported_missing_at:
            raise RuleError("Date of the arrest must be after the child was reported missing, "
                            f"{london(episode.reported_missing_at)}", "arrested_date")
    arrest = Arrest(child_id=child.id, recorded_by_id=actor.id, recorded_by_agency_id=actor.agency_id,
                    **{k: data.get(k) if k == "episode_id" else data[k] for k in ARREST_FIELDS})
    db.session.add(arrest)
    db.session.flush()
    audit.record("create", "child_arrest", arrest.id, user=actor,
                 changes={"child_id": {"to": child.id},
                          **audit.changes_between({}, audit.snapshot(arrest, ARREST_FIELDS), FREE_TEXT)})
    _open_prompt(child.id, PromptReason.ARREST, "child_arrest", arrest.id, actor)
    log.info("arrest recorded id=%s child=%s", arrest.id, child.id)
    return arrest


def arrests_of(child_id: int) -> list[Arrest]:
    return list(db.session.execute(select(Arrest).where(Arrest.child_id == child_id)
                                   .order_by(Arrest.arrested_at.desc(), Arrest.id.desc())).scalars())


def prompt_arrests(prompt: DiscussionPrompt) -> list[Arrest]:
    """The arrests behind an arrest prompt: the one that raised it and those recorded after it until the next
    arrest prompt (one prompt, one decision, but every arrest in front of it)."""
    if prompt.reason != PromptReason.ARREST.value:
        return []
    query = select(Arrest).where(Arrest.child_id == prompt.child_id)
    if prompt.object_type == "child_arrest":
        # ids, not times: two arrests recorded in the same second still fall to the right prompt
        following = db.session.execute(select(func.min(DiscussionPrompt.object_id)).where(
            DiscussionPrompt.child_id == prompt.child_id, DiscussionPrompt.reason == prompt.reason,
            DiscussionPrompt.object_type == "child_arrest", DiscussionPrompt.object_id > prompt.object_id)).scalar()
        query = query.where(Arrest.id >= prompt.object_id)
        if following is not None:
            query = query.where(Arrest.id < following)
    else:
        # raised by an episode's arrested box: the arrests recorded while it waited
        waiting = Arrest.created_at >= prompt.raised_at
        query = query.where(waiting if prompt.closed_at is None else and_(waiting,
                                                                           Arrest.created_at <= prompt.closed_at))
    return list(db.session.execute(query.order_by(Arrest.arrested_at, Arrest.id)).scalars())


# --- Prompts to convene a strategy discussion ----------------------------------------------------------------


def _open_prompt(child_id: int, reason: PromptReason, object_type: str, object_id: int, actor):
    """Raise a prompt unless one for the same child and reason is already waiting (one prompt, one decision)."""
    existing = db.session.execute(select(DiscussionPrompt).where(
        DiscussionPrompt.child_id == child_id, DiscussionPrompt.reason == reason.value,
        DiscussionPrompt.closed_at.is_(None))).scalar_one_or_none()
    if existing is not None:
        return existing
    prompt = DiscussionPrompt(child_id=child_id, reason=reason.value, object_type=object_type, object_id=object_id,
                              raised_at=now())
    db.session.add(prompt)
    db.session.flush()
    audit.record("create", "missing_discussion_prompt", prompt.id, user=actor,
                 changes={"child_id": {"to": child_id}, "reason": {"to": reason.value}})
    log.info("discussion prompt raised id=%s reason=%s child=%s", prompt.id, reason.value, child_id)
    return prompt


def _raise_prompts(episode: MissingEpisode, actor, *, repeat: bool = True, arrest: bool = True) -> None:
    """Prompts for what this episode's new facts show. A correction re-tests only what it changed, so fixing a
    police reference does not re-open a prompt someone has already dealt with."""
    threshold, window = _settings()
    times = list(db.session.execute(select(MissingEpisode.reported_missing_at).where(
        MissingEpisode.child_id == episode.child_id)).scalars())
    if repeat and rules.is_repeat_missing(times, episode.reported_missing_at, threshold, window):
        _open_prompt(episode.child_id, PromptReason.REPEAT_MISSING, "missing_episode", episode.id, actor)
    if arrest and episode.arrested:
        _open_prompt(episode.child_id, PromptReason.ARREST, "missing_episode", episode.id, actor)


def prompt_episodes(prompt: DiscussionPrompt, child_episodes: list[MissingEpisode] | None = None
                    ) -> list[MissingEpisode]:
    """The episodes behind a prompt: for repeat missing, those of the fullest window that contains the episode
    that raised it (rules.repeat_missing_window, the same test that raised it, so an episode entered late shows
    with the later ones it completes); otherwise the one episode. `child_episodes`: all the child's episodes when
    the caller has them already (the child's page, for each of its prompts), instead of a query per prompt."""
    if prompt.object_type != "missing_episode":
        return []
    if child_episodes is not None:
        episodes = sorted(child_episodes, key=lambda e: (e.reported_missing_at, e.id))
    elif prompt.reason != PromptReason.REPEAT_MISSING.value:
        return list(db.session.execute(select(MissingEpisode).where(MissingEpisode.id == prompt.object_id))
                    .scalars())
    else:
        episodes = list(db.session.execute(select(MissingEpisode).where(MissingEpisode.child_id == prompt.child_id)
                                           .order_by(MissingEpisode.reported_missing_at, MissingEpisode.id)).scalars())
    if prompt.reason != PromptReason.REPEAT_MISSING.value:
        return [e for e in episodes if e.id == prompt.object_id]
    threshold, window = _settings()
    trigger = next((e for e in episodes if e.id == prompt.object_id), None)
    anchor = trigger.reported_missing_at if trigger is not None else prompt.raised_at
    inside = set(rules.repeat_missing_window([e.reported_missing_at for e in episodes], anchor, threshold, window))
    # a corrected date can leave the window short of the threshold: the episode that raised it still shows
    return [e for e in episodes if e.reported_missing_at in inside] or ([trigger] if trigger else [])


def prompt_note(prompt: DiscussionPrompt) -> str:
    """The words that pre-fill a draft strategy discussion: why it was prompted and the episodes behind it.

    Dates and facts only; the discussion record, not an email, is where this appears."""
    lines = [f"Prompted by: {prompt.label.lower()} (raised {london(prompt.raised_at)})."]
    for arrest in prompt_arrests(prompt):
        during = f"; during the missing episode reported {london(arrest.episode.reported_missing_at)}" \
            if arrest.episode else ""
        lines.append(f"- Arrested {london(arrest.arrested_at)}; signs of exploitation: "
                     f"{arrest.exploitation_label.lower()}"
                     f"{'; police reference ' + arrest.police_reference if arrest.police_reference else ''}{during}.")
    if prompt.reason == PromptReason.POLICE_PROTECTION.value:
        pp = db.session.get(PoliceProtection, prompt.object_id)
        if pp is not None:
            lines.append(f"Police protection began {london(pp.started_at)}; place of safety: {pp.place_of_safety}; "
                         f"designated officer: {pp.designated_officer}. It ends no later than {london(pp.ends_at)}.")
        return "\n".join(lines)
    for ep in prompt_episodes(prompt):
        returned = f"returned {london(ep.returned_at)}" if ep.returned_at else "still missing"
        extra = ", ".join(ep.indicator_labels)
        lines.append(f"- Missing from {ep.missing_from_label.lower()} {london(ep.reported_missing_at)}, {returned}; "
                     f"police risk {ep.risk_label.lower()}"
                     f"{'; police reference ' + ep.police_reference if ep.police_reference else ''}"
                     f"{'; indicators: ' + extra if extra else ''}{'; arrested' if ep.arrested else ''}.")
    return "\n".join(lines)


def convene_from_prompt(prompt: DiscussionPrompt, *, actor) -> int:
    """One click: a draft strategy discussion for the child, pre-filled with why and the episodes behind it.
    Closes the prompt with a link to the draft. Returns the draft's id."""
    if prompt.closed_at is not None:
        raise RuleError("This prompt has already been dealt with", "note")
    from ..discussions import services as discussions

    draft = discussions.create_draft_discussion([prompt.child_id], prompt_note(prompt), actor=actor,
                   linked_note=f"Raised by the missing children feature: {prompt.label.lower()} "
                               f"(/children/{prompt.child_id}#missing)")
    close_prompt(prompt, actor=actor, note="Draft strategy discussion created", discussion_id=draft.id)
    return draft.id


def close_prompt(prompt: DiscussionPrompt, *, actor, note: str = "", discussion_id: int | None = None) -> None:
    if prompt.closed_at is not None:
        raise RuleError("This prompt has already been dealt with", "note")
    prompt.closed_at = now()
    prompt.closed_by_id = actor.id
    prompt.close_note = note
    prompt.discussion_id = discussion_id
    audit.record("update", "missing_discussion_prompt", prompt.id, user=actor,
                 changes={"closed_at": {"to": prompt.closed_at.isoformat()},
                          "discussion_id": {"to": discussion_id}, "close_note": {"changed": True}})
    db.session.flush()
    log.info("discussion prompt closed id=%s discussion=%s", prompt.id, discussion_id)


# --- Read side: the child's summary and the figures -------------------------------------------------------------


@dataclass(frozen=True)
class ChildSummary:
    last_30_days: int
    last_90_days: int
    missing_now: MissingEpisode | None
    open_rhis: list[ReturnInterview]
    prompts: list[DiscussionPrompt]
    police_protection: list[PoliceProtection]
    epos: list[EmergencyProtectionOrder]
    threshold: int
    window_days: int
    #: ended police protections that lasted beyond 72 hours: kept in view, not only in the timeline
    breaches: list[PoliceProtection]
    at: datetime
    #: prompt id -> the episodes behind it, so the page names the window that prompted, not the last 30 days
    behind: dict[int, list[MissingEpisode]]
    arrests: list[Arrest]


@dataclass
class ChildRecords:
    """A child's missing episodes (with their interviews and offers), police protection, emergency protection
    orders, arrests and open prompts to convene, each read whole: the child's page shows them twice (the summary at
    the top, the timeline below), from one read."""
    episodes: list[MissingEpisode]
    protection: list[PoliceProtection]
    orders: list[EmergencyProtectionOrder]
    arrests: list[Arrest]
    prompts: list[DiscussionPrompt]


#: what a child may have of each kind, as an EXISTS on the child's id: asked with the child on their page
#: (children.presence), or by `child_records` in one statement of its own
CHILD_RECORD_KINDS = {
    "missing_episodes": lambda child_id: exists().where(MissingEpisode.child_id == child_id),
    "police_protection": lambda child_id: exists().where(PoliceProtection.child_id == child_id),
    "protection_orders": lambda child_id: exists().where(EmergencyProtectionOrder.child_id == child_id),
    "arrests": lambda child_id: exists().where(Arrest.child_id == child_id),
    "open_prompts": lambda child_id: exists().where(DiscussionPrompt.child_id == child_id,
                                                    DiscussionPrompt.closed_at.is_(None)),
}


def child_records(child_id: int) -> ChildRecords:
    """Everything a child has here, one statement a kind (episodes' interviews, offers and prevention interviews
    loaded with them); a child's history is tens of rows, not hundreds. Only the kinds the child has are read: most
    children have none of them, and each kind was a statement of its own."""
    from ..children import presence

    has = presence.known(child_id)
    if has is None or not CHILD_RECORD_KINDS.keys() <= has.keys():
        has = db.session.execute(select(*(build(child_id).label(name)
                                          for name, build in CHILD_RECORD_KINDS.items()))).one()._asdict()
    # each episode has at most one interview of each kind, and an interview a few offers: all joined to it in the
    # same statement (a row an offer; the offers read by themselves were a statement more on every child's page)
    episodes = list(db.session.execute(
        # in the order they happened: joining the offers brings their order into the statement's
        select(MissingEpisode).where(MissingEpisode.child_id == child_id)
        .order_by(MissingEpisode.reported_missing_at, MissingEpisode.id)
        .options(joinedload(MissingEpisode.return_interview).joinedload(ReturnInterview.offers),
                 joinedload(MissingEpisode.prevention_interview))).unique().scalars()
    ) if has["missing_episodes"] else []
    protection = list(db.session.execute(select(PoliceProtection).where(PoliceProtection.child_id == child_id)
                                         .order_by(PoliceProtection.started_at, PoliceProtection.id)).scalars()
                      ) if has["police_protection"] else []
    orders = list(db.session.execute(select(EmergencyProtectionOrder).where(
        EmergencyProtectionOrder.child_id == child_id).order_by(EmergencyProtectionOrder.granted_at,
                                                                 EmergencyProtectionOrder.id)).scalars()
                  ) if has["protection_orders"] else []
    prompts = list(db.session.execute(select(DiscussionPrompt).where(
        DiscussionPrompt.child_id == child_id, DiscussionPrompt.closed_at.is_(None))
        .order_by(DiscussionPrompt.raised_at)).scalars()) if has["open_prompts"] else []
    return ChildRecords(episodes, protection, orders, arrests_of(child_id) if has["arrests"] else [], prompts)


def child_summary(child_id: int, records: ChildRecords | None = None) -> ChildSummary:
    """What the child's page says about going missing. `records`: the child's records if the page has read them."""
    threshold, window = _settings()
    at = now()
    records = records or child_records(child_id)
    episodes = records.episodes
    times = [e.reported_missing_at for e in episodes]
    missing_now = max((e for e in episodes if e.returned_at is None), key=lambda e: e.reported_missing_at,
                      default=None)
    # every interview is of one of the child's episodes (made with it, `child_id` copied from it): read with them
    open_rhis = sorted((e.return_interview for e in episodes if e.return_interview is not None
                        and e.return_interview.status == RhiStatus.OPEN.value), key=lambda r: (r.due_at, r.id))
    prompts = records.prompts
    pps = [pp for pp in records.protection if pp.ended_at is None]
    breaches = [pp for pp in records.protection if pp.breached]
    epos = [epo for epo in records.orders if epo.ended_at is None]
    return ChildSummary(len(rules.episodes_in_window(times, at, 30)), len(rules.episodes_in_window(times, at, 90)),
                        missing_now, open_rhis, prompts, pps, epos, threshold, window, breaches, at,
                        {p.id: prompt_episodes(p, episodes) for p in prompts}, list(records.arrests))


@dataclass
class MonthFigures:
    month: date
    returns: int = 0
    offered: int = 0
    accepted: int = 0
    completed: int = 0
    in_time: int = 0

    def share(self, count: int) -> str:
        return f"{round(100 * count / self.returns)}%" if self.returns else "–"


def figures(first_day: date, last_day: date) -> tuple[list[MonthFigures], MonthFigures]:
    """Return home interviews for returns between two London dates (inclusive), month by month, and in total:
    offered (at least one offer), accepted (at least one offer accepted), completed, completed within 72 hours.

    One query: a row per return interview with two EXISTS flags; bucketing by London month happens here because
    SQLite and PostgreSQL disagree on time-zone functions."""
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=LONDON)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    offered = exists().where(RhiOffer.return_interview_id == ReturnInterview.id)
    accepted = exists().where(and_(RhiOffer.return_interview_id == ReturnInterview.id,
                                   RhiOffer.response == "accepted"))
    rows = db.session.execute(select(
        ReturnInterview.returned_at, offered.label("offered"), accepted.label("accepted"), ReturnInterview.status,
        ReturnInterview.completed_in_time).where(ReturnInterview.returned_at >= start,
                                                 ReturnInterview.returned_at < end)).all()
    months: dict[date, MonthFigures] = {}
    cursor = first_day.replace(day=1)
    while cursor <= last_day:
        months[cursor] = MonthFigures(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    total = MonthFigures(first_day)
    for returned_at, was_offered, was_accepted, status, in_time in rows:
        key = returned_at.astimezone(LONDON).date().replace(day=1)
        for bucket in (months[key], total):
            bucket.returns += 1
            bucket.offered += bool(was_offered)
            bucket.accepted += bool(was_accepted)
            bucket.completed += status == RhiStatus.COMPLETED.value
            bucket.in_time += status == RhiStatus.COMPLETED.value and bool(in_time)
    return list(months.values()), total


def interviews_by_quarter(quarters: list[Quarter]) -> list[tuple[Quarter, int, int]]:
    """For each quarter (London dates), the children who returned and how many had their interview completed
    within 72 hours: one grouped statement (a CASE over the quarters' bounds), so a trend over two years costs what
    one quarter does however many returns there are."""
    r = ReturnInterview
    bounds = [london_datetime(q.start) for q in quarters] + [london_datetime(quarters[-1].end + timedelta(days=1))]
    bucket = case(*((r.returned_at < bound, index) for index, bound in enumerate(bounds[1:])),
                  else_=len(quarters)).label("quarter")
    in_time = func.sum(case((and_(r.status == RhiStatus.COMPLETED.value, r.completed_in_time.is_(True)), 1),
                            else_=0))
    found = {int(index): (int(returns), int(met)) for index, returns, met in db.session.execute(
        select(bucket, func.count(), in_time)
        .where(r.returned_at >= bounds[0], r.returned_at < bounds[-1]).group_by(bucket))}
    return [(q, *found.get(index, (0, 0))) for index, q in enumerate(quarters)]


@dataclass
class ProtectionFigures:
    month: date
    began: int = 0
    #: ended more than 72 hours after it began, or still open past its 72 hours
    over_72_hours: int = 0


def police_protection_figures(first_day: date, last_day: date, at: datetime | None = None,
                              ) -> tuple[list[ProtectionFigures], ProtectionFigures]:
    """Police protections that began between two London dates (inclusive), month by month and in total, and how
    many lasted more than 72 hours. One still open past its 72 hours counts as a breach: an end not yet recorded
    must not hide one."""
    at = at or now()
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=LONDON)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    rows = db.session.execute(select(PoliceProtection.started_at, PoliceProtection.ends_at, PoliceProtection.ended_at,
                                     PoliceProtection.breached)
                              .where(PoliceProtection.started_at >= start, PoliceProtection.started_at < end)).all()
    months: dict[date, ProtectionFigures] = {}
    cursor = first_day.replace(day=1)
    while cursor <= last_day:
        months[cursor] = ProtectionFigures(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    total = ProtectionFigures(first_day)
    for started_at, ends_at, ended_at, breached in rows:
        over = bool(breached) or (ended_at is None and at > ends_at)
        for bucket in (months[started_at.astimezone(LONDON).date().replace(day=1)], total):
            bucket.began += 1
            bucket.over_72_hours += over
    return list(months.values()), total


def recent_episodes_of(child_id: int, limit: int = 5) -> list[MissingEpisode]:
    """The child's latest missing episodes, newest first: those an arrest could have happened in."""
    return list(db.session.execute(select(MissingEpisode).where(MissingEpisode.child_id == child_id)
                                   .order_by(MissingEpisode.reported_missing_at.desc()).limit(limit)).scalars())


def police_protections_of(child_id: int, limit: int = 5) -> list[PoliceProtection]:
    """The child's latest police protections, newest first: those an order could have followed."""
    return list(db.session.execute(select(PoliceProtection).where(PoliceProtection.child_id == child_id)
                                   .order_by(PoliceProtection.started_at.desc()).limit(limit)).scalars())


def count_open_prompts() -> int:
    return db.session.execute(select(func.count()).select_from(DiscussionPrompt).where(
        DiscussionPrompt.closed_at.is_(None))).scalar_one()
