"""The test harness is faithful to production: a request has its own database session and connection."""
from __future__ import annotations

from datetime import date

from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.extensions import db

from .pages import PageClient


def test_a_request_sees_only_what_the_test_committed(signed_in):
    signed, mash = signed_in(Role.MASH)
    client = PageClient(signed.client, commit_setup=False)
    child = Child(id=4242, first_name="Uncommitted", last_name="Child", date_of_birth=date(2018, 5, 1),
                  created_by_id=mash.id, created_by_agency_id=mash.agency_id)
    db.session.add(child)
    if db.engine.dialect.name == "postgresql":
        # written in the test's open transaction (SQLite would lock the request out instead: one writer at a time)
        db.session.flush()

    page = client.get(f"/children/{child.id}", expected=404)
    assert "Uncommitted" not in page.html

    db.session.commit()
    assert "Uncommitted" in client.get(f"/children/{child.id}")


def test_what_a_request_saved_is_read_back_by_the_test(signed_in):
    client, _ = signed_in(Role.MASH)
    client.post_form("/children/new", {
        "first_name": "Saved", "last_name": "By Request", "date_of_birth": ["3", "4", "2019"],
        "gender": "female", "looked_after": "no"}, expected=302)
    assert db.session.execute(db.select(Child.last_name)).scalars().all() == ["By Request"]


def test_every_test_starts_with_an_empty_database(app):
    assert db.session.execute(db.select(Child)).first() is None
