"""When a child's records fall due under the retention schedule. Pure: no Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: the partnership's starting schedule (README "Retention"); administrators change it in the app
DEFAULTS = {"child_protection_age": 25, "missing_age": 25, "no_birth_date_years": 6, "audit_years_after": 7}


@dataclass(frozen=True)
class Schedule:
    child_protection_age: int = DEFAULTS["child_protection_age"]
    missing_age: int = DEFAULTS["missing_age"]
    no_birth_date_years: int = DEFAULTS["no_birth_date_years"]
    audit_years_after: int = DEFAULTS["audit_years_after"]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the birthday falls on 1 March in a common year
        return date(day.year + years, 3, 1)


def due_on(schedule: Schedule, *, born: date | None, has_missing: bool, last_record_on: date) -> tuple[date, str]:
    """The day the child's records may be anonymised, and why.

    A child with a date of birth is kept to the later of the two birthdays their records call for (a child known
    only for a missing episode is still a child protection record once discussed, so the child protection age is
    the floor). Without a date of birth (unborn, never born, never known) the clock runs from the last record."""
    if born is None:
        return (add_years(last_record_on, schedule.no_birth_date_years),
                f"{schedule.no_birth_date_years} years after the last record (no date of birth)")
    due, why = add_years(born, schedule.child_protection_age), f"{schedule.child_protection_age}th birthday"
    if has_missing:
        missing_due = add_years(born, schedule.missing_age)
        if missing_due > due:
            due, why = missing_due, f"{schedule.missing_age}th birthday (missing episode records)"
    return due, why
