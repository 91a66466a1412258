from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Integer, bindparam
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, charts
from ..auth.access import can, deny, require, scoped, visible_child_or_404
from ..auth.models import Agency, AgencyKind, Role, User
from ..children.models import Child
from ..clock import now
from ..discussions.access import discussion_scope, visible_action_or_404, visible_decision_or_404
from ..discussions.models import AgreedAction, StrategyDiscussion, ThresholdDecision
from ..exports import csv_response
from ..extensions import db
from ..pagination import paginate
from ..service import RuleError, StaleEdit, expect_version, transaction
from ..suppression import SUPPRESSION_NOTE
from ..submissions.services import AlreadySaved, once, show_already_saved
from . import figures as partnership_figures
from . import figures_charts, services, stages
from .access import difference_scope, visible_difference_or_404
from .timeline import child_differences
from .forms import (CloseForm, EscalateForm, FiguresForm, PolicyChoiceForm, PolicyStageForm, RaiseAboutSharedActionForm,
                    RaiseForm)
from .models import DifferenceNotice, DifferenceStage, PolicyStage, ProfessionalDifference, StagePolicy, Status

bp = Blueprint("differences", __name__, url_prefix="/differences")

FILTERS = {"open": "Open", "closed": "Resolved or withdrawn", "all": "All"}


#: each filter's name, the same object on every request (the list's statements are kept per filter)
_SHOWN = {name: name for name in FILTERS}


def _listed(scope, shown: str):
    query = db.select(ProfessionalDifference).where(scope)
    if shown == "open":
        query = query.where(ProfessionalDifference.status == Status.OPEN.value)
    elif shown == "closed":
        query = query.where(ProfessionalDifference.status != Status.OPEN.value)
    return _for_the_list(query.order_by(ProfessionalDifference.raised_at.desc(), ProfessionalDifference.id.desc()))


def _for_the_list(query):
    """What a row of the list shows (differences/_table.html): the child, both agencies, the open stage. Not the
    people (the raiser, each stage's leads, each with their agency): a page of 26 loaded about 300 rows for them,
    a third of the page's time."""
    return query.options(
        joinedload(ProfessionalDifference.child), joinedload(ProfessionalDifference.raised_by_agency),
        joinedload(ProfessionalDifference.against_agency), selectinload(ProfessionalDifference.stages))


#: a discussion's decisions and actions (the ids from the discussion the page has loaded): two index look-ups (a
#: bitmap OR), where subqueries for them made the database read every difference of the partnership to test each
_ABOUT_THESE = db.or_(ProfessionalDifference.decision_id.in_(bindparam("about_decisions", expanding=True)),
                      ProfessionalDifference.action_id.in_(bindparam("about_actions", expanding=True)))
_ANY_ABOUT_THESE = db.select(db.exists().where(_ABOUT_THESE))


def _differences_about_these(scope):
    # its decision or action is one the page has loaded, found without a join
    return (db.select(ProfessionalDifference).where(_ABOUT_THESE, scope)
            .options(joinedload(ProfessionalDifference.child), joinedload(ProfessionalDifference.raised_by_agency),
                     joinedload(ProfessionalDifference.against_agency), joinedload(ProfessionalDifference.stages))
            .order_by(ProfessionalDifference.raised_at.desc(), ProfessionalDifference.id.desc()))


@bp.app_context_processor
def _child_page_helpers():
    """For templates/children/_differences_summary.html, included on the child's page."""

    def differences_for_child(child):
        if not can(current_user, "difference.view"):
            return []
        return child_differences(child, current_user)  # the same rows as the child's timeline, read once

    def differences_for_discussion(discussion):
        """Differences about this discussion's decisions or actions that the user may see, in one query."""
        if not can(current_user, "difference.view"):
            return []
        # the ids from the discussion the page has loaded: two index look-ups (a bitmap OR), where subqueries for
        # them made the database read every difference of the partnership to test each
        ids = {"about_decisions": [d.id for d in discussion.decisions],
               "about_actions": [a.id for a in discussion.actions]}
        if not ids["about_decisions"] and not ids["about_actions"]:
            return []
        # about one discussion in a hundred has one: a bare look first, where planning the whole query (the scope,
        # four joins) took the database longer than running it, on every discussion's page
        if not db.session.execute(_ANY_ABOUT_THESE, ids).scalar_one():
            return []
        return db.session.execute(scoped((difference_scope(current_user),), _differences_about_these),
                                  ids).scalars().unique().all()

    return {"differences_for_child": differences_for_child, "differences_for_discussion": differences_for_discussion}


@bp.route("/")
@require("difference.view")
def index():
    shown = _SHOWN.get(request.args.get("show", "open")) or _SHOWN["open"]
    # kept per person and filter (`scoped`): a new statement's cache key is a walk of the whole scope, every run
    query = scoped((difference_scope(current_user), shown), _listed)
    page = paginate(query, request.args.get("page", 1), kept=True)
    return render_template("differences/index.html", page=page, shown=shown, filters=FILTERS)


def _agency_choices(form: RaiseForm) -> None:
    agencies = db.session.execute(
        db.select(Agency).where(Agency.is_active.is_(True), Agency.id != current_user.agency_id,
                                Agency.kind != AgencyKind.SAFEGUARDING_PARTNERSHIP.value)
        .order_by(Agency.name)).scalars()
    form.against_agency_id.choices = [(0, "Select an agency")] + [(a.id, a.name) for a in agencies]
    people = db.session.execute(
        db.select(User).join(User.agency)
        .where(User.is_active_user.is_(True), User.role != Role.ADMIN.value, User.agency_id != current_user.agency_id,
               Agency.kind != AgencyKind.SAFEGUARDING_PARTNERSHIP.value)
        .order_by(Agency.name, User.name)).scalars()
    form.responding_lead_id.choices = [(0, "Select a person")] + [(u.id, _person(u)) for u in people]


def _person(user: User) -> str:
    title = f", {user.job_title}" if user.job_title else ""
    return f"{user.name}{title} ({user.agency.name})"


def _stage_choices(field, policy: StagePolicy, after: int) -> None:
    field.choices = [(s.number, f"Stage {s.number}: {s.name}") for s in policy.stages if s.number > after]


def _apply_error(form, err: RuleError, fallback: str) -> None:
    field = getattr(form, err.field or fallback, None) or getattr(form, fallback)
    field.errors = list(field.errors) + [err.message]


#: what a person whose form was overtaken is told; what they typed stays in the form
STALE = ("Someone else changed this professional difference after you opened this page, so nothing was saved. "
         "Check the difference, then record this again if it still applies.")


def _stage_form(form, stage: DifferenceStage) -> None:
    """The open stage the form was shown for, and the difference's version then, travel with the form."""
    if request.method == "GET":
        form.stage_id.data, form.version.data = stage.id, stage.difference.version


def _expect_stage(form, stage: DifferenceStage) -> None:
    """Refuse a form shown for another stage (one escalated meanwhile) or an older version of the difference."""
    if form.stage_id.data != stage.id:
        raise StaleEdit(stage.difference)
    expect_version(stage.difference, form.version.data)


@bp.route("/new/child/<int:child_id>", methods=["GET", "POST"])
@require("difference.raise")
def new_for_child(child_id: int):
    child = visible_child_or_404(child_id)
    form = RaiseForm()
    _agency_choices(form)
    return _raise_page(form, child, back=(url_for("children.show", child_id=child.id),
                                          "Back to " + child.display_name))


#: made once, so that the statement with them is kept (`visible_or_404`)
_A_DECISION_READS = (
    joinedload(ThresholdDecision.child),
    joinedload(ThresholdDecision.discussion).joinedload(StrategyDiscussion.chair).joinedload(User.agency))
_AN_ACTION_READS = (
    joinedload(AgreedAction.owner).joinedload(User.agency), joinedload(AgreedAction.child),
    joinedload(AgreedAction.discussion).selectinload(StrategyDiscussion.children))


@bp.route("/new/decision/<int:decision_id>", methods=["GET", "POST"])
@require("difference.raise")
def new_for_decision(decision_id: int):
    """"Disagree with this decision": a threshold decision taken at a strategy discussion the user can see."""
    decision = visible_decision_or_404(decision_id, *_A_DECISION_READS)
    sd = decision.discussion
    form = RaiseForm()
    _agency_choices(form)
    if request.method == "GET":
        chair = sd.chair
        _prefill(form, agency_id=chair.agency_id if chair else None, person=chair,
                 about=_about_decision(decision), theme="threshold" if decision.outcome in NOT_S47 else "section_47")
    return _raise_page(form, decision.child, decision=decision, discussion=sd,
                       back=(url_for("discussions.show", discussion_id=sd.id) + f"#decision-{decision.child_id}",
                             "Back to the strategy discussion"))


@bp.route("/new/action/<int:action_id>", methods=["GET", "POST"])
@require("difference.raise")
def new_for_action(action_id: int):
    """"Raise a professional difference about this action": an agreed action of a discussion the user can see."""
    action = visible_action_or_404(action_id, *_AN_ACTION_READS)
    sd = action.discussion
    discussed = [link.child for link in sd.children]
    child = action.child or (discussed[0] if len(discussed) == 1 else None)
    if child is None:
        form = RaiseAboutSharedActionForm()
        form.child_id.choices = [(c.id, c.display_name) for c in discussed]
    else:
        form = RaiseForm()
    _agency_choices(form)
    if request.method == "GET":
        _prefill(form, agency_id=action.owner_agency_id, person=action.owner, about=_about_action(action),
                 theme="agreed_action")
    if child is None and form.is_submitted():
        child = next((c for c in discussed if c.id == form.child_id.data), None)
    return _raise_page(form, child, action=action, discussion=sd,
                       back=(url_for("discussions.show", discussion_id=sd.id) + f"#action-{action.id}",
                             "Back to the strategy discussion"))


#: threshold outcomes that stop short of a section 47 enquiry: disagreeing with one is a threshold difference
NOT_S47 = frozenset({"nfa", "early_help", "s17"})


def _prefill(form: RaiseForm, *, agency_id: int | None, person: User | None, about: str, theme: str) -> None:
    """Start the form from what the discussion recorded; the raiser can change any of it."""
    if agency_id in {value for value, _ in form.against_agency_id.choices}:
        form.against_agency_id.data = agency_id
        if person is not None and person.agency_id == agency_id and person.is_active_user:
            form.responding_lead_id.data = person.id
    form.about.data = about
    form.theme.data = theme


def _held(sd: StrategyDiscussion) -> str:
    from ..templating import london_date

    return london_date(sd.scheduled_at) if sd.scheduled_at else "date not recorded"


def _about_decision(decision: ThresholdDecision) -> str:
    sd = decision.discussion
    chair = f" (chair: {sd.chair.name}, {sd.chair.agency.name})" if sd.chair else ""
    text = (f"The decision for {decision.child.display_name} at the strategy discussion of {_held(sd)}{chair}: "
            f"{decision.outcome_label}. Reasons recorded: ")
    room = ABOUT_LIMIT - len(text)
    reasons = decision.rationale if len(decision.rationale) <= room else decision.rationale[:room - 1] + "\u2026"
    return text + reasons


def _about_action(action: AgreedAction) -> str:
    from ..templating import london

    text = (f"The action agreed at the strategy discussion of {_held(action.discussion)} for {action.owner.name} "
            f"({action.owner.agency.name}) to complete by {london(action.due_at)}: ")
    room = ABOUT_LIMIT - len(text)
    words = action.description
    return text + (words if len(words) <= room else words[:room - 1] + "\u2026")


#: the length the raise form accepts for "Which decision or action do you disagree with?"
ABOUT_LIMIT = 2000


def _raise_page(form: RaiseForm, child: Child | None, *, back: tuple[str, str], decision=None, action=None,
                discussion: StrategyDiscussion | None = None):
    with transaction():
        policy = services.policy_in_use()
    _stage_choices(form.start_stage, policy, 0)
    if form.validate_on_submit() and child is not None:
        raised = []

        def create() -> str:
            difference = services.raise_difference(child, form.data_for_service(), actor=current_user,
                                                   decision=decision, action=action)
            raised.append(difference)
            return url_for("differences.show", difference_id=difference.id)

        try:
            url = once(form.submission_key.data, current_user.id, create)
        except AlreadySaved as err:
            return show_already_saved(err)
        except RuleError as err:
            _apply_error(form, err, "about")
        else:
            difference = raised[0]
            flash(f"Professional difference {difference.reference} raised. "
                  f"{difference.open_stage.responding_lead.name} "
                  f"has been told and must respond by {_due(difference.open_stage)}.", "success")
            return redirect(url)
    if discussion is not None:
        audit.record_view("strategy_discussion", discussion.id, [c.child_id for c in discussion.children])
    if child is not None:
        audit.record_view("child", child.id)
    return render_template("differences/new.html", form=form, child=child, policy=policy, decision=decision,
                           action=action, discussion=discussion, back=back)


def _due(stage: DifferenceStage) -> str:
    from ..templating import london

    return london(stage.due_at)


#: what a difference's page shows of it, read with it in one statement: its child, who raised it and between which
#: agencies, its procedure's stages, its own stages and their leads, and the discussion it came from. Both lists of
#: stages joined: a procedure has a handful, so the rows are a few dozen at most, where each list read by itself
#: was a statement of its own. Of the people, the child, the decision, the action and the discussion only the
#: columns the page shows: whole, their rows cost the page about a millisecond to take apart. For showing only: a
#: record loaded so lacks its version column, so it must not be changed in the request that read it this way (the
#: page changes only the difference's notices).
_NAMED = (User.name, User.job_title)
_THE_PAGE_READS = (
    joinedload(ProfessionalDifference.child).load_only(Child.first_name, Child.last_name, Child.is_unborn),
    joinedload(ProfessionalDifference.raised_by).load_only(*_NAMED),
    joinedload(ProfessionalDifference.raised_by_agency), joinedload(ProfessionalDifference.against_agency),
    joinedload(ProfessionalDifference.policy).joinedload(StagePolicy.stages),
    joinedload(ProfessionalDifference.stages).options(joinedload(DifferenceStage.raising_lead).load_only(*_NAMED),
                                                      joinedload(DifferenceStage.responding_lead).load_only(*_NAMED)),
    joinedload(ProfessionalDifference.decision).load_only(ThresholdDecision.outcome, ThresholdDecision.child_id)
    .joinedload(ThresholdDecision.discussion).load_only(StrategyDiscussion.scheduled_at),
    joinedload(ProfessionalDifference.action).load_only(AgreedAction.description)
    .joinedload(AgreedAction.discussion).load_only(StrategyDiscussion.scheduled_at),
)


#: built once (its cache key worked out once, not on every page)
_NOTICES = (db.select(DifferenceNotice).where(DifferenceNotice.difference_id == bindparam("notices_of", type_=Integer))
            .order_by(DifferenceNotice.created_at, DifferenceNotice.id))


def _discussion_if_visible(scope):
    return db.select(StrategyDiscussion.id).where(
        StrategyDiscussion.id == bindparam("discussion_of", type_=Integer), scope)


@bp.route("/<int:difference_id>")
@require("difference.view")
def show(difference_id: int):
    difference = visible_difference_or_404(difference_id, *_THE_PAGE_READS)
    audit.record_view("professional_difference", difference.id, [difference.child_id])
    notices = db.session.execute(_NOTICES, {"notices_of": difference.id}).scalars().all()
    if notices:  # none (most differences' pages): no transaction to commit
        with transaction(keep_loaded=True):  # the notices only: the difference as loaded is still what to show
            services.acknowledge_notices(difference, current_user, notices)
    names = _names({n.recipient_id for n in notices} | {n.acknowledged_by_id for n in notices})
    agencies = {a.id: a for a in db.session.execute(db.select(Agency).where(
        Agency.id.in_({n.recipient_agency_id for n in notices}))).scalars()} if notices else {}
    source = difference.discussion
    # Managers and the partnership business unit see the difference without always seeing the discussion.
    source_visible = source is not None and db.session.execute(
        scoped((discussion_scope(current_user),), _discussion_if_visible), {"discussion_of": source.id}
    ).first() is not None
    return render_template("differences/show.html", difference=difference, notices=notices, names=names,
                           agencies=agencies, source=source, source_visible=source_visible,
                           can_act=services.can_act(difference, current_user),
                           overdue=difference.open_stage is not None and difference.open_stage.due_at <= now(),
                           can_withdraw=services.can_withdraw(difference, current_user))


def _names(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()}


def _open_for_action(difference: ProfessionalDifference, doing: str):
    """The open stage, or a redirect with the reason it cannot be acted on."""
    if not difference.is_open or difference.open_stage is None:
        flash(services._closed_message(difference, doing), "error")
        return None
    if not services.can_act(difference, current_user):
        deny(403, "professional_difference", difference.id)
    return difference.open_stage


@bp.route("/<int:difference_id>/escalate", methods=["GET", "POST"])
@require("difference.view")
def escalate(difference_id: int):
    difference = visible_difference_or_404(difference_id)
    stage = _open_for_action(difference, "escalated")
    if stage is None:
        return redirect(url_for("differences.show", difference_id=difference.id))
    policy = difference.policy
    form = EscalateForm()
    _stage_choices(form.target_stage, policy, stage.number)
    if not form.target_stage.choices:
        flash(f"Stage {stage.number} is the last stage of {policy.name}: record the outcome the partnership "
              "reaches instead.", "error")
        return redirect(url_for("differences.show", difference_id=difference.id))
    _lead_choices(form, difference)
    _stage_form(form, stage)
    if request.method == "GET":
        form.target_stage.data = stage.number + 1
        form.immediate_risk.data = difference.immediate_risk
        raising, responding = services.suggested_leads(difference, stage.number + 1)
        form.raising_lead_id.data = raising or 0
        form.responding_lead_id.data = responding or 0
    if form.validate_on_submit():
        try:
            with transaction():
                _expect_stage(form, stage)
                new_stage = services.escalate(difference, form.data_for_service(), actor=current_user)
        except RuleError as err:
            _apply_error(form, err, "discussion")
        except StaleEdit:
            _apply_error(form, RuleError(STALE), "discussion")
        else:
            flash(f"Escalated to stage {new_stage.number} ({new_stage.name}). {new_stage.raising_lead.name} and "
                  f"{new_stage.responding_lead.name} have been told; the stage ends {_due(new_stage)}.", "success")
            return redirect(url_for("differences.show", difference_id=difference.id))
    return render_template("differences/escalate.html", form=form, difference=difference, stage=stage)


def _lead_choices(form: EscalateForm, difference: ProfessionalDifference) -> None:
    people = db.session.execute(
        db.select(User).where(User.is_active_user.is_(True), User.role != Role.ADMIN.value,
                              User.agency_id.in_([difference.raised_by_agency_id, difference.against_agency_id]))
        .order_by(User.name)).scalars().all()
    form.raising_lead_id.label.text = f"Who will lead for {difference.raised_by_agency.name}?"
    form.responding_lead_id.label.text = f"Who will answer for {difference.against_agency.name}?"
    ranks = stages.lead_ranks(difference.policy.as_rules())
    needs = [f"stage {number}: {stages.RANK_WORDS[rank]}" for number, rank in sorted(ranks.items())
             if number > (difference.current_stage or 0) and rank > stages.ANYONE]
    if needs:
        form.raising_lead_id.description = form.responding_lead_id.description = (
            "Each side is led by someone senior enough for the stage (" + "; ".join(needs) + ")")
    form.raising_lead_id.choices = [(0, "Select a person")] + [
        (u.id, _person(u)) for u in people if u.agency_id == difference.raised_by_agency_id]
    form.responding_lead_id.choices = [(0, "Select a person")] + [
        (u.id, _person(u)) for u in people if u.agency_id == difference.against_agency_id]


@bp.route("/<int:difference_id>/outcome", methods=["GET", "POST"])
@require("difference.view")
def outcome(difference_id: int):
    difference = visible_difference_or_404(difference_id)
    stage = _open_for_action(difference, "closed")
    if stage is None:
        return redirect(url_for("differences.show", difference_id=difference.id))
    form = CloseForm()
    _stage_form(form, stage)
    if not services.can_withdraw(difference, current_user):
        form.outcome.choices = [c for c in form.outcome.choices if c[0] != "withdrawn"]
    if form.validate_on_submit():
        try:
            with transaction():
                _expect_stage(form, stage)
                services.close(difference, form.data_for_service(), actor=current_user)
        except RuleError as err:
            _apply_error(form, err, "discussion")
        except StaleEdit:
            _apply_error(form, RuleError(STALE), "discussion")
        else:
            flash(f"Professional difference {difference.reference} {difference.status} at stage {stage.number}",
                  "success")
            return redirect(url_for("differences.show", difference_id=difference.id))
    return render_template("differences/outcome.html", form=form, difference=difference, stage=stage)


def _figures_period() -> tuple[FiguresForm, tuple | None]:
    """The period asked for ((None, None): every difference), or None when it is wrong."""
    if not request.args:
        return FiguresForm(formdata=None), (None, None)
    form = FiguresForm(request.args)
    return form, ((form.raised_from.data, form.raised_to.data) if form.validate() else None)


def _figures_detail(period) -> str:
    return " to ".join(d.isoformat() if d else "any date" for d in period)


@bp.route("/figures")
@require("reports.view")
def figures():
    form, period = _figures_period()
    result = partnership_figures.compute(*(period or (None, None)))
    if period:
        with transaction():
            audit.record("report_view", "differences_figures", None, detail=_figures_detail(period))
    return render_template("differences/figures.html", form=form, figures=result, period=period or (None, None),
                           charts=figures_charts.all_charts(result), render_chart=charts.render,
                           render_table=charts.table, status_text=figures_charts.status_text(result),
                           suppression_note=SUPPRESSION_NOTE, period_args=_period_args(period or (None, None)))


def _period_args(period) -> dict:
    return {name: [day.day, day.month, day.year] for name, day in zip(("raised_from", "raised_to"), period,
                                                                        strict=True) if day}


@bp.route("/figures/tables/<key>.csv")
@require("reports.view")
def figures_table(key: str):
    """One figures table as CSV: the same rows, with the same numbers withheld, as the page shows."""
    _, period = _figures_period()
    if period is None:
        abort(400)
    chart = figures_charts.all_charts(partnership_figures.compute(*period)).get(key)
    if chart is None:
        abort(404)
    with transaction():
        audit.record("report_view", "differences_figures_csv", None,
                     detail=f"{key}: {_figures_detail(period)}"[:300])
    header, rows = charts.table_rows(chart)
    name = "-to-".join(d.isoformat() if d else "any" for d in period)
    return csv_response(f"differences-{key}-{name}.csv", header, rows)


# --- Administration: the partnership's procedure -----------------------------------------------------------


@bp.route("/policy", methods=["GET", "POST"])
@require("admin.manage")
def policy():
    with transaction():
        policies = services.ensure_policies()
    form = PolicyChoiceForm()
    form.policy_id.choices = [(p.id, p.name) for p in policies]
    if request.method == "GET":
        form.policy_id.data = services.policy_in_use().id
    if form.validate_on_submit():
        chosen = next(p for p in policies if p.id == form.policy_id.data)
        with transaction():
            services.choose_policy(chosen, actor=current_user)
        flash(f"New professional differences will follow {chosen.name}. Open ones keep the procedure they "
              "were raised under.", "success")
        return redirect(url_for("differences.policy"))
    return render_template("differences/policy.html", form=form, policies=policies)


@bp.route("/policy/<int:policy_id>/stages/<int:number>", methods=["GET", "POST"])
@require("admin.manage")
def policy_stage(policy_id: int, number: int):
    stage = db.session.execute(db.select(PolicyStage).where(
        PolicyStage.policy_id == policy_id, PolicyStage.number == number)).scalar_one_or_none()
    if stage is None:
        abort(404)
    form = PolicyStageForm(obj=stage)
    if form.validate_on_submit():
        with transaction():
            changes = services.update_policy_stage(stage, form.data_for_service(), actor=current_user)
        flash(f"Stage {stage.number} of {stage.policy.name} saved" if changes else "No changes to save", "success")
        return redirect(url_for("differences.policy"))
    return render_template("differences/policy_stage.html", form=form, stage=stage)
