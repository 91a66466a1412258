"""Resolving professional differences end to end: raising, every stage, bad input, deadlines, access, figures."""
import re
from datetime import date, datetime, timedelta

import pytest

from safeguarding import deadlines as all_deadlines
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Agency, AgencyKind, Role
from safeguarding.children import services as children
from safeguarding.children.timeline import timeline
from safeguarding.clock import LONDON, UTC, frozen_at
from safeguarding.differences import deadlines, services
from safeguarding.differences.models import DifferenceNotice, DifferenceStage, ProfessionalDifference
from safeguarding.extensions import db
from safeguarding.service import RuleError

from .sql_statements import statements_of_get
from .conftest import PASSWORD
from .pages import PageClient

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=LONDON)


@pytest.fixture
def app(app_factory):
    """Many people sign in from one test address here; the sign-in rate limit is tested in test_auth."""
    return app_factory(RATELIMIT_ENABLED=False)


@pytest.fixture
def cast(app, make_user, agencies):
    """A police officer and a social worker with their managers and senior managers, MASH, and the partnership."""
    unit = Agency(name="Testshire Safeguarding Partnership", kind=AgencyKind.SAFEGUARDING_PARTNERSHIP.value,
                  shared_mailbox="unit@partnership.example.org")
    db.session.add(unit)
    db.session.commit()
    agencies["partnership"] = unit
    people = {}
    people["police_senior"] = make_user(Role.MANAGER, "police", name="Supt Senior")
    people["police_ds"] = make_user(Role.MANAGER, "police", name="DS Sergeant", manager=people["police_senior"])
    people["officer"] = make_user(Role.PRACTITIONER, "police", name="PC Officer", manager=people["police_ds"])
    people["csc_head"] = make_user(Role.MANAGER, "csc", name="Head of Service")
    people["csc_tm"] = make_user(Role.MANAGER, "csc", name="Team Manager", manager=people["csc_head"])
    people["social_worker"] = make_user(Role.MASH, "csc", name="Social Worker", manager=people["csc_tm"])
    people["unit"] = make_user(Role.MANAGER, "partnership", name="Business Unit")
    people["bystander"] = make_user(Role.PRACTITIONER, "police", name="Other Officer")
    people["other_manager"] = make_user(Role.MANAGER, "health", name="Unrelated Manager")
    people["nurse"] = make_user(Role.PRACTITIONER, "health", name="Nurse")
    people["mash_health"] = make_user(Role.MASH, "health", name="MASH Health")
    people["child"] = children.create_child({
        "first_name": "Amy", "last_name": "Example", "is_unborn": False, "date_of_birth": date(2016, 2, 14),
        "expected_date": None, "gender": "female", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""},
        actor=people["officer"])
    return people


HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def post_hidden(client, url, data, expected=302, **kwargs):
    """Post as the browser does: with the hidden fields the form carried (one-time key, stage and version)."""
    page = client.get(kwargs.get("form_url") or url)
    hidden = {}
    for tag in HIDDEN_RE.findall(page.html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrf_token":
            hidden[name.group(1)] = value.group(1) if value else ""
    return client.post_form(url, {**hidden, **data}, expected, **kwargs)


def client_for(app, user) -> PageClient:
    page_client = PageClient(app.test_client())
    page_client.sign_in(user.email, PASSWORD)
    return page_client


def raise_form(cast, agencies, **overrides):
    data = {"against_agency_id": str(agencies["csc"].id), "responding_lead_id": str(cast["social_worker"].id),
            "about": "The decision on 2 November to take no further action",
            "concern": "Amy said her stepfather hit her; police hold domestic abuse intelligence.",
            "outcome_sought": "A strategy discussion with police present", "theme": "threshold",
            "immediate_risk": "no", "start_stage": "1", "skip_reason": ""}
    data.update(overrides)
    return data


def the_difference() -> ProfessionalDifference:
    return db.session.execute(db.select(ProfessionalDifference)).scalar_one()


def escalate_form(lead_a, lead_b, **overrides):
    data = {"discussion": "Spoke by phone; still disagree.", "agreed_plan": "", "target_stage": "",
            "skip_reason": "", "raising_lead_id": str(lead_a.id), "responding_lead_id": str(lead_b.id)}
    data.update(overrides)
    return data


def test_the_whole_flow_through_every_stage(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    child = cast["child"]
    page = officer.get(f"/children/{child.id}")
    assert "Raise a professional difference" in page
    with frozen_at(MONDAY):
        done = post_hidden(officer, f"/differences/new/child/{child.id}", raise_form(cast, agencies))
    difference = the_difference()
    assert done.response.headers["Location"] == f"/differences/{difference.id}"
    stage1 = difference.open_stage
    assert (stage1.number, stage1.raising_lead_id, stage1.responding_lead_id) == (
        1, cast["officer"].id, cast["social_worker"].id)
    assert stage1.due_at == datetime(2026, 11, 9, 17, 0, tzinfo=LONDON).astimezone(UTC)  # 5 working days
    shown = officer.get(f"/differences/{difference.id}")
    assert "has been told and must respond by 9 Nov 2026 17:00" in shown
    assert "Stage 1 of 4: Practitioner to practitioner" in shown
    assert f'<a class="govuk-link" href="/children/{child.id}">Amy Example</a>' in shown.html

    # The social worker is told (a notice due at once) and reading the difference marks it read.
    assert [n.recipient_id for n in db.session.execute(db.select(DifferenceNotice)).scalars()] == [
        cast["social_worker"].id]
    social_worker = client_for(app, cast["social_worker"])
    with frozen_at(MONDAY + timedelta(hours=1)):
        social_worker.get(f"/differences/{difference.id}")
    notice = db.session.execute(db.select(DifferenceNotice)).scalar_one()
    assert notice.acknowledged_by_id == cast["social_worker"].id

    # Stage 1 -> 2: the suggested leads are each side's line managers.
    form_page = officer.get(f"/differences/{difference.id}/escalate")
    assert f'value="{cast["police_ds"].id}" selected' in form_page.html
    assert f'value="{cast["csc_tm"].id}" selected' in form_page.html
    with frozen_at(MONDAY + timedelta(days=2)):
        post_hidden(officer, f"/differences/{difference.id}/escalate",
                          escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"))
    # Stage 2 -> 3 by the first-line manager; the partnership business unit is told at stage 3.
    ds = client_for(app, cast["police_ds"])
    with frozen_at(MONDAY + timedelta(days=3)):
        post_hidden(ds, f"/differences/{difference.id}/escalate",
                     escalate_form(cast["police_senior"], cast["csc_head"], target_stage="3"))
    unit_notices = db.session.execute(db.select(DifferenceNotice).where(
        DifferenceNotice.reason == "partnership")).scalars().all()
    assert [(n.recipient_id, n.recipient_agency_id) for n in unit_notices] == [(None, agencies["partnership"].id)]
    # Stage 3 -> 4 by a senior manager, then the partnership stage resolves it.
    senior = client_for(app, cast["police_senior"])
    with frozen_at(MONDAY + timedelta(days=4)):
        post_hidden(senior, f"/differences/{difference.id}/escalate",
                         escalate_form(cast["police_senior"], cast["csc_head"], target_stage="4"))
    head = client_for(app, cast["csc_head"])
    last = head.get(f"/differences/{difference.id}")
    assert "Escalate to stage" not in last  # stage 4 is the last
    with frozen_at(MONDAY + timedelta(days=7)):
        post_hidden(head, f"/differences/{difference.id}/outcome", {
            "outcome": "resolved", "discussion": "Partnership chair met both agencies.",
            "agreed_plan": "Strategy discussion to be held", "plan_due_date": ["12", "11", "2026"],
            "plan_due_time": "10:00"})

    difference = the_difference()
    assert difference.status == "resolved" and difference.highest_stage == 4
    assert [(s.number, s.outcome) for s in difference.stages] == [
        (1, "escalated"), (2, "escalated"), (3, "escalated"), (4, "resolved")]
    assert difference.stages[-1].plan_due_at == datetime(2026, 11, 12, 10, 0, tzinfo=LONDON).astimezone(UTC)
    assert all(s.within_timescale for s in difference.stages)
    page = head.get(f"/differences/{difference.id}")
    assert "Resolved on 9 Nov 2026" in page and "Partnership chair met both agencies." in page
    # its four stages and its procedure's read with it, not each list by itself
    read = statements_of_get(head, f"/differences/{difference.id}")
    assert not [s for s in read if s.lstrip().startswith(("SELECT difference_stage.",
                                                            "SELECT difference_policy_stage."))]
    # The partnership business unit read it; the page shows who read which notice.
    client_for(app, cast["unit"]).get(f"/differences/{difference.id}")
    assert db.session.get(DifferenceNotice, unit_notices[0].id).acknowledged_by_id == cast["unit"].id

    # Every transition is audited, with free text redacted.
    events = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "professional_difference").order_by(AuditEvent.id)).scalars().all()
    assert [e.action for e in events if e.action != "view"] == ["create", "escalate", "escalate", "escalate",
                                                                "resolved"]
    assert events[0].changes["concern"] == {"changed": True}
    stage_updates = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "difference_stage", AuditEvent.action == "update")).scalars().all()
    assert len(stage_updates) == 4 and stage_updates[0].changes["discussion"] == {"changed": True}

    # The child's timeline and page show it; nothing is due any more.
    entries = timeline(child, cast["officer"])
    assert [e.title for e in entries if e.kind == "Professional difference"][0].endswith("stage 4 (Safeguarding "
                                                                                          "partnership) resolved")
    # the child's page shows each stage's outcome, its stages read with the differences, not by themselves
    child_page = head.get(f"/children/{child.id}")
    closed = [f"stage {n} (" for n in (4, 3, 2, 1)]  # newest first
    assert all(c in child_page for c in closed)
    assert [child_page.text.index(c) for c in closed] == sorted(child_page.text.index(c) for c in closed)
    read = statements_of_get(head, f"/children/{child.id}")
    assert not [s for s in read if s.lstrip().startswith("SELECT difference_stage.")]
    assert "PD-" in officer.get(f"/children/{child.id}")
    assert deadlines.open_deadlines(due_before=MONDAY + timedelta(days=60)) == []


def test_bad_input_is_refused_with_clear_messages(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    child = cast["child"]
    url = f"/differences/new/child/{child.id}"
    empty = post_hidden(officer, url, raise_form(cast, agencies, concern="", theme="", against_agency_id="0"),
                              expected=200)
    assert empty.title.startswith("Error:")
    for message in ("Enter why you disagree", "Select what the disagreement is about",
                    "Select the agency whose decision you disagree with"):
        assert message in empty
    assert "The decision on 2 November to take no further action" in empty.html  # kept what was typed
    own = post_hidden(officer, url, raise_form(cast, agencies, against_agency_id=str(agencies["police"].id),
                                            responding_lead_id=str(cast["bystander"].id)), expected=200)
    assert "Select the agency whose decision you disagree with from the list" in own  # not offered
    with pytest.raises(RuleError, match="disagreements within your own agency"):
        services.raise_difference(child, {**raise_form(cast, agencies), "against_agency_id": agencies["police"].id,
                                          "responding_lead_id": cast["bystander"].id}, actor=cast["officer"])
    wrong = post_hidden(officer, url, raise_form(cast, agencies, responding_lead_id=str(cast["nurse"].id)),
                              expected=200)
    assert "Select the person who made the decision, or who will answer for their agency: they must work for " \
           "Testshire Children's Social Care" in wrong
    skip = post_hidden(officer, url, raise_form(cast, agencies, start_stage="2"), expected=200)
    assert "Stages can only be skipped when the child is at immediate risk" in skip
    no_reason = post_hidden(officer, url, raise_form(cast, agencies, start_stage="2", immediate_risk="yes"),
                                  expected=200)
    assert "Give the reason for skipping stage 1" in no_reason
    assert db.session.execute(db.select(ProfessionalDifference)).first() is None

    post_hidden(officer, url, raise_form(cast, agencies))
    difference = the_difference()
    escalate_url = f"/differences/{difference.id}/escalate"
    no_notes = post_hidden(officer, escalate_url, escalate_form(cast["police_ds"], cast["csc_tm"], discussion="",
                                                             target_stage="2"), expected=200)
    assert "Enter what was discussed at this stage" in no_notes
    skipped = post_hidden(officer, escalate_url, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="3"),
                                expected=200)
    assert "Stages can only be skipped when the child is at immediate risk" in skipped
    risky = post_hidden(officer, escalate_url, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="3",
                                                          immediate_risk="y"), expected=200)
    assert "Give the reason for skipping stage 2" in risky
    assert "Spoke by phone; still disagree." in risky.html
    outcome_url = f"/differences/{difference.id}/outcome"
    silent = post_hidden(officer, outcome_url, {"outcome": "resolved", "discussion": "  "}, expected=200)
    assert "Enter what was discussed at this stage" in silent
    with pytest.raises(RuleError, match="Enter what was discussed at stage 1"):
        services.close(difference, {"outcome": "resolved", "discussion": ""}, actor=cast["officer"])
    half_time = post_hidden(officer, outcome_url, {"outcome": "resolved", "discussion": "Agreed.",
                                                "plan_due_date": ["12", "11", "2030"]}, expected=200)
    assert "Enter the time the plan is due" in half_time
    assert the_difference().open_stage.number == 1 and the_difference().is_open

    post_hidden(officer, outcome_url, {"outcome": "resolved", "discussion": "Agreed on the phone."})
    difference = the_difference()
    refused = officer.get(escalate_url, expected=302)
    assert refused.response.headers["Location"] == f"/differences/{difference.id}"
    shown = officer.get(f"/differences/{difference.id}")
    assert "was resolved on" in shown and "cannot be escalated. If you still disagree, raise a new one." in shown
    late = post_hidden(officer, escalate_url, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"),
                             form_url=f"/differences/{difference.id}", expected=302)
    assert late.response.headers["Location"] == f"/differences/{difference.id}"
    with pytest.raises(RuleError, match="cannot be escalated"):
        services.escalate(difference, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"),
                          actor=cast["officer"])
    assert len(the_difference().stages) == 1


def test_only_the_raising_side_can_withdraw_and_only_people_involved_can_act(app, cast, agencies):
    post_hidden(client_for(app, cast["officer"]), f"/differences/new/child/{cast['child'].id}",
                                               raise_form(cast, agencies))
    difference = the_difference()
    social_worker = client_for(app, cast["social_worker"])
    page = social_worker.get(f"/differences/{difference.id}/outcome")
    assert "Withdrawn" not in page
    with pytest.raises(RuleError, match="Only the side that raised"):
        services.close(difference, {"outcome": "withdrawn", "discussion": "x"}, actor=cast["social_worker"])
    # MASH staff see every difference but only the people involved record what happens.
    mash = client_for(app, cast["mash_health"])
    mash.get(f"/differences/{difference.id}")
    mash.get(f"/differences/{difference.id}/outcome", expected=403)
    post_hidden(client_for(app, cast["officer"]), f"/differences/{difference.id}/outcome",
                                               {"outcome": "withdrawn", "discussion": "New information."})
    assert the_difference().status == "withdrawn"


def test_deadlines_name_who_must_act_and_who_is_told(app, cast, agencies):
    with frozen_at(MONDAY):
        post_hidden(client_for(app, cast["officer"]), f"/differences/new/child/{cast['child'].id}",
                                                   raise_form(cast, agencies))
    difference = the_difference()
    stage = difference.open_stage
    assert deadlines.open_deadlines(due_before=MONDAY + timedelta(days=1), owner_ids=[cast["officer"].id]) == []
    found = deadlines.open_deadlines(due_before=MONDAY + timedelta(days=8))
    by_kind = {d.kind: d for d in found}
    assert set(by_kind) == {"difference_stage", "difference_response", "difference_notice"}
    stage_clock = by_kind["difference_stage"]
    assert (stage_clock.owner_id, stage_clock.escalate_to_id, stage_clock.due_at) == (
        cast["officer"].id, cast["police_ds"].id, stage.due_at)
    assert stage_clock.url == f"/differences/{difference.id}#stage-1"
    assert stage_clock.child_id == cast["child"].id and "resolve it or escalate" in stage_clock.title
    response = by_kind["difference_response"]
    assert (response.owner_id, response.escalate_to_id, response.owner_agency_id) == (
        cast["social_worker"].id, cast["csc_tm"].id, agencies["csc"].id)
    notice = by_kind["difference_notice"]
    assert (notice.owner_id, notice.object_type) == (cast["social_worker"].id, "difference_notice")
    assert notice.due_at == MONDAY.astimezone(UTC)
    # Each owner sees their own; the shared aggregator (dashboard and sweep) sees the same.
    mine = deadlines.open_deadlines(due_before=MONDAY + timedelta(days=8), owner_ids=[cast["officer"].id])
    assert [d.kind for d in mine] == ["difference_stage"]
    theirs = deadlines.open_deadlines(due_before=MONDAY + timedelta(days=8), owner_ids={cast["social_worker"].id})
    assert sorted(d.kind for d in theirs) == ["difference_notice", "difference_response"]
    assert set(all_deadlines.kinds()) >= set(deadlines.KINDS)
    assert len([d for d in all_deadlines.open_deadlines(due_before=MONDAY + timedelta(days=8))
                if d.kind.startswith("difference_")]) == 3

    # Once the stage runs out the raiser is told so on the page, and asked to escalate.
    with frozen_at(stage.due_at + timedelta(minutes=1)):
        page = client_for(app, cast["officer"]).get(f"/differences/{difference.id}")
    assert "This stage has run out. If it is not resolved, escalate it now." in page
    # Reading the notice and escalating close the stage-1 clocks and start stage 2's.
    with frozen_at(MONDAY + timedelta(days=8)):
        client_for(app, cast["social_worker"]).get(f"/differences/{difference.id}")
        services.escalate(difference, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"),
                          actor=cast["officer"])
    after = deadlines.open_deadlines(due_before=MONDAY + timedelta(days=30))
    assert {(d.kind, d.owner_id) for d in after} == {
        ("difference_stage", cast["police_ds"].id), ("difference_response", cast["csc_tm"].id),
        ("difference_notice", cast["police_ds"].id), ("difference_notice", cast["csc_tm"].id)}
    assert db.session.get(DifferenceStage, stage.id).within_timescale is False


def test_urgent_difference_runs_in_hours_and_may_skip_with_a_reason(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    with frozen_at(MONDAY):
        post_hidden(officer, f"/differences/new/child/{cast['child'].id}", raise_form(
            cast, agencies, immediate_risk="yes", start_stage="2", responding_lead_id=str(cast["csc_tm"].id),
            skip_reason="Amy is due home tonight; the social worker is on leave"))
    difference = the_difference()
    stage = difference.open_stage
    assert (stage.number, stage.urgent, stage.due_at) == (2, True, MONDAY.astimezone(UTC) + timedelta(hours=24))
    # Stage 2 is for first-line managers: the officer's sergeant leads for police, the officer still raised it.
    assert (stage.raising_lead_id, stage.responding_lead_id) == (cast["police_ds"].id, cast["csc_tm"].id)
    assert difference.raised_by_id == cast["officer"].id
    assert "Amy is due home tonight" in officer.get(f"/differences/{difference.id}")
    with frozen_at(MONDAY + timedelta(hours=3)):
        services.escalate(difference, escalate_form(cast["police_senior"], cast["csc_head"], target_stage="4",
                                                    skip_reason="Senior managers unavailable tonight"),
                          actor=cast["officer"])
    last = the_difference().open_stage
    assert (last.number, last.skip_reason) == (4, "Senior managers unavailable tonight")
    assert last.due_at == MONDAY.astimezone(UTC) + timedelta(hours=27)
    # The partnership is told at stage 4 even though stage 3 was skipped.
    assert db.session.execute(db.select(DifferenceNotice).where(
        DifferenceNotice.reason == "partnership")).scalar_one().stage_id == last.id


def test_only_people_involved_their_managers_mash_and_the_partnership_see_a_difference(app, cast, agencies):
    post_hidden(client_for(app, cast["officer"]), f"/differences/new/child/{cast['child'].id}",
                                               raise_form(cast, agencies))
    difference = the_difference()
    url = f"/differences/{difference.id}"
    for who in ("officer", "social_worker", "police_ds", "csc_tm", "mash_health", "unit"):
        client = client_for(app, cast[who])
        client.get(url)
        assert difference.reference in client.get("/differences/"), who
    for who in ("bystander", "other_manager", "nurse", "police_senior", "csc_head"):
        client = client_for(app, cast[who])
        client.get(url, expected=404)
        assert difference.reference not in client.get("/differences/?show=all"), who
    refusals = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.action == "authz_fail", AuditEvent.object_type == "professional_difference")).scalars().all()
    assert len(refusals) == 5
    # The social worker (another agency) can now see the child the difference is about; a bystander cannot.
    client_for(app, cast["social_worker"]).get(f"/children/{cast['child'].id}")
    client_for(app, cast["nurse"]).get(f"/children/{cast['child'].id}", expected=404)
    # On the child's page, someone who sees the child but none of their differences is shown none and reads none;
    # someone in the difference is shown it.
    child_url = f"/children/{cast['child'].id}"
    reads = lambda client: [s for s in statements_of_get(client, child_url)  # noqa: E731
                            if s.lstrip().startswith("SELECT professional_difference.")]
    senior = client_for(app, cast["police_senior"])
    assert difference.reference not in senior.get(child_url) and not reads(senior)
    social_worker = client_for(app, cast["social_worker"])
    assert difference.reference in social_worker.get(child_url) and reads(social_worker)
    # Raising a difference about a child you cannot see is refused like any other unseen record.
    client_for(app, cast["nurse"]).get(f"/differences/new/child/{cast['child'].id}", expected=404)
    admin = client_for(app, make_admin(app, agencies))
    admin.get(url, expected=403)


def make_admin(app, agencies):
    from safeguarding.auth import passwords
    from safeguarding.auth.models import User

    user = User(name="Admin", email="diff.admin@example.org", agency_id=agencies["csc"].id, role=Role.ADMIN.value,
                password_hash=passwords.hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


def test_figures_for_the_partnership(app, cast, agencies):
    officer = cast["officer"]
    child = cast["child"]

    def raise_one(actor, against, responder, theme, when):
        with frozen_at(when):
            return services.raise_difference(child, {
                "against_agency_id": agencies[against].id, "responding_lead_id": responder.id, "about": "a",
                "concern": "b", "outcome_sought": "c", "theme": theme, "immediate_risk": False, "start_stage": 1,
                "skip_reason": ""}, actor=actor)

    quick = raise_one(officer, "csc", cast["social_worker"], "threshold", MONDAY)
    with frozen_at(MONDAY + timedelta(days=2)):
        services.close(quick, {"outcome": "resolved", "discussion": "ok"}, actor=officer)
    slow = raise_one(officer, "csc", cast["social_worker"], "threshold", MONDAY)
    with frozen_at(MONDAY + timedelta(days=10)):  # past stage 1's 5 working days
        services.escalate(slow, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"), actor=officer)
    with frozen_at(MONDAY + timedelta(days=11)):
        services.close(slow, {"outcome": "resolved", "discussion": "ok"}, actor=cast["police_ds"])
    raise_one(cast["nurse"], "police", cast["officer"], "information_sharing", MONDAY + timedelta(days=1))
    raise_one(officer, "csc", cast["social_worker"], "threshold", datetime(2025, 1, 6, 9, tzinfo=UTC))
    db.session.commit()  # services flush; the test is the unit of work here

    manager = client_for(app, cast["other_manager"])
    page = manager.get("/differences/figures")
    # small numbers are withheld: every count from 1 to 4, and a second with a lone one, as the statuses add up
    assert "All differences raised: [c] ([c] open, [c] resolved, 0 withdrawn)" in page
    november = ("raised_from=1&raised_from=11&raised_from=2026&raised_to=30&raised_to=11&raised_to=2026")
    in_period = manager.get(f"/differences/figures?{november}")
    assert "[c] ([c] open, [c] resolved, 0 withdrawn)" in in_period
    assert "Testshire Police [c] [c]" in in_period and "Stage 1 [c] [c]" in in_period
    from safeguarding.differences.figures import compute

    figures = compute(date(2026, 11, 1), date(2026, 11, 30))
    assert figures.raised_by == [("Testshire Police", 2), ("Testshire NHS", 1)]
    assert figures.raised_against == [("Testshire Children's Social Care", 2), ("Testshire Police", 1)]
    assert figures.highest_stage == [(1, 2), (2, 1)]
    assert (figures.resolved, figures.resolved_within_timescales, figures.resolved_within_percent) == (2, 1, 50)
    assert (figures.median_working_days_to_resolve, figures.longest_working_days_to_resolve) == (5.5, 9)
    assert figures.themes[0] == ("Threshold decision (for example no further action or early help)", 2)
    bad = manager.get("/differences/figures?raised_from=5&raised_from=11&raised_from=2026"
                      "&raised_to=1&raised_to=11&raised_to=2026")
    assert "Raised to must be the same as or after raised from" in bad and bad.title.startswith("Error:")
    client_for(app, cast["nurse"]).get("/differences/figures", expected=403)
    assert "Amy" not in page.text

    # Three more from police, resolved in two days, and four more from health, open: 10 in November
    for day in range(3):
        more = raise_one(officer, "csc", cast["social_worker"], "threshold", MONDAY + timedelta(days=7 + day))
        with frozen_at(MONDAY + timedelta(days=9 + day)):
            services.close(more, {"outcome": "resolved", "discussion": "ok"}, actor=officer)
    for day in range(4):
        raise_one(cast["nurse"], "police", cast["officer"], "information_sharing", MONDAY + timedelta(days=14 + day))
    db.session.commit()
    page = manager.get(f"/differences/figures?{november}")
    assert "10 (5 open, 5 resolved, 0 withdrawn)" in page
    # by agency: police raised 5 and health 5; 5 were against children's social care and 5 against police
    assert "Testshire Children's Social Care 0 5" in page and "Testshire NHS 5 0" in page
    assert "Testshire Police 5 5" in page
    # highest stage: 9 at stage 1 and 1 at stage 2: the 1 is withheld, and so the 9 with it
    assert "Stage 1 [c] [c] Stage 2 [c] [c]" in page
    # stages closed: stage 1 five times (the slow one late), stage 2 once
    assert "Stage 1 [c] [c] 5" in page and "Stage 2 [c] [c] [c]" in page
    assert "Resolved 5" in page and "Resolved with every stage within its timescale [c] of 5 ([c])" in page
    assert "Median time to resolution 2 working days" in page and "Longest time to resolution 9 working days" in page
    assert "Threshold decision (for example no further action or early help) 5 50%" in page
    for key in ("by-agency", "highest-stage", "stages-in-time", "resolution", "themes"):
        assert f'href="/differences/figures/tables/{key}.csv?raised_from=1' in page.html
        response = manager.request("GET", f"/differences/figures/tables/{key}.csv?{november}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True)
        if key == "by-agency":
            assert "Testshire Police,5,5" in text and "Testshire NHS,5,0" in text
        if key == "highest-stage":
            assert "Stage 1,[c],[c]" in text
    manager.get(f"/differences/figures/tables/nothing.csv?{november}", expected=404)
    manager.get("/differences/figures/tables/themes.csv?raised_from=31&raised_from=2&raised_from=2026", expected=400)
    exports = db.session.execute(db.select(AuditEvent.detail).where(
        AuditEvent.action == "report_view", AuditEvent.object_type == "differences_figures_csv"
        ).order_by(AuditEvent.id)).scalars().all()
    assert exports == [f"{key}: 2026-11-01 to 2026-11-30"
                       for key in ("by-agency", "highest-stage", "stages-in-time", "resolution", "themes")]


def test_admin_chooses_and_adjusts_the_procedure(app, cast, agencies):
    admin = client_for(app, make_admin(app, agencies))
    page = admin.get("/differences/policy")
    assert "London Child Protection Procedures (in use)" in page
    assert "Procedure for resolving professional differences" in admin.get("/admin/")
    darlington = next(p for p in services.ensure_policies() if p.key == "darlington")
    assert f'href="/differences/policy/{darlington.id}/stages/1">Change' in page.html
    post_hidden(admin, "/differences/policy", {"policy_id": str(darlington.id)})
    assert "Darlington professional challenge procedure (in use)" in admin.get("/differences/policy")
    stage_url = f"/differences/policy/{darlington.id}/stages/1"
    bad = post_hidden(admin, stage_url, {"name": "", "involved": "x", "timescale": "0", "unit": "working_days",
                                      "urgent_hours": "4"}, expected=200)
    assert "Enter the stage name" in bad and "Timescale must be between 1 and 60" in bad
    post_hidden(admin, stage_url, {"name": "Call the decision-maker", "involved": "Both practitioners",
                                "timescale": "48", "unit": "hours", "urgent_hours": "4"})
    events = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type.in_(["difference_policy", "difference_policy_stage"]))).scalars().all()
    assert {e.action for e in events} == {"update"} and len(events) == 2

    with frozen_at(MONDAY):
        post_hidden(client_for(app, cast["officer"]), f"/differences/new/child/{cast['child'].id}",
                                                   raise_form(cast, agencies))
    stage = the_difference().open_stage
    assert (stage.name, stage.timescale_words) == ("Call the decision-maker", "48 hours")
    assert stage.due_at == MONDAY.astimezone(UTC) + timedelta(hours=48)
    # Case staff cannot change the procedure.
    client_for(app, cast["other_manager"]).get("/differences/policy", expected=403)


def test_demo_story_has_a_difference_waiting_at_stage_two(app):
    from safeguarding.auth.models import User
    from safeguarding.demo import seed

    summary = seed("lantern-violet-orchard")
    assert "3 professional differences (one at stage 2, one raised from a strategy discussion decision)" in summary
    assert seed("lantern-violet-orchard").count("professional differences") == 0  # seeding twice adds nothing
    open_one = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.status == "open", ProfessionalDifference.current_stage == 2)).scalar_one()
    about_ella = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.decision_id.is_not(None))).scalar_one()
    assert (about_ella.child.display_name, about_ella.decision.outcome) == ("Ella Hughes", "s17")
    inspector = db.session.execute(db.select(User).where(User.email == "police.manager@example.org")).scalar_one()
    assert open_one.open_stage.number == 2 and open_one.open_stage.raising_lead_id == inspector.id
    unit = db.session.execute(db.select(User).where(User.email == "partnership@example.org")).scalar_one()
    page = PageClient(app.test_client())
    page.sign_in(unit.email, "lantern-violet-orchard")
    assert open_one.reference in page.get("/differences/")


def test_stage_leads_must_hold_the_seniority_the_policy_names(app, cast, agencies):
    """Issue 12: "Stage 2: first-line managers" accepted a detective constable and a social worker as leads."""
    officer = client_for(app, cast["officer"])
    post_hidden(officer, f"/differences/new/child/{cast['child'].id}", raise_form(cast, agencies))
    difference = the_difference()
    url = f"/differences/{difference.id}/escalate"
    juniors = post_hidden(officer, url, escalate_form(cast["bystander"], cast["social_worker"], target_stage="2"),
                          expected=200)
    assert ("Select a manager to lead for Testshire Police: stage 2 (First-line managers) is led by a manager on "
            "each side, and Other Officer is a practitioner") in juniors
    junior_responder = post_hidden(officer, url, escalate_form(cast["police_ds"], cast["social_worker"],
                                                               target_stage="2"), expected=200)
    assert "Select a manager to answer for Testshire Children's Social Care" in junior_responder
    assert len(the_difference().stages) == 1

    post_hidden(officer, url, escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"))
    ds = client_for(app, cast["police_ds"])
    # The team manager manages no managers and has a head of service above them: not a senior manager.
    first_line = post_hidden(ds, url, escalate_form(cast["police_senior"], cast["csc_tm"], target_stage="3"),
                             expected=200)
    assert "Select a senior manager to answer for" in first_line
    post_hidden(ds, url, escalate_form(cast["police_senior"], cast["csc_head"], target_stage="3"))
    assert the_difference().open_stage.number == 3


def test_the_suggested_next_leads_are_senior_enough(app, cast, agencies):
    post_hidden(client_for(app, cast["officer"]), f"/differences/new/child/{cast['child'].id}",
                raise_form(cast, agencies))
    difference = the_difference()
    assert services.suggested_leads(difference, 2) == (cast["police_ds"].id, cast["csc_tm"].id)
    assert services.suggested_leads(difference, 3) == (cast["police_senior"].id, cast["csc_head"].id)


def test_raising_twice_with_one_form_makes_one_difference(app, cast, agencies):
    """Back and submit again, or a double click: the second submission shows what the first saved."""
    officer = client_for(app, cast["officer"])
    url = f"/differences/new/child/{cast['child'].id}"
    page = officer.get(url)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.html).group(1)
    first = officer.post_form(url, {**raise_form(cast, agencies), "submission_key": key})
    again = officer.post_form(url, {**raise_form(cast, agencies), "submission_key": key})
    difference = the_difference()
    assert first.response.headers["Location"] == again.response.headers["Location"] == f"/differences/{difference.id}"
    assert "This was already saved" in officer.get(f"/differences/{difference.id}")
    assert db.session.execute(db.select(db.func.count(ProfessionalDifference.id))).scalar_one() == 1


def test_a_form_with_a_key_this_service_did_not_issue_is_refused(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    page = officer.post_form(f"/differences/new/child/{cast['child'].id}",
                             {**raise_form(cast, agencies), "submission_key": "not ours!"}, expected=200)
    assert "This form has expired. Reload the page and try again" in page
    assert db.session.execute(db.select(ProfessionalDifference)).first() is None


def test_an_outcome_recorded_meanwhile_wins_over_an_older_form(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    post_hidden(officer, f"/differences/new/child/{cast['child'].id}", raise_form(cast, agencies))
    difference = the_difference()
    social_worker = client_for(app, cast["social_worker"])
    old_form = social_worker.get(f"/differences/{difference.id}/outcome")
    hidden = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', old_form.html).group(1)
              for name in ("stage_id", "version")}
    # Meanwhile the officer escalates: stage 1 is closed and stage 2 is open.
    post_hidden(officer, f"/differences/{difference.id}/escalate",
                escalate_form(cast["police_ds"], cast["csc_tm"], target_stage="2"))
    stale = client_for(app, cast["csc_tm"]).post_form(
        f"/differences/{difference.id}/outcome",
        {**hidden, "outcome": "resolved", "discussion": "We agreed on the phone."}, expected=200)
    assert "Someone else changed this professional difference after you opened this page" in stale
    assert "We agreed on the phone." in stale.html  # what they typed is kept
    assert the_difference().is_open and the_difference().open_stage.number == 2


def test_quoted_words_start_where_the_person_started_them_and_stay_escaped(app, cast, agencies):
    officer = client_for(app, cast["officer"])
    with frozen_at(MONDAY):
        post_hidden(officer, f"/differences/new/child/{cast['child'].id}",
                    {**raise_form(cast, agencies), "concern": "First line <b>not bold</b>\nSecond line"})
    page = officer.get(f"/differences/{the_difference().id}")
    assert '<span class="app-verbatim-text">First line &lt;b&gt;not bold&lt;/b&gt;<br>Second line</span>' in page.html
