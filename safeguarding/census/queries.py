"""Reading the section 47 enquiries of a collection year out of the strategy discussions' decisions."""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from ..children.models import Child
from ..discussions.access import discussion_scope
from ..discussions.models import StrategyDiscussion, ThresholdDecision
from ..extensions import db
from .items import CollectionYear, Section47Row, as_at_reference_date, open_during, sex_code


def _in_year(year: CollectionYear) -> list:
    """The enquiries started by the ReferenceDate and not closed before the year began. Only the decision that
    started an enquiry is one: a review that kept the child in section 47 is not a second enquiry."""
    d = ThresholdDecision
    return [d.starts_enquiry.is_(True), d.enquiry_started_on.is_not(None), d.enquiry_started_on <= year.reference_date,
            or_(d.icpc_status.not_in(("held", "ended")),
                and_(d.icpc_status == "held", d.icpc_held_on >= year.start),
                and_(d.icpc_status == "ended", d.enquiry_outcome_on >= year.start))]


def _closed_on(decision: ThresholdDecision):
    if decision.icpc_status == "held":
        return decision.icpc_held_on
    if decision.icpc_status == "ended":
        return decision.enquiry_outcome_on
    return None


def section47_rows(year: CollectionYear, user=None) -> list[Section47Row]:
    """The year's enquiries `user` may see (the discussions' own scope), ordered by child and start date; with no
    user, all of them, for the figures (counts only)."""
    where = _in_year(year) + ([discussion_scope(user)] if user is not None else [])
    found = db.session.execute(
        select(ThresholdDecision, Child, StrategyDiscussion.referral_received_on)
        .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
        .join(Child, Child.id == ThresholdDecision.child_id)
        .where(*where)
        .order_by(Child.la_reference, ThresholdDecision.enquiry_started_on, ThresholdDecision.id)).all()
    rows = []
    for decision, child, referral_on in found:
        if not open_during(year, decision.enquiry_started_on, _closed_on(decision)):
            continue
        icpc_date, not_required = as_at_reference_date(
            year, held_on=decision.icpc_held_on if decision.icpc_status == "held" else None,
            ended_without_conference_on=decision.enquiry_outcome_on if decision.icpc_status == "ended" else None)
        rows.append(Section47Row(
            child_id=child.id, discussion_id=decision.discussion_id, la_child_id=child.la_reference,
            person_birth_date=child.date_of_birth, expected_birth_date=child.expected_date if child.is_unborn else None,
            sex=sex_code(child.gender), referral_date=referral_on, s47_start=decision.enquiry_started_on,
            icpc_target=decision.icpc_due_on, icpc_date=icpc_date, icpc_not_required=not_required))
    return rows
