"""Missing children and emergency powers: thin views over services, every row loaded through access scope."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit, charts
from ..auth.access import MASH, can, deny, require, scoped, visible_child_or_404, visible_or_404
from ..auth.models import User
from ..children.forms import show_rule_error
from ..clock import LONDON, london_today, now
from ..exports import csv_response
from ..pagination import paginate
from ..periods import last_full_quarter, trend_quarters
from ..service import RuleError, StaleEdit, transaction
from ..suppression import SUPPRESSION_NOTE
from ..submissions.services import AlreadySaved, once, show_already_saved
from ..templating import london
from .access import may_change, missing_scope
from . import figures_charts, listing, services, workers
from .forms import (ArrestForm, AssignForm, CompleteForm, EpisodeEditForm, EpisodeForm, EpoEditForm, EpoEndForm,
                    EpoExtendForm, EpoForm, FiguresForm, NotHeldForm, OfferForm, PoliceProtectionEndForm,
                    PoliceProtectionForm, PreventionForm, PromptCloseForm, ReturnForm, RiskForm)
from .models import (Arrest, DiscussionPrompt, EmergencyProtectionOrder, MissingEpisode, PoliceProtection,
                     ReturnInterview, RhiOffer, RiskGrading)
from .rules import police_protection_checkpoints

bp = Blueprint("missing", __name__, url_prefix="/missing")

TABS = [("rhis", "Return interviews due"), ("missing", "Missing now"), ("episodes", "All episodes"),
        ("prompts", "Prompts to convene"), ("police_protection", "Police protection"),
        ("epos", "Protection orders")]


@bp.app_template_global()
def missing_summary(child):
    """What the child's page shows about going missing: counts, open interviews, prompts, emergency powers."""
    from .timeline import records_for_page

    return services.child_summary(child.id, records_for_page(child.id))


def _visible(model, object_type: str, object_id: int, *options):
    """Pass `options` made once (module constants), so that the statement is kept (`visible_or_404`)."""
    return visible_or_404(model, object_type, object_id, missing_scope(current_user, model.child_id), *options)


def _changeable(model, object_type: str, object_id: int, *options):
    """A row the signed-in user may change: visible, and recorded by their own agency (a 403, audited, otherwise:
    seeing a record is no licence to change it)."""
    row = _visible(model, object_type, object_id, *options)
    if not may_change(current_user, row):
        deny(403, object_type, object_id)
    return row


SAVED, REFUSED, STALE = "saved", "refused", "stale"


def _save(form, default_field: str, change: Callable[[], object]) -> str:
    """Run one change in one transaction. REFUSED: the rule's message is beside its field; STALE: someone saved
    first, so the page shows the conflict banner. Either way the person keeps what they typed."""
    try:
        with transaction():
            change()
    except StaleEdit:
        return STALE
    except RuleError as err:
        show_rule_error(form, err, default_field)
        return REFUSED
    return SAVED


def _create_once(form, default_field: str, create: Callable[[], str]):
    """Run a create once per submission (see safeguarding.submissions): the URL of what was created, a response
    showing what an earlier identical submission saved, or None when a rule refused it. A create that also changes
    a versioned record raises StaleEdit when that record changed since the form was shown."""
    try:
        return once(form.submission_key.data, current_user.id, create)
    except AlreadySaved as err:
        return show_already_saved(err)
    except RuleError as err:
        show_rule_error(form, err, default_field)
        return None


# --- Lists ----------------------------------------------------------------------------------------------------


@bp.route("/")
@require("case.view")
def index():
    tab = request.args.get("show")
    if tab not in dict(TABS):
        if can(current_user, "missing.prompt") and services.count_open_prompts():
            tab = "prompts"
        elif can(current_user, "missing.record"):
            tab = "missing"  # the police start from the children still missing
        else:
            tab = "rhis"
    scope = lambda col: missing_scope(current_user, col)  # noqa: E731
    rows = None
    if tab in listing.KEPT_TABS:
        # the columns the list shows, not records (`listing.py`); counted without them; kept per person (`scoped`)
        rows = listing.InterviewRow if tab == "rhis" else listing.EpisodeRow
        column = ReturnInterview.child_id if tab == "rhis" else MissingEpisode.child_id
        query, counted = scoped((scope(column), listing.KEPT_TABS[tab]), listing.listed)
    elif tab == "prompts":
        query = (select(DiscussionPrompt).where(DiscussionPrompt.closed_at.is_(None),
                                                scope(DiscussionPrompt.child_id))
                 .options(joinedload(DiscussionPrompt.child))
                 .order_by(DiscussionPrompt.raised_at, DiscussionPrompt.id))
    elif tab == "police_protection":
        query = (select(PoliceProtection).where(scope(PoliceProtection.child_id))
                 .options(joinedload(PoliceProtection.child))
                 .order_by(PoliceProtection.ended_at.is_not(None), PoliceProtection.started_at.desc()))
    else:
        query = (select(EmergencyProtectionOrder).where(scope(EmergencyProtectionOrder.child_id))
                 .options(joinedload(EmergencyProtectionOrder.child))
                 .order_by(EmergencyProtectionOrder.ended_at.is_not(None),
                           EmergencyProtectionOrder.expires_at.desc()))
    if rows is not None:
        page = paginate(query, request.args.get("page", 1), scalars=False, counted=counted, kept=True)
        page.items = listing.as_rows(rows, page.items)
    else:
        page = paginate(query, request.args.get("page", 1))
    return render_template("missing/index.html", tab=tab, tabs=TABS, page=page, at=now())


# --- Episodes -------------------------------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/episodes/new", methods=["GET", "POST"])
@require("missing.record")
def new_episode(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = EpisodeForm()
    if form.validate_on_submit():
        data = form.data_for_service()
        saved = _create_once(form, "reported_date", lambda: url_for(
            "missing.episode", episode_id=services.record_episode(child, data, actor=current_user).id))
        if isinstance(saved, str):
            flash("Missing episode recorded", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=child, title="Record a missing episode",
                           back=url_for("children.show", child_id=child.id))


#: made once, so that the statement with them and the user's scope is kept (`visible_or_404`)
_AN_EPISODE_READS = (
    joinedload(MissingEpisode.child), joinedload(MissingEpisode.return_interview),
    joinedload(MissingEpisode.prevention_interview),
    joinedload(MissingEpisode.gradings).joinedload(RiskGrading.graded_by), joinedload(MissingEpisode.arrests))


@bp.route("/episodes/<int:episode_id>")
@require("case.view")
def episode(episode_id: int, risk_form=None, conflict=False):
    # what the page shows of it joined to it, in one statement: its child, its interviews, its risk gradings and
    # its arrests (a few of each, most often none)
    ep = _visible(MissingEpisode, "missing_episode", episode_id, *_AN_EPISODE_READS)
    return audit.shown(render_template("missing/episode.html", episode=ep, child=ep.child, arrests=ep.arrests,
                                       risk_form=risk_form or RiskForm(version=ep.version), form=risk_form,
                                       at=now(), conflict=conflict), "missing_episode", ep.id, [ep.child_id])


@bp.route("/episodes/<int:episode_id>/edit", methods=["GET", "POST"])
@require("missing.record")
def edit_episode(episode_id: int):
    ep = _changeable(MissingEpisode, "missing_episode", episode_id)
    form = EpisodeEditForm(obj=ep)
    form.returned_at = ep.returned_at
    if request.method == "GET":
        form.version.data = ep.version
        form.reported_date.data = ep.reported_missing_at.astimezone(LONDON).date()
        form.reported_time.data = ep.reported_missing_at.astimezone(LONDON).strftime("%H:%M")
    outcome = None
    if form.validate_on_submit():
        outcome = _save(form, "reported_date", lambda: services.update_episode(
            ep, form.data_for_service(), form.version_number, actor=current_user))
        if outcome == SAVED:
            flash("Changes saved", "success")
            return redirect(url_for("missing.episode", episode_id=ep.id))
        if outcome == STALE:
            form.version.data = ep.version
    return render_template("missing/form.html", form=form, child=ep.child, title="Change the missing episode",
                           back=url_for("missing.episode", episode_id=ep.id), conflict=outcome == STALE)


@bp.route("/episodes/<int:episode_id>/risk", methods=["POST"])
@require("missing.record")
def regrade(episode_id: int):
    ep = _changeable(MissingEpisode, "missing_episode", episode_id)
    form = RiskForm()
    if form.validate_on_submit():
        def create() -> str:
            services.regrade_risk(ep, form.level.data, form.reason.data.strip(), actor=current_user,
                                  expected_version=form.version_number)
            return url_for("missing.episode", episode_id=ep.id) + "#risk"

        try:
            saved = _create_once(form, "level", create)
        except StaleEdit:
            form.version.data = ep.version
            return episode(episode_id, risk_form=form, conflict=True)
        if isinstance(saved, str):
            flash(f"Risk grading changed to {ep.risk_label.lower()}", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return episode(episode_id, risk_form=form)


@bp.route("/episodes/<int:episode_id>/return", methods=["GET", "POST"])
@require("missing.record")
def record_return(episode_id: int):
    ep = _changeable(MissingEpisode, "missing_episode", episode_id)
    form = ReturnForm(obj=ep)
    form.reported_missing_at = ep.reported_missing_at
    if request.method == "GET":
        form.version.data = ep.version
        if ep.returned_at:
            form.returned_date.data = ep.returned_at.astimezone(LONDON).date()
            form.returned_time.data = ep.returned_at.astimezone(LONDON).strftime("%H:%M")
    conflict = False
    if form.validate_on_submit():
        recorded = []

        def create() -> str:
            recorded.append(services.record_return(ep, form.data_for_service(), actor=current_user,
                                                   expected_version=form.version_number))
            return url_for("missing.episode", episode_id=ep.id)

        try:
            saved = _create_once(form, "returned_date", create)
        except StaleEdit:
            conflict, saved = True, None
            form.version.data = ep.version
        if isinstance(saved, str):
            flash(f"Return recorded. The return home interview is due by {london(recorded[0].due_at)}", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=ep.child,
                           title="Correct the return" if ep.returned_at else "Record that the child was found or "
                                                                             "returned",
                           back=url_for("missing.episode", episode_id=ep.id), conflict=conflict)


@bp.route("/episodes/<int:episode_id>/prevention-interview", methods=["GET", "POST"])
@require("missing.record")
def prevention_interview(episode_id: int):
    ep = _changeable(MissingEpisode, "missing_episode", episode_id)
    if ep.returned_at is None:
        flash("Record the child's return before the prevention interview", "error")
        return redirect(url_for("missing.episode", episode_id=ep.id))
    existing = ep.prevention_interview
    form = PreventionForm(obj=existing)
    form.returned_at = ep.returned_at
    if request.method == "GET":
        form.version.data = ep.version
        if existing:
            form.conducted_date.data = existing.conducted_at.astimezone(LONDON).date()
            form.conducted_time.data = existing.conducted_at.astimezone(LONDON).strftime("%H:%M")
        else:
            form.officer_name.data = current_user.name
    conflict = False
    if form.validate_on_submit():
        def create() -> str:
            services.record_prevention_interview(ep, form.data_for_service(), actor=current_user,
                                                 expected_version=form.version_number)
            return url_for("missing.episode", episode_id=ep.id)

        try:
            saved = _create_once(form, "conducted_date", create)
        except StaleEdit:
            conflict, saved = True, None
            form.version.data = ep.version
        if isinstance(saved, str):
            flash("Prevention interview recorded", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=ep.child, title="Police prevention interview",
                           back=url_for("missing.episode", episode_id=ep.id), conflict=conflict,
                           intro="The police prevention interview (formerly the safe and well check) is not the "
                                 "return home interview, which children's social care offers separately.")


# --- Return home interviews -----------------------------------------------------------------------------------


_AN_INTERVIEW_READS = (
    joinedload(ReturnInterview.offers).joinedload(RhiOffer.offered_by), joinedload(ReturnInterview.episode),
    joinedload(ReturnInterview.assigned_to), joinedload(ReturnInterview.child))


def _rhi(rhi_id: int) -> ReturnInterview:
    # one statement: the page shows all of these, and an interview has a few offers at most
    return _visible(ReturnInterview, "return_interview", rhi_id, *_AN_INTERVIEW_READS)


def _show_rhi(rhi: ReturnInterview, offer_form=None, status=200, conflict=False):
    offer_form = offer_form or OfferForm()
    return audit.shown(render_template("missing/return_interview.html", rhi=rhi, child=rhi.child,
                                       episode=rhi.episode, offer_form=offer_form,
                                       form=offer_form if offer_form.errors else None, at=now(), conflict=conflict),
                       "return_interview", rhi.id, [rhi.child_id]), status


def _worker_hint(worker: User, rhi: ReturnInterview) -> Markup:
    """What tells two workers apart: job title, manager, email, and their local authority when it is not the
    interview's (assigning them makes it theirs)."""
    lines = [escape(" · ".join(part for part in (worker.job_title, worker.line_manager and
                                                  f"Manager: {worker.line_manager.name}") if part)),
             # one long word: it wraps anywhere rather than widen a phone's screen
             Markup('<span class="app-verbatim-text">%s</span>') % worker.email]
    if worker.agency_id != rhi.local_authority_id:
        lines.append(escape(f"{worker.agency.name} (another local authority)"))
    return Markup("<br>").join(line for line in lines if line)


def _assign_page(rhi: ReturnInterview, form: AssignForm, conflict=False, chosen: User | None = None):
    # Its own page (one thing per page), so the interview's page does not carry every social care worker in the
    # partnership as options (800 at ten times the largest partnership, 109 kB and 40 ms on every view); and a
    # page of 25 found by name or email, so neither does this one.
    audit.record_view("return_interview", rhi.id, [rhi.child_id])
    query = (request.args.get("q") or "")[:workers.SEARCH_MAX_CHARS]
    page = workers.find(query, request.args.get("page", 1), rhi.local_authority_id)
    shown = list(page.items)
    if chosen is not None and chosen not in shown:
        shown.insert(0, chosen)  # a choice kept (the conflict page) stays on the page even if the list moved on
    form.worker.choices = [(w.id, f"{w.name} (assigned now)" if w.id == rhi.assigned_to_id else w.name)
                           for w in shown]
    hints = [{"hint": {"html": _worker_hint(w, rhi)}} for w in shown]
    return render_template("missing/assign.html", form=form, rhi=rhi, child=rhi.child, conflict=conflict,
                           page=page, shown=shown, hints=hints, query=query,
                           title="Change the worker" if rhi.assigned_to_id else "Assign a worker",
                           back=url_for("missing.return_interview", rhi_id=rhi.id))


@bp.route("/return-interviews/<int:rhi_id>")
@require("case.view")
def return_interview(rhi_id: int):
    return _show_rhi(_rhi(rhi_id))


@bp.route("/return-interviews/<int:rhi_id>/offers", methods=["POST"])
@require("missing.return_interview")
def record_offer(rhi_id: int):
    rhi = _rhi(rhi_id)
    form = OfferForm()
    form.returned_at = rhi.returned_at
    if form.validate_on_submit():
        recorded = []

        def create() -> str:
            recorded.append(services.record_offer(rhi, form.data_for_service(), actor=current_user))
            return url_for("missing.return_interview", rhi_id=rhi.id)

        saved = _create_once(form, "offered_date", create)
        if isinstance(saved, str):
            if recorded[0].response == "declined":
                flash("Offer recorded as declined. The interview stays open: offer again, ideally yourself, "
                      "in a different way or at a different time.", "success")
            else:
                flash(f"Offer recorded: {recorded[0].response_label.lower()}", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return _show_rhi(rhi, offer_form=form)


@bp.route("/return-interviews/<int:rhi_id>/assign", methods=["GET", "POST"])
@require("missing.return_interview")
def assign(rhi_id: int):
    """A search (GET: q, page) and a page of workers to choose from (POST, keeping the search and page in its
    URL, so an error or a conflict shows the same page again)."""
    rhi = _rhi(rhi_id)
    form = AssignForm(prefix="assign") if request.method == "POST" else AssignForm(prefix="assign",
                                                                                   version=rhi.version)
    worker = None
    if form.validate_on_submit():
        # checked again now, not only when the page was shown: they may have left since, or the form was forged
        worker = workers.assignable_worker(form.worker.data)
        if worker is None:
            show_rule_error(form, RuleError(workers.NOT_ASSIGNABLE, "worker"), "worker")
            return _assign_page(rhi, form)
        outcome = _save(form, "worker", lambda: services.assign(
            rhi, worker, actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash(f"Assigned to {worker.name}", "success")
            return redirect(url_for("missing.return_interview", rhi_id=rhi.id))
        if outcome == STALE:
            form.version.data = rhi.version
            return _assign_page(rhi, form, conflict=True, chosen=worker)
    return _assign_page(rhi, form, chosen=worker)


@bp.route("/return-interviews/<int:rhi_id>/complete", methods=["GET", "POST"])
@require("missing.return_interview")
def complete(rhi_id: int):
    rhi = _rhi(rhi_id)
    if not rhi.is_open:
        flash("This return home interview is already closed", "error")
        return redirect(url_for("missing.return_interview", rhi_id=rhi.id))
    form = CompleteForm()
    form.returned_at = rhi.returned_at
    if request.method == "GET":
        form.version.data = rhi.version
        form.interviewer_name.data = current_user.name
        form.interviewer_organisation.data = current_user.agency.name
    outcome = None
    if form.validate_on_submit():
        outcome = _save(form, "completed_date", lambda: services.complete(
            rhi, form.data_for_service(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            if rhi.completed_in_time:
                flash("Return home interview completed within 72 hours", "success")
            else:
                flash("Return home interview completed, later than 72 hours after the return", "success")
            return redirect(url_for("missing.return_interview", rhi_id=rhi.id))
        if outcome == STALE:
            form.version.data = rhi.version
    return render_template("missing/form.html", form=form, child=rhi.child, title="Complete the return home interview",
                           back=url_for("missing.return_interview", rhi_id=rhi.id), due_at=rhi.due_at,
                           conflict=outcome == STALE)


@bp.route("/return-interviews/<int:rhi_id>/not-held", methods=["GET", "POST"])
@require("missing.close_return_interview")
def not_held(rhi_id: int):
    rhi = _rhi(rhi_id)
    form = NotHeldForm()
    if request.method == "GET":
        form.version.data = rhi.version
    outcome = None
    if form.validate_on_submit():
        outcome = _save(form, "reason", lambda: services.close_not_held(
            rhi, form.reason.data.strip(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash("Return home interview closed without an interview", "success")
            return redirect(url_for("missing.return_interview", rhi_id=rhi.id))
        if outcome == STALE:
            form.version.data = rhi.version
    return render_template("missing/form.html", form=form, child=rhi.child,
                           title="Close without an interview", back=url_for("missing.return_interview", rhi_id=rhi.id),
                           conflict=outcome == STALE,
                           intro="Only when the child has refused repeated offers. The decision and its reasons "
                                 "stay on the child's record.")


# --- Police protection ----------------------------------------------------------------------------------------


@bp.route("/children/<int:child_id>/police-protection/new", methods=["GET", "POST"])
@require("missing.police_protection")
def new_police_protection(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = PoliceProtectionForm()
    if form.validate_on_submit():
        recorded = []

        def create() -> str:
            recorded.append(services.start_police_protection(child, form.data_for_service(), actor=current_user))
            return url_for("missing.police_protection", pp_id=recorded[0].id)

        saved = _create_once(form, "started_date", create)
        if isinstance(saved, str):
            flash(f"Police protection recorded. It must end by {london(recorded[0].ends_at)}, and a strategy "
                  "discussion must follow", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=child, title="Record police protection",
                           back=url_for("children.show", child_id=child.id),
                           intro="Section 46 of the Children Act 1989: at most 72 hours.")


@bp.route("/police-protection/<int:pp_id>")
@require("case.view")
def police_protection(pp_id: int):
    pp = _visible(PoliceProtection, "police_protection", pp_id)
    return audit.shown(render_template("missing/police_protection.html", pp=pp, child=pp.child, at=now(),
                                       checkpoints=police_protection_checkpoints(pp.started_at)),
                       "police_protection", pp.id, [pp.child_id])


@bp.route("/police-protection/<int:pp_id>/end", methods=["GET", "POST"])
@require("missing.police_protection")
def end_police_protection(pp_id: int):
    pp = _changeable(PoliceProtection, "police_protection", pp_id)
    if not pp.is_active:
        flash("This police protection has already ended", "error")
        return redirect(url_for("missing.police_protection", pp_id=pp.id))
    form = PoliceProtectionEndForm()
    form.started_at = pp.started_at
    if request.method == "GET":
        form.version.data = pp.version
    outcome = None
    if form.validate_on_submit():
        outcome = _save(form, "ended_date", lambda: services.end_police_protection(
            pp, form.data_for_service(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash("End of police protection recorded" + (", as lasting more than 72 hours" if pp.breached else "")
                  + ". A strategy discussion must follow.", "success")
            return redirect(url_for("missing.police_protection", pp_id=pp.id))
        if outcome == STALE:
            form.version.data = pp.version
    return render_template("missing/form.html", form=form, child=pp.child,
                           title="Record the end of police protection",
                           back=url_for("missing.police_protection", pp_id=pp.id),
                           conflict=outcome == STALE,
                           intro=f"Police protection began {london(pp.started_at)} and must end by "
                                 f"{london(pp.ends_at)}. If it ended later, record when it really ended and why.")


# --- Emergency protection orders ------------------------------------------------------------------------------


def _epo_form(child, form_class=EpoForm, order: EmergencyProtectionOrder | None = None) -> EpoForm:
    """The order form, asking whether it followed police protection only when the child has been in it."""
    form = form_class()
    protections = services.police_protections_of(child.id)
    if order is not None and order.police_protection and order.police_protection not in protections:
        protections.append(order.police_protection)  # an older one the order follows stays its answer
    if protections:
        form.after_police_protection.choices = [
            (str(pp.id), f"Yes, after the police protection that began {london(pp.started_at)}")
            for pp in protections] + [("no", "No")]
    else:
        del form.after_police_protection
    return form


@bp.route("/children/<int:child_id>/epo/new", methods=["GET", "POST"])
@require("missing.epo")
def new_epo(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = _epo_form(child)
    if form.validate_on_submit():
        recorded = []

        def create() -> str:
            recorded.append(services.record_epo(child, form.data_for_service(), actor=current_user))
            return url_for("missing.epo", epo_id=recorded[0].id)

        saved = _create_once(form, "granted_date", create)
        if isinstance(saved, str):
            flash(f"Emergency protection order recorded. It expires {london(recorded[0].expires_at)}", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=child, title="Record an emergency protection order",
                           back=url_for("children.show", child_id=child.id),
                           intro="Sections 44 and 45 of the Children Act 1989: the period the court specifies, at "
                                 "most 8 days, extendable once by at most 7 days while the order is in force.")


def _show_epo(epo, extend_form=None, end_form=None, conflict=False):
    extend_form = extend_form or EpoExtendForm(prefix="extend", version=epo.version)
    end_form = end_form or EpoEndForm(prefix="end", version=epo.version)
    failed = extend_form if extend_form.errors else (end_form if end_form.errors else None)
    return audit.shown(render_template("missing/epo.html", epo=epo, child=epo.child, extend_form=extend_form,
                                       end_form=end_form, form=failed, at=now(), conflict=conflict),
                       "emergency_protection_order", epo.id, [epo.child_id])


@bp.route("/epo/<int:epo_id>")
@require("case.view")
def epo(epo_id: int):
    return _show_epo(_visible(EmergencyProtectionOrder, "emergency_protection_order", epo_id))


@bp.route("/epo/<int:epo_id>/edit", methods=["GET", "POST"])
@require("missing.epo")
def edit_epo(epo_id: int):
    order = _changeable(EmergencyProtectionOrder, "emergency_protection_order", epo_id)
    form = _epo_form(order.child, EpoEditForm, order)
    if request.method == "GET":
        stated = order.extended_from if order.is_extended else order.expires_at
        form.version.data = order.version
        form.court.data = order.court
        for prefix, value in (("granted", order.granted_at), ("ends", stated)):
            getattr(form, f"{prefix}_date").data = value.astimezone(LONDON).date()
            getattr(form, f"{prefix}_time").data = value.astimezone(LONDON).strftime("%H:%M")
        if form.after_police_protection is not None:
            # the answer given when the order was recorded, not a default: this form corrects it
            form.after_police_protection.data = str(order.police_protection_id) if order.police_protection_id \
                else "no"
    outcome = None
    if form.validate_on_submit():
        outcome = _save(form, "granted_date", lambda: services.correct_epo(
            order, form.data_for_service(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash(f"Changes saved. The order ends {london(order.expires_at)}", "success")
            return redirect(url_for("missing.epo", epo_id=order.id))
        if outcome == STALE:
            form.version.data = order.version
    return render_template("missing/form.html", form=form, child=order.child,
                           title="Correct the emergency protection order",
                           back=url_for("missing.epo", epo_id=order.id), conflict=outcome == STALE,
                           intro="The end is the one the court first specified"
                                 + (f"; the extension to {london(order.expires_at)} is kept and checked again."
                                    if order.is_extended else "."))


@bp.route("/epo/<int:epo_id>/extend", methods=["POST"])
@require("missing.epo")
def extend_epo(epo_id: int):
    order = _changeable(EmergencyProtectionOrder, "emergency_protection_order", epo_id)
    form = EpoExtendForm(prefix="extend")
    form.granted_at = order.granted_at
    form.already_extended = order.is_extended
    if form.validate_on_submit():
        outcome = _save(form, "extended_date", lambda: services.extend_epo(
            order, form.data_for_service(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash(f"Extension recorded. The order now expires {london(order.expires_at)}", "success")
            return redirect(url_for("missing.epo", epo_id=order.id))
        if outcome == STALE:
            form.version.data = order.version
            return _show_epo(order, extend_form=form, conflict=True)
    return _show_epo(order, extend_form=form)


@bp.route("/epo/<int:epo_id>/end", methods=["POST"])
@require("missing.epo")
def end_epo(epo_id: int):
    order = _changeable(EmergencyProtectionOrder, "emergency_protection_order", epo_id)
    form = EpoEndForm(prefix="end")
    form.granted_at = order.granted_at
    if form.validate_on_submit():
        outcome = _save(form, "ended_date", lambda: services.end_epo(
            order, form.data_for_service(), actor=current_user, expected_version=form.version_number))
        if outcome == SAVED:
            flash("End of the order recorded", "success")
            return redirect(url_for("missing.epo", epo_id=order.id))
        if outcome == STALE:
            form.version.data = order.version
            return _show_epo(order, end_form=form, conflict=True)
    return _show_epo(order, end_form=form)


# --- Arrests -------------------------------------------------------------------------------------------------


def _arrest_form(child) -> ArrestForm:
    """The arrest form, asking about a missing episode only when the child has had one."""
    form = ArrestForm()
    episodes = services.recent_episodes_of(child.id)
    if episodes:
        form.episode.choices = [(str(ep.id), f"Yes, during or on return from the episode reported "
                                             f"{london(ep.reported_missing_at)}") for ep in episodes] + [("no", "No")]
    else:
        del form.episode
    return form


@bp.route("/children/<int:child_id>/arrests/new", methods=["GET", "POST"])
@require("missing.arrest")
def new_arrest(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = _arrest_form(child)
    if form.validate_on_submit():
        data = form.data_for_service()
        saved = _create_once(form, "arrested_date", lambda: url_for(
            "missing.arrest", arrest_id=services.record_arrest(child, data, actor=current_user).id))
        if isinstance(saved, str):
            flash("Arrest recorded. MASH has been prompted to consider a strategy discussion", "success")
            return redirect(saved)
        if saved is not None:
            return saved
    return render_template("missing/form.html", form=form, child=child, title="Record an arrest",
                           back=url_for("children.show", child_id=child.id) + "#missing",
                           intro="Whenever a child is arrested, partners should engage early to consider a "
                                 "strategy discussion: recording the arrest prompts MASH, whatever the answers.")


_AN_ARREST_READS = (joinedload(Arrest.episode), joinedload(Arrest.recorded_by))


@bp.route("/arrests/<int:arrest_id>")
@require("case.view")
def arrest(arrest_id: int):
    row = _visible(Arrest, "child_arrest", arrest_id, *_AN_ARREST_READS)
    return audit.shown(render_template("missing/arrest.html", arrest=row, child=row.child),
                       "child_arrest", row.id, [row.child_id])


# --- Prompts to convene a strategy discussion ----------------------------------------------------------------


def _prompt(prompt_id: int) -> DiscussionPrompt:
    """Convening or closing a prompt is MASH's and children's social care's decision, not another agency's
    manager's."""
    prompt = _visible(DiscussionPrompt, "missing_discussion_prompt", prompt_id)
    if current_user.role != MASH and current_user.agency.kind != "childrens_social_care":
        deny(403, "missing_discussion_prompt", prompt_id)
    return prompt


@bp.route("/prompts/<int:prompt_id>/convene", methods=["POST"])
@require("missing.prompt")
def convene(prompt_id: int):
    prompt = _prompt(prompt_id)
    if prompt.closed_at is not None and prompt.discussion_id:
        # the button pressed twice, or Back and again: show the draft the first press made
        return show_already_saved(AlreadySaved(url_for("discussions.show", discussion_id=prompt.discussion_id)))
    made = []
    try:
        with transaction():
            made.append(services.convene_from_prompt(prompt, actor=current_user))
    except (RuleError, StaleEdit):
        flash("This prompt has already been dealt with", "error")
        return redirect(url_for("children.show", child_id=prompt.child_id))
    flash("Draft strategy discussion created with the episodes: add the date, chair and invitations", "success")
    return redirect(url_for("discussions.show", discussion_id=made[0]))


@bp.route("/prompts/<int:prompt_id>/close", methods=["GET", "POST"])
@require("missing.prompt")
def close_prompt(prompt_id: int):
    prompt = _prompt(prompt_id)
    form = PromptCloseForm()
    outcome = None
    if prompt.closed_at is None and form.validate_on_submit():
        outcome = _save(form, "note", lambda: services.close_prompt(prompt, actor=current_user,
                                                                    note=form.note.data.strip()))
        if outcome == SAVED:
            flash("Prompt marked as dealt with", "success")
            return redirect(url_for("children.show", child_id=prompt.child_id))
    return render_template("missing/form.html", form=form, child=prompt.child, title="Mark the prompt as dealt with",
                           back=url_for("children.show", child_id=prompt.child_id), conflict=outcome == STALE,
                           intro=services.prompt_note(prompt), closed=prompt.closed_at is not None)


# --- Figures --------------------------------------------------------------------------------------------------


def _figures_period(form: FiguresForm, quarter: tuple[date, date]) -> tuple[date | None, date | None]:
    """The period asked for (the last full quarter for any part not given), or (None, None) when it is wrong."""
    if request.args and form.validate():
        return form.start.data or quarter[0], form.end.data or quarter[1]
    if request.args:
        return None, None
    form.start.data, form.end.data = quarter
    return quarter


def _figures_charts(start: date, end: date) -> dict:
    months, total = services.figures(start, end)
    pp_months, pp_total = services.police_protection_figures(start, end)
    trend = services.interviews_by_quarter(trend_quarters(end))
    return figures_charts.all_charts(months, total, trend, pp_months, pp_total, start, end)


@bp.route("/figures")
@require("reports.view")
def figures():
    form = FiguresForm(request.args)
    today = london_today()
    quarter = last_full_quarter(today)
    start, end = _figures_period(form, quarter)
    chart_set = {}
    if start and end:
        chart_set = _figures_charts(start, end)
        with transaction():
            audit.record("view", "missing_figures", None, detail=f"{start.isoformat()} to {end.isoformat()}")
    this_year = date(today.year, 1, 1)
    return render_template("missing/figures.html", form=form if request.args else None, figures_form=form,
                           charts=chart_set, render_chart=charts.render, start=start, end=end,
                           suppression_note=SUPPRESSION_NOTE,
                           period_args={"start": [start.day, start.month, start.year],
                                        "end": [end.day, end.month, end.year]} if start and end else {},
                           presets=[("Last quarter", *quarter), ("This year so far", this_year, today),
                                    ("Last 12 months", today - timedelta(days=365), today)])


@bp.route("/figures/tables/<key>.csv")
@require("reports.view")
def figures_table(key: str):
    """One figures table as CSV: the same rows, with the same numbers withheld, as the page shows."""
    form = FiguresForm(request.args)
    start, end = _figures_period(form, last_full_quarter(london_today()))
    if not (start and end):
        abort(400)
    chart = _figures_charts(start, end).get(key)
    if chart is None:
        abort(404)
    with transaction():
        audit.record("report_view", "missing_figures_csv", None,
                     detail=f"{key}: {start.isoformat()} to {end.isoformat()}"[:300])
    header, rows = charts.table_rows(chart)
    return csv_response(f"{key}-{start.isoformat()}-to-{end.isoformat()}.csv", header, rows)
