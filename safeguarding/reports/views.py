"""Partnership reports: strategy discussion figures for a period, and links to the other features' figures."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from .. import audit
from ..auth.access import require
from ..clock import london_today, now
from ..exports import csv_response
from ..extensions import db
from . import figures
from .forms import PeriodForm
from ..periods import last_full_quarter

bp = Blueprint("reports", __name__, url_prefix="/reports")


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
    pages = [("missing.figures", "Return home interview figures",
              "Children returned after going missing: interviews offered, accepted and completed within 72 hours"),
             ("differences.figures", "Professional differences: figures",
              "Differences raised, by agency, highest stage reached, time to resolution and themes"),
             ("census.index", "Children in need census: section 47 items",
              "Section 47 enquiries and initial conferences with the census's item names and validation rules")]
    return [(endpoint, text, about) for endpoint, text, about in pages if endpoint in current_app.view_functions]


@bp.route("/")
@require("reports.view")
def index():
    form, period = _period()
    report = None
    if period:
        report = figures.compute(*period, user=current_user, at=now(), today=london_today())
        audit.record("report_view", "strategy_discussion_report", None,
                     detail=f"{period[0].isoformat()} to {period[1].isoformat()}")
        db.session.commit()
    return render_template("reports/index.html", form=form, report=report, period=period,
                           other_figures=_other_figures(), icpc_status=figures.ICPC_STATUS,
                           icpc_tags=figures.ICPC_TAGS)


@bp.route("/attendance.csv")
@require("reports.view")
def attendance_csv():
    form, period = _period()
    if not period:
        return render_template("reports/index.html", form=form, report=None, period=None,
                               other_figures=_other_figures(), icpc_status=figures.ICPC_STATUS,
                           icpc_tags=figures.ICPC_TAGS), 400
    report = figures.attendance_only(*period)
    audit.record("report_view", "agency_attendance_csv", None,
                 detail=f"{period[0].isoformat()} to {period[1].isoformat()}")
    db.session.commit()
    header = ["Agency", "Discussions held in the period", "Invited", "Attended", "Sent information instead",
              "Apologies", "Attendance not recorded", "Recorded as not invited", "Attended (% of invited)"]
    rows = [[a.name, report.held, a.invited, a.attended, a.information_sent, a.apologies, a.not_known,
             a.not_invited, a.attended_percent if a.attended_percent is not None else ""] for a in report.agencies]
    name = f"agency-attendance-{period[0].isoformat()}-to-{period[1].isoformat()}.csv"
    return csv_response(name, header, rows)
