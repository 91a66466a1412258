"""Where a child's personal data sits outside the child row: each table, how it reaches the child, and its free
text. Retention blanks these columns and keeps the rows, so every count the partnership reports stays the same.

Listed here rather than registered by each feature: anonymisation must reach every table or it is not
anonymisation, and one list is easy to check against the models (tests/test_retention.py does).
"""
from __future__ import annotations

from ..children.models import BreakGlass, ChildAccess, FamilyAdversity
from ..differences.models import DifferenceStage, ProfessionalDifference
from ..discussions.models import (AgreedAction, ChildRemoval, DiscussionChild, Dissent, InformationShared,
                                  MinutesVersion, StrategyDiscussion, ThresholdDecision)
from ..missing.models import (Arrest, DiscussionPrompt, EmergencyProtectionOrder, MissingEpisode, PoliceProtection,
                              PreventionInterview, ReturnInterview, RhiOffer, RiskGrading)

#: (model, free-text columns) for rows with their own child_id
BY_CHILD = [
    (FamilyAdversity, ("note",)),
    #: why someone opened the record: usually says what was happening to the child
    (BreakGlass, ("reason",)),
    (ChildAccess, ()),
    (MissingEpisode, ("missing_from_detail", "circumstances", "found_where", "returned_by")),
    (ReturnInterview, ("why_left", "where_and_with_whom", "harm", "health_needs", "support_and_referrals",
                       "not_held_reason")),
    (PoliceProtection, ("reason", "end_note", "breach_reason")),
    (EmergencyProtectionOrder, ()),
    (Arrest, ("note",)),
    (DiscussionPrompt, ("close_note",)),
    (DiscussionChild, ("alleged_perpetrator", "child_said", "not_seen_reason")),
    (ChildRemoval, ("reason",)),
    (InformationShared, ("text",)),
    (ThresholdDecision, ("rationale", "intermediary_reason", "medical_details", "family_not_told_reason",
                         "interim_safety_plan", "icpc_late_reason", "enquiry_outcome_reason")),
    (AgreedAction, ("description", "cancel_reason", "completion_note")),
    (ProfessionalDifference, ("about", "concern", "outcome_sought")),
]

#: (model, its foreign key, the parent with the child_id, free-text columns) for rows that reach the child
#: through another row
THROUGH_PARENT = [
    (RiskGrading, "episode_id", MissingEpisode, ("reason",)),
    (PreventionInterview, "episode_id", MissingEpisode, ("note",)),
    (RhiOffer, "return_interview_id", ReturnInterview, ("note",)),
    (DifferenceStage, "difference_id", ProfessionalDifference, ("skip_reason", "discussion", "agreed_plan")),
]

#: what a discussion says about all its children: blanked once every child in it has been anonymised
DISCUSSION_TEXT = ("reason", "referrer_words", "referrer_summary", "linked_note", "minimum_agency_reason",
                   "cancelled_reason")
#: (model, free-text columns) of rows belonging to the whole discussion; InformationShared and AgreedAction
#: rows about "all the children" (no child_id) are blanked with them
BY_DISCUSSION = [
    (MinutesVersion, ("text",)),
    (Dissent, ("text",)),
    (InformationShared, ("text",)),
    (AgreedAction, ("description", "cancel_reason", "completion_note")),
]

DISCUSSION = StrategyDiscussion
