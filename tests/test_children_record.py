"""One child, one record; each adversity report its own entry (issue 10's examples, through the pages)."""
from __future__ import annotations

import pytest

from safeguarding.auth.models import Role
from safeguarding.children.models import Child, FamilyAdversity
from safeguarding.extensions import db

from .once_forms import form_fields, post_new


def _child_form(**overrides):
    data = {"first_name": "Amy", "last_name": "Example", "date_of_birth": ["14", "2", "2016"],
            "gender": "female", "looked_after": "no", "nhs_number": "943 476 5919"}
    data.update(overrides)
    return data


def _children() -> list[Child]:
    return list(db.session.execute(db.select(Child).order_by(Child.id)).scalars())


def test_a_second_child_with_the_same_nhs_number_is_refused(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    page = post_new(client, "/children/new", _child_form(first_name="Bea", last_name="Other",
                                                         date_of_birth=["1", "1", "2018"], nhs_number="9434765919"),
                    expected=200)
    assert "NHS number 943 476 5919 is already recorded for Amy Example, born 14 February 2016" in page
    assert page.title.startswith("Error:") and 'value="Bea"' in page.html
    assert len(_children()) == 1


@pytest.mark.parametrize("number", ["0000000000", "1111111111", "000 000 0000"])
def test_one_digit_repeated_is_not_an_nhs_number(signed_in, number):
    client, _ = signed_in(Role.MASH)
    page = post_new(client, "/children/new", _child_form(nhs_number=number), expected=200)
    assert "NHS number cannot be one digit repeated" in page
    assert _children() == []


def test_the_database_refuses_a_duplicate_nhs_number_too(app, make_user):
    from sqlalchemy.exc import IntegrityError

    from safeguarding.children.models import Child

    for first in ("Amy", "Bea"):
        db.session.add(Child(first_name=first, last_name="X", nhs_number="9434765919"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    for first in ("Amy", "Bea"):  # a number not known is allowed for any number of children
        db.session.add(Child(first_name=first, last_name="X", nhs_number=None))
    db.session.commit()


def test_a_record_the_user_cannot_see_is_named_only_as_existing_with_who_to_ask(signed_in):
    mash, _ = signed_in(Role.MASH, "csc")
    post_new(mash, "/children/new", _child_form(la_reference="LA-SECRET", address="1 Hidden Road"))
    police, _ = signed_in(Role.PRACTITIONER, "police")
    page = post_new(police, "/children/new", _child_form(first_name="Amelia"), expected=200)
    assert "you do not have access to it. Ask the MASH team" in page
    for secret in ("Amy", "14 February 2016", "LA-SECRET", "Hidden Road", "/children/1"):
        assert secret not in page.html.replace('value="Amy', "")  # only what the police officer typed
    assert len(_children()) == 1


def test_a_near_match_on_name_and_date_of_birth_asks_before_adding(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    first = _children()[0]
    data = _child_form(first_name="Amie", nhs_number="")
    fields = form_fields(client, "/children/new")
    warned = client.post("/children/new", {**fields, **data}, expected=200)
    assert "A child with the same date of birth and the same first or last name is already recorded" in warned
    assert f'href="/children/{first.id}"' in warned.html and "I have checked: this is a different child" in warned
    assert len(_children()) == 1
    confirmed = client.post("/children/new", {**fields, **data, "confirmed_new": "y"})
    assert len(_children()) == 2
    assert confirmed.response.headers["Location"] == f"/children/{_children()[1].id}"


def test_a_near_match_the_user_cannot_see_says_only_that_one_exists(signed_in):
    mash, _ = signed_in(Role.MASH, "csc")
    post_new(mash, "/children/new", _child_form(nhs_number=""))
    police, _ = signed_in(Role.PRACTITIONER, "police")
    page = post_new(police, "/children/new", _child_form(first_name="Amie", nhs_number=""), expected=200)
    assert "A record like this one also exists that you do not have access to. Ask the MASH team" in page
    assert "/children/1" not in page.html and "Amy" not in page.markup
    assert len(_children()) == 1


def test_resubmitting_the_add_child_form_adds_one_child(signed_in):
    client, _ = signed_in(Role.MASH)
    fields = form_fields(client, "/children/new")
    first = client.post("/children/new", {**fields, **_child_form()})
    again = client.post("/children/new", {**fields, **_child_form()})
    assert again.response.headers["Location"] == first.response.headers["Location"]
    assert "This was already saved" in client.get(again.response.headers["Location"])
    assert len(_children()) == 1


def test_each_report_of_an_adversity_is_its_own_entry_with_its_author(signed_in):
    mash, mash_user = signed_in(Role.MASH, "csc", name="Sam Patel")
    post_new(mash, "/children/new", _child_form())
    child = _children()[0]
    # a health professional working in the MASH (a health manager elsewhere would not see this child)
    health, health_user = signed_in(Role.MASH, "health", name="Dr Helen Okafor")
    url = f"/children/{child.id}/adversities"
    post_new(mash, url, {"adversity": "domestic_abuse", "note": "Police call-out in March"},
             form_url=f"/children/{child.id}")
    post_new(health, url, {"adversity": "domestic_abuse", "note": "Mother disclosed at antenatal clinic"},
             form_url=f"/children/{child.id}")
    reports = list(db.session.execute(db.select(FamilyAdversity).order_by(FamilyAdversity.id)).scalars())
    assert [(r.note, r.recorded_by_id) for r in reports] == [
        ("Police call-out in March", mash_user.id), ("Mother disclosed at antenatal clinic", health_user.id)]
    page = mash.get(f"/children/{child.id}")
    assert "(1 of 9)" in page and "by Sam Patel" in page and "by Dr Helen Okafor, Testshire NHS" in page


def test_a_tampered_version_field_is_an_error_not_a_crash(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    child = _children()[0]
    url = f"/children/{child.id}/edit"
    for bad in ("abc", "1e9", "99999999999999999999"):  # refused before the view (input_guard)
        page = client.post_form(url, {**_child_form(), "version": bad}, expected=400)
        assert "This page was changed before it was sent" in page
    page = client.post_form(url, {**_child_form(), "version": ""}, expected=200)
    assert "This page is out of date. Reload the page" in page
    page = client.post_form(url, {**_child_form(), "version": "1\x00"}, expected=400)
    assert "unusual characters" in page


def test_changing_a_childs_nhs_number_to_another_childs_is_refused(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    post_new(client, "/children/new", _child_form(first_name="Bea", last_name="Other", date_of_birth=["1", "1", "2018"],
                                                  nhs_number="401 023 2137"))
    bea = _children()[1]
    url = f"/children/{bea.id}/edit"
    page = client.post_form(url, {**_child_form(first_name="Bea", last_name="Other", date_of_birth=["1", "1", "2018"],
                                                nhs_number="943-476-5919"), "version": bea.version}, expected=200)
    assert "NHS number 943 476 5919 is already recorded for Amy Example" in page
    assert db.session.get(Child, bea.id).nhs_number == "4010232137"
