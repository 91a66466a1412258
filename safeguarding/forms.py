"""Form pieces shared by every feature: GOV.UK widgets and error messages that name the field."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, time

from flask import current_app
from govuk_frontend_wtf import wtforms_widgets as gov
from markupsafe import Markup
from wtforms import DateField, HiddenField, StringField, ValidationError
from wtforms.validators import Length

from . import govuk_fields
from .clock import LONDON, UTC

__all__ = [
    "EXPIRED", "VersionField",
    "GovCheckboxesInput", "GovCheckboxInput", "GovDateInput", "GovFileInput", "GovPasswordInput", "GovRadioInput",
    "GovSelect", "GovSubmitInput", "GovTextArea", "GovTextInput", "GovDateField", "TimeOfDayField", "london_instant",
    "limit", "not_in_future",
]

class _DrawnDirectly:
    """A GOV.UK widget drawn from its template alone. Each widget's template is one govuk-frontend-jinja macro called
    with `params`; the library draws it with Flask's `render_template`, which also runs every context processor (the
    navigation, the person's unread notifications, the scheduler's warning) and the template signals, once per field
    drawn: a fifth of a list page's time went on its filter form."""

    def render(self, params):
        # the widget's template is autoescaped (.html), as it is when the library renders it
        return Markup(current_app.jinja_env.get_template(self.template).render(params=params))  # nosec B704


class GovCheckboxesInput(_DrawnDirectly, gov.GovCheckboxesInput):
    pass


class GovCheckboxInput(_DrawnDirectly, gov.GovCheckboxInput):
    pass


class GovFileInput(_DrawnDirectly, gov.GovFileInput):
    pass


class GovPasswordInput(_DrawnDirectly, gov.GovPasswordInput):
    pass


class GovRadioInput(_DrawnDirectly, gov.GovRadioInput):
    def render(self, params):
        # written in Python for what the forms ask (govuk_fields.radios); the template for anything more
        return govuk_fields.radios(params) or super().render(params)


class GovSelect(_DrawnDirectly, gov.GovSelect):
    def render(self, params):
        return govuk_fields.select(params) or super().render(params)


class GovSubmitInput(_DrawnDirectly, gov.GovSubmitInput):
    pass


class GovTextArea(_DrawnDirectly, gov.GovTextArea):
    def render(self, params):
        return govuk_fields.textarea(params) or super().render(params)


class GovTextInput(_DrawnDirectly, gov.GovTextInput):
    def render(self, params):
        return govuk_fields.text_input(params) or super().render(params)


class GovDateInput(_DrawnDirectly, gov.GovDateInput):
    """The GOV.UK date input (day, month and year boxes in a fieldset), an empty one rendered once per process.

    Its macro is the slowest piece of a page: three input macros inside a fieldset, 1.2 ms each time, and a return
    interview's page has four (7 ms of its 13). An empty one (no value typed, no error) is the same HTML every time
    for the same field, so it is kept; one with anything in it, which may be about a child, is rendered afresh and
    never kept."""

    _empty: dict[str, str] = {}
    #: the forms' empty date fields number a few dozen; a bound in case a page ever builds ids from data
    KEEP_AT_MOST = 500

    def render(self, params):
        if params.get("errorMessage") or params.get("value") or any(
                item.get("value") for item in params.get("items") or ()):
            return super().render(params)
        key = json.dumps(params, sort_keys=True, default=str)
        html = self._empty.get(key)
        if html is None:
            html = super().render(params)
            if len(self._empty) < self.KEEP_AT_MOST:
                self._empty[key] = html
        return html


TIME_RE = re.compile(r"^\s*([0-9]{1,2})[:.]([0-9]{2})\s*$")
#: Dates anyone in a child's record could have: a grandparent's birth to a review decades ahead. Years outside
#: would overflow the date arithmetic downstream (working days, time zones) and are never what was meant.
MIN_YEAR, MAX_YEAR = 1000, 2199


class GovDateField(DateField):
    """A date typed as day, month and year boxes; error messages in GOV.UK style."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovDateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        # The GOV.UK widget unpacks raw_data into day, month and year: always give it three.
        self.raw_data = (list(valuelist) + ["", "", ""])[:3] if valuelist else None
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        parts = [v.strip() for v in valuelist]
        name = self.label.text
        if len(parts) != 3 or not all(parts):
            missing = [n for n, v in zip(("day", "month", "year"), (parts + [""] * 3)[:3], strict=True) if not v]
            self.data = None
            raise ValueError(f"{name} must include a {' and '.join(missing) or 'day, month and year'}")
        try:
            if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
                raise ValueError
            day, month, year = (int(p) for p in parts)
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise ValueError
            self.data = date(year, month, day)
        except (ValueError, OverflowError):
            self.data = None
            raise ValueError(f"{name} must be a real date") from None

    def pre_validate(self, form):
        pass


class TimeOfDayField(StringField):
    """A 24-hour time such as 14:30, as GOV.UK suggests for times."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("widget", GovTextInput())
        kwargs.setdefault("description", "Use the 24-hour clock, for example 14:30")
        super().__init__(label, validators, **kwargs)

    @property
    def time(self) -> time | None:
        match = TIME_RE.match(self.data or "")
        if not match:
            return None
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            return None
        return time(hour, minute)

    def pre_validate(self, form):
        if (self.data or "").strip() and self.time is None:
            raise ValidationError(f"{self.label.text} must be a real time, like 09:30 or 14:00")


def london_instant(day: date | None, at: time | None) -> datetime | None:
    """The UTC instant of a London wall-clock date and time (BST or GMT as it was on that day)."""
    if day is None or at is None:
        return None
    try:
        return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)
    except (OverflowError, ValueError):  # only at the ends of the calendar, which GovDateField refuses
        return None


def limit(name: str, maximum: int) -> Length:
    return Length(max=maximum, message=f"{name} must be {maximum:,} characters or fewer")


def not_in_future(today_fn):
    def check(form, field):
        if field.data and field.data > today_fn():
            raise ValidationError(f"{field.label.text} must be today or in the past")

    return check


EXPIRED = "This form has expired. Reload the page and try again"


class VersionField(HiddenField):
    """The version of the record the form was opened on; anything but a whole number is refused, never a 500."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_data = valuelist
        if not raw:
            self.data = None
            return
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            self.data = None
            raise ValueError(EXPIRED)
        self.data = int(raw)

    def _value(self):
        return "" if self.data is None else str(self.data)
