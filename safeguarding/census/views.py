"""The children in need census items page, and its XML and CSV downloads (both audited, with the children)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from .. import audit
from ..audit.models import AuditEventChild
from ..auth.access import can, require
from ..clock import london_today
from ..exports import csv_response
from ..extensions import db
from . import items, queries
from .forms import CollectionYearForm

bp = Blueprint("census", __name__, url_prefix="/reports/census")
#: the most failing rows the page lists (a year with no LA references recorded fails 8500 on every row); the CSV
#: carries every row with its codes
LIST_LIMIT = 500


def _year() -> tuple[CollectionYearForm, items.CollectionYear | None]:
    today = london_today()
    if "year" not in request.args:
        form = CollectionYearForm(formdata=None, today=today)
        year = items.CollectionYear.containing(today)
        form.year.data = str(year.start_year)
        return form, year
    form = CollectionYearForm(request.args, today=today)
    return form, form.chosen()


def _audit_children(action: str, year: items.CollectionYear, rows: list[items.Section47Row], what: str) -> None:
    """One event for the page or file, linked to every child it carried (so "who has looked" shows it)."""
    event = audit.record(action, "census_section47", None, detail=f"{what} {year.label}: {len(rows)} enquiries")
    db.session.flush()
    db.session.add_all([AuditEventChild(event_id=event.id, child_id=c) for c in sorted({r.child_id for r in rows})])
    audit.commit_view()


@bp.route("/")
@require("reports.view")
def index():
    form, year = _year()
    if year is None:
        return render_template("census/index.html", form=form, year=None), 400
    # The figures count every enquiry of the year (numbers only, like the partnership's other reports); the rows
    # and files hold only what the reader's own scope lets them see.
    every = queries.section47_rows(year)
    may_see_rows = can(current_user, "census.view")
    failures = out_of_sight = None
    if may_see_rows:
        rows = queries.section47_rows(year, current_user)
        failures = items.validate(rows, year)
        out_of_sight = len(every) - len(rows)
        _audit_children("report_view", year, [f.row for f in failures[:LIST_LIMIT]], "census items page")
    else:
        audit.record("report_view", "census_section47_figures", None, detail=year.label)
        audit.commit_view()
    return render_template(
        "census/index.html", form=form, year=year, figures=items.figures(every, items.validate(every, year)),
        rules=items.RULES, failures=failures, may_see_rows=may_see_rows, items_list=items.ITEMS, limit=LIST_LIMIT,
        out_of_sight=out_of_sight)


def _export_rows():
    _, year = _year()
    if year is None:
        abort(400)
    return year, queries.section47_rows(year, current_user)


@bp.route("/section47.xml")
@require("census.view")
def xml():
    year, rows = _export_rows()
    _audit_children("export", year, rows, "census XML")
    return Response(items.to_xml(rows, year), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="cin-census-section47-{year.start_year}.xml"',
        "Cache-Control": "no-store"})


@bp.route("/section47.csv")
@require("census.view")
def csv():
    year, rows = _export_rows()
    _audit_children("export", year, rows, "census CSV")
    return csv_response(f"cin-census-section47-{year.start_year}.csv", items.CSV_HEADER,
                        items.csv_rows(rows, items.validate(rows, year)))
