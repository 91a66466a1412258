from __future__ import annotations

from flask import (Blueprint, current_app, flash, redirect, render_template, request, url_for)
from flask_login import current_user

from .. import audit
from ..auth.access import (child_scope, deny, require, restricted_out_of_sight, scoped,
                           visible_child_or_404)
from ..clock import now
from ..extensions import db, limiter
from ..pagination import page_number, paginate
from ..service import RuleError, StaleEdit, transaction
from ..submissions.services import AlreadySaved, once, show_already_saved
from . import listing, need_to_know, presence, services
from .forms import AdversityForm, BreakGlassForm, ChildEditForm, ChildForm, RestrictForm, SearchForm, show_rule_error
from .models import Child
from .timeline import timeline_page

bp = Blueprint("children", __name__, url_prefix="/children")

#: the children list says how many restricted records it leaves out up to this many, then "more than"
OUT_OF_SIGHT_CAP = 100


def _out_of_sight(clause):
    return db.select(db.func.count()).select_from(
        db.select(Child.id).where(clause).limit(OUT_OF_SIGHT_CAP + 1).subquery())


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


@bp.route("/", methods=["GET", "POST"])
@require("case.view")
@limiter.limit(lambda: current_app.config["SEARCH_RATE_LIMIT"], key_func=_per_user, methods=["POST"])
def index():
    """Recently recorded children the user may see, and a search (by POST: names stay out of URLs)."""
    form = SearchForm()
    results = None
    if request.method == "POST" and form.validate_on_submit():
        with transaction():
            results = services.search(current_user, form.query.data)
    # the columns the list shows (`listing.py`), and the count, kept for this person's scope (`scoped`)
    rows, counted = scoped((child_scope(current_user),), listing.listed)
    page = paginate(rows, request.args.get("page", 1), scalars=False, counted=counted, kept=True)
    page.items = listing.as_rows(page.items)
    # a number and no names: the list does not pretend a restricted child is not there. Counted up to a cap: each
    # restricted child is probed against the person's links, and the partnership's restricted children grow with it
    # (989 at 10x: 41 ms for a school uncapped)
    out_of_sight = db.session.execute(scoped((restricted_out_of_sight(current_user),), _out_of_sight)).scalar()
    return render_template("children/index.html", form=form, results=results, page=page,
                           limit=services.SEARCH_LIMIT, out_of_sight=out_of_sight,
                           out_of_sight_cap=OUT_OF_SIGHT_CAP)


@bp.route("/new", methods=["GET", "POST"])
@require("child.create")
def new():
    form = ChildForm()
    matches = nhs_offer = None
    if form.validate_on_submit():
        data = form.data_for_service()

        def create() -> str:
            child = services.create_child(data, actor=current_user, confirmed_new=bool(form.confirmed_new.data))
            return url_for("children.show", child_id=child.id)

        try:
            url = once(form.submission_key.data, current_user.id, create)
        except AlreadySaved as err:
            return show_already_saved(err)
        except services.NearMatch as err:
            matches = err.matches
        except RuleError as err:
            show_rule_error(form, err, "first_name")
            if isinstance(err, services.HiddenRecord):
                nhs_offer = err.child_id
        else:
            flash(f"{data['first_name']} {data['last_name']} added", "success")
            return redirect(url)
    return render_template("children/form.html", form=form, child=None, matches=matches, nhs_offer=nhs_offer)


@bp.route("/<int:child_id>")
@require("case.view")
def show(child_id: int):
    # with what the child has at all: each section then reads its rows only if there are any
    child = presence.visible_child(child_id, current_user)
    presence.load_adversities(child)
    return audit.shown(render_template(
        "children/show.html", child=child, adversity_form=AdversityForm(),
        timeline=timeline_page(child, current_user, page_number(request.args.get("page", 1)))), "child", child.id)


@bp.route("/<int:child_id>/edit", methods=["GET", "POST"])
@require("child.edit")
def edit(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = ChildEditForm(obj=child)
    if request.method == "GET":
        form.version.data = child.version
    conflict = False
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_child(child, form.data_for_service(), form.version_number, actor=current_user)
        except StaleEdit:
            conflict = True
            form.version.data = db.session.get(Child, child_id).version
        except RuleError as err:
            show_rule_error(form, err, "first_name")
        else:
            flash("Changes saved", "success")
            return redirect(url_for("children.show", child_id=child.id))
    return render_template("children/form.html", form=form, child=child, conflict=conflict)


@bp.route("/<int:child_id>/adversities", methods=["POST"])
@require("child.edit")
def add_adversity(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = AdversityForm()
    if form.validate_on_submit():
        def create() -> str:
            services.record_adversity(child, form.adversity.data, (form.note.data or "").strip(),
                                      actor=current_user)
            return url_for("children.show", child_id=child.id) + "#adversities"

        try:
            url = once(form.submission_key.data, current_user.id, create)
        except AlreadySaved as err:
            return show_already_saved(err)
        except RuleError as err:
            show_rule_error(form, err, "adversity")
        else:
            flash("Family adversity recorded", "success")
            return redirect(url)
    return audit.shown(render_template("children/show.html", child=child, adversity_form=form, form=form,
                                       timeline=timeline_page(child, current_user, 1)), "child", child.id), 200


@bp.app_template_global()
def break_glass_url(child_id: int) -> str:
    """Where someone told "a record exists" can ask to open it with a reason."""
    return url_for("children.break_glass", offer=need_to_know.offer_token(current_user, child_id))


@bp.route("/<int:child_id>/restriction", methods=["GET", "POST"])
@require("child.restrict")
def restriction(child_id: int):
    child = visible_child_or_404(child_id, for_change=True)
    form = RestrictForm()
    if request.method == "GET":
        form.version.data = child.version
        form.restricted.data = "yes" if child.restricted else "no"
        form.people.data = "\n".join(u.email for u in need_to_know.access_list(child))
    conflict = False
    if form.validate_on_submit():
        try:
            with transaction():
                need_to_know.set_restriction(child, restricted=form.restricted.data == "yes", emails=form.emails,
                                             reason=form.reason.data, actor=current_user,
                                             expected_version=form.version_number)
        except StaleEdit:
            conflict = True
            form.version.data = db.session.get(Child, child_id).version
        except RuleError as err:
            show_rule_error(form, err, "reason")
        else:
            flash("Who may see the record is saved", "success")
            return redirect(url_for("children.show", child_id=child_id))
    audit.record_view("child", child.id)
    return render_template("children/restriction.html", child=child, form=form, conflict=conflict,
                           people=need_to_know.access_list(child))


@bp.route("/break-glass/<offer>", methods=["GET", "POST"])
@require("case.view")
def break_glass(offer: str):
    """Open a record outside one's scope with a reason: only from an offer the app made where it had said a record
    exists (there is no URL to try ids with), never for a restricted child."""
    child_id = need_to_know.offered_child(offer, current_user)
    if child_id is None:
        deny(404)
    child = db.session.get(Child, child_id)
    if child is None or child.restricted:
        deny(404, "child", child_id)
    if db.session.execute(db.select(Child.id).where(Child.id == child_id, child_scope(current_user))).first():
        return redirect(url_for("children.show", child_id=child_id))
    form = BreakGlassForm()
    if form.validate_on_submit():
        def create() -> str:
            need_to_know.break_glass(child, form.reason.data, actor=current_user)
            return url_for("children.show", child_id=child_id)

        try:
            url = once(form.submission_key.data, current_user.id, create)
        except AlreadySaved as err:
            return show_already_saved(err)
        except RuleError as err:
            show_rule_error(form, err, "reason")
        else:
            flash(f"Record opened for {current_app.config['BREAK_GLASS_HOURS']} hours. Your reason is recorded",
                  "success")
            return redirect(url)
    return render_template("children/break_glass.html", form=form, offer=offer,
                           hours=current_app.config["BREAK_GLASS_HOURS"])


@bp.route("/break-glass")
@require("break_glass.review")
def break_glass_review():
    """Break-glass uses by the manager's agency and team, for them to review."""
    page = paginate(need_to_know.uses_to_review(current_user), request.args.get("page", 1), per_page=50)
    return render_template("children/break_glass_review.html", page=page, at=now())
