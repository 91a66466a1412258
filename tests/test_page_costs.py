"""What a page costs does not grow with what the partnership holds: bounded counts, one navigation per request."""
from __future__ import annotations

from sqlalchemy import event

from safeguarding import pagination
from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.extensions import db


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
