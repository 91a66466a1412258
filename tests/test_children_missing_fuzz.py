"""Whatever is posted to a children or missing form, the answer is a page or a redirect, never a server error."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from safeguarding import clock
from safeguarding.auth.models import Role
from safeguarding.children import services as child_services
from safeguarding.extensions import db
from safeguarding.missing import services as missing

from .once_forms import hidden_fields

NASTY = ["", "abc", "-1", "1.5", "99999999999999999999", "0", "1\x00", "x" * 20_000, "\u202e",
         "<script>alert(1)</script>", "99999", "2026-10-27", "  "]
#: tried one field at a time too, the others as the page gave them
WORST = ["1\x00", "99999999999999999999", "x" * 20_000]
NAME_RE = re.compile(r'name="([^"]+)"')


def _fields(html: str) -> list[str]:
    return sorted(set(NAME_RE.findall(html)) - {"csrf_token"})


@pytest.fixture
def world(signed_in):
    police, officer = signed_in(Role.PRACTITIONER, "police")
    csc, worker = signed_in(Role.MASH, "csc")
    now = clock.now()
    child = child_services.create_child({
        "first_name": "Kai", "last_name": "Example", "is_unborn": False, "date_of_birth": date(2011, 5, 4),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""}, actor=officer)
    episode = missing.record_episode(child, {
        "reported_missing_at": now - timedelta(hours=8), "missing_from": "home", "missing_from_detail": "",
        "police_reference": "", "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""},
        actor=officer)
    rhi = missing.record_return(episode, {"returned_at": now - timedelta(hours=6), "found_where": "Home",
                                          "returned_by": "Mother", "out_of_area": False, "abroad": False},
                                actor=officer, expected_version=episode.version)
    pp = missing.start_police_protection(child, {"started_at": now - timedelta(hours=5), "designated_officer": "Shah",
                                                 "place_of_safety": "Home", "reason": "x"}, actor=officer)
    epo = missing.record_epo(child, {"granted_at": now - timedelta(hours=4), "ends_at": now + timedelta(days=3),
                                     "court": "Court", "police_protection_id": None}, actor=worker)
    prompt_id = pp.id and db.session.execute(db.select(missing.DiscussionPrompt.id)).scalar_one()
    db.session.commit()
    ids = {"child_id": child.id, "episode_id": episode.id, "rhi_id": rhi.id, "pp_id": pp.id, "epo_id": epo.id,
           "prompt_id": prompt_id}
    return {"police": police, "csc": csc, "ids": ids}


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("children", "missing"):
            yield rule


def test_no_posted_value_gives_a_server_error(app, world):
    ids = world["ids"]
    checked = 0
    for rule in _post_routes(app):
        url = rule.rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        if rule.endpoint == "missing.convene":
            continue  # no fields: one button, covered by its own tests
        client = world["police"] if rule.endpoint.split(".")[1] in (
            "new_episode", "edit_episode", "regrade", "record_return", "prevention_interview",
            "new_police_protection", "end_police_protection", "new_arrest") else world["csc"]
        form_url = {"missing.regrade": f"/missing/episodes/{ids['episode_id']}",
                    "missing.record_offer": f"/missing/return-interviews/{ids['rhi_id']}",
                    "missing.extend_epo": f"/missing/epo/{ids['epo_id']}",
                    "missing.end_epo": f"/missing/epo/{ids['epo_id']}",
                    "children.add_adversity": f"/children/{ids['child_id']}",
                    "children.index": "/children/"}.get(rule.endpoint, url)
        page = client.request("GET", form_url)
        if page.status_code != 200:
            continue  # a role that may not use this form: refused before any field is read
        html = page.get_data(as_text=True)
        hidden, names = hidden_fields(html), _fields(html)
        attempts = [{**hidden, **{n: value for n in names}} for value in NASTY]
        attempts += [{**hidden, name: value} for name in names for value in WORST]
        for data in attempts:
            response = client.request("POST", url, data=data)
            assert response.status_code < 500, (rule.endpoint, {k: repr(v)[:30] for k, v in data.items()})
            checked += 1
    assert checked > 300
