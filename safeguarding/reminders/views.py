"""The signed-in person's notifications (with acknowledgement), and the admins' view of the scheduler."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload

from .. import clock, deadlines, templating
from ..auth import sessions
from ..auth.access import can, deny, require, scoped
from ..auth.models import Agency
from ..extensions import db
from ..pagination import PER_PAGE, page_number, paginate
from .access import notification_scope
from . import services
from .models import FAILED, PENDING, Notification, ReminderRule, SchedulerHeartbeat
from .rules import LEVEL_LABELS, default_for
from .sweep import HEARTBEAT_ID, RESTRICTED_TITLE, restricted_urls

bp = Blueprint("reminders", __name__)


@bp.route("/notifications")
@require("notifications.view")
def notifications():
    number = page_number(request.args.get("page", 1))
    scope = notification_scope(current_user)
    if number <= len(_REACHES):  # kept per person and page (`scoped`): building them was a walk of the scope
        inbox, counted = scoped((scope, _REACHES[number - 1]), _listed)
    else:
        inbox, counted = _listed(scope, number * PER_PAGE + 1)
    page = paginate(inbox, number, counted=counted, kept=number <= len(_REACHES))
    # a notice written before its child was restricted still names them: hide it here as new ones are
    masked = restricted_urls(n.url for n in page.items)
    return render_template("reminders/notifications.html", page=page, level_labels=LEVEL_LABELS,
                           kinds=deadlines.kinds(), now=clock.now(), masked=masked,
                           restricted_title=RESTRICTED_TITLE)


#: how far into the inbox each of the first ten pages reads (the same objects on every request: `scoped`)
_REACHES = tuple(number * PER_PAGE + 1 for number in range(1, 11))


def _listed(scope, reach: int):
    return _inbox(scope, reach), select(Notification.id).where(scope)


def _inbox(scope, reach: int):
    """The notifications `scope` (a person's: `notification_scope`) lets through, not yet acknowledged first, each
    part newest first, as far as `reach` rows into the list. Each part is its own index range read newest first and
    stopped at `reach` (the acknowledged ones by ix_notification_acknowledged); a single ORDER BY on "acknowledged
    or not" read and sorted the whole inbox for every page (25,049 rows, 30 ms, for MASH at 10x)."""
    def newest(acknowledged: bool):
        state = Notification.acknowledged_at.is_not(None) if acknowledged else Notification.acknowledged_at.is_(None)
        return select(select(Notification.id, literal(int(acknowledged)).label("part"))
                      .where(scope, state)
                      .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(reach).subquery())

    both = union_all(newest(False), newest(True)).subquery()
    return (select(Notification).join(both, both.c.id == Notification.id)
            .order_by(both.c.part, Notification.created_at.desc(), Notification.id.desc()))


def _visible_or_404(notification_id: int) -> Notification:
    notification = db.session.execute(
        select(Notification).where(Notification.id == notification_id, notification_scope(current_user))
    ).scalar_one_or_none()
    if notification is None:
        deny(404, "notification", notification_id)
    return notification


@bp.route("/notifications/<int:notification_id>/acknowledge", methods=["POST"])
@require("notifications.view")
def acknowledge(notification_id: int):
    notification = _visible_or_404(notification_id)
    if services.acknowledge(notification, current_user):
        flash("Notification acknowledged", "success")
    return redirect(url_for("reminders.notifications", page=page_number(request.form.get("page"))))


@bp.route("/notifications/acknowledge-all", methods=["POST"])
@require("notifications.view")
def acknowledge_all():
    count = services.acknowledge_all(current_user)
    flash(f"{count} notification{'' if count == 1 else 's'} acknowledged", "success")
    return redirect(url_for("reminders.notifications"))


#: the window of "emailed lately" on the operations page
SENT_LATELY = timedelta(hours=24)


@bp.route("/admin/reminders")
@require("admin.view_operations")
def operations():
    beat = db.session.get(SchedulerHeartbeat, HEARTBEAT_ID)
    # Only what is still waiting or has failed is counted (through the delivery index), and what was emailed in the
    # last day (through the sent-time index): the notifications ever sent grow with every day the service runs, and
    # counting them all took 34 ms at ten times the largest partnership's history (500,000), most of the page.
    counts = dict(db.session.execute(
        select(Notification.email_state, func.count()).where(Notification.email_state.in_((PENDING, FAILED)))
        .group_by(Notification.email_state)).all())
    sent_lately = db.session.execute(select(func.count()).where(
        Notification.sent_at >= clock.now() - SENT_LATELY)).scalar_one()
    oldest_pending = db.session.execute(
        select(func.min(Notification.created_at)).where(Notification.email_state == PENDING)).scalar_one()
    stored = {r.kind: r for r in db.session.execute(select(ReminderRule).order_by(ReminderRule.kind)).scalars()}
    labels = deadlines.kinds()
    # Kinds the sweep has not met yet are shown with the defaults they will get.
    rules = [(kind, labels.get(kind, kind), stored.get(kind) or default_for(kind), kind in stored)
             for kind in sorted(set(stored) | set(labels))]
    agencies = db.session.execute(select(Agency).options(joinedload(Agency.safeguarding_lead))
                                  .where(Agency.is_active.is_(True)).order_by(Agency.name)).scalars().all()
    from ..reports.models import STATE_ID, RefreshState

    figures = db.session.get(RefreshState, STATE_ID)
    return render_template("reminders/operations.html", beat=beat, pending=counts.get(PENDING, 0),
                           failed=counts.get(FAILED, 0), sent_lately=sent_lately, oldest_pending=oldest_pending,
                           rules=rules, stale=scheduler_stale(beat), config=current_app.config, agencies=agencies,
                           figures=figures)


def scheduler_stale(beat: SchedulerHeartbeat | None) -> bool:
    """True when the last sweep is older than three sweep intervals (or there has never been one)."""
    if beat is None or beat.last_sweep_at is None:
        return True
    interval = timedelta(minutes=current_app.config["SWEEP_INTERVAL_MINUTES"])
    return clock.now() - beat.last_sweep_at > 3 * interval


def _unread_of(user_id):
    return (select(func.count()).select_from(Notification)
            .where(Notification.recipient_id == user_id, Notification.acknowledged_at.is_(None)))


def unread_count(user) -> int:
    """Shown beside "Notifications" in the header on every page: a COUNT on the inbox index, read with the session
    when the page is only being read (`sessions.RIDERS`), otherwise on its own."""
    ridden = sessions.rider("unread_notifications", user.id)
    if ridden is not None:
        return ridden
    return db.session.execute(_unread_of(user.id)).scalar_one()


templating.NAV_BADGES["reminders.notifications"] = unread_count
sessions.RIDERS["unread_notifications"] = lambda user_id: _unread_of(user_id).scalar_subquery()


@bp.app_context_processor
def inject_scheduler_warning():
    """Admins are warned on every page when the scheduler has stopped sweeping."""
    if not current_user or not current_user.is_authenticated or not can(current_user, "admin.view_operations"):
        return {}
    # once per request: context processors run again for every form widget drawn, and a heartbeat row that is not
    # there (a scheduler never started) is not remembered by the session, so each widget read it again
    if _WARNING not in request.environ:
        beat = db.session.get(SchedulerHeartbeat, HEARTBEAT_ID)
        request.environ[_WARNING] = ({"scheduler_warning": {"last_sweep_at": beat.last_sweep_at if beat else None}}
                                     if scheduler_stale(beat) else {})
    return request.environ[_WARNING]


_WARNING = "safeguarding.scheduler_warning"
