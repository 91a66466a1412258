"""The return home interview and police protection figures as charts, each followed by its table, small numbers
withheld (`..suppression`): the page, its charts and its CSVs are all made from these.

Pure: no Flask, no database. The months of the period add up to its "Whole period" row, so within each column the
months are withheld as a breakdown's groups are (a second with a lone small one).
"""
from __future__ import annotations

from datetime import date

from ..charts import Chart, Series
from ..periods import Quarter
from ..suppression import SUPPRESSED, Figure, adds_up_to_period, is_suppressed, percent, trend_texts, withheld

WHOLE_PERIOD = "Whole period"
#: a vertical chart has room for this many groups of bars; more are drawn across
VERTICAL_UP_TO = 7
#: (attribute of services.MonthFigures, column heading), in the table's order; short, as the chart's legend is
#: one line
INTERVIEW_COUNTS = [("offered", "Offered"), ("accepted", "Accepted"), ("completed", "Completed"),
                    ("in_time", "In 72 hours")]


def _month(day: date) -> str:
    return day.strftime("%b %Y")


def _column(months: list[int], whole: int) -> tuple[list[str], list[bool]]:
    """A column's texts (each month, then the whole period) and which are withheld."""
    hidden = withheld(months) + [is_suppressed(whole)]
    counts = months + [whole]
    return [SUPPRESSED if h else str(n) for n, h in zip(counts, hidden, strict=True)], hidden


def _rate(part: int, whole: int, hidden: bool) -> tuple[int | None, str]:
    """The bar's height and label: withheld with either count."""
    if not whole:
        return None, "–"
    if hidden:
        return None, SUPPRESSED
    return percent(part, whole), f"{percent(part, whole)}%"


def return_interviews(months, total) -> Chart:
    """Of the children who returned each month, the share offered, accepting, having and having in time an
    interview (bars), with the counts in the table."""
    rows = months + [total]
    categories = [_month(m.month) for m in months] + [WHOLE_PERIOD]
    returns, returns_hidden = _column([m.returns for m in months], total.returns)
    series, columns = [], [("Returns", returns)]
    for key, label in INTERVIEW_COUNTS:
        texts, hidden = _column([getattr(m, key) for m in months], getattr(total, key))
        rates = [_rate(getattr(row, key), row.returns, h or whole_hidden)
                 for row, h, whole_hidden in zip(rows, hidden, returns_hidden, strict=True)]
        series.append(Series(f"{label} (%)", [value for value, _ in rates], [text for _, text in rates]))
        columns.append((label, texts))
    within = series[-1]
    return Chart(
        key="return-interviews", title="Return home interviews, by the month the child returned (% of returns)",
        description="Bar chart of the percentage of returns offered an interview, accepting one, having one and "
                    "having one completed within 72 hours (In 72 hours), for each month and the whole period. "
                    "In 72 hours: "
                    + "; ".join(f"{c}: {t}" for c, t in zip(categories, within.labels, strict=True)) + ".",
        category_heading="Month returned", categories=categories, series=series, table_columns=columns,
        horizontal=len(categories) > VERTICAL_UP_TO, caption="Return home interviews: the figures")


def interviews_by_quarter(trend: list[tuple[Quarter, int, int]], start: date, end: date) -> Chart:
    """The share of returns with an interview within 72 hours, for the last quarters: the trend."""
    quarters = [q for q, _, _ in trend]
    texts = trend_texts([Figure(met, returns) for _, returns, met in trend], adds_up_to_period(quarters, start, end))
    return Chart(
        key="interviews-by-quarter", title="Return home interviews completed within 72 hours, by quarter",
        description=f"Bar chart of the percentage of returns with an interview completed within 72 hours, for each "
                    f"of the last {len(trend)} quarters: "
                    + "; ".join(f"{q.label}: {rate}" for q, (_, _, rate, _) in zip(quarters, texts, strict=True))
                    + ".",
        category_heading="Quarter the child returned", categories=[q.short_label for q in quarters],
        series=[Series("Within 72 hours (% of returns)", [value for *_, value in texts],
                       [rate for _, _, rate, _ in texts])],
        table_columns=[("Completed within 72 hours", [met for met, *_ in texts]),
                       ("Returns", [counted for _, counted, *_ in texts])],
        caption="Return home interviews completed within 72 hours, by quarter: the figures")


def police_protection(months, total) -> Chart:
    categories = [_month(m.month) for m in months] + [WHOLE_PERIOD]
    began, began_hidden = _column([m.began for m in months], total.began)
    over, over_hidden = _column([m.over_72_hours for m in months], total.over_72_hours)
    counts = [m.began for m in months] + [total.began], [m.over_72_hours for m in months] + [total.over_72_hours]
    return Chart(
        key="police-protection", title="Police protection, by the month it began",
        description="Bar chart of the number of police protections that began in each month and the whole period, "
                    "and how many lasted more than 72 hours: "
                    + "; ".join(f"{c}: {b} began, {o} more than 72 hours" for c, b, o in
                                zip(categories, began, over, strict=True)) + ".",
        category_heading="Month it began", categories=categories,
        series=[Series("Police protections", [None if h else float(n) for n, h in
                                              zip(counts[0], began_hidden, strict=True)], began),
                Series("Lasted more than 72 hours", [None if h else float(n) for n, h in
                                                     zip(counts[1], over_hidden, strict=True)], over)],
        unit="police protections", horizontal=len(categories) > VERTICAL_UP_TO,
        caption="Police protection: the figures")


def all_charts(months, total, trend, pp_months, pp_total, start: date, end: date) -> dict[str, Chart]:
    return {chart.key: chart for chart in (return_interviews(months, total), interviews_by_quarter(trend, start, end),
                                           police_protection(pp_months, pp_total))}

