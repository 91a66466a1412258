"""Building blocks for the strategy discussion tests: children, a convened discussion, form data."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

from safeguarding import clock
from safeguarding.children.models import Child
from safeguarding.discussions import services
from safeguarding.extensions import db
from safeguarding.service import transaction


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
    if "referral_received_on" not in overrides and data["scheduled_at"] is not None:
        # a referral comes before the discussion about it
        data["referral_received_on"] = min(clock.london_today(), clock.to_london(data["scheduled_at"]).date())
    return data


def convene(chair, children, agencies_to_invite, **overrides):
    data = details(chair_id=chair.id, **overrides)
    data["child_ids"] = [c.id for c in children]
    data["agency_ids"] = [a.id for a in agencies_to_invite]
    with transaction():
        return services.convene(data, actor=chair)


def attend(sd, actor, **statuses):
    """statuses: agency kind -> status (reason filled in where one is needed)."""
    answers = {}
    for inv in sd.invitations:
        status = statuses.get(inv.agency.kind, "attended")
        answers[inv.id] = (status, "On leave" if status in ("apologies", "not_invited") else "")
    with transaction():
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


_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
_ATTR = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs a page's forms carry (CSRF token, one-time submission key, versions), as a browser
    would post them back."""
    fields = {}
    for tag in _HIDDEN.findall(html):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs:
            fields.setdefault(attrs["name"], unescape(attrs.get("value", "")))
    return fields


def submit(client, url: str, data: dict, expected: int = 302, form_url: str | None = None):
    """Open the form as a person would (keeping its hidden fields) and submit it with `data` filled in."""
    page = client.get(form_url or url)
    return client.post(url, {**hidden_fields(page.html), **data}, expected)


def convene_decided(day: date | None = None, at: str = "00:00") -> dict:
    """The decision to convene, as the convene form asks for it (entered, never assumed): by default the start of
    today, before any discussion a test convenes for today or later."""
    return {"convene_decided_date": date_parts(day or clock.london_today()), "convene_decided_time": at}
