"""Strategy discussion pages: thin views over services.py, every row loaded through the access scopes."""
from __future__ import annotations

import functools
from datetime import time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import defaultload, joinedload, selectinload, with_expression
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..auth.access import can, child_scope, deny, require, scoped
from ..auth.models import Agency, User
from ..children import services as child_services
from ..children.harm import cumulative_harm
from ..children.models import Child
from ..clock import now, to_london
from ..extensions import db
from ..forms import london_instant
from ..deliveries import sent_about
from ..pagination import paginate
from ..service import RuleError, StaleEdit, transaction
from ..submissions.services import AlreadySaved, once, show_already_saved
from . import minutes_draft, services, thresholds
from .access import can_change_action, discussion_scope, visible_discussion_or_404
from .forms import (ActionForm, AddChildForm, AgreeMinutesForm, CancelActionForm, ChangeActionForm,
                    AssessmentForm, CancelDiscussionForm, ChildVoiceForm, CirculateForm, CompleteActionForm,
                    ConferenceHeldForm, ConveneForm, DecisionForm, DissentForm, EnquiryOutcomeForm, FilterForm,
                    IcpcForm, InformationForm, InviteForm, MinutesForm, NothingHeldForm, PhraseForm, RemoveChildForm,
                    RemovePhraseForm, attendance_form)
from .models import (FAMILY_TOLD, HARM_CATEGORIES, INFORMATION_PROMPTS, LEGAL_ACTIONS, MODES, TOPICS,
                     YES_NO_UNKNOWN, AgreedAction, AgreedActionChange, DiscussionChild, InformationShared, Invitation,
                     MinutesVersion, StrategyDiscussion, ThresholdDecision)
from . import listing
from .lawful_basis import CONSENT, CONSENT_WARNING
from .lawful_basis import label as lawful_basis_label
from .vague_language import HINT, phrases_found

bp = Blueprint("discussions", __name__, url_prefix="/discussions")


@bp.context_processor
def labels():
    return {"modes": MODES, "harm": HARM_CATEGORIES, "yes_no": YES_NO_UNKNOWN, "legal": LEGAL_ACTIONS,
            "family_told": FAMILY_TOLD}


def _apply_rule_error(form, err: RuleError) -> None:
    field = form._fields.get(err.field) if err.field else None
    if field is not None and field.type not in ("HiddenField", "VersionField"):
        field.errors = list(field.errors) + [str(err)]
    else:
        # A hidden field's error (an expired form) has nowhere to show but the summary.
        form.form_errors.append(str(err))


def _save(form, work) -> tuple[bool, bool]:
    """Run `work` as the request's one unit of work: (saved, conflict). A broken rule is shown on its field and
    a stale edit becomes the conflict page; either way what the person typed stays in the form."""
    try:
        with transaction():
            work()
    except RuleError as err:
        _apply_rule_error(form, err)
        return False, False
    except StaleEdit:
        return False, True
    return True, False


def _create(form, create, fallback: str, saved: str):
    """Run a create once (Back-and-resubmit or a double POST shows what was saved, and adds nothing). Returns the
    redirect to the record, or None to show the form again with the error and what was typed."""
    try:
        url = once(form.submission_key.data, current_user.id, create)
    except AlreadySaved as err:
        return show_already_saved(err, fallback)
    except RuleError as err:
        _apply_rule_error(form, err)
        return None
    except StaleEdit:
        form.form_errors.append("Someone else changed this discussion while you were filling in the form. "
                                "Check what you entered, then save again")
        return None
    flash(saved, "success")
    return redirect(url)


def _ids(text: str | None) -> list[int]:
    return list(dict.fromkeys(int(v) for v in (text or "").split(",") if v.isascii() and v.isdigit() and len(v) < 10))


def _ids_text(ids: list[int]) -> str:
    return ",".join(str(i) for i in dict.fromkeys(ids))


def _visible_children(ids: list[int]) -> list[Child]:
    if not ids:
        return []
    rows = {c.id: c for c in db.session.execute(
        db.select(Child).where(Child.id.in_(ids), child_scope(current_user))).scalars()}
    return [rows[i] for i in ids if i in rows]


def _flag_vague(text: str, what: str) -> None:
    found = phrases_found(text, services.current_phrases())
    if found:
        quoted = ", ".join(f"“{p}”" for p in found)
        flash(f"Check the wording of the {what}: you wrote {quoted}. {HINT}", "warning")


@functools.cache
def _full_options() -> tuple:
    """Made once, so that the statement with them and the user's scope is kept (`visible_or_404`)."""
    return (
        joinedload(StrategyDiscussion.chair),
        # joined, not a statement each: a discussion is about a child or a few siblings, and most have no dissent
        # or removed child (when they do, one or two): a few rows of the discussion at most
        joinedload(StrategyDiscussion.children),
        joinedload(StrategyDiscussion.dissents),
        joinedload(StrategyDiscussion.removed_children),
        with_expression(StrategyDiscussion.latest_minutes_number, _LATEST_MINUTES_NUMBER),
        # kept with the discussion for a collection read again after a rollback or commit (a form shown again with
        # its errors): still one statement, with what the page names
        *(defaultload(getattr(StrategyDiscussion, name)).options(*(joinedload(to) for to in joined))
          for name, joined in _COLLECTIONS.items() if joined),
    )


def _full(discussion_id: int) -> StrategyDiscussion:
    """The discussion with everything its page shows, loaded in a fixed number of queries. Not its minutes' versions
    or circulations: its page shows the latest version's number (read in the same statement), and the pages that
    show more load them when they use them."""
    sd = visible_discussion_or_404(discussion_id, *_full_options())
    for name, statement in _collection_statements():
        # one that this request has already loaded (and perhaps changed) is kept, as a select-in load keeps it
        if name not in sd.__dict__:
            set_committed_value(sd, name, db.session.execute(statement, {"discussion_id": sd.id}).scalars().all())
    return sd


#: The discussion's four collections, and what is joined to each item (the page names them). Each is read by a
#: statement built once: a select-in load builds its statement and works out its cache key on every page (about 2 ms
#: of the page's time each, the rows few), where a statement kept here has its key worked out once.
_COLLECTIONS = {
    "invitations": (Invitation.user,),
    "information": (InformationShared.child, InformationShared.recorded_by),
    "decisions": (),
    "actions": (AgreedAction.owner, AgreedAction.owner_agency, AgreedAction.child),
}


@functools.cache
def _collection_statements() -> tuple:
    """(name, statement) for each collection, in the relationship's own order (known once the mappers are set up)."""
    built = []
    for name, joined in _COLLECTIONS.items():
        relationship = getattr(StrategyDiscussion, name).property
        model = relationship.mapper.class_
        built.append((name, db.select(model).options(*(joinedload(to) for to in joined))
                      .where(model.discussion_id == db.bindparam("discussion_id"))
                      .order_by(*relationship.order_by)))
    return tuple(built)


#: the number of a discussion's latest minutes (by the unique index on discussion and number)
_LATEST_MINUTES_NUMBER = (db.select(db.func.max(MinutesVersion.number))
                          .where(MinutesVersion.discussion_id == StrategyDiscussion.id).scalar_subquery())


def _agency_choices(agencies, blank: str):
    return [(0, blank)] + [(a.id, a.name) for a in agencies]


@functools.cache
def _active_agencies_statement():
    return db.select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.name)


def _active_agencies():
    return db.session.execute(_active_agencies_statement()).scalars().all()


def _people(roles=None):
    query = (db.select(User).options(joinedload(User.agency)).where(User.is_active_user.is_(True), User.role != "admin")
             .order_by(User.name, User.id))  # the same order on every load for people of one name
    if roles:
        query = query.where(User.role.in_(roles))
    return db.session.execute(query).scalars().all()


def _person_label(user: User) -> str:
    agency = user.agency.name
    return f"{user.name}, {user.job_title} ({agency})" if user.job_title else f"{user.name} ({agency})"


def _child_label(child: Child) -> str:
    if child.date_of_birth:
        return f"{child.display_name}, born {child.date_of_birth.strftime('%-d %B %Y')}"
    return child.display_name


# --- Lists ---------------------------------------------------------------------------------------------------


@bp.route("/")
@require("case.view")
def index():
    form = FilterForm(request.args)
    form.agency_id.choices = _agency_choices(_active_agencies(), "Any agency")
    view = listing.VIEWS.get(form.view.data) or listing.VIEWS["upcoming"]
    at = now()
    params = {}
    if not request.args or form.validate():
        if form.agency_id.data:
            params["list_agency"] = form.agency_id.data
        if form.date_from.data:
            params["list_since"] = london_instant(form.date_from.data, time(0))
        if form.date_to.data:
            params["list_until"] = london_instant(form.date_to.data + timedelta(days=1), time(0))
    # the columns the list shows, not whole records (`listing.py`); counted without them; both kept for this
    # person's scope, view and filters (`scoped`), the filters' values bound
    rows, counted = scoped((discussion_scope(current_user), view, "list_agency" in params, "list_since" in params,
                            "list_until" in params), listing.listed)
    page = paginate(rows, request.args.get("page", 1), scalars=False, counted=counted, params=params, kept=True)
    page.items = listing.as_rows(page.items)
    return render_template("discussions/index.html", page=page, filter_form=form, view=view, at=at,
                           missing=thresholds.missing_minimum_agencies)


@bp.route("/my-actions")
@require("case.view")
def my_actions():
    status = request.args.get("status", "open")
    if status not in ("open", "done", "cancelled"):
        status = "open"
    query = (db.select(AgreedAction)
             .options(joinedload(AgreedAction.child), joinedload(AgreedAction.discussion))
             .where(AgreedAction.owner_id == current_user.id, AgreedAction.status == status)
             .order_by(AgreedAction.due_at, AgreedAction.id))
    page = paginate(query, request.args.get("page", 1))
    return render_template("discussions/my_actions.html", page=page, status=status, at=now())


# --- Convening -----------------------------------------------------------------------------------------------


def _fill_convene_choices(form: ConveneForm, child_ids: list[int], found: list[Child] | None = None,
                          discussion: StrategyDiscussion | None = None) -> None:
    known = {}
    if child_ids:
        for child in db.session.execute(db.select(Child).where(Child.id.in_(child_ids),
                                                               child_scope(current_user))).scalars():
            known[child.id] = child
    for child in found or []:
        known.setdefault(child.id, child)
    ordered = [known[i] for i in child_ids if i in known] + [c for i, c in known.items() if i not in child_ids]
    if "child_ids" in form:
        form.child_ids.choices = [(c.id, _child_label(c)) for c in ordered]
    # Children's social care convenes and chairs strategy discussions.
    chairs = [u for u in _people(("mash", "manager")) if u.agency.kind == "childrens_social_care"]
    form.chair_id.choices = [(0, "Select the chair")] + [(u.id, _person_label(u)) for u in chairs]
    previous = []
    ids = list(known) or [c.child_id for c in (discussion.children if discussion else [])]
    if ids:
        visible = (db.select(DiscussionChild.discussion_id).where(DiscussionChild.child_id.in_(ids)))
        previous = db.session.execute(
            db.select(StrategyDiscussion).options(selectinload(StrategyDiscussion.children))
            .where(StrategyDiscussion.id.in_(visible), StrategyDiscussion.status.in_(("convened", "decided")),
                   StrategyDiscussion.id != (discussion.id if discussion else 0), discussion_scope(current_user))
            .order_by(StrategyDiscussion.scheduled_at.desc()).limit(20)).scalars().all()
    form.previous_id.choices = [(None, "Select a discussion")] + [
        (p.id, f"{to_london(p.scheduled_at).strftime('%-d %b %Y')}: {p.title}") for p in previous if p.scheduled_at]
    if "agency_ids" in form:
        form.agency_ids.choices = [(a.id, f"{a.name} ({a.kind_label})") for a in _active_agencies()]


def _default_agencies() -> list[int]:
    chosen = {}
    for agency in db.session.execute(db.select(Agency).where(Agency.is_active.is_(True)).order_by(Agency.id)).scalars():
        if agency.kind in thresholds.MINIMUM_AGENCIES:
            chosen.setdefault(agency.kind, agency.id)
    return list(chosen.values())


def _details_from(form: ConveneForm, discussion: StrategyDiscussion | None = None) -> dict:
    words = discussion.referrer_words if discussion is not None and form.words_locked else form.referrer_words.data
    return {
        "kind": form.kind.data,
        "previous_id": form.previous_id.data if form.kind.data == "review" else None,
        "urgency": form.urgency.data,
        "scheduled_at": london_instant(form.scheduled_date.data, form.scheduled_time.time),
        "ended_at": london_instant(form.scheduled_date.data, form.ended_time.time),
        "convene_decided_at": london_instant(form.convene_decided_date.data, form.convene_decided_time.time),
        "mode": form.mode.data,
        "out_of_hours": bool(form.out_of_hours.data),
        "chair_id": form.chair_id.data,
        "referral_source": form.referral_source.data.strip(),
        "referral_received_on": form.referral_received_on.data,
        "reason": form.reason.data.strip(),
        "harm_category": form.harm_category.data,
        # Kept exactly as typed (only surrounding blank lines trimmed): these are the referrer's words.
        "referrer_words": (words or "").strip("\n"),
        "referrer_summary": (form.referrer_summary.data or "").strip(),
        "alleged_perpetrator": (form.alleged_perpetrator.data or "").strip(),
    }


def _show_time(date_field, time_field, instant) -> None:
    local = to_london(instant)
    date_field.data, time_field.data = local.date(), local.strftime("%H:%M")


def _prefill_review(form: ConveneForm, previous_id: int | None, child_ids: list[int]) -> None:
    """"Convene the strategy meeting" after a phone discussion: a face-to-face review of that discussion."""
    if not previous_id:
        return
    previous = db.session.execute(db.select(StrategyDiscussion).options(selectinload(StrategyDiscussion.children))
                                  .where(StrategyDiscussion.id == previous_id, discussion_scope(current_user))
                                  ).scalar_one_or_none()
    if previous is None:
        return
    form.kind.data, form.previous_id.data, form.mode.data = "review", previous.id, "meeting"
    form.harm_category.data, form.reason.data = previous.harm_category, previous.reason
    form.referral_source.data, form.referral_received_on.data = previous.referral_source, previous.referral_received_on
    form.referrer_words.data = previous.referrer_words
    form.alleged_perpetrator.data = previous.children[0].alleged_perpetrator if previous.children else ""
    form.chair_id.data = previous.chair_id or form.chair_id.data
    if not child_ids:
        form.child_ids.data = [c.child_id for c in previous.children]
        child_ids.extend(form.child_ids.data)


@bp.route("/new", methods=["GET", "POST"])
@require("discussion.convene")
def new():
    form = ConveneForm()
    found = None
    if request.method == "GET":
        child_ids = _ids(",".join(request.args.getlist("child")))
        form.child_ids.data = child_ids
        form.agency_ids.data = _default_agencies()
        form.chair_id.data = current_user.id if current_user.role in ("mash", "manager") else 0
        # Shown filled in, to be corrected when the decision was made earlier (a discussion recorded afterwards).
        _show_time(form.convene_decided_date, form.convene_decided_time, now())
        _prefill_review(form, next(iter(_ids(request.args.get("review_of"))), None), child_ids)
    else:
        child_ids = _ids(",".join(request.form.getlist("child_ids")))
        if form.find_child.data:
            if (form.find.data or "").strip():
                found = child_services.search(current_user, form.find.data)
                form.found_ids.data = _ids_text(_ids(form.found_ids.data) + [c.id for c in found])
            else:
                form.find.errors = ["Enter a name, date of birth or reference to find a child"]
    found_before = [c for c in _visible_children(_ids(form.found_ids.data)) if c not in (found or [])]
    _fill_convene_choices(form, child_ids, (found or []) + found_before)
    left_out = []
    if request.method == "POST" and not form.find_child.data and form.validate_on_submit():
        left_out = [c for c in _visible_children(_ids(form.found_ids.data)) if c.id not in form.child_ids.data]
        if left_out and not form.without_found.data:
            # Convening without a brother or sister someone went looking for is a choice, never an accident.
            names = " and ".join(c.display_name for c in left_out)
            form.child_ids.errors = [*form.child_ids.errors, (
                f"You found {names} but did not select them: select them to discuss the children together, "
                "or confirm you are convening without them")]
        else:
            data = _details_from(form)
            data["child_ids"] = form.child_ids.data
            data["agency_ids"] = form.agency_ids.data or []

            def create():
                sd = services.convene(data, actor=current_user)
                return url_for("discussions.show", discussion_id=sd.id)

            done = _create(form, create, url_for("discussions.index"), "Strategy discussion convened")
            if done is not None:
                _flag_vague(data["reason"] + "\n" + data["referrer_summary"], "reason or summary")
                return done
    return render_template("discussions/convene.html", form=form, discussion=None, found=found, left_out=left_out)


@bp.route("/<int:discussion_id>/edit", methods=["GET", "POST"])
@require("discussion.convene")
def edit(discussion_id: int):
    sd = _full(discussion_id)
    if sd.status == "cancelled":
        flash("This discussion was cancelled and cannot be changed", "error")
        return redirect(url_for("discussions.show", discussion_id=sd.id))
    form = ConveneForm(obj=sd)
    form.words_locked = bool(sd.referrer_words.strip())
    del form.child_ids, form.find, form.find_child, form.found_ids, form.without_found, form.submission_key
    if sd.status != "draft":
        del form.agency_ids
    if request.method == "GET":
        form.version.data = sd.version
        if sd.scheduled_at:
            _show_time(form.scheduled_date, form.scheduled_time, sd.scheduled_at)
        if sd.ended_at:
            form.ended_time.data = to_london(sd.ended_at).strftime("%H:%M")
        _show_time(form.convene_decided_date, form.convene_decided_time, sd.convene_decided_at)
        if sd.status == "draft":
            form.agency_ids.data = [i.agency_id for i in sd.invitations] or _default_agencies()
            # A draft opened by another feature's rule has the columns' defaults, not anyone's answers.
            form.kind.data = form.urgency.data = form.mode.data = form.harm_category.data = None
        if not sd.chair_id and current_user.role in ("mash", "manager"):
            form.chair_id.data = current_user.id
        form.alleged_perpetrator.data = sd.children[0].alleged_perpetrator if sd.children else ""
    _fill_convene_choices(form, [c.child_id for c in sd.children], discussion=sd)
    conflict = False
    if form.validate_on_submit():
        was_draft = sd.status == "draft"
        details = _details_from(form, sd)
        saved, conflict = _save(form, lambda: services.update_details(
            sd, details, form.version.data, actor=current_user,
            agency_ids=form.agency_ids.data if "agency_ids" in form else ()))
        if saved:
            flash("Strategy discussion convened" if was_draft else "Changes saved", "success")
            _flag_vague(details["reason"] + "\n" + details["referrer_summary"], "reason or summary")
            return redirect(url_for("discussions.show", discussion_id=discussion_id))
        if conflict:
            form.version.data = db.session.get(StrategyDiscussion, discussion_id).version
    return render_template("discussions/convene.html", form=form, discussion=sd, conflict=conflict, found=None)


@bp.route("/<int:discussion_id>/cancel", methods=["GET", "POST"])
@require("discussion.convene")
def cancel(discussion_id: int):
    sd = _full(discussion_id)
    form = CancelDiscussionForm()
    if form.validate_on_submit():
        saved, conflict = _save(form, lambda: services.cancel_discussion(sd, form.reason.data, actor=current_user))
        if saved:
            flash("Strategy discussion cancelled", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion_id))
        if conflict:
            form.form_errors.append("Someone else changed this discussion while you were cancelling it. "
                                    "Check the discussion, then cancel it again if it is still needed")
    return render_template("discussions/cancel.html", form=form, discussion=sd)


# --- Children in a convened discussion ---------------------------------------------------------------------


@bp.route("/<int:discussion_id>/children/add", methods=["GET", "POST"])
@require("discussion.convene")
def add_child(discussion_id: int):
    sd = _full(discussion_id)
    form = AddChildForm()
    if request.method == "GET":
        form.version.data = sd.version
    found = None
    if form.find_child.data:
        if (form.find.data or "").strip():
            found = child_services.search(current_user, form.find.data)
        else:
            form.find.errors = ["Enter a name, date of birth or reference to find a child"]
    already = {c.child_id for c in sd.children}
    shown = [c for c in (found or _visible_children([form.child_id.data] if form.child_id.data else []))
             if c.id not in already]
    form.child_id.choices = [(c.id, _child_label(c)) for c in shown]
    conflict = False
    if request.method == "POST" and not form.find_child.data and form.validate_on_submit():
        child = next((c for c in _visible_children([form.child_id.data or 0])), None)
        if child is None:
            form.child_id.errors = ["Find the child, then select them"]
        else:
            name = child.display_name
            saved, conflict = _save(form, lambda: services.add_child(sd, child, actor=current_user,
                                                                     expected_version=form.version.data))
            if saved:
                flash(f"{name} added to the discussion", "success")
                return redirect(url_for("discussions.show", discussion_id=discussion_id) + f"#child-{child.id}")
            sd = _full(discussion_id)
            if conflict:
                form.version.data = sd.version
    return render_template("discussions/add_child.html", form=form, discussion=sd, found=found, conflict=conflict)


@bp.route("/<int:discussion_id>/children/<int:child_id>/remove", methods=["GET", "POST"])
@require("discussion.convene")
def remove_child(discussion_id: int, child_id: int):
    sd = _full(discussion_id)
    link = _link_or_404(sd, child_id)
    form = RemoveChildForm()
    if request.method == "GET":
        form.version.data = sd.version
    conflict = False
    if form.validate_on_submit():
        name = link.child.display_name
        saved, conflict = _save(form, lambda: services.remove_child(sd, child_id, form.reason.data,
                                                                    actor=current_user,
                                                                    expected_version=form.version.data))
        if saved:
            flash(f"{name} removed from the discussion", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion_id) + "#removed-children")
        sd = _full(discussion_id)
        link = _link_or_404(sd, child_id)
        if conflict:
            form.version.data = sd.version
    return render_template("discussions/remove_child.html", form=form, discussion=sd, link=link, conflict=conflict)


# --- The discussion page -------------------------------------------------------------------------------------


def _prompts_not_covered(sd: StrategyDiscussion) -> list[tuple[str, list[str]]]:
    """For each agency invited, the briefing's prompts it has not yet answered."""
    covered = {(i.agency_id, i.topic) for i in sd.information}
    result = []
    for inv in sd.invitations:
        if inv.status == "not_invited":
            continue
        missing = [label for key, label in INFORMATION_PROMPTS.get(inv.agency.kind, [])
                   if (inv.agency_id, key) not in covered]
        if missing and (inv.agency.name, missing) not in result:
            result.append((inv.agency.name, missing))
    return result


@bp.route("/<int:discussion_id>")
@require("case.view")
def show(discussion_id: int):
    sd = _full(discussion_id)
    phrases = services.current_phrases()
    at = now()
    late = None
    if sd.scheduled_at:
        latest = thresholds.latest_start_on(thresholds.london_date_of(sd.convene_decided_at),
                                            urgent=sd.urgency == "urgent",
                                            working_days=services.setting("DISCUSSION_WITHIN_WORKING_DAYS", 1))
        if thresholds.london_date_of(sd.scheduled_at) > latest:
            late = latest
    # One assessment per referral: completed on another discussion's decision about it, it is done here too.
    open_assessments = [d.child_id for d in sd.decisions
                        if thresholds.starts_assessment(d.outcome) and d.assessment_completed_at is None]
    assessment_done = {}
    if open_assessments and sd.referral_received_on is not None:
        assessment_done = dict(db.session.execute(
            db.select(ThresholdDecision.child_id, db.func.min(ThresholdDecision.assessment_completed_at))
            .join(StrategyDiscussion, StrategyDiscussion.id == ThresholdDecision.discussion_id)
            .where(ThresholdDecision.child_id.in_(open_assessments),
                   ThresholdDecision.assessment_completed_at.is_not(None),
                   StrategyDiscussion.referral_received_on == sd.referral_received_on)
            .group_by(ThresholdDecision.child_id)).all())
    reviews = services.follow_up_reviews(sd) if sd.follow_up_meeting_due_at else []
    follow_up_state = None
    if sd.follow_up_meeting_due_at:
        meetings = [r.scheduled_at for r in reviews
                    if r.mode in thresholds.FOLLOW_UP_MEETING_MODES and r.scheduled_at is not None]
        follow_up_state = thresholds.follow_up_meeting_state(sd.follow_up_meeting_due_at, meetings, at)
    return audit.shown(render_template(
        "discussions/show.html", discussion=sd, at=at, missing=services.missing_minimum_agencies(sd),
        prompts=_prompts_not_covered(sd), topics=TOPICS, late=late,
        by_agency=_information_by_agency(sd), lawful_basis_label=lawful_basis_label,
        flagged={i.id: phrases_found(i.text, phrases) for i in sd.information},
        summary_flagged=phrases_found(sd.referrer_summary, phrases), hint=HINT,
        can_record=can(current_user, "discussion.record"),
        follow_up_reviews=reviews, follow_up_state=follow_up_state, follow_up_tags=thresholds.FOLLOW_UP_TAGS,
        follow_up_detail=thresholds.FOLLOW_UP_DETAIL,
        starts_assessment=thresholds.starts_assessment, assessment_due_at=thresholds.assessment_due_at,
        assessment_done=assessment_done,
        cumulative_harm=cumulative_harm([link.child_id for link in sd.children], current_user, at)),
        "strategy_discussion", sd.id, [c.child_id for c in sd.children])


# --- Attendance ----------------------------------------------------------------------------------------------


@bp.route("/<int:discussion_id>/invite", methods=["GET", "POST"])
@require("discussion.record")
def invite(discussion_id: int):
    sd = _full(discussion_id)
    form = InviteForm()
    form.agency_id.choices = _agency_choices(_active_agencies(), "Select the agency")
    form.user_id.choices = [(0, "Not a user of this service")] + [(u.id, _person_label(u)) for u in _people()]
    if form.validate_on_submit():
        answers = {"agency_id": form.agency_id.data, "user_id": form.user_id.data or None,
                   "person_name": (form.person_name.data or "").strip(), "role": (form.role.data or "").strip()}

        def create():
            services.add_invitation(sd, answers, actor=current_user)
            return url_for("discussions.show", discussion_id=discussion_id) + "#attendance"

        done = _create(form, create, url_for("discussions.show", discussion_id=discussion_id), "Invitation recorded")
        if done is not None:
            return done
    return render_template("discussions/invite.html", form=form, discussion=sd)


@bp.route("/<int:discussion_id>/attendance", methods=["GET", "POST"])
@require("discussion.record")
def attendance(discussion_id: int):
    sd = _full(discussion_id)
    form = attendance_form(sd.invitations, request.form if request.method == "POST" else None)
    conflict = False
    if request.method == "POST" and form.validate() & form.validate_reasons():
        answers = {inv.id: (form[f"status_{inv.id}"].data, form[f"reason_{inv.id}"].data or "")
                   for inv in sd.invitations if form[f"status_{inv.id}"].data}
        versions = {inv.id: form[f"version_{inv.id}"].data for inv in sd.invitations}
        saved, conflict = _save(form, lambda: services.record_attendance(sd, answers, actor=current_user,
                                                                          versions=versions))
        if conflict:
            sd = _full(discussion_id)
            for inv in sd.invitations:
                form[f"version_{inv.id}"].data = inv.version
        if saved:
            missing = services.missing_minimum_agencies(sd)
            flash("Attendance saved", "success")
            if missing:
                flash(f"{' and '.join(missing)} did not attend. A decision without them needs a recorded reason.",
                      "error")
            return redirect(url_for("discussions.show", discussion_id=sd.id) + "#attendance")
    return render_template("discussions/attendance.html", form=form, discussion=sd, conflict=conflict,
                           missing=services.missing_minimum_agencies(sd))


# --- Information and the child's voice ----------------------------------------------------------------------


def _prepare_agency_topic_form(form, sd: StrategyDiscussion) -> None:
    """Information shared and "checked: nothing held" ask the same: which invited agency, which child, which topic.
    Opened from a prompt (?topic=...), the topic and the agency it belongs to start chosen."""
    invited = [i.agency for i in sd.invitations if i.status != "not_invited"]
    form.agency_id.choices = _agency_choices(list(dict.fromkeys(invited)), "Select the agency")
    form.child_id.choices = _which_child_choices(sd)
    if request.method == "GET" and request.args.get("topic") in TOPICS:
        form.topic.data = request.args["topic"]
        kind = next((k for k, prompts in INFORMATION_PROMPTS.items()
                     if any(key == form.topic.data for key, _ in prompts)), None)
        form.agency_id.data = next((a.id for a in invited if a.kind == kind), 0)


@bp.route("/<int:discussion_id>/information", methods=["GET", "POST"])
@require("discussion.record")
def information(discussion_id: int):
    sd = _full(discussion_id)
    form = InformationForm()
    _prepare_agency_topic_form(form, sd)
    if form.validate_on_submit():
        answers = {"agency_id": form.agency_id.data, "child_id": form.child_id.data or None, "topic": form.topic.data,
                   "text": form.text.data.strip(), "shared_by": (form.shared_by.data or "").strip(),
                   "lawful_basis": form.lawful_basis.data}

        def create():
            services.record_information(sd, answers, actor=current_user)
            return url_for("discussions.show", discussion_id=discussion_id) + "#information"

        done = _create(form, create, url_for("discussions.show", discussion_id=discussion_id), "Information recorded")
        if done is not None:
            _flag_vague(answers["text"], "information")
            if answers["lawful_basis"] == CONSENT:
                flash(CONSENT_WARNING, "error")
            return done
    return render_template("discussions/information.html", form=form, discussion=sd,
                           prompts=_prompts_not_covered(sd), phrases=services.current_phrases(),
                           consent_warning=CONSENT_WARNING)


@bp.route("/<int:discussion_id>/nothing-held", methods=["GET", "POST"])
@require("discussion.record")
def nothing_held(discussion_id: int):
    sd = _full(discussion_id)
    form = NothingHeldForm()
    _prepare_agency_topic_form(form, sd)
    if form.validate_on_submit():
        answers = {"agency_id": form.agency_id.data, "child_id": form.child_id.data or None, "topic": form.topic.data,
                   "shared_by": form.shared_by.data.strip()}

        def create():
            services.record_nothing_held(sd, answers, actor=current_user)
            return url_for("discussions.show", discussion_id=discussion_id) + "#information"

        done = _create(form, create, url_for("discussions.show", discussion_id=discussion_id),
                       "Recorded: checked, nothing held")
        if done is not None:
            return done
    return render_template("discussions/nothing_held.html", form=form, discussion=sd,
                           prompts=_prompts_not_covered(sd))


def _information_by_agency(sd: StrategyDiscussion) -> list[dict]:
    """Each invited agency's part of the record: what it shared, what it checked and found nothing, what it was
    never asked. "Nothing held" is an answer, so it is counted as one and never as "not shared"."""
    rows = {}
    for inv in sd.invitations:
        if inv.status == "not_invited" or inv.agency_id in rows:
            continue
        rows[inv.agency_id] = {"agency": inv.agency.name, "shared": 0, "nothing_held": 0, "not_asked": 0,
                               "kind": inv.agency.kind}
    for item in sd.information:
        row = rows.get(item.agency_id)
        if row is not None:
            row["nothing_held" if item.nothing_held else "shared"] += 1
    covered = {(i.agency_id, i.topic) for i in sd.information}
    for agency_id, row in rows.items():
        row["not_asked"] = sum(1 for key, _ in INFORMATION_PROMPTS.get(row["kind"], [])
                               if (agency_id, key) not in covered)
    return list(rows.values())


def _which_child_choices(sd: StrategyDiscussion) -> list:
    # "All the children" is an answer someone gives, so it is not where the list starts.
    return [(None, "Select which child"), (0, "All the children")] + [
        (c.child_id, c.child.display_name) for c in sd.children]


def _link_or_404(sd: StrategyDiscussion, child_id: int) -> DiscussionChild:
    link = next((c for c in sd.children if c.child_id == child_id), None)
    if link is None:
        deny(404, "child", child_id)
    return link


@bp.route("/<int:discussion_id>/children/<int:child_id>/voice", methods=["GET", "POST"])
@require("discussion.record")
def child_voice(discussion_id: int, child_id: int):
    sd = _full(discussion_id)
    link = _link_or_404(sd, child_id)
    # Until someone records the child's voice, the stored "not known" is nobody's answer: start unanswered.
    recorded = link.voice_recorded_at is not None
    form = ChildVoiceForm(obj=link if recorded else None)
    if request.method == "GET":
        form.version.data = link.version if recorded else None
    conflict = False
    if form.validate_on_submit():
        name = link.child.display_name
        saved, conflict = _save(form, lambda: services.record_child_voice(
            link, form.data_for_service(), actor=current_user, expected_version=form.version.data))
        if saved:
            flash(f"{name}'s voice recorded", "success")
            return redirect(url_for("discussions.show", discussion_id=discussion_id) + f"#child-{child_id}")
        if conflict:
            sd = _full(discussion_id)
            link = _link_or_404(sd, child_id)
            form.version.data = link.version
    return render_template("discussions/child_voice.html", form=form, discussion=sd, link=link, conflict=conflict)


# --- Decisions -----------------------------------------------------------------------------------------------


@bp.route("/<int:discussion_id>/children/<int:child_id>/decision", methods=["GET", "POST"])
@require("discussion.record")
def decision(discussion_id: int, child_id: int):
    sd = _full(discussion_id)
    link = _link_or_404(sd, child_id)
    existing = sd.decision_for(child_id)
    form = DecisionForm(obj=existing)
    missing = services.missing_minimum_agencies(sd)
    form.missing_agencies = missing
    form.reason_on_record = bool(sd.minimum_agency_reason.strip())
    if request.method == "GET" and existing is not None:
        form.version.data = existing.version
    if request.method == "GET":
        form.follow_up_meeting.data = sd.follow_up_meeting_due_at is not None
    if sd.status not in ("convened", "decided"):
        flash("Convene the discussion before recording a decision", "error")
        return redirect(url_for("discussions.show", discussion_id=sd.id))
    conflict = False
    if form.validate_on_submit():
        name = link.child.display_name
        saved, conflict = _save(form, lambda: services.record_decision(
            sd, child_id, form.data_for_service(), actor=current_user, expected_version=form.version.data,
            minimum_agency_reason=form.minimum_agency_reason.data or "",
            follow_up_meeting=bool(form.follow_up_meeting.data) if sd.mode == "phone" else None))
        if saved:
            flash(f"Decision for {name} recorded", "success")
            _flag_vague(form.rationale.data, "reasons")
            return redirect(url_for("discussions.show", discussion_id=discussion_id) + f"#decision-{child_id}")
        if conflict:
            # Show the decision saved meanwhile beside the person's own answers, which stay in the form.
            sd = _full(discussion_id)
            link = _link_or_404(sd, child_id)
            existing = sd.decision_for(child_id)
            form.version.data = existing.version if existing else None
    held = services.held_on(sd)
    follow_up_days = services.setting("FOLLOW_UP_MEETING_WORKING_DAYS", thresholds.FOLLOW_UP_MEETING_WORKING_DAYS)
    follow_up_due = sd.follow_up_meeting_due_at or thresholds.follow_up_meeting_due_at(
        sd.scheduled_at or sd.created_at, follow_up_days)
    return render_template("discussions/decision.html", form=form, discussion=sd, link=link, existing=existing,
                           missing=missing, conflict=conflict, icpc_if_started_today=thresholds.icpc_due_on(held),
                           circulation_due=sd.circulation_due_at, follow_up_due=follow_up_due,
                           follow_up_days=follow_up_days)


def _decision_or_404(sd: StrategyDiscussion, decision_id: int) -> ThresholdDecision:
    found = next((d for d in sd.decisions if d.id == decision_id), None)
    if found is None:
        deny(404, "threshold_decision", decision_id)
    return found


def _decision_form(form, discussion_id: int, decision: ThresholdDecision, template: str, work, done: str,
                   conflict_note: str = "Someone else changed this decision while you had this page open. Check the "
                                        "decision, then save again"):
    """One form about a decision's clocks: saved, back to the decision; a broken rule beside its field; a stale
    version, the form again with what was typed and a note (the decision changed since it was opened)."""
    if form.validate_on_submit():
        child_id = decision.child_id
        saved, conflict = _save(form, work)
        if saved:
            flash(done, "success")
            return redirect(url_for("discussions.show", discussion_id=discussion_id) + f"#decision-{child_id}")
        if conflict:
            form.form_errors.append(conflict_note)
            form.version.data = db.session.get(ThresholdDecision, decision.id).version
    elif request.method == "GET":
        form.version.data = decision.version
    return render_template(template, form=form, discussion=decision.discussion, decision=decision)


@bp.route("/<int:discussion_id>/decisions/<int:decision_id>/icpc", methods=["GET", "POST"])
@require("discussion.record")
def icpc(discussion_id: int, decision_id: int):
    sd = _full(discussion_id)
    found = _decision_or_404(sd, decision_id)
    form = IcpcForm(obj=found)
    return _decision_form(form, discussion_id, found, "discussions/icpc.html", lambda: services.record_icpc_date(
        found, form.icpc_date.data, actor=current_user, expected_version=form.version.data or 0,
        late_reason=form.icpc_late_reason.data or ""), "Conference date recorded",
        "Someone else changed this decision while you were recording the conference. Check the decision, then "
        "record the date again")


@bp.route("/<int:discussion_id>/decisions/<int:decision_id>/icpc-held", methods=["GET", "POST"])
@require("discussion.record")
def icpc_held(discussion_id: int, decision_id: int):
    sd = _full(discussion_id)
    found = _decision_or_404(sd, decision_id)
    form = ConferenceHeldForm(obj=found)
    if request.method == "GET" and found.icpc_held_on is None:
        form.icpc_held_on.data = found.icpc_date
    return _decision_form(form, discussion_id, found, "discussions/icpc_held.html",
                          lambda: services.record_conference_held(found, form.icpc_held_on.data, actor=current_user,
                                                                  expected_version=form.version.data),
                          "Conference recorded as held")


@bp.route("/<int:discussion_id>/decisions/<int:decision_id>/enquiry-outcome", methods=["GET", "POST"])
@require("discussion.record")
def enquiry_outcome(discussion_id: int, decision_id: int):
    sd = _full(discussion_id)
    found = _decision_or_404(sd, decision_id)
    form = EnquiryOutcomeForm(obj=found)
    return _decision_form(form, discussion_id, found, "discussions/enquiry_outcome.html",
                          lambda: services.record_enquiry_outcome(found, {
                              "enquiry_outcome": form.enquiry_outcome.data,
                              "enquiry_outcome_reason": form.enquiry_outcome_reason.data or "",
                              "enquiry_outcome_on": form.enquiry_outcome_on.data},
                              actor=current_user, expected_version=form.version.data),
                          "Outcome of the section 47 enquiry recorded")


@bp.route("/<int:discussion_id>/decisions/<int:decision_id>/assessment", methods=["GET", "POST"])
@require("discussion.record")
def assessment(discussion_id: int, decision_id: int):
    sd = _full(discussion_id)
    found = _decision_or_404(sd, decision_id)
    form = AssessmentForm()
    if request.method == "GET" and found.assessment_completed_at is not None:
        _show_time(form.completed_date, form.completed_time, found.assessment_completed_at)
    return _decision_form(form, discussion_id, found, "discussions/assessment.html",
                          lambda: services.record_assessment_completed(
                              found, london_instant(form.completed_date.data, form.completed_time.time),
                              actor=current_user, expected_version=form.version.data),
                          "Child and family assessment recorded as completed")


# --- Agreed actions ------------------------------------------------------------------------------------------


@bp.route("/<int:discussion_id>/actions/new", methods=["GET", "POST"])
@require("discussion.record")
def new_action(discussion_id: int):
    sd = _full(discussion_id)
    form = ActionForm()
    form.child_id.choices = _which_child_choices(sd)
    form.owner_id.choices = [(0, "Select the owner")] + [(u.id, _person_label(u)) for u in _people()]
    if form.validate_on_submit():
        answers = {"description": form.description.data.strip(), "child_id": form.child_id.data or None,
                   "owner_id": form.owner_id.data, "due_at": london_instant(form.due_date.data, form.due_time.time),
                   "far_ahead_confirmed": bool(form.far_ahead.data)}

        def create():
            services.add_action(sd, answers, actor=current_user)
            return url_for("discussions.show", discussion_id=discussion_id) + "#actions"

        done = _create(form, create, url_for("discussions.show", discussion_id=discussion_id), "Action added")
        if done is not None:
            return done
    return render_template("discussions/action_form.html", form=form, discussion=sd)


def _action_or_404(action_id: int) -> AgreedAction:
    action = db.session.execute(
        db.select(AgreedAction).options(joinedload(AgreedAction.discussion), joinedload(AgreedAction.owner),
                                        selectinload(AgreedAction.changes).joinedload(AgreedActionChange.to_owner),
                                        selectinload(AgreedAction.changes).joinedload(AgreedActionChange.changed_by))
        .join(StrategyDiscussion, StrategyDiscussion.id == AgreedAction.discussion_id)
        .where(AgreedAction.id == action_id, discussion_scope(current_user))).scalar_one_or_none()
    if action is None:
        deny(404, "agreed_action", action_id)
    return action


@bp.route("/actions/<int:action_id>", methods=["GET", "POST"])
@require("case.view")
def action(action_id: int):
    item = _action_or_404(action_id)
    audit.record_view("agreed_action", item.id, [c.child_id for c in item.discussion.children])
    item = _action_or_404(action_id)  # the view's commit expired it: reload with its history in one go
    complete_form, cancel_form = CompleteActionForm(prefix="done"), CancelActionForm(prefix="cancel")
    if request.method == "GET":
        complete_form.version.data = cancel_form.version.data = item.version
    conflict = False
    if request.method == "POST":
        if not can_change_action(current_user, item):
            deny(403, "agreed_action", item.id)
        which = "done" if "done-submit" in request.form else "cancel"
        form = complete_form if which == "done" else cancel_form
        if form.validate_on_submit():
            def work():
                if which == "done":
                    services.complete_action(item, form.completion_note.data, actor=current_user,
                                             expected_version=form.version.data)
                else:
                    services.cancel_action(item, form.cancel_reason.data, actor=current_user,
                                           expected_version=form.version.data)

            saved, conflict = _save(form, work)
            if saved:
                flash("Action marked as done" if which == "done" else "Action cancelled", "success")
                return redirect(url_for("discussions.action", action_id=action_id))
            item = _action_or_404(action_id)
            if conflict:
                form.version.data = item.version
    return render_template("discussions/action.html", item=item, complete_form=complete_form,
                           cancel_form=cancel_form, conflict=conflict, at=now(),
                           may_change=can_change_action(current_user, item),
                           form=complete_form if complete_form.errors else cancel_form)


@bp.route("/actions/<int:action_id>/change", methods=["GET", "POST"])
@require("case.view")
def change_action(action_id: int):
    item = _action_or_404(action_id)
    if not can_change_action(current_user, item):
        deny(403, "agreed_action", item.id)
    if item.status != "open":
        flash(f"This action is {item.status_label.lower()}: it can no longer be changed", "error")
        return redirect(url_for("discussions.action", action_id=item.id))
    form = ChangeActionForm()
    people = _people()
    form.owner_id.choices = [(0, "Select the owner")] + [(u.id, _person_label(u)) for u in people]
    if request.method == "GET":
        local = to_london(item.due_at)
        form.version.data, form.owner_id.data = item.version, item.owner_id
        form.due_date.data, form.due_time.data = local.date(), local.strftime("%H:%M")
    conflict = False
    if form.validate_on_submit():
        saved, conflict = _save(form, lambda: services.change_action(
            item, owner_id=form.owner_id.data, due_at=london_instant(form.due_date.data, form.due_time.time),
            reason=form.reason.data, actor=current_user, expected_version=form.version.data,
            far_ahead_confirmed=bool(form.far_ahead.data)))
        if saved:
            flash("Action changed", "success")
            return redirect(url_for("discussions.action", action_id=action_id))
        item = _action_or_404(action_id)
        if conflict:
            form.version.data = item.version
    return render_template("discussions/action_change.html", form=form, item=item, conflict=conflict)


# --- Minutes -------------------------------------------------------------------------------------------------


@bp.route("/<int:discussion_id>/minutes", methods=["GET", "POST"])
@require("case.view")
def minutes(discussion_id: int):
    sd = _full(discussion_id)
    latest = sd.latest_minutes
    form = MinutesForm()
    conflict = None
    if request.method == "GET":
        audit.record_view("minutes", sd.id, [c.child_id for c in sd.children])
        form.based_on_id.data = latest.id if latest else 0
        form.based_on_revision.data = latest.revision if latest else 0
        form.text.data = latest.text if latest else ""
        if request.args.get("from") == "record":
            # filled in the box only: nothing is saved until the chair has read it and pressed Save
            form.text.data = minutes_draft.draft(sd)
    elif not can(current_user, "discussion.record"):
        deny(403, "strategy_discussion", sd.id)
    elif form.validate_on_submit():
        result = {}

        def work():
            version = services.save_minutes(sd, form.text.data, actor=current_user,
                                            based_on_id=form.based_on_id.data or 0,
                                            based_on_revision=form.based_on_revision.data or 0,
                                            change_note=form.change_note.data or "")
            result.update(number=version.number, text=version.text)

        saved, stale = _save(form, work)
        if saved:
            flash(f"Minutes saved (version {result['number']})", "success")
            _flag_vague(result["text"], "minutes")
            return redirect(url_for("discussions.minutes", discussion_id=discussion_id))
        if stale:
            sd = _full(discussion_id)
            conflict = sd.latest_minutes
            form.based_on_id.data = conflict.id if conflict else 0
            form.based_on_revision.data = conflict.revision if conflict else 0
    versions = list(reversed(sd.minutes_versions))
    # who was sent what, read from the outbox rows themselves (not from the list the page meant to send to)
    sent = {c.id: sent_about("minutes_circulation", c.id) for c in sd.circulations}
    return render_template("discussions/minutes.html", form=form, discussion=sd, latest=sd.latest_minutes, sent=sent,
                           versions=versions, conflict=conflict, diffs=_diffs(sd.minutes_versions),
                           flagged=phrases_found(sd.latest_minutes.text if sd.latest_minutes else "",
                                                 services.current_phrases()), hint=HINT,
                           phrases=services.current_phrases(), recipients=services.circulation_recipients(sd),
                           agree_form=_agree_form(sd), can_record=can(current_user, "discussion.record"))


def _agree_form(sd: StrategyDiscussion) -> AgreeMinutesForm:
    form = AgreeMinutesForm(prefix="agree", formdata=None)
    latest = sd.latest_minutes
    form.version_id.data, form.revision.data = (latest.id, latest.revision) if latest else (None, None)
    return form


def _diffs(versions: list[MinutesVersion]) -> dict[int, list[str]]:
    """For each version after the first, the lines removed and added since the one before."""
    import difflib

    result = {}
    for before, after in zip(versions, versions[1:], strict=False):
        lines = difflib.unified_diff(before.text.splitlines(), after.text.splitlines(), lineterm="", n=0)
        result[after.id] = [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return result


@bp.route("/<int:discussion_id>/minutes/agree", methods=["POST"])
@require("discussion.record")
def agree_minutes(discussion_id: int):
    sd = _full(discussion_id)
    form = AgreeMinutesForm(prefix="agree")
    if form.validate_on_submit():
        agreed = {}

        def work():
            # A page without the version read (0) can never match: agreeing is always of a known text.
            agreed["number"] = services.agree_minutes(sd, actor=current_user, version_id=form.version_id.data or 0,
                                                      revision=form.revision.data or 0).number

        saved, stale = _save(form, work)
        if saved:
            flash(f"Minutes agreed (version {agreed['number']})", "success")
        elif stale:
            flash("Someone saved the minutes after you opened them, so they were not agreed. Read the version "
                  "below, then agree it if it is right.", "error")
        else:
            flash(" ".join(form.form_errors + [e for errs in form.errors.values() for e in errs]), "error")
    elif form.errors:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("discussions.minutes", discussion_id=discussion_id))


@bp.route("/<int:discussion_id>/minutes/circulate", methods=["GET", "POST"])
@require("discussion.record")
def circulate(discussion_id: int):
    sd = _full(discussion_id)
    form = CirculateForm()
    if request.method == "GET":
        form.version.data = sd.version
    if form.validate_on_submit():
        saved, stale = _save(form, lambda: services.circulate_minutes(
            sd, actor=current_user, referrer_told=form.referrer_told.data,
            referrer_told_how=form.referrer_told_how.data or "", expected_version=form.version.data or 0))
        if saved:
            flash("Circulation of the minutes recorded", "success")
            return redirect(url_for("discussions.minutes", discussion_id=discussion_id))
        sd = _full(discussion_id)
        if stale:
            form.version.data = sd.version
            form.form_errors.append("Someone else changed this discussion or its minutes after you opened this "
                                    "page. Check the minutes and who they go to, then record the circulation again")
    return render_template("discussions/circulate.html", form=form, discussion=sd,
                           recipients=services.circulation_recipients(sd))


@bp.route("/<int:discussion_id>/dissent", methods=["GET", "POST"])
@require("discussion.record")
def dissent(discussion_id: int):
    sd = _full(discussion_id)
    form = DissentForm()
    form.agency_id.choices = _agency_choices(list(dict.fromkeys(i.agency for i in sd.invitations)),
                                             "Select the agency")
    if form.validate_on_submit():
        answers = {"agency_id": form.agency_id.data, "person_name": form.person_name.data.strip(),
                   "text": form.text.data.strip()}

        def create():
            services.record_dissent(sd, answers, actor=current_user)
            return url_for("discussions.show", discussion_id=discussion_id) + "#dissent"

        done = _create(form, create, url_for("discussions.show", discussion_id=discussion_id),
                       "Disagreement recorded")
        if done is not None:
            return done
    return render_template("discussions/dissent.html", form=form, discussion=sd)


# --- The partnership's vague phrases ------------------------------------------------------------------------


@bp.route("/vague-phrases", methods=["GET", "POST"])
@require("vague_phrases.manage")
def vague_phrases():
    form = PhraseForm()
    if form.validate_on_submit():
        added = {}
        saved, _ = _save(form, lambda: added.update(phrase=services.add_phrase(form.phrase.data, actor=current_user)))
        if saved:
            flash(f"“{added['phrase']}” will be flagged", "success")
            return redirect(url_for("discussions.vague_phrases"))
    return render_template("discussions/vague_phrases.html", form=form, phrases=services.current_phrases(),
                           remove_form=RemovePhraseForm(), hint=HINT)


@bp.route("/vague-phrases/remove", methods=["POST"])
@require("vague_phrases.manage")
def remove_vague_phrase():
    form = RemovePhraseForm()
    if form.validate_on_submit():
        saved, _ = _save(form, lambda: services.remove_phrase(form.phrase.data, actor=current_user))
        if saved:
            flash(f"“{form.phrase.data}” will no longer be flagged", "success")
        else:
            flash(" ".join(form.form_errors + form.phrase.errors), "error")
    return redirect(url_for("discussions.vague_phrases"))


@bp.route("/<int:discussion_id>/record")
@require("case.view")
def printable(discussion_id: int):
    """The whole record on paper (for a conference chair, a court bundle or a case review): what was recorded and
    the minutes agreed, marked OFFICIAL-SENSITIVE. Opening it is audited as a print."""
    sd = _full(discussion_id)
    audit.record_view("strategy_discussion_print", sd.id, [c.child_id for c in sd.children])
    agreed = next((v for v in reversed(sd.minutes_versions) if v.agreed_at), None)
    sent = {c.id: sent_about("minutes_circulation", c.id) for c in sd.circulations}
    return render_template("discussions/printable.html", sd=sd, agreed=agreed, sent=sent, printed_at=now(),
                           draft=minutes_draft.draft(sd))
