"""The integration API: clients and tokens, scopes, row scopes, idempotency, ETags, cursors, problem details."""
from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeguarding.api.framework import OPERATIONS
from safeguarding.api.models import ApiClient
from safeguarding.audit.models import AuditEvent, AuditEventChild
from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.clock import now
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db
from safeguarding.service import transaction

from .api_data import Api, make_client
from .discussion_data import convene, make_child

NHS = "9434765919"


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, "csc", name="Ada Admin")


@pytest.fixture
def police_api(app, admin, agencies):
    client, token = make_client(admin, agencies["police"])
    return Api(app.test_client(), token)


def child_body(**overrides) -> dict:
    body = {"first_name": "Amy", "last_name": "Example", "pers_dob": "2016-02-14", "gender": "female",
            "looked_after": "no", "pers_common_child_id": NHS, "pers_person_id": "LCS-1234"}
    body.update(overrides)
    return body


# --- Clients: made by administrators, the token shown once ------------------------------------------------------


def test_an_administrator_creates_a_client_and_sees_its_token_once(signed_in, agencies):
    page_client, _ = signed_in(Role.ADMIN, "csc")
    expires = date.today() + timedelta(days=90)
    shown = page_client.post_form("/admin/api-clients/new", {
        "name": "Testshire Police: Niche", "agency_id": str(agencies["police"].id),
        "scopes": ["children:read", "missing:write"], "requests_per_minute": "60",
        "expires_on": [str(expires.day), str(expires.month), str(expires.year)]}, expected=200)
    token = shown.html.split('id="api-token" class="app-token">')[1].split("<")[0]
    assert token.startswith("sdc_") and len(token) > 40
    client = db.session.execute(select(ApiClient)).scalar_one()
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in page_client.get(f"/admin/api-clients/{client.id}").html
    assert "Testshire Police: Niche" in page_client.get("/admin/api-clients/").html
    api = Api(page_client.client.application.test_client(), token)
    assert api.get("/children").status_code == 200
    assert api.get("/discussions").status_code == 403  # not given discussions:read


def test_a_client_form_names_each_missing_answer(signed_in):
    page_client, _ = signed_in(Role.ADMIN, "csc")
    page = page_client.post_form("/admin/api-clients/new", {"requests_per_minute": "60"}, expected=200)
    for message in ("Enter the name of the system", "Select the agency whose system this is",
                    "Select what the system may do", "Enter the date the token expires"):
        assert message in page.html


def test_only_administrators_manage_clients(signed_in):
    page_client, _ = signed_in(Role.MANAGER, "police")
    page_client.get("/admin/api-clients/", expected=403)


def test_revoking_a_client_stops_its_token_at_once(app, signed_in, agencies):
    page_client, admin = signed_in(Role.ADMIN, "csc")
    client, token = make_client(admin, agencies["police"])
    api = Api(app.test_client(), token)
    assert api.get("/children").status_code == 200
    page_client.post_form(f"/admin/api-clients/{client.id}", {})
    answer = api.get("/children")
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    assert "Revoked" in page_client.get(f"/admin/api-clients/{client.id}").html


# --- Every operation refuses a bad token ------------------------------------------------------------------------


def _path(op) -> str:
    return op.path.replace("{child_id}", "1").replace("{episode_id}", "1").replace("{discussion_id}", "1") \
        .replace("{action_id}", "1")


@pytest.mark.parametrize("kind", ["missing", "wrong", "expired", "revoked", "wrong scheme"])
def test_every_operation_refuses_a_missing_wrong_expired_or_revoked_token(app, admin, agencies, kind):
    client, token = make_client(admin, agencies["police"], expires_in=timedelta(days=1))
    if kind == "expired":
        client.expires_at = now() - timedelta(seconds=1)
    if kind == "revoked":
        client.revoked_at = now()
    db.session.commit()
    header = {"missing": None, "wrong": f"Bearer {token[:-2]}xx", "wrong scheme": f"Basic {token}"}.get(
        kind, f"Bearer {token}")
    http = Api(app.test_client(), "")
    for op in OPERATIONS:
        headers = {"Idempotency-Key": "retry-key-0001"}
        if header:
            headers["Authorization"] = header
        answer = http.open(_path(op), op.method, json={}, headers=headers)
        assert answer.status_code == 401, (op.method, op.path, answer.status_code)
        assert answer.json["status"] == 401
        assert "Set-Cookie" not in answer.headers
    assert db.session.execute(select(Child)).first() is None


def test_a_client_without_the_scope_is_forbidden_and_told_which_scope(app, admin, agencies):
    _, token = make_client(admin, agencies["police"], scopes=["children:read"])
    answer = Api(app.test_client(), token).post("/children", child_body())
    assert answer.status_code == 403
    assert "children:write" in answer.json["detail"]


def test_api_calls_use_no_cookie_and_need_no_csrf_token(police_api):
    answer = police_api.post("/children", child_body())
    assert answer.status_code == 201
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_client_is_rate_limited_per_client(app, admin, agencies):
    app.config["RATELIMIT_ENABLED"] = True
    from safeguarding.extensions import limiter

    limiter.enabled = True
    _, token = make_client(admin, agencies["police"], per_minute=3)
    _, other = make_client(admin, agencies["csc"], per_minute=3)
    api = Api(app.test_client(), token)
    assert [api.get("/children").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert api.get("/children").headers["Retry-After"] == "60"
    assert Api(app.test_client(), other).get("/children").status_code == 200


# --- Children ---------------------------------------------------------------------------------------------------


def test_a_child_is_created_read_back_with_its_etag_and_audited_as_the_client(police_api, agencies):
    made = police_api.post("/children", child_body())
    assert made.status_code == 201
    child_id = made.json["id"]
    assert made.json["pers_common_child_id"] == NHS and made.json["pers_person_id"] == "LCS-1234"
    shown = police_api.get(f"/children/{child_id}")
    assert shown.status_code == 200 and shown.headers["ETag"] == '"v1"'
    client = db.session.execute(select(ApiClient)).scalar_one()
    views = db.session.execute(select(AuditEvent).where(AuditEvent.action == "view", AuditEvent.object_type == "child",
                                                        AuditEvent.object_id == child_id)).scalars().all()
    assert views and all(v.user_id == client.service_user_id for v in views)
    assert f"API client {client.id}" in views[-1].detail
    created = db.session.execute(select(AuditEvent).where(AuditEvent.action == "create",
                                                          AuditEvent.object_type == "child")).scalar_one()
    assert created.user_id == client.service_user_id and created.agency_id == agencies["police"].id


def test_the_same_idempotency_key_and_body_make_one_child_and_a_different_body_is_refused(police_api):
    first = police_api.post("/children", child_body(), idempotency_key="niche-0001")
    again = police_api.post("/children", child_body(), idempotency_key="niche-0001")
    assert again.status_code == first.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = police_api.post("/children", child_body(first_name="Beth"), idempotency_key="niche-0001")
    assert other.status_code == 422 and other.json["field"] == "Idempotency-Key"
    assert db.session.execute(select(Child)).scalars().all() == [db.session.get(Child, first.json["id"])]


def test_keys_past_the_remembered_days_are_forgotten_each_night(app, police_api):
    """The scheduler's api_keys job: a key older than API_IDEMPOTENCY_DAYS (30) is forgotten, so using it again is a
    new request; a recent key still replays (or refuses a different body)."""
    from safeguarding import clock
    from safeguarding.api.models import ApiIdempotencyKey
    from safeguarding.reminders import cli

    today = clock.now()
    with clock.frozen_at(today - timedelta(days=31)):
        old = police_api.post("/children", child_body(pers_common_child_id=None), idempotency_key="old-key-0001")
    with clock.frozen_at(today - timedelta(days=29)):
        recent = police_api.post("/children", child_body(pers_common_child_id=None, first_name="Bo"),
                                 idempotency_key="recent-key-0001")
    assert old.status_code == recent.status_code == 201
    with clock.frozen_at(today):
        cli.run_job(app, "api_keys")
    db.session.expire_all()
    assert db.session.execute(select(ApiIdempotencyKey.key)).scalars().all() == ["recent-key-0001"]
    # the forgotten key is a new request now; the remembered one still refuses a different body
    again = police_api.post("/children", child_body(pers_common_child_id=None, first_name="Cy"),
                            idempotency_key="old-key-0001")
    assert again.status_code == 201 and again.json["id"] != old.json["id"]
    assert police_api.post("/children", child_body(pers_common_child_id=None, first_name="Di"),
                           idempotency_key="recent-key-0001").status_code == 422


def test_a_post_without_an_idempotency_key_is_refused(police_api):
    answer = police_api.open("/children", "POST", json=child_body(), headers=police_api.headers())
    assert answer.status_code == 400 and answer.json["field"] == "Idempotency-Key"


@pytest.mark.parametrize("body, field", [
    (child_body(first_name=""), "first_name"),
    (child_body(gender="boy"), "gender"),
    (child_body(pers_common_child_id="1234567890"), "pers_common_child_id"),
    (child_body(pers_dob=None), "pers_dob"),
    (child_body(pers_dob="2099-01-01"), "pers_dob"),
    (child_body(looked_after="yes"), "responsible_authority"),
    (child_body(address="a\x00b"), "address"),
    (child_body(unknown="x"), "unknown"),
])
def test_a_bad_child_is_a_problem_naming_the_field(police_api, body, field):
    answer = police_api.post("/children", body)
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert answer.json["field"] == field and answer.json["detail"]


def test_a_second_child_with_the_same_nhs_number_is_refused_by_the_same_rule_as_the_page(police_api):
    assert police_api.post("/children", child_body()).status_code == 201
    again = police_api.post("/children", child_body(first_name="Beth"))
    assert again.status_code == 422 and again.json["field"] == "pers_common_child_id"
    assert "already recorded" in again.json["detail"]


def test_matching_never_tells_a_hidden_child_from_no_child(app, admin, agencies, police_api):
    hidden = make_child(agency=agencies["health"])
    hidden.nhs_number, hidden.la_reference = NHS, "LCS-9"
    db.session.commit()
    out_of_sight = police_api.post("/children/match", {"pers_common_child_id": NHS})
    nobody = police_api.post("/children/match", {"pers_common_child_id": "9434765870"})
    assert out_of_sight.status_code == nobody.status_code == 404
    assert out_of_sight.json == nobody.json
    _, health_token = make_client(admin, agencies["health"])
    found = Api(app.test_client(), health_token).post("/children/match", {"pers_person_id": "LCS-9"})
    assert found.status_code == 200 and found.json["id"] == hidden.id


def test_row_scope_a_force_sees_only_the_children_it_may(police_api, agencies):
    own = make_child("Own", agency=agencies["police"])
    other = make_child("Other", agency=agencies["health"])
    listed = police_api.get("/children").json
    assert [c["id"] for c in listed["items"]] == [own.id]
    assert police_api.get(f"/children/{other.id}").status_code == 404
    refused = db.session.execute(select(AuditEvent).where(AuditEvent.action == "authz_fail")).scalars().all()
    assert [(e.object_type, e.object_id) for e in refused] == [("child", other.id)]


def test_cursor_pages_are_stable_by_id(police_api, agencies):
    made = [make_child(f"Child{n}", agency=agencies["police"]).id for n in range(5)]
    seen, cursor = [], None
    while True:
        page = police_api.get("/children", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = police_api.get("/children", query_string={"cursor": "bm9wZQ"})
    assert bad.status_code == 400 and bad.json["field"] == "cursor"
    assert police_api.get("/children", query_string={"limit": 0}).json["field"] == "limit"


def test_list_views_are_audited_with_the_children_shown(police_api, agencies):
    child = make_child(agency=agencies["police"])
    police_api.get("/children")
    event = db.session.execute(select(AuditEvent).where(AuditEvent.object_type == "api_children")).scalar_one()
    links = db.session.execute(select(AuditEventChild.child_id).where(AuditEventChild.event_id == event.id))
    assert list(links.scalars()) == [child.id]


# --- Agreed actions: completed by the owner agency with If-Match ------------------------------------------------


@pytest.fixture
def action_of_csc(make_user, agencies):
    chair = make_user(Role.MASH, "csc")
    owner = make_user(Role.PRACTITIONER, "csc", name="Jo Worker")
    child = make_child(agency=agencies["csc"])
    sd = convene(chair, [child], [agencies["csc"], agencies["police"]])
    with transaction():
        action = discussions.add_action(sd, {"description": "Visit Amy at home", "owner_id": owner.id,
                                             "child_id": child.id, "due_at": now() + timedelta(days=2)},
                                        actor=chair)
    return action


def test_the_owner_agency_completes_an_action_with_the_etag_of_what_it_read(app, admin, agencies, action_of_csc):
    _, token = make_client(admin, agencies["csc"])
    api = Api(app.test_client(), token)
    read = api.get(f"/actions/{action_of_csc.id}")
    assert read.status_code == 200 and read.json["status"] == "open"
    tag = read.headers["ETag"]
    missing = api.post(f"/actions/{action_of_csc.id}/complete", {"completion_note": "Visited"})
    assert missing.status_code == 428
    done = api.post(f"/actions/{action_of_csc.id}/complete", {"completion_note": "Visited"},
                    headers={"If-Match": tag})
    assert done.status_code == 200 and done.json["status"] == "done"
    stale = api.post(f"/actions/{action_of_csc.id}/complete", {"completion_note": "Visited again"},
                     headers={"If-Match": tag})
    assert stale.status_code == 412 and stale.json["field"] == "If-Match"


def test_another_agency_reads_but_may_not_complete_an_action(police_api, action_of_csc):
    read = police_api.get(f"/actions/{action_of_csc.id}")
    assert read.status_code == 200
    answer = police_api.post(f"/actions/{action_of_csc.id}/complete", {"completion_note": "Done"},
                             headers={"If-Match": read.headers["ETag"]})
    assert answer.status_code == 403


def test_discussions_are_read_with_their_children_and_deadlines_of_the_agency_are_listed(app, admin, agencies,
                                                                                     action_of_csc):
    _, token = make_client(admin, agencies["csc"])
    api = Api(app.test_client(), token)
    listed = api.get("/discussions").json["items"]
    assert [d["id"] for d in listed] == [action_of_csc.discussion_id]
    assert listed[0]["action_ids"] == [action_of_csc.id]
    deadlines = api.get("/deadlines").json["items"]
    assert ("agreed_action", action_of_csc.id) in {(d["object_type"], d["object_id"]) for d in deadlines}
    _, health = make_client(admin, agencies["health"])
    assert Api(app.test_client(), health).get("/discussions").json["items"] == []


# --- The document -----------------------------------------------------------------------------------------------


def test_the_openapi_document_describes_every_operation_and_the_page_shows_it(client):
    answer = client.client.get("/api/v1/openapi.json")
    doc = answer.json
    assert doc["openapi"].startswith("3.1")
    operations = {(m.upper(), p) for p, methods in doc["paths"].items() for m in methods}
    assert operations == {(op.method, op.path) for op in OPERATIONS}
    assert doc["components"]["schemas"]["ChildIn"]["properties"]["pers_dob"]["description"].startswith("SSD")
    page = client.get("/api/v1/docs")
    assert "POST /missing-episodes/{episode_id}/found" in page.text
    assert "pers_common_child_id" in page.text


def test_errors_before_any_api_view_are_problem_details_too(police_api):
    for path, status in (("/no-such-thing", 404), ("/children?cursor=%01", 400), ("/children/99999999999", 404)):
        answer = police_api.get(path)
        assert answer.status_code == status, path
        assert answer.mimetype == "application/problem+json" and answer.json["status"] == status
    wrong_method = police_api.open("/children/1", "DELETE", headers=police_api.headers())
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"


def test_a_referral_opens_a_draft_discussion_with_the_referrers_words_exactly_as_sent(app, admin, agencies,
                                                                                      signed_in):
    _, token = make_client(admin, agencies["health"], scopes=["referrals:write", "discussions:read"])
    api = Api(app.test_client(), token)
    child = make_child(agency=agencies["health"])
    words = "  Amy said: 'he hit me with the belt'.\n\tBruises on both arms, seen at 09:10.\n"
    sent = api.post("/referrals", {"child_ids": [child.id], "referral_source": "School nurse",
                                   "referral_received_on": "2026-11-30", "referrer_words": words})
    assert sent.status_code == 201, sent.json
    assert sent.json["status"] == "draft" and sent.json["referrer_words"] == words
    assert sent.json["child_ids"] == [child.id]
    mash, _ = signed_in(Role.MASH, "csc")
    drafts = mash.get("/discussions/?view=drafts")
    assert f'/discussions/{sent.json["id"]}' in drafts.html
    assert "Amy said: 'he hit me with the belt'." in mash.get(f'/discussions/{sent.json["id"]}')
    hidden = make_child("Other", agency=agencies["police"])
    refused = api.post("/referrals", {"child_ids": [hidden.id], "referral_source": "School nurse",
                                      "referral_received_on": "2026-11-30", "referrer_words": words})
    assert refused.status_code == 422 and refused.json["field"] == "child_ids"


def test_a_clients_service_account_is_not_a_person_on_the_users_pages(signed_in, agencies):
    page_client, admin = signed_in(Role.ADMIN, "csc")
    client, _ = make_client(admin, agencies["police"], name="Testshire Police: Niche")
    assert "API client: Testshire Police: Niche" not in page_client.get("/admin/users")
    for path in ("", "/active", "/password", "/sign-in-codes"):
        page_client.get(f"/admin/users/{client.service_user_id}{path}", expected=404)
