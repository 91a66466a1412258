from __future__ import annotations

from flask import (Blueprint, current_app, flash, redirect, render_template, request, url_for)
from flask_login import current_user

from .. import audit
from ..auth.access import child_scope, require, visible_child_or_404
from ..extensions import db, limiter
from ..pagination import paginate
from ..service import RuleError, StaleEdit, transaction
from ..submissions.services import AlreadySaved, once, show_already_saved
from . import services
from .forms import AdversityForm, ChildEditForm, ChildForm, SearchForm, show_rule_error
from .models import Child
from .timeline import timeline

bp = Blueprint("children", __name__, url_prefix="/children")


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
    query = db.select(Child).where(child_scope(current_user)).order_by(Child.created_at.desc(), Child.id.desc())
    page = paginate(query, request.args.get("page", 1))
    return render_template("children/index.html", form=form, results=results, page=page,
                           limit=services.SEARCH_LIMIT)


@bp.route("/new", methods=["GET", "POST"])
@require("child.create")
def new():
    form = ChildForm()
    matches = None
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
        else:
            flash(f"{data['first_name']} {data['last_name']} added", "success")
            return redirect(url)
    return render_template("children/form.html", form=form, child=None, matches=matches)


@bp.route("/<int:child_id>")
@require("case.view")
def show(child_id: int):
    child = visible_child_or_404(child_id)
    audit.record_view("child", child.id)
    return render_template("children/show.html", child=child, timeline=timeline(child, current_user),
                           adversity_form=AdversityForm())


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
    audit.record_view("child", child.id)
    return render_template("children/show.html", child=child, timeline=timeline(child, current_user),
                           adversity_form=form, form=form), 200
