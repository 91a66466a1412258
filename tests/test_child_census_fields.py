"""A child's sex, ethnicity (the census's categories) and disability: optional, with "not known" and "refused",
nothing chosen for the person recording, refused by the database if made up, and every change audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import IntegrityError

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children.characteristics import ETHNICITIES
from safeguarding.children.models import Child
from safeguarding.extensions import db

from .once_forms import post_new


def _form(**overrides):
    data = {"first_name": "Amy", "last_name": "Census", "date_of_birth": ["14", "2", "2016"], "gender": "female",
            "looked_after": "no"}
    data.update(overrides)
    return data


def test_the_census_list_is_the_departments_main_codes():
    codes = [code for code, _, _ in ETHNICITIES]
    assert len(codes) == len(set(codes)) == 20
    assert {"WBRI", "WIRI", "WIRT", "WROM", "MWBC", "AIND", "BAFR", "CHNE", "OOTH", "REFU", "NOBT"} <= set(codes)


def test_nothing_is_chosen_for_the_person_recording(signed_in):
    client, _ = signed_in(Role.MASH)
    page = client.get("/children/new")
    assert not re.search(r'name="disability_status"[^>]*checked', page.html)
    assert not re.search(r'<option value="[A-Z]{4}"[^>]*selected', page.html)
    assert 'value="refused"' in page.html and 'value="not_known"' in page.html and 'value="REFU"' in page.html
    # left unanswered, they stay empty: not "not known"
    post_new(client, "/children/new", _form())
    child = db.session.execute(db.select(Child)).scalar_one()
    assert child.ethnicity_code is None and child.disability_status is None
    assert "Not recorded" in client.get(f"/children/{child.id}")


def test_recording_and_changing_them_is_audited_without_their_values(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _form(ethnicity_code="BAFR", disability_status="refused", gender="refused"))
    child = db.session.execute(db.select(Child)).scalar_one()
    assert (child.ethnicity_code, child.disability_status, child.gender) == ("BAFR", "refused", "refused")
    shown = client.get(f"/children/{child.id}")
    assert "Black African" in shown and "Refused (the child or family would not say)" in shown
    url = f"/children/{child.id}/edit"
    edit = client.get(url)
    assert re.search(r'value="BAFR"[^>]*selected|selected[^>]*value="BAFR"', edit.html)
    client.post(url, {**_form(ethnicity_code="NOBT", disability_status="yes"), "version": child.version,
                      "csrf_token": edit.csrf()}, expected=302)
    db.session.expire_all()
    child = db.session.get(Child, child.id)
    assert (child.ethnicity_code, child.disability_status) == ("NOBT", "yes")
    update = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "child",
                                                            AuditEvent.action == "update")).scalar_one()
    assert update.changes["ethnicity_code"] == {"changed": True}
    assert update.changes["disability_status"] == {"changed": True}
    assert "NOBT" not in str(update.changes) and "BAFR" not in str(update.changes)


def test_a_made_up_answer_is_an_error_not_a_failure(signed_in):
    client, _ = signed_in(Role.MASH)
    page = client.post("/children/new", {**_form(ethnicity_code="XXXX", disability_status="maybe"),
                                         "csrf_token": client.get("/children/new").csrf()}, expected=200)
    assert "There is a problem" in page
    assert db.session.execute(db.select(Child)).first() is None


@pytest.mark.parametrize("column,value", [("ethnicity_code", "XXXX"), ("disability_status", "maybe"),
                                          ("gender", "unsure")])
def test_the_database_refuses_a_made_up_answer(app, column, value):
    db.session.add(Child(first_name="A", last_name="B", **{column: value}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
