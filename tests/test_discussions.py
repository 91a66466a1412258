"""Running a strategy discussion through its pages: convene, attendance, information, decision, actions, minutes."""
from datetime import date, timedelta

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions.models import AgreedAction, StrategyDiscussion, ThresholdDecision
from safeguarding.discussions import services
from safeguarding.extensions import db

from .discussion_data import convene_decided, submit, attend, convene, date_parts, decision_data, make_child


def _events(object_type, action=None):
    query = db.select(AuditEvent).where(AuditEvent.object_type == object_type)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.execute(query).scalars().all()


def _convene_form(chair_id, child_ids, agency_ids, **overrides):
    day = clock.london_today() + timedelta(days=1)
    data = {"child_ids": [str(i) for i in child_ids], "kind": "initial", "urgency": "standard",
            "scheduled_date": date_parts(day), "scheduled_time": "10:30", "mode": "video",
            **convene_decided(),
            "chair_id": str(chair_id), "referral_source": "Ambulance crew",
            "referral_received_on": date_parts(clock.london_today()), "harm_category": "neglect",
            "reason": "Home conditions", "referrer_words": "Unsanitary with a foul smell and a fire hazard",
            "agency_ids": [str(i) for i in agency_ids]}
    data.update(overrides)
    return data


def test_convene_for_two_siblings_with_default_agencies(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy", "Example"), make_child("Ben", "Example", born=date(2019, 5, 1))
    form_page = client.get(f"/discussions/new?child={amy.id}")
    assert "Amy Example" in form_page and "Ben Example" not in form_page
    # Find the sibling without losing what was typed.
    found = submit(client, f"/discussions/new?child={amy.id}", {
        "child_ids": [str(amy.id)], "find": "Ben", "find_child": "y", "reason": "Typed before searching"},
        expected=200)
    assert "Ben Example" in found and "Typed before searching" in found.html
    page = submit(client, "/discussions/new", _convene_form(
        mash.id, [amy.id, ben.id], [agencies["csc"].id, agencies["police"].id, agencies["health"].id]))
    sd = db.session.execute(db.select(StrategyDiscussion)).scalar_one()
    assert page.response.headers["Location"] == f"/discussions/{sd.id}"
    assert [c.child_id for c in sd.children] == [amy.id, ben.id]
    assert {i.agency.kind for i in sd.invitations} == {"childrens_social_care", "police", "health"}
    assert sd.status == "convened" and sd.chair_id == mash.id and sd.circulation_due_at is not None
    event = _events("strategy_discussion", "convene")[0]
    assert event.changes["child_ids"] == {"to": [amy.id, ben.id]}
    assert event.changes["referrer_words"] == {"changed": True}  # free text is not copied into the log
    shown = client.get(f"/discussions/{sd.id}")
    assert "Unsanitary with a foul smell and a fire hazard" in shown
    assert "Not present: Children's social care, Police, Health" in shown
    assert _events("strategy_discussion", "view")


def test_convene_defaults_tick_csc_police_and_health(signed_in, agencies):
    client, _ = signed_in(Role.MASH)
    amy = make_child()
    html = client.get(f"/discussions/new?child={amy.id}").html
    for key in ("csc", "police", "health"):
        assert f'value="{agencies[key].id}" checked' in html
    for key in ("education", "other_police"):
        assert f'value="{agencies[key].id}" checked' not in html


def test_convene_bad_input_keeps_what_was_typed(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    page = submit(client, "/discussions/new", _convene_form(
        0, [amy.id], [agencies["csc"].id], scheduled_date=["31", "2", "2027"], scheduled_time="25:00",
        referral_received_on=date_parts(clock.london_today() + timedelta(days=3)), referrer_words="",
        reason="x" * 5001, referral_source="A neighbour, Mrs Jones"), expected=200)
    for message in ("Date of the discussion must be a real date", "Start time must be a real time",
                    "Date the referral was received must be today or in the past",
                    "Enter the referrer's concern in their own words",
                    "Why a strategy discussion is needed must be 5,000 characters or fewer", "Select the chair"):
        assert message in page, message
    assert page.title.startswith("Error:")
    assert "A neighbour, Mrs Jones" in page.html
    assert db.session.execute(db.select(StrategyDiscussion)).first() is None
    no_child = submit(client, "/discussions/new", _convene_form(mash.id, [], [agencies["csc"].id]), expected=200)
    assert "Select at least one child" in no_child
    review = submit(client, "/discussions/new", _convene_form(mash.id, [amy.id], [], kind="review"), expected=200)
    assert "Select the discussion this one reviews" in review


def test_practitioner_cannot_convene(signed_in):
    client, _ = signed_in(Role.PRACTITIONER, "police")
    client.get("/discussions/new", expected=403)


def test_referrer_words_are_kept_verbatim_and_a_summary_sits_beside_them(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"]])
    url = f"/discussions/{sd.id}/edit"
    form = client.get(url)
    assert 'name="referrer_words"' not in form.html  # cannot be edited once recorded
    day = clock.london_today() + timedelta(days=1)
    submit(client, url, {"version": str(sd.version), "kind": "initial", "urgency": "standard",
                           "scheduled_date": date_parts(day), "scheduled_time": "11:00", "mode": "phone",
                           **convene_decided(),
                           "chair_id": str(mash.id), "referral_source": "Ambulance crew",
                           "referral_received_on": date_parts(clock.london_today()), "harm_category": "neglect",
                           "reason": "Injury", "referrer_words": "poor home conditions",
                           "referrer_summary": "Poor home conditions"})
    db.session.refresh(sd)
    assert sd.referrer_words == "The flat was unsanitary with a foul smell and a fire hazard."
    assert sd.referrer_summary == "Poor home conditions"
    page = client.get(f"/discussions/{sd.id}")
    assert "Check the wording" in page and "Poor home conditions" in page


def test_attendance_without_health_is_shown_and_a_decision_needs_a_reason(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    ids = {i.agency.kind: i.id for i in sd.invitations}
    bad = submit(client, f"/discussions/{sd.id}/attendance", {
        f"status_{ids['childrens_social_care']}": "attended", f"status_{ids['police']}": "attended",
        f"status_{ids['health']}": "apologies", f"reason_{ids['health']}": ""}, expected=200)
    assert "Enter the reason for apologies (Testshire NHS)" in bad
    submit(client, f"/discussions/{sd.id}/attendance", {
        f"status_{ids['childrens_social_care']}": "attended", f"status_{ids['police']}": "attended",
        f"status_{ids['health']}": "apologies", f"reason_{ids['health']}": "Health visitor on a home visit"})
    page = client.get(f"/discussions/{sd.id}")
    assert "Not present: Health" in page and "Health visitor on a home visit" in page
    assert _events("strategy_discussion", "attendance")[0].changes[f"invitation_{ids['health']}"] == {
        "from": "invited", "to": "apologies"}

    url = f"/discussions/{sd.id}/children/{amy.id}/decision"
    form = {"outcome": "s47_single", "rationale": "", "abe_planned": "no", "intermediary_considered": "no",
            "medical_examination": "no", "legal_action": "none", "family_told": "will_tell",
            "family_told_when": "Tomorrow, by the social worker"}
    refused = submit(client, url, form, expected=200)
    assert "Enter the reasons for the decision" in refused
    assert "conference due by <strong>" in refused.html and "&lt;strong&gt;" not in refused.html
    assert "Enter why the decision is made without Health" in refused
    submit(client, url, {**form, "rationale": "Bruising on the cheek of a 4 month old",
                           "minimum_agency_reason": "Health visitor unavailable; GP records sent"})
    decision = db.session.execute(db.select(ThresholdDecision)).scalar_one()
    assert decision.agencies_absent == "Health" and decision.outcome == "s47_single"
    assert decision.icpc_status == "due" and decision.starts_enquiry
    db.session.refresh(sd)
    assert sd.status == "decided" and sd.minimum_agency_reason.startswith("Health visitor unavailable")
    changes = _events("threshold_decision", "decide")[0].changes
    assert changes["outcome"] == {"from": None, "to": "s47_single"} and changes["rationale"] == {"changed": True}
    assert changes["agencies_absent"] == {"to": "Health"}
    page = client.get(f"/discussions/{sd.id}")
    assert f"Due by {decision.icpc_due_on.strftime('%-d %B %Y')}" in page
    assert "Minutes due to attendees" in page


def test_information_prompts_and_vague_language_flag(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    page = client.get(f"/discussions/{sd.id}")
    assert "Previous convictions" in page and "Missed appointments" in page
    submit(client, f"/discussions/{sd.id}/information", {
        "agency_id": str(agencies["police"].id), "topic": "police_convictions", "child_id": "0",
        "text": "Mother's partner: two convictions for assault. Home conditions were poor.",
        "shared_by": "DC Evans", "lawful_basis": "criminal_offence"})
    page = client.get(f"/discussions/{sd.id}")
    assert "two convictions for assault" in page
    assert "Check the wording" in page and "Home conditions were poor" in page
    assert "Previous convictions" not in page.text.split("Not asked about yet")[1]
    refused = submit(client, f"/discussions/{sd.id}/information", {
        "agency_id": str(agencies["education"].id), "topic": "other", "text": "x"}, expected=200)
    assert "Not a valid choice" in refused or "Select an agency invited" in refused


def test_child_voice(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"]])
    url = f"/discussions/{sd.id}/children/{amy.id}/voice"
    refused = submit(client, url, {"child_seen": "no", "seen_alone": "unknown"}, expected=200)
    assert "Enter why the child has not been seen" in refused
    submit(client, url, {"child_seen": "yes", "seen_alone": "yes", "seen_on": date_parts(clock.london_today()),
                           "seen_by": "Jo Williams, social worker",
                           "child_said": "Daddy shouts <and> the door bangs"})
    page = client.get(f"/discussions/{sd.id}")
    # The child's words are shown in the verbatim style, and only what they typed is escaped.
    assert '<span class="app-verbatim">Daddy shouts &lt;and&gt; the door bangs</span>' in page.html
    assert "&lt;span" not in page.html
    assert _events("discussion_child", "update")[0].changes["child_said"] == {"changed": True}


def test_actions_owner_due_date_and_my_actions(signed_in, make_user, agencies):
    client, mash = signed_in(Role.MASH)
    police_client, officer = signed_in(Role.PRACTITIONER, "police")
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    url = f"/discussions/{sd.id}/actions/new"
    yesterday = clock.london_today() - timedelta(days=1)
    refused = submit(client, url, {"description": "Check PNC", "owner_id": str(officer.id),
                                     "due_date": date_parts(yesterday), "due_time": "17:00"}, expected=200)
    assert "Due date must be today or in the future" in refused
    assert "Check PNC" in refused.html
    missing = submit(client, url, {"description": "", "owner_id": "0", "due_date": ["", "", ""]}, expected=200)
    for message in ("Enter what needs to be done", "Select who owns the action", "Enter the due date",
                    "Enter the due time"):
        assert message in missing
    tomorrow = clock.london_today() + timedelta(days=1)
    submit(client, url, {"description": "Check PNC and intelligence on the mother's partner",
                           "owner_id": str(officer.id), "child_id": str(amy.id), "due_date": date_parts(tomorrow),
                           "due_time": "17:00"})
    action = db.session.execute(db.select(AgreedAction)).scalar_one()
    assert action.owner_agency_id == agencies["police"].id and action.status == "open"
    assert _events("agreed_action", "create")[0].changes["owner_id"] == {"from": None, "to": officer.id}
    mine = police_client.get("/discussions/my-actions")
    assert "Check PNC and intelligence" in mine
    page = police_client.get(f"/discussions/actions/{action.id}")
    refused = police_client.post(f"/discussions/actions/{action.id}", {
        "csrf_token": page.csrf(), "done-version": str(action.version), "done-completion_note": "",
        "done-submit": "y"}, expected=200)
    assert "Enter what was done" in refused
    police_client.post(f"/discussions/actions/{action.id}", {
        "csrf_token": page.csrf(), "done-version": str(action.version),
        "done-completion_note": "Two assault convictions shared", "done-submit": "y"})
    db.session.refresh(action)
    assert action.status == "done" and action.completed_by_id == officer.id and action.completed_at
    assert "Two assault convictions shared" in police_client.get(f"/discussions/actions/{action.id}")
    assert "Check PNC" in police_client.get("/discussions/my-actions?status=done")


def test_only_owner_chair_and_owner_managers_change_an_action(signed_in, make_user, agencies):
    # Issue 13: any agency's manager (and MASH) could complete, cancel or reassign any action.
    _, mash = signed_in(Role.MASH)
    manager_client, owner_manager = signed_in(Role.MANAGER, "police")
    owner = make_user(Role.PRACTITIONER, "police", manager=owner_manager)
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"]])
    from safeguarding.discussions import services
    action = services.add_action(sd, {"description": "Visit", "owner_id": owner.id, "child_id": None,
                                      "due_at": clock.now() + timedelta(days=1)}, actor=mash)
    cancel = {"cancel-version": str(action.version), "cancel-cancel_reason": "Not needed", "cancel-submit": "y"}
    for role, agency in ((Role.PRACTITIONER, "police"), (Role.MANAGER, "police"), (Role.MANAGER, "csc"),
                         (Role.MASH, "csc")):
        client, _ = signed_in(role, agency)
        page = client.get(f"/discussions/actions/{action.id}")
        assert "Only the owner, the chair and the owner's managers" in page
        client.post(f"/discussions/actions/{action.id}", {"csrf_token": page.csrf(), **cancel}, expected=403)
    health_manager, _ = signed_in(Role.MANAGER, "health")  # not invited: the action does not exist for them
    health_manager.get(f"/discussions/actions/{action.id}", expected=404)
    page = manager_client.get(f"/discussions/actions/{action.id}")
    manager_client.post(f"/discussions/actions/{action.id}", {
        "csrf_token": page.csrf(), "cancel-version": str(action.version), "cancel-cancel_reason": "Done elsewhere",
        "cancel-submit": "y"})
    db.session.refresh(action)
    assert action.status == "cancelled" and action.cancel_reason == "Done elsewhere"


def test_stale_action_form_shows_conflict(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"]])
    from safeguarding.discussions import services
    action = services.add_action(sd, {"description": "Visit", "owner_id": mash.id, "child_id": None,
                                      "due_at": clock.now() + timedelta(days=1)}, actor=mash)
    page = client.get(f"/discussions/actions/{action.id}")
    stale = action.version
    services.complete_action(action, "Visited", actor=mash, expected_version=stale)
    again = client.post(f"/discussions/actions/{action.id}", {
        "csrf_token": page.csrf(), "cancel-version": str(stale), "cancel-cancel_reason": "My reason",
        "cancel-submit": "y"}, expected=200)
    assert "Someone else changed this action" in again and "My reason" in again.html
    db.session.refresh(action)
    assert action.status == "done"


def test_invite_a_named_person(signed_in, make_user, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"]])
    gp = make_user(Role.PRACTITIONER, "health", name="Dr Asha Rao")
    url = f"/discussions/{sd.id}/invite"
    empty = submit(client, url, {"agency_id": "0", "user_id": "0", "person_name": ""}, expected=200)
    assert "Select the agency" in empty and "Select a person or enter their name" in empty
    wrong = submit(client, url, {"agency_id": str(agencies["police"].id), "user_id": str(gp.id)}, expected=200)
    assert "Dr Asha Rao works for Testshire NHS" in wrong
    submit(client, url, {"agency_id": str(agencies["health"].id), "user_id": str(gp.id), "role": "GP"})
    submit(client, url, {"agency_id": str(agencies["education"].id), "user_id": "0",
                           "person_name": "Mrs Khan", "role": "Class teacher"})
    page = client.get(f"/discussions/{sd.id}")
    assert "Dr Asha Rao, GP" in page and "Mrs Khan, Class teacher" in page


def test_icpc_conference_date_closes_the_clock(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    url = f"/discussions/{sd.id}/decisions/{decision.id}/icpc"
    assert "15 working days after the discussion" in client.get(url)
    refused = submit(client, url, {"icpc_date": ["30", "2", "2027"]}, expected=200)
    assert "Date of the initial child protection conference must be a real date" in refused
    submit(client, url, {"icpc_date": date_parts(decision.icpc_due_on)})
    db.session.refresh(decision)
    assert decision.icpc_status == "booked" and decision.icpc_date == decision.icpc_due_on
    assert "Booked for" in client.get(f"/discussions/{sd.id}")


def test_decision_asks_for_abe_and_family_details(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    page = submit(client, f"/discussions/{sd.id}/children/{amy.id}/decision", {
        "outcome": "s47_joint", "rationale": "Disclosure of sexual abuse", "abe_planned": "yes",
        "intermediary_considered": "no", "medical_examination": "yes", "legal_action": "epo",
        "family_told": "not_told", "next_review_on": ["1", "1", "2020"]}, expected=200)
    for message in ("Enter the lead interviewer", "Enter whether an intermediary will be used",
                    "Enter who will carry out the medical examination", "Enter why the family is not to be told",
                    "Next review discussion must be today or in the future"):
        assert message in page, message
    assert "Disclosure of sexual abuse" in page.html
    assert db.session.execute(db.select(ThresholdDecision)).first() is None


def test_the_list_says_which_minimum_agency_was_absent_from_a_discussion_held(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    held = clock.now() - timedelta(days=2)
    invited = [agencies[k] for k in ("csc", "police", "health")]
    with clock.frozen_at(held - timedelta(hours=3)):
        gap = convene(mash, [make_child("Gail", "Absent")], invited, scheduled_at=held)
        full = convene(mash, [make_child("Finn", "Present")], invited, scheduled_at=held + timedelta(hours=1))
        upcoming = convene(mash, [make_child("Uma", "Upcoming")], [agencies["csc"]],
                           scheduled_at=clock.now() + timedelta(days=5))
    attend(gap, mash, health="apologies", police="apologies")
    attend(full, mash)
    page = client.get("/discussions/?view=all").html
    rows = [row.split("</tr>")[0] for row in page.split('<tr class="govuk-table__row">')[1:]]
    by_child = {name: next(r for r in rows if name in r) for name in ("Gail Absent", "Finn Present", "Uma Upcoming")}
    assert "Agency absent" in by_child["Gail Absent"] and "Police, Health" in by_child["Gail Absent"]
    assert mash.name in by_child["Gail Absent"] and f'href="/discussions/{gap.id}"' in by_child["Gail Absent"]
    assert "Agency absent" not in by_child["Finn Present"]
    # not held yet: nobody can have been absent
    assert "Agency absent" not in by_child["Uma Upcoming"] and upcoming.status == "convened"


def test_a_discussions_collections_read_again_after_a_rollback_bring_what_the_page_names_with_them(
        app, signed_in, make_user, agencies):
    # A form shown again with its errors reads the discussion's collections again after the failed save's rollback:
    # each in one statement with the people and children the page names, not one more statement for each of them.
    from flask_login import login_user

    from safeguarding.discussions import views
    from safeguarding.service import transaction

    from .sql_statements import statements_run

    _, mash = signed_in(Role.MASH)
    officers = [make_user(Role.PRACTITIONER, "police") for _ in range(3)]
    amy, ben = make_child(), make_child("Ben")
    sd = convene(mash, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]])
    with transaction():
        for officer, child in zip(officers, (amy, ben, amy), strict=True):
            services.add_action(sd, {"description": "Check PNC", "owner_id": officer.id, "child_id": child.id,
                                     "due_at": clock.now() + timedelta(days=2)}, actor=mash)
            services.add_invitation(sd, {"agency_id": agencies["police"].id, "user_id": officer.id,
                                         "person_name": "", "role": ""}, actor=mash)
            services.record_information(sd, {"agency_id": agencies["police"].id, "topic": "police_intelligence",
                                             "child_id": child.id, "text": "Known to police", "shared_by": "DC",
                                             "lawful_basis": "criminal_offence"}, actor=officer)
    sd_id, mash_id = sd.id, mash.id
    db.session.expunge_all()
    with app.test_request_context(f"/discussions/{sd_id}"):
        login_user(db.session.get(type(mash), mash_id))
        loaded = views._full(sd_id)
        db.session.rollback()  # as a failed save leaves it
        with statements_run() as seen:
            named = ([inv.who for inv in loaded.invitations],
                     [(a.owner.name, a.owner_agency.name, a.child.display_name) for a in loaded.actions],
                     [(i.child.display_name, i.recorded_by.name, i.agency.name) for i in loaded.information])
    assert len(named[0]) == 6 and len(named[1]) == 3 and len(named[2]) == 3
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    # the discussion itself (expired by the rollback) and its three collections
    assert len(reads) == 4, reads
