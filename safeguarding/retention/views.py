"""The retention schedule and its dry-run report (administrators), and legal holds (managers)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import audit
from ..auth.access import require, visible_child_or_404
from ..clock import london_today
from ..service import RuleError, StaleEdit, transaction
from . import services
from .forms import HoldForm, ScheduleForm
from .rules import add_years

bp = Blueprint("retention", __name__, url_prefix="/retention")


def _rule_error(form, err: RuleError) -> None:
    field = getattr(form, err.field or "", None)
    if field is not None:
        field.errors = list(field.errors) + [err.message]
    else:
        form.form_errors.append(err.message)


@bp.route("/", methods=["GET", "POST"])
@require("admin.manage")
def schedule():
    """The schedule and what it would do today. Children are listed by record number only: administrators have
    no case access, and the report needs none to be checked."""
    row = services.schedule_row()
    current, enabled = services.current_schedule()
    form = ScheduleForm(obj=row) if row is not None else ScheduleForm(data={**vars(current), "apply_enabled": False})
    conflict = False
    if form.validate_on_submit():
        data = {name: form[name].data for name in services.SCHEDULE_FIELDS}
        try:
            with transaction():
                services.update_schedule(data, actor=current_user, expected_version=form.version.data)
        except RuleError as err:
            _rule_error(form, err)
        except StaleEdit:
            conflict = True
            form.form_errors.append("Someone else changed the schedule after you opened it. Check the values, then "
                                    "save again")
            form.version.data = services.schedule_row().version
        else:
            flash("Retention schedule saved", "success")
            return redirect(url_for("retention.schedule"))
    today = london_today()
    due = services.report(today)
    audit.record_view("retention_report", 0)
    return render_template("retention/schedule.html", form=form, row=row, due=due, today=today,
                           enabled=enabled, schedule=current, conflict=conflict, add_years=add_years)


@bp.route("/children/<int:child_id>/hold", methods=["GET", "POST"])
@require("retention.hold")
def hold(child_id: int):
    child = visible_child_or_404(child_id)
    current = services.open_hold(child.id)
    form = HoldForm()
    if form.validate_on_submit():
        try:
            with transaction():
                if current is None:
                    services.set_hold(child, form.reason.data, actor=current_user)
                else:
                    services.release_hold(child, form.reason.data, actor=current_user)
        except RuleError as err:
            _rule_error(form, err)
        else:
            flash("Legal hold released" if current is not None else "Legal hold set: retention will not touch "
                  "this child's records until it is released", "success")
            return redirect(url_for("children.show", child_id=child_id))
    return render_template("retention/hold.html", form=form, child=child, current=current)
