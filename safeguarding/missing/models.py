"""Missing episodes, return home interviews, prevention interviews, arrests, police protection, EPOs and the
prompts to convene a strategy discussion that they raise."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of
from .rules import EXPLOITATION_ANSWERS

MISSING_FROM = [("home", "Home"), ("foster_care", "Foster care"), ("childrens_home", "Children's home"),
                ("school", "School"), ("other", "Other")]
RISK_LEVELS = [("high", "High"), ("medium", "Medium"), ("low", "Low")]
INDICATORS = [("county_lines", "County lines"), ("sexual_exploitation", "Sexual exploitation"),
              ("criminal_exploitation", "Criminal exploitation"), ("online", "Online harm or grooming")]
OFFER_METHODS = [("in_person", "In person"), ("phone", "Phone call"), ("text", "Text or message"),
                 ("letter", "Letter"), ("via_carer", "Through the parent or carer")]
OFFER_RESPONSES = [("accepted", "Accepted"), ("declined", "Declined"), ("no_response", "No response")]
CONSENT = [("yes", "Yes, the child agreed to information being shared"),
           ("limited", "Only some information (say which in the support section)"),
           ("no", "No, the child did not agree")]
PREVENTION_OUTCOMES = [
    ("no_concerns", "Seen: no further concerns"),
    ("concerns_shared", "Seen: concerns found and shared with children's social care"),
    ("offence_disclosed", "Seen: offence or harm disclosed, investigation started"),
    ("declined", "Child would not speak to the officer"),
]
PP_OUTCOMES = [("returned_home", "Returned home"), ("accommodated", "Accommodated by the local authority"),
               ("epo", "Emergency protection order granted"), ("other", "Other")]
EPO_OUTCOMES = [("expired", "Expired"), ("discharged", "Discharged by the court"),
                ("care_order", "Interim care order made"), ("returned_home", "Child returned home"),
                ("other", "Other")]

LABELS = {name: dict(choices) for name, choices in (
    ("missing_from", MISSING_FROM), ("risk", RISK_LEVELS), ("indicator", INDICATORS), ("method", OFFER_METHODS),
    ("response", OFFER_RESPONSES), ("consent", CONSENT), ("prevention", PREVENTION_OUTCOMES),
    ("pp_outcome", PP_OUTCOMES), ("epo_outcome", EPO_OUTCOMES))}


class RhiStatus(str, enum.Enum):
    OPEN = "open"
    COMPLETED = "completed"
    #: the child would not take part after repeated offers, and a manager decided to stop: reason recorded
    NOT_HELD = "not_held"


class PromptReason(str, enum.Enum):
    REPEAT_MISSING = "repeat_missing"
    #: raised only before every arrest prompted (ARREST); kept so those prompts still read as they were raised
    ARREST_EXPLOITATION = "arrest_exploitation"
    #: every arrest of a child, whatever the exploitation answer (the briefing: "whenever a child is arrested")
    ARREST = "arrest"
    POLICE_PROTECTION = "police_protection"


PROMPT_LABELS = {
    PromptReason.REPEAT_MISSING.value: "Repeatedly missing",
    PromptReason.ARREST_EXPLOITATION.value: "Arrested with signs of exploitation",
    PromptReason.ARREST.value: "Arrested",
    PromptReason.POLICE_PROTECTION.value: "Taken into police protection",
}


class EpisodeLabels:
    """What an episode's risk grading and where the child went missing from say, in words: for the record and for
    a list's row of it (`listing.EpisodeRow`), from their `risk_level` and `missing_from`."""

    @property
    def risk_label(self) -> str:
        return LABELS["risk"].get(self.risk_level, self.risk_level)

    @property
    def missing_from_label(self) -> str:
        return LABELS["missing_from"].get(self.missing_from, self.missing_from)


class MissingEpisode(EpisodeLabels, db.Model):
    __tablename__ = "missing_episode"
    __table_args__ = (
        Index("ix_missing_episode_child_reported", "child_id", "reported_missing_at"),
        Index("ix_missing_episode_returned", "returned_at"),
        Index("ix_missing_episode_reported", "reported_missing_at"),
        #: the children still missing, latest first ("Still missing"): a page walks its own rows in order rather
        #: than sorting every open episode (220 at ten times the largest partnership, each checked against the scope)
        Index("ix_missing_episode_still_missing", "reported_missing_at", "id",
              postgresql_where=text("returned_at IS NULL"), sqlite_where=text("returned_at IS NULL")),
        one_of("missing_from", MISSING_FROM),
        one_of("risk_level", RISK_LEVELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    #: when someone told the police the child was missing; the repeat-missing count uses this
    reported_missing_at: Mapped[datetime] = mapped_column(UTCDateTime)
    missing_from: Mapped[str] = mapped_column(String(20))
    #: e.g. the name of the children's home; said in words the police log uses
    missing_from_detail: Mapped[str] = mapped_column(String(300), default="")
    police_reference: Mapped[str] = mapped_column(String(50), default="")
    #: the current police risk grading; every change is kept in RiskGrading
    risk_level: Mapped[str] = mapped_column(String(10))
    #: harm or exploitation indicators seen, a list of INDICATORS codes
    indicators: Mapped[list] = mapped_column(JSON, default=list)
    #: arrested while missing or on return: prompts a strategy discussion, as every arrest does. The arrest
    #: itself (when, exploitation) is an Arrest on the child, which can also happen outside any episode
    arrested: Mapped[bool] = mapped_column(Boolean, default=False)
    circumstances: Mapped[str] = mapped_column(Text, default="")
    #: found or returned; empty while the child is still missing
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    found_where: Mapped[str] = mapped_column(String(500), default="")
    #: who found or brought the child back (a person or service, in words)
    returned_by: Mapped[str] = mapped_column(String(200), default="")
    out_of_area: Mapped[bool] = mapped_column(Boolean, default=False)
    abroad: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: the agency that recorded the episode can always see the child
    recorded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    child = relationship("Child")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    gradings: Mapped[list["RiskGrading"]] = relationship(back_populates="episode", order_by="RiskGrading.graded_at",
                                                         cascade="all, delete-orphan")
    return_interview: Mapped["ReturnInterview | None"] = relationship(back_populates="episode", uselist=False)
    prevention_interview: Mapped["PreventionInterview | None"] = relationship(back_populates="episode",
                                                                              uselist=False)
    #: arrests in this episode or on return (most episodes have none), read with it for its page; an Arrest is
    #: recorded, changed and linked from its own side (`Arrest.episode`)
    arrests: Mapped[list["Arrest"]] = relationship(viewonly=True, order_by="(Arrest.arrested_at, Arrest.id)")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_missing(self) -> bool:
        return self.returned_at is None

    @property
    def indicator_labels(self) -> list[str]:
        return [LABELS["indicator"].get(code, code) for code in (self.indicators or [])]


class RiskGrading(db.Model):
    """The police risk grading at a moment, and why it changed: reviewers ask when a child became high risk."""

    __tablename__ = "missing_risk_grading"
    __table_args__ = (one_of("level", RISK_LEVELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("missing_episode.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    graded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text, default="")

    episode: Mapped[MissingEpisode] = relationship(back_populates="gradings")
    graded_by = relationship("User")

    @property
    def label(self) -> str:
        return LABELS["risk"].get(self.level, self.level)


class ReturnInterview(db.Model):
    """The local authority's return home interview after one episode: offered every time, due 72 hours after
    the return, by someone independent of the child's placement."""

    __tablename__ = "return_interview"
    __table_args__ = (
        Index("ix_return_interview_open_due", "status", "due_at"),
        Index("ix_return_interview_assigned", "assigned_to_id", "status"),
        one_of("status", RhiStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("missing_episode.id"), unique=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    #: the children's social care agency responsible for the interview (see services.responsible_authority)
    local_authority_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: copied from the episode so the figures and the clock need no join
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=RhiStatus.OPEN.value)
    #: the worker who will offer and hold the interview; ideally the same person each time
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: completed no later than due_at; kept so the figures never recompute history
    completed_in_time: Mapped[bool | None] = mapped_column(Boolean)
    interviewer_name: Mapped[str] = mapped_column(String(200), default="")
    interviewer_organisation: Mapped[str] = mapped_column(String(200), default="")
    #: the interviewer declared they are independent of the child's placement (checked before completion)
    interviewer_independent: Mapped[bool | None] = mapped_column(Boolean)
    interview_location: Mapped[str] = mapped_column(String(300), default="")
    why_left: Mapped[str] = mapped_column(Text, default="")
    where_and_with_whom: Mapped[str] = mapped_column(Text, default="")
    harm: Mapped[str] = mapped_column(Text, default="")
    health_needs: Mapped[str] = mapped_column(Text, default="")
    support_and_referrals: Mapped[str] = mapped_column(Text, default="")
    information_sharing_consent: Mapped[str | None] = mapped_column(String(10))
    #: why no interview was held (status not_held)
    not_held_reason: Mapped[str] = mapped_column(Text, default="")
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    episode: Mapped[MissingEpisode] = relationship(back_populates="return_interview")
    child = relationship("Child")
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    local_authority = relationship("Agency")
    offers: Mapped[list["RhiOffer"]] = relationship(back_populates="return_interview",
                                                    order_by="RhiOffer.offered_at", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status == RhiStatus.OPEN.value

    @property
    def status_label(self) -> str:
        if self.status == RhiStatus.COMPLETED.value:
            return "Completed within 72 hours" if self.completed_in_time else "Completed late"
        if self.status == RhiStatus.NOT_HELD.value:
            return "Not held"
        return "Open"


class RhiOffer(db.Model):
    """One offer of a return home interview: refusals are recorded, and do not close the interview."""

    __tablename__ = "rhi_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_interview_id: Mapped[int] = mapped_column(ForeignKey("return_interview.id"), index=True)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    response: Mapped[str] = mapped_column(String(20))
    #: what the child said, in their words where possible
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    return_interview: Mapped[ReturnInterview] = relationship(back_populates="offers")
    offered_by = relationship("User")

    @property
    def method_label(self) -> str:
        return LABELS["method"].get(self.method, self.method)

    @property
    def response_label(self) -> str:
        return LABELS["response"].get(self.response, self.response)


class PreventionInterview(db.Model):
    """The police prevention interview (formerly "safe and well check") on return: not the RHI."""

    __tablename__ = "prevention_interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("missing_episode.id"), unique=True)
    conducted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    officer_name: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    episode: Mapped[MissingEpisode] = relationship(back_populates="prevention_interview")

    @property
    def outcome_label(self) -> str:
        return LABELS["prevention"].get(self.outcome, self.outcome)


class PoliceProtection(db.Model):
    """Section 46: a constable removes a child to a place of safety for at most 72 hours."""

    __tablename__ = "police_protection"
    __table_args__ = (Index("ix_police_protection_open", "ended_at", "started_at"),
                      #: the practice-learning report counts police protection by when it started
                      Index("ix_police_protection_started", "started_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: started_at + 72 hours, stored so lists and the clock read it directly
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the officer who must review the case and decide when the child can go (s46(3)(e))
    designated_officer: Mapped[str] = mapped_column(String(200))
    place_of_safety: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_outcome: Mapped[str | None] = mapped_column(String(20))
    end_note: Mapped[str] = mapped_column(Text, default="")
    #: ended after the 72 hours s46(6) allows: recorded as it happened, never refused, so the breach is counted
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    #: why it lasted longer; required for a breach, because explaining it is what the breach record is for
    breach_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    child = relationship("Child")
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    def overdue(self, at: datetime) -> bool:
        """Still open after its 72 hours: a breach happening now, shown as one until the end is recorded."""
        return self.ended_at is None and at > self.ends_at

    @property
    def outcome_label(self) -> str:
        return LABELS["pp_outcome"].get(self.end_outcome or "", "")


class EmergencyProtectionOrder(db.Model):
    """Sections 44-45: a court order for the period the court specifies, at most 8 days, extendable once by at
    most 7 while it is in force."""

    __tablename__ = "emergency_protection_order"
    __table_args__ = (Index("ix_epo_open", "ended_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    court: Mapped[str] = mapped_column(String(200))
    #: the end in force: the one the court specified (rules.check_epo_end), or the extended one. The expiry
    #: reminder reads it, so a 3-day order is chased on its third day, not the eighth
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: made on the designated officer's application after this police protection (s46(7)): s45(3) then counts
    #: the 8 days from its first day
    police_protection_id: Mapped[int | None] = mapped_column(ForeignKey("police_protection.id"), index=True)
    #: the end the court first specified; an extension runs at most 7 days from it (s45(5))
    extended_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the court extended the order, which must be while it was still in force (s45(4))
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_outcome: Mapped[str | None] = mapped_column(String(20))
    #: the social worker who recorded the order is reminded before it expires
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    recorded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    child = relationship("Child")
    recorded_by = relationship("User")
    police_protection = relationship("PoliceProtection")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_extended(self) -> bool:
        return self.extended_at is not None

    def lapsed(self, at: datetime) -> bool:
        """Its end has passed but no one has recorded how it ended: never shown as in force."""
        return self.ended_at is None and at >= self.expires_at

    @property
    def outcome_label(self) -> str:
        return LABELS["epo_outcome"].get(self.end_outcome or "", "")


class Arrest(db.Model):
    """A child arrested, inside or outside a missing episode: every arrest prompts MASH to consider a strategy
    discussion (adolescents are children first; arrest is a sign of vulnerability, often of exploitation)."""

    __tablename__ = "child_arrest"
    __table_args__ = (Index("ix_child_arrest_child_arrested", "child_id", "arrested_at"),
                      one_of("exploitation", EXPLOITATION_ANSWERS))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    arrested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: rules.EXPLOITATION_ANSWERS; asked every time with no answer set, never assumed "no"
    exploitation: Mapped[str] = mapped_column(String(10))
    #: the missing episode it happened in or on return from, if any
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("missing_episode.id"), index=True)
    police_reference: Mapped[str] = mapped_column(String(50), default="")
    #: what happened and what is known of who the child was with, in the officer's words
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the agency that recorded the arrest can always see the child
    recorded_by_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    child = relationship("Child")
    episode = relationship("MissingEpisode")
    recorded_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def exploitation_label(self) -> str:
        return EXPLOITATION_ANSWERS.get(self.exploitation, self.exploitation)


class DiscussionPrompt(db.Model):
    """A prompt to MASH to convene a strategy discussion about a child, open until someone acts on it."""

    __tablename__ = "missing_discussion_prompt"
    __table_args__ = (Index("ix_missing_prompt_open", "closed_at", "raised_at"),
                      Index("ix_missing_prompt_child", "child_id", "reason", "closed_at"),
                      one_of("reason", PromptReason))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"))
    reason: Mapped[str] = mapped_column(String(30))
    #: what raised it: an episode, an arrest or a police protection
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the draft discussion created from the prompt, when there is one
    discussion_id: Mapped[int | None] = mapped_column(Integer)
    #: why no new discussion was needed (e.g. one is already arranged)
    close_note: Mapped[str] = mapped_column(Text, default="")
    #: two people acting on one prompt at once: one closes it, the other is told, never both
    version: Mapped[int] = mapped_column(Integer, default=1)

    child = relationship("Child")

    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        return PROMPT_LABELS.get(self.reason, self.reason)
