"""Missing episodes, return home interviews and emergency powers on the child's timeline."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.access import can
from ..children.timeline import TimelineEntry
from ..extensions import db
from ..templating import london
from .models import Arrest, EmergencyProtectionOrder, MissingEpisode, PoliceProtection, ReturnInterview


def entries(child, user, newest: int | None = None) -> list[TimelineEntry]:
    # `newest` unused: an episode's entries span weeks (found, interviews), so a limit on episodes could drop one;
    # a child's episodes and powers are read whole (tens, not hundreds).
    # No `missing_scope` on each query: a missing-feature row is visible exactly when its child is, and the timeline
    # is of a child the user may see (children.timeline); the scope made each of these four statements carry the
    # whole child scope for the database to plan again.
    if not can(user, "case.view"):
        return []
    found: list[TimelineEntry] = []
    episodes = db.session.execute(
        select(MissingEpisode).where(MissingEpisode.child_id == child.id)
        .options(selectinload(MissingEpisode.return_interview).selectinload(ReturnInterview.offers),
                 selectinload(MissingEpisode.prevention_interview))).scalars()
    for ep in episodes:
        url = f"/missing/episodes/{ep.id}"
        found.append(TimelineEntry(at=ep.reported_missing_at, kind="Missing episode",
                                   title=f"Reported missing from {ep.missing_from_label.lower()}",
                                   detail=f"Police risk grading: {ep.risk_label.lower()}", url=url))
        if ep.returned_at:
            found.append(TimelineEntry(at=ep.returned_at, kind="Missing episode", title="Found or returned",
                                       detail="Out of area" if ep.out_of_area else "", url=url))
        if ep.prevention_interview:
            found.append(TimelineEntry(at=ep.prevention_interview.conducted_at, kind="Prevention interview",
                                       title=ep.prevention_interview.outcome_label, url=url))
        rhi = ep.return_interview
        if rhi is None:
            continue
        rhi_url = f"/missing/return-interviews/{rhi.id}"
        for offer in rhi.offers:
            found.append(TimelineEntry(at=offer.offered_at, kind="Return home interview",
                                       title=f"Interview offered: {offer.response_label.lower()}", url=rhi_url))
        if rhi.completed_at:
            found.append(TimelineEntry(at=rhi.completed_at, kind="Return home interview", title=rhi.status_label,
                                       url=rhi_url))
    for pp in db.session.execute(select(PoliceProtection).where(
            PoliceProtection.child_id == child.id)).scalars():
        url = f"/missing/police-protection/{pp.id}"
        found.append(TimelineEntry(at=pp.started_at, kind="Police protection", title="Taken into police protection",
                                   detail=f"Must end by {london(pp.ends_at)}", url=url))
        if pp.ended_at and pp.breached:
            found.append(TimelineEntry(at=pp.ended_at, kind="Police protection",
                                       title=f"Police protection ended after more than 72 hours (breach): "
                                             f"{pp.outcome_label.lower()}",
                                       detail=f"Why it lasted longer: {pp.breach_reason}", url=url))
        elif pp.ended_at:
            found.append(TimelineEntry(at=pp.ended_at, kind="Police protection",
                                       title=f"Police protection ended: {pp.outcome_label.lower()}", url=url))
    for epo in db.session.execute(select(EmergencyProtectionOrder).where(
            EmergencyProtectionOrder.child_id == child.id)).scalars():
        url = f"/missing/epo/{epo.id}"
        found.append(TimelineEntry(at=epo.granted_at, kind="Emergency protection order",
                                   title=f"Order granted by {epo.court}", detail=f"Expires {london(epo.expires_at)}",
                                   url=url))
        if epo.extended_at:
            found.append(TimelineEntry(at=epo.extended_at, kind="Emergency protection order",
                                       title=f"Order extended to {london(epo.expires_at)}",
                                       detail=f"It was due to end {london(epo.extended_from)}"
                                       if epo.extended_from else "", url=url))
        if epo.ended_at:
            found.append(TimelineEntry(at=epo.ended_at, kind="Emergency protection order",
                                       title=f"Order ended: {epo.outcome_label.lower()}", url=url))
    for arrest in db.session.execute(select(Arrest).where(
            Arrest.child_id == child.id)).scalars():
        found.append(TimelineEntry(at=arrest.arrested_at, kind="Arrest", title="Arrested",
                                   detail=f"Signs of exploitation: {arrest.exploitation_label.lower()}",
                                   url=f"/missing/arrests/{arrest.id}"))
    return found
