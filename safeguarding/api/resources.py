"""The /api/v1 resources. Each handler is thin: it finds the row in the client's scope and calls the feature's own
service, so every rule (and every audit event) is the one the pages use."""
from __future__ import annotations

from datetime import timedelta

from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from ..auth.access import can, child_scope
from ..children import services as children
from ..children.models import Child
from ..clock import london_today, now
from ..deadlines import kinds as deadline_kinds
from ..deadlines import open_deadlines
from ..discussions import services as discussions
from ..discussions.access import discussion_scope
from ..discussions.models import AgreedAction, StrategyDiscussion
from ..extensions import db
from ..missing import access as missing_access
from ..missing import services as missing
from ..missing.models import MissingEpisode
from ..service import RuleError, expect_version
from . import schemas as s
from .framework import Outcome, Problem, api_client, audit_view, json_response, operation, page_of, renderer, show

# --- Children ---------------------------------------------------------------------------------------------------


def _child_out(child: Child) -> s.ChildOut:
    return s.ChildOut(id=child.id, first_name=child.first_name, last_name=child.last_name, is_unborn=child.is_unborn,
                      pers_dob=child.date_of_birth, pers_expected_dob=child.expected_date, gender=child.gender,
                      pers_ethnicity=child.ethnicity, pers_person_id=child.la_reference,
                      pers_common_child_id=child.nhs_number, looked_after=child.looked_after,
                      responsible_authority=child.responsible_authority, version=child.version)


@renderer("child")
def _render_child(child_id: int):
    child = db.session.execute(
        select(Child).where(Child.id == child_id, child_scope(current_user))).scalar_one_or_none()
    return None if child is None else (_child_out(child), child.version, [child.id])


def _check_child(body: s.ChildIn) -> None:
    """What the child form checks beyond the shape of each answer (children/forms.py ChildForm)."""
    today = london_today()
    if body.is_unborn:
        if body.pers_expected_dob is None:
            raise RuleError("Enter the expected date of delivery for an unborn child", "pers_expected_dob")
        if body.pers_expected_dob < today:
            raise RuleError("Expected date of delivery must be today or in the future", "pers_expected_dob")
    else:
        if body.pers_dob is None:
            raise RuleError("Enter the child's date of birth", "pers_dob")
        if body.pers_dob > today:
            raise RuleError("Date of birth must be today or in the past", "pers_dob")
        if today.year - body.pers_dob.year > 25:
            raise RuleError("Date of birth must be within the last 25 years", "pers_dob")
    if body.looked_after == "yes" and not body.responsible_authority:
        raise RuleError("Enter the responsible local authority for a looked-after child", "responsible_authority")


@operation("GET", "/children", resource="children", access="read", summary="Children this client may see",
           query=s.ListQuery, response=s.ChildPage)
def list_children(query: s.ListQuery):
    """Oldest first, by id; follow next_cursor for the next page."""
    rows, cursor = page_of(select(Child).where(child_scope(current_user)), Child.id, query.cursor, query.limit)
    audit_view("api_children", None, [c.id for c in rows])
    return json_response(s.ChildPage(items=[_child_out(c) for c in rows], next_cursor=cursor))


@operation("POST", "/children", resource="children", access="write", summary="Add a child", body=s.ChildIn,
           response=s.ChildOut, status=201,
           fields={"nhs_number": "pers_common_child_id", "date_of_birth": "pers_dob", "is_unborn": "is_unborn"})
def create_child(body: s.ChildIn, if_match=None):
    """Match first (POST /children/match): a child already recorded with the same NHS number is refused, and a
    record this client may not see is said to exist, never shown."""
    if not can(current_user, "child.create"):
        raise Problem(403, "This client's agency may not add children")
    _check_child(body)
    child = children.create_child({
        "first_name": body.first_name, "last_name": body.last_name, "is_unborn": body.is_unborn,
        "date_of_birth": None if body.is_unborn else body.pers_dob,
        "expected_date": body.pers_expected_dob if body.is_unborn else None, "gender": body.gender,
        "ethnicity": body.pers_ethnicity, "disability": body.disability, "address": body.address,
        "la_reference": body.pers_person_id or None, "nhs_number": body.pers_common_child_id,
        "looked_after": body.looked_after, "responsible_authority": body.responsible_authority,
    }, actor=current_user, confirmed_new=True)
    return Outcome(201, "child", child.id)


@operation("POST", "/children/match", resource="children", access="read", response=s.ChildOut, not_found=True,
           summary="Find a child by NHS number or local authority reference", body=s.ChildMatch)
def match_child(body: s.ChildMatch, if_match=None):
    """The child this client may see with these identifiers, or 404. A child who exists but is out of this
    client's sight answers exactly as no child at all: the answer never reveals who else is recorded."""
    if not body.pers_common_child_id and not body.pers_person_id:
        raise RuleError("Send pers_common_child_id or pers_person_id", "pers_common_child_id")
    clauses = [child_scope(current_user)]
    if body.pers_common_child_id:
        clauses.append(Child.nhs_number == body.pers_common_child_id)
    if body.pers_person_id:
        clauses.append(Child.la_reference == body.pers_person_id)
    found = db.session.execute(select(Child.id).where(and_(*clauses)).order_by(Child.id).limit(2)).scalars().all()
    if len(found) != 1:
        return Outcome(404, detail="No child this client may see has these identifiers")
    return Outcome(200, "child", found[0])


@operation("GET", "/children/{child_id}", resource="children", access="read", summary="A child", response=s.ChildOut,
           etag=True)
def get_child(child_id: int):
    return show("child", child_id)


# --- Missing episodes -------------------------------------------------------------------------------------------


def _episode_out(ep: MissingEpisode) -> s.EpisodeOut:
    rhi = ep.return_interview
    return s.EpisodeOut(
        id=ep.id, child_id=ep.child_id, reported_missing_at=ep.reported_missing_at, missing_from=ep.missing_from,
        police_reference=ep.police_reference, risk_level=ep.risk_level, indicators=list(ep.indicators or []),
        arrested=ep.arrested, miss_mis_epi_end=ep.returned_at, version=ep.version,
        return_interview=None if rhi is None else s.ReturnInterviewOut(
            id=rhi.id, status=rhi.status, due_at=rhi.due_at, local_authority_id=rhi.local_authority_id))


def _episodes():
    return select(MissingEpisode).where(missing_access.missing_scope(current_user, MissingEpisode.child_id))


@renderer("missing_episode")
def _render_episode(episode_id: int):
    ep = db.session.execute(_episodes().where(MissingEpisode.id == episode_id)).scalar_one_or_none()
    return None if ep is None else (_episode_out(ep), ep.version, [ep.child_id])


EPISODE_FIELDS = {"reported_date": "reported_missing_at", "reported_time": "reported_missing_at",
                  "returned_date": "miss_mis_epi_end", "returned_time": "miss_mis_epi_end"}


@operation("GET", "/missing-episodes", resource="missing", access="read", query=s.ListQuery,
           response=s.EpisodePage, summary="Missing episodes of children this client may see")
def list_episodes(query: s.ListQuery):
    rows, cursor = page_of(_episodes(), MissingEpisode.id, query.cursor, query.limit)
    audit_view("api_missing_episodes", None, [e.child_id for e in rows])
    return json_response(s.EpisodePage(items=[_episode_out(e) for e in rows], next_cursor=cursor))


@operation("GET", "/missing-episodes/{episode_id}", resource="missing", access="read", response=s.EpisodeOut,
           summary="A missing episode, with its return home interview once the child is back", etag=True)
def get_episode(episode_id: int):
    return show("missing_episode", episode_id)


@operation("POST", "/missing-episodes", resource="missing", access="write", body=s.MissingReportIn,
           response=s.EpisodeOut, status=201, fields=EPISODE_FIELDS,
           summary="Report a child missing (a police force's system)")
def report_missing(body: s.MissingReportIn, if_match=None):
    """Records the episode as the force's officers would on the missing episode page: the same checks (not in the
    future, after the child's birth, no second open episode) and the same prompts to convene a discussion."""
    if not can(current_user, "missing.record"):
        raise Problem(403, "Only a police force's client may report a child missing")
    child = db.session.execute(select(Child).where(Child.id == body.child_id,
                                                   child_scope(current_user, for_change=True))).scalar_one_or_none()
    if child is None:
        raise RuleError("No child this client may see has this id: add or match the child first", "child_id")
    data = body.model_dump(include={"reported_missing_at", "missing_from", "missing_from_detail", "police_reference",
                                    "risk_level", "risk_reason", "indicators", "arrested", "circumstances"})
    episode = missing.record_episode(child, data, actor=current_user)
    return Outcome(201, "missing_episode", episode.id)


@operation("POST", "/missing-episodes/{episode_id}/found", resource="missing", access="write", body=s.FoundIn,
           response=s.EpisodeOut, if_match="optional", fields=EPISODE_FIELDS,
           summary="Record that the child was found or returned: starts the return home interview clock")
def record_found(episode_id: int, body: s.FoundIn, if_match: int | None):
    """Sent again with other details, it corrects the return (the interview's clock moves with a corrected time).
    With If-Match, a change on an older version of the episode is refused (412)."""
    ep = db.session.execute(_episodes().where(MissingEpisode.id == episode_id)).scalar_one_or_none()
    if ep is None:
        raise Problem(404, "Not found", "episode_id")
    if not (can(current_user, "missing.record") and missing_access.may_change(current_user, ep)):
        raise Problem(403, "Only the force that recorded the episode may record the child's return")
    expect_version(ep, ep.version if if_match is None else if_match)
    missing.record_return(ep, {"returned_at": body.miss_mis_epi_end, "found_where": body.found_where,
                               "returned_by": body.returned_by, "out_of_area": body.out_of_area,
                               "abroad": body.abroad}, actor=current_user, expected_version=ep.version)
    return Outcome(200, "missing_episode", ep.id)


# --- Discussions and decisions ----------------------------------------------------------------------------------


def _discussion_out(sd: StrategyDiscussion) -> s.DiscussionOut:
    return s.DiscussionOut(
        id=sd.id, kind=sd.kind, status=sd.status, urgency=sd.urgency, referral_source=sd.referral_source,
        referral_received_on=sd.referral_received_on, referrer_words=sd.referrer_words, scheduled_at=sd.scheduled_at,
        decided_at=sd.decided_at, child_ids=[link.child_id for link in sd.children],
        decisions=[s.DecisionOut(id=d.id, child_id=d.child_id, outcome=d.outcome, rationale=d.rationale,
                                 starts_enquiry=d.starts_enquiry, enquiry_started_on=d.enquiry_started_on,
                                 icpc_status=d.icpc_status, icpc_due_on=d.icpc_due_on, decided_at=d.decided_at,
                                 version=d.version) for d in sd.decisions],
        action_ids=[a.id for a in sd.actions], version=sd.version)


def _discussions():
    return (select(StrategyDiscussion).where(discussion_scope(current_user))
            .options(selectinload(StrategyDiscussion.children), selectinload(StrategyDiscussion.decisions),
                     selectinload(StrategyDiscussion.actions)))


@renderer("strategy_discussion")
def _render_discussion(discussion_id: int):
    sd = db.session.execute(_discussions().where(StrategyDiscussion.id == discussion_id)).scalar_one_or_none()
    return None if sd is None else (_discussion_out(sd), sd.version, [c.child_id for c in sd.children])


@operation("GET", "/discussions", resource="discussions", access="read", query=s.ListQuery,
           response=s.DiscussionPage, summary="Strategy discussions this client may see, with their decisions")
def list_discussions(query: s.ListQuery):
    rows, cursor = page_of(_discussions(), StrategyDiscussion.id, query.cursor, query.limit)
    audit_view("api_discussions", None, [c.child_id for sd in rows for c in sd.children])
    return json_response(s.DiscussionPage(items=[_discussion_out(sd) for sd in rows], next_cursor=cursor))


@operation("GET", "/discussions/{discussion_id}", resource="discussions", access="read", response=s.DiscussionOut,
           summary="A strategy discussion with its decisions", etag=True)
def get_discussion(discussion_id: int):
    return show("strategy_discussion", discussion_id)


@operation("POST", "/referrals", resource="referrals", access="write", body=s.ReferralIn, response=s.DiscussionOut,
           status=201, summary="Send a referral in: a draft strategy discussion for MASH to convene")
def send_referral(body: s.ReferralIn, if_match=None):
    """The draft is listed for MASH under "Drafts to convene", with the referrer's words exactly as sent."""
    ids = list(dict.fromkeys(body.child_ids))
    visible = set(db.session.execute(select(Child.id).where(Child.id.in_(ids), child_scope(current_user))).scalars())
    if visible != set(ids):
        raise RuleError("No child this client may see has one of these ids: add or match the children first",
                        "child_ids")
    sd = discussions.create_draft_discussion(
        ids, body.reason or f"Referral from {body.referral_source}", actor=current_user,
        linked_note=f"Referral sent in by {api_client().name}",
        referral={"referral_source": body.referral_source, "referral_received_on": body.referral_received_on,
                  "referrer_words": body.referrer_words})
    return Outcome(201, "strategy_discussion", sd.id)


# --- Agreed actions ---------------------------------------------------------------------------------------------


def _action_out(action: AgreedAction) -> s.ActionOut:
    return s.ActionOut(id=action.id, discussion_id=action.discussion_id, child_id=action.child_id,
                       description=action.description, owner_agency_id=action.owner_agency_id,
                       due_at=action.due_at, status=action.status, completed_at=action.completed_at,
                       version=action.version)


def _actions():
    return (select(AgreedAction).join(StrategyDiscussion, StrategyDiscussion.id == AgreedAction.discussion_id)
            .where(discussion_scope(current_user)))


@renderer("agreed_action")
def _render_action(action_id: int):
    action = db.session.execute(_actions().where(AgreedAction.id == action_id)).scalar_one_or_none()
    return None if action is None else (_action_out(action), action.version, [action.child_id])


@operation("GET", "/actions", resource="actions", access="read", query=s.ListQuery, response=s.ActionPage,
           summary="Agreed actions of the discussions this client may see")
def list_actions(query: s.ListQuery):
    rows, cursor = page_of(_actions(), AgreedAction.id, query.cursor, query.limit)
    audit_view("api_agreed_actions", None, [a.child_id for a in rows])
    return json_response(s.ActionPage(items=[_action_out(a) for a in rows], next_cursor=cursor))


@operation("GET", "/actions/{action_id}", resource="actions", access="read", response=s.ActionOut, etag=True,
           summary="An agreed action")
def get_action(action_id: int):
    return show("agreed_action", action_id)


@operation("POST", "/actions/{action_id}/complete", resource="actions", access="write", body=s.ActionCompleteIn,
           response=s.ActionOut, if_match="required", summary="Record that an agreed action was done")
def complete_action(action_id: int, body: s.ActionCompleteIn, if_match: int | None):
    """Only for an action owned by this client's agency. Send the action's ETag as If-Match: a change made on an
    older version (someone completed, cancelled or reassigned it since) is refused with 412."""
    action = db.session.execute(_actions().where(AgreedAction.id == action_id)).scalar_one_or_none()
    if action is None:
        raise Problem(404, "Not found", "action_id")
    if action.owner_agency_id != api_client().agency_id:
        raise Problem(403, "Only the agency that owns the action may complete it")
    discussions.complete_action(action, body.completion_note, actor=current_user, expected_version=if_match)
    return Outcome(200, "agreed_action", action.id)


# --- Deadlines --------------------------------------------------------------------------------------------------


@operation("GET", "/deadlines", resource="deadlines", access="read", query=s.DeadlineQuery, response=s.DeadlineList,
           summary="Open deadlines of this client's agency: overdue and due soon")
def list_deadlines(query: s.DeadlineQuery):
    """Every clock the product keeps (agreed actions, minutes, conferences, return home interviews, police
    protection...) owned by this client's agency, soonest first: the same deadlines its people see on My work."""
    moment, agency_id = now(), api_client().agency_id
    found = [d for d in open_deadlines(due_before=moment + timedelta(days=query.days))
             if d.owner_agency_id == agency_id]
    seen, unique = set(), []
    for d in found:  # an unassigned interview is every manager's: one entry for the agency
        if (d.kind, d.object_type, d.object_id) not in seen:
            seen.add((d.kind, d.object_type, d.object_id))
            unique.append(d)
    labels = deadline_kinds()
    audit_view("api_deadlines", None, [d.child_id for d in unique if d.child_id])
    return json_response(s.DeadlineList(items=[
        s.DeadlineOut(kind=d.kind, label=labels.get(d.kind, d.kind), object_type=d.object_type,
                      object_id=d.object_id, due_at=d.due_at, overdue=d.is_overdue(moment), child_id=d.child_id)
        for d in unique]))


