"""The professional differences figures as charts, each followed by its table, small numbers withheld
(`..suppression`): the page, its charts and its CSVs are all made from these.

Pure: no Flask, no database. Each difference is raised by one agency, against one, reaches one highest stage and has
one theme, so each of those tables adds up to the differences raised, which the page gives: its groups are withheld
as a breakdown's are (a second with a lone small one).
"""
from __future__ import annotations

from ..charts import Chart, Series
from ..suppression import SUPPRESSED, Figure, is_suppressed, share_text, shown, withheld
from .figures import Figures

STATUSES = [("open", "open"), ("resolved", "resolved"), ("withdrawn", "withdrawn")]


def _texts(counts: list[int], hidden: list[bool]) -> list[str]:
    return [SUPPRESSED if h else str(n) for n, h in zip(counts, hidden, strict=True)]


def _values(counts: list[int], hidden: list[bool]) -> list[float | None]:
    return [None if h else float(n) for n, h in zip(counts, hidden, strict=True)]


def _describe(categories: list[str], texts: list[str]) -> str:
    return "; ".join(f"{c}: {t}" for c, t in zip(categories, texts, strict=True)) + "."


def status_text(figures: Figures) -> str:
    """"12 (5 open, 7 resolved, 0 withdrawn)", with small numbers withheld."""
    counts = [figures.by_status.get(key, 0) for key, _ in STATUSES]
    texts = _texts(counts, withheld(counts))
    return (f"{shown(figures.total)} (" + ", ".join(f"{t} {label}" for t, (_, label) in zip(texts, STATUSES,
                                                                                            strict=True)) + ")")


def by_agency(figures: Figures) -> Chart:
    raised_by, against = dict(figures.raised_by), dict(figures.raised_against)
    names = sorted(set(raised_by) | set(against))
    by_counts, against_counts = [raised_by.get(n, 0) for n in names], [against.get(n, 0) for n in names]
    by_hidden, against_hidden = withheld(by_counts), withheld(against_counts)
    by_texts, against_texts = _texts(by_counts, by_hidden), _texts(against_counts, against_hidden)
    return Chart(
        key="by-agency", title="Professional differences, by agency",
        description="Horizontal bar chart of the number of differences each agency raised and had raised "
                    "against it: " + _describe(names, [f"raised {b}, against {a}" for b, a in
                                                        zip(by_texts, against_texts, strict=True)]),
        category_heading="Agency", categories=names,
        series=[Series("Raised by the agency", _values(by_counts, by_hidden), by_texts),
                Series("Raised against the agency", _values(against_counts, against_hidden), against_texts)],
        unit="differences", horizontal=True, caption="Differences by agency: the figures")


def _breakdown(key: str, title: str, heading: str, rows: list[tuple[str, int]], total: int) -> Chart:
    labels, counts = [label for label, _ in rows], [n for _, n in rows]
    hidden = withheld(counts)
    texts = _texts(counts, hidden)
    return Chart(
        key=key, title=title,
        description="Horizontal bar chart of the number of differences in each group: " + _describe(labels, texts),
        category_heading=heading, categories=labels, series=[Series("Differences", _values(counts, hidden), texts)],
        table_columns=[("Share of differences raised",
                        [share_text(n, total, h) for n, h in zip(counts, hidden, strict=True)])],
        unit="differences", horizontal=True, caption=f"{title}: the figures")


def highest_stage(figures: Figures) -> Chart:
    return _breakdown("highest-stage", "Highest stage reached", "Stage",
                      [(f"Stage {number}", count) for number, count in figures.highest_stage], figures.total)


def themes(figures: Figures) -> Chart:
    return _breakdown("themes", "Themes", "Theme", figures.themes, figures.total)


def stages_in_time(figures: Figures) -> Chart:
    stages = [(number, Figure(met, closed)) for number, closed, met in figures.stages_closed]
    return Chart(
        key="stages-in-time", title="Stages closed within their timescale",
        description="Horizontal bar chart of the percentage of each stage closed (resolved, escalated or withdrawn) "
                    "by its due time: " + _describe([f"stage {n}" for n, _ in stages],
                                                     [f.rate_text for _, f in stages]),
        category_heading="Stage", categories=[f"Stage {n}" for n, _ in stages],
        series=[Series("Closed in time (%)", [f.rate for _, f in stages], [f.rate_text for _, f in stages])],
        table_columns=[("Closed in time", [shown(f.met) for _, f in stages]),
                       ("Closed", [shown(f.counted) for _, f in stages])],
        horizontal=True, caption="Stages closed within their timescale: the figures")


def resolution(figures: Figures) -> Chart:
    """A table only. A median or longest time from 1 to 4 resolved differences tells of those differences, so they
    are withheld with the count."""
    few = is_suppressed(figures.resolved)

    def days(value) -> str:
        if value is None:
            return "None resolved yet"
        return SUPPRESSED if few else f"{value:g} working days"

    within = Figure(figures.resolved_within_timescales, figures.resolved)
    return Chart(
        key="resolution", title="Resolution of the differences raised", description="", category_heading="Measure",
        categories=["Resolved", "Resolved with every stage within its timescale", "Median time to resolution",
                    "Longest time to resolution"], series=[],
        table_columns=[("Figure", [shown(figures.resolved), within.text if figures.resolved else "0",
                                   days(figures.median_working_days_to_resolve),
                                   days(figures.longest_working_days_to_resolve)])],
        caption="Resolution of the differences raised")


def all_charts(figures: Figures) -> dict[str, Chart]:
    return {chart.key: chart for chart in (by_agency(figures), highest_stage(figures), stages_in_time(figures),
                                           resolution(figures), themes(figures))}
