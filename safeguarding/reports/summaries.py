"""The reports' summaries: every figure's counts by London calendar day, worked out by the scheduler, read by the pages.

A report for a period used to read every record of the period (and of its 8 trend quarters), so a year's report
grew with the partnership. Now `refresh(first, last)` works each day's counts out with set-based SQL (INSERT …
SELECT … GROUP BY day, the same SELECTs the figures were counted with) into `report_day_count`, one transaction
per slice of days, replacing those days' rows; the pages add up the day rows of the period: at most a few rows
per day and figure, however many discussions lie behind them. Two things cannot be added up by day and are kept
apart: "each child once" (the breakdowns count `report_day_child` links, one per child per day), and the lists
behind a figure, which stay live queries (scoped and limited).

Figures that depend on the clock ("past its due time by now", "overdue") are as at the refresh: the scheduler
works the last FIGURES_RECENT_DAYS days out again every FIGURES_REFRESH_MINUTES and every day each night
(`refresh_recent`, `refresh_all`), and the pages say when their figures were worked out (`freshness`). A day
never worked out has no `report_day_refreshed` row, and a page over it says so rather than show zeros.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import String, and_, case, cast, delete, func, insert, literal, or_, select, union_all, update

from .. import clock
from ..auth.models import Agency
from ..children.models import Child
from ..clock import to_london
from ..differences.models import DifferenceStage, ProfessionalDifference
from ..discussions import thresholds
from ..discussions.models import AgreedAction, DiscussionChild, Invitation, StrategyDiscussion, ThresholdDecision
from ..discussions.thresholds import MINIMUM_AGENCIES
from ..extensions import db
from ..missing.models import MissingEpisode, PoliceProtection, ReturnInterview
from . import sql
from .models import STATE_ID, DayChild, DayCount, DayRefreshed, RefreshState

#: days ahead of today the recent refresh also covers: a convened discussion counts on the day it is scheduled
AHEAD_DAYS = 92
#: days per transaction: a slice's rows are replaced at once, so a page never sees half a day
SLICE_DAYS = 31

# The strategy discussion figures (reports/figures.py), by their `figure` key
HELD = "held"
ATTENDANCE = "attendance"  # by agency; category: the agency's best answer's rank
ATTENDANCE_BY_KIND = "attendance-kind"  # category: "kind:rank"
DECISIONS = "decisions"
GAP_DECISIONS = "gap-decisions"
GAP_DISCUSSIONS = "gap-discussions"
GAP_BY_AGENCY = "gap-agency"  # category: the minimum agency's label
OUTCOME = "outcome"  # category: the outcome's key
ICPC = "icpc"  # category: on_time, late, overdue, due
ACTIONS = "actions"  # by owner agency; category: open, overdue, done, done_late, cancelled
STAGES = "difference-stage"  # category: the stage number; counted: closed, met: closed by the due time
DISCUSSION_FIGURES = [HELD, ATTENDANCE, ATTENDANCE_BY_KIND, DECISIONS, GAP_DECISIONS, GAP_DISCUSSIONS,
                      GAP_BY_AGENCY, OUTCOME, ICPC, ACTIONS]
_COLUMNS = ["day", "figure", "agency_id", "category", "counted", "met"]


# --- Working the days out ------------------------------------------------------------------------------------------


def _row(day, figure: str, counted, met=None, agency_id=None, category=None) -> list:
    return [day.label("day"), literal(figure, String).label("figure"),
            (agency_id if agency_id is not None else literal(0)).label("agency_id"),
            (category if category is not None else literal("", String)).label("category"),
            counted.label("counted"), (met if met is not None else literal(0)).label("met")]


def _count_all(parts: list) -> None:
    db.session.execute(insert(DayCount).from_select(_COLUMNS, union_all(*parts) if len(parts) > 1 else parts[0]))


def _discussion_figures(first: date, last: date, now: datetime, today: date) -> None:
    from . import figures

    where = figures._in_period(first, last)
    sd = StrategyDiscussion
    held_day = sql.london_date(sd.scheduled_at)
    _count_all([select(*_row(held_day, HELD, func.count())).where(*where).group_by(held_day)])

    # attendance: the best answer per (discussion, agency), then tallied by agency and by kind, as figures does
    best = (select(Invitation.discussion_id.label("discussion_id"), sd.scheduled_at.label("held_at"),
                   Invitation.agency_id.label("agency_id"), Agency.kind.label("kind"),
                   func.min(figures._rank_column()).label("rank"))
            .join(sd, sd.id == Invitation.discussion_id).join(Agency, Agency.id == Invitation.agency_id)
            .where(*where).group_by(Invitation.discussion_id, sd.scheduled_at, Invitation.agency_id, Agency.kind)
            .cte("best_answer"))
    by_kind = (select(best.c.held_at, best.c.kind, func.min(best.c.rank).label("rank"))
               .where(best.c.kind.in_(list(MINIMUM_AGENCIES)))
               .group_by(best.c.discussion_id, best.c.held_at, best.c.kind).subquery())
    agency_day, kind_day = sql.london_date(best.c.held_at), sql.london_date(by_kind.c.held_at)
    _count_all([
        select(*_row(agency_day, ATTENDANCE, func.count(), agency_id=best.c.agency_id,
                     category=cast(best.c.rank, String)))
        .group_by(agency_day, best.c.agency_id, best.c.rank),
        select(*_row(kind_day, ATTENDANCE_BY_KIND, func.count(),
                     category=by_kind.c.kind + literal(":", String) + cast(by_kind.c.rank, String)))
        .group_by(kind_day, by_kind.c.kind, by_kind.c.rank)])

    # decisions: gaps in the minimum agencies, outcomes, and the ICPC status of enquiries started
    d = ThresholdDecision
    rows = (select(d.id.label("id"), d.discussion_id.label("discussion_id"), d.outcome.label("outcome"),
                   d.agencies_absent.label("absent"), sd.scheduled_at.label("held_at"),
                   and_(d.starts_enquiry.is_(True), d.icpc_status != "ended").label("started"),
                   figures._icpc_status(today).label("icpc"))
            .join(sd, sd.id == d.discussion_id).where(*where).cte("decision_rows"))
    day = sql.london_date(rows.c.held_at)
    gap = rows.c.absent != ""
    parts = [select(*_row(day, DECISIONS, func.count())).group_by(day),
             select(*_row(day, GAP_DECISIONS, func.count())).where(gap).group_by(day),
             select(*_row(day, GAP_DISCUSSIONS, func.count(func.distinct(rows.c.discussion_id))))
             .where(gap).group_by(day),
             select(*_row(day, OUTCOME, func.count(), category=rows.c.outcome)).group_by(day, rows.c.outcome),
             select(*_row(day, ICPC, func.count(), category=rows.c.icpc)).where(rows.c.started)
             .group_by(day, rows.c.icpc)]
    parts += [select(*_row(day, GAP_BY_AGENCY, func.count(), category=literal(label, String)))
              .where(gap, rows.c.absent.like(f"%{label}%")).group_by(day) for label in MINIMUM_AGENCIES.values()]
    _count_all(parts)

    # agreed actions by their owner's agency, open ones split by whether they are overdue now
    a = AgreedAction
    actions = (select(a.owner_agency_id.label("agency_id"), a.status.label("status"), a.due_at.label("due_at"),
                      a.completed_at.label("completed_at"), sd.scheduled_at.label("held_at"))
               .join(sd, sd.id == a.discussion_id).where(*where).cte("action_rows"))
    day = sql.london_date(actions.c.held_at)
    is_open = actions.c.status == "open"
    state = case((and_(is_open, actions.c.due_at > now), literal("open", String)),
                 (is_open, literal("overdue", String)),
                 (actions.c.status == "done", literal("done", String)),
                 (actions.c.status == "cancelled", literal("cancelled", String)))
    _count_all([
        select(*_row(day, ACTIONS, func.count(), agency_id=actions.c.agency_id, category=state))
        .where(state.is_not(None)).group_by(day, actions.c.agency_id, state),
        select(*_row(day, ACTIONS, func.count(), agency_id=actions.c.agency_id,
                     category=literal("done_late", String)))
        .where(actions.c.status == "done", actions.c.completed_at > actions.c.due_at)
        .group_by(day, actions.c.agency_id)])


def _learning_figures(first: date, last: date, now: datetime, today: date) -> None:
    from . import learning

    window = learning.Window(first, last, now, today)
    together: dict[Callable, list] = {}
    for q in learning.QUESTIONS:
        together.setdefault(q.build, []).append(q)
    for build, questions in together.items():
        rows = build(window).cte("question_rows")
        day = rows.c.at if questions[0].by_date else sql.london_date(rows.c.at)
        _count_all([select(*_row(day, q.key, func.sum(rows.c.counted), func.sum(rows.c[q.column]))).group_by(day)
                    for q in questions])

    s, pd = DifferenceStage, ProfessionalDifference
    day = sql.london_date(pd.raised_at)
    _count_all([select(*_row(day, STAGES, func.count(s.id), func.sum(case((s.closed_at <= s.due_at, 1), else_=0)),
                             category=cast(s.number, String)))
                .join(pd, pd.id == s.difference_id)
                .where(pd.raised_at >= window.lo, pd.raised_at < window.hi, s.closed_at.is_not(None))
                .group_by(day, s.number)])

    # each child discussed at a discussion held that day, and whether a section 47 enquiry was decided for them
    link, d, sd = DiscussionChild, ThresholdDecision, StrategyDiscussion
    day = sql.london_date(sd.scheduled_at)
    section_47 = case((d.outcome.in_(sorted(thresholds.SECTION_47)), 1), else_=0)
    db.session.execute(insert(DayChild).from_select(
        ["day", "child_id", "section_47"],
        select(day.label("day"), link.child_id, (func.max(section_47) == 1).label("section_47"))
        .select_from(link).join(sd, sd.id == link.discussion_id)
        .outerjoin(d, and_(d.discussion_id == link.discussion_id, d.child_id == link.child_id))
        .where(*learning._held(window)).group_by(day, link.child_id)))


def _lock(now: datetime) -> None:
    """Take the state row for this slice's transaction (on PostgreSQL the UPDATE holds it to the commit, so two
    refreshes replace the same days one after the other, never both at once; SQLite has one writer anyway)."""
    from ..reminders.sweep import insert_once

    insert_once(RefreshState, [{"id": STATE_ID}], ("id",))
    db.session.execute(update(RefreshState).where(RefreshState.id == STATE_ID)
                       .values(slice_started_at=now, slice_id=secrets.token_hex(16)))


@dataclass
class Refreshed:
    first: date
    last: date
    days: int = 0
    slices: int = 0
    rows: int = 0

    def line(self) -> str:
        return (f"Figures: {self.days} days worked out ({self.first.isoformat()} to {self.last.isoformat()}), "
                f"{self.rows} summary rows, {self.slices} slices")


def refresh(first: date, last: date, *, now: datetime | None = None, slice_days: int = SLICE_DAYS,
            progress: Callable[[int], None] | None = None, keep_lease: Callable[[], bool] | None = None
            ) -> Refreshed:
    """Work out every figure's counts for the days `first` to `last` (London dates, inclusive) as at `now`,
    replacing what was there: one transaction per slice of `slice_days` days, committed. `progress(days)` is told
    after each slice; `keep_lease()` is asked just before each commit (the scheduler's lease), and a slice is rolled
    back rather than committed without it."""
    now = clock.ensure_utc(now or clock.now())
    today = to_london(now).date()
    done = Refreshed(first, last)
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=slice_days - 1))
        try:
            _lock(now)
            for model in (DayCount, DayChild, DayRefreshed):
                db.session.execute(delete(model).where(model.day >= start, model.day <= end))
            _discussion_figures(start, end, now, today)
            _learning_figures(start, end, now, today)
            days = (end - start).days + 1
            db.session.execute(insert(DayRefreshed), [{"day": start + timedelta(days=n), "refreshed_at": now}
                                                      for n in range(days)])
            if keep_lease is not None and not keep_lease():
                from ..reminders.sweep import LeaseLost

                raise LeaseLost("the scheduler lease was lost during the figures' refresh")
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        done.days += days
        done.slices += 1
        if progress is not None:
            progress(days)
        start = end + timedelta(days=1)
    done.rows = db.session.execute(select(func.count()).select_from(DayCount)
                                   .where(DayCount.day >= first, DayCount.day <= last)).scalar_one()
    db.session.commit()
    return done


def recent_days(today: date, recent_days: int) -> tuple[date, date]:
    return today - timedelta(days=recent_days), today + timedelta(days=AHEAD_DAYS)


def refresh_recent(now: datetime, recent: int, **options) -> Refreshed:
    """The frequent refresh: the last `recent` days and the next AHEAD_DAYS (the scheduler's `figures` job)."""
    first, last = recent_days(to_london(now).date(), recent)
    done = refresh(first, last, now=now, **options)
    db.session.execute(update(RefreshState).where(RefreshState.id == STATE_ID).values(recent_at=now))
    db.session.commit()
    return done


def _record_days() -> tuple[date | None, date | None]:
    """The earliest and latest days any record counts on (one statement of indexed min/max look-ups)."""
    instants = [StrategyDiscussion.scheduled_at, ReturnInterview.returned_at, PoliceProtection.started_at,
                MissingEpisode.reported_missing_at, ProfessionalDifference.raised_at]
    # each min/max its own scalar subquery, so each is one index look-up rather than a join of the tables
    bounds = select(*(select(f(c)).scalar_subquery() for f in (func.min, func.max) for c in instants),
                    select(func.min(StrategyDiscussion.referral_received_on)).scalar_subquery(),
                    select(func.max(StrategyDiscussion.referral_received_on)).scalar_subquery())
    values = db.session.execute(bounds).one()
    n = len(instants)
    lows = [to_london(clock.ensure_utc(v)).date() for v in values[:n] if v is not None]
    highs = [to_london(clock.ensure_utc(v)).date() for v in values[n:2 * n] if v is not None]
    lows += [_as_date(values[2 * n])] if values[2 * n] is not None else []
    highs += [_as_date(values[2 * n + 1])] if values[2 * n + 1] is not None else []
    return (min(lows) if lows else None), (max(highs) if highs else None)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def all_days(today: date) -> tuple[date, date]:
    """Every day a record counts on, through AHEAD_DAYS from today."""
    earliest, latest = _record_days()
    return min(earliest or today, today), max(latest or today, today + timedelta(days=AHEAD_DAYS))


def refresh_all(now: datetime, **options) -> Refreshed:
    """The nightly refresh: every day from the first any record counts on to AHEAD_DAYS from today (or the
    latest record); it vouches for the days before it too (nothing counted on them)."""
    first, last = all_days(to_london(now).date())
    done = refresh(first, last, now=now, **options)
    db.session.execute(update(RefreshState).where(RefreshState.id == STATE_ID)
                       .values(full_from=first, full_at=now, recent_at=now))
    db.session.commit()
    return done


# --- Reading them ------------------------------------------------------------------------------------------------


def _when(instant: datetime) -> str:
    return to_london(instant).strftime("%H:%M, %-d %B %Y")


@dataclass
class Freshness:
    """Whether the summaries cover a range of days, and when they were worked out."""

    built: bool
    oldest: datetime | None = None
    newest: datetime | None = None
    refresh_minutes: int = 15
    recent_days: int = 100
    #: changes with every refresh slice: what is worked out from the summaries can be kept until it does
    slice_id: str | None = None

    @property
    def schedule(self) -> str:
        return (f"The figures for the last {self.recent_days} days are brought up to date every "
                f"{self.refresh_minutes} minutes, and all of them every night.")

    @property
    def sentence(self) -> str:
        if not self.built or self.newest is None:
            return ("The figures for this period have not been worked out yet. " + self.schedule
                    + " Ask your administrator if this does not change within the hour.")
        said = f"Figures as at {_when(self.newest)}"
        if self.oldest is not None and self.newest - self.oldest > timedelta(minutes=1):
            said += f" (the earlier days of this period as at {_when(self.oldest)})"
        return f"{said}. {self.schedule}"


def freshness(first: date, last: date, today: date, *, refresh_minutes: int = 15, recent_days: int = 100
              ) -> Freshness:
    """Whether every day from `first` to `last` has been worked out (days after AHEAD_DAYS from today need not be:
    the nightly refresh covers any record there; days before the last full refresh's first day held nothing), and
    the oldest and newest time they were. One statement."""
    state, day = RefreshState, DayRefreshed
    needed_to = min(last, today + timedelta(days=AHEAD_DAYS))
    row = db.session.execute(
        select(state.full_from, state.full_at, state.slice_id, func.count(day.day), func.min(day.refreshed_at),
               func.max(day.refreshed_at))
        .select_from(state)
        .outerjoin(day, and_(day.day >= first, day.day <= needed_to,
                             or_(state.full_from.is_(None), day.day >= state.full_from)))
        .where(state.id == STATE_ID).group_by(state.full_from, state.full_at, state.slice_id)).first()
    settings = {"refresh_minutes": refresh_minutes, "recent_days": recent_days}
    if row is None:
        return Freshness(False, **settings)
    full_from, full_at, slice_id, days, oldest, newest = row
    needed_from = max(first, full_from) if full_from is not None else first
    needed = max(0, (needed_to - needed_from).days + 1)
    times = [t for t in (oldest, newest) if t is not None]
    if full_from is not None and first < full_from and full_at is not None:
        times.append(full_at)  # the days before it were vouched for by the full refresh
    built = days >= needed and bool(times)
    return Freshness(built, min(times) if times else None, max(times) if times else None, slice_id=slice_id,
                     **settings)


@dataclass
class Totals:
    """Summed day rows: for the period, and (when quarters are asked) by trend quarter."""

    period: dict[tuple[str, int, str], tuple[int, int]] = field(default_factory=dict)
    quarters: dict[tuple[int, str, int, str], tuple[int, int]] = field(default_factory=dict)

    def of(self, figure: str, agency_id: int = 0, category: str = "") -> tuple[int, int]:
        return self.period.get((figure, agency_id, category), (0, 0))

    def in_quarter(self, index: int, figure: str, agency_id: int = 0, category: str = "") -> tuple[int, int]:
        return self.quarters.get((index, figure, agency_id, category), (0, 0))

    def rows(self, figure: str) -> list[tuple[int, str, int, int]]:
        """(agency_id, category, counted, met) of the period for one figure."""
        return [(agency_id, category, *counts) for (f, agency_id, category), counts in self.period.items()
                if f == figure]


def totals(start: date, end: date, figures: list[str], quarters: list | None = None) -> Totals:
    """The period's sums of `figures` (and each trend quarter's), in one statement over the day rows."""
    c = DayCount
    quarters = quarters or []
    lo = min([start] + [q.start for q in quarters])
    hi = max([end] + [q.end for q in quarters])
    if quarters:
        bucket = case((c.day < quarters[0].start, -1),
                      *((c.day <= q.end, index) for index, q in enumerate(quarters)),
                      else_=len(quarters)).label("quarter")
    else:
        bucket = literal(-1).label("quarter")
    in_period = and_(c.day >= start, c.day <= end)
    statement = (select(c.figure, c.agency_id, c.category, bucket, func.sum(c.counted), func.sum(c.met),
                        func.sum(case((in_period, 1), else_=0)), func.sum(case((in_period, c.counted), else_=0)),
                        func.sum(case((in_period, c.met), else_=0)))
                 .where(c.day >= lo, c.day <= hi, c.figure.in_(figures))
                 .group_by(c.figure, c.agency_id, c.category, bucket))
    found = Totals()
    for figure, agency_id, category, index, counted, met, in_period_rows, period_counted, period_met \
            in db.session.execute(statement):
        key = (figure, agency_id, category)
        if in_period_rows:  # a row only in the trend's quarters is not one of the period's (an agency, a stage)
            was = found.period.get(key, (0, 0))
            found.period[key] = (was[0] + int(period_counted or 0), was[1] + int(period_met or 0))
        if quarters:
            found.quarters[(int(index), *key)] = (int(counted or 0), int(met or 0))
    return found


def children_by_group(start: date, end: date) -> list[tuple]:
    """The children discussed from `start` to `end`, each once, counted by their recorded answers (date of birth,
    unborn, gender, ethnicity code, disability) with how many had a section 47 enquiry decided: the breakdowns'
    rows, read from the child links worked out by day and the children's records as they are now. Each child is
    found once first (one pass over the period's links), then counted: no DISTINCT over every group."""
    link = DayChild
    children = (select(link.child_id.label("child_id"),
                       func.max(case((link.section_47.is_(True), 1), else_=0)).label("section_47"))
                .where(link.day >= start, link.day <= end).group_by(link.child_id).subquery())
    columns = (Child.date_of_birth, Child.is_unborn, Child.gender, Child.ethnicity_code, Child.disability_status)
    return db.session.execute(
        select(*columns, func.count(), func.sum(children.c.section_47))
        .select_from(children).join(Child, Child.id == children.c.child_id).group_by(*columns)).all()
