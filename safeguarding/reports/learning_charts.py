"""The practice-learning report's figures as charts (each with its table), small numbers already withheld."""
from __future__ import annotations

from ..charts import Chart, Series
from . import learning_rules as rules


def trend_chart(answer, start, end) -> Chart:
    q = answer.question
    quarters = [quarter for quarter, _ in answer.trend]
    texts = rules.trend_texts([figure for _, figure in answer.trend], rules.adds_up_to_period(quarters, start, end))
    return Chart(
        key=f"trend-{q.key}",
        title=f"{q.measure}, by quarter",
        description=(f"Bar chart of the percentage for each of the last {len(texts)} quarters: "
                     + "; ".join(f"{quarter.label}: {rate}" for (quarter, _), (_, _, rate, _) in
                                 zip(answer.trend, texts, strict=True)) + "."),
        category_heading="Quarter",
        categories=[quarter.short_label for quarter, _ in answer.trend],
        series=[Series(f"{q.measure} (%)", [value for *_, value in texts], [rate for _, _, rate, _ in texts])],
        table_columns=[(q.measure, [met for met, *_ in texts]), ("Counted", [counted for _, counted, *_ in texts])],
        caption=f"{q.measure}, by quarter: the figures")


def agency_chart(agencies) -> Chart:
    """Attendance by agency, for the period: each agency's invitations, and how many it attended."""
    figures = [rules.Figure(a.attended, a.invited) for a in agencies]
    return Chart(
        key="agency-attendance",
        title="Attendance at strategy discussions, by agency",
        description="Horizontal bar chart of the percentage of invitations each agency attended: "
                    + "; ".join(f"{a.name}: {f.rate_text}" for a, f in zip(agencies, figures, strict=True)) + ".",
        category_heading="Agency",
        categories=[a.name for a in agencies],
        series=[Series("Attended (% of invited)", [f.rate for f in figures],
                       [f.rate_text if f.counted else "Not invited" for f in figures])],
        table_columns=[("Attended", [rules.shown(f.met) for f in figures]),
                       ("Invited", [rules.shown(f.counted) for f in figures])],
        horizontal=True, caption="Attendance by agency: the figures")


def stage_chart(stages: list[tuple[int, rules.Figure]]) -> Chart:
    return Chart(
        key="difference-stages",
        title="Stages of professional differences closed within their timescale",
        description="Horizontal bar chart of the percentage of each stage closed by its due time: "
                    + "; ".join(f"stage {n}: {f.rate_text}" for n, f in stages) + ".",
        category_heading="Stage",
        categories=[f"Stage {n}" for n, _ in stages],
        series=[Series("Closed in time (%)", [f.rate for _, f in stages], [f.rate_text for _, f in stages])],
        table_columns=[("Closed in time", [rules.shown(f.met) for _, f in stages]),
                       ("Closed", [rules.shown(f.counted) for _, f in stages])],
        horizontal=True, caption="Stages closed within their timescale: the figures")


def breakdown_chart(breakdown) -> Chart:
    """Children discussed by age band, sex, ethnicity or disability: how many in each group, their share of all the
    children discussed, and how many had a section 47 enquiry decided. The groups add up to the children discussed,
    so small groups are withheld with a second one where needed (learning_rules.withheld)."""
    counts = [n for _, n in breakdown.children]
    started = [n for _, n in breakdown.section_47]
    total = sum(counts)
    hidden, hidden_started = rules.withheld(counts), rules.withheld(started)
    shown = [rules.SUPPRESSED if h else str(n) for n, h in zip(counts, hidden, strict=True)]
    return Chart(
        key=f"breakdown-{breakdown.key}", title=breakdown.title,
        description="Horizontal bar chart of the number of children in each group: "
                    + "; ".join(f"{label}: {text}" for (label, _), text in zip(breakdown.children, shown,
                                                                                strict=True)) + ".",
        category_heading=breakdown.heading, categories=[label for label, _ in breakdown.children],
        series=[Series("Children discussed", [None if h else float(n) for n, h in zip(counts, hidden, strict=True)],
                       shown)],
        table_columns=[("Share of children discussed",
                        [rules.SUPPRESSED if h else (f"{rules.percent(n, total)}%" if total else "–")
                         for n, h in zip(counts, hidden, strict=True)]),
                       ("Of whom a section 47 enquiry",
                        [rules.SUPPRESSED if h else str(n) for n, h in zip(started, hidden_started, strict=True)])],
        unit="children", horizontal=True, caption=f"{breakdown.title}: the figures")
