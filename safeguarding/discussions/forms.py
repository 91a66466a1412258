"""Forms for a strategy discussion. Every error message names the field; choices are filled by the view."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..clock import london_today
from ..forms import (GovCheckboxesInput, GovCheckboxInput, GovDateField, GovRadioInput,
                     GovSelect, GovSubmitInput, GovTextArea, GovTextInput, TimeOfDayField, limit, VersionField)
from ..submissions.services import OnceForm
from .lawful_basis import LAWFUL_BASES
from .models import (FAMILY_TOLD, HARM_CATEGORIES, KINDS, LEGAL_ACTIONS, MODES, TOPICS, URGENCY, YES_NO_UNDECIDED,
                     YES_NO_UNKNOWN)
from .thresholds import ENQUIRY_OUTCOMES, OUTCOMES

YES_NO = [("yes", "Yes"), ("no", "No")]


#: ids are 32-bit integer columns: a larger number cannot name a row, and PostgreSQL refuses to compare with it
MAX_ID = 2**31 - 1


def _int_or_none(value):
    try:
        number = int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None
    return number if number is None or 0 <= number <= MAX_ID else None


def _id(value):
    """Coerce for a list of ids: anything that cannot be a row's id is an invalid choice, never a query."""
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


class ChoiceOfRows(SelectMultipleField):
    """Ticked rows (children, agencies): a value that cannot be one is a GOV.UK error naming the list."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(f"Select {self.label.text.lower()} from the list") from None  # nosec B608


def _int_or_zero(value):
    return _int_or_none(value) or 0


def _text(field) -> str:
    return (field.data or "").strip()


class ConveneForm(OnceForm, FlaskForm):
    """Convene a discussion (or a draft another feature opened): children, meeting details, the referral."""

    version = VersionField()
    #: children found by "Find child" (so convening without ticking one is a choice made, not an accident)
    found_ids = HiddenField()
    without_found = BooleanField("Convene without the children found but not ticked", widget=GovCheckboxInput())
    child_ids = ChoiceOfRows("Children to discuss", coerce=_id, widget=GovCheckboxesInput(),
                                    description="Siblings are discussed together; each child gets their own decision")
    find = StringField("Find a brother or sister to add", widget=GovTextInput(),
                       description="Name, date of birth (for example 14/02/2016) or reference",
                       validators=[Optional(), limit("Find a brother or sister", 100)])
    find_child = SubmitField("Find child", widget=GovSubmitInput())
    kind = RadioField("Initial or review", choices=list(KINDS.items()), widget=GovRadioInput(),
                      validators=[InputRequired("Select whether this is an initial or a review discussion")])
    previous_id = SelectField("Discussion this one reviews", coerce=_int_or_none, widget=GovSelect())
    urgency = RadioField("Urgency", choices=list(URGENCY.items()), widget=GovRadioInput(),
                         validators=[InputRequired("Select the urgency")])
    scheduled_date = GovDateField("Date of the discussion", description="For example, 27 3 2026")
    scheduled_time = TimeOfDayField("Start time")
    ended_time = TimeOfDayField("End time (optional)",
                                description="Use the 24-hour clock, for example 11:15. Leave it empty until the "
                                            "discussion has ended")
    # Entered, not taken from when the record was typed: the timescale for holding the discussion runs from here.
    convene_decided_date = GovDateField("Date the decision to convene was made",
                                        description="The discussion is due within the local timescale of this")
    convene_decided_time = TimeOfDayField("Time the decision to convene was made")
    mode = RadioField("How it is held", choices=list(MODES.items()), widget=GovRadioInput(),
                      validators=[InputRequired("Select how the discussion is held")])
    out_of_hours = BooleanField("Held out of hours (emergency duty team)", widget=GovCheckboxInput())
    chair_id = SelectField("Chair", coerce=_int_or_zero, widget=GovSelect(),
                           validators=[DataRequired("Select the chair")])
    referral_source = StringField("Who referred", widget=GovTextInput(),
                                  description="For example: ambulance crew, school, neighbour, the child's aunt",
                                  validators=[DataRequired("Enter who referred"), limit("Who referred", 200)])
    referral_received_on = GovDateField("Date the referral was received")
    harm_category = SelectField("Category of harm", choices=[("", "Select a category")] + list(HARM_CATEGORIES.items()),
                                widget=GovSelect(), validators=[DataRequired("Select the category of harm")])
    reason = TextAreaField("Why a strategy discussion is needed", widget=GovTextArea(),
                           validators=[DataRequired("Enter why a strategy discussion is needed"),
                                       limit("Why a strategy discussion is needed", 5000)])
    referrer_words = TextAreaField("The referrer's concern, in their own words", widget=GovTextArea(),
                                   description="Type exactly what the referrer said or wrote. It is kept unchanged "
                                               "for ever; add any summary in the next box.",
                                   validators=[limit("The referrer's concern", 10000)])
    referrer_summary = TextAreaField("Summary (optional)", widget=GovTextArea(),
                                     validators=[Optional(), limit("Summary", 5000)])
    alleged_perpetrator = StringField(
        "Alleged perpetrator (if known)", widget=GovTextInput(),
        description="Name, age and relationship to the child. If the alleged perpetrator is a child, they may be at "
                    "risk themselves: convene a separate strategy discussion about them.",
        validators=[Optional(), limit("Alleged perpetrator", 500)])
    agency_ids = ChoiceOfRows("Agencies to invite", coerce=_id, widget=GovCheckboxesInput(),
                                     description="Children's social care, police and health must take part in every "
                                                 "strategy discussion")
    submit = SubmitField("Convene the discussion", widget=GovSubmitInput())

    #: set by the view when the referrer's words are already recorded (they cannot be changed)
    words_locked = False

    def validate_child_ids(self, field):
        if not field.data:
            raise ValidationError("Select at least one child")

    def validate_previous_id(self, field):
        if self.kind.data == "review" and not field.data:
            raise ValidationError("Select the discussion this one reviews")

    def validate_scheduled_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date of the discussion")

    def validate_scheduled_time(self, field):
        if not _text(field):
            raise ValidationError("Enter the start time")

    def validate_convene_decided_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the decision to convene was made")
        if field.data and field.data > london_today():
            raise ValidationError("Date the decision to convene was made must be today or in the past")

    def validate_convene_decided_time(self, field):
        if not _text(field):
            raise ValidationError("Enter the time the decision to convene was made")

    def validate_referral_received_on(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the referral was received")
        if field.data and field.data > london_today():
            raise ValidationError("Date the referral was received must be today or in the past")

    def validate_referrer_words(self, field):
        if not self.words_locked and not _text(field):
            raise ValidationError("Enter the referrer's concern in their own words")


class InviteForm(OnceForm, FlaskForm):
    agency_id = SelectField("Agency", coerce=_int_or_zero, widget=GovSelect(),
                            validators=[DataRequired("Select the agency")])
    user_id = SelectField("Person (if they use this service)", coerce=_int_or_zero, widget=GovSelect(),
                          validators=[Optional()])
    person_name = StringField("Name (if they do not use this service)", widget=GovTextInput(),
                              validators=[limit("Name", 200)])
    role = StringField("Role", widget=GovTextInput(), description="For example: GP, school nurse, duty inspector",
                       validators=[Optional(), limit("Role", 200)])
    submit = SubmitField("Invite", widget=GovSubmitInput())

    def validate_person_name(self, field):
        if not self.user_id.data and not _text(field):
            raise ValidationError("Select a person or enter their name")


class InformationForm(OnceForm, FlaskForm):
    agency_id = SelectField("Agency sharing the information", coerce=_int_or_zero, widget=GovSelect(),
                            validators=[DataRequired("Select the agency sharing the information")])
    topic = SelectField("About", choices=[("", "Select what it is about")] + list(TOPICS.items()), widget=GovSelect(),
                        validators=[DataRequired("Select what the information is about")])
    #: 0 is "all the children": an answer someone gives, so the placeholder (None) is not it
    child_id = SelectField("Which child", coerce=_int_or_none, widget=GovSelect(),
                           validators=[InputRequired("Select which child the information is about")])
    text = TextAreaField("What was shared", widget=GovTextArea(),
                         description="Describe what was seen, heard or found, by whom and when",
                         validators=[DataRequired("Enter what was shared"), limit("What was shared", 10000)])
    shared_by = StringField("Shared by (name and role)", widget=GovTextInput(),
                            validators=[Optional(), limit("Shared by", 200)])
    #: no default: the basis is a decision the agency makes each time it shares
    lawful_basis = RadioField("Lawful basis for sharing", choices=list(LAWFUL_BASES.items()), widget=GovRadioInput(),
                              validators=[InputRequired("Select the lawful basis for sharing this information")])
    submit = SubmitField("Record information", widget=GovSubmitInput())

    def validate_child_id(self, field):
        if field.data is None:  # the placeholder, or no answer
            raise ValidationError("Select which child the information is about")


class NothingHeldForm(OnceForm, FlaskForm):
    agency_id = SelectField("Agency that checked", coerce=_int_or_zero, widget=GovSelect(),
                            validators=[DataRequired("Select the agency that checked its records")])
    topic = SelectField("Checked for", choices=[("", "Select what was checked")] + list(TOPICS.items()),
                        widget=GovSelect(), validators=[DataRequired("Select what the agency checked for")])
    child_id = SelectField("Which child", coerce=_int_or_none, widget=GovSelect(),
                           validators=[InputRequired("Select which child the check was about")])
    shared_by = StringField("Checked by (name and role)", widget=GovTextInput(),
                            validators=[DataRequired("Enter who checked (name and role)"), limit("Checked by", 200)])
    submit = SubmitField("Record: checked, nothing held", widget=GovSubmitInput())

    def validate_child_id(self, field):
        if field.data is None:
            raise ValidationError("Select which child the check was about")


class ChildVoiceForm(FlaskForm):
    version = VersionField()
    child_seen = RadioField("Has the child been seen?", choices=list(YES_NO_UNKNOWN.items()),
                            widget=GovRadioInput(),
                            validators=[InputRequired("Select whether the child has been seen")])
    seen_alone = RadioField("Was the child seen alone?", choices=list(YES_NO_UNKNOWN.items()),
                            widget=GovRadioInput(),
                            validators=[InputRequired("Select whether the child was seen alone")])
    seen_on = GovDateField("Date the child was seen")
    seen_by = StringField("Seen by (name and role)", widget=GovTextInput(),
                          validators=[Optional(), limit("Seen by", 200)])
    child_said = TextAreaField("What the child said, in their own words", widget=GovTextArea(),
                               validators=[Optional(), limit("What the child said", 10000)])
    not_seen_reason = TextAreaField("Why the child has not been seen, and when they will be", widget=GovTextArea(),
                                    validators=[limit("Why the child has not been seen", 5000)])
    submit = SubmitField("Save the child's voice", widget=GovSubmitInput())

    def validate_seen_on(self, field):
        if field.data and field.data > london_today():
            raise ValidationError("Date the child was seen must be today or in the past")

    def validate_not_seen_reason(self, field):
        if self.child_seen.data == "no" and not _text(field):
            raise ValidationError("Enter why the child has not been seen, and when they will be")

    def data_for_service(self) -> dict:
        return {"child_seen": self.child_seen.data, "seen_alone": self.seen_alone.data, "seen_on": self.seen_on.data,
                "seen_by": _text(self.seen_by), "child_said": _text(self.child_said),
                "not_seen_reason": _text(self.not_seen_reason)}


class DecisionForm(FlaskForm):
    version = VersionField()
    outcome = RadioField("Decision", choices=list(OUTCOMES.items()), widget=GovRadioInput(),
                         validators=[InputRequired("Select the decision")])
    rationale = TextAreaField("Reasons for the decision", widget=GovTextArea(),
                              description="What the risk is, what it is based on, and why this decision follows",
                              validators=[DataRequired("Enter the reasons for the decision"),
                                          limit("Reasons for the decision", 10000)])
    minimum_agency_reason = TextAreaField("Why the decision is made without every required agency",
                                          widget=GovTextArea(),
                                          validators=[limit("Why without every required agency", 2000)])
    # No answer starts selected: a decision saved untouched must not say "No" to what nobody decided.
    abe_planned = RadioField("Achieving Best Evidence (ABE) interview planned?", choices=list(YES_NO_UNDECIDED.items()),
                             widget=GovRadioInput(),
                             validators=[InputRequired("Select whether an ABE interview is planned")])
    abe_joint = BooleanField("Joint police and social care interview", widget=GovCheckboxInput())
    abe_lead_interviewer = StringField("Lead interviewer", widget=GovTextInput(),
                                       validators=[limit("Lead interviewer", 200)])
    intermediary_considered = RadioField("Intermediary considered?", choices=list(YES_NO_UNDECIDED.items()),
                                         widget=GovRadioInput(),
                                         validators=[InputRequired("Select whether an intermediary was considered")])
    intermediary_reason = TextAreaField("Intermediary: decision and reason", widget=GovTextArea(),
                                        description="Needed for a child with communication needs; say why if not used",
                                        validators=[limit("Intermediary reason", 2000)])
    medical_examination = RadioField("Medical examination needed?", choices=list(YES_NO_UNDECIDED.items()),
                                     widget=GovRadioInput(),
                                     validators=[InputRequired("Select whether a medical examination is needed")])
    medical_details = TextAreaField("Medical examination: who, where and when", widget=GovTextArea(),
                                    validators=[limit("Medical examination details", 2000)])
    legal_action = RadioField("Legal action", choices=list(LEGAL_ACTIONS.items()),
                              widget=GovRadioInput(), validators=[InputRequired("Select the legal action")])
    family_told = RadioField("What the family is told", choices=list(FAMILY_TOLD.items()),
                             widget=GovRadioInput(), validators=[InputRequired("Select what the family is told")])
    family_told_when = StringField("When, and by whom", widget=GovTextInput(),
                                   validators=[limit("When, and by whom", 200)])
    family_not_told_reason = TextAreaField("Why the family is not to be told yet", widget=GovTextArea(),
                                           validators=[limit("Why the family is not told", 2000)])
    interim_safety_plan = TextAreaField("Interim safety plan", widget=GovTextArea(),
                                        validators=[Optional(), limit("Interim safety plan", 5000)])
    next_review_on = GovDateField("Next review discussion (optional)")
    follow_up_meeting = BooleanField("The chair asks for a strategy meeting to follow this phone discussion",
                                     widget=GovCheckboxInput())
    submit = SubmitField("Record the decision", widget=GovSubmitInput())

    #: set by the view: minimum agencies absent from the discussion
    missing_agencies: list[str] = []
    reason_on_record = False

    def validate_minimum_agency_reason(self, field):
        if self.missing_agencies and not self.reason_on_record and not _text(field):
            raise ValidationError(f"Enter why the decision is made without {' and '.join(self.missing_agencies)}")

    def validate_abe_lead_interviewer(self, field):
        if self.abe_planned.data == "yes" and not _text(field):
            raise ValidationError("Enter the lead interviewer for the ABE interview")

    def validate_intermediary_reason(self, field):
        if not _text(field) and self.abe_planned.data == "yes":
            raise ValidationError("Enter whether an intermediary will be used, and why")

    def validate_medical_details(self, field):
        if self.medical_examination.data == "yes" and not _text(field):
            raise ValidationError("Enter who will carry out the medical examination, where and when")

    def validate_family_told_when(self, field):
        if self.family_told.data in ("told", "will_tell") and not _text(field):
            raise ValidationError("Enter when the family is told, and by whom")

    def validate_family_not_told_reason(self, field):
        if self.family_told.data == "not_told" and not _text(field):
            raise ValidationError("Enter why the family is not to be told yet")

    def validate_next_review_on(self, field):
        if field.data and field.data < london_today():
            raise ValidationError("Next review discussion must be today or in the future")

    def data_for_service(self) -> dict:
        return {"outcome": self.outcome.data, "rationale": _text(self.rationale),
                "abe_planned": self.abe_planned.data, "abe_joint": bool(self.abe_joint.data),
                "abe_lead_interviewer": _text(self.abe_lead_interviewer),
                "intermediary_considered": self.intermediary_considered.data,
                "intermediary_reason": _text(self.intermediary_reason),
                "medical_examination": self.medical_examination.data, "medical_details": _text(self.medical_details),
                "legal_action": self.legal_action.data, "family_told": self.family_told.data,
                "family_told_when": _text(self.family_told_when),
                "family_not_told_reason": _text(self.family_not_told_reason),
                "interim_safety_plan": _text(self.interim_safety_plan), "next_review_on": self.next_review_on.data}


class IcpcForm(FlaskForm):
    version = VersionField()
    icpc_date = GovDateField("Date of the initial child protection conference")
    icpc_late_reason = TextAreaField("Why the conference is after its due date (if it is)", widget=GovTextArea(),
                                     validators=[limit("Why the conference is after its due date", 2000)])
    submit = SubmitField("Record conference date", widget=GovSubmitInput())

    def validate_icpc_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date of the initial child protection conference")


class ConferenceHeldForm(FlaskForm):
    version = VersionField()
    icpc_held_on = GovDateField("Date the conference was held")
    submit = SubmitField("Confirm the conference was held", widget=GovSubmitInput())

    def validate_icpc_held_on(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the conference was held")


class EnquiryOutcomeForm(FlaskForm):
    """How a section 47 enquiry ended. No outcome starts selected: nobody has decided it until someone does."""

    version = VersionField()
    enquiry_outcome = RadioField("Outcome of the section 47 enquiry", choices=list(ENQUIRY_OUTCOMES.items()),
                                 widget=GovRadioInput(),
                                 validators=[InputRequired("Select the outcome of the section 47 enquiry")])
    enquiry_outcome_reason = TextAreaField("Reasons for the outcome", widget=GovTextArea(),
                                           validators=[DataRequired("Enter the reasons for the outcome"),
                                                       limit("Reasons for the outcome", 5000)])
    enquiry_outcome_on = GovDateField("Date the outcome was decided")
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())

    def validate_enquiry_outcome_on(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the outcome was decided")


class AssessmentForm(FlaskForm):
    version = VersionField()
    completed_date = GovDateField("Date the assessment was completed")
    completed_time = TimeOfDayField("Time the assessment was completed")
    submit = SubmitField("Record the assessment as completed", widget=GovSubmitInput())

    def validate_completed_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the assessment was completed")

    def validate_completed_time(self, field):
        if not _text(field):
            raise ValidationError("Enter the time the assessment was completed")


class ActionForm(OnceForm, FlaskForm):
    description = TextAreaField("What needs to be done", widget=GovTextArea(),
                                validators=[DataRequired("Enter what needs to be done"),
                                            limit("What needs to be done", 2000)])
    child_id = SelectField("For which child", coerce=_int_or_none, widget=GovSelect(),
                           validators=[InputRequired("Select which child the action is for")])
    owner_id = SelectField("Owner", coerce=_int_or_zero, widget=GovSelect(),
                           description="A named person; their agency is recorded with the action",
                           validators=[DataRequired("Select who owns the action")])
    due_date = GovDateField("Due date")
    due_time = TimeOfDayField("Due time")
    far_ahead = BooleanField("The due date is more than a year ahead, and that is right", widget=GovCheckboxInput())
    submit = SubmitField("Add action", widget=GovSubmitInput())

    def validate_child_id(self, field):
        if field.data is None:  # the placeholder, or no answer
            raise ValidationError("Select which child the action is for")

    def validate_due_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the due date")
        if field.data and field.data < london_today():
            raise ValidationError("Due date must be today or in the future")

    def validate_due_time(self, field):
        if not _text(field):
            raise ValidationError("Enter the due time")


class ChangeActionForm(FlaskForm):
    """A new owner or due date for an open action; the reason is kept with the action."""

    version = VersionField()
    owner_id = SelectField("Owner", coerce=_int_or_zero, widget=GovSelect(),
                           validators=[DataRequired("Select who owns the action")])
    due_date = GovDateField("Due date")
    due_time = TimeOfDayField("Due time")
    far_ahead = BooleanField("The due date is more than a year ahead, and that is right", widget=GovCheckboxInput())
    reason = TextAreaField("Why the action is changing", widget=GovTextArea(),
                           description="For example: the officer is on leave; the school is closed until Monday",
                           validators=[DataRequired("Enter why the action is changing"),
                                       limit("Why the action is changing", 2000)])
    submit = SubmitField("Save the change", widget=GovSubmitInput())

    def validate_due_date(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the due date")

    def validate_due_time(self, field):
        if not _text(field):
            raise ValidationError("Enter the due time")


class CompleteActionForm(FlaskForm):
    version = VersionField()
    completion_note = TextAreaField("What was done", widget=GovTextArea(),
                                    validators=[DataRequired("Enter what was done"), limit("What was done", 5000)])
    submit = SubmitField("Mark as done", widget=GovSubmitInput())


class CancelActionForm(FlaskForm):
    version = VersionField()
    cancel_reason = TextAreaField("Why the action is cancelled", widget=GovTextArea(),
                                  validators=[DataRequired("Enter why the action is cancelled"),
                                              limit("Why the action is cancelled", 2000)])
    submit = SubmitField("Cancel the action", widget=GovSubmitInput())


class MinutesForm(FlaskForm):
    based_on_id = VersionField()
    based_on_revision = VersionField()
    text = TextAreaField("Minutes", widget=GovTextArea(),
                         validators=[DataRequired("Enter the minutes"), limit("Minutes", 50000)])
    change_note = StringField("What changed and why (needed once the chair has agreed a version)",
                              widget=GovTextInput(), validators=[Optional(), limit("What changed and why", 500)])
    submit = SubmitField("Save minutes", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class AgreeMinutesForm(FlaskForm):
    """The chair agrees exactly the version and revision they read."""

    version_id = VersionField()
    revision = VersionField()
    submit = SubmitField("Agree", widget=GovSubmitInput())


class AddChildForm(FlaskForm):
    version = VersionField()
    find = StringField("Find a brother or sister to add", widget=GovTextInput(),
                       description="Name, date of birth (for example 14/02/2016) or reference",
                       validators=[Optional(), limit("Find a brother or sister", 100)])
    find_child = SubmitField("Find child", widget=GovSubmitInput())
    child_id = RadioField("Child to add", coerce=_int_or_zero, widget=GovRadioInput(), validate_choice=False)
    submit = SubmitField("Add to the discussion", widget=GovSubmitInput())


class RemoveChildForm(FlaskForm):
    version = VersionField()
    reason = TextAreaField("Why this child is being removed from the discussion", widget=GovTextArea(),
                           description="For example: not a sibling, a cousin who was visiting",
                           validators=[DataRequired("Enter why this child is being removed from the discussion"),
                                       limit("Why this child is being removed", 2000)])
    submit = SubmitField("Remove from the discussion", widget=GovSubmitInput())


class CirculateForm(FlaskForm):
    #: the discussion's version: circulating twice at once records one circulation
    version = VersionField()
    referrer_told = RadioField("Has the referrer been told the outcome?", choices=YES_NO, widget=GovRadioInput(),
                               validators=[InputRequired("Select whether the referrer has been told the outcome")])
    referrer_told_how = TextAreaField("How and when they were told, or why not", widget=GovTextArea(),
                                      validators=[limit("How and when they were told", 500)])
    submit = SubmitField("Record circulation", widget=GovSubmitInput())

    def validate_referrer_told_how(self, field):
        if self.referrer_told.data == "no" and not _text(field):
            raise ValidationError("Enter why the referrer has not been told the outcome")


class DissentForm(OnceForm, FlaskForm):
    agency_id = SelectField("Agency", coerce=_int_or_zero, widget=GovSelect(),
                            validators=[DataRequired("Select the agency of the person who disagrees")])
    person_name = StringField("Name and role of the person who disagrees", widget=GovTextInput(),
                              validators=[DataRequired("Enter the name and role of the person who disagrees"),
                                          limit("Name and role", 200)])
    text = TextAreaField("What they disagree with, and why", widget=GovTextArea(),
                         validators=[DataRequired("Enter what they disagree with, and why"),
                                     limit("What they disagree with", 5000)])
    submit = SubmitField("Record disagreement", widget=GovSubmitInput())


class CancelDiscussionForm(FlaskForm):
    reason = TextAreaField("Why the discussion is cancelled", widget=GovTextArea(),
                           validators=[DataRequired("Enter why the discussion is cancelled"),
                                       limit("Why the discussion is cancelled", 500)])
    submit = SubmitField("Cancel the discussion", widget=GovSubmitInput())


class PhraseForm(FlaskForm):
    phrase = StringField("Phrase to flag", widget=GovTextInput(),
                         description="For example: home conditions were poor",
                         validators=[DataRequired("Enter the phrase to flag"), limit("Phrase to flag", 100)])
    submit = SubmitField("Add phrase", widget=GovSubmitInput())


class RemovePhraseForm(FlaskForm):
    phrase = HiddenField(validators=[DataRequired("Select a phrase to remove")])


class FilterForm(FlaskForm):
    """The list's filters, sent by GET (no names in them, only dates, a status and an agency)."""

    class Meta:
        csrf = False

    view = SelectField("Show", choices=[("upcoming", "Upcoming"), ("awaiting_decision", "Held, awaiting a decision"),
                                        ("awaiting_minutes", "Awaiting minutes"), ("drafts", "Drafts to convene"),
                                        ("all", "All")], default="upcoming", widget=GovSelect(),
                       validators=[Optional()])
    agency_id = SelectField("Agency invited", coerce=_int_or_zero, widget=GovSelect(), validators=[Optional()])
    date_from = GovDateField("From")
    date_to = GovDateField("To")
    submit = SubmitField("Filter", widget=GovSubmitInput())

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("To must be the same as or after From")


ATTENDANCE_CHOICES = [("invited", "Not known yet"), ("attended", "Attended"), ("apologies", "Apologies"),
                      ("information_sent", "Sent information instead"), ("not_invited", "Not invited")]


def attendance_form(invitations, formdata=None):
    """One status and one reason per invitation; built per discussion since the invitees differ."""

    class AttendanceForm(FlaskForm):
        submit = SubmitField("Save attendance", widget=GovSubmitInput())

    for inv in invitations:
        # Only an answer someone recorded starts selected; an unanswered row left alone stays "not known yet".
        setattr(AttendanceForm, f"status_{inv.id}", RadioField(
            f"{inv.agency.name}: {inv.who}", choices=ATTENDANCE_CHOICES,
            default=inv.status if inv.status != "invited" else None, widget=GovRadioInput(),
            validators=[Optional()]))
        setattr(AttendanceForm, f"version_{inv.id}", VersionField(default=inv.version))
        setattr(AttendanceForm, f"reason_{inv.id}", StringField(
            f"Reason ({inv.agency.name})", default=inv.reason, widget=GovTextInput(),
            description="Needed for apologies or for not inviting them",
            validators=[Optional(), limit(f"Reason ({inv.agency.name})", 500)]))
    form = AttendanceForm(formdata=formdata) if formdata is not None else AttendanceForm()

    def validate_reasons():
        ok = True
        for inv in invitations:
            status, reason = form[f"status_{inv.id}"], form[f"reason_{inv.id}"]
            if status.data in ("apologies", "not_invited") and not _text(reason):
                what = "apologies" if status.data == "apologies" else "not inviting them"
                reason.errors = list(reason.errors) + [f"Enter the reason for {what} ({inv.agency.name})"]
                ok = False
        return ok

    form.validate_reasons = validate_reasons
    return form
