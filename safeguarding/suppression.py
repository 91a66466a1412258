"""Small-number suppression for every figures page: a count from 1 to 4 is withheld, as official statistics do.

Pure (no Flask, no database). The practice-learning report, the strategy discussion figures, the return home
interview figures and the professional differences figures all withhold numbers through these, so the page, its
charts and its CSVs show the same "[c]" in the same places.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: counts from 1 to SUPPRESS_BELOW - 1 are withheld, as official statistics do (never 0: a zero is a finding)
SUPPRESS_BELOW = 5
#: what a withheld number shows (the Government Statistical Service's symbol for "confidential")
SUPPRESSED = "[c]"
SUPPRESSION_NOTE = ("[c] means a number from 1 to 4, withheld (with any percentage worked out from it) so that "
                    "no child can be recognised from these figures, as official statistics do. Where it could be "
                    "worked out from a total, a second number is withheld with it.")


def is_suppressed(count: int | None) -> bool:
    return count is not None and 0 < count < SUPPRESS_BELOW


def shown(count: int | None) -> str:
    """A count as every output shows it: the number, or [c] when it is small enough to identify a child."""
    if count is None:
        return "–"
    return SUPPRESSED if is_suppressed(count) else str(count)


def withheld(counts: list[int]) -> list[bool]:
    """Which counts of a breakdown (groups that add up to a total the table gives away) are withheld: each from 1 to
    4 and, when that withholds just one, the smallest other count above 0 as well, so the one cannot be worked out
    by taking the others from the total (secondary suppression)."""
    hidden = [is_suppressed(n) for n in counts]
    if sum(hidden) == 1:
        others = [(n, i) for i, n in enumerate(counts) if n > 0 and not hidden[i]]
        if others:
            hidden[min(others)[1]] = True
    return hidden


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def share_text(part: int, whole: int, hidden: bool = False) -> str:
    """`part` as a percentage of `whole`: withheld with either number, "–" when there is no whole."""
    if not whole:
        return "–"
    if hidden or is_suppressed(part) or is_suppressed(whole):
        return SUPPRESSED
    return f"{percent(part, whole)}%"


@dataclass(frozen=True)
class Figure:
    """How many of the `counted` records met the standard (`met`)."""

    met: int = 0
    counted: int = 0

    @property
    def suppressed(self) -> bool:
        # Either number small enough to identify a child withholds the rate too: 3 of 4 is as telling as 3.
        return is_suppressed(self.met) or is_suppressed(self.counted)

    @property
    def rate(self) -> int | None:
        """The percentage to show, or None when there is nothing to show (no records, or withheld)."""
        return None if self.suppressed else percent(self.met, self.counted)

    @property
    def rate_text(self) -> str:
        if not self.counted:
            return "No records"
        return SUPPRESSED if self.suppressed else f"{self.rate}%"

    @property
    def text(self) -> str:
        """For example "12 of 40 (30%)", "[c] of 40 ([c])" or "No records"."""
        if not self.counted:
            return "No records"
        return f"{shown(self.met)} of {shown(self.counted)} ({self.rate_text})"


def trend_texts(figures: list["Figure"], adds_up: list[bool] | None = None
                ) -> list[tuple[str, str, str, int | None]]:
    """(met, counted, rate, the rate to draw or None) for each quarter of a trend. The quarters marked in `adds_up`
    add up to the period's figure shown above them (the period is exactly those quarters), so among them counts are
    withheld as a breakdown's are (`withheld`); a rate is withheld with either of its counts."""
    adds_up = adds_up or [False] * len(figures)
    hidden_met = [is_suppressed(f.met) for f in figures]
    hidden_counted = [is_suppressed(f.counted) for f in figures]
    inside = [i for i, flag in enumerate(adds_up) if flag]
    for hidden, values in ((hidden_met, [f.met for f in figures]), (hidden_counted, [f.counted for f in figures])):
        for i, flag in zip(inside, withheld([values[i] for i in inside]), strict=True):
            hidden[i] = hidden[i] or flag
    out = []
    for f, no_met, no_counted in zip(figures, hidden_met, hidden_counted, strict=True):
        met = SUPPRESSED if no_met else str(f.met)
        counted = SUPPRESSED if no_counted else str(f.counted)
        if not f.counted:
            out.append((met, counted, "–", None))
        elif no_met or no_counted:
            out.append((met, counted, SUPPRESSED, None))
        else:
            out.append((met, counted, f"{percent(f.met, f.counted)}%", percent(f.met, f.counted)))
    return out


def adds_up_to_period(quarters: list, start: date, end: date) -> list[bool]:
    """Which quarters (`periods.Quarter`) add up to the period's figure: all those inside it, when it is exactly
    whole quarters."""
    inside = [start <= q.start and q.end <= end for q in quarters]
    covered = [q for q, flag in zip(quarters, inside, strict=True) if flag]
    exact = bool(covered) and covered[0].start == start and covered[-1].end == end
    return inside if exact else [False] * len(quarters)
