"""Children: who they are, their family adversities, and their timeline across every feature."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..clock import london_today
from ..forms import (GovCheckboxInput, GovDateField, GovRadioInput, GovSelect, GovSubmitInput, GovTextArea,
                     GovTextInput, limit)
from ..rule_error import RuleError
from ..submissions.services import OnceForm
from .characteristics import DISABILITY, ETHNICITY_CHOICES
from .models import ADVERSITY_LABELS, GENDERS, LOOKED_AFTER
from .nhs import check_nhs_number, normalise

_VERSION_RE = re.compile(r"^\d{1,9}$")


class RecordVersion:
    """Mixin for forms that change a shared record: the version the person saw, so a change made on an older one
    is refused (the conflict page) rather than silently overwriting someone else's."""

    version = HiddenField()

    def validate_version(self, field):
        # A tampered or truncated hidden field is the person's problem to fix by reloading, never a server error.
        # What was posted, not field.data: a form built with obj= would otherwise take the record's current version
        # when the POST carried none, and a change on an unknown version would pass as a fresh one.
        if not field.raw_data or not _VERSION_RE.match((field.raw_data[0] or "").strip()):
            raise ValidationError("This page is out of date. Reload the page and make your change again")

    @property
    def version_number(self) -> int:
        return int(str(self.version.data).strip())


class ChildForm(OnceForm, FlaskForm):
    first_name = StringField("First name", widget=GovTextInput(),
                             validators=[DataRequired("Enter the child's first name"), limit("First name", 100)])
    last_name = StringField("Last name", widget=GovTextInput(),
                            validators=[DataRequired("Enter the child's last name"), limit("Last name", 100)])
    is_unborn = BooleanField("This is an unborn child", widget=GovCheckboxInput())
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2015")
    expected_date = GovDateField("Expected date of delivery (unborn child)")
    gender = RadioField("Gender", choices=GENDERS, widget=GovRadioInput(),
                        validators=[InputRequired("Select the child's gender, or Not known")])
    # The census's categories, for the partnership's figures; nothing chosen until someone records an answer.
    ethnicity_code = SelectField("Ethnicity (census category)", widget=GovSelect(),
                                 choices=[("", "Not recorded yet")] + ETHNICITY_CHOICES,
                                 description="The children in need census's categories, as the child or family "
                                             "describe themselves",
                                 validators=[Optional()])
    ethnicity = StringField("Ethnicity in the family's words (optional)", widget=GovTextInput(),
                            validators=[Optional(), limit("Ethnicity", 100)])
    disability_status = RadioField("Does the child have a disability?", choices=DISABILITY, widget=GovRadioInput(),
                                   validators=[Optional()])
    disability = StringField("Disability or communication needs", widget=GovTextInput(),
                             description="Matters for interviews: an intermediary may be needed",
                             validators=[Optional(), limit("Disability or communication needs", 500)])
    address = TextAreaField("Address", widget=GovTextArea(), validators=[Optional(), limit("Address", 500)])
    la_reference = StringField("Local authority case reference", widget=GovTextInput(),
                               validators=[Optional(), limit("Local authority case reference", 50)])
    nhs_number = StringField("NHS number", widget=GovTextInput(), description="10 digits, for example 943 476 5919",
                             validators=[Optional()])
    looked_after = RadioField("Looked-after status", choices=LOOKED_AFTER, widget=GovRadioInput(),
                              validators=[InputRequired("Select the child's looked-after status")])
    responsible_authority = StringField("Responsible local authority (if looked after)", widget=GovTextInput(),
                                        validators=[Optional(), limit("Responsible local authority", 200)])
    #: asked only when a child with the same date of birth and first or last name is already recorded
    confirmed_new = BooleanField("I have checked: this is a different child, not one already recorded",
                                 widget=GovCheckboxInput())
    submit = SubmitField("Save child", widget=GovSubmitInput())

    def validate_nhs_number(self, field):
        if field.data and field.data.strip():
            try:
                check_nhs_number(field.data)
            except RuleError as err:
                raise ValidationError(err.message) from None

    def validate_date_of_birth(self, field):
        if self.is_unborn.data:
            return
        if field.data is None and not field.errors:
            raise ValidationError("Enter the child's date of birth")
        if field.data and field.data > london_today():
            raise ValidationError("Date of birth must be today or in the past")
        if field.data and (london_today().year - field.data.year) > 25:
            raise ValidationError("Date of birth must be within the last 25 years")

    def validate_expected_date(self, field):
        if not self.is_unborn.data:
            return
        if field.data is None and not field.errors:
            raise ValidationError("Enter the expected date of delivery for an unborn child")
        if field.data and field.data < london_today():
            raise ValidationError("Expected date of delivery must be today or in the future")

    def validate_responsible_authority(self, field):
        if self.looked_after.data == "yes" and not (field.data or "").strip():
            raise ValidationError("Enter the responsible local authority for a looked-after child")

    def data_for_service(self) -> dict:
        unborn = bool(self.is_unborn.data)
        return {
            "first_name": self.first_name.data.strip(),
            "last_name": self.last_name.data.strip(),
            "is_unborn": unborn,
            "date_of_birth": None if unborn else self.date_of_birth.data,
            "expected_date": self.expected_date.data if unborn else None,
            "gender": self.gender.data,
            "ethnicity": (self.ethnicity.data or "").strip(),
            "ethnicity_code": self.ethnicity_code.data or None,
            "disability_status": self.disability_status.data or None,
            "disability": (self.disability.data or "").strip(),
            "address": (self.address.data or "").strip(),
            "la_reference": (self.la_reference.data or "").strip() or None,
            "nhs_number": normalise(self.nhs_number.data) or None,
            "looked_after": self.looked_after.data,
            "responsible_authority": (self.responsible_authority.data or "").strip(),
        }


class ChildEditForm(RecordVersion, ChildForm):
    confirmed_new = None


class SearchForm(FlaskForm):
    """Sent by POST so a child's name never appears in a URL, a server log or a Referer header."""

    query = StringField("Name, date of birth or reference", widget=GovTextInput(),
                        description="For example: Smith, 14/02/2016, an LA reference or an NHS number",
                        validators=[DataRequired("Enter a name, date of birth or reference to search for"),
                                    limit("Search", 100)])
    submit = SubmitField("Search", widget=GovSubmitInput())


class AdversityForm(OnceForm, FlaskForm):
    adversity = SelectField("Adversity", choices=[("", "Select an adversity")] + [
        (a.value, label) for a, label in ADVERSITY_LABELS.items()], widget=GovSelect(),
        validators=[DataRequired("Select the family adversity")])
    note = TextAreaField("What was seen or reported", widget=GovTextArea(),
                         description="Describe what was actually seen or said, and by whom",
                         validators=[Optional(), limit("What was seen or reported", 2000)])
    submit = SubmitField("Record adversity", widget=GovSubmitInput())


def show_rule_error(form, err: RuleError, default_field: str) -> None:
    """A rule the service checked (the facts may have changed since the form was shown), shown beside its field
    GOV.UK style; the person keeps everything they typed."""
    field = getattr(form, err.field, None) if err.field else None
    if field is None or not hasattr(field, "errors"):
        field = getattr(form, default_field)
    if isinstance(field.errors, tuple):
        field.errors = list(field.errors)
    field.errors.append(err.message)


class RestrictForm(RecordVersion, FlaskForm):
    restricted = RadioField("Who may see this child's record?", widget=GovRadioInput(), choices=[
        ("yes", "Only the people named below (restricted)"),
        ("no", "Everyone whose work involves the child (not restricted)")],
        validators=[InputRequired("Select who may see this child's record")])
    people = TextAreaField("Email addresses of the people who may see it, one a line", widget=GovTextArea(),
                           description="You are added yourself. Include the MASH team manager.",
                           validators=[Optional(), limit("Email addresses", 5000)])
    reason = TextAreaField("Why", widget=GovTextArea(),
                           description="For example, the child of a member of staff, or a case in the news",
                           validators=[DataRequired("Enter why the record is being restricted or opened up"),
                                       limit("Why", 2000)])
    submit = SubmitField("Save who may see the record", widget=GovSubmitInput())

    @property
    def emails(self) -> list[str]:
        return [line.strip() for line in (self.people.data or "").splitlines() if line.strip()]


class BreakGlassForm(OnceForm, FlaskForm):
    reason = TextAreaField("Why do you need this record now?", widget=GovTextArea(),
                           description="Your reason, your name and the time are recorded and shown to your managers",
                           validators=[DataRequired("Enter why you need this record now"), limit("Reason", 2000)])
    submit = SubmitField("Open the record", widget=GovSubmitInput())
