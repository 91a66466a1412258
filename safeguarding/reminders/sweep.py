"""The sweep: every feature's due deadlines -> rows in the notification outbox.

`sweep(now)` asks the features (safeguarding/deadlines.py) for open deadlines, works out which reminder levels are
true at `now` (rules.py), and inserts one row per (rule, object, level, recipient, due time) with INSERT .. ON
CONFLICT DO NOTHING. Running it twice, in two processes at once, or again after a crash inserts nothing twice and
misses nothing: the database's unique key decides, not the sweep's memory.

Its work grows with what has newly become due, never with the backlog or the size of the database:
- a regular sweep reads only a window of due times, from `window_reach` ago (the longest escalation, at least a
  week, so a deadline recorded days late is still chased at once) to the longest "due soon" lead ahead;
- a full sweep (the catch-up) walks every open deadline, oldest first, in slices of time sized to about BATCH
  deadlines each, committing each slice: it runs first of all, after an outage (the last sweep longer ago than
  MAX_GAP), when a rule has changed, and every REMINDER_CATCH_UP_MINUTES, for anything recorded more than a week
  late. Memory is bounded by one slice, whatever the backlog;
- every statement carries at most about INSERT_PARAMS bind parameters (inserts are paged, look-ups chunked; on
  PostgreSQL one array parameter per column).
"""
from __future__ import annotations

import functools
import logging
import os
import re
import socket
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import Callable

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import aliased

from .. import clock, deadlines
from ..auth.access import CASE_ROLES
from ..auth.models import Agency, Role, User
from ..extensions import db
from . import rules
from .models import PENDING, Notification, ReminderRule, SchedulerHeartbeat
from .rules import BEFORE, DIGEST, ESCALATION, RuleSettings

log = logging.getLogger("safeguarding.reminders")

KEY = ("object_type", "object_id", "rule", "level", "recipient_id", "due_key")
CHUNK = 500
HEARTBEAT_ID = 1
#: about this many deadlines per slice of a full sweep (the slice's width adapts to how dense the backlog is)
BATCH = 5000
FIRST_SLICE = timedelta(days=1)
MIN_SLICE = timedelta(minutes=10)
#: at most this many bind parameters in one statement (PostgreSQL's hard limit is 65,535)
INSERT_PARAMS = 3000
#: a regular sweep trusts the window only if the previous sweep was at most this long ago
MAX_GAP = timedelta(days=1)


class LeaseLost(RuntimeError):
    """Another scheduler holds the lease: this one stopped sweeping (what it had committed stands)."""


@dataclass
class SweepResult:
    now: datetime
    deadlines: int
    created: int
    by_level: Counter
    #: a full sweep (the catch-up of the whole backlog), or a regular one (the window of what has just become due)
    full: bool = True
    slices: int = 1

    def line(self) -> str:
        levels = ", ".join(f"{n} {level}" for level, n in sorted(self.by_level.items())) or "none"
        return (f"Sweep at {self.now.isoformat(timespec='seconds')}: {self.deadlines} open deadlines due or "
                f"overdue, {self.created} new notifications ({levels})")


def _dialect_insert(model):
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def insert_once(model, rows: list[dict], key: tuple[str, ...]) -> list:
    """Insert rows, skipping any whose key already exists; returns the ids of the rows that were new."""
    return [row[0] for row in insert_new(model, rows, key, "id")]


def insert_new(model, rows: list[dict], key: tuple[str, ...], *returning: str) -> list[tuple]:
    """Insert rows, skipping any whose key already exists; returns `returning` of each row that was new.

    One cached statement executed for many rows (SQLAlchemy batches it as multi-row INSERT .. RETURNING), rather
    than a fresh multi-VALUES statement per chunk, whose compilation alone took a second for 2,000 rows; each
    batch is sized to stay under INSERT_PARAMS bind parameters.
    """
    if not rows:
        return []
    table = model.__table__
    if db.engine.dialect.name == "postgresql" and len(rows) > 1:
        return _insert_new_unnest(table, rows, key, returning)
    stmt = (_dialect_insert(table).on_conflict_do_nothing(index_elements=key)
            .returning(*(table.c[name] for name in returning)))
    per_batch = max(1, INSERT_PARAMS // max(len(rows[0]), 1))
    connection = db.session.connection().execution_options(insertmanyvalues_page_size=per_batch)
    return [tuple(row) for row in connection.execute(stmt, rows).all()]


#: rows per INSERT .. SELECT FROM unnest(...) on PostgreSQL (one array parameter per column, whatever the rows)
UNNEST_ROWS = 5000


def _insert_new_unnest(table, rows: list[dict], key: tuple[str, ...], returning: tuple[str, ...]) -> list[tuple]:
    """PostgreSQL: each column's values as one array (INSERT .. SELECT FROM unnest(...)), so a statement has one
    bind parameter per column however many rows it carries. psycopg parses a statement's placeholders in Python
    and caches only small statements: a multi-row VALUES of 3,000 parameters cost 0.1 s to parse, every time."""
    from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    columns = list(rows[0])
    arrays = [bindparam(f"values_{n}", type_=PG_ARRAY(table.c[name].type)) for n, name in enumerate(columns)]
    unnested = func.unnest(*arrays).table_valued(*columns).render_derived()
    stmt = (pg_insert(table).from_select(columns, select(*(unnested.c[name] for name in columns)))
            .on_conflict_do_nothing(index_elements=key).returning(*(table.c[name] for name in returning)))
    connection = db.session.connection()
    found: list[tuple] = []
    for start in range(0, len(rows), UNNEST_ROWS):
        page = rows[start:start + UNNEST_ROWS]
        values = {f"values_{n}": [row[name] for row in page] for n, name in enumerate(columns)}
        found.extend(tuple(row) for row in connection.execute(stmt, values).all())
    return found


def chunks(values, size: int = CHUNK):
    """`values` (any iterable) in lists of at most `size`: for IN lists that must stay a few hundred long."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def due_key(due_at: datetime) -> str:
    return clock.ensure_utc(due_at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _existing(rows: list[dict]) -> set[tuple]:
    """Keys already in the outbox for these rows' objects: one indexed query per kind of object."""
    by_type: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        by_type[row["object_type"]].add(row["object_id"])
    found: set[tuple] = set()
    columns = [getattr(Notification, k) for k in KEY]
    for object_type, ids in by_type.items():
        if db.engine.dialect.name == "postgresql":
            # one array parameter (= ANY) per few thousand objects, rather than an IN list of one per object
            for chunk in chunks(sorted(ids), UNNEST_ROWS):
                found.update(tuple(r) for r in db.session.execute(select(*columns).where(
                    Notification.object_type == object_type,
                    Notification.object_id == any_(bindparam("ids", chunk, type_=ARRAY(Integer)))
                )).all())
            continue
        for chunk in chunks(sorted(ids)):
            found.update(tuple(r) for r in db.session.execute(select(*columns).where(
                Notification.object_type == object_type, Notification.object_id.in_(chunk))).all())
    return found


def rules_in_force(at: datetime | None = None) -> dict[str, RuleSettings]:
    """Every known kind's rule, creating the missing ones with their defaults (so admins can see them). A default
    written now was in force all along, not a change: it is stamped no later than `at` (the sweep's instant), so a
    sweep run as if at an earlier instant does not take its own defaults for a rule changed since."""
    stored = {r.kind: r.settings for r in db.session.execute(select(ReminderRule)).scalars()}
    missing = [kind for kind in deadlines.kinds() if kind not in stored]
    if missing:
        rows = []
        for kind in missing:
            d = rules.default_for(kind)
            rows.append({"kind": kind, "remind_hours_before": d.remind_hours_before, "remind_at_due": d.remind_at_due,
                         "escalate_after_working_days": d.escalate_after_working_days, "in_digest": d.in_digest,
                         "is_active": True, "updated_at": min(clock.now(), at) if at else clock.now()})
            stored[kind] = d
        insert_once(ReminderRule, rows, ("kind",))
    return stored


@dataclass(frozen=True)
class _Person:
    id: int
    active: bool
    name: str
    agency_id: int
    line_manager_id: int | None
    manager_active: bool


#: aliases built once: each `aliased()` proxies every column of its table, about a millisecond of Python a call
_MANAGER = aliased(User, name="owner_manager")
_LEAD = aliased(User, name="agency_lead")


def _people(ids: set[int]) -> dict[int, _Person]:
    """Owners and named escalation contacts with their line managers, in one query."""
    if not ids:
        return {}
    manager = _MANAGER
    rows = [row for chunk in chunks(ids) for row in db.session.execute(
        select(User.id, User.is_active_user, User.name, User.agency_id, User.line_manager_id, manager.is_active_user)
        .outerjoin(manager, manager.id == User.line_manager_id)
        .where(User.id.in_(chunk))
    ).all()]
    return {r[0]: _Person(r[0], bool(r[1]), r[2], r[3], r[4], bool(r[5])) for r in rows}


def _agency_fallbacks(agency_ids: set[int]) -> dict[int, tuple[int | None, str | None]]:
    """Each agency's active safeguarding lead and shared mailbox: where an escalation goes when there is no line
    manager to tell."""
    if not agency_ids:
        return {}
    lead = _LEAD
    rows = db.session.execute(
        select(Agency.id, lead.id, lead.is_active_user, Agency.shared_mailbox)
        .outerjoin(lead, lead.id == Agency.safeguarding_lead_id).where(Agency.id.in_(agency_ids))).all()
    return {agency_id: (lead_id if lead_active else None, mailbox or None)
            for agency_id, lead_id, lead_active, mailbox in rows}


def _agency_managers(agency_ids: set[int]) -> dict[int, list[int]]:
    """Each agency's first two active managers (longest-standing accounts first): the one fallback person for a
    reminder with nobody else to go to, and the next one when the first is the deadline's own owner."""
    if not agency_ids:
        return {}
    first = (select(User.agency_id, User.id,
                    func.row_number().over(partition_by=User.agency_id, order_by=User.id).label("place"))
             .where(User.agency_id.in_(agency_ids), User.role == Role.MANAGER.value, User.is_active_user.is_(True))
             .subquery())
    rows = db.session.execute(select(first.c.agency_id, first.c.id).where(first.c.place <= 2)
                              .order_by(first.c.agency_id, first.c.place)).all()
    result: dict[int, list[int]] = defaultdict(list)
    for agency_id, user_id in rows:
        result[agency_id].append(user_id)
    return result


class _Recipients:
    """Who hears about a deadline at each level.

    The owner is reminded; if the owner has left (inactive) or the deadline has no named owner, the reminder goes
    where an escalation would, so nothing waits on someone who will never see it. An escalation goes to the named
    escalation contact, else the owner's line manager, else the agency's safeguarding lead, else ONE other manager
    of the agency (its longest-standing active manager account), else (by email, through the outbox) the agency's
    shared mailbox. Never every manager: at a large partnership that turned each unassigned interview into
    hundreds of rows. Only when none of those exists is a reminder left unrouted, and the operations page says so.
    """

    def __init__(self, found: list[deadlines.Deadline]):
        ids = {d.owner_id for d in found if d.owner_id} | {d.escalate_to_id for d in found if d.escalate_to_id}
        self.people = _people(ids)
        need_agency = set()
        for d in found:
            if (d.team_mailbox or not self._named_escalation(d)) and d.owner_agency_id:
                need_agency.add(d.owner_agency_id)
        self.agency_managers = _agency_managers(need_agency)
        self.agency_fallbacks = _agency_fallbacks(need_agency)

    def _agency_of(self, d: deadlines.Deadline) -> int | None:
        owner = self.people.get(d.owner_id) if d.owner_id else None
        return owner.agency_id if owner else d.owner_agency_id

    def mailbox(self, d: deadlines.Deadline) -> tuple[int, str] | None:
        agency_id = self._agency_of(d)
        mailbox = self.agency_fallbacks.get(agency_id, (None, None))[1]
        return (agency_id, mailbox) if mailbox else None

    def _named_escalation(self, d: deadlines.Deadline) -> list[int]:
        if d.escalate_to_id:
            person = self.people.get(d.escalate_to_id)
            if person and person.active:
                return [person.id]
        owner = self.people.get(d.owner_id) if d.owner_id else None
        if owner and owner.line_manager_id and owner.manager_active:
            return [owner.line_manager_id]
        return []

    def escalation(self, d: deadlines.Deadline) -> list[int]:
        """The named contact, line manager or safeguarding lead, else one other manager; [] when only the agency's
        mailbox is left."""
        named = self._named_escalation(d)
        if named:
            return named
        lead = self.agency_fallbacks.get(self._agency_of(d), (None, None))[0]
        if lead and lead != d.owner_id:
            return [lead]
        fallback = next((m for m in self.agency_managers.get(self._agency_of(d), []) if m != d.owner_id), None)
        return [fallback] if fallback is not None else []

    def owner(self, d: deadlines.Deadline) -> list[int]:
        person = self.people.get(d.owner_id) if d.owner_id else None
        if person and person.active:
            return [person.id]
        return self.escalation(d)

    def name(self, user_id: int | None) -> str:
        person = self.people.get(user_id) if user_id else None
        return person.name if person else "no named owner"


#: all a reminder about a restricted child says: the person opens it, and sees it only if they are on its list
RESTRICTED_TITLE = "A restricted record needs you"


def _restricted_among(children: set[int], discussions: set[int], actions: set[int]) -> dict[str, set[int]]:
    """Which of these children are restricted, and which of these discussions (and agreed actions, by their
    discussion) are about a restricted child: one statement for the three (a few hundred ids of each at a time)."""
    ask = {"child": sorted(children), "discussion": sorted(discussions), "action": sorted(actions)}
    found: dict[str, set[int]] = {kind: set() for kind in ask}
    for start in range(0, max(len(ids) for ids in ask.values()), CHUNK):
        chunk = {kind: ids[start:start + CHUNK] for kind, ids in ask.items() if ids[start:start + CHUNK]}
        for kind, found_id in db.session.execute(_restricted_statement(tuple(chunk)),
                                                 {f"restricted_{kind}": ids for kind, ids in chunk.items()}):
            found[kind].add(found_id)
    return found


@functools.lru_cache(maxsize=8)
def _restricted_statement(kinds: tuple[str, ...]):
    """`_restricted_among`'s statement for these kinds of ids, built once (every My work asks), the ids bound."""
    from ..children.models import Child
    from ..discussions.models import AgreedAction, DiscussionChild

    def ids(kind):
        return bindparam(f"restricted_{kind}", expanding=True)

    parts = {
        "child": lambda: select(literal("child"), Child.id).where(Child.id.in_(ids("child")),
                                                                  Child.restricted.is_(True)),
        "discussion": lambda: (select(literal("discussion"), DiscussionChild.discussion_id)
                               .join(Child, Child.id == DiscussionChild.child_id)
                               .where(DiscussionChild.discussion_id.in_(ids("discussion")),
                                      Child.restricted.is_(True))),
        "action": lambda: (select(literal("action"), AgreedAction.id)
                           .join(DiscussionChild, DiscussionChild.discussion_id == AgreedAction.discussion_id)
                           .join(Child, Child.id == DiscussionChild.child_id)
                           .where(AgreedAction.id.in_(ids("action")), Child.restricted.is_(True))),
    }
    selects = [parts[kind]() for kind in kinds]
    return union_all(*selects) if len(selects) > 1 else selects[0]


def _restricted_links(urls: set[str], child_ids: set[int] = frozenset()) -> tuple[set[str], set[int]]:
    """(the in-app links among `urls` that lead to a restricted child's record or to a discussion or action about
    one, the restricted children among `child_ids`)."""
    by_discussion = {url: int(m.group(1)) for url in urls if (m := _DISCUSSION_URL.match(url))}
    by_action = {url: int(m.group(1)) for url in urls if (m := _ACTION_URL.match(url))}
    by_child = {url: int(m.group(1)) for url in urls if (m := _CHILD_URL.match(url))}
    if not (by_discussion or by_action or by_child or child_ids):
        return set(), set()
    found = _restricted_among(set(by_child.values()) | set(child_ids), set(by_discussion.values()),
                              set(by_action.values()))
    links = ({url for url, i in by_discussion.items() if i in found["discussion"]}
             | {url for url, i in by_action.items() if i in found["action"]}
             | {url for url, i in by_child.items() if i in found["child"]})
    return links, found["child"]


def restricted_urls(urls) -> set[str]:
    """The in-app links among `urls` that lead to a restricted child's record or to a discussion about one: what a
    reminder or notice about them says is only RESTRICTED_TITLE (a discussion may be about several children, so its
    link is checked against all of them)."""
    return _restricted_links(set(urls))[0]


def restricted_deadlines(found: list) -> set[tuple[str, int]]:
    """(object_type, object_id) of the deadlines about a restricted child: by their child, or by their link."""
    by_link, restricted_children = _restricted_links({d.url for d in found}, {d.child_id for d in found if d.child_id})
    return {(d.object_type, d.object_id) for d in found if d.child_id in restricted_children or d.url in by_link}


_DISCUSSION_URL = re.compile(r"^/discussions/(\d+)")
_CHILD_URL = re.compile(r"^/children/(\d+)")
_ACTION_URL = re.compile(r"^/discussions/actions/(\d+)")


def _title(d: deadlines.Deadline, level: str, recipients: _Recipients,
           restricted: set[tuple[str, int]] = frozenset()) -> str:
    if (d.object_type, d.object_id) in restricted:
        return RESTRICTED_TITLE
    if level == ESCALATION:
        text = f"Still not done ({recipients.name(d.owner_id)}): {d.title}"
    elif level == BEFORE:
        text = f"Due soon: {d.title}"
    else:
        text = f"Overdue: {d.title}"
    return text[:300]


def _to_mailboxes(mailboxed: list[tuple], send_from: datetime | None = None) -> int:
    """Reminders with no person to go to, emailed (counts and a link, no case details) to the agency's mailbox."""
    from flask import current_app

    from .outbox import email_row, enqueue_many

    base = current_app.config["BASE_URL"].rstrip("/")
    rows = []
    for d, level, agency_id, mailbox in mailboxed:
        if level == ESCALATION:
            what = "is overdue and its owner has no manager here to tell"
        elif level == BEFORE:
            what = "is due soon" + (" and nobody has been assigned" if d.team_mailbox else "")
        else:
            what = "is due now" + (" and nobody has been assigned" if d.team_mailbox else "")
        noun = rules.NOUNS.get(d.kind, ("deadline",))[0]
        rows.append(email_row(
            key=f"reminder:{d.object_type}:{d.object_id}:{level}:{due_key(d.due_at)}:{mailbox.lower()}",
            purpose=f"reminder_{level}", object_type=d.object_type, object_id=d.object_id, to_address=mailbox,
            agency_id=agency_id, subject=f"A {noun} {what}"[:200],
            body=(f"Something your agency is responsible for {what}.\n\nSign in to see it: {base}{d.url}\n\n"
                  "This email has no case details because email is not a secure channel.\n"
                  "Strategy Discussion Coordinator\n")))
    if send_from is not None:
        for row in rows:
            row["next_attempt_at"] = min(row["next_attempt_at"], send_from)
    return enqueue_many(rows)


def window_reach(in_force: dict[str, RuleSettings]) -> timedelta:
    """How far back a regular sweep reads due times: past the longest escalation (its working days as calendar
    days, with weekends and a Christmas's bank holidays), plus MAX_GAP, and at least a week."""
    days = 7
    for rule in in_force.values():
        working = rule.escalate_after_working_days
        if rule.is_active and working:
            days = max(days, working + 2 * (working // 5 + 1) + 5)
    return timedelta(days=days) + MAX_GAP


def _catch_up_due(now: datetime, beat: SchedulerHeartbeat | None, every: timedelta) -> bool:
    """A full sweep is due: never done, done longer ago than `every`, a gap (outage) longer than MAX_GAP since the
    last sweep, a sweep "as if" earlier than the last, or a rule changed since."""
    if beat is None or beat.caught_up_at is None or beat.swept_until is None:
        return True
    if now - beat.caught_up_at >= every or now - beat.swept_until > MAX_GAP or now < beat.swept_until:
        return True
    changed = db.session.execute(select(func.max(ReminderRule.updated_at))).scalar()
    # strictly after: the defaults a first sweep writes are stamped with its own instant, which is also when it
    # caught up
    return changed is not None and changed > beat.caught_up_at


@dataclass
class _Routed:
    """One slice's reminders: rows for the outbox, emails for agency mailboxes, and what has nowhere to go."""
    rows: list[dict]
    mailboxed: list[tuple]
    nobody: list[str]
    #: when its emails may go (see _route)
    send_from: datetime | None = None


def _route(found: list[deadlines.Deadline], now: datetime, in_force: dict[str, RuleSettings]) -> _Routed:
    recipients = _Recipients(found)
    restricted = restricted_deadlines(found)
    routed = _Routed([], [], [])
    # Send as soon as a deliverer runs, even for a sweep run by hand "as if" at a later instant; and for one run as
    # if at an earlier instant (a test's pinned moment, a replay), from that instant, or a deliverer run at it would
    # find nothing due.
    send_from = routed.send_from = min(clock.now(), now)
    for d in found:
        rule = in_force.get(d.kind) or rules.default_for(d.kind)
        for level in rules.levels_true_at(clock.ensure_utc(d.due_at), rule, now):
            team = recipients.mailbox(d) if d.team_mailbox and level != ESCALATION else None
            if team is not None:
                routed.mailboxed.append((d, level, *team))  # once for the team (the outbox key drops the repeats)
                continue
            targets = recipients.escalation(d) if level == ESCALATION else recipients.owner(d)
            if not targets:
                mailbox = recipients.mailbox(d)
                if mailbox is not None:
                    routed.mailboxed.append((d, level, *mailbox))
                else:
                    routed.nobody.append(f"{d.object_type}:{d.object_id}/{level}")
            for recipient_id in dict.fromkeys(targets):
                routed.rows.append({
                    "rule": d.kind, "object_type": d.object_type, "object_id": d.object_id, "level": level,
                    "recipient_id": recipient_id, "due_key": due_key(d.due_at), "kind": d.kind,
                    "title": _title(d, level, recipients, restricted),
                    "url": d.url[:300], "due_at": d.due_at, "owner_id": d.owner_id, "created_at": now,
                    "email_state": PENDING, "attempts": 0, "next_attempt_at": send_from,
                })
    return routed


def _write(routed: _Routed) -> Counter:
    """The slice's new notifications, counted by level from what the insert returned."""
    # Most of what a sweep finds was written by an earlier one: skip those cheaply; the unique key still decides
    # for anything written in between (another sweep running at the same moment).
    existing = _existing(routed.rows) if routed.rows else set()
    rows = [r for r in routed.rows if tuple(r[k] for k in KEY) not in existing]
    by_level = Counter(level for (level,) in insert_new(Notification, rows, KEY, "level"))
    by_level["_mailbox"] = _to_mailboxes(routed.mailboxed, routed.send_from)
    return by_level


def deadline_slices(now: datetime, start: datetime | None, until: datetime, width: timedelta | None = None):
    """Every open deadline due from `start` (None: the beginning) to `until`, as lists of about BATCH: slices of
    due time, `width` wide at first (None: all of it at once), then narrower after a dense slice and wider after a
    sparse one, so memory holds one slice whatever the backlog. The caller may commit between slices."""
    width = width or (until - start if start is not None else None)
    while True:
        end = until if start is None else min(start + width, until)
        # Providers whose clocks depend on what has already happened (a meeting held, a checkpoint passed) read
        # clock.now(): a sweep run "as if" at a later instant must show them that instant too.
        with clock.as_if(now):
            found = deadlines.open_deadlines(due_from=start, due_before=end)
        yield found
        if start is None or end >= until:
            return
        if len(found) > BATCH:
            width = max(width / 2, MIN_SLICE)
        elif len(found) < BATCH // 4:
            width = width * 2
        start = end


def sweep(now: datetime | None = None, *, keep_lease: Callable[[], bool] | None = None,
          full: bool | None = None) -> SweepResult:
    """Write a notification for every reminder whose condition is true at `now` and not yet written.

    `keep_lease`, when given, is asked inside each slice's transaction just before it commits (the scheduler's
    lease, renewed in that same transaction): when it says no, the slice is rolled back and LeaseLost raised, so
    a scheduler that has lost its lease never commits a sweep beside the one that took over.
    `full` forces (True) or forbids (False) the catch-up; by default the sweep decides (`_catch_up_due`).
    """
    from flask import current_app

    now = clock.ensure_utc(now or clock.now())
    in_force = rules_in_force(now)
    lead_hours = max([r.remind_hours_before or 0 for r in in_force.values() if r.is_active] + [0])
    # Due before now + lead (inclusive of the boundary second): everything overdue, and all "due soon" candidates.
    until = now + timedelta(hours=lead_hours, seconds=1)
    beat = db.session.get(SchedulerHeartbeat, HEARTBEAT_ID)
    every = timedelta(minutes=current_app.config.get("REMINDER_CATCH_UP_MINUTES", 60))
    if full is None:
        full = _catch_up_due(now, beat, every)
    with clock.as_if(now):
        start = deadlines.earliest_due(due_before=until) if full else now - window_reach(in_force)
    total, created, slices, nobody, unrouted = 0, 0, 0, 0, []
    by_level: Counter = Counter()
    for found in deadline_slices(now, start, until, FIRST_SLICE if full else None):
        routed = _route(found, now, in_force)
        counted = _write(routed)
        created += sum(counted.values())
        del counted["_mailbox"]
        by_level.update(counted)
        total, slices = total + len(found), slices + 1
        nobody += len(routed.nobody)
        unrouted = (unrouted + routed.nobody)[:20]
        if keep_lease is not None and not keep_lease():
            db.session.rollback()
            raise LeaseLost(f"the scheduler lease was lost after {slices - 1} slices of this sweep")
        db.session.commit()
    if nobody:
        # e.g. a manager's own overdue action in an agency with no lead, other manager or mailbox
        log.warning("reminders: %d reminders have nobody to go to (no line manager, safeguarding lead, other "
                    "manager or shared mailbox): %s", nobody, ", ".join(unrouted))
    result = SweepResult(now, total, created, +by_level, full=full, slices=slices)
    marks = {"swept_until": now, "caught_up_at": now} if full else {"swept_until": max(now, beat.swept_until)}
    # a regular sweep sees only its window, so the count of unrouted reminders admins see is the full sweep's
    routing = {"unrouted_count": nobody, "unrouted_sample": ", ".join(unrouted) or None} if full else {}
    touch(last_sweep_at=clock.now(), last_sweep_result=result.line()[:300], **marks, **routing)
    if keep_lease is not None and not keep_lease():
        db.session.rollback()
        raise LeaseLost("the scheduler lease was lost at the end of this sweep")
    db.session.commit()
    log.info("reminders sweep now=%s full=%s slices=%d deadlines=%d created=%d", now.isoformat(), full, slices,
             total, created)
    return result


def digest(now: datetime | None = None, hour: int = 8) -> int:
    """Write each person's daily summary for today (London), once; nothing at weekends or on bank holidays."""
    now = clock.ensure_utc(now or clock.now())
    day = rules.digest_day(now, hour)
    if day is None:
        return 0
    in_force = rules_in_force(now)
    end_of_today = clock.london_datetime(day + timedelta(days=1))
    week = now + timedelta(days=7)
    counts: dict[int, Counter] = defaultdict(Counter)
    with clock.as_if(now):
        start = deadlines.earliest_due(due_before=week)
    # the whole backlog counts, read a slice at a time so memory holds one slice, not every open deadline
    # a team's deadline with nobody named (an interview to allocate) counts for each of the agency's managers, as
    # it shows on their My work: counted once per agency here, added to each manager below
    teams: dict[int, Counter] = defaultdict(Counter)
    for found in deadline_slices(now, start, week, FIRST_SLICE):
        found = [d for d in found if (in_force.get(d.kind) or rules.default_for(d.kind)).in_digest]
        people = _people({d.owner_id for d in found if d.owner_id})
        for d in found:
            bucket = "overdue" if d.due_at <= now else "today" if d.due_at < end_of_today else "week"
            if not d.owner_id:
                if d.team_mailbox and d.owner_agency_id:
                    teams[d.owner_agency_id][bucket] += 1
                continue
            counts[d.owner_id][bucket] += 1
            person = people.get(d.owner_id)
            if bucket == "overdue" and person and person.line_manager_id and person.manager_active:
                counts[person.line_manager_id]["team_overdue"] += 1
    if teams:
        for agency_id, user_id in db.session.execute(
                select(User.agency_id, User.id).where(User.agency_id.in_(teams), User.role == Role.MANAGER.value,
                                                      User.is_active_user.is_(True))):
            counts[user_id].update(teams[agency_id])
    active = {user_id for chunk in chunks(counts) for user_id in db.session.execute(
        select(User.id).where(User.id.in_(chunk), User.is_active_user.is_(True), User.role.in_(CASE_ROLES))
    ).scalars()}
    stamp = int(day.strftime("%Y%m%d"))
    rows = []
    for user_id, c in counts.items():
        if user_id not in active:
            continue
        rows.append({
            "rule": DIGEST, "object_type": "day", "object_id": stamp, "level": DIGEST, "recipient_id": user_id,
            "due_key": "",
            "kind": DIGEST, "title": digest_summary(c), "url": "/my-work", "due_at": None, "owner_id": None,
            "created_at": now, "email_state": PENDING, "attempts": 0,
            "next_attempt_at": min(clock.now(), now),
        })
    created = len(insert_once(Notification, rows, KEY))
    touch(last_digest_at=clock.now())
    db.session.commit()
    log.info("reminders digest day=%s people=%d created=%d", day.isoformat(), len(rows), created)
    return created


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def digest_summary(c: Counter) -> str:
    """Counts only ("2 overdue, 1 due today"): safe for email, which is not a secure channel."""
    parts = []
    if c["overdue"]:
        parts.append(f"{c['overdue']} overdue")
    if c["today"]:
        parts.append(f"{c['today']} due today")
    if c["week"]:
        parts.append(f"{c['week']} due in the next 7 days")
    text = "Your work: " + (", ".join(parts) if parts else "nothing due")
    if c["team_overdue"]:
        text += f"; your team: {c['team_overdue']} overdue"
    return text


def touch(**fields) -> None:
    """Update the heartbeat row (created on first use) in the caller's transaction."""
    insert_once(SchedulerHeartbeat, [{"id": HEARTBEAT_ID}], ("id",))
    db.session.execute(update(SchedulerHeartbeat).where(SchedulerHeartbeat.id == HEARTBEAT_ID).values(**fields))


def record_error(job: str, err: BaseException) -> None:
    """Keep the last failure where admins see it; identifiers only, never case content."""
    db.session.rollback()
    touch(last_error_at=clock.now(), last_error=f"{job}: {type(err).__name__}: {err}"[:2000])
    db.session.commit()


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
