"""The missing-children part of the demo story.

Jordan has gone missing three times this month (MASH is prompted to convene a strategy discussion); he came
back last night and has declined one offer of a return home interview; he was arrested last week at the train
station, between episodes (MASH is prompted again: every arrest of a child is). Ellie is in police protection. Tyler is
subject to an emergency protection order. Older returns give the figures page something to show.
"""
from __future__ import annotations

from datetime import date, timedelta

from ..children import services as child_services
from ..clock import now
from ..extensions import db
from . import services
from .models import MissingEpisode

_COMPLETION = {"interviewer_name": "Jo Williams", "interviewer_organisation": "Northshire missing children team",
               "interviewer_independent": True, "interview_location": "Youth centre",
               "why_left": "Arguments at home about staying out late",
               "where_and_with_whom": "With friends from school, in the town centre", "harm": "None disclosed",
               "health_needs": "", "support_and_referrals": "Youth worker sessions offered",
               "information_sharing_consent": "yes"}


def _child(actor, first, last, born, ethnicity, disabled, looked_after="no"):
    return child_services.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": born, "expected_date": None,
        "gender": "unknown", "ethnicity": "", "disability": "", "address": "", "la_reference": None,
        "nhs_number": None, "looked_after": looked_after,
        "responsible_authority": "Northshire" if looked_after == "yes" else "",
        "ethnicity_code": ethnicity, "disability_status": disabled}, actor=actor)


def _episode(actor, child, reported, returned=None, **extra):
    data = {"reported_missing_at": reported, "missing_from": extra.get("missing_from", "home"),
            "missing_from_detail": extra.get("detail", ""), "police_reference": extra.get("ref", ""),
            "risk_level": extra.get("risk", "medium"), "risk_reason": "", "indicators": extra.get("indicators", []),
            "arrested": False, "circumstances": extra.get("circumstances", "")}
    episode = services.record_episode(child, data, actor=actor)
    if returned is not None:
        services.record_return(episode, {"returned_at": returned, "found_where": extra.get("found", "Home address"),
                                         "returned_by": "Police", "out_of_area": False, "abroad": False},
                               actor=actor, expected_version=episode.version)
    return episode


def seed(users: dict, agencies: list) -> str:
    if db.session.execute(db.select(MissingEpisode.id).limit(1)).first() is not None:
        return ""
    police, mash, worker = users["police@example.org"], users["mash@example.org"], users["social.worker@example.org"]
    at = now()
    jordan = _child(mash, "Jordan", "Miles", date(2011, 2, 14), "MWBA", "no", looked_after="yes")
    for days_ago in (24, 11):
        _episode(police, jordan, at - timedelta(days=days_ago, hours=6), at - timedelta(days=days_ago, hours=1),
                 missing_from="childrens_home", detail="Elm House", indicators=["county_lines"])
    last = _episode(police, jordan, at - timedelta(hours=30), at - timedelta(hours=14),
                    missing_from="childrens_home", detail="Elm House", ref="NP/2291", risk="high",
                    indicators=["county_lines", "criminal_exploitation"],
                    circumstances="Seen getting into a car with two older males", found="Train station, Leeds")
    services.record_arrest(jordan, {"arrested_at": at - timedelta(days=6, hours=3), "exploitation": "yes",
                                    "episode_id": None, "police_reference": "NP/3310",
                                    "note": "Found with cash and two phones at the train station"}, actor=police)
    services.record_offer(last.return_interview, {"offered_at": at - timedelta(hours=4), "method": "in_person",
                                                  "response": "declined", "note": "Said he was too tired to talk"},
                          actor=worker)

    # older returns for the figures page: interviews in time, late, and refused
    history = _child(mash, "Mia", "Roberts", date(2010, 9, 3), "WBRI", "yes")
    for weeks_ago, outcome in ((15, "in_time"), (11, "late"), (8, "in_time"), (6, "declined")):
        returned = at - timedelta(weeks=weeks_ago)
        episode = _episode(police, history, returned - timedelta(hours=20), returned)
        rhi = episode.return_interview
        services.record_offer(rhi, {"offered_at": returned + timedelta(hours=5), "method": "phone",
                                    "response": "declined" if outcome == "declined" else "accepted"}, actor=worker)
        if outcome != "declined":
            hours = 40 if outcome == "in_time" else 90
            services.complete(rhi, {**_COMPLETION, "completed_at": returned + timedelta(hours=hours)}, actor=worker,
                              expected_version=rhi.version)

    ellie = _child(mash, "Ellie", "Carter", date(2019, 6, 30), "WIRT", "not_known")
    services.start_police_protection(ellie, {
        "started_at": at - timedelta(hours=30), "designated_officer": "Inspector Priya Shah",
        "place_of_safety": "Emergency foster placement", "reason": "Found alone at home at 2am, aged 7"},
        actor=police)
    tyler = _child(worker, "Tyler", "Brooks", date(2023, 1, 12), "NOBT", "not_known")
    granted = at - timedelta(days=3)
    # the court specified 7 days, one fewer than the most s45(1) allows
    services.record_epo(tyler, {"granted_at": granted, "ends_at": granted + timedelta(days=7),
                                "court": "Northshire Family Court", "police_protection_id": None}, actor=worker)
    db.session.commit()
    return "missing episodes, return home interviews, an arrest, police protection and an EPO"
