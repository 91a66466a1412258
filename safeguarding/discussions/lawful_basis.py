"""The lawful bases an agency may rely on when it shares information at a strategy discussion.

Pure data (no Flask, no database). The README lists them and the rule: every entry names one, chosen by the person
recording it; nothing is pre-selected, because a basis nobody chose is not a record of a decision.
"""
from __future__ import annotations

CONSENT = "consent"

LAWFUL_BASES: dict[str, str] = {
    "public_task": "UK GDPR Article 6(1)(e): public task",
    "legal_obligation": "UK GDPR Article 6(1)(c): legal obligation",
    "safeguarding": "UK GDPR Article 9(2)(g): substantial public interest, with DPA 2018 Schedule 1 paragraph 18 "
                    "(safeguarding of children and of individuals at risk)",
    "social_protection": "UK GDPR Article 9(2)(b), with DPA 2018 Schedule 1 paragraph 1 (social protection law)",
    "criminal_offence": "UK GDPR Article 10, with DPA 2018 section 10(5) and Schedule 1 (criminal offence data)",
    CONSENT: "Consent (only where appropriate)",
}

#: short forms for the discussion page and the minutes, where the full wording would crowd the entry
SHORT_LABELS: dict[str, str] = {
    "public_task": "Art. 6(1)(e) public task",
    "legal_obligation": "Art. 6(1)(c) legal obligation",
    "safeguarding": "Art. 9(2)(g) with DPA 2018 Sch. 1 para 18 (safeguarding)",
    "social_protection": "Art. 9(2)(b) with DPA 2018 Sch. 1 para 1 (social protection)",
    "criminal_offence": "Art. 10 with DPA 2018 s.10(5) (criminal offence data)",
    CONSENT: "Consent",
}

CONSENT_WARNING = ("Consent is rarely the right lawful basis in safeguarding: it must be freely given and can be "
                   "withdrawn, and information must still be shared without it where a child is at risk of harm. "
                   "Choose consent only where that is genuinely the basis.")

NOT_RECORDED = "Lawful basis not recorded (entered before it was asked)"


def label(key: str | None) -> str:
    return SHORT_LABELS.get(key, NOT_RECORDED) if key else NOT_RECORDED
