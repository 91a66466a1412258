"""The reporting period, read from the query string so a report can be bookmarked and shared."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import ValidationError

from ..clock import london_today
from ..forms import GovDateField
from ..periods import MAX_PERIOD_DAYS


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    start = GovDateField("From", description="For example, 1 1 2026")
    end = GovDateField("To", description="For example, 31 3 2026")

    def validate_start(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the From date")
        if field.data and field.data > london_today():
            raise ValidationError("From must be today or in the past")

    def validate_end(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the To date")
        if field.data and self.start.data:
            if field.data < self.start.data:
                raise ValidationError("To must be the same as or after From")
            if (field.data - self.start.data).days > MAX_PERIOD_DAYS:
                raise ValidationError("To must be no more than 3 years after From")
