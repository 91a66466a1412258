"""Strategy discussion figures for the partnership: counts only, never a child's name or details.

Everything is about discussions *held* in the period (scheduled date, London calendar days), leaving out drafts
and cancelled discussions. Figures over the same rows share one statement (attendance: one over the invitations;
gaps, outcomes and ICPC status: one over the decisions), so the period is read a few times, not once per figure,
and the page costs the same number of statements for 5 discussions or 5,000. The page adds the counts up from the
summaries (`summaries.py`: the same SELECTs, grouped by day and refreshed by the scheduler), so a year's report
does not read the year's records; `compute_live` counts from the records, to check them. The only rows listed one
by one (decisions made without a minimum agency, section 47 decisions) carry no child's details, and only those
the reader may see are listed, with a link: those lists are read live.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, String, and_, case, cast, exists, func, literal, null, or_, select, union_all

from ..discussions.access import discussion_scope
from ..auth.models import Agency
from ..clock import london_datetime
from ..counting import count_where
from ..discussions.models import AgreedAction, Invitation, StrategyDiscussion, ThresholdDecision
from ..discussions.thresholds import MINIMUM_AGENCIES, OUTCOMES
from ..extensions import db
from . import summaries

HELD = ("convened", "decided")
#: When one agency has several invitees at a discussion, the agency counts once, by its best answer.
RANK = {"attended": 0, "information_sent": 1, "apologies": 2, "invited": 3, "not_invited": 4}
BY_RANK = {rank: status for status, rank in RANK.items()}
#: the longest list of individual discussions shown on the page (narrow the period for more)
LIST_LIMIT = 200


@dataclass
class AgencyAttendance:
    agency_id: int
    name: str
    kind: str
    invited: int = 0
    attended: int = 0
    information_sent: int = 0
    apologies: int = 0
    not_known: int = 0
    not_invited: int = 0

    @property
    def attended_percent(self) -> int | None:
        return round(100 * self.attended / self.invited) if self.invited else None


@dataclass
class MinimumAgency:
    """One of the three agencies every strategy discussion needs, counted over all the discussions held."""

    kind: str
    label: str
    held: int
    attended: int
    invited: int

    @property
    def absent(self) -> int:
        return self.held - self.attended

    @property
    def not_invited(self) -> int:
        return self.held - self.invited

    @property
    def attended_percent(self) -> int | None:
        return round(100 * self.attended / self.held) if self.held else None


@dataclass
class GapDiscussion:
    discussion_id: int
    held_at: datetime | None
    agencies_absent: str
    reason: str


@dataclass
class IcpcRow:
    discussion_id: int
    held_at: datetime | None
    outcome: str
    due_on: date | None
    conference_on: date | None
    status: str  # on_time, late, overdue, due

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


ICPC_STATUS = {"on_time": "Within 15 working days", "late": "Later than the due date",
               "overdue": "No date recorded: overdue", "due": "No date recorded yet: not yet due"}
#: the same, in a word or two for a status tag (the words above sit beside it)
ICPC_TAGS = {"on_time": "On time", "late": "Late", "overdue": "Overdue", "due": "Not yet due"}


@dataclass
class ActionsByAgency:
    name: str
    open: int = 0
    overdue: int = 0
    done: int = 0
    done_late: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.open + self.overdue + self.done + self.cancelled


@dataclass
class Report:
    start: date
    end: date
    held: int = 0
    minimum: list[MinimumAgency] = field(default_factory=list)
    agencies: list[AgencyAttendance] = field(default_factory=list)
    gap_decisions: int = 0
    gap_discussions: int = 0
    gap_by_agency: dict[str, int] = field(default_factory=dict)
    gap_list: list[GapDiscussion] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    decisions: int = 0
    icpc_counts: dict[str, int] = field(default_factory=dict)
    icpc_list: list[IcpcRow] = field(default_factory=list)
    actions: list[ActionsByAgency] = field(default_factory=list)

    @property
    def police(self) -> MinimumAgency | None:
        return next((m for m in self.minimum if m.kind == "police"), None)

    @property
    def section_47(self) -> int:
        return sum(self.icpc_counts.values())


def _in_period(start: date, end: date) -> list:
    return [StrategyDiscussion.status.in_(HELD),
            StrategyDiscussion.scheduled_at >= london_datetime(start),
            StrategyDiscussion.scheduled_at < london_datetime(end + timedelta(days=1))]


def _rank_column():
    return case(*((Invitation.status == status, rank) for status, rank in RANK.items()), else_=RANK["invited"])


def _attendance(report: Report, where: list) -> None:
    # One statement reads the period's invitations once: the best answer per (discussion, agency) is a CTE, and
    # both tallies come from it (by agency, and by kind as the best answer among that kind's agencies), joined by
    # UNION ALL. A kind's best answer at a discussion is the best of its agencies' best answers, so the figures are
    # those of grouping the invitations by kind directly.
    best = (select(Invitation.discussion_id.label("discussion_id"), Invitation.agency_id.label("agency_id"),
                   Agency.kind.label("kind"), func.min(_rank_column()).label("rank"))
            .join(StrategyDiscussion, StrategyDiscussion.id == Invitation.discussion_id)
            .join(Agency, Agency.id == Invitation.agency_id)
            .where(*where)
            .group_by(Invitation.discussion_id, Invitation.agency_id, Agency.kind)
            .cte("best_answer"))
    best_by_kind = (select(best.c.discussion_id, best.c.kind, func.min(best.c.rank).label("rank"))
                    .where(best.c.kind.in_(list(MINIMUM_AGENCIES)))
                    .group_by(best.c.discussion_id, best.c.kind).subquery())
    tallies = union_all(
        select(best.c.agency_id, cast(null(), String).label("kind"), best.c.rank, func.count().label("n"))
        .group_by(best.c.agency_id, best.c.rank),
        select(cast(null(), Integer), best_by_kind.c.kind, best_by_kind.c.rank, func.count())
        .group_by(best_by_kind.c.kind, best_by_kind.c.rank))
    counts: dict[int, dict[int, int]] = {}
    kinds: dict[str, dict[int, int]] = {}
    for agency_id, kind, rank, count in db.session.execute(tallies):
        if kind is None:
            counts.setdefault(agency_id, {})[rank] = count
        else:
            kinds.setdefault(kind, {})[rank] = count
    agencies = db.session.execute(
        select(Agency).where(or_(Agency.id.in_(list(counts) or [0]),
                                 and_(Agency.is_active.is_(True), Agency.kind.in_(list(MINIMUM_AGENCIES)))))
        .order_by(Agency.name)).scalars().all()
    _attendance_rows(report, counts, kinds, agencies)


def _attendance_rows(report: Report, counts: dict[int, dict[int, int]], kinds: dict[str, dict[int, int]],
                     agencies: list[Agency]) -> None:
    """The attendance tables from the tallies: by agency (its best answer at each discussion) and by kind."""
    # Every active police force, CSC and health agency is listed even with no invitations: a zero is the finding.
    listed = [a for a in agencies
              if a.id in counts or (a.is_active and a.kind in MINIMUM_AGENCIES)]
    for agency in sorted(listed, key=lambda a: a.name):
        by_rank = counts.get(agency.id, {})
        row = AgencyAttendance(agency_id=agency.id, name=agency.name, kind=agency.kind)
        row.attended = by_rank.get(RANK["attended"], 0)
        row.information_sent = by_rank.get(RANK["information_sent"], 0)
        row.apologies = by_rank.get(RANK["apologies"], 0)
        row.not_known = by_rank.get(RANK["invited"], 0)
        row.not_invited = by_rank.get(RANK["not_invited"], 0)
        row.invited = row.attended + row.information_sent + row.apologies + row.not_known
        report.agencies.append(row)
    # Police first, then the other minimum agencies: police presence is the known weakness.
    order = {"police": 0, "childrens_social_care": 1, "health": 2}
    report.agencies.sort(key=lambda a: (order.get(a.kind, 3), a.name))

    for kind in ("police", "childrens_social_care", "health"):
        ranks = kinds.get(kind, {})
        report.minimum.append(MinimumAgency(
            kind=kind, label=MINIMUM_AGENCIES[kind], held=report.held, attended=ranks.get(RANK["attended"], 0),
            invited=sum(n for rank, n in ranks.items() if rank != RANK["not_invited"])))


def _decision_figures(report: Report, where: list, today: date) -> None:
    """Gaps in the minimum agencies, outcomes and section 47 enquiries' ICPC status: one pass over the period's
    decisions, each figure a conditional sum, instead of a scan of the same rows per figure."""
    d = ThresholdDecision
    gap = d.agencies_absent != ""
    # Only the decision that started the enquiry owns the ICPC clock; a review that keeps the child in
    # section 47 is not a second enquiry. An enquiry whose outcome needed no conference is not counted: it was
    # never late, and counting it as overdue would make the figures lie.
    started = and_(d.starts_enquiry.is_(True), d.icpc_status != "ended")
    status = _icpc_status(today)
    columns = [func.count(d.id), count_where(gap), func.count(func.distinct(case((gap, d.discussion_id)))),
               *(count_where(and_(gap, d.agencies_absent.like(f"%{label}%"))) for label in MINIMUM_AGENCIES.values()),
               *(count_where(d.outcome == key) for key in OUTCOMES),
               *(count_where(and_(started, status == key)) for key in ICPC_STATUS)]
    row = [int(n) for n in db.session.execute(
        select(*columns).join(StrategyDiscussion, StrategyDiscussion.id == d.discussion_id).where(*where)).one()]
    report.decisions, report.gap_decisions, report.gap_discussions = row[0], row[1], row[2]
    rest = row[3:]
    report.gap_by_agency = dict(zip(MINIMUM_AGENCIES.values(), rest[:len(MINIMUM_AGENCIES)], strict=True))
    rest = rest[len(MINIMUM_AGENCIES):]
    report.outcomes = list(zip(OUTCOMES.values(), rest[:len(OUTCOMES)], strict=True))
    report.icpc_counts = dict(zip(ICPC_STATUS, rest[len(OUTCOMES):], strict=True))


def _gap_list(report: Report, where: list, user) -> None:
    """The first LIST_LIMIT discussions the reader may see with a decision made without a minimum agency, each with
    every agency absent: the discussions first (LIMIT, so only as many are walked as are listed), then their gap
    decisions, in one statement."""
    d, sd = ThresholdDecision, StrategyDiscussion
    gap = d.agencies_absent != ""
    first = (select(sd.id.label("id"), sd.scheduled_at.label("held_at"), sd.minimum_agency_reason.label("reason"))
             .where(*where, sd.has_agency_gap.is_(True), exists().where(d.discussion_id == sd.id, gap),
                    discussion_scope(user))
             .order_by(sd.scheduled_at, sd.id).limit(LIST_LIMIT).subquery())
    listed = db.session.execute(
        select(first.c.id, first.c.held_at, first.c.reason, d.agencies_absent)
        .join(d, and_(d.discussion_id == first.c.id, gap))
        .order_by(first.c.held_at, first.c.id, d.id)).all()
    seen: dict[int, GapDiscussion] = {}
    for sd_id, held_at, reason, agencies_absent in listed:
        item = seen.get(sd_id)
        if item is None:
            seen[sd_id] = GapDiscussion(sd_id, held_at, agencies_absent, reason)
        elif agencies_absent not in item.agencies_absent:
            item.agencies_absent += "; " + agencies_absent
    report.gap_list = list(seen.values())


def _icpc_status(today: date):
    booked = ThresholdDecision.icpc_date.is_not(None)
    return case((and_(booked, ThresholdDecision.icpc_date <= ThresholdDecision.icpc_due_on), literal("on_time")),
                (booked, literal("late")),
                (ThresholdDecision.icpc_due_on < today, literal("overdue")),
                else_=literal("due"))


def _icpc_list(report: Report, where: list, user, today: date) -> None:
    started = [*where, ThresholdDecision.starts_enquiry.is_(True), ThresholdDecision.icpc_status != "ended"]
    status = _icpc_status(today)
    join = (StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
    report.icpc_list = [IcpcRow(*row) for row in db.session.execute(
        select(StrategyDiscussion.id, StrategyDiscussion.scheduled_at, ThresholdDecision.outcome,
               ThresholdDecision.icpc_due_on, ThresholdDecision.icpc_date, status)
        .select_from(ThresholdDecision).join(*join).where(*started, discussion_scope(user))
        .order_by(ThresholdDecision.icpc_due_on, ThresholdDecision.id).limit(LIST_LIMIT))]


def _actions(report: Report, where: list, at: datetime) -> None:
    a = AgreedAction
    is_open = a.status == "open"


    rows = db.session.execute(
        select(Agency.name,
               count_where(and_(is_open, a.due_at > at)), count_where(and_(is_open, a.due_at <= at)),
               count_where(a.status == "done"), count_where(and_(a.status == "done", a.completed_at > a.due_at)),
               count_where(a.status == "cancelled"))
        .join(StrategyDiscussion, StrategyDiscussion.id == a.discussion_id)
        .join(Agency, Agency.id == a.owner_agency_id)
        .where(*where).group_by(Agency.name).order_by(Agency.name))
    report.actions = [ActionsByAgency(name, *(int(n) for n in counts)) for name, *counts in rows]


def compute(start: date, end: date, *, user, at: datetime, today: date) -> Report:
    """Every figure for discussions held from `start` to `end` (London dates, inclusive): the counts added up from
    the summaries (`summaries.refresh`, as at its last run), the lists (which carry links) read live."""
    report = Report(start=start, end=end)
    counts = summaries.totals(start, end, summaries.DISCUSSION_FIGURES)
    _from_summaries(report, counts)
    where = _in_period(start, end)
    _gap_list(report, where, user)
    _icpc_list(report, where, user, today)
    return report


def attendance_only(start: date, end: date, counts: summaries.Totals | None = None) -> Report:
    """The agency attendance table alone (the CSV download; the practice-learning report's chart), from the
    summaries: `counts` when the caller has read them already."""
    report = Report(start=start, end=end)
    if counts is None:
        counts = summaries.totals(start, end, [summaries.HELD, summaries.ATTENDANCE, summaries.ATTENDANCE_BY_KIND])
    report.held = counts.of(summaries.HELD)[0]
    counted = _attendance_tallies(counts)
    _attendance_rows(report, *counted, _agencies(counted[0]))
    return report


def _attendance_tallies(counts: summaries.Totals) -> tuple[dict, dict]:
    by_agency: dict[int, dict[int, int]] = {}
    by_kind: dict[str, dict[int, int]] = {}
    for agency_id, rank, n, _ in counts.rows(summaries.ATTENDANCE):
        by_agency.setdefault(agency_id, {})[int(rank)] = n
    for _, kind_rank, n, _ in counts.rows(summaries.ATTENDANCE_BY_KIND):
        kind, rank = kind_rank.rsplit(":", 1)
        by_kind.setdefault(kind, {})[int(rank)] = n
    return by_agency, by_kind


def _agencies(ids) -> list[Agency]:
    """The agencies named in the figures, and every active minimum agency (listed even with nothing: a zero is the
    finding): one statement."""
    return db.session.execute(
        select(Agency).where(or_(Agency.id.in_(sorted(ids) or [0]),
                                 and_(Agency.is_active.is_(True), Agency.kind.in_(list(MINIMUM_AGENCIES)))))
        .order_by(Agency.name)).scalars().all()


def _from_summaries(report: Report, counts: summaries.Totals) -> None:
    report.held = counts.of(summaries.HELD)[0]
    by_agency, by_kind = _attendance_tallies(counts)
    actions: dict[int, dict[str, int]] = {}
    for agency_id, state, n, _ in counts.rows(summaries.ACTIONS):
        actions.setdefault(agency_id, {})[state] = n
    agencies = _agencies(set(by_agency) | set(actions))
    _attendance_rows(report, by_agency, by_kind, agencies)

    report.decisions = counts.of(summaries.DECISIONS)[0]
    report.gap_decisions = counts.of(summaries.GAP_DECISIONS)[0]
    report.gap_discussions = counts.of(summaries.GAP_DISCUSSIONS)[0]
    report.gap_by_agency = {label: counts.of(summaries.GAP_BY_AGENCY, 0, label)[0]
                            for label in MINIMUM_AGENCIES.values()}
    report.outcomes = [(label, counts.of(summaries.OUTCOME, 0, key)[0]) for key, label in OUTCOMES.items()]
    report.icpc_counts = {key: counts.of(summaries.ICPC, 0, key)[0] for key in ICPC_STATUS}

    # by the owning agency's name, as the live figures group them
    names = {a.id: a.name for a in agencies}
    by_name: dict[str, ActionsByAgency] = {}
    for agency_id, states in actions.items():
        row = by_name.setdefault(names[agency_id], ActionsByAgency(names[agency_id]))
        row.open += states.get("open", 0)
        row.overdue += states.get("overdue", 0)
        row.done += states.get("done", 0)
        row.done_late += states.get("done_late", 0)
        row.cancelled += states.get("cancelled", 0)
    report.actions = [by_name[name] for name in sorted(by_name)]


# --- The same figures counted from the records: what the summaries are checked against, and the SELECTs they are
# worked out with -----------------------------------------------------------------------------------------------


def compute_live(start: date, end: date, *, user, at: datetime, today: date) -> Report:
    """Every figure counted from the records themselves (reads the whole period: for tests and checks)."""
    report = Report(start=start, end=end)
    where = _in_period(start, end)
    report.held = db.session.execute(select(func.count()).select_from(StrategyDiscussion).where(*where)).scalar_one()
    _attendance(report, where)
    _decision_figures(report, where, today)
    _gap_list(report, where, user)
    _icpc_list(report, where, user, today)
    _actions(report, where, at)
    return report


def attendance_only_live(start: date, end: date) -> Report:
    """The agency attendance table alone, counted from the records."""
    report = Report(start=start, end=end)
    where = _in_period(start, end)
    report.held = db.session.execute(select(func.count()).select_from(StrategyDiscussion).where(*where)).scalar_one()
    _attendance(report, where)
    return report
