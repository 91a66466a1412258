"""The practice-learning report: the briefing's questions, each answered with a figure, a trend and a list.

Every question is the same shape: a SELECT of the records it is about, each with the instant (or date) that puts
it in a period, whether it is counted (`counted`, 0 or 1) and whether it met the standard (a 0-or-1 column, `met`
or a name when several questions share the records). The database adds them up, for the period and by quarter
(GROUP BY a CASE over the quarter boundaries) in one statement, and the same SELECT, limited to what the reader may
see, is the list behind the figure. No record is read into Python to be counted. Working-day deadlines are looked up
in a small calendar of due dates sent with the query (`sql.calendar`, joined on the record's London date), so each
record is compared with its own deadline in SQL.

The page does not run these statements itself: the scheduler runs the same SELECTs grouped by day into summary
tables (`summaries.py`), and `compute` adds up the period's day rows; `compute_live`, `answer` and `answer_together`
count from the records, to check the summaries against. The lists behind the figures (`listed`) are read live.

The rules behind each figure are in README.md ("Practice-learning report") and in `QUESTIONS` below.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from ..auth.models import Agency
from ..children.characteristics import DISABILITY_GROUPS, ETHNIC_GROUP_OF, ETHNIC_GROUPS
from ..children.models import GENDERS, Child
from ..clock import london_datetime
from ..differences.access import difference_scope
from ..differences.models import DifferenceStage, ProfessionalDifference, Status
from ..discussions import thresholds
from ..discussions.access import discussion_scope
from ..discussions.models import DiscussionChild, InformationShared, Invitation, StrategyDiscussion, ThresholdDecision
from ..discussions.services import setting
from ..extensions import db
from ..missing.access import missing_scope
from ..missing.models import MissingEpisode, PoliceProtection, ReturnInterview, RhiStatus
from ..workdays import is_working_day
from . import learning_rules as rules
from . import sql, summaries
from .figures import HELD

#: the longest list shown behind one figure (narrow the period for more)
LIST_LIMIT = 500


@dataclass(frozen=True)
class Window:
    """The bounds the records are counted between: instants for most questions, dates for a few."""

    start: date
    end: date  # inclusive
    now: datetime
    today: date

    @property
    def lo(self) -> datetime:
        return london_datetime(self.start)

    @property
    def hi(self) -> datetime:
        return london_datetime(self.end + timedelta(days=1))


def _flag(condition):
    return case((condition, 1), else_=0)


def _counted(condition):
    """Every record counts unless a condition says which do (e.g. only those due by now)."""
    return literal(1) if condition is None else _flag(condition)


def _met(condition, counted):
    """Only a counted record can meet the standard."""
    return _flag(condition if counted is None else and_(counted, condition))


def _held(window: Window, sd=StrategyDiscussion) -> list:
    return [sd.status.in_(HELD), sd.scheduled_at >= window.lo, sd.scheduled_at < window.hi]


# --- The questions ------------------------------------------------------------------------------------------------
# Each builder returns SELECT record_id, at, counted, met (or named columns) for the records in `window`, limited to
# `user`'s scope when one is given (the list behind a figure), never when counting (the figures are the
# partnership's).


def _discussions(met, *, user=None, window: Window, counted=None, extra=()):
    query = select(StrategyDiscussion.id.label("record_id"), StrategyDiscussion.scheduled_at.label("at"),
                   _counted(counted).label("counted"), _met(met, counted).label("met")).where(*_held(window), *extra)
    return query.where(discussion_scope(user)) if user is not None else query


def police_at_discussions(window, user=None):
    """One pass over the discussions held answers the four police questions: were they there, and did they answer
    on convictions, intelligence and other force areas (shared, or checked and nothing held)."""
    sd = StrategyDiscussion
    there = (select(Invitation.id).join(Agency, Agency.id == Invitation.agency_id)
             .where(Invitation.discussion_id == sd.id, Agency.kind == "police", Invitation.status == "attended")
             .exists())

    def answered(topic: str):
        return (select(InformationShared.id)
                .where(InformationShared.discussion_id == sd.id, InformationShared.topic == topic).exists())

    query = (select(sd.id.label("record_id"), sd.scheduled_at.label("at"), literal(1).label("counted"),
                    _flag(there).label("attended"), _flag(answered("police_convictions")).label("convictions"),
                    _flag(answered("police_intelligence")).label("intelligence"),
                    _flag(answered("police_other_forces")).label("other_forces"))
             .where(*_held(window)))
    return query.where(discussion_scope(user)) if user is not None else query


def _close_of_business(day: date) -> datetime:
    """17:00 London on `day`, as thresholds.assessment_due_at gives it for the 45th working day."""
    close = thresholds.CLOSE_OF_BUSINESS
    return london_datetime(day, close.hour, close.minute)


def _midnight_after(day: date) -> datetime:
    return london_datetime(day + timedelta(days=1))


def held_in_time(window, user=None):
    # Each discussion meets its own deadline in SQL: its London date of the decision to convene is looked up in a
    # calendar of deadlines (an equality join). The calendar starts 60 days before the window: a decision made
    # earlier than that cannot be on time (the timescale is at most 3 working days), and with no calendar day it
    # counts as late, as it should.
    working_days = max(0, min(setting("DISCUSSION_WITHIN_WORKING_DAYS", 1), 3))
    first = window.start - timedelta(days=60)
    latest = rules.working_day_deadlines(first, window.end, working_days, is_working_day)
    calendar = sql.calendar("hold_calendar", {"day": "date", "standard_end": "instant", "urgent_end": "instant"},
                            [(day, _midnight_after(due), _midnight_after(day)) for day, due in latest.items()])
    sd = StrategyDiscussion
    end = case((sd.urgency == "urgent", calendar.c.urgent_end), else_=calendar.c.standard_end)
    query = (select(sd.id.label("record_id"), sd.scheduled_at.label("at"), literal(1).label("counted"),
                    _flag(sd.scheduled_at < end).label("met"))
             .outerjoin(calendar, calendar.c.day == sql.london_date(sd.convene_decided_at))
             .where(*_held(window)))
    return query.where(discussion_scope(user)) if user is not None else query


def minutes_in_time(window, user=None):
    sd = StrategyDiscussion
    circulated = sd.circulated_at.is_not(None)
    return _discussions(and_(circulated, sd.circulated_at <= sd.circulation_due_at), user=user, window=window,
                        counted=or_(circulated, sd.circulation_due_at <= window.now))


def children_seen_and_heard(window, user=None):
    """One pass over the children (not unborn) at discussions held: seen, seen alone, their words recorded."""
    link = DiscussionChild
    query = (select(StrategyDiscussion.id.label("record_id"), StrategyDiscussion.scheduled_at.label("at"),
                    literal(1).label("counted"), _flag(link.child_seen == "yes").label("seen"),
                    _flag(link.seen_alone == "yes").label("seen_alone"), _flag(link.child_said != "").label("voice"))
             .select_from(link).join(StrategyDiscussion, StrategyDiscussion.id == link.discussion_id)
             .join(Child, Child.id == link.child_id)
             .where(*_held(window), Child.is_unborn.is_(False)))
    return query.where(discussion_scope(user)) if user is not None else query


def _decisions(met, *, counted=None, extra=()):
    def build(window, user=None):
        d = ThresholdDecision
        counts = counted(window) if callable(counted) else counted
        query = (select(StrategyDiscussion.id.label("record_id"), StrategyDiscussion.scheduled_at.label("at"),
                        _counted(counts).label("counted"), _met(met, counts).label("met"))
                 .select_from(d).join(StrategyDiscussion, StrategyDiscussion.id == d.discussion_id)
                 .where(*_held(window), *extra))
        return query.where(discussion_scope(user)) if user is not None else query
    return build


_d = ThresholdDecision
icpc_in_time = _decisions(
    _d.icpc_date <= _d.icpc_due_on,
    counted=lambda window: or_(_d.icpc_date.is_not(None), _d.icpc_due_on < window.today),
    extra=(_d.starts_enquiry.is_(True), _d.icpc_status != "ended"))
abe_joint = _decisions(_d.abe_joint.is_(True), extra=(_d.abe_planned == "yes",))
intermediary_considered = _decisions(_d.intermediary_considered == "yes", extra=(_d.abe_planned == "yes",))


def assessment_in_time(window, user=None):
    # One assessment per child per referral, however many discussions decided about it: the earliest completion
    # recorded on any of them stops the clock. Counted by the date the referral was received.
    d = ThresholdDecision
    per_referral = (select(func.min(StrategyDiscussion.id).label("record_id"),
                           StrategyDiscussion.referral_received_on.label("at"),
                           func.min(d.assessment_completed_at).label("completed_at"))
                    .select_from(d).join(StrategyDiscussion, StrategyDiscussion.id == d.discussion_id)
                    .where(StrategyDiscussion.status.in_(HELD), d.outcome.in_(sorted(thresholds.ASSESSMENT_OUTCOMES)),
                           StrategyDiscussion.referral_received_on >= window.start,
                           StrategyDiscussion.referral_received_on <= window.end)
                    .group_by(d.child_id, StrategyDiscussion.referral_received_on))
    if user is not None:
        per_referral = per_referral.where(discussion_scope(user))
    per_referral = per_referral.subquery()
    due = rules.working_day_deadlines(window.start, window.end, thresholds.ASSESSMENT_WORKING_DAYS, is_working_day)
    calendar = sql.calendar("assessment_calendar", {"day": "date", "due_at": "instant"},
                            [(day, _close_of_business(on)) for day, on in due.items()])
    done = per_referral.c.completed_at.is_not(None)
    return (select(per_referral.c.record_id, per_referral.c.at,
                   _flag(or_(done, calendar.c.due_at <= window.now)).label("counted"),
                   _flag(and_(done, per_referral.c.completed_at <= calendar.c.due_at)).label("met"))
            .join(calendar, calendar.c.day == per_referral.c.at))


def rhi_in_time(window, user=None):
    r = ReturnInterview
    query = (select(r.id.label("record_id"), r.returned_at.label("at"),
                    _flag(or_(r.status != RhiStatus.OPEN.value, r.due_at <= window.now)).label("counted"),
                    _flag(r.completed_in_time.is_(True)).label("met"))
             .where(r.returned_at >= window.lo, r.returned_at < window.hi))
    return query.where(missing_scope(user, r.child_id)) if user is not None else query


def protection_in_time(window, user=None):
    p = PoliceProtection
    ended = p.ended_at.is_not(None)
    query = (select(p.id.label("record_id"), p.started_at.label("at"),
                    _flag(or_(ended, p.ends_at <= window.now)).label("counted"),
                    _flag(and_(ended, p.ended_at <= p.ends_at, p.breached.is_(False))).label("met"))
             .where(p.started_at >= window.lo, p.started_at < window.hi))
    return query.where(missing_scope(user, p.child_id)) if user is not None else query


#: aliases built once (each `aliased()` proxies every column of its table, about a millisecond a call)
_EPISODE_IN_WINDOW = aliased(MissingEpisode, name="episode_in_window")
_EARLIER_LINK = aliased(DiscussionChild, name="earlier_link")
_EARLIER = aliased(StrategyDiscussion, name="earlier_discussion")
_IN_WINDOW = aliased(StrategyDiscussion, name="discussion_in_window")
_WINDOW_LINK = aliased(DiscussionChild, name="window_link")


def _episodes(window, user=None):
    # "Missing before" is "after the child's first episode": one grouped pass finds each child's first, where a
    # search for an earlier episode of each episode's child would look again for every episode.
    e, in_window = MissingEpisode, _EPISODE_IN_WINDOW
    # only the children with an episode in the window: the summaries' refresh asks a month at a time
    children = select(in_window.child_id).where(in_window.reported_missing_at >= window.lo,
                                                in_window.reported_missing_at < window.hi)
    first = (select(e.child_id.label("child_id"), func.min(e.reported_missing_at).label("first_reported"))
             .where(e.reported_missing_at < window.hi, e.child_id.in_(children)).group_by(e.child_id).subquery())
    query = (select(e.id.label("record_id"), e.reported_missing_at.label("at"), literal(1).label("counted"),
                    _flag(e.reported_missing_at > first.c.first_reported).label("met"))
             .join(first, first.c.child_id == e.child_id)
             .where(e.reported_missing_at >= window.lo, e.reported_missing_at < window.hi))
    return query.where(missing_scope(user, e.child_id)) if user is not None else query


def _differences(met, counted=None):
    def build(window, user=None):
        pd = ProfessionalDifference
        query = (select(pd.id.label("record_id"), pd.raised_at.label("at"), _counted(counted).label("counted"),
                        _met(met, counted).label("met"))
                 .where(pd.raised_at >= window.lo, pd.raised_at < window.hi))
        return query.where(difference_scope(user)) if user is not None else query
    return build


_pd = ProfessionalDifference
escalated = _differences(exists().where(DifferenceStage.difference_id == _pd.id, DifferenceStage.number > 1))
resolved_in_time = _differences(
    ~exists().where(DifferenceStage.difference_id == _pd.id, DifferenceStage.closed_at > DifferenceStage.due_at),
    counted=_pd.status == Status.RESOLVED.value)


def repeat_discussions(window, user=None):
    # "Discussed before" is "after the child's first held discussion", found in one grouped pass (as _episodes).
    link, earlier_link, earlier = DiscussionChild, _EARLIER_LINK, _EARLIER
    in_window, window_link = _IN_WINDOW, _WINDOW_LINK
    # only the children at a discussion held in the window: the summaries' refresh asks a month at a time
    children = (select(window_link.child_id).join(in_window, in_window.id == window_link.discussion_id)
                .where(*_held(window, in_window)))
    first = (select(earlier_link.child_id.label("child_id"), func.min(earlier.scheduled_at).label("first_held"))
             .join(earlier, earlier.id == earlier_link.discussion_id)
             .where(earlier.status.in_(HELD), earlier.scheduled_at < window.hi, earlier_link.child_id.in_(children))
             .group_by(earlier_link.child_id).subquery())
    again = StrategyDiscussion.scheduled_at > first.c.first_held
    query = (select(StrategyDiscussion.id.label("record_id"), StrategyDiscussion.scheduled_at.label("at"),
                    literal(1).label("counted"), _flag(again).label("met"))
             .select_from(link).join(StrategyDiscussion, StrategyDiscussion.id == link.discussion_id)
             .join(Child, Child.id == link.child_id).join(first, first.c.child_id == link.child_id)
             .where(*_held(window), Child.is_unborn.is_(False), StrategyDiscussion.kind == "initial"))
    return query.where(discussion_scope(user)) if user is not None else query


# --- What the page asks --------------------------------------------------------------------------------------------

#: what a record in a list links to
LINKS = {"discussion": ("discussions.show", "discussion_id"), "episode": ("missing.episode", "episode_id"),
         "interview": ("missing.return_interview", "rhi_id"), "protection": ("missing.police_protection", "pp_id"),
         "difference": ("differences.show", "difference_id")}


@dataclass(frozen=True)
class Question:
    key: str
    theme: str
    question: str
    measure: str  # what "met" means, as a column heading and in the figure's sentence
    rule: str  # how the figure is worked out, for the page and the README
    build: Callable
    link: str = "discussion"
    by_date: bool = False  # counted by a date (not an instant)
    #: the column of `build`'s rows that says whether a record met the standard (questions answered from the same
    #: records share one builder, and are counted in one statement)
    column: str = "met"
    #: "higher is better" unless a figure counts something that should be rare (repeats, escalations)
    higher_is_better: bool = True


THEMES = [("police", "Police at strategy discussions"), ("timeliness", "Timeliness"),
          ("child", "The child seen and heard"), ("missing", "Missing children and police protection"),
          ("differences", "Professional differences"), ("repeats", "Children coming back")]

QUESTIONS: list[Question] = [
    Question("police-attended", "police", "Were police at strategy discussions?",
             "Police attended",
             "Discussions held in the period (convened or decided; not drafts or cancelled) at which a police "
             "invitee's attendance was recorded as attended.", police_at_discussions, column="attended"),
    Question("police-convictions", "police", "Did police share what they hold on previous convictions?",
             "Police answered on convictions",
             "Discussions held at which police convictions were recorded as shared, or recorded as checked with "
             "nothing held.", police_at_discussions, column="convictions"),
    Question("police-intelligence", "police", "Did police share their intelligence?",
             "Police answered on intelligence",
             "Discussions held at which police intelligence was recorded as shared or checked with nothing held.",
             police_at_discussions, column="intelligence"),
    Question("police-other-forces", "police", "Did police check other force areas?",
             "Police answered on other force areas",
             "Discussions held at which incidents in other police force areas were recorded as shared or checked "
             "with nothing held.", police_at_discussions, column="other_forces"),
    Question("held-in-time", "timeliness", "Was the discussion held within the partnership's timescale?",
             "Held in time",
             "Discussions held, by whether they were held by the end of the latest day allowed after the decision "
             "to convene (urgent: the same day; otherwise DISCUSSION_WITHIN_WORKING_DAYS working days, at most 3), "
             "London dates.", held_in_time),
    Question("minutes-in-time", "timeliness", "Were the minutes circulated within 1 working day?",
             "Circulated in time",
             "Discussions held whose minutes were circulated, or were due by now, by whether they were circulated "
             "by the due time recorded (17:00 on the MINUTES_CIRCULATION_WORKING_DAYS-th working day).",
             minutes_in_time),
    Question("icpc-in-time", "timeliness", "Was the initial child protection conference held within 15 working days?",
             "Conference in time",
             "Section 47 enquiries started at a discussion held in the period (not reviews, not enquiries that ended "
             "with no conference needed) with a conference date recorded or past their due date, by whether the "
             "conference date is on or before the due date.", icpc_in_time),
    Question("assessment-in-time", "timeliness", "Was the assessment completed within 45 working days?",
             "Completed in time",
             "One assessment per child per referral (a section 17 or 47 decision), counted by the date the referral "
             "was received, completed or past its due time (17:00 on the 45th working day), by whether completion "
             "was recorded by then.", assessment_in_time, by_date=True),
    Question("child-seen", "child", "Was the child seen?", "Seen",
             "Children (not unborn) at discussions held, by whether the child was recorded as seen.",
             children_seen_and_heard, column="seen"),
    Question("child-seen-alone", "child", "Was the child seen alone?", "Seen alone",
             "Children (not unborn) at discussions held, by whether the child was recorded as seen alone.",
             children_seen_and_heard, column="seen_alone"),
    Question("child-voice", "child", "Is the child's voice recorded?", "Child's words recorded",
             "Children (not unborn) at discussions held, by whether what the child said was recorded in their words.",
             children_seen_and_heard, column="voice"),
    Question("abe-joint", "child", "Were ABE interviews planned as a joint agency activity?", "Joint",
             "Decisions with an Achieving Best Evidence interview planned, by whether it was planned as joint "
             "(police and children's social care).", abe_joint),
    Question("abe-intermediary", "child", "Was an intermediary considered for ABE interviews?",
             "Intermediary considered",
             "Decisions with an ABE interview planned, by whether an intermediary was recorded as considered.",
             intermediary_considered),
    Question("rhi-in-time", "missing", "Were return home interviews held within 72 hours?", "Within 72 hours",
             "Return home interviews for children who returned in the period, completed, closed as not held or "
             "past their due time, by whether completed within 72 hours of the return.", rhi_in_time,
             link="interview"),
    Question("protection-in-time", "missing", "Did police protection end within 72 hours?", "Ended within 72 hours",
             "Police protection started in the period, ended or past its 72 hours, by whether it ended within "
             "72 hours with no breach recorded.", protection_in_time, link="protection"),
    Question("differences-escalated", "differences", "Were differences escalated beyond the first stage?",
             "Escalated", "Professional differences raised in the period, by whether a second or later stage was "
             "opened.", escalated, link="difference", higher_is_better=False),
    Question("differences-in-time", "differences", "Were differences resolved within each stage's timescale?",
             "Resolved within every stage's timescale",
             "Differences raised in the period and resolved, by whether every stage closed by its due time.",
             resolved_in_time, link="difference"),
    Question("repeat-discussions", "repeats", "Are the same children coming back to strategy discussions?",
             "Discussed before",
             "Children at initial discussions held in the period, by whether they had been at an earlier held "
             "discussion (any time before).", repeat_discussions, higher_is_better=False),
    Question("repeat-missing", "repeats", "Are the same children going missing again?", "Missing before",
             "Missing episodes reported in the period, by whether the child had been reported missing before "
             "(any time before).", _episodes, link="episode", higher_is_better=False),
]
BY_KEY = {q.key: q for q in QUESTIONS}

#: the briefing's questions this service does not record the answer to: the page says so rather than guess
NOT_RECORDED = [
    "Whether police made a safeguarding referral after attending an incident (for example domestic abuse): "
    "incidents that led to no referral are not recorded here.",
    "Whether the police contribution went beyond sharing information to evaluating risk and planning: the "
    "record holds what was shared and decided, not how each agency took part.",
    "Whether information about previous relationships abroad was sought: only other force areas are asked.",
]


@dataclass
class Answer:
    question: Question
    figure: rules.Figure
    trend: list[tuple[rules.Quarter, rules.Figure]] = field(default_factory=list)


@dataclass
class Breakdown:
    """The children discussed in the period by one characteristic: how many, and of them how many had a section 47
    enquiry decided."""

    key: str
    title: str
    heading: str
    children: list[tuple[str, int]]
    section_47: list[tuple[str, int]]


@dataclass
class Report:
    start: date
    end: date
    quarters: list[rules.Quarter]
    answers: list[Answer] = field(default_factory=list)
    stages: list[tuple[int, rules.Figure]] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    #: each agency's attendance at discussions held in the period (figures.AgencyAttendance), for its chart
    attendance: list = field(default_factory=list)

    def by_theme(self) -> list[tuple[str, str, list[Answer]]]:
        return [(key, label, [a for a in self.answers if a.question.theme == key]) for key, label in THEMES]


def _bucket(at, quarters: list[rules.Quarter], by_date: bool):
    """The quarter a record falls in (0 to 7), -1 before the first and 8 after the last (the period may be longer)."""
    def bound(day: date):
        return day if by_date else london_datetime(day)
    return case((at < bound(quarters[0].start), -1),
                *((at < bound(q.end + timedelta(days=1)), index) for index, q in enumerate(quarters)),
                else_=len(quarters))


def answer_together(questions: list[Question], start: date, end: date, *, now: datetime, today: date,
                    quarters: list[rules.Quarter]) -> list[Answer]:
    """The figures for the period and each quarter of questions answered from the same records, in one statement:
    the records of the period and the quarters together, summed by quarter, with the period's share summed
    alongside."""
    first = questions[0]
    window = Window(min(start, quarters[0].start), max(end, quarters[-1].end), now, today)
    rows = first.build(window).subquery()
    if first.by_date:
        in_period = and_(rows.c.at >= start, rows.c.at <= end)
    else:
        in_period = and_(rows.c.at >= london_datetime(start), rows.c.at < london_datetime(end + timedelta(days=1)))
    bucket = _bucket(rows.c.at, quarters, first.by_date).label("quarter")
    sums = [rows.c.counted] + [rows.c[q.column] for q in questions]
    statement = select(bucket, *(func.sum(c) for c in sums),
                       *(func.sum(case((in_period, c), else_=0)) for c in sums)).group_by(bucket)
    by_quarter: dict[int, list[int]] = {}
    period = [0] * len(sums)
    for index, *totals in db.session.execute(statement):
        by_quarter[int(index)] = [int(n) for n in totals[:len(sums)]]
        period = [a + int(b) for a, b in zip(period, totals[len(sums):], strict=True)]
    answers = []
    for position, q in enumerate(questions, start=1):
        result = Answer(q, rules.Figure(period[position], period[0]))
        result.trend = [(quarter, rules.Figure(by_quarter[i][position], by_quarter[i][0]) if i in by_quarter
                         else rules.Figure()) for i, quarter in enumerate(quarters)]
        answers.append(result)
    return answers


def answer(q: Question, start: date, end: date, *, now: datetime, today: date,
           quarters: list[rules.Quarter]) -> Answer:
    return answer_together([q], start, end, now=now, today=today, quarters=quarters)[0]


def stage_figures(start: date, end: date) -> list[tuple[int, rules.Figure]]:
    """For differences raised in the period: each stage's closings, and how many closed by their due time."""
    window = Window(start, end, datetime.min, start)
    s, pd = DifferenceStage, ProfessionalDifference
    rows = db.session.execute(
        select(s.number, func.sum(_flag(s.closed_at <= s.due_at)), func.count(s.id))
        .join(pd, pd.id == s.difference_id)
        .where(pd.raised_at >= window.lo, pd.raised_at < window.hi, s.closed_at.is_not(None))
        .group_by(s.number).order_by(s.number))
    return [(number, rules.Figure(int(met), int(closed))) for number, met, closed in rows]


_NOT_RECORDED = "not_recorded"
#: (key, title, column heading, groups in order, the group of a row of (date of birth, unborn, gender, ethnicity
#: code, disability) on the period's last day)
_BREAKDOWNS = [
    ("age", "Children discussed, by age band", "Age band (at the end of the period)", rules.AGE_BANDS,
     lambda row, end: rules.age_band(row[0], row[1], end)),
    ("sex", "Children discussed, by sex", "Sex (as recorded)", GENDERS, lambda row, end: row[2] or "unknown"),
    ("ethnicity", "Children discussed, by ethnicity", "Ethnicity (census main category)", ETHNIC_GROUPS,
     lambda row, end: ETHNIC_GROUP_OF.get(row[3], _NOT_RECORDED)),
    ("disability", "Children discussed, by disability", "Disability", DISABILITY_GROUPS,
     lambda row, end: row[4] or _NOT_RECORDED),
]


#: breakdowns already worked out, by (start, end, the summaries' last refresh slice): "each child
#: once" cannot be added up from daily counts, so a period's breakdowns read one row per child discussed in it
#: (summaries.children_by_group); kept in this process until the summaries are next refreshed, so a period is
#: worked out once per refresh rather than on every view. Small (a few dozen counts each, no child's details).
_BREAKDOWN_CACHE: OrderedDict[tuple, list[Breakdown]] = OrderedDict()
_BREAKDOWN_CACHE_SIZE = 64
_cache_lock = threading.Lock()


def breakdowns(start: date, end: date, refreshed: str | None = None) -> list[Breakdown]:
    """Each child discussed at a discussion held in the period counts once, in the group their record gives: from
    the summaries' child links (one per child per day), joined to the children's records. With `refreshed` (the
    summaries' last slice, Freshness.slice_id) the answer is kept and given again until they are refreshed again."""
    key = (start, end, refreshed)
    if refreshed is not None:
        with _cache_lock:
            found = _BREAKDOWN_CACHE.get(key)
            if found is not None:
                _BREAKDOWN_CACHE.move_to_end(key)
                return found
    found = _breakdowns(summaries.children_by_group(start, end), end)
    if refreshed is not None:
        with _cache_lock:
            _BREAKDOWN_CACHE[key] = found
            while len(_BREAKDOWN_CACHE) > _BREAKDOWN_CACHE_SIZE:
                _BREAKDOWN_CACHE.popitem(last=False)
    return found


def breakdowns_live(start: date, end: date) -> list[Breakdown]:
    """The same, from the discussions themselves. One statement counts the children by every recorded answer
    together (by date of birth for ages, banded here on the period's last day); a child has one of each, so each
    breakdown is the sum of those counts."""
    window = Window(start, end, datetime.min, start)
    d = ThresholdDecision
    section_47 = case((d.outcome.in_(sorted(thresholds.SECTION_47)), DiscussionChild.child_id))
    columns = (Child.date_of_birth, Child.is_unborn, Child.gender, Child.ethnicity_code, Child.disability_status)
    rows = db.session.execute(
        select(*columns, func.count(func.distinct(DiscussionChild.child_id)), func.count(func.distinct(section_47)))
        .select_from(DiscussionChild)
        .join(StrategyDiscussion, StrategyDiscussion.id == DiscussionChild.discussion_id)
        .join(Child, Child.id == DiscussionChild.child_id)
        .outerjoin(d, and_(d.discussion_id == DiscussionChild.discussion_id,
                           d.child_id == DiscussionChild.child_id))
        .where(*_held(window)).group_by(*columns)).all()
    return _breakdowns(rows, end)


def _breakdowns(rows, end: date) -> list[Breakdown]:
    found = []
    for key, title, heading, groups, group_of in _BREAKDOWNS:
        grouped = [(group_of(row, end), row[-2], row[-1]) for row in rows]
        keys, labels = [k for k, _ in groups], dict(groups)
        children = rules.tally(((g, n) for g, n, _ in grouped), keys)
        started = rules.tally(((g, s47) for g, _, s47 in grouped), keys)
        found.append(Breakdown(key, title, heading, [(labels.get(g, g), n) for g, n in children],
                               [(labels.get(g, g), n) for g, n in started]))
    return found


#: every figure the practice-learning report adds up from the summaries (its questions, the stages, attendance)
SUMMARY_FIGURES = [q.key for q in QUESTIONS] + [summaries.STAGES, summaries.HELD, summaries.ATTENDANCE,
                                                summaries.ATTENDANCE_BY_KIND]


def summarised_answers(counts: summaries.Totals, quarters: list[rules.Quarter],
                       questions: list[Question] = QUESTIONS) -> list[Answer]:
    """Each question's figure for the period and its quarters, from summed day rows."""
    answers = []
    for q in questions:
        counted, met = counts.of(q.key)
        result = Answer(q, rules.Figure(met, counted))
        result.trend = [(quarter, rules.Figure(*reversed(counts.in_quarter(i, q.key))))
                        for i, quarter in enumerate(quarters)]
        answers.append(result)
    return answers


def compute(start: date, end: date, *, now: datetime, today: date, refreshed: str | None = None) -> Report:
    """The report from the summaries (as at their last refresh: `now` and `today` are what they were worked out
    with, see summaries.refresh): one statement for every figure and its trend, one for the breakdowns (none when
    they were worked out for this period since the summaries' last refresh slice, `refreshed`)."""
    from .figures import attendance_only

    quarters = rules.trend_quarters(end)
    report = Report(start, end, quarters)
    counts = summaries.totals(start, end, SUMMARY_FIGURES, quarters)
    report.answers = summarised_answers(counts, quarters)
    report.stages = sorted((int(number), rules.Figure(met, closed))
                           for _, number, closed, met in counts.rows(summaries.STAGES))
    report.breakdowns = breakdowns(start, end, refreshed)
    report.attendance = attendance_only(start, end, counts).agencies
    return report


def compute_live(start: date, end: date, *, now: datetime, today: date) -> Report:
    """The report counted from the records themselves (what the summaries are checked against)."""
    from .figures import attendance_only_live

    quarters = rules.trend_quarters(end)
    report = Report(start, end, quarters)
    together: dict[Callable, list[Question]] = {}
    for q in QUESTIONS:
        together.setdefault(q.build, []).append(q)
    found = {a.question.key: a for questions in together.values()
             for a in answer_together(questions, start, end, now=now, today=today, quarters=quarters)}
    report.answers = [found[q.key] for q in QUESTIONS]
    report.stages = stage_figures(start, end)
    report.breakdowns = breakdowns_live(start, end)
    report.attendance = attendance_only_live(start, end).agencies
    return report


@dataclass
class ListedRecord:
    record_id: int
    at: datetime | date | None
    met: bool


def listed(q: Question, start: date, end: date, *, user, now: datetime, today: date,
           limit: int = LIST_LIMIT) -> list[ListedRecord]:
    """The records counted in a figure that `user` may see, oldest first, each with whether it met the standard."""
    rows = q.build(Window(start, end, now, today), user).subquery()
    return [ListedRecord(record_id, at, bool(met)) for record_id, at, met in db.session.execute(
        select(rows.c.record_id, rows.c.at, rows.c[q.column]).where(rows.c.counted == 1)
        .order_by(rows.c.at, rows.c.record_id).limit(limit))]

