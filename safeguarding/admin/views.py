from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import mfa, services
from ..auth.access import require
from ..auth.models import Agency, User
from ..extensions import db
from ..pagination import paginate
from ..service import RuleError, transaction
from .forms import AgencyForm, ConfirmForm, NewUserForm, PasswordResetForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _person_or_404(user_id: int) -> User:
    """A person's account: an API client's service account is managed on the API clients pages (revoked, never
    reactivated or given a password)."""
    user = _get_or_404(User, user_id)
    if user.is_service_account:
        abort(404)
    return user


def _fill_choices(form: UserForm, user: User | None = None) -> None:
    agencies = db.session.execute(db.select(Agency).order_by(Agency.name)).scalars()
    form.agency_id.choices = [(0, "Select an agency")] + [(a.id, a.name) for a in agencies]
    managers = db.session.execute(
        db.select(User).where(User.is_active_user.is_(True)).order_by(User.name)
    ).scalars()
    form.line_manager_id.choices = [(0, "No line manager")] + [
        (m.id, f"{m.name} ({m.agency.name})") for m in managers if user is None or m.id != user.id
    ]


def _apply_rule_error(form, err: RuleError) -> None:
    field = getattr(form, err.field or "", None)
    if field is not None:
        field.errors = list(field.errors) + [err.message]
    else:
        form.form_errors.append(err.message)


@bp.route("/")
@require("admin.manage")
def index():
    return render_template("admin/index.html")


@bp.route("/users")
@require("admin.manage")
def users():
    query = (db.select(User).where(User.is_service_account.is_(False))
             .order_by(User.is_active_user.desc(), User.name))
    page = paginate(query, request.args.get("page", 1))
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.manage")
def new_user():
    form = NewUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if not form.agency_id.data:
            form.agency_id.errors = ["Select an agency"]
        else:
            try:
                with transaction():
                    user = services.create_user(form.data_for_service(), form.password.data, actor=current_user)
            except RuleError as err:
                _apply_rule_error(form, err)
            else:
                flash(f"User {user.name} created", "success")
                return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("admin.manage")
def edit_user(user_id: int):
    user = _person_or_404(user_id)
    form = UserForm(obj=user)
    _fill_choices(form, user)
    if request.method == "GET":
        form.line_manager_id.data = user.line_manager_id or 0
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_user(user, form.data_for_service(), actor=current_user)
        except RuleError as err:
            _apply_rule_error(form, err)
        else:
            flash(f"Changes to {user.name} saved", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@require("admin.manage")
def toggle_user(user_id: int):
    user = _person_or_404(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account", "error")
        return redirect(url_for("admin.users"))
    form = ConfirmForm()
    if form.validate_on_submit():
        with transaction():
            services.set_user_active(user, not user.is_active_user, actor=current_user)
        flash(f"{user.name} {'reactivated' if user.is_active_user else 'deactivated and signed out'}", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_user_active.html", form=form, user=user)


@bp.route("/users/<int:user_id>/sign-in-codes", methods=["GET", "POST"])
@require("admin.manage")
def reset_codes(user_id: int):
    """A person who lost their phone and their recovery codes sets up sign-in codes again at next sign-in."""
    user = _person_or_404(user_id)
    if user.id == current_user.id:
        flash("Another administrator must reset your own sign-in codes", "error")
        return redirect(url_for("admin.users"))
    form = ConfirmForm()
    if form.validate_on_submit():
        with transaction():
            mfa.reset(user, actor=current_user)
        flash(f"Sign-in codes for {user.name} reset; they set them up again when they next sign in", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_reset_codes.html", form=form, user=user)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@require("admin.manage")
def reset_password(user_id: int):
    user = _person_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            with transaction():
                services.reset_password(user, form.password.data, actor=current_user)
        except RuleError as err:
            _apply_rule_error(form, err)
        else:
            flash(f"Password for {user.name} set; they have been signed out everywhere", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/reset_password.html", form=form, user=user)


@bp.route("/agencies")
@require("admin.manage")
def agencies():
    rows = db.session.execute(db.select(Agency).order_by(Agency.is_active.desc(), Agency.name)).scalars().all()
    return render_template("admin/agencies.html", agencies=rows)


@bp.route("/agencies/new", methods=["GET", "POST"])
@require("admin.manage")
def new_agency():
    form = AgencyForm()
    form.safeguarding_lead_id.choices = [("", "Add staff first, then choose a lead")]
    if form.validate_on_submit():
        try:
            with transaction():
                agency = services.create_agency(form.data_for_service(), actor=current_user)
        except RuleError as err:
            _apply_rule_error(form, err)
        else:
            flash(f"Agency {agency.name} created", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@require("admin.manage")
def edit_agency(agency_id: int):
    agency = _get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    staff = db.session.execute(db.select(User).where(User.agency_id == agency.id, User.is_active_user.is_(True))
                               .order_by(User.name)).scalars().all()
    form.safeguarding_lead_id.choices = [("", "No safeguarding lead")] + [(u.id, u.name) for u in staff]
    if form.validate_on_submit():
        try:
            with transaction():
                services.update_agency(agency, form.data_for_service(), actor=current_user)
        except RuleError as err:
            _apply_rule_error(form, err)
        else:
            flash(f"Changes to {agency.name} saved", "success")
            return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)
