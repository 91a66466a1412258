"""What a page costs does not grow with what the partnership holds: bounded counts, one navigation per request."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import event

from safeguarding import pagination
from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.differences.models import ProfessionalDifference
from safeguarding.discussions.models import DiscussionChild
from safeguarding.missing.models import MissingEpisode, ReturnInterview
from safeguarding.extensions import db

from .sql_statements import statements_run


def test_a_long_list_counts_at_most_the_cap_and_still_pages_on(app, signed_in, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 30)
    client, mash = signed_in(Role.MASH)
    db.session.add_all([Child(first_name=f"Child{n}", last_name="Example", created_by_agency_id=mash.agency_id)
                        for n in range(60)])
    db.session.commit()
    first = client.get("/children/")
    assert "More than 30 in total; page 1" in first
    third = client.get("/children/?page=3")
    assert "More than 30 in total; page 3" in third and "Child" in third
    assert 'rel="next"' not in third.html  # 60 rows, 25 a page: nothing after page 3
    page = pagination.paginate(db.select(Child).order_by(Child.id), 2)
    assert page.capped and page.more and len(page.items) == 25


def test_the_navigation_and_its_unread_count_are_worked_out_once_per_page(app, signed_in):
    client, _ = signed_in(Role.MASH)
    counted = []

    def watch(conn, cursor, statement, *args):
        if "FROM notification" in statement:
            counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        client.get("/children/new")  # a form page: many GOV.UK widgets, each importing macros
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert len(counted) == 1
    # and, a page only being read, in the statement that reads the browser's session: no statement of its own
    assert "FROM user_session" in counted[0]


def test_the_unread_count_read_with_the_session_is_the_signed_in_persons_and_current(app, signed_in, make_user):
    from safeguarding.reminders.models import Notification

    client, mash = signed_in(Role.MASH)
    other = make_user(Role.MASH)

    def notice(person, n):
        return Notification(rule="agreed_action", object_type="agreed_action", object_id=n, level="due",
                            recipient_id=person.id, kind="agreed_action", title=f"Notice {n}", url="/my-work")

    db.session.add_all([notice(other, n) for n in range(3)] + [notice(mash, 10)])
    db.session.commit()
    assert "Notifications 1 unread" in client.get("/discussions/").text
    db.session.add(notice(mash, 11))
    db.session.commit()
    assert "Notifications 2 unread" in client.get("/discussions/").text


# --- Every list's statements stay the same however many rows it shows -----------------------------------------

#: (who signs in, list page); the reports page over the last year
LISTS = [
    ("mash", "/my-work"), ("mash", "/my-work/partnership"), ("police", "/my-work"), ("csc.manager", "/my-work"),
    ("csc.manager", "/my-work?page=2"), ("police", "/my-work/yours"), ("mash", "/my-work/yours?page=2"),
    ("mash", "/children/"), ("police", "/children/"), ("school", "/children/"),
    ("mash", "/discussions/?view=all"), ("police", "/discussions/?view=all"), ("police", "/discussions/my-actions"),
    ("mash", "/missing/?show=episodes"), ("police", "/missing/?show=episodes"), ("mash", "/missing/?show=rhis"),
    ("social.worker", "/missing/?show=rhis"), ("mash", "/notifications"), ("police", "/notifications"),
    ("mash", "/differences/"), ("csc.manager", "/differences/"), ("mash", "/reports/?{year}"),
    ("csc.manager", "/reports/?{year}"),
]
#: (who signs in, detail page): the child in most strategy discussions, and that child's latest discussion
DETAILS = [("mash", "/children/{child}"), ("police", "/children/{child}"), ("social.worker", "/children/{child}"),
           ("mash", "/discussions/{discussion}"), ("police", "/discussions/{discussion}"),
           ("police", "/missing/episodes/{episode}"), ("mash", "/missing/return-interviews/{interview}"),
           ("mash", "/differences/{difference}")]
SHOWN_ROW = '<tr class="govuk-table__row"'
TIMELINE_ENTRY = '<li class="govuk-!-margin-bottom-4">'
#: a statement that runs this many more times on a page of more rows runs per row
PER_ROW = 3
#: an IN list's placeholders (one per id: the statement is the same whatever its length)
_IN_LIST = re.compile(r"\((?:\?|%\(\w+\)s(?:::\w+)?)(?:, (?:\?|%\(\w+\)s(?:::\w+)?))*\)")


def _statements_and_rows(app, discussions: int) -> tuple[dict[tuple[str, str], tuple[Counter, int]], int]:
    """Load a synthetic partnership of about this many strategy discussions (with everything in proportion) into
    an empty database; for each list, the statements one request runs (a Counter) and the table rows it shows (for
    a child's page, its timeline entries); and how many discussions the busiest child was in."""
    from datetime import timedelta

    from safeguarding import synthetic
    from safeguarding.auth import passwords
    from safeguarding.clock import now

    from .conftest import PASSWORD, _empty_database
    from .pages import PageClient

    _empty_database()
    # two months' history: even a small partnership then has work open, due and overdue in every list
    synthetic.generate(discussions / synthetic.BASE["discussions"], now(), passwords.hash_password(PASSWORD),
                       history_days=60)
    today, year_ago = now().date(), now().date() - timedelta(days=365)
    year = (f"start={year_ago.day}&start={year_ago.month}&start={year_ago.year}"
            f"&end={today.day}&end={today.month}&end={today.year}")
    busiest = db.session.execute(
        db.select(DiscussionChild.child_id).join(Child).where(Child.restricted.is_(False))
        .group_by(DiscussionChild.child_id).order_by(db.func.count().desc(), DiscussionChild.child_id).limit(1)
    ).scalar_one()
    ids = {"year": year, "child": busiest, "discussion": db.session.execute(
        db.select(db.func.max(DiscussionChild.discussion_id)).where(DiscussionChild.child_id == busiest)).scalar_one()}
    # the latest of each other kind of record about a child the demo roles may see
    for name, model in (("episode", MissingEpisode), ("interview", ReturnInterview),
                        ("difference", ProfessionalDifference)):
        ids[name] = db.session.execute(db.select(db.func.max(model.id)).join(Child, Child.id == model.child_id)
                                       .where(Child.restricted.is_(False))).scalar_one()
    clients, found = {}, {}
    for who, url in LISTS + DETAILS:
        if who not in clients:
            clients[who] = PageClient(app.test_client())
            clients[who].sign_in(f"{who}@{synthetic.DOMAIN}", PASSWORD)
        clients[who].get(url.format(**ids))  # the first request of a session does its own set-up
        with statements_run() as seen:
            page = clients[who].get(url.format(**ids))
        # the whole statement, not its opening: a lookup run per row is the same text each time, while two
        # different statements may open alike (My work's reads of each deadline kind select the same columns)
        found[(who, url)] = (Counter(_IN_LIST.sub("(...)", " ".join(sql.split())) for sql in seen),
                             page.html.count(SHOWN_ROW) if (who, url) in LISTS else page.html.count(TIMELINE_ENTRY))
    history = db.session.execute(db.select(db.func.count()).where(DiscussionChild.child_id == busiest)).scalar_one()
    return found, history


def test_no_list_runs_more_statements_for_more_rows(app_factory):
    # 20 discussions' worth shows a few rows (or none) in each list, 600's fills the pages. A statement run once per
    # row (or per owner or child shown) runs once more for every extra row; one that runs only when there is
    # something to look up (owners' names, restricted children, one per section of My work) runs once or twice more
    # at most. A list as full at both sizes could hide one: most lists must show more rows.
    app = app_factory(RATELIMIT_ENABLED=False)  # a dozen sign-ins, one IP address
    (few, few_history), (many, many_history) = _statements_and_rows(app, 20), _statements_and_rows(app, 600)
    grew = {}
    for page in LISTS + DETAILS:
        repeated = {sql[:300]: (few[page][0][sql], times) for sql, times in many[page][0].items()
                    if times >= few[page][0][sql] + PER_ROW}
        if repeated:
            grew[page] = repeated
    rows = {page: (few[page][1], many[page][1]) for page in LISTS}
    assert not grew, f"statements run more often with more rows (times then, times now): {grew}; rows: {rows}"
    # and the larger partnership did show more rows, so the comparison means something
    assert sum(many[page][1] >= few[page][1] + 2 * PER_ROW for page in LISTS) >= 0.75 * len(LISTS), rows
    # the busiest child has a longer history too, and their page shows a page of its timeline, not all of it
    assert many_history > 2 * few_history, (few_history, many_history)
    timelines = {page: many[page][1] for page in DETAILS if page[1].startswith("/children/")}
    assert all(0 < shown <= 25 for shown in timelines.values()), timelines


def test_a_report_records_its_view_without_reading_the_person_again(app, signed_in):
    """The report page commits its audit event keeping what it loaded: the signed-in person and their session are
    read once, with the session, not again after the commit."""
    client, _ = signed_in(Role.MASH)
    url = "/reports/?start=1&start=4&start=2026&end=30&end=6&end=2026"
    client.get(url)
    with statements_run() as seen:
        client.get(url)
    assert sum("FROM user_session" in sql for sql in seen) == 1, seen


def test_a_record_page_reads_and_records_its_view_in_one_transaction(app, signed_in):
    # drawn first, then its view recorded: a second transaction for what the page read after the record was
    # committed cost a pool check-out, BEGIN and COMMIT
    client, mash = signed_in(Role.MASH)
    child = Child(first_name="Amy", last_name="Example", created_by_agency_id=mash.agency_id)
    db.session.add(child)
    db.session.commit()
    episode = MissingEpisode(child_id=child.id, reported_missing_at=datetime(2026, 11, 2, 9, tzinfo=timezone.utc),
                             missing_from="home", risk_level="medium", recorded_by_id=mash.id,
                             recorded_by_agency_id=mash.agency_id)
    db.session.add(episode)
    db.session.commit()
    client.get(f"/children/{child.id}")  # warm: nothing read once for the process is counted
    begun: list[int] = []

    def began(conn):
        begun.append(1)

    event.listen(db.engine, "begin", began)
    try:
        for url in (f"/children/{child.id}", f"/missing/episodes/{episode.id}"):
            begun.clear()
            assert "Amy Example" in client.get(url)
            assert len(begun) == 1, url
    finally:
        event.remove(db.engine, "begin", began)


def test_scoped_lists_build_their_statements_once_per_person(app, signed_in, monkeypatch):
    """Building a scoped list's statements (and SQLAlchemy working out their cache keys, a walk of the person's whole
    scope) cost 1 to 4 ms a page at ten times the largest partnership: they are kept per person and view, and only
    the values change between requests."""
    from safeguarding.children import listing as children_listing
    from safeguarding.differences import views as differences_views
    from safeguarding.discussions import listing as discussions_listing
    from safeguarding.missing import listing as missing_listing

    built = Counter()
    for module, name in ((children_listing, "listed"), (discussions_listing, "listed"), (missing_listing, "listed"),
                         (differences_views, "_listed")):
        original = getattr(module, name)

        def counting(*parts, _original=original, _name=module.__name__):
            built[_name] += 1
            return _original(*parts)

        monkeypatch.setattr(module, name, counting)
    client, _ = signed_in(Role.PRACTITIONER, "police")
    for _ in range(3):
        for url in ("/children/", "/discussions/?view=all", "/discussions/?view=upcoming", "/missing/?show=rhis",
                    "/missing/?show=episodes", "/differences/", "/differences/?show=all"):
            client.get(url)
    assert built == {children_listing.__name__: 1, discussions_listing.__name__: 2, missing_listing.__name__: 2,
                     differences_views.__name__: 2}
