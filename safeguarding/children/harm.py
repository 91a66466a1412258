"""Cumulative harm in front of the decision: each child's family adversities (every report, with who made it and
when) and their missing episodes of the last 90 days, read together.

Serious case reviews find again and again that each concern was judged alone: a strategy discussion that sees
three adversities and two recent missing episodes side by side weighs a different child from one that sees
each on a different page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..auth.models import Agency, User
from ..clock import LONDON, now
from ..extensions import db
from .models import FamilyAdversity

#: how far back missing episodes count towards the picture (the child's page shows the same 90-day count)
WINDOW_DAYS = 90
#: from this many distinct adversities, or episodes in the window, the page asks to weigh them together
CONSIDER_TOGETHER = 3


@dataclass
class CumulativeHarm:
    child_id: int
    adversities: list[FamilyAdversity] = field(default_factory=list)
    #: reported in the last WINDOW_DAYS London days, newest first
    missing_episodes: list = field(default_factory=list)
    window_days: int = WINDOW_DAYS

    @property
    def adversity_kinds(self) -> int:
        return len({a.adversity for a in self.adversities})

    @property
    def consider_together(self) -> bool:
        return self.adversity_kinds >= CONSIDER_TOGETHER or len(self.missing_episodes) >= CONSIDER_TOGETHER or (
            self.adversity_kinds > 0 and len(self.missing_episodes) > 0)


#: the missing feature registers a function (child_ids, user, window_start, at) -> {child_id: [episodes]} here at
#: app creation, so children (lower in the house) never imports missing
_MISSING_EPISODES: list[Callable] = []


def register_missing_episodes(source: Callable) -> None:
    if source not in _MISSING_EPISODES:
        _MISSING_EPISODES.append(source)


def _window_start(at: datetime) -> datetime:
    """Midnight (London) at the start of the window: "90 days" counts days as the child's page does, today
    included (see missing.rules.episodes_in_window)."""
    first_day = at.astimezone(LONDON).date() - timedelta(days=WINDOW_DAYS - 1)
    return datetime.combine(first_day, datetime.min.time(), tzinfo=LONDON)


#: who made each adversity report and their agency, as the reports' list (children/_adversity_reports.html) names
#: them: only the names (each a whole user, with the user's own agency joined, was a third of the statement's time in
#: Python); anything else is read if asked for
REPORTERS_NAMED = (joinedload(FamilyAdversity.recorded_by).load_only(User.name).lazyload(User.agency),
                   joinedload(FamilyAdversity.recorded_by_agency).load_only(Agency.name))

#: built once, so its cache key is worked out once rather than on every discussion's page. Not presence's
#: `_ADVERSITIES`: that one reads one child's by equality (the child's page, with no list to expand on each run);
#: this one reads a discussion's siblings together.
_ADVERSITIES = (select(FamilyAdversity).where(FamilyAdversity.child_id.in_(bindparam("child_ids", expanding=True)))
                .options(*REPORTERS_NAMED)
                .order_by(FamilyAdversity.recorded_at, FamilyAdversity.id))


def cumulative_harm(child_ids: Iterable[int], user, at: datetime | None = None) -> dict[int, CumulativeHarm]:
    """For each child, what `user` may see of their adversities and recent missing episodes. Two queries for
    any number of children, so the discussion page loads in a fixed number of queries."""
    ids = list(dict.fromkeys(child_ids))
    found = {child_id: CumulativeHarm(child_id) for child_id in ids}
    if not ids:
        return found
    at = at or now()
    reports = db.session.execute(_ADVERSITIES, {"child_ids": ids}).scalars()
    for report in reports:
        found[report.child_id].adversities.append(report)
    for source in _MISSING_EPISODES:
        for child_id, episodes in source(ids, user, _window_start(at), at).items():
            found[child_id].missing_episodes.extend(episodes)
    return found
