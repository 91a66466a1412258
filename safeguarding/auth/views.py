from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from .. import input_guard
from ..extensions import limiter
from ..service import RuleError, transaction
from . import services
from .access import public
from .forms import ChangePasswordForm, SignInForm

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
        with transaction():
            user = services.sign_in(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        failed = True
        form.password.data = ""
    return render_template("auth/sign_in.html", form=form, failed=failed, failed_message=SIGN_IN_FAILED)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    with transaction():
        services.sign_out(current_user)
    flash("You have been signed out", "success")
    return redirect(url_for("auth.sign_in"))


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
