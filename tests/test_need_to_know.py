"""Need to know (issue 13): managers see their agency's and team's cases, the partnership business unit only
figures; writes follow the owner; restricted children; break glass. Ends with an access matrix over every object
route, the demo roles and two police forces."""
import re
from datetime import date, datetime, timedelta

import pytest

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Agency, AgencyKind, Role
from safeguarding.children import services as child_services
from safeguarding.children.models import BreakGlass, Child
from safeguarding.clock import LONDON
from safeguarding.differences import services as difference_services
from safeguarding.discussions import services as discussion_services
from safeguarding.discussions.models import AgreedAction
from safeguarding.extensions import db
from safeguarding.missing import services as missing_services
from safeguarding.missing.models import EmergencyProtectionOrder, MissingEpisode, PoliceProtection, ReturnInterview

from .conftest import PASSWORD
from .discussion_data import convene
from .once_forms import post_new
from .pages import RANDOM_VALUES, PageClient

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


_addresses = iter(range(1, 60000))


def client_for(app, user) -> PageClient:
    page_client = PageClient(app.test_client())
    # each person at their own desk: the sign-in limit per address is not what these tests are about
    n = next(_addresses)
    page_client.client.environ_base["REMOTE_ADDR"] = f"10.1.{n // 250}.{n % 250 + 1}"
    page_client.sign_in(user.email, PASSWORD)
    return page_client


def new_child(actor, first="Kai", last="Example", born=date(2011, 5, 4)) -> Child:
    child = child_services.create_child({
        "first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": born,
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""}, actor=actor)
    db.session.commit()
    return child


@pytest.fixture
def cast(app, agencies, make_user):
    """The demo roles in each agency, two police forces (the second only invited to the discussion), and the
    partnership business unit."""
    unit = Agency(name="Testshire Safeguarding Partnership", kind=AgencyKind.SAFEGUARDING_PARTNERSHIP.value)
    db.session.add(unit)
    db.session.commit()
    agencies["partnership"] = unit
    p = {}
    p["mash"] = make_user(Role.MASH, "csc", name="MASH Worker")
    p["csc_manager"] = make_user(Role.MANAGER, "csc", name="CSC Manager")
    p["social_worker"] = make_user(Role.PRACTITIONER, "csc", name="Social Worker", manager=p["csc_manager"])
    p["police_manager"] = make_user(Role.MANAGER, "police", name="Police Manager")
    p["officer"] = make_user(Role.PRACTITIONER, "police", name="Officer", manager=p["police_manager"])
    p["other_manager"] = make_user(Role.MANAGER, "other_police", name="Other Force Manager")
    p["other_officer"] = make_user(Role.PRACTITIONER, "other_police", name="Other Force Officer",
                                   manager=p["other_manager"])
    p["health_manager"] = make_user(Role.MANAGER, "health", name="Health Manager")
    p["nurse"] = make_user(Role.PRACTITIONER, "health", name="Nurse", manager=p["health_manager"])
    p["teacher"] = make_user(Role.PRACTITIONER, "education", name="Teacher")
    p["unit"] = make_user(Role.MANAGER, "partnership", name="Business Unit")
    p["admin"] = make_user(Role.ADMIN, "csc", name="Admin")
    return p


def the_case(cast, agencies):
    """A child recorded by the first force with everything a child can have; the second force is invited to the
    discussion about them (so reads the case) and owns nothing."""
    officer, mash, worker = cast["officer"], cast["mash"], cast["social_worker"]
    child = new_child(officer)
    reported = NOW - timedelta(days=3)
    episode = missing_services.record_episode(child, {
        "reported_missing_at": reported, "missing_from": "home", "missing_from_detail": "", "police_reference": "",
        "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""}, actor=officer)
    rhi = missing_services.record_return(episode, {
        "returned_at": reported + timedelta(hours=5), "found_where": "Home", "returned_by": "Mother",
        "out_of_area": False, "abroad": False}, actor=officer, expected_version=episode.version)
    pp = missing_services.start_police_protection(child, {
        "started_at": NOW - timedelta(hours=2), "designated_officer": "Insp Shah", "place_of_safety": "Foster home",
        "reason": "Found alone"}, actor=officer)
    arrest = missing_services.record_arrest(child, {
        "arrested_at": NOW - timedelta(hours=1), "exploitation": "no", "episode_id": None,
        "police_reference": "", "note": ""}, actor=officer)
    epo = missing_services.record_epo(child, {
        "granted_at": NOW - timedelta(hours=1), "ends_at": NOW + timedelta(days=7), "court": "Family Court",
        "police_protection_id": None}, actor=worker)
    db.session.commit()
    sd = convene(mash, [child], [agencies["csc"], agencies["police"], agencies["other_police"]])
    action = discussion_services.add_action(sd, {"description": "Visit", "owner_id": officer.id, "child_id": None,
                                                 "due_at": NOW + timedelta(days=1)}, actor=mash)
    difference = difference_services.raise_difference(child, {
        "against_agency_id": agencies["csc"].id, "responding_lead_id": worker.id, "about": "The decision",
        "concern": "We disagree", "outcome_sought": "A discussion", "theme": "threshold", "immediate_risk": False,
        "start_stage": 1, "skip_reason": ""}, actor=officer)
    db.session.commit()
    return {"child": child, "episode": episode, "rhi": rhi, "pp": pp, "arrest": arrest, "epo": epo, "sd": sd,
            "action": action, "difference": difference}


# --- Who sees what --------------------------------------------------------------------------------------------


def test_a_manager_sees_their_agencys_and_teams_cases_not_every_case(app, cast, agencies, make_user):
    recorded_by_police = new_child(cast["officer"], first="Ava")
    recorded_by_csc = new_child(cast["social_worker"], first="Ben")
    police_manager = client_for(app, cast["police_manager"])
    police_manager.get(f"/children/{recorded_by_police.id}")
    # issue 13: any manager opened every child; a health manager opened children health never touched
    police_manager.get(f"/children/{recorded_by_csc.id}", expected=404)
    client_for(app, cast["health_manager"]).get(f"/children/{recorded_by_police.id}", expected=404)
    client_for(app, cast["health_manager"]).get(f"/audit/children/{recorded_by_police.id}", expected=404)
    # a team can span agencies: a manager sees what the people they line-manage own
    seconded = make_user(Role.PRACTITIONER, "csc", name="Seconded Officer", manager=cast["health_manager"])
    sd = convene(cast["mash"], [recorded_by_csc], [agencies["csc"]])
    discussion_services.add_action(sd, {"description": "Check records", "owner_id": seconded.id, "child_id": None,
                                        "due_at": NOW + timedelta(days=1)}, actor=cast["mash"])
    db.session.commit()
    health_manager = client_for(app, cast["health_manager"])
    health_manager.get(f"/children/{recorded_by_csc.id}")
    health_manager.get(f"/discussions/{sd.id}")
    # MASH sees every case
    client_for(app, cast["mash"]).get(f"/children/{recorded_by_csc.id}")


def test_a_person_moved_to_another_agency_or_role_sees_their_new_scope_on_their_next_page(app, cast, agencies):
    """Scope clauses are kept per person between requests (auth/access.py `per_person`): what they depend on (the
    person's role, agency and its kind) is their key, so a move is seen on the next page, not after a restart."""
    by_police = new_child(cast["officer"], first="Ava")
    by_csc = new_child(cast["social_worker"], first="Ben")
    nurse = cast["nurse"]
    page = client_for(app, nurse)
    page.get(f"/children/{by_police.id}", expected=404)
    page.get(f"/children/{by_csc.id}", expected=404)
    nurse.agency_id = agencies["police"].id
    db.session.commit()
    page.get(f"/children/{by_police.id}")
    page.get(f"/children/{by_csc.id}", expected=404)
    nurse.role = Role.MASH.value
    db.session.commit()
    page.get(f"/children/{by_csc.id}")
    nurse.role, nurse.agency_id = Role.PRACTITIONER.value, agencies["health"].id
    db.session.commit()
    page.get(f"/children/{by_police.id}", expected=404)


def test_the_partnership_business_unit_sees_figures_not_case_records(app, cast, agencies):
    case = the_case(cast, agencies)
    unit = client_for(app, cast["unit"])
    # issue 13: the business unit opened every child, missing episode and "who has looked" page
    for url in (f"/children/{case['child'].id}", f"/audit/children/{case['child'].id}",
                f"/discussions/{case['sd'].id}", f"/missing/episodes/{case['episode'].id}", "/children/",
                "/missing/"):
        unit.get(url, expected=403)
    assert "Kai" not in unit.get("/home").markup
    unit.get("/reports/")
    unit.get("/missing/figures")


def test_a_second_force_reads_but_cannot_change_the_first_forces_records(app, cast, agencies):
    case = the_case(cast, agencies)
    other = client_for(app, cast["other_manager"])
    episode_url = f"/missing/episodes/{case['episode'].id}"
    page = other.get(episode_url)  # invited to the discussion about the child: reads the episode
    # issue 13: a second force invited to one discussion could regrade the first force's episodes
    other.post(f"{episode_url}/risk", {"csrf_token": page.csrf(), "level": "high", "reason": "Regraded",
                                      "version": "1", "submission_key": "x" * 32}, expected=403)
    other.get(f"{episode_url}/edit", expected=403)
    other.get(f"{episode_url}/return", expected=403)
    other.get(f"/missing/police-protection/{case['pp'].id}/end", expected=403)
    assert db.session.get(MissingEpisode, case["episode"].id).risk_level == "medium"
    # the recording force still can
    client_for(app, cast["police_manager"]).get(f"{episode_url}/edit")
    client_for(app, cast["officer"]).get(f"{episode_url}/edit")
    # a prompt to convene is MASH's and children's social care's to act on, not another agency's manager's
    from safeguarding.missing.models import DiscussionPrompt

    prompt = db.session.execute(db.select(DiscussionPrompt)).scalars().first()
    other.get(f"/missing/prompts/{prompt.id}/close", expected=403)
    client_for(app, cast["csc_manager"]).get(f"/missing/prompts/{prompt.id}/close")
    # children's social care changes its own order, the police do not
    client_for(app, cast["police_manager"]).get(f"/missing/epo/{case['epo'].id}/edit", expected=403)
    client_for(app, cast["social_worker"]).get(f"/missing/epo/{case['epo'].id}/edit")


def test_any_agencys_manager_cannot_change_an_action(app, cast, agencies):
    case = the_case(cast, agencies)
    url = f"/discussions/actions/{case['action'].id}"
    cancel = {"cancel-version": str(case["action"].version), "cancel-cancel_reason": "Not needed",
              "cancel-submit": "y"}
    for who in ("other_manager", "csc_manager"):  # MASH chaired it, so may
        client = client_for(app, cast[who])
        page = client.get(url)
        client.post(url, {"csrf_token": page.csrf(), **cancel}, expected=403)
    client = client_for(app, cast["police_manager"])  # the owner's line manager
    page = client.get(url)
    client.post(url, {"csrf_token": page.csrf(), **cancel})
    assert db.session.get(AgreedAction, case["action"].id).status == "cancelled"


# --- Restricted children --------------------------------------------------------------------------------------


def test_a_restricted_child_and_everything_linked_is_seen_only_by_the_named_people(app, cast, agencies):
    case = the_case(cast, agencies)
    child = case["child"]
    manager = client_for(app, cast["csc_manager"])  # in scope: the discussion invited CSC
    page = manager.get(f"/children/{child.id}/restriction")
    manager.post(f"/children/{child.id}/restriction", {
        "csrf_token": page.csrf(), "version": str(child.version), "restricted": "yes",
        "people": f"{cast['officer'].email}\n", "reason": "The child of a member of staff"})
    child = db.session.get(Child, child.id)
    assert child.restricted
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "restrict")).scalar_one()
    assert event.changes["reason"] == {"changed": True}
    assert sorted(event.changes["access_list"]["to"]) == sorted([cast["officer"].id, cast["csc_manager"].id])
    linked = [f"/children/{child.id}", f"/discussions/{case['sd'].id}", f"/missing/episodes/{case['episode'].id}",
              f"/discussions/actions/{case['action'].id}", f"/differences/{case['difference'].id}",
              f"/missing/police-protection/{case['pp'].id}", f"/missing/epo/{case['epo'].id}"]
    for who in ("officer", "csc_manager"):
        client = client_for(app, cast[who])
        for url in linked:
            client.get(url)
    for who in ("mash", "social_worker", "police_manager", "other_manager"):  # MASH too, unless named
        client = client_for(app, cast[who])
        for url in linked:
            client.get(url, expected=404)
        assert "Kai Example" not in client.get("/children/").html
        assert "Kai Example" not in client.get("/missing/?show=episodes").html
    # the list counts it without showing it
    assert "1 restricted record is not shown" in client_for(app, cast["mash"]).get("/children/")
    assert "1 restricted record is not shown" in client_for(app, cast["social_worker"]).get("/children/")
    assert "restricted record" not in client_for(app, cast["nurse"]).get("/children/").html  # never in their work
    # lifting the restriction needs a reason too, and is audited
    page = manager.get(f"/children/{child.id}/restriction")
    refused = manager.post(f"/children/{child.id}/restriction", {
        "csrf_token": page.csrf(), "version": str(child.version), "restricted": "no", "people": "",
        "reason": ""}, expected=200)
    assert "Enter why the record is being restricted or opened up" in refused
    manager.post(f"/children/{child.id}/restriction", {
        "csrf_token": page.csrf(), "version": str(child.version), "restricted": "no", "people": "",
        "reason": "Staff member has left"})
    client_for(app, cast["mash"]).get(f"/children/{child.id}")


def test_restriction_names_only_people_who_may_see_case_records(app, cast):
    child = new_child(cast["social_worker"])
    manager = client_for(app, cast["csc_manager"])
    page = manager.get(f"/children/{child.id}/restriction")
    refused = manager.post(f"/children/{child.id}/restriction", {
        "csrf_token": page.csrf(), "version": str(child.version), "restricted": "yes",
        "people": f"{cast['admin'].email}\nnobody@example.org", "reason": "High-profile case"}, expected=200)
    assert "cannot be given access" in refused or "No one active uses the email address" in refused
    assert not db.session.get(Child, child.id).restricted
    client_for(app, cast["social_worker"]).get(f"/children/{child.id}/restriction", expected=403)


# --- Break glass ----------------------------------------------------------------------------------------------


def _offer_link(page) -> str:
    match = re.search(r'href="(/children/break-glass/[^"]+)"', page.html)
    assert match, "no break-glass offer on the page"
    return match.group(1)


def child_form(**overrides) -> dict:
    data = {"first_name": "Kay", "last_name": "Example", "date_of_birth": ["4", "5", "2011"], "gender": "male",
            "looked_after": "no"}
    data.update(overrides)
    return data


def test_break_glass_is_offered_where_a_record_was_said_to_exist_audited_and_time_limited(app, cast, agencies):
    child = new_child(cast["social_worker"])
    teacher = client_for(app, cast["teacher"])
    teacher.get(f"/children/{child.id}", expected=404)
    page = post_new(teacher, "/children/new", child_form(), expected=200)
    assert "A record like this one also exists that you do not have access to" in page
    link = _offer_link(page)
    assert f"/children/{child.id}" not in page.html
    form = teacher.get(link)
    assert "Open a record outside your work" in form
    refused = post_new(teacher, link, {"reason": ""}, expected=200)
    assert "Enter why you need this record now" in refused
    post_new(teacher, link, {"reason": "Kay is in my office with a bruise and says she is scared to go home"})
    teacher.get(f"/children/{child.id}")
    # read only: changes still need the child to be part of their work
    teacher.get(f"/children/{child.id}/edit", expected=404)
    use = db.session.execute(db.select(BreakGlass)).scalar_one()
    assert use.expires_at - use.opened_at == timedelta(hours=4)
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "break_glass")).scalar_one()
    assert (event.user_id, event.object_id, event.changes["reason"]) == (cast["teacher"].id, child.id,
                                                                          {"changed": True})
    # someone else cannot use the teacher's offer; a made-up one is a plain 404
    client_for(app, cast["nurse"]).get(link, expected=404)
    teacher.get("/children/break-glass/not-an-offer", expected=404)
    # managers of the agency review it (the teacher's school has none here: a manager elsewhere sees nothing)
    assert "scared to go home" not in client_for(app, cast["health_manager"]).get("/children/break-glass")
    client_for(app, cast["teacher"]).get("/children/break-glass", expected=403)
    with clock.frozen_at(NOW + timedelta(hours=4, minutes=1)):
        client_for(app, cast["teacher"]).get(f"/children/{child.id}", expected=404)


def test_break_glass_uses_are_listed_for_the_agencys_managers(app, cast):
    child = new_child(cast["social_worker"])
    nurse = client_for(app, cast["nurse"])
    page = post_new(nurse, "/children/new", child_form(), expected=200)
    post_new(nurse, _offer_link(page), {"reason": "Attending A&E now with an injury, need history"})
    review = client_for(app, cast["health_manager"]).get("/children/break-glass")
    assert "Nurse" in review and "Attending A&amp;E now with an injury" in review.html
    assert "Attending A&amp;E" not in client_for(app, cast["police_manager"]).get("/children/break-glass").html
    assert child.id


def test_a_restricted_child_is_never_offered_by_break_glass(app, cast):
    child = new_child(cast["social_worker"])
    child_services_restrict(child, cast["csc_manager"])
    teacher = client_for(app, cast["teacher"])
    page = post_new(teacher, "/children/new", child_form(), expected=200)
    assert "A record like this one also exists" in page
    assert "/children/break-glass/" not in page.html


def child_services_restrict(child, actor):
    from safeguarding.children import need_to_know

    need_to_know.set_restriction(child, restricted=True, emails=[], reason="Staff member's child", actor=actor,
                                 expected_version=child.version)
    db.session.commit()


# --- The access matrix ----------------------------------------------------------------------------------------

#: route argument -> which object of the case fills it
ARGS = {"child_id": "child", "discussion_id": "sd", "episode_id": "episode", "rhi_id": "rhi", "pp_id": "pp",
        "epo_id": "epo", "arrest_id": "arrest", "action_id": "action", "difference_id": "difference"}

#: who reads the case, and what each of them may change (everyone else: nothing). The second force is invited to
#: the discussion, so it reads; it changes nothing.
READERS = {"mash", "csc_manager", "social_worker", "police_manager", "officer", "other_manager", "other_officer"}
NO_CASE = {"health_manager", "nurse", "teacher", "unit", "admin"}
#: the partnership business unit is a party to the escalation protocol's last stage (differences/), so it reads
#: professional differences; it opens no child, discussion or episode
UNIT_READS = {"differences.show"}


def _object_routes(app, method):
    found = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or not rule.arguments or not rule.arguments <= set(ARGS):
            continue
        found.append((rule.endpoint, rule))
    return found


def _url(rule, case):
    return rule.build({name: case[ARGS[name]].id for name in rule.arguments}, append_unknown=False)[1]


def _refusals(endpoint: str) -> tuple[int, ...]:
    """A page refuses with 403 or 404; the integration API, which takes no session, asks for its token (401)."""
    return (401, 403, 404) if endpoint.startswith("api.") else (403, 404)


def test_access_matrix_every_object_route_every_role_two_forces(app, cast, agencies):
    case = the_case(cast, agencies)
    gets = _object_routes(app, "GET")
    posts = _object_routes(app, "POST")
    assert len(gets) > 20 and len(posts) > 20
    leaks = []
    for who, user in cast.items():
        client = client_for(app, user)
        token = client.get("/home").csrf()
        for endpoint, rule in gets:
            url = _url(rule, case)
            status = client.request("GET", url).status_code
            if who in NO_CASE and status not in _refusals(endpoint) and not (who == "unit" and endpoint in UNIT_READS):
                leaks.append(("GET", who, url, status))
        for endpoint, rule in posts:
            url = _url(rule, case)
            if who in NO_CASE or who in ("other_manager", "other_officer"):
                status = client.request("POST", url, data={"csrf_token": token}).status_code
                # a refusal, or for the second force a form that changed nothing (checked below)
                if who in NO_CASE and status not in _refusals(endpoint):
                    leaks.append(("POST", who, url, status))
    assert leaks == []
    # the second force's posts changed nothing of the first force's or anyone's
    assert db.session.get(MissingEpisode, case["episode"].id).version == case["episode"].version
    assert db.session.get(PoliceProtection, case["pp"].id).ended_at is None
    assert db.session.get(EmergencyProtectionOrder, case["epo"].id).version == case["epo"].version
    assert db.session.get(AgreedAction, case["action"].id).status == "open"
    assert db.session.get(ReturnInterview, case["rhi"].id).status == "open"
    # every reader does read every view of the case (the matrix is not passing because everything is refused)
    for who in READERS:
        client = client_for(app, cast[who])
        for url in (f"/children/{case['child'].id}", f"/discussions/{case['sd'].id}",
                    f"/missing/episodes/{case['episode'].id}"):
            client.get(url)


def test_reminders_about_a_restricted_child_say_only_that_a_restricted_record_needs_you(app, cast, agencies):
    from safeguarding.reminders.models import Notification
    from safeguarding.reminders.sweep import sweep

    case = the_case(cast, agencies)
    child_services_restrict(db.session.get(Child, case["child"].id), cast["csc_manager"])
    sweep(NOW + timedelta(days=3))
    db.session.commit()
    notices = list(db.session.execute(db.select(Notification)).scalars())
    # the notice that told the owner of the action before the restriction still says what it was in its row...
    before = [n for n in notices if n.level == "notice"]
    assert [n.recipient_id for n in before] == [cast["officer"].id]
    assert {n.title for n in notices if n.level != "notice"} == {"A restricted record needs you"}
    # ...but not on the page
    page = client_for(app, cast["officer"]).get("/notifications")
    assert "A restricted record needs you" in page and "Visit" not in page.markup
    # a notice written after the restriction says nothing else either
    from safeguarding.reminders.services import notify

    notify([cast["officer"].id], kind="test", object_type="strategy_discussion", object_id=case["sd"].id,
           title="Kai Example: minutes ready", url=f"/discussions/{case['sd'].id}")
    db.session.commit()
    assert db.session.execute(db.select(Notification).where(Notification.kind == "test")).scalar_one().title \
        == "A restricted record needs you"


def test_links_about_a_restricted_child_are_found_in_one_statement(app, cast, agencies):
    """The child's page, a discussion about them and an agreed action at it are masked; another child's are not;
    one statement finds them whatever the mix (My work and the notifications page ask on every view)."""
    from sqlalchemy import event

    from safeguarding.reminders.sweep import restricted_deadlines, restricted_urls

    case = the_case(cast, agencies)
    other = the_case(cast, agencies)
    child_services_restrict(db.session.get(Child, case["child"].id), cast["csc_manager"])
    urls = {f"/children/{case['child'].id}", f"/discussions/{case['sd'].id}#minutes",
            f"/discussions/actions/{case['action'].id}", f"/children/{other['child'].id}",
            f"/discussions/{other['sd'].id}", f"/discussions/actions/{other['action'].id}", "/missing/"}
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        masked = restricted_urls(urls)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert masked == {f"/children/{case['child'].id}", f"/discussions/{case['sd'].id}#minutes",
                      f"/discussions/actions/{case['action'].id}"}
    assert len(seen) == 1, seen
    from safeguarding.deadlines import Deadline

    def deadline(object_id, url, child_id=None):
        return Deadline(kind="agreed_action", object_type="agreed_action", object_id=object_id, title="t",
                        due_at=NOW, url=url, owner_id=None, owner_agency_id=None, child_id=child_id)

    assert restricted_deadlines([deadline(1, "/missing/", child_id=case["child"].id),
                                 deadline(2, f"/discussions/{case['sd'].id}#action-9"),
                                 deadline(3, f"/discussions/{other['sd'].id}", child_id=other["child"].id)]) \
        == {("agreed_action", 1), ("agreed_action", 2)}


def test_my_work_counts_a_restricted_childs_deadlines_without_naming_them(app, cast, agencies):
    case = the_case(cast, agencies)
    child_services_restrict(db.session.get(Child, case["child"].id), cast["csc_manager"])
    page = client_for(app, cast["mash"]).get("/my-work")
    assert "Kai" not in page.markup and "A restricted record needs you" in page


def test_a_hidden_nhs_number_match_offers_break_glass_too(app, cast):
    child = child_services.create_child({
        "first_name": "Zara", "last_name": "Other", "is_unborn": False, "date_of_birth": date(2015, 1, 2),
        "expected_date": None, "gender": "female", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": "9434765919", "looked_after": "no", "responsible_authority": ""},
        actor=cast["social_worker"])
    db.session.commit()
    teacher = client_for(app, cast["teacher"])
    page = post_new(teacher, "/children/new", child_form(nhs_number="943 476 5919"), expected=200)
    assert "A record for this child may already exist" in page and "Zara" not in page.markup
    post_new(teacher, _offer_link(page), {"reason": "She is here now and says she has nowhere safe to sleep"})
    teacher.get(f"/children/{child.id}")


def test_changing_the_access_list_on_an_old_page_is_a_conflict(app, cast):
    child = new_child(cast["social_worker"])
    child_services_restrict(child, cast["csc_manager"])
    manager = client_for(app, cast["csc_manager"])
    first = manager.get(f"/children/{child.id}/restriction")
    second = manager.get(f"/children/{child.id}/restriction")
    data = {"version": str(db.session.get(Child, child.id).version), "restricted": "yes", "reason": "Add the nurse"}
    manager.post(f"/children/{child.id}/restriction", {"csrf_token": first.csrf(), **data,
                                                       "people": cast["nurse"].email})
    stale = manager.post(f"/children/{child.id}/restriction", {"csrf_token": second.csrf(), **data,
                                                               "people": cast["teacher"].email}, expected=200)
    assert "Someone changed this record" in stale
    from safeguarding.children.need_to_know import access_list

    assert {u.id for u in access_list(db.session.get(Child, child.id))} == {cast["nurse"].id,
                                                                            cast["csc_manager"].id}


def test_figures_count_a_restricted_child(app, cast, agencies):
    case = the_case(cast, agencies)
    manager = client_for(app, cast["police_manager"])
    url = "/missing/figures?start=1&start=10&start=2026&end=30&end=11&end=2026"
    before = manager.get(url).html
    child_services_restrict(db.session.get(Child, case["child"].id), cast["csc_manager"])
    after = manager.get(url).html
    # what differs between two renderings of the same page: CSRF tokens (time-stamped to the second, in forms and in
    # the session-timeout warning's data-csrf) and the script nonce
    strip = RANDOM_VALUES
    assert strip.sub("", before) == strip.sub("", after)
    # the restricted child's return is counted (October and the total; one, so withheld as [c] on the page), and the
    # child is not named
    _, total = missing_services.figures(date(2026, 10, 1), date(2026, 11, 30))
    assert total.returns == 1
    assert after.count('govuk-table__cell--numeric">[c]</td>') >= 2 and "Kai" not in strip.sub("", after)
