"""Every list and detail page, as each demo role, against a floor page, in one interleaved run.

Load a synthetic partnership first (`flask seed-synthetic --scale N`, on a database of its own), then:

    DEMO_PASSWORD=... PYTHONPATH=. .venv/bin/python benchmarks/pages.py \\
        --database-url "postgresql+psycopg://postgres@/bench1?host=/tmp/pgdev" \\
        [--database-url "postgresql+psycopg://postgres@/bench10?host=/tmp/pgdev"]

Signs in (Flask test client, as the pages are served to a browser less the network) as each synthetic person
with a demo role and, for every page, counts the SQL statements one request runs and the table rows it shows;
then times the pages and a floor page round after round, interleaved (page, floor, next page, floor...), so a
busy machine slows both alike. The floor page is bare Flask + Jinja rendering the same GOV.UK layout (header,
service navigation, footer) and a GOV.UK table of the same number of rows from memory, its template compiled once
and kept like any page's: what a page would cost if the database, the sign-in and the audit were free. Prints
p50/p95 of each and the ratio of the page's p95 to the floor's; and beside it the same against a floor page of as
much HTML as the page drew (its table made as long as that takes): a record's page shows few table rows but a
whole record, which the first floor page does not draw. Given two databases
(1x and 10x, say), it times each page on both back to back in every round, so a machine that slows down or speeds
up during the run moves both alike, and prints the two side by side: p50 on the larger against the smaller, and
the larger's p95 against the floor page's.
"""
from __future__ import annotations

import argparse
import gc
import contextvars
import logging
import os
import platform
import re
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, render_template, request
from jinja2 import ChoiceLoader, DictLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event, func, select

DOMAIN = "synthetic.example"
ROW = re.compile(rb'<tr class="govuk-table__row"')

# --- The floor page ----------------------------------------------------------------------------------------------

FLOOR_TEMPLATE = """{% extends "govuk_frontend_jinja/template.html" %}
{% from "govuk_frontend_jinja/components/generic-header/macro.html" import govukGenericHeader %}
{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}
{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}
{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}
{% set assetPath = url_for('static', filename='govuk/assets').rstrip('/') %}
{% block pageTitle %}Floor – Strategy Discussion Coordinator{% endblock %}
{% block head %}<link rel="stylesheet" href="{{ url_for('static', filename='govuk/app.css') }}">{% endblock %}
{% block header %}
  <header class="govuk-template__header">
    {{ govukGenericHeader({'url': '/', 'logoText': 'Synthshire Safeguarding Children Partnership'}) }}
    {{ govukServiceNavigation({'serviceName': 'Strategy Discussion Coordinator', 'serviceUrl': '/',
       'navigation': navigation, 'navigationLabel': 'Menu'}) }}
  </header>
{% endblock %}
{% block content %}
  <h1 class="govuk-heading-l">Floor</h1>
  {% if rows %}
  {{ govukTable({'caption': 'Rows from memory', 'head': head, 'rows': rows}) }}
  {% endif %}
  {{ govukPagination({'next': {'href': '?page=2'}, 'items': [{'number': 1, 'href': '?page=1', 'current': True}]}) }}
{% endblock %}
{% block footer %}
  <footer class="govuk-footer"><div class="govuk-width-container"><div class="govuk-footer__meta">
    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow"><p class="govuk-body-s">Strategy Discussion
    Coordinator, open source software for Synthshire. Every view and change is recorded.</p></div>
  </div></div></footer>
{% endblock %}
{% block bodyEnd %}<script type="module" src="{{ url_for('static', filename='app.js') }}"></script>{% endblock %}
"""


def floor_app(static_folder: str) -> Flask:
    """Bare Flask + Jinja: the app's GOV.UK layout and templates, no database, no sign-in, no extensions."""
    import safeguarding

    floor = Flask("floor", static_folder=static_folder)
    # The floor page's template is loaded like any other (compiled once, then kept): until the sixteenth session it
    # was compiled from its string on every request, 12 of the floor page's 16 ms, so every ratio to it looked
    # four times better than it was.
    floor.jinja_loader = ChoiceLoader([
        DictLoader({"floor.html": FLOOR_TEMPLATE}),
        FileSystemLoader(os.path.join(os.path.dirname(safeguarding.__file__), "..", "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])

    @floor.get("/floor")
    def page():
        return render_template("floor.html", **floor_context(int(request.args.get("rows", 25))))

    return floor


NAVIGATION = [{"href": f"/{n}", "text": n.title(), "active": n == "children"}
              for n in ("my work", "children", "discussions", "missing", "differences", "reports")]
HEAD = [{"text": t} for t in ("Name", "Date of birth", "Recorded", "Agency", "Status")]


def floor_context(count: int) -> dict:
    rows = [[{"html": f'<a class="govuk-link" href="/children/{n}">Child {n} Family</a>'},
             {"text": "1 January 2015"}, {"text": "2 March 2026, 10:15"}, {"text": "Synthshire Police"},
             {"html": '<strong class="govuk-tag">Open</strong>'}] for n in range(count)]
    return {"rows": rows, "head": HEAD, "navigation": NAVIGATION}


SIGNED_IN_FLOOR = "/benchmark/signed-in-floor"


def add_signed_in_floor(app: Flask) -> None:
    """The floor page served by the app itself, to a signed-in person: the same template (compiled once) and rows
    from memory, behind everything the app does for every page before and after its own work (the session and its
    user read from the database, the sign-in and idle checks, the menu worked out for the person, CSRF, security
    headers, the read-only transaction committed). A page's p95 against this one is what the page itself costs;
    against the bare floor page, what being this app costs too."""
    template = app.jinja_env.from_string(FLOOR_TEMPLATE)

    def signed_in_floor():
        return render_template(template, **floor_context(int(request.args.get("rows", 0))))

    app.add_url_rule(SIGNED_IN_FLOOR, "benchmark_signed_in_floor", signed_in_floor)


def floor_wsgi() -> Flask:
    """The floor page as a WSGI app for gunicorn (`benchmarks.pages:floor_wsgi()`, used by throughput.py)."""
    import safeguarding

    floor = floor_app(os.path.join(os.path.dirname(safeguarding.__file__), "..", "static"))
    gc.collect()
    gc.freeze()  # as app.py does for the app's workers
    return floor


# --- The app's pages ---------------------------------------------------------------------------------------------


def build_app(url: str):
    from config import BaseConfig, TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    # as served (BaseConfig's: a connection checked out of the pool is pinged first, a round trip each time), not
    # the test configuration's; until the sixteenth session the pages were timed without the ping
    cfg.SQLALCHEMY_ENGINE_OPTIONS = dict(BaseConfig.SQLALCHEMY_ENGINE_OPTIONS)
    cfg.RATELIMIT_ENABLED = False  # timing pages, not the sign-in throttle
    app = create_app(cfg)
    add_signed_in_floor(app)
    return app


@contextmanager
def counting(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def examples(db) -> dict[str, int]:
    """Ids for the detail pages: the child in most discussions, and the latest of each kind of record."""
    from safeguarding.children.models import Child
    from safeguarding.differences.models import ProfessionalDifference
    from safeguarding.discussions.models import DiscussionChild
    from safeguarding.missing.models import MissingEpisode, ReturnInterview

    busiest = db.session.execute(select(DiscussionChild.child_id).join(Child).where(Child.restricted.is_(False))
                                 .group_by(DiscussionChild.child_id).order_by(func.count().desc()).limit(1)
                                 ).scalar_one()
    latest = db.session.execute(select(func.max(DiscussionChild.discussion_id))
                                .where(DiscussionChild.child_id == busiest)).scalar_one()
    # none about a restricted child: the demo roles are not on their lists, and would be refused (404)
    return {"child": busiest, "discussion": latest,
            "episode": db.session.execute(select(func.max(MissingEpisode.id)).join(Child).where(
                Child.restricted.is_(False))).scalar_one(),
            "interview": db.session.execute(select(func.max(ReturnInterview.id)).join(
                Child, Child.id == ReturnInterview.child_id).where(ReturnInterview.status == "open",
                                                                   Child.restricted.is_(False))).scalar_one(),
            "difference": db.session.execute(select(func.max(ProfessionalDifference.id)).join(Child).where(
                Child.restricted.is_(False))).scalar_one()}


def pages(ids: dict[str, int], today) -> list[tuple[str, str, str]]:
    """(who, label, url): every list and detail page, for the roles that use it."""
    year_ago = today - timedelta(days=365)
    period = (f"start={year_ago.day}&start={year_ago.month}&start={year_ago.year}"
              f"&end={today.day}&end={today.month}&end={today.year}")
    child, sd = f"/children/{ids['child']}", f"/discussions/{ids['discussion']}"
    lists = {
        "mash": [("My work", "/my-work"), ("Partnership's records waiting", "/my-work/partnership"),
                 ("Children list", "/children/"), ("Discussions, all", "/discussions/?view=all"),
                 ("Discussions, upcoming", "/discussions/"), ("My actions", "/discussions/my-actions"),
                 ("Missing episodes", "/missing/?show=episodes"), ("Return interviews due", "/missing/?show=rhis"),
                 ("Differences", "/differences/"), ("Notifications", "/notifications"),
                 ("Reports, one year", "/reports/?" + period),
                 ("Practice-learning report, one year", "/reports/practice-learning?" + period)],
        "police": [("My work", "/my-work"), ("Children list", "/children/"),
                   ("Discussions, all", "/discussions/?view=all"), ("Missing episodes", "/missing/?show=episodes"),
                   ("Still missing", "/missing/?show=missing"), ("Return interviews due", "/missing/?show=rhis"),
                   ("Notifications", "/notifications")],
        "police.manager": [("My work", "/my-work"), ("Children list", "/children/"),
                           ("Discussions, all", "/discussions/?view=all")],
        "csc.manager": [("My work", "/my-work"), ("Return interviews due", "/missing/?show=rhis"),
                        ("Differences", "/differences/"), ("Reports, one year", "/reports/?" + period)],
        "social.worker": [("My work", "/my-work"), ("Children list", "/children/"),
                          ("Return interviews due", "/missing/?show=rhis")],
        "health": [("My work", "/my-work"), ("Children list", "/children/"),
                   ("Discussions, all", "/discussions/?view=all")],
        "school": [("My work", "/my-work"), ("Children list", "/children/")],
        "admin": [("Users", "/admin/users"), ("Reminders operations", "/admin/reminders")],
    }
    details = {
        "mash": [("A child's page", child), ("A discussion", sd), ("An episode", f"/missing/episodes/{ids['episode']}"),
                 ("A return interview", f"/missing/return-interviews/{ids['interview']}"),
                 ("A difference", f"/differences/{ids['difference']}")],
        "police": [("A child's page", child), ("A discussion", sd),
                   ("An episode", f"/missing/episodes/{ids['episode']}")],
        "social.worker": [("A child's page", child)],
    }
    found = []
    for who in lists:
        found += [(who, label, url) for label, url in lists[who] + details.get(who, [])]
    return found


class Visitor:
    """One signed-in person's test client; each request in a fresh context, as the server gives each request."""

    def __init__(self, app, email: str, password: str):
        from tests.pages import PageClient

        self.client = app.test_client()
        PageClient(self.client, commit_setup=False).sign_in(email, password)

    def get(self, url: str):
        return contextvars.Context().run(self.client.get, url)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class Partnership:
    """One synthetic database: its app, the pages to time (with that database's ids), who visits them, and what
    each page showed and ran."""

    def __init__(self, url: str, password: str, only: str):
        from safeguarding.clock import london_today, now
        from safeguarding.discussions.models import StrategyDiscussion
        from safeguarding.extensions import db
        from safeguarding.reports import summaries

        self.url, self.app = url, build_app(url)
        with self.app.app_context():
            ids = examples(db)
            self.discussions = db.session.execute(select(func.count(StrategyDiscussion.id))).scalar_one()
            today = london_today()
            self.worked_out = summaries.freshness(today - timedelta(days=3 * 366), today, today).built
            db.session.remove()
        self.todo = [p for p in pages(ids, now().date()) if only.lower() in p[1].lower()]
        self.visitors = {who: Visitor(self.app, f"{who}@{DOMAIN}", password) for who in {w for w, _, _ in self.todo}}
        self.shown: dict[tuple[str, str], int] = {}
        #: the rows a floor page needs to draw as much HTML as the page did
        self.same_size: dict[tuple[str, str], int] = {}
        self.statements: dict[tuple[str, str], int] = {}
        self.failed: dict[tuple[str, str], int] = {}
        self.times: dict[tuple[str, str], list[float]] = {}
        self.floors: dict[tuple[str, str], list[float]] = {}
        self.sized_floors: dict[tuple[str, str], list[float]] = {}
        self.signed_in_floors: dict[tuple[str, str], list[float]] = {}

    def survey(self, floor, warm: int = 1) -> None:
        """Each page `warm` times to warm it, once more counting its statements, rows and characters."""
        from safeguarding.extensions import db

        empty, hundred = (len(floor.get(f"/floor?rows={n}").get_data()) for n in (0, 100))

        for who, label, url in self.todo:
            for _ in range(warm):  # templates compiled, caches filled (and with --warm 12, statements planned)
                self.visitors[who].get(url)
            with self.app.app_context(), counting(db.engine) as seen:
                response = self.visitors[who].get(url)
            if response.status_code != 200:
                self.failed[(who, label)] = response.status_code
                continue
            self.statements[(who, label)] = len(seen)
            html = response.get_data()
            self.shown[(who, label)] = len(ROW.findall(html))
            self.same_size[(who, label)] = max(0, round((len(html) - empty) * 100 / (hundred - empty)))
            for timed in (self.times, self.floors, self.sized_floors, self.signed_in_floors):
                timed[(who, label)] = []

    def url_of(self, who: str, label: str) -> str:
        return next(u for w, lab, u in self.todo if (w, lab) == (who, label))

    def time(self, who: str, label: str, floor) -> None:
        key, url = (who, label), self.url_of(who, label)
        started = time.perf_counter()
        self.visitors[who].get(url)
        self.times[key].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert floor.get(f"/floor?rows={self.shown[key]}").status_code == 200
        self.floors[key].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert floor.get(f"/floor?rows={self.same_size[key]}").status_code == 200
        self.sized_floors[key].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert self.visitors[who].get(f"{SIGNED_IN_FLOOR}?rows={self.shown[key]}").status_code == 200
        self.signed_in_floors[key].append(time.perf_counter() - started)

    def table(self, repeats: int) -> None:
        print(f"\n{self.discussions:,} strategy discussions; {self.url.split(':')[0]}, {platform.machine()}, "
              f"Python {platform.python_version()}; {repeats} requests each, interleaved with the floor page")
        print("| Page (who) | rows | statements | p50 ms | p95 ms | floor p50 | floor p95 | p95 / floor "
              "| rows of the same HTML | their floor p95 | p95 / that floor | signed-in floor p95 | p95 / that |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for key in (k for k in self.times if self.times[k]):  # a page failed on the other database is not timed
            who, label = key
            page_p95, floor_p95, sized_p95, signed_p95 = (
                p95(t) for t in (self.times[key], self.floors[key], self.sized_floors[key],
                                 self.signed_in_floors[key]))
            print(f"| {label} ({who}) | {self.shown[key]} | {self.statements[key]} "
                  f"| {statistics.median(self.times[key]) * 1000:.1f} | {page_p95 * 1000:.1f} "
                  f"| {statistics.median(self.floors[key]) * 1000:.1f} | {floor_p95 * 1000:.1f} "
                  f"| {page_p95 / floor_p95:.1f} | {self.same_size[key]} | {sized_p95 * 1000:.1f} "
                  f"| {page_p95 / sized_p95:.1f} | {signed_p95 * 1000:.1f} | {page_p95 / signed_p95:.1f} |")
        for (who, label), status in self.failed.items():
            print(f"| {label} ({who}) | failed: {status} | | | | | | | | | | | |")


def compare(small: Partnership, large: Partnership) -> None:
    """The issue's two questions side by side: p50 on the larger against the smaller (both timed in the same
    rounds), and the larger's p95 against its floor page's (and the signed-in floor page's, beside it)."""
    print(f"\n{small.discussions:,} against {large.discussions:,} strategy discussions, timed in the same rounds")
    print("| Page (who) | rows | statements | p50 ms | p50 larger / smaller | p95 ms | floor p95 (larger) "
          "| p95 / floor's (larger) | p95 / same-HTML floor's (larger) | signed-in floor p95 (larger) "
          "| p95 / signed-in floor's (larger) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    grew = within = within_sized = within_signed = signed_within = 0
    keys = [k for k in small.times if k in large.times]
    for key in keys:
        who, label = key

        def pair(a, b):
            return f"{a}" if a == b else f"{a}, {b}"

        p50s = [statistics.median(p.times[key]) * 1000 for p in (small, large)]
        p95s = [p95(p.times[key]) * 1000 for p in (small, large)]
        floor, sized, signed = (p95(floors[key]) * 1000
                                for floors in (large.floors, large.sized_floors, large.signed_in_floors))
        grew += p50s[1] / p50s[0] > 1.2
        within += p95s[1] / floor <= 1.5
        within_sized += p95s[1] / sized <= 1.5
        within_signed += p95s[1] / signed <= 1.5
        # the signed-in floor page draws the floor page's rows from memory: what being signed in costs
        signed_within += signed / floor <= 1.5
        print(f"| {label} ({who}) | {pair(small.shown[key], large.shown[key])} "
              f"| {pair(small.statements[key], large.statements[key])} | {p50s[0]:.1f} → {p50s[1]:.1f} "
              f"| {p50s[1] / p50s[0]:.2f} | {p95s[0]:.1f} → {p95s[1]:.1f} | {floor:.1f} | {p95s[1] / floor:.1f} "
              f"| {p95s[1] / sized:.1f} | {signed:.1f} | {p95s[1] / signed:.1f} |")
    print(f"\n{len(keys)} pages: p50 larger within 1.2x of smaller: {len(keys) - grew}; "
          f"p95 within 1.5x of the floor page's: {within}; of a floor page of the same HTML: {within_sized}; "
          f"of the signed-in floor page's: {within_signed}")
    print(f"The signed-in floor page itself (the same rows from memory, through the app's sign-in, session and "
          f"commit) within 1.5x of the floor page's p95: {signed_within} of {len(keys)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, action="append",
                        help="a database loaded by `flask seed-synthetic`; give two (smaller first) to time both in "
                             "the same rounds and compare them")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD"),
                        help="the demo password seed-synthetic used (default: $DEMO_PASSWORD)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument("--warm", type=int, default=1,
                        help="requests of each page before timing it (default 1: templates compiled). psycopg "
                             "prepares a statement on its sixth run on a connection and PostgreSQL settles on its "
                             "plan five runs later; until then each run is planned afresh (2 to 3 ms for a scoped "
                             "statement). --warm 12 times a worker that has served each page a dozen times; the "
                             "default includes those first runs, as a worker's first requests of a page do")
    args = parser.parse_args()
    if not args.password:
        parser.error("give --password or set DEMO_PASSWORD")
    if len(args.database_url) > 2:
        parser.error("give one database, or two to compare")
    logging.getLogger("safeguarding").setLevel(logging.WARNING)  # one audit line per request would drown the table

    partnerships = [Partnership(url, args.password, args.only) for url in args.database_url]
    floor = floor_app(partnerships[0].app.static_folder).test_client()
    for partnership in partnerships:
        if not partnership.worked_out:
            # the report pages would only say "not worked out yet", and look fast for it
            parser.error(f"the reports' summaries are not worked out on {partnership.url}: run "
                         "`flask --app app refresh-figures` on it first")
        partnership.survey(floor, args.warm)
    # as app.py does for each worker: what is loaded by now lives as long as the process, and a full collection
    # that walked it all (200 ms here) would land on whichever page tipped it
    gc.collect()
    gc.freeze()
    keys = [k for k in partnerships[0].times if all(k in p.times for p in partnerships)]
    for round_ in range(args.repeats):
        print(f"round {round_ + 1}/{args.repeats}", file=sys.stderr, end="\r")
        for who, label in keys:
            for partnership in partnerships:  # the same page on each database back to back: one moment's machine
                partnership.time(who, label, floor)
    for partnership in partnerships:
        partnership.table(args.repeats)
    if len(partnerships) == 2:
        compare(*partnerships)


if __name__ == "__main__":
    main()
