"""Partnership reports: strategy discussion figures for a period, and links to the other features' figures."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from .. import audit, charts, suppression
from ..auth.access import deny, require
from ..auth.models import Role
from ..clock import london_today, now
from ..exports import csv_response
from ..extensions import db
from . import figures, index_charts, learning, learning_charts, summaries
from . import learning_rules as rules
from .forms import PeriodForm
from ..periods import last_full_quarter

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
def _plan_for_the_period_asked() -> None:
    """PostgreSQL: plan each of the reports' statements for the period it is run with, in this request's
    transaction. A prepared statement moves to one generic plan for any period after five runs, and for these (a
    period's summary rows, its discussions and decisions) that plan was slower: timed side by side at ten times the
    largest partnership, the practice-learning report 56 ms against 30 and the figures 36 against 31."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _period() -> tuple[PeriodForm, tuple | None]:
    """The chosen period, the last full quarter when none is given, or None (with errors) when it is wrong."""
    if "start" not in request.args and "end" not in request.args:
        form = PeriodForm(formdata=None)
        form.start.data, form.end.data = last_full_quarter(london_today())
        return form, (form.start.data, form.end.data)
    form = PeriodForm(request.args)
    if form.validate():
        return form, (form.start.data, form.end.data)
    return form, None


def _other_figures() -> list[tuple[str, str, str]]:
    pages = [("reports.practice_learning", "Practice-learning report",
              "The serious case review briefing's questions: a figure, the trend over 8 quarters and the records "
              "behind each, with charts"),
             ("missing.figures", "Return home interview figures",
              "Children returned after going missing: interviews offered, accepted and completed within 72 hours"),
             ("differences.figures", "Professional differences: figures",
              "Differences raised, by agency, highest stage reached, time to resolution and themes"),
             ("census.index", "Children in need census: section 47 items",
              "Section 47 enquiries and initial conferences with the census's item names and validation rules")]
    return [(endpoint, text, about) for endpoint, text, about in pages if endpoint in current_app.view_functions]


def _freshness(first, last) -> summaries.Freshness:
    """Whether the summaries cover these days, and as at when (the line every report shows above its figures)."""
    cfg = current_app.config
    return summaries.freshness(first, last, london_today(), refresh_minutes=cfg["FIGURES_REFRESH_MINUTES"],
                               recent_days=cfg["FIGURES_RECENT_DAYS"])


def _index_page(form, report=None, period=None, status=200, freshness=None):
    return render_template("reports/index.html", form=form, report=report, period=period,
                           other_figures=_other_figures(), icpc_status=figures.ICPC_STATUS,
                           icpc_tags=figures.ICPC_TAGS, charts=index_charts.all_charts(report) if report else {},
                           render_chart=charts.render, render_table=charts.table, shown=suppression.shown,
                           share=suppression.share_text, suppression_note=suppression.SUPPRESSION_NOTE,
                           period_args=_period_args(period) if period else {}, freshness=freshness), status


@bp.route("/")
@require("reports.view")
def index():
    form, period = _period()
    report = freshness = None
    if period:
        freshness = _freshness(*period)
        if freshness.built:
            report = figures.compute(*period, user=current_user, at=now(), today=london_today())
        audit.record("report_view", "strategy_discussion_report", None,
                     detail=f"{period[0].isoformat()} to {period[1].isoformat()}")
        audit.commit_view()
    return _index_page(form, report, period, freshness=freshness)


@bp.route("/tables/<key>.csv")
@require("reports.view")
def index_table(key: str):
    """One of the strategy discussion figures tables as CSV: the same rows, with the same numbers withheld, as the
    page shows."""
    form, period = _period()
    if not period:
        return _index_page(form, status=400)
    freshness = _freshness(*period)
    if not freshness.built:
        # a period whose summaries are not worked out yet: the page says so, rather than a CSV of zeros
        return _index_page(form, period=period, status=409, freshness=freshness)
    report = figures.compute(*period, user=current_user, at=now(), today=london_today())
    chart = index_charts.all_charts(report).get(key)
    if chart is None:
        abort(404)
    audit.record("report_view", "strategy_discussion_csv", None, detail=f"{key}: {_detail(period)}"[:300])
    audit.commit_view()
    header, rows = charts.table_rows(chart)
    return csv_response(f"{key}-{period[0].isoformat()}-to-{period[1].isoformat()}.csv", header, rows)


@bp.route("/attendance.csv")
@require("reports.view")
def attendance_csv():
    """Attendance by agency as CSV, where the link used to lead (the table of /tables/attendance.csv)."""
    return index_table("attendance-by-agency")


# --- The practice-learning report ---------------------------------------------------------------------------------


def _period_args(period) -> dict:
    start, end = period
    return {"start": [start.day, start.month, start.year], "end": [end.day, end.month, end.year]}


def _detail(period) -> str:
    return f"{period[0].isoformat()} to {period[1].isoformat()}"


def _learning_charts(report: learning.Report, period) -> dict[str, charts.Chart]:
    """Every chart on the page by its key: the page draws them and the CSV link of each serves its table."""
    found = {f"trend-{a.question.key}": learning_charts.trend_chart(a, report.start, report.end)
             for a in report.answers}
    found["agency-attendance"] = learning_charts.agency_chart(report.attendance)
    found["difference-stages"] = learning_charts.stage_chart(report.stages)
    for breakdown in report.breakdowns:
        found[f"breakdown-{breakdown.key}"] = learning_charts.breakdown_chart(breakdown)
    return found


def _practice_learning_page(form, report=None, period=None, chart_set=None, status=200, freshness=None):
    return render_template("reports/practice_learning.html", form=form, report=report, period=period,
                           charts=chart_set or {}, render_chart=charts.render, freshness=freshness,
                           period_args=_period_args(period) if period else {},
                           not_recorded=learning.NOT_RECORDED, suppression_note=rules.SUPPRESSION_NOTE), status


@bp.route("/practice-learning")
@require("reports.view")
def practice_learning():
    form, period = _period()
    if not period:
        return _practice_learning_page(form)
    freshness = _learning_freshness(period)
    report = chart_set = None
    if freshness.built:
        report = learning.compute(*period, now=now(), today=london_today(), refreshed=freshness.slice_id)
        chart_set = _learning_charts(report, period)
    audit.record("report_view", "practice_learning_report", None, detail=_detail(period))
    audit.commit_view()
    return _practice_learning_page(form, report, period, chart_set, freshness=freshness)


def _learning_freshness(period) -> summaries.Freshness:
    """The period and its trend's 8 quarters."""
    quarters = rules.trend_quarters(period[1])
    return _freshness(min(period[0], quarters[0].start), max(period[1], quarters[-1].end))


@bp.route("/practice-learning/tables/<key>.csv")
@require("reports.view")
def practice_learning_table(key: str):
    """One figures table as CSV: the same rows, with the same numbers withheld, as the page shows."""
    form, period = _period()
    if not period:
        return _practice_learning_page(form, status=400)
    freshness = _learning_freshness(period)
    if not freshness.built:
        return _practice_learning_page(form, period=period, status=409, freshness=freshness)
    report = learning.compute(*period, now=now(), today=london_today(), refreshed=freshness.slice_id)
    chart = _learning_charts(report, period).get(key)
    if chart is None:
        abort(404)
    audit.record("report_view", "practice_learning_csv", None, detail=f"{key}: {_detail(period)}"[:300])
    audit.commit_view()
    header, rows = charts.table_rows(chart)
    return csv_response(f"{key}-{period[0].isoformat()}-to-{period[1].isoformat()}.csv", header, rows)


def _question_or_404(key: str) -> learning.Question:
    question = learning.BY_KEY.get(key)
    if question is None:
        abort(404)
    return question


@bp.route("/practice-learning/<key>")
@require("reports.view")
def practice_learning_list(key: str):
    """The records behind one figure that the reader may see (their own scope; none for the business unit)."""
    question = _question_or_404(key)
    form, period = _period()
    if not period:
        return _practice_learning_page(form, status=400)
    records = learning.listed(question, *period, user=current_user, now=now(), today=london_today())
    audit.record("report_view", "practice_learning_list", None, detail=f"{key}: {_detail(period)}"[:300])
    audit.commit_view()
    endpoint, argument = learning.LINKS[question.link]
    links = {r.record_id: url_for(endpoint, **{argument: r.record_id}) for r in records}
    return render_template("reports/practice_learning_list.html", question=question, records=records, links=links,
                           period=period, period_args=_period_args(period), limit=learning.LIST_LIMIT,
                           may_download=current_user.role == Role.MANAGER.value)


@bp.route("/practice-learning/<key>.csv")
@require("reports.view")
def practice_learning_list_csv(key: str):
    """The scoped list behind a figure, for managers: record references and dates, never a child's details."""
    question = _question_or_404(key)
    if current_user.role != Role.MANAGER.value:
        deny(403)
    form, period = _period()
    if not period:
        return _practice_learning_page(form, status=400)
    records = learning.listed(question, *period, user=current_user, now=now(), today=london_today())
    audit.record("report_view", "practice_learning_list_csv", None, detail=f"{key}: {_detail(period)}"[:300])
    audit.commit_view()
    endpoint, argument = learning.LINKS[question.link]
    rows = [[r.record_id, r.at.isoformat() if r.at else "", "Yes" if r.met else "No",
             url_for(endpoint, **{argument: r.record_id})] for r in records]
    return csv_response(f"{key}-{period[0].isoformat()}-to-{period[1].isoformat()}.csv",
                        ["Record", "Date", question.measure, "Link"], rows)
