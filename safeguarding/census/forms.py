"""The collection year, chosen in the query string so the page can be bookmarked."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField

from ..forms import GovSelect
from .items import CollectionYear

#: the first census year with section 47 items in this shape (the children in need census began in 2008 to 2009)
FIRST_YEAR = 2013


def year_choices(today) -> list[tuple[str, str]]:
    latest = CollectionYear.containing(today).start_year
    return [(str(y), CollectionYear(y).label + (" (in progress)" if y == latest else ""))
            for y in range(latest, FIRST_YEAR - 1, -1)]


class CollectionYearForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    year = SelectField("Collection year", widget=GovSelect(),
                       description="A census year runs from 1 April to 31 March", validate_choice=True)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = year_choices(today)
        self.year.errors = []

    def chosen(self) -> CollectionYear | None:
        if not self.validate():
            self.year.errors = ["Select a collection year from the list"]
            return None
        return CollectionYear(int(self.year.data))
