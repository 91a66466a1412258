"""Every write about a child: checks the rules, changes rows, audits (fields changed), logs one line. Flushes only:
the view's `transaction()` commits."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..auth.access import child_scope
from ..clock import to_london
from ..extensions import db
from ..service import RuleError, expect_version
from ..templating import london_date
from .models import Child, FamilyAdversity
from .nhs import check_nhs_number, formatted, normalise

log = logging.getLogger("safeguarding.children")

CHILD_FIELDS = ("first_name", "last_name", "is_unborn", "date_of_birth", "expected_date", "gender", "ethnicity",
                "disability", "address", "la_reference", "nhs_number", "looked_after", "responsible_authority",
                "ethnicity_code", "disability_status")
#: the census answers: empty until someone records them, so a caller that does not ask them leaves them as they are
OPTIONAL_FIELDS = ("ethnicity_code", "disability_status")
#: names, addresses, free text and special category data: the audit log records that they changed, not their values
PERSONAL = ("first_name", "last_name", "address", "disability", "nhs_number", "date_of_birth", "expected_date",
            "ethnicity_code", "disability_status")
SEARCH_LIMIT = 50

#: said when the matching record is one the user may not see: that it exists and who can help, nothing about it
HIDDEN_RECORD = ("A record for this child may already exist, but you do not have access to it. Ask the MASH team "
                 "to check it and give you access, rather than adding a second record")


class HiddenRecord(RuleError):
    """The NHS number belongs to a child the person may not see: they are told only that a record exists (and may
    ask to open it by break glass, `child_id` carrying which)."""

    def __init__(self, child_id: int, restricted: bool):
        super().__init__(HIDDEN_RECORD, "nhs_number")
        self.child_id = None if restricted else child_id


@dataclass(frozen=True)
class PossibleMatches:
    """Children who may be the one being added: those the user may see, and how many others exist."""

    visible: list[Child] = field(default_factory=list)
    hidden: int = 0
    #: hidden children the person may ask to open by break glass (restricted ones are counted, never offered)
    offers: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.visible) or self.hidden > 0


class NearMatch(Exception):
    """A child with the same date of birth and first or last name is already recorded: confirm before adding."""

    def __init__(self, matches: PossibleMatches):
        super().__init__("A child like this one is already recorded")
        self.matches = matches


def _visible_ids(user, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.execute(db.select(Child.id).where(Child.id.in_(ids), child_scope(user))).scalars())


def _check_nhs_number_unique(nhs_number: str | None, user, exclude_id: int | None = None) -> None:
    if not nhs_number:
        return
    query = db.select(Child).where(Child.nhs_number == nhs_number)
    if exclude_id is not None:
        query = query.where(Child.id != exclude_id)
    other = db.session.execute(query.limit(1)).scalar_one_or_none()
    if other is None:
        return
    if other.id not in _visible_ids(user, [other.id]):
        raise HiddenRecord(other.id, other.restricted)
    born = f", born {london_date(other.date_of_birth)}" if other.date_of_birth else ""
    raise RuleError(f"NHS number {formatted(nhs_number)} is already recorded for {other.display_name}{born}: "
                    "open their record rather than adding a second one", "nhs_number")


def possible_matches(data: dict, user, exclude_id: int | None = None) -> PossibleMatches:
    """Children with the same date of birth and the same first or last name (ignoring case): likely the same
    child spelt differently, or recorded by another agency first."""
    born = data.get("date_of_birth")
    if data.get("is_unborn") or born is None:
        return PossibleMatches()
    first, last = data["first_name"].strip().lower(), data["last_name"].strip().lower()
    query = db.select(Child).where(Child.date_of_birth == born,
                                   or_(func.lower(Child.first_name) == first, func.lower(Child.last_name) == last))
    if exclude_id is not None:
        query = query.where(Child.id != exclude_id)
    found = list(db.session.execute(query.order_by(Child.id).limit(SEARCH_LIMIT)).scalars())
    visible = _visible_ids(user, [c.id for c in found])
    return PossibleMatches([c for c in found if c.id in visible], sum(1 for c in found if c.id not in visible),
                           [c.id for c in found if c.id not in visible and not c.restricted])


def _normalised(data: dict) -> dict:
    data = dict(data)
    data["nhs_number"] = check_nhs_number(data["nhs_number"]) if data.get("nhs_number") else None
    return data


def _flush_unique(child: Child, user) -> None:
    """Flush, turning a concurrent save of the same NHS number (the unique constraint) into the same message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        if child.nhs_number:
            # the other record was committed while this one was being saved: say so as if it had been found first
            _check_nhs_number_unique(child.nhs_number, user, exclude_id=child.id)
        raise


def create_child(data: dict, *, actor, confirmed_new: bool = True) -> Child:
    """Add a child. With `confirmed_new` False, a near match on name and date of birth raises NearMatch so the
    person can check before a second record is made."""
    data = _normalised(data)
    _check_nhs_number_unique(data["nhs_number"], actor)
    if not confirmed_new:
        matches = possible_matches(data, actor)
        if matches:
            raise NearMatch(matches)
    child = Child(**{k: data.get(k) if k in OPTIONAL_FIELDS else data[k] for k in CHILD_FIELDS},
                  created_by_id=actor.id,
                  created_by_agency_id=actor.agency_id)
    db.session.add(child)
    _flush_unique(child, actor)
    audit.record("create", "child", child.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(child, CHILD_FIELDS), PERSONAL))
    log.info("child created id=%s", child.id)
    return child


#: features that record what happened to a child register a function child_id -> (when, what) | None giving the
#: earliest such event, which a corrected date of birth cannot come after (children never imports them)
_FIRST_EVENTS: list[Callable[[int], tuple[datetime, str] | None]] = []


def register_first_event(source: Callable[[int], tuple[datetime, str] | None]) -> None:
    if source not in _FIRST_EVENTS:
        _FIRST_EVENTS.append(source)


def _first_recorded_event(child_id: int) -> tuple[datetime, str] | None:
    found = [event for event in (source(child_id) for source in _FIRST_EVENTS) if event is not None]
    return min(found, key=lambda pair: pair[0]) if found else None


def _check_birth_before_events(child: Child, data: dict) -> None:
    """A corrected date of birth must not put what is already recorded before the child was born."""
    first = _first_recorded_event(child.id)
    if first is None:
        return
    at, what = first
    if data["is_unborn"]:
        raise RuleError(f"This child cannot be recorded as unborn: they were {what} on {london_date(at)}",
                        "is_unborn")
    if data["date_of_birth"] and data["date_of_birth"] > to_london(at).date():
        raise RuleError(f"Date of birth must be the same as or before {london_date(at)}, when the child was "
                        f"{what}", "date_of_birth")


def update_child(child: Child, data: dict, expected_version: int | None, *, actor) -> dict:
    expect_version(child, expected_version)
    data = _normalised(data)
    _check_nhs_number_unique(data["nhs_number"], actor, exclude_id=child.id)
    _check_birth_before_events(child, data)
    before = audit.snapshot(child, CHILD_FIELDS)
    for key in CHILD_FIELDS:
        if key in data or key not in OPTIONAL_FIELDS:
            setattr(child, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(child, CHILD_FIELDS), PERSONAL)
    if not changes:
        return {}
    audit.record("update", "child", child.id, user=actor, changes=changes)
    _flush_unique(child, actor)
    log.info("child updated id=%s", child.id)
    return changes


def record_adversity(child: Child, adversity: str, note: str, *, actor) -> FamilyAdversity:
    """Each report is its own entry with its author and date, even when the adversity was reported before: a
    second report appended to the first note would put words in the first author's mouth."""
    row = FamilyAdversity(child=child, adversity=adversity, note=note, recorded_by_id=actor.id,
                          recorded_by_agency_id=actor.agency_id)
    db.session.add(row)
    db.session.flush()
    audit.record("create", "family_adversity", row.id, user=actor,
                 changes={"child_id": {"to": child.id}, "adversity": {"to": adversity}, "note": {"changed": True}})
    log.info("family adversity recorded id=%s child=%s", row.id, child.id)
    return row


def _parse_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{1,2})[/\s.-](\d{1,2})[/\s.-](\d{4})", text.strip())
    if not match:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def search(user, text: str) -> list[Child]:
    """Children the user may see whose name, date of birth, LA reference or NHS number matches `text`."""
    text = text.strip()
    conditions = []
    when = _parse_date(text)
    if when:
        conditions.append(Child.date_of_birth == when)
    digits = normalise(text)
    if digits.isdigit() and len(digits) == 10:
        conditions.append(Child.nhs_number == digits)
    conditions.append(func.lower(Child.la_reference) == text.lower())
    words = [w.lower() for w in re.split(r"\s+", text) if w and not when]
    if words:
        name_match = [or_(func.lower(Child.first_name).startswith(w, autoescape=True),
                          func.lower(Child.last_name).startswith(w, autoescape=True)) for w in words]
        conditions.append(db.and_(*name_match))
    query = (db.select(Child).where(or_(*conditions), child_scope(user))
             .order_by(Child.last_name, Child.first_name).limit(SEARCH_LIMIT + 1))
    found = list(db.session.execute(query).scalars())
    # who searched, and how much they saw; never what they typed (it is usually a child's name)
    audit.record("search", "child", None, user=user, detail=f"{len(found)} result(s)")
    return found
