"""My work: what is overdue, due today and due in the next 7 days, from the same deadlines the reminders chase.

A handful of queries whatever the number of deadlines: each feature's indexed deadline query for the user (and
once more for the team), one for the team's ids and one for the owners' names. MASH staff's partnership view asks
only the providers of its kind, for counts (one grouped statement) and for the rows one page shows (LIMIT/OFFSET
in the provider's query): at ten times the largest partnership that kind has thousands of open rows, and loading
every provider's deadlines for everyone to keep a few was the slowest page in the product.
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
    #: (overdue, today, week) when the lists were cut to the most urgent; None when they hold everything
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

    def first(self, limit: int) -> Sections:
        """The `limit` most urgent (overdue first), keeping the full counts for the captions."""
        if self.shown <= limit:
            return self
        overdue = self.overdue[:limit]
        today = self.today[:limit - len(overdue)]
        week = self.week[:limit - len(overdue) - len(today)]
        return Sections(overdue, today, week, self.counts)


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


def _page_of(items: list, raw_page) -> Page:
    number = page_number(raw_page)
    start = (number - 1) * TEAM_PER_PAGE
    # `more` drives the Next link (a Page counted by paginate knows it from one row more)
    return Page(items=items[start:start + TEAM_PER_PAGE], number=number, per_page=TEAM_PER_PAGE, total=len(items),
                more=start + TEAM_PER_PAGE < len(items))


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
    # A heavy user's own list is read whole (each provider's query is indexed by owner) but only the most urgent
    # are rendered: the page's size, not the person's backlog, sets what it costs to send.
    own = deadlines.open_deadlines(due_before=horizon, owner_ids=[current_user.id])
    teams: list[deadlines.Deadline] = []
    preview: list[deadlines.Deadline] = []
    summary = None
    if current_user.role == MANAGER:
        team_ids = list(db.session.execute(
            select(User.id).where(User.line_manager_id == current_user.id, User.is_active_user.is_(True))
        ).scalars())
        teams = deadlines.open_deadlines(due_before=horizon, owner_ids=team_ids) if team_ids else []
    if current_user.role == MASH:
        summary = kind_summary(PARTNERSHIP_KIND, now, horizon)
        preview = kind_deadlines(PARTNERSHIP_KIND, horizon, limit=PARTNERSHIP_PREVIEW) if summary.total else []
    # restricted children looked up once for all three lists, not once a list
    masked = _masked(own + teams + preview)
    own, teams, preview = (masked[:len(own)], masked[len(own):len(own) + len(teams)],
                           masked[len(own) + len(teams):])
    mine = split(own, now).first(MINE_LIMIT)

    team = partnership = None
    owner_ids: set[int] = set()
    if current_user.role == MANAGER:
        team = _page_of(sorted(teams, key=lambda d: (d.due_at, d.kind, d.object_id)), request.args.get("page", 1))
        owner_ids |= {d.owner_id for d in team.items if d.owner_id}
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
    found = _masked(deadlines.open_deadlines(due_before=now + HORIZON, owner_ids=[current_user.id]))
    pages = max(1, -(-len(found) // MINE_PER_PAGE))
    number = min(page_number(request.args.get("page", 1)), pages)
    start = (number - 1) * MINE_PER_PAGE
    page = Page(items=found[start:start + MINE_PER_PAGE], number=number, per_page=MINE_PER_PAGE, total=len(found),
                more=start + MINE_PER_PAGE < len(found))
    return render_template("dashboard/yours.html", page=page, summary=split(found, now).summary,
                           kinds=deadlines.kinds(), now=now)


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
