"""Missing episodes, return home interviews and emergency powers on the child's timeline."""
from __future__ import annotations

from flask import has_request_context, request

from ..auth.access import can
from ..children.timeline import TimelineEntry
from ..templating import london
from . import services


def records_for_page(child_id: int) -> services.ChildRecords:
    """The child's records, read once for the page being drawn: its summary and its timeline both show them (four
    statements each before). Only for drawing a page: nothing a request changes is read from here."""
    if not has_request_context():
        return services.child_records(child_id)
    # kept with the request itself, not `g`, which a test's app context can share between requests
    memo = request.environ.setdefault("safeguarding.missing_child_records", {})
    if child_id not in memo:
        memo[child_id] = services.child_records(child_id)
    return memo[child_id]


def entries(child, user, newest: int | None = None) -> list[TimelineEntry]:
    # `newest` unused: an episode's entries span weeks (found, interviews), so a limit on episodes could drop one;
    # a child's episodes and powers are read whole (tens, not hundreds).
    # No `missing_scope` on each query: a missing-feature row is visible exactly when its child is, and the timeline
    # is of a child the user may see (children.timeline); the scope made each of these four statements carry the
    # whole child scope for the database to plan again.
    if not can(user, "case.view"):
        return []
    found: list[TimelineEntry] = []
    records = records_for_page(child.id)
    for ep in records.episodes:
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
    for pp in records.protection:
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
    for epo in records.orders:
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
    for arrest in records.arrests:
        found.append(TimelineEntry(at=arrest.arrested_at, kind="Arrest", title="Arrested",
                                   detail=f"Signs of exploitation: {arrest.exploitation_label.lower()}",
                                   url=f"/missing/arrests/{arrest.id}"))
    return found
