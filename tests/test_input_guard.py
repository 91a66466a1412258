"""Input no page can use is refused with a clear page, never a 500 (issue 10, "No input gives a 500")."""
from __future__ import annotations

import pytest
from flask_wtf import FlaskForm

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.extensions import db
from safeguarding.forms import GovDateField, TimeOfDayField, london_instant

from .conftest import PASSWORD


def _events(action):
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def test_nul_in_sign_in_shows_the_form_with_an_error_and_is_audited(client, make_user):
    user = make_user(Role.MASH)
    db.session.commit()
    page = client.post_form("/sign-in", {"email": user.email + "\x00", "password": PASSWORD}, expected=200)
    assert page.title.startswith("Error: Sign in")
    assert "must not contain unusual characters" in page
    failed = _events("sign_in_failed")
    assert [(e.object_id, e.user_id) for e in failed] == [(user.id, user.id)]
    assert "unusual characters" in failed[0].detail
    assert not _events("sign_in")


def test_nul_in_password_is_refused_too(client, make_user):
    user = make_user(Role.MASH)
    db.session.commit()
    page = client.post_form("/sign-in", {"email": user.email, "password": PASSWORD + "\x00"}, expected=200)
    assert "must not contain unusual characters" in page
    assert len(_events("sign_in_failed")) == 1


@pytest.mark.parametrize("query", ["/children/?q=Ann%00", "/children/?q%01=x", "/discussions/?view=%1b"])
def test_control_characters_in_a_query_string_get_a_400_page(signed_in, query):
    client, _ = signed_in(Role.MASH)
    page = client.get(query, expected=400)
    assert "remove any unusual characters" in page


def test_control_characters_in_a_form_field_get_a_400_page(signed_in):
    client, _ = signed_in(Role.ADMIN)
    page = client.post_form("/admin/agencies/new", {"name": "Police\x00", "kind": "police"}, expected=400,
                            form_url="/admin/agencies/new")
    assert "remove any unusual characters" in page


def test_tabs_and_line_breaks_are_ordinary_text(signed_in):
    client, _ = signed_in(Role.MASH)
    client.get("/children/?q=Ann%09Smith%0D%0A", expected=200)


@pytest.mark.parametrize("key,value", [("version", "abc"), ("version", "1e3"), ("version", "9" * 30),
                                       ("minutes_version", "-1"), ("based_on_revision", "x"),
                                       ("based_on_id", "1.5"), ("complete-version", "true")])
def test_a_version_that_is_not_a_whole_number_gets_a_reload_page(signed_in, key, value):
    client, _ = signed_in(Role.MASH)
    page = client.post_form("/account/password", {key: value, "current_password": "x"}, expected=400)
    assert "This page was changed before it was sent" in page
    assert "reload the page" in page


def test_an_empty_or_numeric_version_goes_on_to_the_page(signed_in):
    client, _ = signed_in(Role.MASH)
    client.post_form("/account/password", {"version": "", "revision": "12", "current_password": "x"},
                     expected=200)


def test_a_huge_post_gets_the_too_large_page(client):
    page = client.post("/sign-in", {"email": "a" * 1_000_000, "password": "x"}, expected=413)
    assert "What you sent is too large" in page


def test_a_field_repeated_fifty_times_is_not_an_error(client):
    client.post_form("/sign-in", {"email": ["someone@example.org"] * 50, "password": ["x"] * 50},
                     expected=200)


class _DateForm(FlaskForm):
    class Meta:
        csrf = False

    when = GovDateField("Date of birth")
    at = TimeOfDayField("Time")


@pytest.mark.parametrize("parts", [["1", "1", "0"], ["1", "1", "99999"], ["1", "1", "9" * 40],
                                   ["31", "12", "9999"], ["1", "1", "999"], ["1", "13", "2026"],
                                   ["-1", "1", "2026"], ["1", "1", "2026.0"], ["1", "1", "٢٠٢٦"]])
def test_dates_outside_the_calendar_are_not_real_dates(app, parts):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context(method="POST"):
        form = _DateForm(MultiDict([("when", p) for p in parts]))
        assert not form.validate()
        assert form.when.errors == ["Date of birth must be a real date"]
        assert form.when.data is None


def test_a_real_date_and_time_make_a_london_instant(app):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context(method="POST"):
        form = _DateForm(MultiDict([("when", "1"), ("when", "7"), ("when", "2026"), ("at", "14:30")]))
        assert form.validate(), form.errors
        assert london_instant(form.when.data, form.at.time).isoformat() == "2026-07-01T13:30:00+00:00"


@pytest.mark.parametrize("value", ["99:99", "٠٩:٣٠", "24:00", "9:5"])
def test_impossible_times_are_errors(app, value):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context(method="POST"):
        form = _DateForm(MultiDict([("at", value)]))
        assert not form.validate()
        assert form.at.errors == ["Time must be a real time, like 09:30 or 14:00"]


def test_unusual_characters_are_no_way_round_the_sign_in_rate_limit(app_factory):
    from .pages import PageClient

    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = PageClient(app.test_client())
    codes = [client.request("POST", "/sign-in", data={"csrf_token": client.get("/sign-in").csrf(),
                                                      "email": "a\x00@example.org", "password": "p"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.parametrize("url", ["/children/2147483648", "/children/100000000000000000000000000000/edit"])
def test_an_id_too_large_for_the_database_is_not_found(signed_in, url):
    client, _ = signed_in(Role.MASH)
    client.get(url, expected=404)


def test_an_edit_posted_without_its_version_is_not_a_server_error(signed_in):
    from datetime import date

    from safeguarding.children import services as children

    client, user = signed_in(Role.MASH)
    child = children.create_child({
        "first_name": "Amy", "last_name": "Example", "is_unborn": False, "date_of_birth": date(2016, 2, 14),
        "expected_date": None, "gender": "female", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""}, actor=user)
    db.session.commit()
    response = client.request("POST", f"/children/{child.id}/edit",
                              data={"csrf_token": client.get(f"/children/{child.id}/edit").csrf()})
    assert response.status_code == 200
    assert "This page is out of date" in response.get_data(as_text=True)  # never saved on an unknown version
