"""A first draft of the minutes, written from what the discussion already recorded.

Everything in it was typed once already (attendance, information shared, each child's voice and decision,
actions, dissent); typing it again is where the record and the minutes drift apart. The chair edits the draft and
agrees it as usual. Only what was recorded goes in: an answer not given is written "not recorded", never guessed.
"""
from __future__ import annotations

from ..clock import to_london
from . import lawful_basis
from .models import (ATTENDANCE, FAMILY_TOLD, LEGAL_ACTIONS, MODES, NOT_DECIDED, NOT_DECIDED_LABEL, TOPICS,
                     YES_NO_UNDECIDED)
from .thresholds import OUTCOMES


def _when(value) -> str:
    return to_london(value).strftime("%-d %B %Y at %H:%M") if value else "not recorded"


def _answer(labels: dict, value: str | None) -> str:
    if value == NOT_DECIDED:
        return NOT_DECIDED_LABEL.lower() + " (still to decide)"
    return labels.get(value or "", value or "not recorded")


def _person(inv) -> str:
    name = inv.user.name if inv.user else inv.person_name
    role = inv.role or (inv.user.job_title if inv.user else "")
    who = ", ".join(p for p in (name, role) if p) or "no named person recorded"
    return f"{who} ({inv.agency.name})"


def draft(sd) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"STRATEGY DISCUSSION: {sd.title}")
    add(f"Held: {_when(sd.scheduled_at)}, {MODES.get(sd.mode, sd.mode or 'how not recorded').lower()}"
        + (f"; ended {_when(sd.ended_at)}" if getattr(sd, "ended_at", None) else ""))
    add(f"Chair: {sd.chair.name + ', ' + sd.chair.job_title if sd.chair else 'not recorded'}")
    add("")
    add("WHY IT WAS HELD")
    add(sd.reason or "not recorded")
    if sd.referrer_words:
        add(f"The referrer ({sd.referral_source or 'not recorded'}) said: \u201c{sd.referrer_words}\u201d")
    add("")
    add("ATTENDANCE")
    for status in ("attended", "apologies", "information_sent", "invited", "not_invited"):
        group = [inv for inv in sd.invitations if inv.status == status]
        if group:
            add(f"{ATTENDANCE.get(status, status)}:")
            for inv in group:
                add(f"- {_person(inv)}" + (f": {inv.reason}" if inv.reason else ""))
    add("")
    add("INFORMATION SHARED")
    if not sd.information:
        add("None recorded.")
    for item in sd.information:
        about = item.child.display_name if item.child else "all the children"
        if item.nothing_held:
            add(f"{item.agency.name} ({TOPICS.get(item.topic, item.topic)}, about {about}): checked, nothing held"
                + (f" (checked by {item.shared_by})" if item.shared_by else ""))
            continue
        add(f"{item.agency.name} ({TOPICS.get(item.topic, item.topic)}, about {about})"
            + (f", shared by {item.shared_by}" if item.shared_by else "") + f": {item.text}"
            + f" [{lawful_basis.label(item.lawful_basis)}]")
    decisions = {d.child_id: d for d in sd.decisions}
    for link in sd.children:
        child = link.child
        add("")
        add(f"{child.display_name.upper()}")
        if link.child_seen == "yes":
            seen = f"Seen{' alone' if link.seen_alone == 'yes' else ''}"
            seen += f" on {link.seen_on:%-d %B %Y}" if link.seen_on else ""
            seen += f" by {link.seen_by}" if link.seen_by else ""
            add(f"{seen}.")
        elif link.child_seen == "no":
            add(f"Not seen: {link.not_seen_reason or 'reason not recorded'}.")
        else:
            add("Whether the child was seen: not recorded.")
        add(f"What the child said: \u201c{link.child_said}\u201d" if link.child_said else
            "What the child said: not recorded.")
        decision = decisions.get(child.id)
        if decision is None:
            add("Decision: not yet recorded.")
            continue
        add(f"Decision: {OUTCOMES.get(decision.outcome, decision.outcome)}.")
        add(f"Reasons: {decision.rationale}")
        add(f"ABE interview planned: {_answer(YES_NO_UNDECIDED, decision.abe_planned)}"
            + (f"; lead interviewer {decision.abe_lead_interviewer}" if decision.abe_lead_interviewer else ""))
        add(f"Intermediary considered: {_answer(YES_NO_UNDECIDED, decision.intermediary_considered)}"
            + (f" ({decision.intermediary_reason})" if decision.intermediary_reason else ""))
        add(f"Medical examination needed: {_answer(YES_NO_UNDECIDED, decision.medical_examination)}"
            + (f" ({decision.medical_details})" if decision.medical_details else ""))
        add(f"Legal action: {_answer(LEGAL_ACTIONS, decision.legal_action)}")
        told = _answer(FAMILY_TOLD, decision.family_told)
        detail = decision.family_told_when or decision.family_not_told_reason
        add(f"The family: {told}" + (f" ({detail})" if detail else ""))
        if decision.interim_safety_plan:
            add(f"Interim safety plan: {decision.interim_safety_plan}")
    add("")
    add("AGREED ACTIONS")
    if not sd.actions:
        add("None recorded.")
    for action in sd.actions:
        owner = f"{action.owner.name} ({action.owner_agency.name})" if action.owner else "no owner"
        add(f"- {action.description} \u2014 {owner}, due {_when(action.due_at)}")
    if sd.dissents:
        add("")
        add("RECORDED DISAGREEMENT")
        for dissent in sd.dissents:
            add(f"- {dissent.person_name} ({dissent.agency.name}): {dissent.text}")
    return "\n".join(lines) + "\n"
