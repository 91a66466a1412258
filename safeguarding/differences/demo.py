"""The professional differences part of the demo story.

Northshire's partnership business unit gets an agency and a member of staff. DC Chris Evans (police) disagreed
with children's social care's decision to take no further action about Mia Collins: it could not be settled
between practitioners and is now with the first-line managers. An earlier difference, from the health visitor
about police attendance, was resolved at stage 1. And police, who could not attend Ella Hughes's strategy
discussion, disagree with its section 17 decision: raised from the decision, it is on the discussion's page.
"""
from __future__ import annotations

from datetime import date, timedelta

from ..auth.models import Agency, AgencyKind, Role, User
from ..children import services as children
from ..children.models import Child
from ..clock import frozen_at, now
from ..discussions.models import ThresholdDecision
from ..extensions import db
from . import services
from .models import ProfessionalDifference

PARTNERSHIP = "Northshire Safeguarding Children Partnership"


def _partnership_user(users: dict[str, User]) -> User:
    agency = db.session.execute(db.select(Agency).where(Agency.name == PARTNERSHIP)).scalar_one_or_none()
    if agency is None:
        agency = Agency(name=PARTNERSHIP, kind=AgencyKind.SAFEGUARDING_PARTNERSHIP.value,
                        shared_mailbox="business.unit@northshire-partnership.example.org", is_active=True)
        db.session.add(agency)
        db.session.flush()
    user = db.session.execute(db.select(User).where(User.email == "partnership@example.org")).scalar_one_or_none()
    if user is None:
        # Same demo password as everyone else: copy the hash rather than learn the password here.
        user = User(name="Kim Lee", email="partnership@example.org", agency_id=agency.id,
                    job_title="Partnership business manager", role=Role.MANAGER.value,
                    password_hash=users["mash@example.org"].password_hash)
        db.session.add(user)
    db.session.commit()
    return user


def _child(first: str, last: str, born: date, actor: User) -> Child:
    child = db.session.execute(db.select(Child).where(Child.first_name == first, Child.last_name == last)
                               ).scalar_one_or_none()
    if child is not None:
        return child
    return children.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": born, "expected_date": None,
        "gender": "female", "ethnicity": "", "disability": "", "address": "", "la_reference": None,
        "nhs_number": None, "looked_after": "no", "responsible_authority": "", "ethnicity_code": "AOTH",
        "disability_status": "no"}, actor=actor)


def seed(users: dict[str, User], agencies: list[Agency]) -> str:
    _partnership_user(users)
    if db.session.execute(db.select(ProfessionalDifference.id).limit(1)).first() is not None:
        return ""
    services.ensure_policies()
    police, mash = users["police@example.org"], users["mash@example.org"]
    csc_manager, police_manager = users["csc.manager@example.org"], users["police.manager@example.org"]
    health = users["health@example.org"]
    mia = _child("Mia", "Collins", date(2014, 5, 9), mash)
    started = now() - timedelta(days=9)
    with frozen_at(started):
        open_one = services.raise_difference(mia, {
            "against_agency_id": mash.agency_id, "responding_lead_id": mash.id,
            "about": "The MASH decision to take no further action on the referral about Mia's injuries",
            "concern": "Mia told her teacher that her mother's partner grabbed her arm. Police hold intelligence "
                       "of domestic abuse at the address that was not considered.",
            "outcome_sought": "A strategy discussion with police present, and a section 47 enquiry considered",
            "theme": "threshold", "immediate_risk": False, "start_stage": 1, "skip_reason": ""}, actor=police)
    with frozen_at(started + timedelta(days=6)):
        services.escalate(open_one, {
            "discussion": "Spoke with Sam Patel by phone. CSC view: the bruise was explained and the family are "
                          "engaging with early help. Police view: the intelligence changes the picture. Not agreed.",
            "agreed_plan": "", "target_stage": 2, "immediate_risk": False, "skip_reason": "",
            "raising_lead_id": police_manager.id, "responding_lead_id": csc_manager.id}, actor=police)
    with frozen_at(started - timedelta(days=30)):
        resolved = services.raise_difference(mia, {
            "against_agency_id": police.agency_id, "responding_lead_id": police.id,
            "about": "Police did not join the strategy discussion on Mia in October",
            "concern": "Police information was missing from the decision.",
            "outcome_sought": "Police attend, or send their information in writing beforehand",
            "theme": "participation", "immediate_risk": False, "start_stage": 1, "skip_reason": ""}, actor=health)
    with frozen_at(started - timedelta(days=28)):
        services.close(resolved, {"outcome": "resolved", "discussion": "DC Evans explained the shift clash; agreed "
                                  "police will send checks in writing when they cannot attend.",
                                  "agreed_plan": "Police checks sent before every discussion", "plan_due_at": None},
                       actor=police)
    about_ella = _from_ellas_decision(police)
    return (f"{2 + about_ella} professional differences (one at stage 2"
            f"{', one raised from a strategy discussion decision' if about_ella else ''}) and the partnership "
            "business unit")


def _from_ellas_decision(police: User) -> int:
    """Police disagree with the decision made while they were absent (discussions demo, story 4), if it is there."""
    decision = db.session.execute(
        db.select(ThresholdDecision).join(Child, Child.id == ThresholdDecision.child_id)
        .where(Child.first_name == "Ella", Child.last_name == "Hughes")).scalars().first()
    if decision is None or decision.discussion.chair is None:
        return 0
    chair = decision.discussion.chair
    with frozen_at(min(decision.decided_at + timedelta(days=1), now())):
        services.raise_difference(decision.child, {
            "against_agency_id": chair.agency_id, "responding_lead_id": chair.id,
            "about": "The section 17 decision for Ella Hughes, made at the strategy discussion without police",
            "concern": "Our intelligence check after the discussion found three domestic abuse call-outs to the "
                       "address this year, the last with Ella present. That is reasonable cause to suspect "
                       "significant harm.",
            "outcome_sought": "Reconvene the strategy discussion with police present and consider a section 47 "
                              "enquiry", "theme": "threshold", "immediate_risk": False, "start_stage": 1,
            "skip_reason": ""}, actor=police, decision=decision)
    return 1
