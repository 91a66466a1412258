"""A strategy discussion and everything recorded at it (DOMAIN.md sections A to G)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from ..auth.models import Agency, User
from ..children.models import Child
from ..clock import now
from ..extensions import db
from ..types import UTCDateTime, one_of
from .lawful_basis import LAWFUL_BASES
from .thresholds import ENQUIRY_OUTCOMES, OUTCOMES

KINDS = {"initial": "Initial", "review": "Review"}
MODES = {"meeting": "Meeting (face to face)", "phone": "Phone", "video": "Video call"}
URGENCY = {"urgent": "Urgent (serious injury or recent sexual abuse): same day",
           "standard": "Not urgent: within the local timescale"}
HARM_CATEGORIES = {
    "physical": "Physical abuse",
    "sexual": "Sexual abuse",
    "emotional": "Emotional abuse",
    "neglect": "Neglect",
    "exploitation": "Exploitation (criminal or sexual)",
    "domestic_abuse": "Domestic abuse",
    "online": "Online harm",
    "other": "Other",
}
#: the discussion's own progress; minutes have their own (MINUTES_STATUSES)
STATUSES = {"draft": "Draft: not yet convened", "convened": "Convened", "decided": "Decided",
            "cancelled": "Cancelled"}
MINUTES_STATUSES = {"draft": "Minutes in draft", "agreed": "Minutes agreed by the chair",
                    "circulated": "Minutes circulated"}
#: the same states in a word or two, for status tags
STATUS_TAGS = {"draft": "Draft", "convened": "Convened", "decided": "Decided", "cancelled": "Cancelled"}
MINUTES_TAGS = {"draft": "Minutes in draft", "agreed": "Minutes agreed", "circulated": "Minutes circulated"}
ATTENDANCE = {
    "invited": "Invited (not yet known)",
    "attended": "Attended",
    "apologies": "Apologies",
    "information_sent": "Sent information instead",
    "not_invited": "Not invited",
}
#: Prompts from the triennial review, by agency kind: what each agency is asked for, so gaps are visible.
INFORMATION_PROMPTS: dict[str, list[tuple[str, str]]] = {
    "police": [("police_convictions", "Previous convictions"), ("police_intelligence", "Intelligence"),
               ("police_other_forces", "Incidents in other force areas"),
               ("police_relationships", "Previous relationships (domestic abuse history)")],
    "health": [("health_missed_appointments", "Missed appointments"), ("health_injuries", "Injuries"),
               ("health_history", "Health history and development")],
    "education": [("education_attendance", "Attendance"), ("education_disclosures", "Disclosures")],
    "childrens_social_care": [("csc_history", "Previous involvement and plans"),
                              ("csc_household", "Household members")],
}
TOPICS: dict[str, str] = {key: label for prompts in INFORMATION_PROMPTS.values() for key, label in prompts}
TOPICS["other"] = "Other information"

ACTION_STATUSES = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
#: where a decision's initial child protection conference stands (thresholds.py and services.py move it on)
ICPC_STATUSES = ("not_needed", "due", "booked", "held", "ended", "inherited")
YES_NO_UNKNOWN = {"yes": "Yes", "no": "No", "unknown": "Not known"}
#: An answer the discussion did not reach. It is stored as such (never as "No") and shows as still to do.
NOT_DECIDED = "not_decided"
NOT_DECIDED_LABEL = "Not decided yet"
YES_NO_UNDECIDED = {"yes": "Yes", "no": "No", NOT_DECIDED: NOT_DECIDED_LABEL}
LEGAL_ACTIONS = {"none": "None", "police_protection": "Police protection (section 46)",
                 "epo": "Emergency protection order application", "other": "Other legal action",
                 NOT_DECIDED: NOT_DECIDED_LABEL}
FAMILY_TOLD = {"told": "Told already", "will_tell": "Will be told", "not_told": "Not to be told yet",
               NOT_DECIDED: NOT_DECIDED_LABEL}
#: the questions on a decision that may be left "not decided yet"; each then shows as still to do
UNDECIDED_QUESTIONS = {"abe_planned": "ABE interview", "intermediary_considered": "Intermediary",
                       "medical_examination": "Medical examination", "legal_action": "Legal action",
                       "family_told": "What the family is told"}

_ANSWERS = {"abe_planned": YES_NO_UNDECIDED, "intermediary_considered": YES_NO_UNDECIDED,
            "medical_examination": YES_NO_UNDECIDED, "legal_action": LEGAL_ACTIONS, "family_told": FAMILY_TOLD}


#: a record not yet circulated, of a discussion that took place (`deadlines._circulation_open` in SQL)
_CIRCULATION_OPEN = "minutes_status IN ('draft', 'agreed') AND status IN ('convened', 'decided')"


def discussion_title(kind: str, child_names: list[str]) -> str:
    """How a discussion is named (`StrategyDiscussion.title`), from its kind and its children's names in order."""
    return f"{KINDS.get(kind, '')} strategy discussion: {', '.join(child_names) or 'no child yet'}"


class StatusLabels:
    """What a discussion's status and its minutes' say, in words: for the record and for a list's row of it
    (`listing.DiscussionRow`), from their `status` and `minutes_status`."""

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def minutes_status_label(self) -> str:
        return MINUTES_STATUSES.get(self.minutes_status, self.minutes_status)


class StrategyDiscussion(StatusLabels, db.Model):
    __tablename__ = "strategy_discussion"
    __table_args__ = (
        Index("ix_strategy_discussion_status_scheduled", "status", "scheduled_at"),
        Index("ix_strategy_discussion_minutes_due", "minutes_status", "circulation_due_at"),
        #: the partnership's records waiting to be circulated, soonest first (MASH's My work and "records waiting"):
        #: the open ones in due order, so a page reads its own rows and the counts only the open ones' index entries
        Index("ix_strategy_discussion_circulation_open", "circulation_due_at", "id",
              postgresql_where=text(_CIRCULATION_OPEN), sqlite_where=text(_CIRCULATION_OPEN)),
        #: and a chair's: a heavy chair has chaired 50,000 discussions, of which a few hundred wait
        Index("ix_strategy_discussion_chair_circulation_open", "chair_id", "circulation_due_at",
              postgresql_where=text(_CIRCULATION_OPEN), sqlite_where=text(_CIRCULATION_OPEN)),
        #: the list of all discussions, newest first
        Index("ix_strategy_discussion_scheduled", "scheduled_at", "id"),
        #: the practice-learning report counts assessments by the date the referral was received
        Index("ix_strategy_discussion_referral", "referral_received_on"),
        #: the reports' list of discussions with a decision made while a minimum agency was absent, in date order:
        #: walked through these alone, not every discussion of the year probed for such a decision (3,300 at ten
        #: times the largest partnership for a list of 200)
        Index("ix_strategy_discussion_agency_gap", "scheduled_at", "id",
              postgresql_where=text("has_agency_gap IS TRUE"), sqlite_where=text("has_agency_gap = 1")),
        one_of("status", STATUSES),
        one_of("minutes_status", MINUTES_STATUSES),
        one_of("kind", KINDS),
        one_of("urgency", URGENCY),
        one_of("mode", MODES),
        one_of("harm_category", HARM_CATEGORIES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: initial, or a review of an earlier discussion (previous_id)
    kind: Mapped[str] = mapped_column(String(10), default="initial")
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    urgency: Mapped[str] = mapped_column(String(10), default="standard")
    #: when the decision to convene was made; the timescale for holding it runs from here
    convene_decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(10), default="phone")
    out_of_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    referral_source: Mapped[str] = mapped_column(String(200), default="")
    referral_received_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    harm_category: Mapped[str] = mapped_column(String(20), default="other")
    #: the referrer's concern exactly as given: set once and never changed (services refuse to overwrite it)
    referrer_words: Mapped[str] = mapped_column(Text, default="")
    #: a later summary, kept beside the referrer's words, never over them
    referrer_summary: Mapped[str] = mapped_column(Text, default="")
    #: why another feature opened this draft (e.g. "3 missing episodes in 30 days")
    linked_note: Mapped[str] = mapped_column(String(500), default="")
    #: recorded when a decision is made without CSC, police or health present
    minimum_agency_reason: Mapped[str] = mapped_column(Text, default="")
    #: a decision here was made without CSC, police or health present (one of its decisions has `agencies_absent`;
    #: set with that decision, and never unset: decisions are not removed)
    has_agency_gap: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_status: Mapped[str] = mapped_column(String(12), default="draft")
    #: record due to attendees within 1 working day (local setting) of the discussion
    circulation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str] = mapped_column(String(500), default="")
    #: set when the chair of a phone discussion asks for a strategy meeting to follow (due within 5 working
    #: days, local setting); the clock stays open until a review discussion linked to this one is convened
    follow_up_meeting_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: optimistic locking: a stale edit form is refused, never silently overwrites
    version: Mapped[int] = mapped_column(Integer, default=1)

    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    previous: Mapped["StrategyDiscussion | None"] = relationship(remote_side=[id], foreign_keys=[previous_id])
    children: Mapped[list["DiscussionChild"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="DiscussionChild.id")
    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="Invitation.id")
    information: Mapped[list["InformationShared"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="InformationShared.id")
    decisions: Mapped[list["ThresholdDecision"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="ThresholdDecision.id")
    actions: Mapped[list["AgreedAction"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="AgreedAction.due_at")
    minutes_versions: Mapped[list["MinutesVersion"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="MinutesVersion.number")
    circulations: Mapped[list["MinutesCirculation"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="MinutesCirculation.id")
    dissents: Mapped[list["Dissent"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="Dissent.id")
    removed_children: Mapped[list["ChildRemoval"]] = relationship(
        back_populates="discussion", cascade="all, delete-orphan", order_by="ChildRemoval.id")
    #: the latest minutes version's number, read with the discussion by a page that shows only that (its own page
    #: reads every version's text); None when not read so, or when there are no minutes yet
    latest_minutes_number: Mapped[int | None] = query_expression()

    __mapper_args__ = {"version_id_col": version}

    @property
    def title(self) -> str:
        return discussion_title(self.kind, [link.child.display_name for link in self.children])

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS.get(self.status, self.status)

    @property
    def minutes_status_tag(self) -> str:
        return MINUTES_TAGS.get(self.minutes_status, self.minutes_status)

    def decision_for(self, child_id: int) -> "ThresholdDecision | None":
        return next((d for d in self.decisions if d.child_id == child_id), None)

    @property
    def latest_minutes(self) -> "MinutesVersion | None":
        return self.minutes_versions[-1] if self.minutes_versions else None

    @property
    def present_agency_kinds(self) -> set[str]:
        return {i.agency.kind for i in self.invitations if i.status == "attended"}


class DiscussionChild(db.Model):
    """One child at a discussion (siblings are discussed together; each gets their own decision)."""

    __tablename__ = "discussion_child"
    __table_args__ = (UniqueConstraint("discussion_id", "child_id", name="uq_discussion_child"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    #: a named or described alleged perpetrator; a child perpetrator gets their own discussion
    alleged_perpetrator: Mapped[str] = mapped_column(String(500), default="")
    # The child's voice: was the child seen, alone, and what they said in their own words.
    child_seen: Mapped[str] = mapped_column(String(10), default="unknown")
    seen_alone: Mapped[str] = mapped_column(String(10), default="unknown")
    seen_on: Mapped[date | None] = mapped_column(Date)
    seen_by: Mapped[str] = mapped_column(String(200), default="")
    #: verbatim, in the child's words
    child_said: Mapped[str] = mapped_column(Text, default="")
    not_seen_reason: Mapped[str] = mapped_column(Text, default="")
    voice_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: optimistic locking: two people recording the child's voice at once never overwrite each other silently
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="children")
    child: Mapped[Child] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ChildRemoval(db.Model):
    """A child taken off a discussion before their decision, and why: the record keeps that they were there."""

    __tablename__ = "discussion_child_removal"

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    #: in the words of the person who removed them (e.g. "not a sibling: a cousin visiting")
    reason: Mapped[str] = mapped_column(Text)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="removed_children")
    child: Mapped[Child] = relationship()
    removed_by: Mapped[User | None] = relationship()


class Invitation(db.Model):
    """An agency (and, where known, a named person) asked to take part, and whether they did."""

    __tablename__ = "discussion_invitation"
    __table_args__ = (Index("ix_discussion_invitation_agency", "agency_id", "discussion_id"),
                      one_of("status", ATTENDANCE))

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: the person's name when they have no account here (e.g. a GP)
    person_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    #: invited, attended, apologies, information_sent, not_invited
    status: Mapped[str] = mapped_column(String(20), default="invited")
    #: reason for apologies or for not inviting
    reason: Mapped[str] = mapped_column(String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: optimistic locking: attendance feeds the minimum-agency check, so a stale answer must never overwrite
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="invitations")
    agency: Mapped[Agency] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ATTENDANCE.get(self.status, self.status)

    @property
    def who(self) -> str:
        name = self.user.name if self.user else self.person_name
        return ", ".join(p for p in (name, self.role) if p) or "Agency representative"


class InformationShared(db.Model):
    """What an agency said at the discussion, attributed to that agency; or its answer "checked: nothing held"."""

    __tablename__ = "discussion_information"
    __table_args__ = (
        # Empty only on entries made before the basis was asked, and on "nothing held" (nothing was shared).
        one_of("lawful_basis", LAWFUL_BASES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    #: the child it is about; empty when it concerns all the children
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    #: a prompt key (e.g. "police_convictions") or "other"
    topic: Mapped[str] = mapped_column(String(40), default="other")
    text: Mapped[str] = mapped_column(Text)
    shared_by: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: chosen by the person recording it, never defaulted (lawful_basis.LAWFUL_BASES)
    lawful_basis: Mapped[str | None] = mapped_column(String(20))
    #: the agency checked its records for this topic and holds nothing: an answer, unlike a topic never asked
    nothing_held: Mapped[bool] = mapped_column(Boolean, default=False)

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="information")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    agency: Mapped[Agency] = relationship(lazy="joined")
    child: Mapped[Child | None] = relationship()


class ThresholdDecision(db.Model):
    """The decision for one child, with its reasons (DOMAIN.md section E)."""

    __tablename__ = "threshold_decision"
    __table_args__ = (
        UniqueConstraint("discussion_id", "child_id", name="uq_threshold_decision_child"),
        Index("ix_threshold_decision_icpc", "icpc_status", "icpc_due_at"),
        # the assessment clocks still running (a few thousand at ten times the largest partnership, of 300,000
        # decisions): found by due time for the sweep and My work, without an entry for every decision ever made
        Index("ix_threshold_decision_assessment_due", "assessment_due_at",
              postgresql_where=text("assessment_due_at IS NOT NULL"),
              sqlite_where=text("assessment_due_at IS NOT NULL")),
        # The reports' list of section 47 enquiries and their conferences: found from the period's discussions
        # without reading every decision ever made (issue 14)
        Index("ix_threshold_decision_enquiry", "discussion_id",
              postgresql_where=text("starts_enquiry IS TRUE AND icpc_status <> 'ended'"),
              sqlite_where=text("starts_enquiry = 1 AND icpc_status <> 'ended'")),
        # "Not decided yet" is an answer of its own: the database refuses an empty or made-up one, so nothing
        # written around the services can leave a question silently answered (or silently unasked).
        # An empty outcome passes (a CHECK that is NULL holds): the enquiry is still under way.
        *(one_of(name, choices) for name, choices in _ANSWERS.items()),
        one_of("enquiry_outcome", ENQUIRY_OUTCOMES),
        one_of("outcome", OUTCOMES),
        one_of("icpc_status", ICPC_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    # Achieving Best Evidence interview
    # Each answer starts "not decided yet" rather than "no": the record never says what nobody decided.
    abe_planned: Mapped[str] = mapped_column(String(20), default=NOT_DECIDED)
    abe_joint: Mapped[bool] = mapped_column(Boolean, default=False)
    abe_lead_interviewer: Mapped[str] = mapped_column(String(200), default="")
    intermediary_considered: Mapped[str] = mapped_column(String(20), default=NOT_DECIDED)
    intermediary_reason: Mapped[str] = mapped_column(Text, default="")
    medical_examination: Mapped[str] = mapped_column(String(20), default=NOT_DECIDED)
    medical_details: Mapped[str] = mapped_column(Text, default="")
    legal_action: Mapped[str] = mapped_column(String(20), default=NOT_DECIDED)
    family_told: Mapped[str] = mapped_column(String(20), default=NOT_DECIDED)
    family_told_when: Mapped[str] = mapped_column(String(200), default="")
    family_not_told_reason: Mapped[str] = mapped_column(Text, default="")
    interim_safety_plan: Mapped[str] = mapped_column(Text, default="")
    next_review_on: Mapped[date | None] = mapped_column(Date)
    #: section 47 only: did this discussion start the enquiry, and on what date did it start?
    starts_enquiry: Mapped[bool] = mapped_column(Boolean, default=False)
    enquiry_started_on: Mapped[date | None] = mapped_column(Date)
    icpc_due_on: Mapped[date | None] = mapped_column(Date)
    icpc_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: not_needed, due (open deadline), booked (a conference date recorded), held (confirmed), inherited (a review
    #: of the enquiry: the clock is on the decision that started it), ended (the enquiry ended with no conference)
    icpc_status: Mapped[str] = mapped_column(String(12), default="not_needed")
    icpc_date: Mapped[date | None] = mapped_column(Date)
    icpc_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: why the conference is booked after its due date: a late conference is never silent
    icpc_late_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: "booked" is followed by "held": a booked date that passes unconfirmed is chased (deadlines.icpc_held)
    icpc_held_on: Mapped[date | None] = mapped_column(Date)
    icpc_held_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: How the section 47 enquiry this decision started ended (thresholds.ENQUIRY_OUTCOMES), and who decided when.
    #: Any outcome but a conference ends the ICPC clock, so an enquiry that ended is not chased for ever.
    enquiry_outcome: Mapped[str | None] = mapped_column(String(20))
    enquiry_outcome_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    enquiry_outcome_on: Mapped[date | None] = mapped_column(Date)
    enquiry_outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: the child and family assessment (started by a section 17 or 47 decision) ends its 45 working day clock here
    assessment_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessment_completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: when the answers left "not decided yet" are to be settled; empty once every answer is given. Stored so the
    #: still_to_decide sweep is one range scan on an index rather than a search of every decision's answers.
    still_to_decide_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: when the child and family assessment this decision started is due (thresholds.assessment_due_at of the
    #: discussion's referral); empty when its clock does not run here: not a section 17 or 47 decision, no referral
    #: date, the assessment recorded as completed (on any decision about the referral), or the clock held by an
    #: earlier decision about the same referral (thresholds.assessment_clock_holder). Kept by the services so My work
    #: and the sweep count and page it in SQL.
    assessment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: minimum agencies absent when the decision was made (comma-separated labels), for reporting the gap
    agencies_absent: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="decisions")
    child: Mapped[Child] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def enquiry_outcome_label(self) -> str:
        return ENQUIRY_OUTCOMES.get(self.enquiry_outcome or "", "")

    @property
    def still_to_decide(self) -> list[str]:
        """The questions this decision left "not decided yet": work still to do for this child."""
        return [label for name, label in UNDECIDED_QUESTIONS.items() if getattr(self, name) == NOT_DECIDED]


def attended_kinds():
    """For a list of discussions: the kinds of the agencies that attended each, comma-separated, as a column of its
    own row (`listing.py`), so the list reads no invitations."""
    return (db.select(db.func.aggregate_strings(Agency.kind, ","))
            .select_from(Invitation).join(Agency, Agency.id == Invitation.agency_id)
            .where(Invitation.discussion_id == StrategyDiscussion.id, Invitation.status == "attended")
            .correlate(StrategyDiscussion).scalar_subquery())


class AgreedAction(db.Model):
    """Something someone agreed to do: a named owner, their agency and an hour-precise deadline."""

    __tablename__ = "agreed_action"
    __table_args__ = (
        Index("ix_agreed_action_status_due", "status", "due_at"),
        Index("ix_agreed_action_owner_status_due", "owner_id", "status", "due_at"),
        one_of("status", ACTION_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    #: the child it is for; empty when it is for all the children
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id"))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    completion_note: Mapped[str] = mapped_column(Text, default="")
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="actions")
    child: Mapped[Child | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    owner_agency: Mapped[Agency] = relationship(foreign_keys=[owner_agency_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    changes: Mapped[list["AgreedActionChange"]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="AgreedActionChange.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)

    def is_overdue(self, at: datetime) -> bool:
        return self.status == "open" and self.due_at <= at


class AgreedActionChange(db.Model):
    """A new owner or due date for an open action, with the reason: a deadline never moves silently."""

    __tablename__ = "agreed_action_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("agreed_action.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    from_owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    to_owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    from_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    to_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: why, in the words of the person who changed it
    reason: Mapped[str] = mapped_column(Text)

    action: Mapped[AgreedAction] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])
    from_owner: Mapped[User] = relationship(foreign_keys=[from_owner_id])
    to_owner: Mapped[User] = relationship(foreign_keys=[to_owner_id])


class MinutesVersion(db.Model):
    """One version of the minutes. A draft is edited in place; after the chair agrees it, edits make a new one."""

    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("discussion_id", "number", name="uq_minutes_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    #: why this version was made (after agreement), in the editor's words
    change_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: optimistic locking for concurrent editors
    revision: Mapped[int] = mapped_column(Integer, default=1)

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="minutes_versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    agreed_by: Mapped[User | None] = relationship(foreign_keys=[agreed_by_id])

    __mapper_args__ = {"version_id_col": revision}


class MinutesCirculation(db.Model):
    """Who sent which version of the minutes to whom, and when; and whether the referrer was told."""

    __tablename__ = "minutes_circulation"

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_version.id"))
    circulated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    circulated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: one recipient a line: "Name, role (Agency) <email>", as it was when sent
    recipients: Mapped[str] = mapped_column(Text, default="")
    referrer_told: Mapped[str] = mapped_column(String(10), default="no")
    referrer_told_how: Mapped[str] = mapped_column(String(500), default="")

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="circulations")
    version: Mapped[MinutesVersion] = relationship()
    circulated_by: Mapped[User | None] = relationship()


class Dissent(db.Model):
    """A professional's disagreement with a decision, attributed to them and their agency."""

    __tablename__ = "discussion_dissent"

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("strategy_discussion.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    discussion: Mapped[StrategyDiscussion] = relationship(back_populates="dissents")
    agency: Mapped[Agency] = relationship(lazy="joined")


class VaguePhrase(db.Model):
    """A stock phrase the partnership wants flagged (see vague_language.py); empty table = the defaults."""

    __tablename__ = "vague_phrase"

    id: Mapped[int] = mapped_column(primary_key=True)
    phrase: Mapped[str] = mapped_column(String(100), unique=True)
    #: removed phrases are kept inactive, so removing every phrase never brings the defaults back
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
