"""Bar charts drawn on the server as SVG, always with the table of the same figures beside them.

`render(chart)` returns one <figure>: the SVG (role="img", its <title> and <desc> say what it shows and that the
table holds the figures) followed by the table, so no page can show a chart without its table. Bars are filled
with a pattern as well as a colour (they read in greyscale print and to people who cannot tell the colours
apart), outlined in currentColor, and coloured by classes in static/app.css, where forced-colours mode swaps them
for system colours. No inline style or script: the content security policy allows neither.

Pure: no Flask, no database; markupsafe only, to escape text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

#: one pattern per series, in order: diagonal hatch, dots, cross-hatch, horizontal lines
PATTERNS = ("hatch", "dots", "cross", "lines")
_PATTERN_MARKS = {
    "hatch": '<path class="app-chart__mark" d="M-2,2 l4,-4 M0,10 l10,-10 M8,12 l4,-4"/>',
    "dots": '<circle class="app-chart__mark app-chart__mark--dot" cx="5" cy="5" r="1.8"/>',
    "cross": '<path class="app-chart__mark" d="M0,0 L10,10 M10,0 L0,10"/>',
    "lines": '<path class="app-chart__mark" d="M0,5 H10"/>',
}
WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 24, 46
BAR_GAP = 0.3  # of each category's width


@dataclass
class Series:
    name: str
    #: the bar's height in the chart's unit, or None for no bar (a withheld number, or nothing to show)
    values: list[float | None]
    #: what the table and the bar's label say: "40%", "[c]", "No records"
    labels: list[str]


@dataclass
class Chart:
    key: str  # unique on the page: ids of the title, description and patterns start with it
    title: str
    description: str
    category_heading: str
    categories: list[str]
    series: list[Series]
    #: "%" draws on a 0-100 scale; anything else on a scale from 0 to the largest value
    unit: str = "%"
    horizontal: bool = False
    #: columns shown in the table only (e.g. "12 of 40"), after the series
    table_columns: list[tuple[str, list[str]]] = field(default_factory=list)
    caption: str = ""

    @property
    def top(self) -> float:
        if self.unit == "%":
            return 100.0
        largest = max((v for s in self.series for v in s.values if v is not None), default=0)
        return float(nice_ceiling(largest))


def nice_ceiling(value: float) -> int:
    """The axis top: the value rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    power = 1
    while power * 10 < value:
        power *= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _defs(chart: Chart) -> str:
    out = []
    for index, _ in enumerate(chart.series):
        pattern = PATTERNS[index % len(PATTERNS)]
        out.append(f'<pattern id="{chart.key}-pattern-{index}" patternUnits="userSpaceOnUse" width="10" '
                   f'height="10"><rect class="app-chart__swatch app-chart__swatch--{index % len(PATTERNS)}" '
                   f'width="10" height="10" fill="currentColor"/>{_PATTERN_MARKS[pattern]}</pattern>')
    return "<defs>" + "".join(out) + "</defs>"


def _legend(chart: Chart, y: float) -> tuple[str, float]:
    if len(chart.series) < 2:
        return "", y
    parts, x = [], LEFT
    for index, series in enumerate(chart.series):
        parts.append(f'<rect class="app-chart__bar" x="{x}" y="{_fmt(y)}" width="14" height="14" '
                     f'fill="url(#{chart.key}-pattern-{index})" stroke="currentColor"/>'
                     f'<text class="app-chart__text" x="{x + 20}" y="{_fmt(y + 12)}">{escape(series.name)}</text>')
        x += 40 + 8 * len(series.name)
    return "".join(parts), y + 24


def _vertical(chart: Chart) -> tuple[str, int]:
    plot_height = 180
    height = TOP + plot_height + BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    top = chart.top
    slot = plot_width / max(1, len(chart.categories))
    bar_width = slot * (1 - BAR_GAP) / max(1, len(chart.series))
    parts = []
    for tick in (0, top / 2, top):
        y = TOP + plot_height - plot_height * tick / top
        parts.append(f'<line class="app-chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" '
                     f'y2="{_fmt(y)}" stroke="currentColor"/>'
                     f'<text class="app-chart__text" x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">'
                     f'{_fmt(tick)}{escape(chart.unit) if chart.unit == "%" else ""}</text>')
    for c_index, category in enumerate(chart.categories):
        x0 = LEFT + slot * c_index + slot * BAR_GAP / 2
        for s_index, series in enumerate(chart.series):
            value, label = series.values[c_index], series.labels[c_index]
            x = x0 + bar_width * s_index
            bar_height = plot_height * (value or 0) / top if value is not None else 0
            y = TOP + plot_height - bar_height
            if value is not None and bar_height > 0:
                parts.append(f'<rect class="app-chart__bar" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(bar_width)}" '
                             f'height="{_fmt(bar_height)}" fill="url(#{chart.key}-pattern-{s_index})" '
                             f'stroke="currentColor"/>')
            parts.append(f'<text class="app-chart__text app-chart__value" x="{_fmt(x + bar_width / 2)}" '
                         f'y="{_fmt(y - 4)}" text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text class="app-chart__text" x="{_fmt(LEFT + slot * (c_index + 0.5))}" '
                     f'y="{TOP + plot_height + 18}" text-anchor="middle">{escape(category)}</text>')
    legend, _ = _legend(chart, TOP + plot_height + 26)
    parts.append(legend)
    parts.append(f'<line class="app-chart__axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_height}" '
                 f'y2="{TOP + plot_height}" stroke="currentColor"/>')
    return "".join(parts), height


def _horizontal(chart: Chart) -> tuple[str, int]:
    label_width = 220
    row = 18 * len(chart.series) + 10
    plot_left, plot_width = label_width, WIDTH - label_width - RIGHT - 60
    height = TOP + row * len(chart.categories) + (34 if len(chart.series) > 1 else 10)
    top = chart.top
    parts = []
    for c_index, category in enumerate(chart.categories):
        y0 = TOP + row * c_index
        name = category if len(category) <= 32 else category[:31] + "\u2026"
        parts.append(f'<text class="app-chart__text" x="{plot_left - 8}" y="{y0 + row / 2 + 2:.1f}" '
                     f'text-anchor="end">{escape(name)}</text>')
        for s_index, series in enumerate(chart.series):
            value, label = series.values[c_index], series.labels[c_index]
            y = y0 + 5 + 18 * s_index
            width = plot_width * (value or 0) / top if value is not None else 0
            if value is not None and width > 0:
                parts.append(f'<rect class="app-chart__bar" x="{plot_left}" y="{y}" width="{_fmt(width)}" '
                             f'height="14" fill="url(#{chart.key}-pattern-{s_index})" stroke="currentColor"/>')
            parts.append(f'<text class="app-chart__text app-chart__value" x="{_fmt(plot_left + width + 6)}" '
                         f'y="{y + 12}">{escape(label)}</text>')
    parts.append(f'<line class="app-chart__axis" x1="{plot_left}" x2="{plot_left}" y1="{TOP - 4}" '
                 f'y2="{TOP + row * len(chart.categories)}" stroke="currentColor"/>')
    legend, _ = _legend(chart, TOP + row * len(chart.categories) + 10)
    parts.append(legend)
    return "".join(parts), height


def svg(chart: Chart) -> Markup:
    body, height = (_horizontal if chart.horizontal else _vertical)(chart)
    title_id, desc_id = f"{chart.key}-title", f"{chart.key}-desc"
    # Every text in it went through escape() (bandit B704)
    return Markup(  # nosec B704
        f'<svg class="app-chart" role="img" aria-labelledby="{title_id} {desc_id}" focusable="false" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(chart.title)}</title><desc id="{desc_id}">{escape(chart.description)} '
        f'The table after the chart gives the same figures.</desc>{_defs(chart)}{body}</svg>')


def table_rows(chart: Chart) -> tuple[list[str], list[list[str]]]:
    """The chart's figures as a header and rows: the HTML table and the CSV download are both made from these."""
    header = [chart.category_heading] + [s.name for s in chart.series] + [name for name, _ in chart.table_columns]
    rows = [[category] + [s.labels[index] for s in chart.series] + [values[index] for _, values in chart.table_columns]
            for index, category in enumerate(chart.categories)]
    return header, rows


def table(chart: Chart) -> Markup:
    header, body = table_rows(chart)
    head = "".join(f'<th scope="col" class="govuk-table__header govuk-table__header--numeric">{escape(h)}</th>'
                   for h in header[1:])
    rows = []
    for category, *cells in body:
        rows.append('<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
                    f'{escape(category)}</th>'
                    + "".join(f'<td class="govuk-table__cell govuk-table__cell--numeric">{escape(c)}</td>'
                              for c in cells) + "</tr>")
    # Every text in it went through escape() (bandit B704)
    return Markup(  # nosec B704
        f'<div class="app-table-scroll" role="region" aria-label="{escape(chart.title)}: table" tabindex="0">'
        f'<table class="govuk-table app-chart-table"><caption class="govuk-table__caption govuk-table__caption--s">'
        f'{escape(chart.caption or chart.title)}</caption>'
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">'
        f'<th scope="col" class="govuk-table__header">{escape(chart.category_heading)}</th>{head}</tr></thead>'
        f'<tbody class="govuk-table__body">{"".join(rows)}</tbody></table></div>')


def render(chart: Chart) -> Markup:
    """The chart and, after it, its table: the table is the accessible source and what prints without colour."""
    # svg() and table() escape every text; the key is the code's own
    return Markup(f'<figure class="app-chart-figure" id="{chart.key}">{svg(chart)}{table(chart)}</figure>')  # nosec B704
