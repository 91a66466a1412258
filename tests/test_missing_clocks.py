"""Issue 11, in the missing feature: the clocks of police protection, emergency protection orders, repeat missing
and arrests start, move and stop with the facts, as a new user would try them."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.children.models import Child
from safeguarding.extensions import db
from safeguarding.missing import services
from safeguarding.missing.models import PoliceProtection

from .once_forms import post_new

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
#: Tuesday 1 December 2026, 12:00 GMT
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def when(prefix: str, moment: datetime) -> dict:
    local = moment.astimezone(LONDON)
    return {f"{prefix}_date": [str(local.day), str(local.month), str(local.year)],
            f"{prefix}_time": local.strftime("%H:%M")}


def make_child(user, first="Kai", last="Example") -> Child:
    child = child_services.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": date(2011, 5, 4),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""}, actor=user)
    db.session.commit()
    return child


@pytest.fixture
def police(signed_in):
    return signed_in(Role.PRACTITIONER, "police", name="PC Dana Reed")


@pytest.fixture
def csc(signed_in):
    return signed_in(Role.PRACTITIONER, "csc", name="Jo Worker")


def start_pp(user, child, started: datetime) -> PoliceProtection:
    pp = services.start_police_protection(child, {
        "started_at": started, "designated_officer": "Insp Shah", "place_of_safety": "Foster home",
        "reason": "Found alone at 2am"}, actor=user)
    db.session.commit()
    return pp


# --- Police protection beyond 72 hours is recorded as it happened ------------------------------------------------


def test_police_protection_ending_after_72_hours_is_recorded_as_a_breach_with_its_reason(police, signed_in):
    client, user = police
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(user)
    pp = start_pp(user, child, london(2026, 11, 20, 10, 0))  # 72 hours ran out at 10:00 on 23 November
    page = client.get(f"/missing/police-protection/{pp.id}")
    assert "The 72 hours ran out at 23 Nov 2026 10:00" in page
    url = f"/missing/police-protection/{pp.id}/end"
    true_end = {**when("ended", london(2026, 11, 23, 16, 30)), "end_outcome": "accommodated",
                "end_note": "Typed note"}
    refused = post_new(client, url, true_end, expected=200)
    assert "Police protection lasted more than 72 hours: enter why" in refused and "Typed note" in refused.html
    assert db.session.get(PoliceProtection, pp.id).ended_at is None

    post_new(client, url, {**true_end, "breach_reason": "No foster placement until the afternoon"})
    pp = db.session.get(PoliceProtection, pp.id)
    assert pp.ended_at == london(2026, 11, 23, 16, 30) and pp.breached
    assert pp.breach_reason == "No foster placement until the afternoon"
    shown = client.get(f"/missing/police-protection/{pp.id}")
    assert "Lasted more than 72 hours: a breach" in shown and "No foster placement until the afternoon" in shown
    child_page = client.get(f"/children/{child.id}")
    assert "Police protection ended after more than 72 hours (breach)" in child_page
    assert "lasted more than 72 hours, ended 23 Nov 2026 16:30 (breach)" in child_page

    figures = manager.get("/missing/figures?start=1&start=11&start=2026&end=30&end=11&end=2026")
    assert "November 2026 1 1" in figures and "Police protection" in figures


def test_an_end_within_72_hours_is_no_breach_and_keeps_no_reason(police):
    client, user = police
    child = make_child(user)
    pp = start_pp(user, child, london(2026, 11, 29, 10, 0))
    post_new(client, f"/missing/police-protection/{pp.id}/end",
             {**when("ended", london(2026, 11, 30, 10, 0)), "end_outcome": "returned_home",
              "breach_reason": "typed by mistake"})
    pp = db.session.get(PoliceProtection, pp.id)
    assert pp.ended_at is not None and not pp.breached and pp.breach_reason == ""


def test_figures_count_a_police_protection_still_open_after_72_hours(police, signed_in):
    _, user = police
    manager, _ = signed_in(Role.MANAGER, "csc")
    child = make_child(user)
    start_pp(user, child, london(2026, 11, 10, 10, 0))
    other = make_child(user, first="Lee")
    start_pp(user, other, london(2026, 11, 30, 10, 0))  # 26 hours in: not a breach
    months, total = services.police_protection_figures(date(2026, 11, 1), date(2026, 11, 30))
    assert (total.began, total.over_72_hours) == (2, 1)
    assert "Total 2 1" in manager.get("/missing/figures?start=1&start=11&start=2026&end=30&end=11&end=2026")
