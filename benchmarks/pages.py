"""Every list and detail page, as each demo role, against a floor page, in one interleaved run.

Load a synthetic partnership first (`flask seed-synthetic --scale N`, on a database of its own), then:

    DEMO_PASSWORD=... PYTHONPATH=. .venv/bin/python benchmarks/pages.py \\
        --database-url "postgresql+psycopg://postgres@/bench1?host=/tmp/pgdev"

Signs in (Flask test client, as the pages are served to a browser less the network) as each synthetic person
with a demo role and, for every page, counts the SQL statements one request runs and the table rows it shows;
then times the pages and a floor page round after round, interleaved (page, floor, next page, floor...), so a
busy machine slows both alike. The floor page is bare Flask + Jinja rendering the same GOV.UK layout (header,
service navigation, footer) and a GOV.UK table of the same number of rows from memory: what a page would cost if
the database were free. Prints p50/p95 of each and the ratio of the page's p95 to the floor's.
"""
from __future__ import annotations

import argparse
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

from flask import Flask, render_template_string, request
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
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
    floor.jinja_loader = ChoiceLoader([
        FileSystemLoader(os.path.join(os.path.dirname(safeguarding.__file__), "..", "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    navigation = [{"href": f"/{n}", "text": n.title(), "active": n == "children"}
                  for n in ("my work", "children", "discussions", "missing", "differences", "reports")]
    head = [{"text": t} for t in ("Name", "Date of birth", "Recorded", "Agency", "Status")]

    @floor.get("/floor")
    def page():
        count = int(request.args.get("rows", 25))
        rows = [[{"html": f'<a class="govuk-link" href="/children/{n}">Child {n} Family</a>'},
                 {"text": "1 January 2015"}, {"text": "2 March 2026, 10:15"}, {"text": "Synthshire Police"},
                 {"html": '<strong class="govuk-tag">Open</strong>'}] for n in range(count)]
        return render_template_string(FLOOR_TEMPLATE, rows=rows, head=head, navigation=navigation)

    return floor


def floor_wsgi() -> Flask:
    """The floor page as a WSGI app for gunicorn (`benchmarks.pages:floor_wsgi()`, used by throughput.py)."""
    import safeguarding

    return floor_app(os.path.join(os.path.dirname(safeguarding.__file__), "..", "static"))


# --- The app's pages ---------------------------------------------------------------------------------------------


def build_app(url: str):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI = url
    cfg.SQLALCHEMY_ENGINE_OPTIONS = {}
    cfg.RATELIMIT_ENABLED = False  # timing pages, not the sign-in throttle
    return create_app(cfg)


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
    return {"child": busiest, "discussion": latest,
            "episode": db.session.execute(select(func.max(MissingEpisode.id))).scalar_one(),
            "interview": db.session.execute(select(func.max(ReturnInterview.id))
                                            .where(ReturnInterview.status == "open")).scalar_one(),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database loaded by `flask seed-synthetic`")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD"),
                        help="the demo password seed-synthetic used (default: $DEMO_PASSWORD)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    args = parser.parse_args()
    if not args.password:
        parser.error("give --password or set DEMO_PASSWORD")
    logging.getLogger("safeguarding").setLevel(logging.WARNING)  # one audit line per request would drown the table

    from safeguarding.clock import now
    from safeguarding.discussions.models import StrategyDiscussion
    from safeguarding.extensions import db

    app = build_app(args.database_url)
    with app.app_context():
        ids = examples(db)
        discussions = db.session.execute(select(func.count(StrategyDiscussion.id))).scalar_one()
        from safeguarding.clock import london_today
        from safeguarding.reports import summaries

        today = london_today()
        worked_out = summaries.freshness(today - timedelta(days=3 * 366), today, today).built
        db.session.remove()
    if not worked_out:
        # the report pages would only say "not worked out yet", and look fast for it
        parser.error("the reports' summaries are not worked out on this database: run "
                     "`flask --app app refresh-figures` on it first")
    floor = floor_app(app.static_folder).test_client()
    todo = [p for p in pages(ids, now().date()) if args.only.lower() in p[1].lower()]
    visitors = {who: Visitor(app, f"{who}@{DOMAIN}", args.password) for who in {w for w, _, _ in todo}}

    shown, statements, failed = {}, {}, {}
    for who, _label, url in todo:
        visitors[who].get(url)  # warm: templates compiled, caches filled
        with app.app_context(), counting(db.engine) as seen:
            response = visitors[who].get(url)
        if response.status_code != 200:
            failed[(who, url)] = response.status_code
            continue
        statements[(who, url)] = len(seen)
        shown[(who, url)] = len(ROW.findall(response.get_data()))
    todo = [p for p in todo if (p[0], p[2]) not in failed]
    times: dict[tuple[str, str], list[float]] = {(w, u): [] for w, _, u in todo}
    floors: dict[tuple[str, str], list[float]] = {(w, u): [] for w, _, u in todo}
    for round_ in range(args.repeats):
        print(f"round {round_ + 1}/{args.repeats}", file=sys.stderr, end="\r")
        for who, _, url in todo:
            started = time.perf_counter()
            visitors[who].get(url)
            times[(who, url)].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert floor.get(f"/floor?rows={shown[(who, url)]}").status_code == 200
            floors[(who, url)].append(time.perf_counter() - started)

    print(f"\n{discussions:,} strategy discussions; {args.database_url.split(':')[0]}, {platform.machine()}, "
          f"Python {platform.python_version()}; {args.repeats} requests each, interleaved with the floor page")
    print("| Page (who) | rows | statements | p50 ms | p95 ms | floor p50 | floor p95 | p95 / floor |")
    print("|---|---|---|---|---|---|---|---|")
    for who, label, url in todo:
        key = (who, url)
        page_p95, floor_p95 = p95(times[key]), p95(floors[key])
        print(f"| {label} ({who}) | {shown[key]} | {statements[key]} | {statistics.median(times[key]) * 1000:.0f} "
              f"| {page_p95 * 1000:.0f} | {statistics.median(floors[key]) * 1000:.1f} | {floor_p95 * 1000:.1f} "
              f"| {page_p95 / floor_p95:.1f} |")
    for (who, url), status in failed.items():
        print(f"| {url} ({who}) | failed: {status} | | | | | | |")


if __name__ == "__main__":
    main()
