"""The practice-learning report in a real Chromium: axe-core finds nothing, and with CSS off every chart is followed
by its table, in the order of the questions."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguarding.demo import seed
from safeguarding.reports import learning

from . import browser
from .browser import assert_accessible

pytestmark = pytest.mark.browser
DEMO = "harbour-quartz-thistle"
PERIOD = "start=1&start=1&start=2025&end=30&end=11&end=2026"


def _sign_in(page, email="mash@example.org"):
    browser.sign_in(page, email, DEMO)


def test_practice_learning_report_passes_axe_and_reads_without_css(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    _sign_in(page)
    page.goto("/reports/")
    page.get_by_role("link", name="Practice-learning report").click()
    expect(page).to_have_title(re.compile("^Practice-learning report"))
    assert_accessible(page)
    page.goto(f"/reports/practice-learning?{PERIOD}")
    expect(page.locator("#police-attended-figure")).to_contain_text("Police attended:")
    assert_accessible(page)
    page.emulate_media(media="print")
    assert_accessible(page)
    assert page.locator("main form.app-no-print").is_hidden()  # the period form does not print
    # A4 less its margins is about 680 CSS px: no chart or table wider than the paper
    page.set_viewport_size({"width": 680, "height": 1000})
    overflow = page.evaluate("""() => [...document.querySelectorAll('main svg, main table, main h2, main p')]
        .filter(e => e.getBoundingClientRect().right > 681).map(e => e.tagName + ': ' + e.textContent.slice(0, 40))""")
    assert overflow == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="screen")
    page.emulate_media(forced_colors="active")
    assert_accessible(page)
    page.emulate_media(forced_colors="none")

    # CSS off: every chart is an image with a name, directly followed by its table, in the questions' order.
    page.evaluate("() => document.querySelectorAll('link[rel=stylesheet]').forEach(l => l.remove())")
    figures = page.evaluate("""() => [...document.querySelectorAll('figure.app-chart-figure')].map(f => ({
        id: f.id, svgTitle: f.querySelector('svg > title').textContent,
        next: f.querySelector('svg').nextElementSibling.querySelector('table') ? 'table' : 'none',
        caption: f.querySelector('table caption').textContent,
        rows: f.querySelectorAll('tbody tr').length, visible: f.querySelector('table').offsetHeight > 0}))""")
    trend_ids = [f["id"] for f in figures if f["id"].startswith("trend-")]
    assert trend_ids == [f"trend-{q.key}" for q in learning.QUESTIONS]
    for figure in figures:
        assert figure["next"] == "table" and figure["visible"] and figure["svgTitle"]
    assert all(f["rows"] == 8 for f in figures if f["id"].startswith("trend-"))
    # the table reads oldest quarter first, as the chart's bars do left to right
    quarters = page.evaluate("""() => [...document.querySelectorAll('#trend-police-attended tbody th')]
        .map(th => th.textContent)""")
    labels = page.evaluate("""() => [...document.querySelectorAll('#trend-police-attended svg text')]
        .map(t => t.textContent).filter(t => /^Q[1-4] /.test(t))""")
    assert quarters == labels and quarters[0] == "Q1 2025" and quarters[-1] == "Q4 2026"

    page.goto(f"/reports/practice-learning/police-attended?{PERIOD}")
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert_accessible(page)
    # a period typed wrong: the errors, GOV.UK style, and still nothing for axe to find
    page.goto("/reports/practice-learning?start=31&start=2&start=2026&end=1&end=3&end=2026")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_the_childs_census_questions_pass_axe_with_nothing_chosen(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    _sign_in(page)
    page.goto("/children/new")
    expect(page.get_by_label("Ethnicity (census category)")).to_have_value("")
    for answer in ("Yes: the child has a disability", "No", "Not known"):
        expect(page.get_by_role("group", name="Does the child have a disability?").get_by_label(answer, exact=True)
               ).not_to_be_checked()
    assert_accessible(page)


@pytest.mark.parametrize("path, charts", [
    ("/reports/", ["minimum-agencies", "attendance-by-agency", "outcomes-by-decision", "icpc-status"]),
    ("/missing/figures", ["return-interviews", "interviews-by-quarter", "police-protection"]),
    ("/differences/figures", ["by-agency", "highest-stage", "stages-in-time", "themes"]),
])
def test_each_figures_page_passes_axe_and_its_charts_read_without_css(browser_app, browser_page, path, charts):
    seed(DEMO)
    page = browser_page
    _sign_in(page)
    page.goto(path)
    expect(page.locator("#suppression")).to_contain_text("[c] means a number from 1 to 4")
    assert_accessible(page)
    page.emulate_media(forced_colors="active")
    assert_accessible(page)
    page.emulate_media(forced_colors="none")
    page.emulate_media(media="print")
    assert_accessible(page)
    # on A4 (about 680 CSS px within its margins) no chart, table or paragraph is wider than the paper
    page.set_viewport_size({"width": 680, "height": 1000})
    overflow = page.evaluate("""() => [...document.querySelectorAll('main svg, main table, main h2, main p')]
        .filter(e => e.getBoundingClientRect().right > 681).map(e => e.tagName + ': ' + e.textContent.slice(0, 40))""")
    assert overflow == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="screen")

    # CSS off: every chart is an image with a name, directly followed by its table, which shows the same numbers
    page.evaluate("() => document.querySelectorAll('link[rel=stylesheet]').forEach(l => l.remove())")
    figures = page.evaluate("""() => [...document.querySelectorAll('figure.app-chart-figure')].map(f => ({
        id: f.id, role: f.querySelector('svg').getAttribute('role'), name: f.querySelector('svg > title').textContent,
        next: f.querySelector('svg').nextElementSibling.querySelector('table') ? 'table' : 'none',
        visible: f.querySelector('table').offsetHeight > 0,
        bars: [...f.querySelectorAll('svg text.app-chart__value')].map(t => t.textContent),
        cells: [...f.querySelectorAll('tbody td')].map(td => td.textContent)}))""")
    assert [f["id"] for f in figures] == charts
    for figure in figures:
        assert figure["role"] == "img" and figure["name"] and figure["next"] == "table" and figure["visible"]
        # each bar's label is in its table: a withheld number is [c] in both
        assert set(figure["bars"]) <= set(figure["cells"]) | {"–", "No records"}, figure["id"]
