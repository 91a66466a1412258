"""My work: what is overdue, due today and due in the next 7 days, from the same deadlines the reminders chase.

A handful of queries whatever the number of deadlines: a person's own list and a manager's team are read from the
open deadlines kept as rows (`kept_deadlines/rows.py`), one statement counting them and one reading the page's keys, and
only the page's records are read to show them; one query for the team's ids and one for the owners' names. MASH
staff's partnership view asks only the providers of its kind, for counts (one grouped statement) and for the rows
one page shows (LIMIT/OFFSET in the provider's query). At ten times the largest partnership a CSC manager's team and
mailbox hold thousands of open deadlines; reading them whole to show fifty made My work grow with the partnership.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import clock, deadlines
from ..auth.access import MANAGER, MASH, require
from ..auth.models import User
from ..extensions import db
from ..pagination import Page, page_number
from ..kept_deadlines import rows as kept

bp = Blueprint("dashboard", __name__)

HORIZON = timedelta(days=7)
#: the kind MASH staff oversee for the whole partnership: discussions waiting for their record to be circulated
PARTNERSHIP_KIND = "minutes_circulation"
TEAM_PER_PAGE = 50
#: the most urgent of the partnership's shown on My work; the rest are a paginated page of their own
PARTNERSHIP_PREVIEW = 10
PARTNERSHIP_PER_PAGE = 50
#: the most of a person's own shown on My work, most urgent first; a heavy user's full list is its own page
MINE_LIMIT = 50
MINE_PER_PAGE = 50


@dataclass
class Sections:
    overdue: list
    today: list
    week: list
    #: (overdue, today, week) counted in SQL when the lists hold only the most urgent; None when they hold everything
    full_counts: tuple[int, int, int] | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.full_counts or (len(self.overdue), len(self.today), len(self.week))

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def summary(self) -> Summary:
        return Summary(*self.counts)

    @property
    def shown(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.week)


def split(found: list[deadlines.Deadline], now: datetime) -> Sections:
    """Overdue, due later today (London), due in the rest of the next 7 days; each soonest first."""
    end_of_today = _end_of_today(now)
    sections = Sections([], [], [])
    for d in sorted(found, key=lambda d: (d.due_at, d.kind, d.object_id)):
        if d.due_at <= now:
            sections.overdue.append(d)
        elif d.due_at < end_of_today:
            sections.today.append(d)
        else:
            sections.week.append(d)
    return sections


@dataclass
class Summary:
    overdue: int
    today: int
    week: int

    @property
    def total(self) -> int:
        return self.overdue + self.today + self.week


def _end_of_today(now: datetime) -> datetime:
    return clock.london_datetime(clock.to_london(now).date() + timedelta(days=1))


def _providers_of(kind: str) -> list:
    return [module for module in deadlines.providers() if kind in module.KINDS]


def _pages_in_sql(module, kind: str) -> bool:
    # Providers that cannot page a kind in SQL (a feature not yet moved over, the tests' provider) are asked the
    # ordinary question and filtered here; they stay correct, only not bounded.
    return kind in getattr(module, "PAGED_KINDS", ())


def kind_summary(kind: str, now: datetime, due_before: datetime) -> Summary:
    """Overdue, due later today and due later before `due_before`: the partnership's open deadlines of `kind`."""
    end_of_today = _end_of_today(now)
    counts = [0, 0, 0]
    for module in _providers_of(kind):
        if _pages_in_sql(module, kind):
            found = module.count_deadlines(kind, now=now, end_of_today=end_of_today, due_before=due_before)
        else:
            sections = split([d for d in module.open_deadlines(due_before=due_before) if d.kind == kind], now)
            found = (len(sections.overdue), len(sections.today), len(sections.week))
        counts = [a + b for a, b in zip(counts, found, strict=True)]
    return Summary(*counts)


def kind_deadlines(kind: str, due_before: datetime, *, limit: int, offset: int = 0) -> list[deadlines.Deadline]:
    """The partnership's open deadlines of `kind`, soonest first, rows offset to offset + limit.

    Each provider returns its first offset + limit rows in the merged order, so the merged slice is exact; a kind
    with one provider that pages in SQL is asked for exactly the page."""
    providers = _providers_of(kind)
    if len(providers) == 1 and _pages_in_sql(providers[0], kind):
        return providers[0].page_deadlines(kind, due_before=due_before, limit=limit, offset=offset)
    found: list[deadlines.Deadline] = []
    for module in providers:
        if _pages_in_sql(module, kind):
            found.extend(module.page_deadlines(kind, due_before=due_before, limit=offset + limit))
        else:
            found.extend(d for d in module.open_deadlines(due_before=due_before) if d.kind == kind)
    found.sort(key=lambda d: (d.due_at, d.kind, d.object_id))
    return found[offset:offset + limit]


def _names(owner_ids: set[int]) -> dict[int, str]:
    if not owner_ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all())


def _owned_page(owner_ids: list[int], now: datetime, horizon: datetime, raw_page, per_page: int
                ) -> tuple[Page, Summary]:
    """A page of `owner_ids`' open deadlines due before `horizon`, soonest first, and their counts: each provider
    counts in SQL and reads only the rows up to the end of the page (safeguarding/deadlines.py)."""
    end_of_today = _end_of_today(now)
    number = page_number(raw_page)
    counts, items = _owned(owner_ids, now=now, end_of_today=end_of_today, due_before=horizon,
                           limit=per_page, offset=(number - 1) * per_page)
    pages = max(1, -(-sum(counts) // per_page))
    if number > pages:
        # a page past the end (a stale link) shows the last one
        number = pages
        counts, items = _owned(owner_ids, now=now, end_of_today=end_of_today, due_before=horizon,
                               limit=per_page, offset=(number - 1) * per_page)
    summary = Summary(*counts)
    return Page(items=items, number=number, per_page=per_page, total=summary.total, more=number < pages), summary


def _owned(owner_ids: list[int], *, now: datetime, end_of_today: datetime, due_before: datetime, limit: int,
           offset: int) -> tuple[tuple[int, int, int], list[deadlines.Deadline]]:
    """(overdue, due later today, due later) of these people's open deadlines due before `due_before`, and those
    deadlines soonest first, rows offset to offset + limit: the kept rows counted and a page of them read in one
    statement (`kept_deadlines/rows.py`); a provider that keeps none (the tests' own) asked as before."""
    if not owner_ids:
        return (0, 0, 0), []
    ids = sorted(set(owner_ids))
    kept_providers = kept.kept_providers()
    others = [module for module in deadlines.providers() if module not in kept_providers]
    if not others:
        return kept.counted_page_owned(ids, now=now, end_of_today=end_of_today, due_before=due_before, limit=limit,
                                       offset=offset)
    counts = kept.count_owned(ids, now=now, end_of_today=end_of_today, due_before=due_before)
    found, first = deadlines.owned(ids, now=now, end_of_today=end_of_today, due_before=due_before,
                                   limit=offset + limit, modules=others)
    table = kept.page_owned(ids, now=now, due_before=due_before, limit=offset + limit)
    total = (counts[0] + found[0], counts[1] + found[1], counts[2] + found[2])
    return total, kept.merge(table, first)[offset:offset + limit]


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
    # Counts from SQL, rows only for what is shown: the person's most urgent, a page of the team's (each provider
    # reads up to the end of that page through its indexes), the partnership's most urgent.
    own, own_summary = _owned_page([current_user.id], now, horizon, 1, MINE_LIMIT)
    team = partnership = None
    preview: list[deadlines.Deadline] = []
    summary = None
    if current_user.role == MANAGER:
        team_ids = list(db.session.execute(
            select(User.id).where(User.line_manager_id == current_user.id, User.is_active_user.is_(True))
        ).scalars())
        team, _ = _owned_page(team_ids, now, horizon, request.args.get("page", 1), TEAM_PER_PAGE)
    if current_user.role == MASH:
        summary = kind_summary(PARTNERSHIP_KIND, now, horizon)
        preview = kind_deadlines(PARTNERSHIP_KIND, horizon, limit=PARTNERSHIP_PREVIEW) if summary.total else []
    team_items = team.items if team is not None else []
    # restricted children looked up once for all three lists, not once a list
    masked = _masked(own.items + team_items + preview)
    own_items = masked[:len(own.items)]
    team_items = masked[len(own.items):len(own.items) + len(team_items)]
    preview = masked[len(own.items) + len(team_items):]
    mine = replace(split(own_items, now), full_counts=(own_summary.overdue, own_summary.today, own_summary.week))

    owner_ids: set[int] = set()
    if team is not None:
        team.items = team_items
        owner_ids |= {d.owner_id for d in team_items if d.owner_id}
    if current_user.role == MASH:
        partnership = {"summary": summary, "items": preview}
        owner_ids |= {d.owner_id for d in preview if d.owner_id}
    return render_template("dashboard/my_work.html", mine=mine, team=team, partnership=partnership,
                           names=_names(owner_ids), kinds=deadlines.kinds(), now=now)


@bp.route("/my-work/yours")
@require("case.view")
def yours():
    """Everything of the user's that is overdue or due in the next 7 days, soonest first, a page at a time: "show
    all" from My work when there are more than it shows."""
    now = clock.now()
    page, summary = _owned_page([current_user.id], now, now + HORIZON, request.args.get("page", 1), MINE_PER_PAGE)
    page.items = _masked(page.items)
    return render_template("dashboard/yours.html", page=page, summary=summary, kinds=deadlines.kinds(), now=now)


@bp.route("/my-work/partnership")
@require("case.view")
def partnership():
    """Every discussion across the partnership waiting for its record to be circulated, soonest first, a page at a
    time: MASH staff's "show all" from My work."""
    if current_user.role != MASH:
        abort(404)
    now = clock.now()
    horizon = now + HORIZON
    summary = kind_summary(PARTNERSHIP_KIND, now, horizon)
    pages = max(1, -(-summary.total // PARTNERSHIP_PER_PAGE))
    # a page past the end shows the last one rather than asking the providers for rows that do not exist
    number = min(page_number(request.args.get("page", 1)), pages)
    items = _masked(kind_deadlines(PARTNERSHIP_KIND, horizon, limit=PARTNERSHIP_PER_PAGE,
                                   offset=(number - 1) * PARTNERSHIP_PER_PAGE)) if summary.total else []
    page = Page(items=items, number=number, per_page=PARTNERSHIP_PER_PAGE, total=summary.total,
                more=number < pages)
    return render_template("dashboard/partnership.html", page=page, summary=summary, kind=PARTNERSHIP_KIND,
                           names=_names({d.owner_id for d in items if d.owner_id}), kinds=deadlines.kinds(), now=now)
