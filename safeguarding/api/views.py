"""The OpenAPI document and its readable page (public: they describe the API, they hold no case data), and the
administrators' pages for API clients."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ..auth.access import public, require
from ..clock import london_datetime, now
from ..extensions import db
from ..service import RuleError, transaction
from . import openapi
from . import services as client_services
from . import webhooks
from .forms import ClientForm, RevokeForm, SendAgainForm, SubscriptionForm
from .framework import bp as api_bp
from .models import ApiClient, WebhookDelivery

admin_bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")


@api_bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi.document())


@api_bp.route("/docs")
@public
def docs():
    return render_template("api/docs.html", doc=openapi.document())


# --- Administrators: API clients --------------------------------------------------------------------------------


@admin_bp.route("/")
@require("admin.manage")
def index():
    return render_template("api/clients.html", clients=client_services.clients(), at=now())


@admin_bp.route("/new", methods=["GET", "POST"])
@require("admin.manage")
def new():
    form = ClientForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            with transaction():
                made = client_services.create_client({
                    "name": form.name.data.strip(), "agency_id": form.agency_id.data, "scopes": form.scopes.data,
                    "expires_at": london_datetime(form.expires_on.data) if form.expires_on.data else None,
                    "requests_per_minute": form.requests_per_minute.data,
                }, actor=current_user)
                client_id, token = made.client.id, made.token
        except RuleError as err:
            getattr(form, err.field or "name").errors.append(err.message)
        else:
            # shown on this response only: it is never stored, so it cannot be shown again
            return render_template("api/token.html", client=db.session.get(ApiClient, client_id), token=token)
    return render_template("api/client_form.html", form=form)


@admin_bp.route("/<int:client_id>", methods=["GET", "POST"])
@require("admin.manage")
def show(client_id: int):
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    form = RevokeForm()
    if form.validate_on_submit():
        with transaction():
            client_services.revoke(client, actor=current_user)
        flash(f"{client.name} can no longer use the API", "success")
        return redirect(url_for("api_clients.show", client_id=client.id))
    return _client_page(client, form)


def _client_page(client: ApiClient, form=None, subscription_form=None, secret: str | None = None):
    subscriptions = db.session.execute(db.select(webhooks.WebhookSubscription).where(
        webhooks.WebhookSubscription.client_id == client.id).order_by(webhooks.WebhookSubscription.id)).scalars()
    return render_template("api/client.html", client=client, form=form or RevokeForm(), at=now(),
                           subscription_form=subscription_form or SubscriptionForm(), secret=secret,
                           subscriptions=list(subscriptions), deliveries=webhooks.deliveries_of(client),
                           kinds=webhooks.EVENT_KINDS, send_again_form=SendAgainForm())


@admin_bp.route("/<int:client_id>/webhooks", methods=["POST"])
@require("admin.manage")
def subscribe(client_id: int):
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    form = SubscriptionForm()
    if form.validate_on_submit():
        try:
            with transaction():
                sub = webhooks.subscribe(client, form.url.data.strip(), form.kinds.data, actor=current_user)
                secret = sub.secret
        except RuleError as err:
            getattr(form, err.field or "url").errors.append(err.message)
        else:
            # the signing secret is shown here once, for the receiver's administrator to set up
            return _client_page(client, secret=secret)
    return _client_page(client, subscription_form=form)


@admin_bp.route("/deliveries/<int:delivery_id>/send-again", methods=["POST"])
@require("admin.manage")
def send_again(delivery_id: int):
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None:
        abort(404)
    if SendAgainForm().validate_on_submit():
        with transaction():
            webhooks.send_again(row, actor=current_user)
        flash("The event will be sent again within a minute", "success")
    return redirect(url_for("api_clients.show", client_id=row.subscription.client_id) + "#deliveries")
