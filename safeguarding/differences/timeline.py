"""A child's professional differences on their timeline: raised, and each stage's outcome."""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from ..auth.access import scoped
from ..children import presence
from ..children.timeline import TimelineEntry
from ..discussions.models import AgreedAction, StrategyDiscussion, ThresholdDecision
from ..extensions import db
from .access import difference_scope
from .models import ProfessionalDifference

KIND = "Professional difference"


_OF_CHILD = bindparam("differences_of_child")


def _child_differences(scope):
    return (db.select(ProfessionalDifference)
            .where(ProfessionalDifference.child_id == _OF_CHILD, scope)
            .order_by(ProfessionalDifference.raised_at.desc(), ProfessionalDifference.id.desc())
            # only what the table and the timeline show (the child is the page's own, already loaded): each joined
            # record more cost the database a plan with another join and the page about half a millisecond
            .options(joinedload(ProfessionalDifference.raised_by_agency),
                     joinedload(ProfessionalDifference.against_agency),
                     joinedload(ProfessionalDifference.stages),
                     joinedload(ProfessionalDifference.decision).load_only(ThresholdDecision.outcome)
                     .joinedload(ThresholdDecision.discussion).load_only(StrategyDiscussion.scheduled_at),
                     joinedload(ProfessionalDifference.action).load_only(AgreedAction.description)
                     .joinedload(AgreedAction.discussion).load_only(StrategyDiscussion.scheduled_at)))


def child_differences(child, user) -> list[ProfessionalDifference]:
    """The child's differences `user` may see, newest first, with what the child's page shows of them (its table and
    its timeline): read once per request for both."""
    key = (child.id, user.id)
    # kept with the request itself (its WSGI environ), not `g`: tests share one app context across requests
    memo = request.environ.setdefault("safeguarding.child_differences", {}) if has_request_context() else {}
    if key not in memo and not presence.has(child.id, "differences"):
        memo[key] = []
    if key not in memo:
        # kept per person's scope (`scoped`): built afresh, its five loader options made SQLAlchemy walk the
        # statement for its cache key on every child's page with a difference (about 3 ms at 10x)
        memo[key] = db.session.execute(scoped((difference_scope(user),), _child_differences),
                                       {"differences_of_child": child.id}).scalars().unique().all()
    return memo[key]


def entries(child, user, newest: int | None = None) -> list[TimelineEntry]:
    # `newest` unused: a child's differences are few, and a stage can close long after the difference was raised
    found = []
    for difference in child_differences(child, user):
        url = f"/differences/{difference.id}"
        found.append(TimelineEntry(
            at=difference.raised_at, kind=KIND, url=url,
            title=f"{difference.raised_by_agency.name} disagrees with {difference.against_agency.name} "
                  f"({difference.reference})",
            # which decision or action, when it was raised from a strategy discussion; otherwise its theme
            detail=(difference.concerns or difference.theme_label)
            + (": child at immediate risk" if difference.immediate_risk else "")))
        for stage in difference.stages:
            if stage.closed_at is not None:
                found.append(TimelineEntry(
                    at=stage.closed_at, kind=KIND, url=f"{url}#stage-{stage.number}",
                    title=f"{difference.reference}: stage {stage.number} ({stage.name}) {stage.outcome_label.lower()}",
                    detail="" if stage.within_timescale else "Later than the stage's timescale"))
    return found
