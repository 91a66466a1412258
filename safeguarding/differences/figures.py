"""Partnership figures about professional differences: counts only, never a child's details.

A handful of grouped queries, whatever the number of differences; time to resolution is the one figure
computed in Python, from two columns of the resolved differences in the period.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from ..auth.models import Agency
from ..clock import LONDON, UTC, to_london
from ..extensions import db
from ..workdays import working_days_between
from .models import THEME_LABELS, DifferenceStage, ProfessionalDifference, Status


@dataclass
class Figures:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    raised_by: list[tuple[str, int]] = field(default_factory=list)
    raised_against: list[tuple[str, int]] = field(default_factory=list)
    highest_stage: list[tuple[int, int]] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    resolved: int = 0
    resolved_within_timescales: int = 0
    median_working_days_to_resolve: float | None = None
    longest_working_days_to_resolve: int | None = None
    #: (stage number, stages closed, of them closed by their due time), for the stages closed so far
    stages_closed: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def resolved_within_percent(self) -> int | None:
        if not self.resolved:
            return None
        return round(100 * self.resolved_within_timescales / self.resolved)


def _period(raised_from: date | None, raised_to: date | None) -> list:
    conditions = []
    if raised_from:
        conditions.append(ProfessionalDifference.raised_at >= datetime.combine(
            raised_from, datetime.min.time(), tzinfo=LONDON).astimezone(UTC))
    if raised_to:
        conditions.append(ProfessionalDifference.raised_at < datetime.combine(
            raised_to + timedelta(days=1), datetime.min.time(), tzinfo=LONDON).astimezone(UTC))
    return conditions


#: built once (each `aliased()` proxies every column of its table)
_AGENCY = aliased(Agency, name="figure_agency")


def compute(raised_from: date | None = None, raised_to: date | None = None) -> Figures:
    where = _period(raised_from, raised_to)
    pd = ProfessionalDifference
    figures = Figures()
    for status, count in db.session.execute(select(pd.status, func.count()).where(*where).group_by(pd.status)):
        figures.by_status[status] = count
    figures.total = sum(figures.by_status.values())

    def by_agency(column) -> list[tuple[str, int]]:
        agency = _AGENCY
        rows = db.session.execute(select(agency.name, func.count(pd.id)).join(agency, agency.id == column)
                                  .where(*where).group_by(agency.name).order_by(func.count(pd.id).desc(), agency.name))
        return [(name, count) for name, count in rows]

    figures.raised_by = by_agency(pd.raised_by_agency_id)
    figures.raised_against = by_agency(pd.against_agency_id)

    highest = (select(DifferenceStage.difference_id, func.max(DifferenceStage.number).label("stage"))
               .join(pd, pd.id == DifferenceStage.difference_id).where(*where)
               .group_by(DifferenceStage.difference_id).subquery())
    figures.highest_stage = [(stage, count) for stage, count in db.session.execute(
        select(highest.c.stage, func.count()).group_by(highest.c.stage).order_by(highest.c.stage))]

    in_time = func.sum(case((DifferenceStage.closed_at <= DifferenceStage.due_at, 1), else_=0))
    figures.stages_closed = [(number, closed, int(met)) for number, closed, met in db.session.execute(
        select(DifferenceStage.number, func.count(DifferenceStage.id), in_time)
        .join(pd, pd.id == DifferenceStage.difference_id).where(*where, DifferenceStage.closed_at.is_not(None))
        .group_by(DifferenceStage.number).order_by(DifferenceStage.number))]

    figures.themes = [(THEME_LABELS.get(theme, theme), count) for theme, count in db.session.execute(
        select(pd.theme, func.count()).where(*where).group_by(pd.theme).order_by(func.count().desc(), pd.theme))]

    late = exists().where(DifferenceStage.difference_id == pd.id, DifferenceStage.closed_at > DifferenceStage.due_at)
    resolved = [*where, pd.status == Status.RESOLVED.value]
    figures.resolved = figures.by_status.get(Status.RESOLVED.value, 0)
    figures.resolved_within_timescales = db.session.execute(
        select(func.count()).select_from(pd).where(and_(*resolved), ~late)).scalar_one()
    spans = [working_days_between(to_london(raised).date(), to_london(closed).date())
             for raised, closed in db.session.execute(select(pd.raised_at, pd.closed_at).where(*resolved))]
    if spans:
        figures.median_working_days_to_resolve = statistics.median(spans)
        figures.longest_working_days_to_resolve = max(spans)
    return figures
