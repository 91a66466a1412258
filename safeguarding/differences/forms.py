from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation, ValidationError

from ..clock import london_today
from ..submissions.services import OnceForm
from ..forms import (GovCheckboxInput, GovDateField, GovRadioInput, GovSelect, GovSubmitInput, GovTextArea,
                     GovTextInput, TimeOfDayField, VersionField, limit, london_instant)
from . import stages
from .models import THEMES

YES_NO = [("yes", "Yes"), ("no", "No")]


class ChoiceField(SelectField):
    """A select whose "not one of the choices" error names the field, as every other error does."""

    def __init__(self, label=None, validators=None, *, invalid: str, **kwargs):
        kwargs.setdefault("widget", GovSelect())
        kwargs.setdefault("coerce", int)
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form):
        if self.data not in {value for value, _ in self.choices}:
            raise ValidationError(self.invalid)


def _text(value) -> str:
    return (value or "").strip()


class RaiseForm(OnceForm, FlaskForm):
    against_agency_id = ChoiceField("Which agency made the decision you disagree with?",
                                    invalid="Select the agency whose decision you disagree with from the list",
                                    validators=[InputRequired("Select the agency whose decision you disagree with")])
    responding_lead_id = ChoiceField(
        "Who made the decision, or will answer for their agency?",
        invalid="Select who made the decision, or who will answer for their agency, from the list",
        description="They are told at once and must respond within the stage's timescale",
        validators=[InputRequired("Select who made the decision, or who will answer for their agency")])
    about = TextAreaField("Which decision or action do you disagree with?", widget=GovTextArea(),
                          description="For example: the decision on 3 March to take no further action",
                          validators=[DataRequired("Enter which decision or action you disagree with"),
                                      limit("Which decision or action you disagree with", 2000)])
    concern = TextAreaField("Why do you disagree?", widget=GovTextArea(),
                            description="What you know, and what you are worried will happen to the child",
                            validators=[DataRequired("Enter why you disagree"), limit("Why you disagree", 5000)])
    outcome_sought = TextAreaField("What outcome are you seeking?", widget=GovTextArea(),
                                   description="For example: a strategy discussion held today with police present",
                                   validators=[DataRequired("Enter the outcome you are seeking"),
                                               limit("The outcome you are seeking", 2000)])
    theme = RadioField("What is the disagreement about?", choices=THEMES, widget=GovRadioInput(),
                       validators=[InputRequired("Select what the disagreement is about")])
    immediate_risk = RadioField("Is the child at immediate risk of significant harm?", choices=YES_NO,
                                widget=GovRadioInput(),
                                description="If yes, each stage runs in hours rather than working days, and "
                                            "stages may be skipped with a reason",
                                validators=[InputRequired(
                                    "Select whether the child is at immediate risk of significant harm")])
    start_stage = ChoiceField("Start at stage", default=1, invalid="Select a stage of your partnership's procedure",
                              description="Start at stage 1 unless the child is at immediate risk",
                              validators=[InputRequired("Select the stage to start at")])
    skip_reason = TextAreaField("Reason for skipping stages", widget=GovTextArea(),
                                description="Only if you start after stage 1",
                                validators=[Optional(), limit("Reason for skipping stages", 2000)])
    submit = SubmitField("Raise the difference", widget=GovSubmitInput())

    def validate_against_agency_id(self, field):
        if not field.data:
            raise ValidationError("Select the agency whose decision you disagree with")

    def validate_responding_lead_id(self, field):
        if not field.data:
            raise ValidationError("Select who made the decision, or who will answer for their agency")

    def data_for_service(self) -> dict:
        return {
            "against_agency_id": self.against_agency_id.data,
            "responding_lead_id": self.responding_lead_id.data,
            "about": _text(self.about.data), "concern": _text(self.concern.data),
            "outcome_sought": _text(self.outcome_sought.data), "theme": self.theme.data,
            "immediate_risk": self.immediate_risk.data == "yes", "start_stage": self.start_stage.data or 1,
            "skip_reason": _text(self.skip_reason.data),
        }


class ChildChoiceField(RadioField):
    """Which of the discussion's children a difference about a shared action concerns."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovRadioInput())
        kwargs.setdefault("coerce", int)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None  # a tampered value reads as no answer, so the one message below is shown

    def pre_validate(self, form):
        if self.data not in {value for value, _ in self.choices}:
            raise StopValidation("Select which child the professional difference is about")


class RaiseAboutSharedActionForm(RaiseForm):
    """An action agreed for all the children of a discussion: the difference is about one of them."""

    child_id = ChildChoiceField("Which child is this professional difference about?",
                                description="Raise a separate one for each child if it concerns more than one")

    def data_for_service(self) -> dict:
        return {**super().data_for_service(), "child_id": self.child_id.data}


def _plan_deadline(form) -> None:
    day, at = form.plan_due_date.data, form.plan_due_time.time
    if day is None and not _text(form.plan_due_time.data):
        return
    if day is None and not form.plan_due_date.errors:
        form.plan_due_date.errors = list(form.plan_due_date.errors) + ["Enter the date the plan is due"]
    if at is None and not form.plan_due_time.errors:
        form.plan_due_time.errors = list(form.plan_due_time.errors) + ["Enter the time the plan is due"]
    if day is not None and day < london_today():
        form.plan_due_date.errors = list(form.plan_due_date.errors) + ["Plan due date must be today or in the future"]


class CloseForm(FlaskForm):
    #: the open stage the form was shown for, and its version: an escalation or outcome recorded meanwhile wins
    stage_id = VersionField()
    version = VersionField()
    outcome = RadioField("Outcome", widget=GovRadioInput(), choices=[
        ("resolved", "Resolved: we agree a way forward"),
        ("withdrawn", "Withdrawn: the side that raised it no longer disagrees")],
        validators=[InputRequired("Select whether the difference is resolved or withdrawn")])
    discussion = TextAreaField("What was discussed", widget=GovTextArea(),
                               description="Who spoke to whom, when, and the reasons each side gave",
                               validators=[DataRequired("Enter what was discussed at this stage"),
                                           limit("What was discussed", 5000)])
    agreed_plan = TextAreaField("Agreed plan (optional)", widget=GovTextArea(),
                                description="What will happen now, and who will do it",
                                validators=[Optional(), limit("Agreed plan", 5000)])
    plan_due_date = GovDateField("Plan due date (optional)", description="For example, 27 3 2027")
    plan_due_time = TimeOfDayField("Plan due time (optional)")
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        _plan_deadline(self)
        return ok and not self.plan_due_date.errors and not self.plan_due_time.errors

    def data_for_service(self) -> dict:
        return {"outcome": self.outcome.data, "discussion": _text(self.discussion.data),
                "agreed_plan": _text(self.agreed_plan.data),
                "plan_due_at": london_instant(self.plan_due_date.data, self.plan_due_time.time)}


class EscalateForm(FlaskForm):
    #: the open stage the form was shown for, and its version: an escalation or outcome recorded meanwhile wins
    stage_id = VersionField()
    version = VersionField()
    discussion = TextAreaField("What was discussed at this stage", widget=GovTextArea(),
                               description="Who spoke to whom, when, and why it could not be resolved",
                               validators=[DataRequired("Enter what was discussed at this stage"),
                                           limit("What was discussed", 5000)])
    agreed_plan = TextAreaField("Anything agreed meanwhile (optional)", widget=GovTextArea(),
                                description="For example, interim safety steps while the difference is escalated",
                                validators=[Optional(), limit("Anything agreed meanwhile", 5000)])
    target_stage = ChoiceField("Escalate to", invalid="Select a later stage of the procedure",
                               validators=[InputRequired("Select the stage to escalate to")])
    immediate_risk = BooleanField("The child is now at immediate risk of significant harm",
                                  widget=GovCheckboxInput())
    skip_reason = TextAreaField("Reason for skipping stages", widget=GovTextArea(),
                                description="Only if you escalate past the next stage",
                                validators=[Optional(), limit("Reason for skipping stages", 2000)])
    raising_lead_id = ChoiceField("Who will lead for your side?", invalid="Select who will lead for your side "
                                                                          "from the list",
                                  validators=[InputRequired("Select who will lead for your side")])
    responding_lead_id = ChoiceField("Who will answer for the other agency?",
                                     invalid="Select who will answer for the other agency from the list",
                                     validators=[InputRequired("Select who will answer for the other agency")])
    submit = SubmitField("Escalate", widget=GovSubmitInput())

    def validate_raising_lead_id(self, field):
        if not field.data:
            raise ValidationError("Select who will lead for your side")

    def validate_responding_lead_id(self, field):
        if not field.data:
            raise ValidationError("Select who will answer for the other agency")

    def data_for_service(self) -> dict:
        return {"discussion": _text(self.discussion.data), "agreed_plan": _text(self.agreed_plan.data),
                "target_stage": self.target_stage.data, "immediate_risk": bool(self.immediate_risk.data),
                "skip_reason": _text(self.skip_reason.data), "raising_lead_id": self.raising_lead_id.data,
                "responding_lead_id": self.responding_lead_id.data}


class PolicyChoiceForm(FlaskForm):
    policy_id = RadioField("Which procedure does your partnership follow?", coerce=int, widget=GovRadioInput(),
                           validators=[InputRequired("Select the procedure your partnership follows")])
    submit = SubmitField("Use this procedure", widget=GovSubmitInput())


class PolicyStageForm(FlaskForm):
    name = StringField("Stage name", widget=GovTextInput(),
                         validators=[DataRequired("Enter the stage name"), limit("Stage name", 100)])
    involved = TextAreaField("Who is involved", widget=GovTextArea(),
                             validators=[DataRequired("Enter who is involved at this stage"),
                                         limit("Who is involved", 500)])
    timescale = IntegerField("Timescale", widget=GovTextInput(),
                             validators=[InputRequired("Enter the timescale as a whole number"),
                                         NumberRange(1, 60, "Timescale must be between 1 and 60")])
    unit = RadioField("Timescale in", choices=list(stages.UNITS.items()), widget=GovRadioInput(),
                      validators=[InputRequired("Select working days or hours")])
    urgent_hours = IntegerField("Hours when the child is at immediate risk", widget=GovTextInput(),
                                validators=[InputRequired("Enter the hours when the child is at immediate risk"),
                                            NumberRange(1, 72, "Hours when the child is at immediate risk must "
                                                               "be between 1 and 72")])
    notify_partnership = BooleanField("Tell the partnership business unit when a difference reaches this stage",
                                      widget=GovCheckboxInput())
    submit = SubmitField("Save stage", widget=GovSubmitInput())

    def validate_timescale(self, field):
        if self.unit.data == stages.HOURS and field.data is not None and field.data > 72:
            raise ValidationError("Timescale in hours must be 72 or fewer")

    def data_for_service(self) -> dict:
        return {"name": _text(self.name.data), "involved": _text(self.involved.data),
                "timescale": self.timescale.data, "unit": self.unit.data, "urgent_hours": self.urgent_hours.data,
                "notify_partnership": bool(self.notify_partnership.data)}


class FiguresForm(FlaskForm):
    """Read from the query string: a period is not personal data, and the page can be bookmarked."""

    class Meta:
        csrf = False

    raised_from = GovDateField("Raised from")
    raised_to = GovDateField("Raised to")

    def validate_raised_to(self, field):
        if field.data and self.raised_from.data and field.data < self.raised_from.data:
            raise ValidationError("Raised to must be the same as or after raised from")
