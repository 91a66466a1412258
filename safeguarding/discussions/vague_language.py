"""Stock phrases that hide risk, and a pure function that finds them in what someone wrote.

Serious case reviews found vivid first-hand words ("unsanitary with a foul smell and a fire hazard") turned
into "poor home conditions" by the time they reached the minutes. We flag such phrases and ask the writer to
describe what was actually seen; we never block saving. The list a partnership uses is kept in the
`vague_phrase` table (editable by administrators and managers); DEFAULT_PHRASES is what it starts with.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

HINT = "Describe what was actually seen, heard or said, by whom and when, instead of a general phrase."

DEFAULT_PHRASES: tuple[str, ...] = (
    "poor home conditions",
    "home conditions were poor",
    "home conditions poor",
    "appeared fine",
    "appeared well",
    "seemed fine",
    "no concerns",
    "no concerns noted",
    "usual presentation",
    "presented as usual",
    "lifestyle choice",
    "lifestyle choices",
    "putting themselves at risk",
    "putting himself at risk",
    "putting herself at risk",
    "parenting issue",
    "parenting issues",
    "low level concerns",
    "historical concerns",
    "engaged well",
    "good relationship",
    "chaotic lifestyle",
    "known to services",
)


@dataclass(frozen=True)
class Match:
    phrase: str
    #: the words as the writer typed them
    found: str
    start: int
    end: int


def normalise(phrase: str) -> str:
    return " ".join(phrase.lower().split())


def _pattern(phrase: str) -> re.Pattern:
    words = [re.escape(w) for w in normalise(phrase).split()]
    # Whole words, any run of whitespace between them, any letter case.
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=16)
def _patterns(phrases: tuple[str, ...]) -> tuple[tuple[str, re.Pattern], ...]:
    """The list's phrases, longest first (then alphabetically, so that the same list flags the same way in every
    process), each with its pattern: built once per list, not once per text (a discussion's page flags every
    agency's entry)."""
    wanted = sorted({normalise(p) for p in phrases if p and p.strip()}, key=lambda p: (-len(p), p))
    return tuple((phrase, _pattern(phrase)) for phrase in wanted)


def flag(text: str | None, phrases: Iterable[str] = DEFAULT_PHRASES) -> list[Match]:
    """Every stock phrase found in `text`, in the order written; a longer phrase wins over one inside it."""
    if not text:
        return []
    found: list[Match] = []
    for phrase, pattern in _patterns(tuple(phrases)):
        for m in pattern.finditer(text):
            if any(m.start() < other.end and other.start < m.end() for other in found):
                continue
            found.append(Match(phrase=phrase, found=m.group(0), start=m.start(), end=m.end()))
    return sorted(found, key=lambda m: m.start)


def phrases_found(text: str | None, phrases: Iterable[str] = DEFAULT_PHRASES) -> list[str]:
    """The distinct phrases found, as the writer typed them, for a hint such as 'You wrote "appeared fine"'."""
    seen: list[str] = []
    for m in flag(text, phrases):
        if m.found not in seen:
            seen.append(m.found)
    return seen
