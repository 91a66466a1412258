"""Charts drawn on the server: an image with a title and description, patterns as well as colours, no inline
style (the CSP refuses it), and never without the table of the same figures."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from safeguarding import charts
from safeguarding.charts import Chart, Series

SVG = "{http://www.w3.org/2000/svg}"


def _chart(**overrides) -> Chart:
    data = dict(key="trend-x", title="Police attended, by quarter", description="Quarter by quarter.",
                category_heading="Quarter", categories=["Q1 2026", "Q2 2026", "Q3 2026"],
                series=[Series("Police attended (%)", [50, None, 100], ["50%", "[c]", "100%"])],
                table_columns=[("Counted", ["10", "[c]", "12"])])
    data.update(overrides)
    return Chart(**data)


def _svg(markup) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*</svg>", str(markup), re.S).group(0))


def test_the_svg_is_a_named_described_image_with_a_bar_per_shown_value():
    root = _svg(charts.svg(_chart()))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-x-title trend-x-desc"
    assert root.find(f"{SVG}title").text == "Police attended, by quarter"
    assert root.find(f"{SVG}title").get("id") == "trend-x-title"
    assert "The table after the chart gives the same figures." in root.find(f"{SVG}desc").text
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "app-chart__bar"]
    # 50% and 100%: the withheld value draws no bar, only its [c] label
    assert len(bars) == 2
    heights = sorted(float(b.get("height")) for b in bars)
    assert heights[1] == 2 * heights[0]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "[c]" in texts and "Q2 2026" in texts


def test_bars_are_filled_with_a_pattern_outlined_in_the_text_colour_and_no_inline_style():
    two = _chart(series=[Series("Invited", [4, 8, 6], ["4", "8", "6"]), Series("Attended", [2, 8, 3], ["2", "8", "3"])],
                 unit="discussions")
    markup = str(charts.render(two))
    root = _svg(markup)
    patterns = {p.get("id"): p for p in root.iter(f"{SVG}pattern")}
    assert set(patterns) == {"trend-x-pattern-0", "trend-x-pattern-1"}
    # each series has its own marks (hatch, dots), not only its own colour
    assert patterns["trend-x-pattern-0"].find(f"{SVG}path") is not None
    assert patterns["trend-x-pattern-1"].find(f"{SVG}circle") is not None
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "app-chart__bar"]
    assert {b.get("fill") for b in bars} == {"url(#trend-x-pattern-0)", "url(#trend-x-pattern-1)"}
    assert all(b.get("stroke") == "currentColor" for b in bars)
    # the legend names both series
    assert {"Invited", "Attended"} <= {t.text for t in root.iter(f"{SVG}text")}
    assert "style=" not in markup and "<script" not in markup
    # a count axis tops out at a round number above the largest value
    assert "10</text>" in markup


def test_render_always_puts_the_table_after_the_chart():
    markup = str(charts.render(_chart()))
    assert markup.index("<svg") < markup.index("<table")
    assert "<caption" in markup and '<th scope="row" class="govuk-table__header">Q2 2026</th>' in markup
    header, rows = charts.table_rows(_chart())
    assert header == ["Quarter", "Police attended (%)", "Counted"]
    assert rows[1] == ["Q2 2026", "[c]", "[c]"]


def test_text_is_escaped():
    markup = str(charts.render(_chart(title="<script>x</script>", categories=["<b>", "a&b", "c"])))
    assert "<script>x" not in markup and "&lt;script&gt;" in markup and "a&amp;b" in markup
    _svg(markup)  # still well-formed


def test_horizontal_chart_for_agencies():
    chart = _chart(horizontal=True, categories=["Testshire Police", "A very long agency name that goes on and on", "X"])
    root = _svg(charts.svg(chart))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Testshire Police" in texts
    assert any(t and t.endswith("\u2026") for t in texts)  # shortened in the chart; whole in the table
    assert "A very long agency name that goes on and on" in str(charts.table(chart))


def test_nice_ceiling():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 45, 101)] == [1, 1, 5, 10, 20, 50, 200]
