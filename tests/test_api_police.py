"""A police records system uses the API as a force would: it adds the child, reports them missing, then found, and
the return home interview clock appears on My work in children's social care, 72 clock hours after the return."""
from __future__ import annotations

import time_machine

from safeguarding.auth.models import Role
from safeguarding.extensions import db
from safeguarding.missing import services as missing
from safeguarding.missing.models import ReturnInterview
from safeguarding.service import transaction

from .api_data import Api, make_client


def test_a_police_system_reports_a_child_missing_and_found_and_the_interview_clock_reaches_my_work(
        app, agencies, make_user, signed_in):
    # Saturday 24 October 2026, British Summer Time; the clocks go back early on Sunday 25 October
    with time_machine.travel("2026-10-24 12:00 +0000", tick=False):
        admin = make_user(Role.ADMIN, "csc")
        team_manager_page, team_manager = signed_in(Role.MANAGER, "csc", name="Morgan Manager")
        worker_page, worker = signed_in(Role.PRACTITIONER, "csc", name="Jo Worker", manager=team_manager)
        _, token = make_client(admin, agencies["police"], scopes=["children:read", "children:write",
                                                                 "missing:read", "missing:write"])
        niche = Api(app.test_client(), token)
        child = niche.post("/children", {"first_name": "Lily", "last_name": "Walker", "pers_dob": "2011-05-03",
                                         "gender": "female", "looked_after": "no",
                                         "pers_common_child_id": "943 476 5919"})
        assert child.status_code == 201, child.json
        report = {"child_id": child.json["id"], "reported_missing_at": "2026-10-23T22:40:00+01:00",
                  "missing_from": "home", "police_reference": "NICHE-26-0412", "risk_level": "medium",
                  "indicators": ["county_lines"]}
        episode = niche.post("/missing-episodes", report, idempotency_key="niche-missing-0412")
        assert episode.status_code == 201, episode.json
        assert episode.json["miss_mis_epi_end"] is None and episode.json["return_interview"] is None
        # the force's system retries after a timeout: the same key and report make no second episode
        retry = niche.post("/missing-episodes", report, idempotency_key="niche-missing-0412")
        assert retry.json["id"] == episode.json["id"]
        found = niche.post(f"/missing-episodes/{episode.json['id']}/found",
                           {"miss_mis_epi_end": "2026-10-24T09:30:00+01:00", "found_where": "Railway station",
                            "returned_by": "PC 1234 Patel"},
                           headers={"If-Match": episode.headers["ETag"]}, idempotency_key="niche-found-0412")
        assert found.status_code == 200, found.json
        # 72 clock hours after 08:30 UTC on the 24th, over the change of the clocks: 08:30 GMT on Tuesday the 27th
        assert found.json["return_interview"]["due_at"] == "2026-10-27T08:30:00Z"
        assert found.json["miss_mis_epi_end"] == "2026-10-24T08:30:00Z"

        unassigned = team_manager_page.get("/my-work")
        assert "Return home interview for Lily Walker (not yet assigned)" in unassigned
        assert "27 Oct 2026 08:30" in unassigned  # Europe/London: GMT by then, not 09:30
        rhi = db.session.get(ReturnInterview, found.json["return_interview"]["id"])
        with transaction():
            missing.assign(rhi, worker, actor=team_manager, expected_version=rhi.version)
        mine = worker_page.get("/my-work")
        assert "Return home interview for Lily Walker" in mine and "27 Oct 2026 08:30" in mine
        assert "(not yet assigned)" not in mine


def test_a_force_may_not_record_the_return_on_another_forces_episode(app, agencies, make_user):
    admin = make_user(Role.ADMIN, "csc")
    _, ours = make_client(admin, agencies["police"])
    _, theirs = make_client(admin, agencies["other_police"])
    niche, athena = Api(app.test_client(), ours), Api(app.test_client(), theirs)
    child = niche.post("/children", {"first_name": "Lily", "last_name": "Walker", "pers_dob": "2011-05-03",
                                     "gender": "female", "looked_after": "no"}).json
    episode = niche.post("/missing-episodes", {"child_id": child["id"], "reported_missing_at": "2026-11-30T20:00:00Z",
                                               "missing_from": "home", "risk_level": "high"}).json
    found = {"miss_mis_epi_end": "2026-11-30T23:00:00Z", "found_where": "Bus station", "returned_by": "PC Jones"}
    assert athena.post(f"/missing-episodes/{episode['id']}/found", found).status_code == 404
    too_early = niche.post(f"/missing-episodes/{episode['id']}/found",
                           {**found, "miss_mis_epi_end": "2026-11-30T19:00:00Z"})
    assert too_early.status_code == 422 and too_early.json["field"] == "miss_mis_epi_end"
    second = niche.post("/missing-episodes", {"child_id": child["id"], "reported_missing_at": "2026-11-30T21:00:00Z",
                                              "missing_from": "home", "risk_level": "high"})
    assert second.status_code == 422 and "already recorded as missing" in second.json["detail"]
    assert second.json["field"] == "reported_missing_at"
    stale = niche.post(f"/missing-episodes/{episode['id']}/found", found, headers={"If-Match": '"v99"'})
    assert stale.status_code == 412


def test_a_health_system_may_not_report_a_child_missing(app, agencies, make_user):
    admin = make_user(Role.ADMIN, "csc")
    _, token = make_client(admin, agencies["health"])
    api = Api(app.test_client(), token)
    child = api.post("/children", {"first_name": "Lily", "last_name": "Walker", "pers_dob": "2011-05-03",
                                   "gender": "female", "looked_after": "no"}).json
    answer = api.post("/missing-episodes", {"child_id": child["id"], "reported_missing_at": "2026-11-30T20:00:00Z",
                                            "missing_from": "home", "risk_level": "high"})
    assert answer.status_code == 403
