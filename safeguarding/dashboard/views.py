"""My work: what is overdue, due today and due in the next 7 days, from the same deadlines the reminders chase.

A handful of queries whatever the number of deadlines: each feature's indexed deadline query for the user (and
once more for the team, and for the partnership), one for the team's ids and one for the owners' names.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import clock, deadlines
from ..auth.access import MANAGER, MASH, require
from ..auth.models import User
from ..extensions import db
from ..pagination import Page, page_number

bp = Blueprint("dashboard", __name__)

HORIZON = timedelta(days=7)
#: kinds MASH staff oversee for the whole partnership: discussions waiting for their record to be circulated
PARTNERSHIP_KINDS = frozenset({"minutes_circulation"})
TEAM_PER_PAGE = 50


@dataclass
class Sections:
    overdue: list
    today: list
    week: list

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.week)


def split(found: list[deadlines.Deadline], now: datetime) -> Sections:
    """Overdue, due later today (London), due in the rest of the next 7 days; each soonest first."""
    end_of_today = clock.london_datetime(clock.to_london(now).date() + timedelta(days=1))
    sections = Sections([], [], [])
    for d in sorted(found, key=lambda d: (d.due_at, d.kind, d.object_id)):
        if d.due_at <= now:
            sections.overdue.append(d)
        elif d.due_at < end_of_today:
            sections.today.append(d)
        else:
            sections.week.append(d)
    return sections


def _page_of(items: list, raw_page) -> Page:
    number = page_number(raw_page)
    start = (number - 1) * TEAM_PER_PAGE
    return Page(items=items[start:start + TEAM_PER_PAGE], number=number, per_page=TEAM_PER_PAGE, total=len(items))


def _masked(found: list[deadlines.Deadline]) -> list[deadlines.Deadline]:
    """A deadline about a restricted child is still counted and still someone's, but says nothing about the child
    (the person may not be on its list; if they are, the link opens it)."""
    from ..reminders.sweep import RESTRICTED_TITLE, restricted_deadlines

    hidden = restricted_deadlines(found)
    return [replace(d, title=RESTRICTED_TITLE, child_name=None) if (d.object_type, d.object_id) in hidden else d
            for d in found]


@bp.route("/my-work")
@require("case.view")
def my_work():
    now = clock.now()
    horizon = now + HORIZON
    mine = split(_masked(deadlines.open_deadlines(due_before=horizon, owner_ids=[current_user.id])), now)

    team = partnership = None
    owner_ids: set[int] = set()
    if current_user.role == MANAGER:
        team_ids = list(db.session.execute(
            select(User.id).where(User.line_manager_id == current_user.id, User.is_active_user.is_(True))
        ).scalars())
        found = _masked(deadlines.open_deadlines(due_before=horizon, owner_ids=team_ids)) if team_ids else []
        team = _page_of(sorted(found, key=lambda d: (d.due_at, d.kind, d.object_id)), request.args.get("page", 1))
        owner_ids |= {d.owner_id for d in team.items if d.owner_id}
    if current_user.role == MASH:
        found = _masked([d for d in deadlines.open_deadlines(due_before=horizon) if d.kind in PARTNERSHIP_KINDS])
        partnership = split(found, now)
        owner_ids |= {d.owner_id for d in found if d.owner_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()) \
        if owner_ids else {}
    return render_template("dashboard/my_work.html", mine=mine, team=team, partnership=partnership, names=names,
                           kinds=deadlines.kinds(), now=now)
