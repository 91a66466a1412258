"""The shapes the API accepts and returns: pydantic models, checked on every request and turned into the OpenAPI
document's JSON Schemas (2020-12, the dialect of OpenAPI 3.1), so the document cannot drift from the checks.

Where the Standard Safeguarding Dataset (Data to Insight, ssd-data-model) names an item for the same fact, the API
uses its name and says its item reference: pers_person_id (PERS001A, the local authority's own id for the child),
pers_common_child_id (PERS013A, the NHS number), pers_dob (PERS005A), pers_expected_dob (PERS009A), pers_ethnicity
(PERS004A) and miss_mis_epi_end (MISS005A, when the child was found or returned). The dataset's missing episode
start (MISS003A) is when the child left or was last seen; this service records when the child was reported
missing, a different fact, so it keeps its own name.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ..children.models import GENDERS, LOOKED_AFTER
from ..children.nhs import check_nhs_number, normalise
from ..missing.models import INDICATORS, MISSING_FROM, RISK_LEVELS

#: no C0 control characters (tab and line breaks apart): PostgreSQL text cannot hold NUL,
#: and a person never types the others (the same rule as the pages' input guard)
PLAIN_TEXT = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$"


def text(max_length: int, *, required: bool = False):
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=max_length, pattern=PLAIN_TEXT,
                                            min_length=1 if required else 0)]


def _plausible(value: datetime) -> datetime:
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value.astimezone(UTC)


def _plausible_day(value: date) -> date:
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value


#: an instant with its offset (UTC or Europe/London's), e.g. 2026-11-30T21:15:00Z; stored and returned in UTC
Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
Day = Annotated[date, AfterValidator(_plausible_day)]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]


def _nhs(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return check_nhs_number(value)  # a RuleError (ValueError) names what is wrong with it


NhsNumber = Annotated[str | None, StringConstraints(max_length=20, pattern=r"^[0-9 ]*$"), AfterValidator(_nhs),
                      Field(description="SSD pers_common_child_id (PERS013A): the NHS number, 10 digits")]
LaReference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50, pattern=PLAIN_TEXT),
                        Field(description="SSD pers_person_id (PERS001A): the local authority's own id for the child")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Pages and problems -----------------------------------------------------------------------------------------


class ListQuery(Strict):
    model_config = ConfigDict(extra="ignore")
    cursor: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] | None = Field(
        None, description="next_cursor from the previous page; leave out for the first")
    limit: int = Field(25, ge=1, le=100, description="How many records a page holds")


class FieldError(BaseModel):
    field: str | None
    detail: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; `field` names the input the problem is about (a body field, a header, a query
    parameter), as the pages show a message beside the field."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] = []


# --- Children ---------------------------------------------------------------------------------------------------


class ChildIn(Strict):
    first_name: text(100, required=True)
    last_name: text(100, required=True)
    is_unborn: bool = False
    pers_dob: Day | None = Field(None, description="SSD PERS005A: date of birth (not for an unborn child)")
    pers_expected_dob: Day | None = Field(None, description="SSD PERS009A: expected date of delivery (unborn)")
    gender: Literal[tuple(code for code, _ in GENDERS)]  # type: ignore[valid-type]
    pers_ethnicity: text(100) = Field("", description="SSD PERS004A, in words or as the DfE code")
    disability: text(500) = ""
    address: text(500) = ""
    pers_person_id: LaReference = ""
    pers_common_child_id: NhsNumber = None
    looked_after: Literal[tuple(code for code, _ in LOOKED_AFTER)]  # type: ignore[valid-type]
    responsible_authority: text(200) = ""


class ChildMatch(Strict):
    """Either identifier, or both (both must then belong to the same child)."""

    pers_common_child_id: NhsNumber = None
    pers_person_id: LaReference = ""


class ChildOut(BaseModel):
    id: int
    first_name: str
    last_name: str
    is_unborn: bool
    pers_dob: date | None
    pers_expected_dob: date | None
    gender: str
    pers_ethnicity: str
    pers_person_id: str | None
    pers_common_child_id: str | None
    looked_after: str
    responsible_authority: str
    version: int


class ChildPage(BaseModel):
    items: list[ChildOut]
    next_cursor: str | None


# --- Missing episodes -------------------------------------------------------------------------------------------


class MissingReportIn(Strict):
    child_id: Id
    reported_missing_at: Instant
    missing_from: Literal[tuple(code for code, _ in MISSING_FROM)]  # type: ignore[valid-type]
    missing_from_detail: text(300) = ""
    police_reference: text(50) = ""
    risk_level: Literal[tuple(code for code, _ in RISK_LEVELS)]  # type: ignore[valid-type]
    risk_reason: text(2000) = ""
    indicators: list[Literal[tuple(code for code, _ in INDICATORS)]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(INDICATORS))
    arrested: bool = False
    circumstances: text(5000) = ""


class FoundIn(Strict):
    miss_mis_epi_end: Instant = Field(description="SSD MISS005A: when the child was found or returned")
    found_where: text(500, required=True)
    returned_by: text(200, required=True)
    out_of_area: bool = False
    abroad: bool = False


class ReturnInterviewOut(BaseModel):
    id: int
    status: str
    due_at: datetime = Field(description="72 clock hours after the child was found or returned (UTC)")
    local_authority_id: int


class EpisodeOut(BaseModel):
    id: int
    child_id: int
    reported_missing_at: datetime
    missing_from: str
    police_reference: str
    risk_level: str
    indicators: list[str]
    arrested: bool
    miss_mis_epi_end: datetime | None = Field(description="SSD MISS005A: found or returned; empty while missing")
    return_interview: ReturnInterviewOut | None
    version: int


class EpisodePage(BaseModel):
    items: list[EpisodeOut]
    next_cursor: str | None


# --- Discussions, decisions, actions, deadlines -----------------------------------------------------------------


class DecisionOut(BaseModel):
    id: int
    child_id: int
    outcome: str
    rationale: str
    starts_enquiry: bool
    enquiry_started_on: date | None
    icpc_status: str
    icpc_due_on: date | None
    decided_at: datetime
    version: int


class DiscussionOut(BaseModel):
    id: int
    kind: str
    status: str
    referral_source: str
    referral_received_on: date | None
    referrer_words: str = Field(description="The referrer's concern exactly as given; never changed")
    urgency: str
    scheduled_at: datetime | None
    decided_at: datetime | None
    child_ids: list[int]
    decisions: list[DecisionOut]
    action_ids: list[int]
    version: int


class DiscussionPage(BaseModel):
    items: list[DiscussionOut]
    next_cursor: str | None


class ReferralIn(Strict):
    """A referral from another agency's system: opens a draft strategy discussion for MASH to convene."""

    child_ids: list[Id] = Field(min_length=1, max_length=10, description="Children this client may see (add or "
                                                                          "match them first)")
    referral_source: text(200, required=True)
    referral_received_on: Day
    reason: text(2000) = ""
    #: not stripped or changed in any way: kept as the referrer gave it
    referrer_words: Annotated[str, StringConstraints(min_length=1, max_length=50_000, pattern=PLAIN_TEXT)] = Field(
        description="The referrer's concern in their own words: kept exactly as sent, never changed")


class ActionOut(BaseModel):
    id: int
    discussion_id: int
    child_id: int | None
    description: str
    owner_agency_id: int
    due_at: datetime
    status: str
    completed_at: datetime | None
    version: int


class ActionPage(BaseModel):
    items: list[ActionOut]
    next_cursor: str | None


class ActionCompleteIn(Strict):
    completion_note: text(5000, required=True)


class DeadlineOut(BaseModel):
    kind: str
    label: str
    object_type: str
    object_id: int
    due_at: datetime
    overdue: bool
    child_id: int | None


class DeadlineList(BaseModel):
    items: list[DeadlineOut]


class DeadlineQuery(Strict):
    model_config = ConfigDict(extra="ignore")
    days: int = Field(7, ge=0, le=90, description="Deadlines due within this many days (and every overdue one)")


__all__ = ["normalise"]
