from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from .. import audit, input_guard
from ..extensions import limiter
from ..service import RuleError, transaction
from . import mfa, oidc, services, sessions, set_password
from .access import public
from .forms import ChangePasswordForm, CodeForm, SetPasswordForm, SetUpCodeForm, SignInForm

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if input_guard.sign_in_has_unusual_characters():
        return input_guard.sign_in_refused()
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        second_factor = mfa.required()
        with transaction():
            user = services.sign_in(form.email.data, form.password.data, complete=not second_factor)
        if user is not None and second_factor:
            mfa.begin(user, _safe_next(request.args.get("next")))
            return redirect(url_for("auth.code" if user.mfa_enrolled_at else "auth.set_up_code"))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        failed = True
        form.password.data = ""
    return render_template("auth/sign_in.html", form=form, failed=failed, failed_message=SIGN_IN_FAILED,
                           oidc=oidc.enabled())


def _finish(user, method: str):
    next_url = mfa.pending_next()
    with transaction():
        services.complete_sign_in(user, method)
    login_user(user)
    return redirect(next_url or url_for("main.home"))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def code():
    """The second step: a code from the authenticator app, or a recovery code."""
    user = mfa.pending_user()
    if user is None or user.mfa_enrolled_at is None:
        flash("Sign in again", "info")
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        typed = form.code.data.strip()
        refused_demo = mfa.holds_refused_demo_secret(user)
        with transaction():
            if services.locked(user):
                accepted, method = False, ""
            elif refused_demo:
                accepted, method = False, ""
                audit.record("mfa_demo_secret_refused", "user", user.id, user=user)
            elif mfa.check_code(user, typed):
                accepted, method = True, "authenticator code"
            elif mfa.use_recovery_code(user, typed):
                accepted, method = True, "recovery code"
            else:
                accepted, method = False, ""
                services.second_factor_failed(user, "wrong sign-in code")
        if accepted:
            return _finish(user, method)
        if refused_demo:
            form.code.errors.append("This account still has the demo sign-in key, which this service does not "
                                    "accept. Ask your administrator to reset your sign-in codes")
            return render_template("auth/code.html", form=form)
        form.code.errors.append("Enter the code your authenticator app shows now, or an unused recovery code")
    return render_template("auth/code.html", form=form)


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def set_up_code():
    """First sign-in (or after an administrator's reset): add this service to an authenticator app."""
    user = mfa.pending_user()
    if user is None or user.mfa_enrolled_at is not None:
        flash("Sign in again", "info")
        return redirect(url_for("auth.sign_in"))
    with transaction():
        mfa.start_setup(user)
    form = SetUpCodeForm()
    if form.validate_on_submit():
        with transaction():
            codes = mfa.confirm_setup(user, form.code.data)
            if codes is None:
                services.second_factor_failed(user, "wrong code while setting up sign-in codes")
        if codes is not None:
            next_url = mfa.pending_next()
            with transaction():
                services.complete_sign_in(user, "authenticator code (set up)")
            login_user(user)
            return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url or url_for("main.home"))
        form.code.errors.append("Enter the 6-digit code the app shows now")
    return render_template("auth/set_up_code.html", form=form, qr=mfa.qr_data_uri(user), key=user.mfa_secret,
                           reset=user.mfa_reset_at is not None)


@bp.route("/sign-in/oidc")
@public
@limiter.limit(_login_limit)
def oidc_start():
    """Off to the identity provider, which checks the password and second factor."""
    if not oidc.enabled():
        abort(404)
    session["oidc_next"] = _safe_next(request.args.get("next"))
    return oidc.client().authorize_redirect(oidc.redirect_uri())


@bp.route("/sign-in/oidc/callback")
@public
@limiter.limit(_login_limit)
def oidc_callback():
    if not oidc.enabled():
        abort(404)
    with transaction():
        user, refusal = oidc.account_for_callback()
    if user is None:
        flash(refusal, "error")
        return redirect(url_for("auth.sign_in"))
    next_url = _safe_next(session.pop("oidc_next", None))
    with transaction():
        oidc.complete(user)
    login_user(user)
    return redirect(next_url or url_for("main.home"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def choose_password(token: str):
    """The emailed link: the person chooses their own password, then signs in with it and their code."""
    user = set_password.user_for(token[:1000])
    if user is None:
        return render_template("auth/set_password_link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            with transaction():
                set_password.choose(user, form.new_password.data)
        except RuleError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash("Your password is set. Sign in with your email address and your new password", "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, user=user)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    with transaction():
        services.sign_out(current_user)
    flash("You have been signed out", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/session/stay-signed-in", methods=["POST"])
@login_required
def stay_signed_in():
    """The timeout warning's "Stay signed in" (WCAG 2.2.1): more time, and how long it now is."""
    with transaction():
        sessions.stay_signed_in()
    left, extendable = sessions.seconds_left()
    return jsonify(seconds_left=left, extendable=extendable)


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return render_template("auth/account.html")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with transaction():
                services.change_password(current_user, form.current_password.data, form.new_password.data)
        except RuleError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            login_user(current_user)
            flash("Your password has been changed. You have been signed out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)
