from datetime import date

import pytest

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.children.nhs import is_valid_nhs_number
from safeguarding.extensions import db

from .once_forms import post_new


def _child_form(**overrides):
    data = {"first_name": "Amy", "last_name": "Example", "date_of_birth": ["14", "2", "2016"],
            "gender": "female", "looked_after": "no", "nhs_number": "943 476 5919"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("number,valid", [("9434765919", True), ("943 476 5919", True), ("9434765918", False),
                                          ("123", False), ("4857773456", False), ("4010232137", True),
                                          ("abcdefghij", False)])
def test_nhs_number_check_digit(number, valid):
    assert is_valid_nhs_number(number) is valid


def test_create_find_and_view_child_is_audited(signed_in):
    client, user = signed_in(Role.MASH)
    page = post_new(client, "/children/new", _child_form())
    child = db.session.execute(db.select(Child)).scalar_one()
    assert page.response.headers["Location"] == f"/children/{child.id}"
    assert child.nhs_number == "9434765919" and child.created_by_agency_id == user.agency_id
    shown = client.get(f"/children/{child.id}")
    assert "Amy Example" in shown and "943 476 5919" in shown
    for query in ("amy", "Example", "14/02/2016", "943 476 5919"):
        results = client.post_form("/children/", {"query": query}, expected=200)
        assert "Amy Example" in results, query
    actions = [e.action for e in db.session.execute(
        db.select(AuditEvent).where(AuditEvent.object_type == "child")).scalars()]
    assert actions.count("create") == 1 and actions.count("view") == 1 and actions.count("search") == 4
    create = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "create",
                                                            AuditEvent.object_type == "child")).scalar_one()
    assert create.changes["first_name"] == {"changed": True}  # names are not copied into the audit log


def test_bad_input_gets_gov_uk_errors_and_keeps_what_was_typed(signed_in):
    client, _ = signed_in(Role.MASH)
    page = post_new(client, "/children/new", _child_form(
        first_name="", date_of_birth=["31", "2", "2016"], nhs_number="9434765918", address="1 Keep Street"),
        expected=200)
    for message in ("Enter the child's first name", "Date of birth must be a real date",
                    "Enter a valid NHS number"):
        assert message in page
    assert "1 Keep Street" in page.html and 'value="9434765918"' in page.html
    future = post_new(client, "/children/new", _child_form(date_of_birth=["1", "1", "2099"]), expected=200)
    assert "Date of birth must be today or in the past" in future
    long_name = post_new(client, "/children/new", _child_form(first_name="x" * 101), expected=200)
    assert "First name must be 100 characters or fewer" in long_name
    unborn = post_new(client, "/children/new", _child_form(is_unborn="y", date_of_birth=["", "", ""]),
                              expected=200)
    assert "Enter the expected date of delivery" in unborn
    no_dob = post_new(client, "/children/new", _child_form(date_of_birth=["", "", ""]), expected=200)
    assert "Enter the child's date of birth" in no_dob
    partial = post_new(client, "/children/new", _child_form(date_of_birth=["12", "", "2016"]), expected=200)
    assert "Date of birth must include a month" in partial
    assert db.session.execute(db.select(Child)).first() is None


def test_unborn_child(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form(is_unborn="y", date_of_birth=["", "", ""],
                                                   expected_date=["1", "3", "2027"], nhs_number=""))
    child = db.session.execute(db.select(Child)).scalar_one()
    assert child.is_unborn and child.expected_date == date(2027, 3, 1) and child.date_of_birth is None


def test_practitioner_of_another_agency_cannot_see_the_child(signed_in):
    mash, _ = signed_in(Role.MASH)
    post_new(mash, "/children/new", _child_form())
    child = db.session.execute(db.select(Child)).scalar_one()
    police, police_user = signed_in(Role.PRACTITIONER, "police")
    police.get(f"/children/{child.id}", expected=404)
    police.get(f"/children/{child.id}/edit", expected=404)
    assert "Amy Example" not in police.post_form("/children/", {"query": "Amy"}, expected=200)
    assert db.session.execute(db.select(AuditEvent).where(
        AuditEvent.action == "authz_fail", AuditEvent.user_id == police_user.id)).scalars().all()


def test_stale_edit_shows_conflict_and_loses_nothing(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    child = db.session.execute(db.select(Child)).scalar_one()
    url = f"/children/{child.id}/edit"
    token = client.get(url).csrf()
    stale_version = child.version
    other, _ = signed_in(Role.MANAGER)
    other.post_form(url, {**_child_form(ethnicity="Recorded by manager"), "version": stale_version})
    page = client.post(url, {**_child_form(address="Typed by me"), "version": stale_version,
                             "csrf_token": token}, expected=200)
    assert "Someone else changed this record" in page
    assert "Typed by me" in page.html
    assert db.session.get(Child, child.id).ethnicity == "Recorded by manager"


def test_adversities_are_counted(signed_in):
    client, _ = signed_in(Role.MASH)
    post_new(client, "/children/new", _child_form())
    child = db.session.execute(db.select(Child)).scalar_one()
    for adversity in ("domestic_abuse", "substance_misuse", "poverty"):
        post_new(client, f"/children/{child.id}/adversities", {"adversity": adversity, "note": "seen"},
                 form_url=f"/children/{child.id}")
    page = client.get(f"/children/{child.id}")
    assert "(3 of 9)" in page and "consider the cumulative harm" in page


def test_manager_sees_who_looked_at_a_child(signed_in):
    mash, mash_user = signed_in(Role.MASH)
    post_new(mash, "/children/new", _child_form())
    child = db.session.execute(db.select(Child)).scalar_one()
    mash.get(f"/children/{child.id}")
    mash.get(f"/audit/children/{child.id}", expected=403)
    manager, _ = signed_in(Role.MANAGER)
    page = manager.get(f"/audit/children/{child.id}")
    assert mash_user.name in page and "Viewed" in page and "Created" in page
    assert "Who has looked at this record" in manager.get(f"/children/{child.id}")


def test_search_is_rate_limited_per_user(app_factory):
    from .conftest import PASSWORD
    from .pages import PageClient

    app = app_factory(SEARCH_RATE_LIMIT="2 per minute")
    from safeguarding.auth.models import Agency, User
    from safeguarding.auth import passwords

    agency = Agency(name="CSC", kind="childrens_social_care")
    db.session.add(agency)
    db.session.flush()
    user = User(name="Searcher", email="s@example.org", agency_id=agency.id, role="mash",
                password_hash=passwords.hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    client = PageClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    client.post_form("/children/", {"query": "a"}, expected=200)
    client.post_form("/children/", {"query": "b"}, expected=200)
    client.post_form("/children/", {"query": "c"}, expected=429)


def test_a_childs_page_is_not_sent_when_its_view_cannot_be_recorded(signed_in, monkeypatch):
    # the page is drawn before its view is recorded (one transaction with what drew it), so it must not leave the
    # server unless the record was committed
    from safeguarding.audit import services as audit_services

    client, user = signed_in(Role.MASH)
    child = Child(first_name="Zoë", last_name="Unrecorded", created_by_agency_id=user.agency_id)
    db.session.add(child)
    db.session.commit()

    def refused():
        raise RuntimeError("the audit trail refused the event")

    monkeypatch.setattr(audit_services, "commit_view", refused)
    page = client.get(f"/children/{child.id}", expected=500)
    assert "Unrecorded" not in page.html
    monkeypatch.undo()
    assert "Unrecorded" in client.get(f"/children/{child.id}")
    views = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "child", AuditEvent.action == "view")).scalars().all()
    assert len(views) == 1  # the refused one left nothing behind
