"""Forms for missing episodes, return home interviews and emergency powers.

Times are London wall-clock date and time pairs, turned into UTC instants with `london_instant`. Each form that
depends on an earlier fact (the return must follow the report, an offer the return) is given that fact as
context and checks it, so the user sees a GOV.UK error beside the field and keeps everything they typed.
"""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..children.forms import RecordVersion
from ..clock import now, to_london
from ..forms import (GovCheckboxesInput, GovCheckboxInput, GovDateField, GovRadioInput, GovSubmitInput,
                     GovTextArea, GovTextInput, TimeOfDayField, limit, london_instant)
from ..submissions.services import OnceForm
from ..templating import london
from . import rules, workers
from .models import (CONSENT, EPO_OUTCOMES, INDICATORS, MISSING_FROM, OFFER_METHODS, OFFER_RESPONSES, PP_OUTCOMES,
                     PREVENTION_OUTCOMES, RISK_LEVELS)


def _text(label: str, maximum: int, required: str | None = None, **kwargs) -> StringField:
    checks = [DataRequired(required)] if required else [Optional()]
    return StringField(label, widget=GovTextInput(), validators=[*checks, limit(label, maximum)], **kwargs)


def _area(label: str, maximum: int = 5000, required: str | None = None, **kwargs) -> TextAreaField:
    checks = [DataRequired(required)] if required else [Optional()]
    return TextAreaField(label, widget=GovTextArea(), validators=[*checks, limit(label, maximum)], **kwargs)


def _radio(label: str, choices, required: str, **kwargs) -> RadioField:
    return RadioField(label, choices=choices, widget=GovRadioInput(), validators=[InputRequired(required)],
                      **kwargs)


class MomentForm(FlaskForm):
    """A form with one or more (date, time) pairs checked as instants: required, real, not in the future, and
    in order with the facts given as context."""

    #: (date field, time field, what, earliest (attr name of an instant on self), message if earlier)
    moments: tuple = ()

    def instant(self, day: str, at: str) -> datetime | None:
        return london_instant(getattr(self, day).data, getattr(self, at).time)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for day, at, what, earliest, message in self.moments:
            day_field, time_field = getattr(self, day), getattr(self, at)
            if day_field.errors or time_field.errors:
                continue
            if day_field.data is None:
                day_field.errors.append(f"Enter the date {what}")
                valid = False
                continue
            if not (time_field.data or "").strip():
                time_field.errors.append(f"Enter the time {what}")
                valid = False
                continue
            value = self.instant(day, at)
            if day_field.data > to_london(now()).date():
                day_field.errors.append(f"{day_field.label.text} must be today or in the past")
                valid = False
                continue
            if value > now():
                time_field.errors.append(f"{time_field.label.text} must be in the past")
                valid = False
                continue
            floor = getattr(self, earliest, None) if earliest else None
            if floor is not None and value < floor:
                day_field.errors.append(message.format(when=london(floor)))
                valid = False
        return valid


class EpisodeForm(OnceForm, MomentForm):
    reported_date = GovDateField("Date reported missing", description="For example, 27 10 2026")
    reported_time = TimeOfDayField("Time reported missing")
    missing_from = _radio("Missing from", MISSING_FROM, "Select where the child went missing from")
    missing_from_detail = _text("Name of the place (optional)", 300,
                                description="For example, the name of the children's home or school")
    police_reference = _text("Police reference", 50)
    risk_level = _radio("Police risk grading", RISK_LEVELS, "Select the police risk grading")
    risk_reason = _area("Why this grading", 2000)
    indicators = SelectMultipleField("Harm or exploitation indicators", choices=INDICATORS,
                                     widget=GovCheckboxesInput(), validators=[Optional()],
                                     description="Select all that apply")
    arrested = BooleanField("The child was arrested while missing or on return", widget=GovCheckboxInput(),
                            description="Record the arrest itself, with when and any signs of exploitation, from "
                                        "the child's page")
    circumstances = _area("Circumstances", 5000, description="What is known about why and how the child went missing")
    submit = SubmitField("Save episode", widget=GovSubmitInput())

    moments = (("reported_date", "reported_time", "the child was reported missing", None, ""),)
    #: an episode cannot be reported after the child's return (edit only)
    returned_at: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        value = self.instant("reported_date", "reported_time")
        if valid and self.returned_at and value and value > self.returned_at:
            self.reported_date.errors.append("Date reported missing must be before the child was found or returned")
            return False
        return valid

    def data_for_service(self) -> dict:
        return {
            "reported_missing_at": self.instant("reported_date", "reported_time"),
            "missing_from": self.missing_from.data,
            "missing_from_detail": (self.missing_from_detail.data or "").strip(),
            "police_reference": (self.police_reference.data or "").strip(),
            "risk_level": self.risk_level.data,
            "risk_reason": (self.risk_reason.data or "").strip(),
            "indicators": [c for c, _ in INDICATORS if c in (self.indicators.data or [])],
            "arrested": bool(self.arrested.data),
            "circumstances": (self.circumstances.data or "").strip(),
        }


class EpisodeEditForm(RecordVersion, EpisodeForm):
    """Correcting an episode: the grading is changed on its own form so its history is kept."""

    risk_level = None
    risk_reason = None

    def data_for_service(self) -> dict:
        data = {
            "reported_missing_at": self.instant("reported_date", "reported_time"),
            "missing_from": self.missing_from.data,
            "missing_from_detail": (self.missing_from_detail.data or "").strip(),
            "police_reference": (self.police_reference.data or "").strip(),
            "indicators": [c for c, _ in INDICATORS if c in (self.indicators.data or [])],
            "arrested": bool(self.arrested.data),
            "circumstances": (self.circumstances.data or "").strip(),
        }
        return data


class RiskForm(OnceForm, RecordVersion, FlaskForm):
    level = _radio("New risk grading", RISK_LEVELS, "Select the new risk grading")
    reason = _area("Why the grading changed", 2000, "Enter why the risk grading changed")
    submit = SubmitField("Change risk grading", widget=GovSubmitInput())


class ReturnForm(OnceForm, RecordVersion, MomentForm):
    returned_date = GovDateField("Date found or returned")
    returned_time = TimeOfDayField("Time found or returned")
    found_where = _area("Where the child was found", 500, "Enter where the child was found or returned to")
    returned_by = _text("Who found or brought the child back", 200,
                        "Enter who found the child or brought them back")
    out_of_area = BooleanField("The child was found outside the local authority's area", widget=GovCheckboxInput())
    abroad = BooleanField("The child was found abroad, or had been abroad", widget=GovCheckboxInput())
    submit = SubmitField("Record the return", widget=GovSubmitInput())

    reported_missing_at: datetime | None = None
    moments = (("returned_date", "returned_time", "the child was found or returned", "reported_missing_at",
                "Date found or returned must be after the child was reported missing, {when}"),)

    def data_for_service(self) -> dict:
        return {"returned_at": self.instant("returned_date", "returned_time"),
                "found_where": self.found_where.data.strip(), "returned_by": self.returned_by.data.strip(),
                "out_of_area": bool(self.out_of_area.data), "abroad": bool(self.abroad.data)}


class PreventionForm(OnceForm, RecordVersion, MomentForm):
    conducted_date = GovDateField("Date of the prevention interview")
    conducted_time = TimeOfDayField("Time of the prevention interview")
    officer_name = _text("Officer who held it", 200, "Enter the name of the officer who held the interview")
    outcome = _radio("Outcome", PREVENTION_OUTCOMES, "Select the outcome of the prevention interview")
    note = _area("What the child said or what was found", 5000)
    submit = SubmitField("Save prevention interview", widget=GovSubmitInput())

    returned_at: datetime | None = None
    moments = (("conducted_date", "conducted_time", "of the prevention interview", "returned_at",
                "Date of the prevention interview must be after the child was found or returned, {when}"),)

    def data_for_service(self) -> dict:
        return {"conducted_at": self.instant("conducted_date", "conducted_time"),
                "officer_name": self.officer_name.data.strip(), "outcome": self.outcome.data,
                "note": (self.note.data or "").strip()}


class OfferForm(OnceForm, MomentForm):
    offered_date = GovDateField("Date of the offer")
    offered_time = TimeOfDayField("Time of the offer")
    method = _radio("How it was offered", OFFER_METHODS, "Select how the interview was offered")
    response = _radio("The child's answer", OFFER_RESPONSES, "Select whether the child accepted or declined")
    note = _area("What the child said (optional)", 2000, description="In their words, if you can")
    submit = SubmitField("Record the offer", widget=GovSubmitInput())

    returned_at: datetime | None = None
    moments = (("offered_date", "offered_time", "of the offer", "returned_at",
                "Date of the offer must be after the child was found or returned, {when}"),)

    def data_for_service(self) -> dict:
        return {"offered_at": self.instant("offered_date", "offered_time"), "method": self.method.data,
                "response": self.response.data, "note": (self.note.data or "").strip()}


NOTHING_CHOSEN = "Select the worker who will offer the interview"


class AssignForm(RecordVersion, FlaskForm):
    """One worker chosen among a page of them (missing.workers.find). Nothing is checked until someone chooses,
    not even the worker assigned now. The page shown is one of many, so the choice is not checked against its
    options (validate_choice=False) but against the database when it is saved (workers.assignable_worker)."""

    worker = RadioField("Who will offer the return home interview?", coerce=workers.chosen_id,
                        validate_choice=False, widget=GovRadioInput(),
                        validators=[InputRequired(NOTHING_CHOSEN)])
    submit = SubmitField("Assign", widget=GovSubmitInput())

    def validate_worker(self, field):
        if not field.data:  # posted, but not a number any row could have
            raise ValidationError(NOTHING_CHOSEN)


class CompleteForm(RecordVersion, MomentForm):
    completed_date = GovDateField("Date of the interview")
    completed_time = TimeOfDayField("Time of the interview")
    interviewer_name = _text("Interviewer", 200, "Enter the interviewer's name")
    interviewer_organisation = _text("Interviewer's organisation or team", 200,
                                     "Enter the interviewer's organisation or team")
    interviewer_independent = _radio(
        "Is the interviewer independent of the child's placement?", [("yes", "Yes"), ("no", "No")],
        "Select whether the interviewer is independent of the child's placement",
        description="They must not be the child's carer, or work for the home or foster agency caring for them")
    interview_location = _text("Where the interview took place", 300, "Enter where the interview took place")
    why_left = _area("Why the child left", 5000, "Enter why the child left, or that they would not say",
                     description="Push and pull factors, in the child's words where possible")
    where_and_with_whom = _area("Where they went, with whom, and how they travelled", 5000,
                                "Enter where the child went and with whom, or that they would not say")
    harm = _area("Harm, threats or exploitation while missing", 5000,
                 "Enter any harm, threats or exploitation, or that none was disclosed")
    health_needs = _area("Health needs (optional)", 5000)
    support_and_referrals = _area("Support offered and referrals made", 5000,
                                  "Enter the support offered and any referrals made")
    information_sharing_consent = _radio("Information sharing", CONSENT,
                                         "Select whether the child agreed to information being shared")
    submit = SubmitField("Complete the interview", widget=GovSubmitInput())

    returned_at: datetime | None = None
    moments = (("completed_date", "completed_time", "of the interview", "returned_at",
                "Date of the interview must be after the child was found or returned, {when}"),)

    def validate_interviewer_independent(self, field):
        if field.data == "no":
            raise ValidationError("The interviewer must be independent of the child's placement: ask an "
                                  "independent worker to hold the interview")

    def data_for_service(self) -> dict:
        def text(field):
            return (field.data or "").strip()

        return {"completed_at": self.instant("completed_date", "completed_time"),
                "interviewer_name": text(self.interviewer_name),
                "interviewer_organisation": text(self.interviewer_organisation),
                "interviewer_independent": self.interviewer_independent.data == "yes",
                "interview_location": text(self.interview_location), "why_left": text(self.why_left),
                "where_and_with_whom": text(self.where_and_with_whom), "harm": text(self.harm),
                "health_needs": text(self.health_needs), "support_and_referrals": text(self.support_and_referrals),
                "information_sharing_consent": self.information_sharing_consent.data}


class NotHeldForm(RecordVersion, FlaskForm):
    reason = _area("Why no interview will be held", 2000, "Enter why no interview will be held",
                   description="Say what was offered, by whom, and what the child said")
    submit = SubmitField("Close without an interview", widget=GovSubmitInput())


class PoliceProtectionForm(OnceForm, MomentForm):
    started_date = GovDateField("Date police protection began")
    started_time = TimeOfDayField("Time police protection began")
    designated_officer = _text("Designated officer", 200, "Enter the name of the designated officer")
    place_of_safety = _text("Place of safety", 300, "Enter the place of safety")
    reason = _area("Why the child was taken into police protection", 5000,
                   "Enter why the child was taken into police protection")
    submit = SubmitField("Record police protection", widget=GovSubmitInput())

    moments = (("started_date", "started_time", "police protection began", None, ""),)

    def data_for_service(self) -> dict:
        return {"started_at": self.instant("started_date", "started_time"),
                "designated_officer": self.designated_officer.data.strip(),
                "place_of_safety": self.place_of_safety.data.strip(), "reason": self.reason.data.strip()}


class PoliceProtectionEndForm(RecordVersion, MomentForm):
    ended_date = GovDateField("Date police protection ended")
    ended_time = TimeOfDayField("Time police protection ended")
    end_outcome = _radio("What happened", PP_OUTCOMES, "Select what happened when police protection ended")
    end_note = _area("Details (optional)", 2000)
    breach_reason = _area("Why police protection lasted longer than 72 hours", 2000,
                          description="Only if it ended more than 72 hours after it began: the law allows 72 hours "
                                      "at most, so the record says what happened and why")
    submit = SubmitField("Record the end", widget=GovSubmitInput())

    started_at: datetime | None = None
    moments = (("ended_date", "ended_time", "police protection ended", "started_at",
                "Date police protection ended must be after it began, {when}"),)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid or self.started_at is None:
            return valid
        ended = self.instant("ended_date", "ended_time")
        # an end after 72 hours is a fact to record, never refused; only its reason is required
        if rules.police_protection_breached(self.started_at, ended) and not (self.breach_reason.data or "").strip():
            self.breach_reason.errors.append("Police protection lasted more than 72 hours: enter why, so the "
                                             "breach is recorded")
            return False
        return valid

    def data_for_service(self) -> dict:
        return {"ended_at": self.instant("ended_date", "ended_time"), "end_outcome": self.end_outcome.data,
                "end_note": (self.end_note.data or "").strip(),
                "breach_reason": (self.breach_reason.data or "").strip()}


class EpoForm(OnceForm, MomentForm):
    granted_date = GovDateField("Date the order was granted")
    granted_time = TimeOfDayField("Time the order was granted")
    ends_date = GovDateField("Date the order ends", description="The end the court specified, as on the order")
    ends_time = TimeOfDayField("Time the order ends")
    #: choices are the child's police protections and "no": set by the view, removed when there are none
    after_police_protection = RadioField(
        "Was the order made on the designated officer's application, after police protection?",
        widget=GovRadioInput(), validators=[InputRequired("Select whether the order followed police protection")],
        description="Section 45(3): the 8 days then begin with the first day of police protection")
    court = _text("Court", 200, "Enter the court that made the order")
    submit = SubmitField("Record the order", widget=GovSubmitInput())

    moments = (("granted_date", "granted_time", "the order was granted", None, ""),)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # the end is usually still to come, so it is not one of the past `moments`
        if self.ends_date.errors or self.ends_time.errors:
            return False
        if self.ends_date.data is None:
            self.ends_date.errors.append("Enter the date the order ends")
            return False
        if not (self.ends_time.data or "").strip():
            self.ends_time.errors.append("Enter the time the order ends")
            return False
        granted = self.instant("granted_date", "granted_time") if valid else None
        if granted is not None and self.instant("ends_date", "ends_time") <= granted:
            self.ends_date.errors.append("Date the order ends must be after it was granted")
            return False
        return valid

    def police_protection_id(self) -> int | None:
        field = getattr(self, "after_police_protection", None)
        return int(field.data) if field is not None and field.data and field.data != "no" else None

    def data_for_service(self) -> dict:
        return {"granted_at": self.instant("granted_date", "granted_time"),
                "ends_at": self.instant("ends_date", "ends_time"), "court": self.court.data.strip(),
                "police_protection_id": self.police_protection_id()}


class EpoEditForm(RecordVersion, EpoForm):
    """Correcting the order: the end is the one the court first specified; an extension keeps its own end."""

    submission_key = None
    submit = SubmitField("Save changes", widget=GovSubmitInput())


class EpoExtendForm(RecordVersion, MomentForm):
    extended_date = GovDateField("Date the court extended the order",
                                 description="An order can be extended only while it is in force")
    extended_time = TimeOfDayField("Time the court extended the order")
    new_end_date = GovDateField("Date the extended order ends",
                                description=f"At most {rules.EPO_MAX_EXTENSION_DAYS} days after the order's "
                                            "stated end; an order can be extended once")
    new_end_time = TimeOfDayField("Time the extended order ends")
    submit = SubmitField("Record the extension", widget=GovSubmitInput())

    granted_at: datetime | None = None
    #: said before anything else: a second extension is refused whatever its dates
    already_extended = False
    moments = (("extended_date", "extended_time", "the court extended the order", "granted_at",
                "Date the court extended the order must be after it was granted, {when}"),)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.already_extended:
            self.extended_date.errors.append("This order has already been extended: an emergency protection order "
                                             "can be extended only once")
            return False
        if self.new_end_date.errors or self.new_end_time.errors:
            return False
        if self.new_end_date.data is None:
            self.new_end_date.errors.append("Enter the date the extended order ends")
            return False
        if not (self.new_end_time.data or "").strip():
            self.new_end_time.errors.append("Enter the time the extended order ends")
            return False
        return valid

    def data_for_service(self) -> dict:
        return {"extended_at": self.instant("extended_date", "extended_time"),
                "new_end": self.instant("new_end_date", "new_end_time")}


class EpoEndForm(RecordVersion, MomentForm):
    ended_date = GovDateField("Date the order ended")
    ended_time = TimeOfDayField("Time the order ended")
    end_outcome = _radio("What happened", EPO_OUTCOMES, "Select what happened when the order ended")
    submit = SubmitField("Record the end of the order", widget=GovSubmitInput())

    granted_at: datetime | None = None
    moments = (("ended_date", "ended_time", "the order ended", "granted_at",
                "Date the order ended must be after it was granted, {when}"),)

    def data_for_service(self) -> dict:
        return {"ended_at": self.instant("ended_date", "ended_time"), "end_outcome": self.end_outcome.data}


class ArrestForm(OnceForm, MomentForm):
    arrested_date = GovDateField("Date of the arrest")
    arrested_time = TimeOfDayField("Time of the arrest")
    exploitation = _radio("Are there signs that the child is being exploited?",
                          list(rules.EXPLOITATION_ANSWERS.items()),
                          "Select whether there are signs that the child is being exploited",
                          description="For example, found with drugs or cash far from home, with older people, or "
                                      "in a place linked to county lines")
    #: choices are the child's recent episodes and "no": set by the view, removed when there are none
    episode = RadioField("Was the child arrested during a missing episode, or on return from one?",
                         widget=GovRadioInput(),
                         validators=[InputRequired("Select whether the child was arrested during a missing episode")])
    police_reference = _text("Police reference (optional)", 50)
    note = _area("What happened (optional)", 5000,
                 description="The offence, where, and who the child was with, as far as is known")
    submit = SubmitField("Record the arrest", widget=GovSubmitInput())

    moments = (("arrested_date", "arrested_time", "of the arrest", None, ""),)

    def episode_id(self) -> int | None:
        field = getattr(self, "episode", None)
        return int(field.data) if field is not None and field.data and field.data != "no" else None

    def data_for_service(self) -> dict:
        return {"arrested_at": self.instant("arrested_date", "arrested_time"),
                "exploitation": self.exploitation.data, "episode_id": self.episode_id(),
                "police_reference": (self.police_reference.data or "").strip(),
                "note": (self.note.data or "").strip()}


class PromptCloseForm(FlaskForm):
    note = _area("Why no new discussion is needed", 2000, "Enter why no new strategy discussion is needed",
                 description="For example, a discussion about these episodes is already arranged for tomorrow")
    submit = SubmitField("Mark as dealt with", widget=GovSubmitInput())


class FiguresForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    start = GovDateField("From")
    end = GovDateField("To")

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError("To must be the same as or after From")
        if field.data and (field.data - (self.start.data or field.data)).days > 3 * 366:
            raise ValidationError("To must be no more than 3 years after From")
