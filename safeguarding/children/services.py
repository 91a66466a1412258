"""Every write about a child: validates, changes, audits (fields changed), logs one line."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..auth.access import child_scope
from ..extensions import db
from .models import Child, FamilyAdversity
from .nhs import normalise

log = logging.getLogger("safeguarding.children")

CHILD_FIELDS = ("first_name", "last_name", "is_unborn", "date_of_birth", "expected_date", "gender", "ethnicity",
                "disability", "address", "la_reference", "nhs_number", "looked_after", "responsible_authority")
#: names, addresses and free text: the audit log records that they changed, not their values
PERSONAL = ("first_name", "last_name", "address", "disability", "nhs_number", "date_of_birth", "expected_date")
SEARCH_LIMIT = 50


class StaleEdit(Exception):
    """Someone else saved this record after the form was opened."""


def create_child(data: dict, *, actor) -> Child:
    child = Child(**{k: data[k] for k in CHILD_FIELDS}, created_by_id=actor.id,
                  created_by_agency_id=actor.agency_id)
    db.session.add(child)
    db.session.flush()
    audit.record("create", "child", child.id, user=actor,
                 changes=audit.changes_between({}, audit.snapshot(child, CHILD_FIELDS), PERSONAL))
    db.session.commit()
    log.info("child created id=%s", child.id)
    return child


def update_child(child: Child, data: dict, expected_version: int, *, actor) -> dict:
    if child.version != expected_version:
        raise StaleEdit()
    before = audit.snapshot(child, CHILD_FIELDS)
    for key in CHILD_FIELDS:
        setattr(child, key, data[key])
    changes = audit.changes_between(before, audit.snapshot(child, CHILD_FIELDS), PERSONAL)
    if not changes:
        return {}
    audit.record("update", "child", child.id, user=actor, changes=changes)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    return changes


def record_adversity(child: Child, adversity: str, note: str, *, actor) -> FamilyAdversity:
    existing = next((a for a in child.adversities if a.adversity == adversity), None)
    if existing is not None:
        existing.note = "\n".join(p for p in (existing.note, note) if p)
        row = existing
        action = "update"
    else:
        row = FamilyAdversity(child=child, adversity=adversity, note=note, recorded_by_id=actor.id)
        db.session.add(row)
        action = "create"
    db.session.flush()
    audit.record(action, "family_adversity", row.id, user=actor,
                 changes={"child_id": {"to": child.id}, "adversity": {"to": adversity}})
    db.session.commit()
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
    db.session.commit()
    return found
