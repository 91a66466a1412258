"""Forms for the retention schedule and legal holds. Every error message names the field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ..forms import GovCheckboxInput, GovSubmitInput, GovTextArea, GovTextInput, VersionField, limit


def _years(label: str, low: int, high: int) -> IntegerField:
    return IntegerField(label, widget=GovTextInput(),
                        validators=[InputRequired(f"Enter {label[0].lower() + label[1:]} as a whole number"),
                                    NumberRange(low, high, f"{label} must be between {low} and {high}")])


class ScheduleForm(FlaskForm):
    version = VersionField()
    child_protection_age = _years("Child protection records are kept until the child's birthday of age", 18, 100)
    missing_age = _years("Missing-episode records are kept until the child's birthday of age", 18, 100)
    no_birth_date_years = _years("Without a date of birth (unborn or never born), years after the last record",
                                 1, 100)
    audit_years_after = _years("Audit trail kept for years after the record is anonymised", 1, 100)
    apply_enabled = BooleanField("Anonymise due records automatically each night (the scheduled job)",
                                 widget=GovCheckboxInput())
    submit = SubmitField("Save the schedule", widget=GovSubmitInput())


class HoldForm(FlaskForm):
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           validators=[DataRequired("Enter the reason"), limit("Reason", 2000)])
    submit = SubmitField("Save", widget=GovSubmitInput())
