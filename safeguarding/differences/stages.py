"""Stage rules for resolving professional differences: presets, deadlines, which stage comes next.

Pure: no Flask, no database. A partnership chooses a policy (London procedures by default) and may adjust it;
the models hold the chosen policy and convert it to `Policy` for these rules.

Timescales are either working days (Monday to Friday, not England & Wales bank holidays) or clock hours. When a
child is at immediate risk every stage runs in hours instead ("a timescale that protects the child from harm"),
and stages may be skipped, always with a recorded reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..clock import LONDON, UTC, ensure_utc
from ..workdays import add_working_days

WORKING_DAYS = "working_days"
HOURS = "hours"
UNITS = {WORKING_DAYS: "working days", HOURS: "hours"}

#: A stage due "within 5 working days" ends at close of business on the fifth working day, so the chase
#: arrives while people are at work rather than at midnight.
CLOSE_OF_BUSINESS = time(17, 0)

#: When a child is at immediate risk and the partnership has not said otherwise, each stage runs for this long.
DEFAULT_URGENT_HOURS = 24


class StageRuleError(ValueError):
    """A move the procedure does not allow; the message is shown to the user as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class StageRule:
    number: int
    name: str
    #: who takes part, in the procedure's words, e.g. "First-line managers (CSC team manager, police DS)"
    involved: str
    timescale: int
    unit: str = WORKING_DAYS
    #: how long the stage runs when the child is at immediate risk
    urgent_hours: int = DEFAULT_URGENT_HOURS
    #: the partnership business unit is told when a difference reaches this stage (the formal stages)
    notify_partnership: bool = False

    @property
    def timescale_words(self) -> str:
        unit = UNITS[self.unit]
        if self.timescale == 1:
            unit = unit[:-1]
        return f"{self.timescale} {unit}"


@dataclass(frozen=True)
class Policy:
    key: str
    name: str
    stages: tuple[StageRule, ...] = field(default_factory=tuple)
    source: str = ""

    @property
    def last(self) -> int:
        return self.stages[-1].number

    def stage(self, number: int) -> StageRule:
        for rule in self.stages:
            if rule.number == number:
                return rule
        raise StageRuleError(f"This procedure has no stage {number}: it has {len(self.stages)} stages")


def _preset(key, name, source, rows) -> Policy:
    return Policy(key, name, tuple(StageRule(*row) for row in rows), source)


PRESETS: dict[str, Policy] = {
    "london": _preset("london", "London Child Protection Procedures", "London CP Procedures, chapter 11", [
        (1, "Practitioner to practitioner",
         "The practitioner who disagrees and the practitioner who made the decision", 5, WORKING_DAYS, 24, False),
        (2, "First-line managers",
         "First-line managers, e.g. CSC team manager and police detective sergeant, designated health "
         "professional, designated teacher", 5, WORKING_DAYS, 24, False),
        (3, "Senior managers", "More senior managers in each agency", 5, WORKING_DAYS, 24, True),
        (4, "Safeguarding partnership", "The safeguarding partnership (where differences remain)", 5,
         WORKING_DAYS, 24, True),
    ]),
    "lincolnshire": _preset("lincolnshire", "Lincolnshire joint escalation protocol",
                            "Lincolnshire joint professional escalation and resolution protocol", [
        (1, "Professional to professional", "The professionals involved; acknowledge at once and agree a plan",
         2, WORKING_DAYS, 24, False),
        (2, "Line managers", "Line managers or safeguarding supervisors", 5, WORKING_DAYS, 24, False),
        (3, "Senior liaison officers", "Senior liaison officers or equivalent; the partnership is told", 2,
         WORKING_DAYS, 24, True),
    ]),
    # Darlington's procedure sets timescales for the first two stages only; the inter-agency meeting and the
    # senior stage default to 5 working days, which a partnership adjusts under the policy settings.
    "darlington": _preset("darlington", "Darlington professional challenge procedure",
                          "Darlington Safeguarding Partnership professional challenge procedure", [
        (1, "Contact the decision-maker", "The practitioner and the decision-maker: get the rationale, agree a "
         "plan, record it and email a summary", 1, WORKING_DAYS, 24, False),
        (2, "Line managers", "Line manager, named practitioner or designated safeguarding lead and their "
         "counterpart", 3, WORKING_DAYS, 24, False),
        (3, "Inter-agency meeting", "An inter-agency meeting; copy to the partnership business unit", 5,
         WORKING_DAYS, 24, True),
        (4, "Senior managers and partnership", "Senior managers and the safeguarding partnership", 5,
         WORKING_DAYS, 24, True),
    ]),
}
DEFAULT_PRESET = "london"


def stage_due_at(rule: StageRule, opened_at: datetime, *, urgent: bool = False) -> datetime:
    """When a stage opened at `opened_at` must be resolved or escalated (aware UTC).

    Hours are real hours on UTC instants (a clock change does not stretch them). Working days end at close
    of business in London on the Nth working day after the day the stage opened.
    """
    opened_at = ensure_utc(opened_at)
    if urgent:
        return opened_at + timedelta(hours=rule.urgent_hours)
    if rule.unit == HOURS:
        return opened_at + timedelta(hours=rule.timescale)
    opened_day: date = opened_at.astimezone(LONDON).date()
    due_day = add_working_days(opened_day, rule.timescale)
    return datetime.combine(due_day, CLOSE_OF_BUSINESS, tzinfo=LONDON).astimezone(UTC)


def next_stage(policy: Policy, current: int) -> StageRule | None:
    """The stage after `current`, or None when `current` is the last (differences there go to the partnership)."""
    later = [rule for rule in policy.stages if rule.number > current]
    return later[0] if later else None


def check_move(policy: Policy, current: int, target: int, *, urgent: bool, reason: str) -> StageRule:
    """The stage to move to, if the procedure allows moving from `current` to `target`.

    Stages are taken in order; one may be skipped only when the child is at immediate risk, and only with a
    recorded reason (child safety overrides process, but the record must show why).
    """
    if target <= current:
        raise StageRuleError(f"Choose a stage after stage {current}", "target_stage")
    following = next_stage(policy, current)
    if following is None:
        raise StageRuleError(f"Stage {current} is the last stage of this procedure: it cannot be escalated further",
                             "target_stage")
    rule = policy.stage(target)
    if target > following.number:
        skipped = ", ".join(str(r.number) for r in policy.stages if current < r.number < target)
        if not urgent:
            raise StageRuleError(
                f"Stages can only be skipped when the child is at immediate risk: escalate to stage "
                f"{following.number}, or say the child is at immediate risk", "target_stage")
        if not (reason or "").strip():
            raise StageRuleError(f"Give the reason for skipping stage {skipped}", "skip_reason")
    return rule


def check_start(policy: Policy, start: int, *, urgent: bool, reason: str) -> StageRule:
    """A difference starts at stage 1, or later only when the child is at immediate risk, with a reason."""
    first = policy.stages[0].number
    if start == first:
        return policy.stages[0]
    if start < first:
        policy.stage(start)  # raises: no such stage
    return check_move(policy, first - 1, start, urgent=urgent, reason=reason)


#: How senior a stage's leads must be, least to most. The service knows seniority only from roles and line
#: management: a manager is a user with the manager role; a senior manager is a manager who manages other managers
#: or has nobody above them in their agency.
ANYONE, MANAGER, SENIOR_MANAGER = 0, 1, 2
RANK_WORDS = {ANYONE: "a practitioner", MANAGER: "a manager", SENIOR_MANAGER: "a senior manager"}
_SENIOR = re.compile(r"\bsenior\b")
_MANAGERS = re.compile(r"\b(managers?|supervisors?|sergeants?)\b")


def lead_ranks(policy: Policy) -> dict[int, int]:
    """The seniority each stage's leads must hold, in the policy's own words for the stage.

    The first stage is practitioner to practitioner. A stage named or described for senior people, or named for
    the partnership (whose members are each agency's senior leaders), needs senior managers; one for managers,
    supervisors or sergeants needs managers; any other stage needs at least what the stage before it did, so an
    escalation never hands a difference to someone less senior than who had it (issue 12: a detective constable
    was accepted as a "first-line manager").
    """
    ranks: dict[int, int] = {}
    floor = ANYONE
    for index, rule in enumerate(policy.stages):
        words = f"{rule.name} {rule.involved}".lower()
        if index == 0:
            rank = ANYONE
        elif _SENIOR.search(words) or "partnership" in rule.name.lower():
            rank = SENIOR_MANAGER
        elif _MANAGERS.search(words):
            rank = MANAGER
        else:
            rank = floor
        floor = max(floor, rank)
        ranks[rule.number] = max(rank, floor)
    return ranks


def within_timescale(due_at: datetime, closed_at: datetime) -> bool:
    return ensure_utc(closed_at) <= ensure_utc(due_at)
