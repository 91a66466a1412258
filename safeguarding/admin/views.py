from __future__ import annotations

import base64
import binascii

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..auth import duties, mfa, role_requests, services, set_password
from ..auth.access import require
from ..auth.models import AGENCY_KIND_LABELS, LAPSES_AFTER, ROLE_LABELS, Agency, RoleRequest, User
from ..extensions import db
from ..pagination import paginate
from ..service import RuleError, StaleEdit, transaction
from ..submissions.services import AlreadySaved, once, show_already_saved
from . import csv_import, imports
from .forms import (AgencyForm, ApproveAllForm, ConfirmForm, ImportApplyForm, ImportUploadForm, NewUserForm,
                    PasswordResetForm, RoleDecisionForm, UserForm)

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
    return render_template("admin/index.html", role_requests_waiting=role_requests.pending_count())


@bp.route("/users")
@require("admin.manage")
def users():
    query = (db.select(User).where(User.is_service_account.is_(False))
             .order_by(User.is_active_user.desc(), User.name))
    page = paginate(query, request.args.get("page", 1))
    return render_template("admin/users.html", page=page,
                           not_approved=role_requests.accounts_waiting(u.id for u in page.items))


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.manage")
def new_user():
    """No password is typed: the account waits for a second administrator, whose approval emails the person a link
    to choose their own (`role_requests.request_new_account`)."""
    form = NewUserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        if not form.agency_id.data:
            form.agency_id.errors = ["Select an agency"]
        else:
            made = {}

            def create() -> str:
                made["user"] = services.create_user(form.data_for_service(), None, actor=current_user)
                return url_for("admin.edit_user", user_id=made["user"].id)

            try:
                saved = once(form.submission_key.data, current_user.id, create)
            except AlreadySaved as err:
                return show_already_saved(err, url_for("admin.users"))
            except RuleError as err:
                _apply_rule_error(form, err)
            else:
                user = made["user"]
                flash(f"User {user.name} created. A second administrator must approve the account under Changes to "
                      "approve; then they are emailed a link to choose their password", "success")
                return redirect(saved)
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
            flash(" ".join([f"Changes to {user.name} saved.", *_waiting_messages(user, form)]).rstrip("."),
                  "success")
            return redirect(url_for("admin.users"))
    return _user_page(form, user)


def _user_page(form: UserForm, user: User, status: int = 200):
    account = role_requests.account_waiting(user)
    return render_template("admin/user_form.html", form=form, user=user, waiting=role_requests.pending_for(user),
                           email_waiting=role_requests.pending_for(user, "email"), account_waiting=account,
                           ask_again_form=ConfirmForm(prefix="again") if account else None,
                           nobody_else=account is not None and role_requests.deciders_count(account) == 0), status


@bp.route("/users/<int:user_id>/approval", methods=["POST"])
@require("admin.manage")
def ask_again(user_id: int):
    """A new account whose approval lapsed, was rejected, or that changed before anyone decided: ask again."""
    user = _person_or_404(user_id)
    back = redirect(url_for("admin.edit_user", user_id=user.id))
    if not ConfirmForm(prefix="again").validate_on_submit():
        flash("The form has expired. Try again", "error")
        return back
    try:
        with transaction():
            role_requests.ask_again(user, actor=current_user)
    except RuleError as err:
        flash(err.message, "error")
    else:
        flash(f"Approval of {user.name}'s account asked for again: it is waiting under Changes to approve", "success")
    return back


def _waiting_messages(user: User, form: UserForm) -> list[str]:
    """What this edit asked for that waits for a second administrator (the rest of it is saved)."""
    messages = []
    waiting = role_requests.pending_for(user)
    if waiting is not None and (form.role.data, form.agency_id.data) == (waiting.to_role, waiting.to_agency_id):
        messages.append(f"Making them {waiting.to_role_label.lower()} needs a second administrator: the change is "
                        "waiting under Changes to approve.")
    email = role_requests.pending_for(user, "email")
    if email is not None and email.to_email == form.data_for_service()["email"]:
        messages.append(f"Changing their email address to {email.to_email} needs a second administrator: until "
                        f"then they sign in, and any password link goes, to {user.email}. The change is waiting "
                        "under Changes to approve.")
    return messages


#: waiting changes shown a page at a time (an import asks for hundreds of new accounts at once)
REQUESTS_PER_PAGE = 20


@bp.route("/role-requests")
@require("admin.manage")
def role_requests_list():
    outline = role_requests.waiting_outline()
    creators = role_requests.creators(outline)
    admins = role_requests.active_admin_ids()
    # who cannot decide each request: who asked, the person, and a new account's creator
    barred = {r.id: {r.requested_by_id, r.user_id, creators.get(r.user_id)} - {None} for r in outline}
    nobody_else = {r.id for r in outline if not admins - barred[r.id]}
    page = paginate(role_requests.waiting_query(), request.args.get("page", 1), per_page=REQUESTS_PER_PAGE)
    forms = {r.id: RoleDecisionForm(prefix=f"r{r.id}", version=r.version) for r in page.items}
    decided = role_requests.recently_decided() if page.number == 1 else []
    return render_template("admin/role_requests.html", page=page, waiting_count=len(outline), decided=decided,
                           forms=forms, barred=barred, creators=creators, nobody_else=nobody_else,
                           batches=_approve_all_batches(outline, barred), lapse_days=LAPSES_AFTER.days)


def _approve_all_batches(waiting, barred: dict[int, set]) -> list[dict]:
    """New accounts asked for by one administrator (an import, say) that the viewer may approve, two or more,
    whichever page they are listed on: one button approves them all, each still checked and audited on its own."""
    by_asker: dict[int, list] = {}
    for r in waiting:
        if r.kind == "new_account" and current_user.id not in barred[r.id]:
            by_asker.setdefault(r.requested_by_id, []).append(r)
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(by_asker))).all()) \
        if by_asker else {}
    batches = []
    for asker, rows in by_asker.items():
        if len(rows) > 1:
            batches.append({"asker_name": names.get(asker, ""), "count": len(rows),
                            "requests": ",".join(f"{r.id}:{r.version}" for r in rows)})
    return batches


@bp.route("/role-requests/new-accounts", methods=["POST"])
@require("admin.manage")
def approve_new_accounts():
    """Approve every new account listed on the page the administrator saw (by id and version), each on its own:
    one refused (changed, already decided, created by this administrator) leaves the others approved."""
    back = redirect(url_for("admin.role_requests_list"))
    form = ApproveAllForm()
    wanted = _parse_batch(form.requests.data) if form.validate_on_submit() else None
    if not wanted:
        flash("The page has expired. Check the new accounts and approve them again", "error")
        return back
    approved, problems = 0, []
    for request_id, version in wanted:
        role_request = db.session.get(RoleRequest, request_id)
        if role_request is None or role_request.kind != "new_account":
            continue
        name = role_request.user.name
        refused = role_requests.decision_problem(role_request, current_user)
        if refused:  # a hand-made form: audited as on the one-by-one buttons
            with transaction():
                audit.record("authz_fail", "role_request", role_request.id, user=current_user, detail=refused)
            problems.append(f"{name}: {refused}")
            continue
        try:
            with transaction():
                role_requests.approve(role_request, actor=current_user, expected_version=version)
        except StaleEdit:
            problems.append(f"The request for {name} changed after you opened this page: check it and decide again")
        except RuleError as err:
            problems.append(err.message)
        else:
            approved += 1
    if approved:
        flash(f"{approved} new account{'s' if approved != 1 else ''} approved: each person has been emailed a link "
              f"to choose their password (it works once, for {set_password.hours()} hours)", "success")
    for problem in problems[:10]:
        flash(problem, "error")
    return back


def _parse_batch(text: str | None) -> list[tuple[int, int]] | None:
    pairs = []
    for item in (text or "").split(",")[:1000]:
        request_id, _, version = item.partition(":")
        # nine digits at most: a larger number is no request, and PostgreSQL's integer would refuse to look it up
        if not (request_id.isdigit() and version.isdigit() and len(request_id) <= 9 and len(version) <= 9):
            return None
        pairs.append((int(request_id), int(version)))
    return pairs or None


@bp.route("/role-requests/<int:request_id>", methods=["POST"])
@require("admin.manage")
def decide_role_request(request_id: int):
    """Approve or reject: by an administrator who neither asked for the change nor gains from it."""
    role_request = _get_or_404(RoleRequest, request_id)
    form = RoleDecisionForm(prefix=f"r{role_request.id}")
    back = redirect(url_for("admin.role_requests_list"))
    if not form.validate_on_submit():
        flash("Choose Approve or Reject", "error")
        return back
    name, what = role_request.user.name, role_request.what
    ended = role_requests.decidable_problem(role_request)
    if ended:  # a second click, another administrator got there first, or nobody decided it in time
        if role_request.status == "pending":
            try:
                with transaction():
                    role_requests.lapse(role_request, actor=current_user)
            except StaleEdit:
                pass  # someone else wrote it down at the same moment
        flash(ended, "info")
        return back
    problem = role_requests.decision_problem(role_request, current_user)
    if problem:
        with transaction():
            audit.record("authz_fail", "role_request", role_request.id, user=current_user, detail=problem)
        flash(problem, "error")
        return back
    decide = role_requests.approve if form.decision.data == "approve" else role_requests.reject
    try:
        with transaction():
            decide(role_request, actor=current_user, expected_version=form.version.data)
    except StaleEdit:
        flash("The request changed after you opened this page: check it and decide again", "error")
    except RuleError as err:
        flash(err.message, "error")
    else:
        flash(f"{what[0].upper()}{what[1:]} for {name} {role_request.status}" + _decided_note(role_request),
              "success")
    return back


def _decided_note(role_request: RoleRequest) -> str:
    if role_request.kind != "new_account":
        return ""
    if role_request.status == "approved":
        return (f": they have been emailed a link to choose their password (it works once, for "
                f"{set_password.hours()} hours)")
    return ": the account is deactivated and nobody can sign in to it"


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
    guarded = role_requests.guards_sign_in(user)
    if form.validate_on_submit():
        if guarded:
            with transaction():
                role_requests.request_codes_reset(user, actor=current_user)
            flash(f"Resetting the sign-in codes for {user.name} needs a second administrator: the request is waiting "
                  "under Changes to approve. Their codes keep working until it is approved", "success")
            return redirect(url_for("admin.users"))
        with transaction():
            mfa.reset(user, actor=current_user)
        flash(f"Sign-in codes for {user.name} reset; they set them up again when they next sign in", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_reset_codes.html", form=form, user=user, guarded=guarded,
                           waiting=role_requests.pending_for(user, "sign_in_codes"))


@bp.route("/users/<int:user_id>/password-link", methods=["GET", "POST"])
@require("admin.manage")
def send_password_link(user_id: int):
    """Instead of setting a password they would know, an administrator has the person emailed a link to choose one."""
    user = _person_or_404(user_id)
    form = ConfirmForm()
    refused = set_password.not_approved_problem(user)
    if refused:
        if request.method == "POST":
            with transaction():
                audit.record("authz_fail", "user", user.id, user=current_user, detail="password link before approval")
        return render_template("admin/confirm_password_link.html", form=None, user=user, refused=refused,
                               account_waiting=role_requests.account_waiting(user)), \
            400 if request.method == "POST" else 200
    if form.validate_on_submit():
        with transaction():
            set_password.send_link(user, actor=current_user)
        flash(f"{user.name} has been emailed a link to choose a new password (it works once, for "
              f"{set_password.hours()} hours)", "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/confirm_password_link.html", form=form, user=user,
                           email_waiting=role_requests.pending_for(user, "email"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@require("admin.manage")
def reset_password(user_id: int):
    user = _person_or_404(user_id)
    form = PasswordResetForm()
    if role_requests.guards_sign_in(user):
        # Refused rather than made a request: a link to the person does the same, and nobody else knows it.
        if request.method == "POST":
            with transaction():
                audit.record("authz_fail", "user", user.id, user=current_user, detail="typed password")
        return render_template("admin/reset_password.html", form=None, user=user,
                               refused=duties.CASE_ROLE_SETTING_REFUSED,
                               not_approved=set_password.not_approved_problem(user)), \
            400 if request.method == "POST" else 200
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


# --- Onboarding imports --------------------------------------------------------------------------------------


def _import_kind(kind: str) -> imports.Kind:
    found = imports.KINDS_OF_IMPORT.get(kind)
    if found is None:
        abort(404)
    return found


def _import_page(kind: imports.Kind, *, form=None, result=None, apply_form=None, status: int = 200):
    return render_template("admin/import.html", kind=kind, form=form or ImportUploadForm(), result=result,
                           apply_form=apply_form, example=csv_import.example_csv(kind.columns),
                           kinds=AGENCY_KIND_LABELS, roles=ROLE_LABELS), status


@bp.route("/import/<kind>", methods=["GET", "POST"])
@require("admin.manage")
def import_file(kind: str):
    """Upload, then a dry run: every row's outcome (new, changed, unchanged) and every error, nothing saved."""
    kind_ = _import_kind(kind)
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _import_page(kind_, form=form, status=400 if request.method == "POST" else 200)
    upload = form.file.data
    content = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1) if upload else b""
    if not upload or not upload.filename:
        form.file.errors = ["Select a CSV file"]
        return _import_page(kind_, form=form, status=400)
    result = imports.dry_run(kind_, content, actor=current_user)
    with transaction():
        audit.record("import_checked", kind_.key, None, detail=f"file sha256 {result.digest[:16]}: "
                     f"{len(result.rows)} rows, {result.error_count} errors")
    apply_form = None
    if result.can_apply:
        apply_form = ImportApplyForm(formdata=None, prefix="apply")
        apply_form.content.data = base64.b64encode(content).decode("ascii")
    return _import_page(kind_, form=form, result=result, apply_form=apply_form,
                        status=200 if result.can_apply or not result.error_count else 400)


@bp.route("/import/<kind>/apply", methods=["POST"])
@require("admin.manage")
def import_apply(kind: str):
    """Apply the checked file in one transaction; if anything changed since the dry run and a row now has an error,
    nothing is saved and the errors are shown."""
    kind_ = _import_kind(kind)
    form = ImportApplyForm(prefix="apply")
    try:
        content = base64.b64decode(form.content.data or "", validate=True) if form.validate_on_submit() else None
    except (binascii.Error, ValueError):
        content = None
    if not content:
        flash("Upload the file again: the checked file did not come back with the form", "error")
        return redirect(url_for("admin.import_file", kind=kind_.key))
    try:
        with transaction():
            result = imports.apply(kind_, content, actor=current_user)
    except IntegrityError:
        # someone added the same email or agency name between this run's check and its write: nothing was saved
        flash("Someone else changed users or agencies while this file was being applied, and nothing was saved. "
              "Upload the file again to check it against what is there now.", "error")
        return redirect(url_for("admin.import_file", kind=kind_.key))
    if not result.can_apply:
        return _import_page(kind_, result=result, status=400)
    flash(f"Import applied: {result.count(imports.NEW)} new, {result.count(imports.UPDATED)} changed, "
          f"{result.count(imports.UNCHANGED)} unchanged", "success")
    return redirect(url_for(f"admin.{kind_.key}"))
