"""Resolving professional differences: the difference, its stages (append-only), notices, the stage policy."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Agency, User
from ..children.models import Child
from ..clock import now, to_london
from ..discussions.models import AgreedAction, ThresholdDecision
from ..extensions import db
from ..types import UTCDateTime, one_of
from . import stages


class Status(str, enum.Enum):
    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {Status.OPEN: "Open", Status.RESOLVED: "Resolved", Status.WITHDRAWN: "Withdrawn"}


class Outcome(str, enum.Enum):
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"


OUTCOME_LABELS = {Outcome.RESOLVED: "Resolved", Outcome.ESCALATED: "Escalated", Outcome.WITHDRAWN: "Withdrawn"}

#: Chosen when raising, so the partnership can see what its disagreements are about.
THEMES = [
    ("threshold", "Threshold decision (for example no further action or early help)"),
    ("section_47", "Decision about a strategy discussion or section 47 enquiry"),
    ("information_sharing", "Information not shared"),
    ("participation", "Agency not invited to, or not taking part in, a discussion"),
    ("agreed_action", "Agreed action not carried out"),
    ("police_investigation", "Police investigation or charging decision"),
    ("health", "Health assessment or medical examination"),
    ("child_protection_plan", "Child protection conference or plan"),
    ("placement", "Placement, accommodation or legal action"),
    ("other", "Something else"),
]
THEME_LABELS = dict(THEMES)


class StagePolicy(db.Model):
    """A partnership's procedure for resolving professional differences; one is in use at a time."""

    __tablename__ = "difference_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the preset it was seeded from: london, lincolnshire, darlington
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(300), default="")
    #: the policy new differences follow; exactly one is in use
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    stages: Mapped[list["PolicyStage"]] = relationship(back_populates="policy", order_by="PolicyStage.number",
                                                       cascade="all, delete-orphan")

    def as_rules(self) -> stages.Policy:
        return stages.Policy(self.key, self.name, tuple(s.as_rule() for s in self.stages), self.source)


class PolicyStage(db.Model):
    __tablename__ = "difference_policy_stage"
    __table_args__ = (UniqueConstraint("policy_id", "number", name="uq_difference_policy_stage_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("difference_policy.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    involved: Mapped[str] = mapped_column(String(500), default="")
    timescale: Mapped[int] = mapped_column(Integer)
    #: working_days or hours
    unit: Mapped[str] = mapped_column(String(20), default=stages.WORKING_DAYS)
    urgent_hours: Mapped[int] = mapped_column(Integer, default=stages.DEFAULT_URGENT_HOURS)
    notify_partnership: Mapped[bool] = mapped_column(Boolean, default=False)

    policy: Mapped[StagePolicy] = relationship(back_populates="stages")

    def as_rule(self) -> stages.StageRule:
        return stages.StageRule(self.number, self.name, self.involved, self.timescale, self.unit,
                                self.urgent_hours, self.notify_partnership)


class ProfessionalDifference(db.Model):
    """One practitioner's disagreement with another agency's decision about a child, and how it was resolved."""

    __tablename__ = "professional_difference"
    __table_args__ = (Index("ix_professional_difference_status_raised", "status", "raised_at"),
                      one_of("status", Status))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the raiser's agency when they raised it (people move; the figures must not)
    raised_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    against_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: the strategy discussion decision disagreed with, when raised from it (the discussion page lists these)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("threshold_decision.id"), index=True)
    #: the agreed action disagreed with, when raised from it
    action_id: Mapped[int | None] = mapped_column(ForeignKey("agreed_action.id"), index=True)
    #: the decision or action disagreed with, in the raiser's words (a date and who decided helps)
    about: Mapped[str] = mapped_column(Text)
    concern: Mapped[str] = mapped_column(Text)
    outcome_sought: Mapped[str] = mapped_column(Text)
    #: stages then run in hours and may be skipped with a reason
    immediate_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    theme: Mapped[str] = mapped_column(String(40), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("difference_policy.id"))
    status: Mapped[str] = mapped_column(String(20), default=Status.OPEN.value)
    current_stage: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optimistic locking: two people closing the same stage at once cannot both succeed
    version: Mapped[int] = mapped_column(Integer, default=1)

    child: Mapped[Child] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    raised_by_agency: Mapped[Agency] = relationship(foreign_keys=[raised_by_agency_id])
    against_agency: Mapped[Agency] = relationship(foreign_keys=[against_agency_id])
    policy: Mapped[StagePolicy] = relationship()
    decision: Mapped[ThresholdDecision | None] = relationship()
    action: Mapped[AgreedAction | None] = relationship()
    stages: Mapped[list["DifferenceStage"]] = relationship(
        back_populates="difference", order_by="DifferenceStage.opened_at, DifferenceStage.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN.value

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[Status(self.status)]

    @property
    def theme_label(self) -> str:
        return THEME_LABELS.get(self.theme, self.theme)

    @property
    def open_stage(self) -> "DifferenceStage | None":
        return next((s for s in self.stages if s.closed_at is None), None)

    @property
    def highest_stage(self) -> int:
        return max((s.number for s in self.stages), default=self.current_stage)

    @property
    def reference(self) -> str:
        return f"PD-{self.id:05d}"

    @property
    def discussion(self):
        """The strategy discussion whose decision or action this is about, if it was raised from one."""
        if self.decision is not None:
            return self.decision.discussion
        return self.action.discussion if self.action is not None else None

    @property
    def concerns(self) -> str:
        """Which decision or action, in a few words, for lists and the child's timeline."""
        held = self.discussion.scheduled_at if self.discussion is not None else None
        on = f" at the strategy discussion of {to_london(held).strftime('%-d %B %Y')}" if held else ""
        if self.decision is not None:
            return f"The decision \u201c{self.decision.outcome_label}\u201d{on}"
        if self.action is not None:
            words = self.action.description
            short = words if len(words) <= 80 else words[:79].rstrip() + "\u2026"
            return f"The agreed action \u201c{short}\u201d{on}"
        return ""


class DifferenceStage(db.Model):
    """One stage of a difference. Rows are only ever added; a stage is closed once, and never reopened."""

    __tablename__ = "difference_stage"
    __table_args__ = (
        # the sweep and "My work" ask for open stages due before an instant
        Index("ix_difference_stage_open_due", "closed_at", "due_at"),
        UniqueConstraint("difference_id", "number", name="uq_difference_stage_number"),
        one_of("outcome", Outcome),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    difference_id: Mapped[int] = mapped_column(ForeignKey("professional_difference.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: copied from the policy when the stage opened, so later policy changes do not rewrite history
    name: Mapped[str] = mapped_column(String(100))
    involved: Mapped[str] = mapped_column(String(500), default="")
    timescale_words: Mapped[str] = mapped_column(String(40), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_partnership: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who leads for the side that disagrees at this stage (the raiser at stage 1, then their managers)
    raising_lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: who answers for the agency whose decision is challenged
    responding_lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: why earlier stages were skipped to reach this one (immediate risk)
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    # Set once, when the stage ends.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    discussion: Mapped[str] = mapped_column(Text, default="")
    agreed_plan: Mapped[str] = mapped_column(Text, default="")
    plan_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    difference: Mapped[ProfessionalDifference] = relationship(back_populates="stages")
    raising_lead: Mapped[User] = relationship(foreign_keys=[raising_lead_id])
    responding_lead: Mapped[User] = relationship(foreign_keys=[responding_lead_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[Outcome(self.outcome)] if self.outcome else "Open"

    @property
    def within_timescale(self) -> bool | None:
        if self.closed_at is None:
            return None
        return stages.within_timescale(self.due_at, self.closed_at)


class DifferenceNotice(db.Model):
    """Someone who must be told about a stage: its new leads, or the partnership business unit.

    Open until the person (or, for an agency, anyone in it) opens the difference, so a notice nobody has read
    stays on "My work" and in the reminder sweep; who acknowledged it and when is recorded.
    """

    __tablename__ = "difference_notice"
    __table_args__ = (
        Index("ix_difference_notice_open", "acknowledged_at", "created_at"),
        UniqueConstraint("stage_id", "recipient_id", "recipient_agency_id", name="uq_difference_notice_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    difference_id: Mapped[int] = mapped_column(ForeignKey("professional_difference.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("difference_stage.id"), index=True)
    #: a named person, or None when the notice is for an agency's shared mailbox (the partnership business unit)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: stage_lead or partnership
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    difference: Mapped[ProfessionalDifference] = relationship()
    stage: Mapped[DifferenceStage] = relationship()
