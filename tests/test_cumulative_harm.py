"""Cumulative harm in front of the decision: each child's adversities (every report, its author and date) and
missing episodes of the last 90 days, beside that child's decision on the discussion page."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.children.harm import cumulative_harm
from safeguarding.extensions import db
from safeguarding.missing import services as missing

from .discussion_data import convene, make_child

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 10, 27, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def _episode(child, actor, reported, returned):
    episode = missing.record_episode(child, {
        "reported_missing_at": reported, "missing_from": "home", "missing_from_detail": "", "police_reference": "",
        "risk_level": "high", "indicators": ["county_lines"], "arrested": False, "circumstances": ""}, actor=actor)
    missing.record_return(episode, {"returned_at": returned, "found_where": "Home", "returned_by": "Mother",
                                    "out_of_area": False, "abroad": False}, actor=actor,
                          expected_version=episode.version)
    return episode


@pytest.fixture
def story(make_user, agencies):
    mash = make_user(Role.MASH, "csc", name="Sam Patel")
    nurse = make_user(Role.PRACTITIONER, "health", name="Nurse Ruth Green")
    police = make_user(Role.PRACTITIONER, "police", name="PC Dana Reed")
    amy = make_child("Amy", born=date(2012, 2, 14))
    ben = make_child("Ben", born=date(2014, 3, 1))
    child_services.record_adversity(amy, "domestic_abuse", "Police call-out in March", actor=mash)
    child_services.record_adversity(amy, "domestic_abuse", "Mother disclosed at clinic", actor=nurse)
    child_services.record_adversity(amy, "substance_misuse", "", actor=nurse)
    recent = _episode(amy, police, london(2026, 10, 20, 22, 0), london(2026, 10, 21, 2, 0))
    # 90 London days back from 27 October is 30 July: 29 July is out, 30 July is in
    edge = _episode(amy, police, london(2026, 7, 30, 0, 30), london(2026, 7, 30, 5, 0))
    _episode(amy, police, london(2026, 7, 29, 23, 30), london(2026, 7, 29, 23, 45))
    db.session.commit()
    return {"mash": mash, "amy": amy, "ben": ben, "recent": recent, "edge": edge}


def test_each_child_gets_every_adversity_report_and_the_last_90_days_of_missing(story):
    harm = cumulative_harm([story["amy"].id, story["ben"].id], story["mash"])
    amy = harm[story["amy"].id]
    assert [(a.adversity, a.recorded_by.name) for a in amy.adversities] == [
        ("domestic_abuse", "Sam Patel"), ("domestic_abuse", "Nurse Ruth Green"),
        ("substance_misuse", "Nurse Ruth Green")]
    assert amy.adversity_kinds == 2
    assert [e.id for e in amy.missing_episodes] == [story["recent"].id, story["edge"].id]
    assert amy.consider_together
    ben = harm[story["ben"].id]
    assert ben.adversities == [] and ben.missing_episodes == [] and not ben.consider_together


def test_the_discussion_page_shows_it_beside_each_childs_decision(story, signed_in, agencies):
    client, chair = signed_in(Role.MASH, "csc")
    sd = convene(chair, [story["amy"], story["ben"]], [agencies["police"], agencies["health"]])
    db.session.commit()
    page = client.get(f"/discussions/{sd.id}")
    text = page.text[page.text.index("Children and decisions"):]
    amy_part = text[text.index("Amy Example"):text.index("Ben Example")]
    assert "Family adversities (2 of 9)" in amy_part
    assert "Police call-out in March" in amy_part and "by Sam Patel" in amy_part
    assert "Mother disclosed at clinic" in amy_part and "by Nurse Ruth Green, Testshire NHS" in amy_part
    assert "Missing episodes, last 90 days: 2" in amy_part
    assert "Consider the cumulative harm" in amy_part
    assert text.index("Consider the cumulative harm") < text.index("No decision recorded yet")
    assert f'href="/missing/episodes/{story["recent"].id}"' in page.html
