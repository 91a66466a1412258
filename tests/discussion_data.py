"""Building blocks for the strategy discussion tests: children, a convened discussion, form data."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from safeguarding import clock
from safeguarding.children.models import Child
from safeguarding.discussions import services
from safeguarding.extensions import db


def make_child(first="Amy", last="Example", born=date(2016, 2, 14), agency=None) -> Child:
    child = Child(first_name=first, last_name=last, date_of_birth=born, gender="female",
                  created_by_agency_id=agency.id if agency else None)
    db.session.add(child)
    db.session.commit()
    return child


def details(**overrides) -> dict:
    data = {"kind": "initial", "previous_id": None, "urgency": "standard",
            "scheduled_at": clock.now() + timedelta(hours=2), "mode": "phone", "out_of_hours": False,
            "chair_id": None, "referral_source": "Ambulance crew", "referral_received_on": clock.london_today(),
            "reason": "Injury to a baby", "harm_category": "physical",
            "referrer_words": "The flat was unsanitary with a foul smell and a fire hazard.",
            "referrer_summary": ""}
    data.update(overrides)
    return data


def convene(chair, children, agencies_to_invite, **overrides):
    data = details(chair_id=chair.id, **overrides)
    data["child_ids"] = [c.id for c in children]
    data["agency_ids"] = [a.id for a in agencies_to_invite]
    return services.convene(data, actor=chair)


def attend(sd, actor, **statuses):
    """statuses: agency kind -> status (reason filled in where one is needed)."""
    answers = {}
    for inv in sd.invitations:
        status = statuses.get(inv.agency.kind, "attended")
        answers[inv.id] = (status, "On leave" if status in ("apologies", "not_invited") else "")
    services.record_attendance(sd, answers, actor=actor)


def decision_data(**overrides) -> dict:
    data = {"outcome": "s47_joint", "rationale": "Unexplained fracture in a non-mobile baby",
            "abe_planned": "no", "abe_joint": False, "abe_lead_interviewer": "", "intermediary_considered": "no",
            "intermediary_reason": "", "medical_examination": "yes", "medical_details": "Paediatrician today",
            "legal_action": "none", "family_told": "will_tell", "family_told_when": "Today, by the social worker",
            "family_not_told_reason": "", "interim_safety_plan": "Baby stays with grandmother",
            "next_review_on": None}
    data.update(overrides)
    return data


def date_parts(day: date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def at_london(year, month, day, hour=10, minute=0) -> datetime:
    return clock.london_datetime(date(year, month, day), hour, minute)
