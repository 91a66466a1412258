"""A synthetic partnership for measuring pages and the sweep at a real partnership's size (`flask seed-synthetic`).

Scale 1 is about the largest English partnership: 25,000 strategy discussions over two years (with their
children, invitations, what each agency shared, decisions, minutes), 100,000 agreed actions, 10,000 missing
episodes with their return home interviews, a few hundred professional differences, notifications and audit
events in proportion. Most of the history is closed; a few items are open and overdue. One MASH social worker
chairs a fifth of the discussions and one police officer is the heavy practitioner.

Rows go in with Core `insert()` executemany in chunks (no ORM objects), so scale 1 takes a few minutes.
Everyone is in the `synthetic.example` domain; a few of them (the same roles as the demo's, `SIGN_IN`) can sign in
with the demo password; the rest cannot sign in at all.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from .auth.models import Agency, User
from .extensions import db

DOMAIN = "synthetic.example"
#: rows at scale 1
BASE = {"discussions": 25_000, "children": 20_000, "missing": 10_000, "differences": 250}
AGREED_ACTIONS_PER_DISCUSSION = 4
NOTIFICATIONS_PER_DISCUSSION = 2
AUDIT_VIEWS_PER_DISCUSSION = 6
CHUNK = 5_000
HISTORY_DAYS = 730
#: (email, agency key, role, job title): the people the benchmark signs in as, one per demo role
SIGN_IN = [
    (f"admin@{DOMAIN}", "csc", "admin", "System administrator"),
    (f"mash@{DOMAIN}", "csc", "mash", "MASH social worker"),
    (f"csc.manager@{DOMAIN}", "csc", "manager", "MASH team manager"),
    (f"social.worker@{DOMAIN}", "csc", "practitioner", "Social worker"),
    (f"police@{DOMAIN}", "police", "practitioner", "Detective constable"),
    (f"police.manager@{DOMAIN}", "police", "manager", "Detective inspector"),
    (f"health@{DOMAIN}", "health", "practitioner", "Health visitor"),
    (f"school@{DOMAIN}", "education", "practitioner", "Designated safeguarding lead"),
]
#: agency key -> (kind, name, share of the children it records, staff per scale: managers, practitioners)
AGENCIES = {
    "csc": ("childrens_social_care", "Synthshire Children's Social Care", 0.5, (8, 60)),
    "police": ("police", "Synthshire Police", 0.25, (6, 50)),
    "health": ("health", "Synthshire NHS", 0.15, (5, 40)),
    "education": ("education", "Synthshire Schools", 0.10, (5, 60)),
}
MASH_STAFF = 12
_FIRST = ["Amelia", "Noah", "Olivia", "Leo", "Isla", "Oliver", "Ava", "Arthur", "Freya", "Muhammad", "Ivy",
          "George", "Lily", "Theo", "Florence", "Harry", "Mia", "Jack", "Sophia", "Alfie", "Grace", "Finley"]
_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
         "Robinson", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Khan", "Clarke"]


class RealDataPresent(Exception):
    """The database holds people who are neither synthetic nor the demo's."""


def counts(scale: float) -> dict[str, int]:
    return {key: max(1, round(value * scale)) for key, value in BASE.items()}


def refuse_real_data() -> None:
    """Raise ValueError if synthetic data is already loaded, RealDataPresent if any user is neither synthetic nor
    a demo user (their data would be mixed with ours)."""
    from .demo import USERS

    if db.session.execute(select(User.id).where(User.email.endswith("@" + DOMAIN)).limit(1)).first():
        raise ValueError("Synthetic data is already loaded: start from an empty database to load it again")
    demo = {email for _, email, *_ in USERS}
    emails = db.session.execute(select(User.email)).scalars()
    real = [e for e in emails if not e.endswith("@" + DOMAIN) and e not in demo]
    if real:
        raise RealDataPresent(f"{len(real)} users are neither synthetic nor the demo's")

@dataclass
class _Load:
    """Inserts in chunks, reporting progress in rows; hands back the new rows' ids in insertion order."""

    progress: Callable[[int], None]
    #: how far back the history goes
    days: float = HISTORY_DAYS
    inserted: dict[str, int] = field(default_factory=dict)

    def insert(self, model, rows: list[dict]) -> list[int]:
        before = db.session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one() \
            if hasattr(model, "id") else 0
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            db.session.execute(insert(model), chunk)
            self.progress(len(chunk))
        self.inserted[model.__tablename__] = self.inserted.get(model.__tablename__, 0) + len(rows)
        if not hasattr(model, "id"):
            return []
        return list(db.session.execute(select(model.id).where(model.id > before).order_by(model.id)).scalars())


def estimated_rows(scale: float) -> int:
    n = counts(scale)
    # 8: the information shared (ten prompts when all four agencies are invited, nine in ten of the agencies there,
    # nine in ten of their prompts answered)
    per_discussion = 1.25 * 2 + 3.5 + 8 + 2 + AGREED_ACTIONS_PER_DISCUSSION + NOTIFICATIONS_PER_DISCUSSION \
        + 2 * (1 + AUDIT_VIEWS_PER_DISCUSSION) + 1
    # children with their adversity reports; episodes with their interviews and offers
    return int(1.1 * n["children"] + n["discussions"] * per_discussion + 3 * n["missing"] + 2 * n["differences"])


def generate(scale: float, now: datetime, password_hash: str, progress: Callable[[int], None] = lambda n: None,
             seed: int = 14, history_days: float = HISTORY_DAYS) -> dict[str, int]:
    """Load the synthetic partnership into the current database session and commit; returns rows per table.
    `history_days`: shorter for a small partnership that should still have work open and due (tests)."""
    # Made-up test data, reproducible from its seed; nothing secret (bandit B311)
    rng = random.Random(seed)  # nosec B311
    load = _Load(progress, history_days)
    n = counts(scale)
    staff = _people(scale, password_hash, rng)
    load.inserted["user_account"] = sum(len(v) for v in staff.values())
    children = _children(load, n["children"], staff, now, rng)
    discussions = _discussions(load, n["discussions"], children, staff, now, rng)
    _missing(load, n["missing"], children, staff, now, rng)
    _differences(load, n["differences"], discussions, staff, now, rng)
    from .children import links

    # bulk inserts bypass the ORM, whose flushes keep each child's links as its records change
    load.inserted["child_link"] = links.rebuild_all(db.session.connection())
    from .kept_deadlines import rows as kept

    # and the open deadlines kept for My work
    load.inserted["open_deadline"] = kept.rebuild_all(db.session)
    db.session.commit()
    from .reports import summaries

    # the reports' summaries, as the scheduler's nightly job would leave them: the reports show figures at once
    load.inserted["report_day_count"] = summaries.refresh_all(now).rows
    if db.engine.dialect.name == "postgresql":
        # planner statistics as autovacuum would have them on a live database: straight after a bulk load they say
        # the tables are empty, and the plans mislead
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return load.inserted


# --- People ------------------------------------------------------------------------------------------------------


def _people(scale: float, password_hash: str, rng: random.Random) -> dict[str, list[User]]:
    """Agencies and staff: managers and practitioners in each agency (each practitioner line-managed), MASH staff
    in children's social care, and the SIGN_IN people; the few users are ORM objects (ids are needed at once)."""
    agencies = {}
    for key, (kind, name, _, _) in AGENCIES.items():
        agencies[key] = Agency(name=name, kind=kind, shared_mailbox=f"{key}@{DOMAIN}")
    db.session.add_all(agencies.values())
    db.session.flush()
    cannot_sign_in = "!synthetic"
    staff: dict[str, list[User]] = {"agencies": list(agencies.values()), "mash": []}
    sign_in = {}
    for email, key, role, title in SIGN_IN:
        sign_in[email] = User(name=_name(rng) + " (synthetic)", email=email, agency_id=agencies[key].id, role=role,
                              job_title=title, password_hash=password_hash)
    db.session.add_all(sign_in.values())
    db.session.flush()
    for key, (_, _, _, (managers, practitioners)) in AGENCIES.items():
        bosses = [sign_in[f"{key}.manager@{DOMAIN}"]] if f"{key}.manager@{DOMAIN}" in sign_in else []
        bosses += [User(name=_name(rng), email=f"{key}.manager{i}@{DOMAIN}", agency_id=agencies[key].id,
                        role="manager", job_title="Team manager", password_hash=cannot_sign_in)
                   for i in range(max(2, round(managers * scale)) - len(bosses))]
        db.session.add_all(bosses)
        db.session.flush()
        workers = [u for u in sign_in.values() if u.agency_id == agencies[key].id and u.role == "practitioner"]
        for worker in workers:
            worker.line_manager_id = bosses[0].id
        workers += [User(name=_name(rng), email=f"{key}.worker{i}@{DOMAIN}", agency_id=agencies[key].id,
                         role="practitioner", job_title="Practitioner", password_hash=cannot_sign_in,
                         line_manager_id=bosses[i % len(bosses)].id)
                    for i in range(max(4, round(practitioners * scale)) - len(workers))]
        db.session.add_all(workers)
        staff[key] = bosses + workers
        staff[f"{key}.managers"] = bosses
        staff[f"{key}.workers"] = workers
    staff["mash"] = [sign_in[f"mash@{DOMAIN}"]] + [
        User(name=_name(rng), email=f"mash{i}@{DOMAIN}", agency_id=agencies["csc"].id, role="mash",
             job_title="MASH social worker", password_hash=cannot_sign_in,
             line_manager_id=sign_in[f"csc.manager@{DOMAIN}"].id)
        for i in range(max(4, round(MASH_STAFF * scale)) - 1)]
    sign_in[f"mash@{DOMAIN}"].line_manager_id = sign_in[f"csc.manager@{DOMAIN}"].id
    db.session.add_all(staff["mash"])
    db.session.flush()
    staff["sign_in"] = list(sign_in.values())
    return staff


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _agency_key(staff, agency_id: int) -> str:
    return next(key for key in AGENCIES if staff[key][0].agency_id == agency_id)


def _when(now: datetime, rng: random.Random, days: float) -> datetime:
    """A moment in the last `days`, more of them recent (a partnership's work grows)."""
    return now - timedelta(days=days * rng.random() ** 1.2)


# --- Children ----------------------------------------------------------------------------------------------------


def _children(load: _Load, count: int, staff, now: datetime, rng: random.Random) -> list[int]:
    from .children.models import Child, ChildAccess

    keys = list(AGENCIES)
    shares = [AGENCIES[k][2] for k in keys]
    rows = []
    for i in range(count):
        key = rng.choices(keys, shares)[0]
        recorder = rng.choice(staff[key])
        rows.append(dict(first_name=rng.choice(_FIRST), last_name=f"{rng.choice(_LAST)}-{i}",
                         gender=rng.choice(["female", "male"]),
                         date_of_birth=date(now.year - 17, 1, 1) + timedelta(days=rng.randrange(17 * 365)),
                         la_reference=f"SYN{i:07d}", address=f"{i % 300} Synthetic Road",
                         created_at=_when(now, rng, load.days), created_by_id=recorder.id,
                         created_by_agency_id=recorder.agency_id,
                         # one child in two hundred is restricted, seen by its named workers only
                         restricted=i % 200 == 7))
    ids = load.insert(Child, rows)
    restricted = [child_id for child_id, row in zip(ids, rows, strict=True) if row["restricted"]]
    load.insert(ChildAccess, [dict(child_id=child_id, user_id=rng.choice(staff["csc"]).id)
                              for child_id in restricted])
    _adversities(load, ids, rows, staff, now, rng)
    return ids


def _adversities(load: _Load, ids: list[int], rows: list[dict], staff, now: datetime, rng: random.Random) -> None:
    """Family adversity reports: one child in twelve has one or two, from whichever agencies know the family; the
    child in most discussions has more the bigger the partnership (up to 12, each from someone else: each report
    names its author on the child's page)."""
    from .children.models import Adversity, FamilyAdversity

    rng = random.Random(f"adversities-{len(ids)}")  # nosec B311 - a stream of its own: the rest stays as it was
    kinds = [a.value for a in Adversity]
    everyone = [person for key in AGENCIES for person in staff[key]]
    reports = []
    for n, (child_id, row) in enumerate(zip(ids, rows, strict=True)):
        reporters = (rng.sample(everyone, min(12, 1 + len(ids) // 100, len(everyone))) if n == 0
                     else [rng.choice(staff[rng.choice(list(AGENCIES))]) for _ in range(1 + (rng.random() < 0.3))]
                     if rng.random() < 1 / 12 else [])
        for person in reporters:
            reports.append(dict(child_id=child_id, adversity=rng.choice(kinds), note="Synthetic report",
                                recorded_at=row["created_at"] + (now - row["created_at"]) * rng.random(),
                                recorded_by_id=person.id, recorded_by_agency_id=person.agency_id))
    load.insert(FamilyAdversity, reports)


# --- Strategy discussions ----------------------------------------------------------------------------------------


@dataclass
class _Discussion:
    id: int
    held: datetime
    chair_id: int
    children: list[int]


def _discussions(load: _Load, count: int, children: list[int], staff, now: datetime,
                 rng: random.Random) -> list[_Discussion]:
    from .discussions.models import DiscussionChild, MinutesCirculation, MinutesVersion, StrategyDiscussion
    from .discussions.thresholds import OUTCOMES

    mash = staff["mash"]
    heavy = mash[0]
    rows, plans = [], []
    for i in range(count):
        held = now - timedelta(days=load.days * (count - i) / count) + timedelta(hours=rng.uniform(-4, 4))
        age = now - held
        # the last few days: some still to meet or to decide; before that, decided with minutes circulated
        # (a backlog of older ones whose minutes nobody circulated)
        status = "decided"
        if age < timedelta(days=3):
            status = rng.choices(["draft", "convened", "decided"], [0.05, 0.35, 0.6])[0]
        circulated = status == "decided" and (age > timedelta(days=7) and rng.random() > 0.01
                                              or age > timedelta(days=2) and rng.random() < 0.7)
        chair = heavy if rng.random() < 0.2 else rng.choice(mash)
        siblings = 1 + (rng.random() < 0.2) + (rng.random() < 0.05)
        # reviews and repeat referrals: a child in several discussions, one child in dozens
        picked = [children[0]] if i % max(1, count // 40) == 0 else []
        picked += rng.sample(children, min(len(children), siblings))
        plans.append((held, chair.id, list(dict.fromkeys(picked))[:siblings], status))
        rows.append(dict(status=status, kind="review" if rng.random() < 0.15 else "initial",
                         urgency="urgent" if rng.random() < 0.1 else "standard",
                         convene_decided_at=held - timedelta(hours=6), scheduled_at=held,
                         ended_at=held + timedelta(minutes=45) if status == "decided" else None,
                         decided_at=held + timedelta(minutes=45) if status == "decided" else None,
                         mode=rng.choice(["phone", "meeting", "video"]), chair_id=chair.id,
                         created_by_id=chair.id, referral_source="School",
                         referral_received_on=_referral_received_on(held),
                         reason="Synthetic concern about the child's safety at home",
                         harm_category=rng.choice(["physical", "sexual", "emotional", "neglect", "exploitation",
                                                   "domestic_abuse"]),
                         minutes_status="circulated" if circulated else "draft",
                         circulation_due_at=held + timedelta(days=1),
                         circulated_at=held + timedelta(hours=20) if circulated else None,
                         created_at=held - timedelta(hours=6)))
    ids = load.insert(StrategyDiscussion, rows)
    discussions = [_Discussion(sd, held, chair, kids) for sd, (held, chair, kids, _) in zip(ids, plans, strict=True)]
    status_of = {sd: plan[3] for sd, plan in zip(ids, plans, strict=True)}
    load.insert(DiscussionChild, [dict(discussion_id=d.id, child_id=c) for d in discussions for c in d.children])
    came = _invitations(load, discussions, staff, rng)
    _information(load, came, rng)
    decided = [d for d in discussions if status_of[d.id] == "decided"]
    _decisions(load, decided, list(OUTCOMES), now, rng)
    _agreed_actions(load, decided, staff, now, rng)
    circulated = [d for d, row in zip(discussions, rows, strict=True) if row["minutes_status"] == "circulated"]
    versions = load.insert(MinutesVersion, [
        dict(discussion_id=d.id, number=1, text="Synthetic minutes: who attended, what was shared, what was decided.",
             created_at=d.held, created_by_id=d.chair_id, updated_at=d.held, updated_by_id=d.chair_id,
             agreed_at=d.held + timedelta(hours=18), agreed_by_id=d.chair_id) for d in circulated])
    load.insert(MinutesCirculation, [
        dict(discussion_id=d.id, version_id=v, circulated_at=d.held + timedelta(hours=20),
             circulated_by_id=d.chair_id, recipients="Every agency invited")
        for d, v in zip(circulated, versions, strict=True)])
    _notifications_and_audit(load, discussions, staff, now, rng)
    return discussions


def _invitations(load: _Load, discussions: list[_Discussion], staff, rng: random.Random) -> list[tuple]:
    """Returns (discussion, agency key, person) for each agency that attended or sent information."""
    from .discussions.models import Invitation

    answers = ["attended"] * 8 + ["apologies", "information_sent"]
    rows, came = [], []
    for d in discussions:
        for key in ("csc", "police", "health", "education"):
            if key == "education" and rng.random() < 0.5:
                continue
            person = rng.choice(staff[key])
            status = rng.choice(answers)
            rows.append(dict(discussion_id=d.id, agency_id=person.agency_id, user_id=person.id,
                             person_name=person.name, role=person.job_title, status=status, recorded_at=d.held))
            if status != "apologies":
                came.append((d, key, person))
    load.insert(Invitation, rows)
    return came


def _information(load: _Load, came: list[tuple], rng: random.Random) -> None:
    """What each agency there shared, prompt by prompt: mostly something, sometimes "checked: nothing held",
    now and then a prompt nobody answered (the gap the page shows). A real discussion's page carries this."""
    from .discussions.models import INFORMATION_PROMPTS, InformationShared

    rows = []
    for d, key, person in came:
        for topic, _label in INFORMATION_PROMPTS[AGENCIES[key][0]]:
            roll = rng.random()
            if roll < 0.1:
                continue
            held = roll >= 0.3
            rows.append(dict(discussion_id=d.id, agency_id=person.agency_id,
                             # now and then about one of the children rather than all of them
                             child_id=d.children[0] if held and len(d.children) > 1 and roll > 0.9 else None,
                             topic=topic, shared_by=person.name, recorded_at=d.held, recorded_by_id=d.chair_id,
                             nothing_held=not held,
                             text=f"Synthetic {topic.replace('_', ' ')}: what the agency's records show."
                             if held else "",
                             lawful_basis=("criminal_offence" if key == "police" else "safeguarding")
                             if held else None))
    load.insert(InformationShared, rows)


def _referral_received_on(held: datetime) -> date:
    return (held - timedelta(days=1)).date()


def _decisions(load: _Load, decided: list[_Discussion], outcomes: list[str], now: datetime,
               rng: random.Random) -> None:
    from .discussions.models import ThresholdDecision

    rows = [dict(discussion_id=d.id, child_id=c, outcome=rng.choice(outcomes), rationale="Synthetic rationale",
                 abe_planned="no", intermediary_considered="no", medical_examination="no", legal_action="none",
                 family_told="told", decided_at=d.held + timedelta(minutes=45), decided_by_id=d.chair_id,
                 # assessments of old referrals were completed long ago
                 assessment_completed_at=d.held + timedelta(days=30) if d.held < now - timedelta(days=40) else None,
                 agencies_absent="Police" if rng.random() < 0.05 else "", assessment_due_at=None)
            for d in decided for c in d.children]
    _assessment_due_times(rows, [_referral_received_on(d.held) for d in decided for _ in d.children])
    load.insert(ThresholdDecision, rows)
    _flag_agency_gaps(rows)


def _flag_agency_gaps(rows: list[dict]) -> None:
    """What `record_decision` sets on a discussion with a decision made while a minimum agency was absent."""
    from .discussions.models import StrategyDiscussion

    gaps = sorted({row["discussion_id"] for row in rows if row["agencies_absent"]})
    for start in range(0, len(gaps), 5000):
        db.session.execute(update(StrategyDiscussion).where(StrategyDiscussion.id.in_(gaps[start:start + 5000]))
                           .values(has_agency_gap=True))


def _assessment_due_times(rows: list[dict], referrals: list[date]) -> None:
    """Each referral's assessment clock on the decision the services would put it on (rows are inserted in order,
    so a row's place stands for its id)."""
    from .discussions import thresholds

    about: dict[tuple[int, date], list[thresholds.ReferralDecision]] = {}
    for place, (row, referral) in enumerate(zip(rows, referrals, strict=True)):
        about.setdefault((row["child_id"], referral), []).append(thresholds.ReferralDecision(
            place, row["outcome"], row["decided_at"], row["assessment_completed_at"] is not None))
    for (_, referral), decisions in about.items():
        holder = thresholds.assessment_clock_holder(decisions)
        if holder is not None:
            rows[holder]["assessment_due_at"] = thresholds.assessment_due_at(referral)


def _agreed_actions(load: _Load, decided: list[_Discussion], staff, now: datetime, rng: random.Random) -> None:
    """Four actions a discussion: the old ones done (a few cancelled, a very few never closed), last month's mostly
    done and some overdue, the coming ones mostly open. The heavy police officer owns a share of them."""
    from .discussions.models import AgreedAction

    heavy = next(u for u in staff["police.workers"] if u.email == f"police@{DOMAIN}")
    owners = staff["csc"] + staff["police"] + staff["health"] + staff["education"]
    rows = []
    for d in decided:
        for _ in range(AGREED_ACTIONS_PER_DISCUSSION):
            owner = heavy if rng.random() < 0.03 else rng.choice(owners)
            due = d.held + timedelta(days=rng.uniform(1, 20))
            if due < now - timedelta(days=30):
                status = rng.choices(["done", "cancelled", "open"], [0.985, 0.01, 0.005])[0]
            elif due < now:
                status = "done" if rng.random() < 0.85 else "open"
            else:
                status = "done" if rng.random() < 0.2 else "open"
            rows.append(dict(discussion_id=d.id, child_id=d.children[0], description="Synthetic agreed action",
                             owner_id=owner.id, owner_agency_id=owner.agency_id, due_at=due, status=status,
                             cancel_reason="No longer needed" if status == "cancelled" else "",
                             completed_at=due if status == "done" else None,
                             completed_by_id=owner.id if status == "done" else None,
                             created_at=d.held, created_by_id=d.chair_id))
    load.insert(AgreedAction, rows)


def _notifications_and_audit(load: _Load, discussions: list[_Discussion], staff, now: datetime,
                             rng: random.Random) -> None:
    from .audit.models import AuditEvent, AuditEventChild
    from .reminders.models import Notification
    from .reminders.rules import LEVELS

    people = staff["csc"] + staff["police"] + staff["health"] + staff["education"] + staff["mash"]
    heavy = staff["mash"][0]
    load.insert(Notification, [
        dict(rule="agreed_action", object_type="strategy_discussion", object_id=d.id, level=LEVELS[k % len(LEVELS)],
             due_key=str(k), recipient_id=heavy.id if rng.random() < 0.05 else rng.choice(people).id,
             kind="agreed_action", title="An agreed action is due", url=f"/discussions/{d.id}", due_at=d.held,
             created_at=d.held, email_state="sent", sent_at=d.held,
             acknowledged_at=d.held + timedelta(days=1) if d.held < now - timedelta(days=14) else None)
        for d in discussions for k in range(NOTIFICATIONS_PER_DISCUSSION)])
    rows, about = [], []
    for d in discussions:
        for k in range(AUDIT_VIEWS_PER_DISCUSSION + 1):
            viewer = d.chair_id if k == 0 else rng.choice(people).id
            rows.append(dict(occurred_at=d.held + timedelta(minutes=k), user_id=viewer,
                             action="view" if k else "create", object_type="strategy_discussion", object_id=d.id))
            about.append(d.children[0])
    ids = load.insert(AuditEvent, rows)
    load.insert(AuditEventChild, [dict(event_id=e, child_id=c) for e, c in zip(ids, about, strict=True)])


# --- Missing children --------------------------------------------------------------------------------------------


def _missing(load: _Load, count: int, children: list[int], staff, now: datetime, rng: random.Random) -> None:
    """Episodes recorded by the police (the heavy officer records a fifth), each with a return home interview
    offered by children's social care: done in time for most, a few open and overdue, one child missing often."""
    from .missing.models import MissingEpisode, ReturnInterview, RhiOffer

    officers = staff["police.workers"]
    heavy = next(u for u in officers if u.email == f"police@{DOMAIN}")
    frequent = children[1:1 + max(1, len(children) // 200)]  # children missing again and again
    rows = []
    for _ in range(count):
        at = _when(now, rng, load.days)
        officer = heavy if rng.random() < 0.2 else rng.choice(officers)
        still_missing = at > now - timedelta(days=2) and rng.random() < 0.3
        rows.append(dict(child_id=rng.choice(frequent) if rng.random() < 0.3 else rng.choice(children),
                         reported_missing_at=at, missing_from=rng.choice(["home", "foster_care", "childrens_home"]),
                         risk_level=rng.choices(["high", "medium", "low"], [0.1, 0.6, 0.3])[0],
                         returned_at=None if still_missing else at + timedelta(hours=rng.uniform(2, 48)),
                         recorded_by_id=officer.id, recorded_by_agency_id=officer.agency_id, created_at=at))
    ids = load.insert(MissingEpisode, rows)
    la = staff["csc"][0].agency_id
    workers = staff["csc.workers"]
    interviews = []
    for episode_id, row in zip(ids, rows, strict=True):
        back = row["returned_at"]
        if back is None:
            continue
        due = back + timedelta(hours=72)
        done = due < now - timedelta(days=7) and rng.random() > 0.01 or rng.random() < 0.4
        interviews.append(dict(episode_id=episode_id, child_id=row["child_id"], local_authority_id=la,
                               returned_at=back, due_at=due, status="completed" if done else "open",
                               assigned_to_id=None if not done and rng.random() < 0.3 else rng.choice(workers).id,
                               completed_at=back + timedelta(hours=rng.uniform(12, 70)) if done else None,
                               completed_in_time=True if done else None, created_at=back))
    # offers: the one accepted before each completed interview; for half the open ones, one the child turned down
    # or did not answer (each row of "Return interviews due" says how many, and the last one's answer). Never in the
    # future, never before the return; whoever makes the first offer is assigned the interview, as the app does.
    rng = random.Random(f"offers-{len(interviews)}")  # nosec B311 - a stream of its own: the rest stays as it was
    latest = now - timedelta(minutes=5)
    planned = []
    for n, row in enumerate(interviews):
        if row["returned_at"] > latest:
            continue
        if row["status"] == "completed":
            offered, response = row["completed_at"] - timedelta(hours=rng.uniform(1, 10)), "accepted"
        elif rng.random() < 0.5:
            offered = row["returned_at"] + timedelta(hours=rng.uniform(2, 30))
            response = rng.choice(["declined", "no_response"])
        else:
            continue
        offered = min(max(offered, row["returned_at"]), latest)
        row["assigned_to_id"] = row["assigned_to_id"] or rng.choice(workers).id
        planned.append((n, dict(offered_at=offered, offered_by_id=row["assigned_to_id"],
                                method=rng.choice(["in_person", "phone", "text"]), response=response,
                                recorded_at=offered)))
    ids = load.insert(ReturnInterview, interviews)
    load.insert(RhiOffer, [dict(return_interview_id=ids[n], **offer) for n, offer in planned])


# --- Professional differences ------------------------------------------------------------------------------------


def _differences(load: _Load, count: int, discussions: list[_Discussion], staff, now: datetime,
                 rng: random.Random) -> None:
    from .differences.models import DifferenceStage, ProfessionalDifference
    from .differences.services import policy_in_use

    policy = policy_in_use()
    first = min(policy.stages, key=lambda s: s.number)
    keys = list(AGENCIES)
    rows, stages = [], []
    for d in rng.sample(discussions, min(count, len(discussions))):
        raising, against = rng.sample(keys, 2)
        raiser = rng.choice(staff[f"{raising}.workers"])
        responder = rng.choice(staff[against])
        at = d.held + timedelta(days=rng.uniform(1, 10))
        open_ = at > now - timedelta(days=30) and rng.random() < 0.5
        rows.append(dict(child_id=d.children[0], raised_by_id=raiser.id, raised_by_agency_id=raiser.agency_id,
                         against_agency_id=responder.agency_id, about="The threshold decision",
                         concern="Synthetic concern", outcome_sought="A review of the decision",
                         theme="threshold", policy_id=policy.id, status="open" if open_ else "resolved",
                         raised_at=at, closed_at=None if open_ else at + timedelta(days=5)))
        stages.append(dict(number=first.number, name=first.name, opened_at=at, opened_by_id=raiser.id,
                           due_at=at + timedelta(days=5), raising_lead_id=raiser.id,
                           responding_lead_id=responder.id,
                           closed_at=None if open_ else at + timedelta(days=5),
                           outcome=None if open_ else "resolved", agreed_plan="" if open_ else "Agreed"))
    ids = load.insert(ProfessionalDifference, rows)
    load.insert(DifferenceStage, [dict(stage, difference_id=i) for i, stage in zip(ids, stages, strict=True)])

