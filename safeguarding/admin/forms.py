from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Optional

from ..auth.models import AGENCY_KIND_LABELS, ROLE_LABELS
from ..submissions.services import OnceForm
from ..forms import (GovCheckboxInput, GovFileInput, GovPasswordInput, GovRadioInput, GovSelect, GovSubmitInput,
                     GovTextInput, VersionField, limit)


class UserForm(FlaskForm):
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[DataRequired("Enter the person's full name"), limit("Full name", 200)])
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[DataRequired("Enter an email address"),
                                    Email("Enter an email address in the correct format, like name@example.org",
                                          check_deliverability=False),
                                    limit("Email address", 254)])
    agency_id = SelectField("Agency", coerce=int, widget=GovSelect(),
                            validators=[InputRequired("Select an agency")])
    job_title = StringField("Job title", widget=GovTextInput(), validators=[Optional(), limit("Job title", 200)])
    role = SelectField("Role", widget=GovRadioInput(),
                       choices=[(r.value, label) for r, label in ROLE_LABELS.items()],
                       validators=[InputRequired("Select a role")])
    line_manager_id = SelectField("Line manager", coerce=int, widget=GovSelect(),
                                  description="Overdue work is escalated to this person")
    submit = SubmitField("Save user", widget=GovSubmitInput())

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "email": self.email.data.strip().lower(),
            "agency_id": self.agency_id.data,
            "job_title": (self.job_title.data or "").strip(),
            "role": self.role.data,
            "line_manager_id": self.line_manager_id.data or None,
        }


class NewUserForm(OnceForm, UserForm):
    """No password: once a second administrator approves the account, the person is emailed a link to choose their
    own (nobody else ever knows it). Created once however often it is sent (`submissions`)."""


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description="At least 12 characters. This signs the person out everywhere.",
                             validators=[InputRequired("Enter a new password")])
    submit = SubmitField("Set password", widget=GovSubmitInput())


class AgencyForm(FlaskForm):
    name = StringField("Agency name", widget=GovTextInput(),
                       validators=[DataRequired("Enter the agency's name"), limit("Agency name", 200)])
    kind = SelectField("Kind of agency", widget=GovRadioInput(),
                       choices=[(k.value, label) for k, label in AGENCY_KIND_LABELS.items()],
                       validators=[InputRequired("Select the kind of agency")])
    shared_mailbox = StringField("Shared mailbox (optional)", widget=GovTextInput(),
                                 validators=[Optional(),
                                             Email("Enter the mailbox in the correct format, like mash@example.org",
                                                   check_deliverability=False),
                                             limit("Shared mailbox", 254)])
    safeguarding_lead_id = SelectField(
        "Safeguarding lead (optional)", coerce=lambda v: int(v) if str(v).isdigit() else None, widget=GovSelect(),
        description="Told when a deadline of someone in this agency with no line manager here is overdue",
        validate_choice=False)
    is_active = BooleanField("Agency is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save agency", widget=GovSubmitInput())

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "shared_mailbox": (self.shared_mailbox.data or "").strip() or None,
            "is_active": bool(self.is_active.data),
            "safeguarding_lead_id": self.safeguarding_lead_id.data or None,
        }


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class ImportUploadForm(FlaskForm):
    file = FileField("Upload a CSV file", widget=GovFileInput(),
                     description="Saved as CSV UTF-8, with the column names in the first row")
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ImportApplyForm(FlaskForm):
    """The file checked in the dry run, sent back as it was (base64) so exactly that file is applied, after being
    checked again."""

    content = HiddenField()
    submit = SubmitField("Apply these changes", widget=GovSubmitInput())


class RoleDecisionForm(FlaskForm):
    """A second administrator's decision on a change of role (prefixed per request: several on one page)."""
    version = VersionField()
    #: the button pressed (the template's two buttons share this name); no default
    decision = StringField(validators=[AnyOf(["approve", "reject"], "Choose Approve or Reject")])


class ApproveAllForm(FlaskForm):
    """Approve several new accounts at once: the requests the page showed, as "id:version" pairs, so an account
    added after the page was shown, or changed since, is not approved unseen."""
    requests = HiddenField()
