from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from ..auth.models import Agency, AgencyKind
from ..clock import london_today
from ..extensions import db
from ..forms import GovCheckboxesInput, GovDateField, GovSelect, GovSubmitInput, GovTextInput, limit
from .scopes import all_scopes
from .webhooks import EVENT_KINDS


class ClientForm(FlaskForm):
    name = StringField("Name of the system", widget=GovTextInput(),
                       description="For example, Testshire Police: Niche",
                       validators=[DataRequired("Enter the name of the system"), limit("Name of the system", 150)])
    agency_id = SelectField("Agency", coerce=int, widget=GovSelect(),
                            description="The system sees and does what this agency's managers may",
                            validators=[InputRequired("Select the agency whose system this is")])
    scopes = SelectMultipleField("What the system may do", choices=all_scopes(), widget=GovCheckboxesInput(),
                                 validators=[DataRequired("Select what the system may do")])
    expires_on = GovDateField("Token expires on", description="At most a year from today; at the start of that day")
    requests_per_minute = IntegerField("Requests a minute", default=120, widget=GovTextInput(),
                                       validators=[InputRequired("Enter how many requests a minute the system may "
                                                                 "make"),
                                                   NumberRange(1, 6000, "Requests a minute must be between 1 and "
                                                                        "6,000")])
    submit = SubmitField("Create client and show its token", widget=GovSubmitInput())

    def fill_choices(self) -> None:
        agencies = db.session.execute(
            db.select(Agency).where(Agency.is_active.is_(True),
                                    Agency.kind != AgencyKind.SAFEGUARDING_PARTNERSHIP.value)
            .order_by(Agency.name)).scalars()
        self.agency_id.choices = [(0, "Select an agency")] + [(a.id, a.name) for a in agencies]

    def validate_agency_id(self, field):
        if not field.data:
            raise ValidationError("Select the agency whose system this is")

    def validate_expires_on(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the token expires")
        if field.data and field.data <= london_today():
            raise ValidationError("Token expiry date must be in the future")
        if field.data and field.data > london_today() + timedelta(days=366):
            raise ValidationError("Token expiry date must be within a year: make a new client then")


class RevokeForm(FlaskForm):
    revoke = SubmitField("Revoke the token", widget=GovSubmitInput())


class SubscriptionForm(FlaskForm):
    url = StringField("Address to send events to", widget=GovTextInput(),
                      description="The receiving system's HTTPS address",
                      validators=[DataRequired("Enter the address to send events to"), limit("Address", 500)])
    kinds = SelectMultipleField("Events", choices=list(EVENT_KINDS.items()), widget=GovCheckboxesInput(),
                                validators=[DataRequired("Select which events to send")])
    add_webhook = SubmitField("Add webhook and show its signing secret", widget=GovSubmitInput())


class SendAgainForm(FlaskForm):
    send_again = SubmitField("Send again", widget=GovSubmitInput())
