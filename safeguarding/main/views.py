from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from ..auth.access import public
from ..extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.sign_in"))


@bp.route("/home")
def home():
    return render_template("main/home.html")


@bp.route("/accessibility")
@public
def accessibility():
    """The accessibility statement (Public Sector Bodies Accessibility Regulations 2018), in the GOV.UK model's form:
    open to anyone, signed in or not, as the regulations require."""
    return render_template("main/accessibility.html", contact=current_app.config.get("ACCESSIBILITY_CONTACT", ""))


@bp.route("/healthz")
@public
def healthz():
    """For load balancers and operators: the app answers and the database is reachable."""
    db.session.execute(text("select 1"))
    return jsonify(status="ok")
