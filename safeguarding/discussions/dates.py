"""Dates on a discussion that must make sense together (no Flask, no database).

An impossible date does not stay put: a discussion dated before the child was born became "overdue by 13481 days"
on My work, was escalated to a manager and was counted in Reports. Each rule names the other date, so the person
can see which of the two is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: a pre-birth discussion cannot be held before the pregnancy (a full term, from the expected date)
PREGNANCY = timedelta(weeks=42)
#: an agreed action due further ahead than this is usually a mistyped year, so it needs confirming
FAR_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class ChildDates:
    name: str
    born_on: date | None
    is_unborn: bool = False
    expected_on: date | None = None


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def discussion_date_problems(held_on: date | None, referral_on: date | None, convene_decided_on: date | None,
                             children: list[ChildDates], today: date) -> list[tuple[str, str]]:
    """(field, message) for each date that cannot be right beside the others."""
    problems = []
    if referral_on is not None and referral_on > today:
        problems.append(("referral_received_on", "Date the referral was received must be today or in the past"))
    if held_on is None:
        return problems
    if referral_on is not None and held_on < referral_on:
        problems.append(("scheduled_date", ("Date of the discussion must be the same as or after the date the "
                                           f"referral was received ({long_date(referral_on)})")))
    if convene_decided_on is not None and held_on < convene_decided_on:
        problems.append(("scheduled_date", ("Date of the discussion must be the same as or after the decision to "
                                           f"convene it ({long_date(convene_decided_on)})")))
    for child in children:
        if child.is_unborn and child.expected_on is not None:
            earliest = child.expected_on - PREGNANCY
            if held_on < earliest:
                problems.append(("scheduled_date", (f"Date of the discussion must be during the pregnancy: "
                                                   f"{child.name} is expected on {long_date(child.expected_on)}")))
        elif child.born_on is not None and held_on < child.born_on:
            problems.append(("scheduled_date", (f"Date of the discussion must be the same as or after "
                                               f"{child.name}'s date of birth ({long_date(child.born_on)})")))
    return problems


def seen_date_problem(seen_on: date | None, child: ChildDates, today: date) -> str | None:
    """A child cannot be seen before they were born, nor on a day that has not happened yet."""
    if seen_on is None:
        return None
    if seen_on > today:
        return "Date the child was seen must be today or in the past"
    if child.born_on is not None and not child.is_unborn and seen_on < child.born_on:
        return f"Date the child was seen must be the same as or after {child.name}'s date of birth " \
               f"({long_date(child.born_on)})"
    return None


def due_date_needs_confirming(due_on: date, today: date) -> bool:
    return due_on - today > FAR_AHEAD
