"""The strategy discussion figures (the Reports page) as charts and tables, small numbers withheld.

Presentation only: `figures.compute` counts; this turns its Report into the charts the page draws (each followed by
its table, `charts.render`), the tables it shows without a chart (`charts.table`) and the CSV of each
(`charts.table_rows`), so the page and its downloads withhold the same numbers (`..suppression`).
"""
from __future__ import annotations

from ..charts import Chart, Series
from ..suppression import SUPPRESSED, Figure, share_text, shown, withheld
from .figures import ICPC_STATUS, Report

#: the answers an invitation can have, in the order the attendance table shows them (they add up to "Invited")
ANSWERS = [("attended", "Attended"), ("information_sent", "Sent information instead"), ("apologies", "Apologies"),
           ("not_known", "Not recorded")]


def _bars(counts: list[int], hidden: list[bool]) -> tuple[list[float | None], list[str]]:
    return ([None if h else float(n) for n, h in zip(counts, hidden, strict=True)],
            [SUPPRESSED if h else str(n) for n, h in zip(counts, hidden, strict=True)])


def _describe(categories: list[str], texts: list[str]) -> str:
    return "; ".join(f"{c}: {t}" for c, t in zip(categories, texts, strict=True)) + "."


def minimum_agencies(report: Report) -> Chart:
    figures = [Figure(m.attended, m.held) for m in report.minimum]
    labels = [m.label for m in report.minimum]
    return Chart(
        key="minimum-agencies", title="The three minimum agencies at the discussions held",
        description="Bar chart of the percentage of discussions held that each agency attended: "
                    + _describe(labels, [f.rate_text for f in figures]),
        category_heading="Agency", categories=labels,
        series=[Series("Attended (% of discussions held)", [f.rate for f in figures],
                       [f.rate_text for f in figures])],
        table_columns=[("Attended", [shown(m.attended) for m in report.minimum]),
                       ("Discussions held", [shown(m.held) for m in report.minimum]),
                       ("Not invited", [shown(m.not_invited) for m in report.minimum])],
        caption="Police, children's social care and health at the discussions held: the figures")


def attendance(report: Report) -> Chart:
    """Each agency's answers to its invitations. An agency's answers add up to its invitations, which the table
    gives, so they are withheld as a breakdown's are (a second one with a lone small one)."""
    names = [a.name for a in report.agencies]
    hidden = [withheld([getattr(a, key) for key, _ in ANSWERS]) for a in report.agencies]
    series = []
    for index, (key, label) in enumerate(ANSWERS):
        counts = [getattr(a, key) for a in report.agencies]
        values, texts = _bars(counts, [row[index] for row in hidden])
        series.append(Series(label, values, texts))
    return Chart(
        key="attendance-by-agency", title="Attendance at strategy discussions, by agency",
        description="Horizontal bar chart of each agency's answers to its invitations (attended, sent information "
                    "instead, apologies, not recorded), as numbers of discussions: "
                    + _describe(names, [f"attended {t}" for t in series[0].labels]),
        category_heading="Agency", categories=names, series=series,
        table_columns=[("Invited", [shown(a.invited) for a in report.agencies]),
                       ("Attended (% of invited)",
                        [share_text(a.attended, a.invited, row[0]) for a, row in zip(report.agencies, hidden,
                                                                                   strict=True)]),
                       ("Recorded as not invited", [shown(a.not_invited) for a in report.agencies])],
        unit="discussions", horizontal=True, caption="Attendance by agency: the figures")


def _breakdown(key: str, title: str, heading: str, rows: list[tuple[str, int]], total: int, unit: str) -> Chart:
    labels, counts = [label for label, _ in rows], [n for _, n in rows]
    hidden = withheld(counts)
    values, texts = _bars(counts, hidden)
    return Chart(
        key=key, title=title,
        description=f"Horizontal bar chart of the number of {unit} in each group: " + _describe(labels, texts),
        category_heading=heading, categories=labels, series=[Series(unit.capitalize(), values, texts)],
        table_columns=[("Share", [share_text(n, total, h) for n, h in zip(counts, hidden, strict=True)])],
        unit=unit, horizontal=True, caption=f"{title}: the figures")


def outcomes(report: Report) -> Chart:
    return _breakdown("outcomes-by-decision", "Threshold decisions, by decision", "Decision", report.outcomes,
                      report.decisions, "children")


def icpc(report: Report) -> Chart:
    rows = [(label, report.icpc_counts.get(key, 0)) for key, label in ICPC_STATUS.items()]
    return _breakdown("icpc-status", "Initial child protection conferences for the enquiries started",
                      "Conference", rows, report.section_47, "enquiries")


def actions(report: Report) -> Chart:
    """A table only: five numbers per agency read better as a table than as bars."""
    columns = [("Open, not yet due", "open"), ("Overdue", "overdue"), ("Done", "done"),
               ("Of which done late", "done_late"), ("Cancelled", "cancelled")]
    return Chart(
        key="actions-by-agency", title="Agreed actions, by owner's agency", description="", category_heading="Agency",
        categories=[a.name for a in report.actions], series=[],
        table_columns=[(label, [shown(getattr(a, key)) for a in report.actions]) for label, key in columns],
        unit="actions", caption="Agreed actions by owner's agency")


def all_charts(report: Report) -> dict[str, Chart]:
    """Every figures table of the page by its key: the page draws them and the CSV link of each serves its table."""
    return {chart.key: chart for chart in (minimum_agencies(report), attendance(report), outcomes(report),
                                           icpc(report), actions(report))}
