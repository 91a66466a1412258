"""Changing an agreed action's owner or due date; the strategy meeting a chair asks for after a phone
discussion; the alleged perpetrator."""
from datetime import date, timedelta


from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import services, thresholds
from safeguarding.discussions.deadlines import open_deadlines
from safeguarding.discussions.models import AgreedActionChange, DiscussionChild, StrategyDiscussion
from safeguarding.extensions import db
from safeguarding.service import transaction

from .discussion_data import convene_decided, submit, attend, convene, date_parts, make_child
from .sql_statements import statements_of_get

GMT = clock.UTC


def _events(object_type, action):
    return db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == object_type,
                                                          AuditEvent.action == action)).scalars().all()


def _action(mash, agencies, owner, hours=24):
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"], agencies["health"]])
    with transaction():
        return sd, services.add_action(sd, {"description": "Check PNC and intelligence", "owner_id": owner.id,
                                            "due_at": clock.now() + timedelta(hours=hours)}, actor=mash)


def _change_form(action, owner_id, day, at="16:00", reason="Officer on leave until Monday"):
    return {"version": str(action.version), "owner_id": str(owner_id), "due_date": date_parts(day),
            "due_time": at, "reason": reason}


# --- Changing an action's owner or due date ------------------------------------------------------------------


def test_owner_moves_the_due_date_with_a_reason(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    client, officer = signed_in(Role.PRACTITIONER, "police")
    sd, action = _action(mash, agencies, officer)
    old_due = action.due_at
    new_day = clock.london_today() + timedelta(days=5)
    url = f"/discussions/actions/{action.id}/change"
    assert "Change the owner or due date" in client.get(f"/discussions/actions/{action.id}")
    submit(client, url, _change_form(action, officer.id, new_day))
    db.session.refresh(action)
    assert action.due_at == clock.london_datetime(new_day, 16) and action.owner_id == officer.id
    change = db.session.execute(db.select(AgreedActionChange)).scalar_one()
    assert (change.from_due_at, change.to_due_at, change.reason) == (old_due, action.due_at,
                                                                    "Officer on leave until Monday")
    event_ = _events("agreed_action", "reassign")[0]
    assert event_.user_id == officer.id and event_.changes["reason"] == {"changed": True}
    assert event_.changes["due_at"]["to"] == action.due_at.isoformat() and "owner_id" not in event_.changes
    page = client.get(f"/discussions/actions/{action.id}")
    assert "Action changed" in page and "Officer on leave until Monday" in page
    assert f"due {clock.to_london(action.due_at).strftime('%-d %b %Y %H:%M')}" in page
    # The reminder clock follows the new date.
    [deadline] = [d for d in open_deadlines(due_before=clock.now() + timedelta(days=30)) if d.kind == "agreed_action"]
    assert deadline.due_at == action.due_at


def test_mash_hands_an_action_to_someone_in_another_agency(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    nurse = make_user(Role.PRACTITIONER, "health", name="Nurse Nadia")
    _, action = _action(mash, agencies, officer)
    due = clock.to_london(action.due_at)
    submit(client, f"/discussions/actions/{action.id}/change",
                     _change_form(action, nurse.id, due.date(), due.strftime("%H:%M"), "Health hold the records"))
    db.session.refresh(action)
    assert action.owner_id == nurse.id and action.owner_agency_id == agencies["health"].id
    event_ = _events("agreed_action", "reassign")[0]
    assert event_.changes["owner_id"] == {"from": officer.id, "to": nurse.id}
    assert event_.changes["owner_agency_id"] == {"from": agencies["police"].id, "to": agencies["health"].id}
    assert "due_at" not in event_.changes
    assert "owner now Nurse Nadia" in client.get(f"/discussions/actions/{action.id}")
    assert [d.owner_id for d in open_deadlines(due_before=clock.now() + timedelta(days=30))
            if d.kind == "agreed_action"] == [nurse.id]


def test_only_owner_chair_and_owner_managers_may_change_an_action(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    line_manager, inspector = signed_in(Role.MANAGER, "police")
    officer = make_user(Role.PRACTITIONER, "police", manager=inspector)
    _, action = _action(mash, agencies, officer)
    url = f"/discussions/actions/{action.id}/change"
    colleague, _ = signed_in(Role.PRACTITIONER, "police")
    assert "Change the owner or due date" not in colleague.get(f"/discussions/actions/{action.id}")
    colleague.get(url, expected=403)
    token = colleague.get("/home").csrf()
    colleague.post(url, {"csrf_token": token, **_change_form(action, officer.id, clock.london_today())},
                   expected=403)
    teacher, _ = signed_in(Role.PRACTITIONER, "education")  # education was not invited
    teacher.get(url, expected=404)
    # issue 13: any agency's manager could reassign any action; now a manager who is not the owner's is refused
    signed_in(Role.MANAGER, "health")[0].get(url, expected=403)
    signed_in(Role.MANAGER, "police")[0].get(url, expected=403)
    line_manager.get(url)
    assert _events("agreed_action", "reassign") == []


def test_bad_input_keeps_what_was_typed(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    _, action = _action(mash, agencies, mash)
    url = f"/discussions/actions/{action.id}/change"
    page = submit(client, url, {**_change_form(action, 0, clock.london_today(), reason=""),
                                  "due_date": ["30", "2", "2027"], "due_time": "25:61"}, expected=200)
    for message in ("Select who owns the action", "Due date must be a real date", "Due time must be a real time",
                    "Enter why the action is changing"):
        assert message in page, message
    assert 'value="30"' in page.html
    yesterday = clock.london_today() - timedelta(days=1)
    past = submit(client, url, _change_form(action, mash.id, yesterday, reason="Typed reason"), expected=200)
    assert "Due date and time must be in the future" in past and "Typed reason" in past.html
    due = clock.to_london(action.due_at)
    same = submit(client, url, _change_form(action, mash.id, due.date(), due.strftime("%H:%M")), expected=200)
    assert "Choose a different owner or a different due date and time" in same
    long = submit(client, url, _change_form(action, mash.id, yesterday + timedelta(days=9), reason="x" * 2001),
                            expected=200)
    assert "Why the action is changing must be 2,000 characters or fewer" in long
    assert db.session.execute(db.select(AgreedActionChange)).first() is None


def test_stale_change_form_shows_a_conflict_and_loses_nothing(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    _, action = _action(mash, agencies, mash)
    url = f"/discussions/actions/{action.id}/change"
    stale = _change_form(action, mash.id, clock.london_today() + timedelta(days=3), reason="My careful reason")
    with transaction():
        services.change_action(action, owner_id=mash.id, due_at=action.due_at + timedelta(days=1),
                               reason="Colleague's change", actor=mash, expected_version=action.version)
    page = submit(client, url, stale, expected=200)
    assert "Someone else changed this action" in page and "My careful reason" in page.html
    assert db.session.execute(db.select(db.func.count(AgreedActionChange.id))).scalar_one() == 1


def test_a_finished_action_cannot_be_changed(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    _, action = _action(mash, agencies, mash)
    services.complete_action(action, "Visited", actor=mash, expected_version=action.version)
    client.get(f"/discussions/actions/{action.id}/change", expected=302)
    assert "it can no longer be changed" in client.get(f"/discussions/actions/{action.id}")


def _count_statements(client, url):
    return len(statements_of_get(client, url))


def test_action_page_costs_the_same_with_1_and_10_changes(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    people = [make_user(Role.PRACTITIONER, "police") for _ in range(3)]
    _, action = _action(mash, agencies, mash)

    def move(n):
        for i in range(n):
            with transaction():
                services.change_action(action, owner_id=people[i % 3].id, due_at=action.due_at + timedelta(hours=1),
                                       reason=f"Change {i}", actor=mash, expected_version=action.version)

    move(1)
    few = _count_statements(client, f"/discussions/actions/{action.id}")
    move(9)
    assert "Change 8" in client.get(f"/discussions/actions/{action.id}")
    assert _count_statements(client, f"/discussions/actions/{action.id}") == few


# --- The strategy meeting after a phone discussion -----------------------------------------------------------


def test_follow_up_meeting_is_due_5_working_days_later_across_christmas():
    friday = clock.london_datetime(date(2026, 12, 18), 15)
    assert thresholds.follow_up_meeting_due_at(friday) == clock.london_datetime(date(2026, 12, 29), 17)
    assert thresholds.follow_up_meeting_due_at(clock.london_datetime(date(2026, 6, 1), 9)) == \
        clock.london_datetime(date(2026, 6, 8), 17)  # 17:00 BST


def _decision_form(**extra):
    return {"outcome": "s47_joint", "rationale": "Disclosure at school", "abe_planned": "no",
            "intermediary_considered": "no", "medical_examination": "no", "legal_action": "none",
            "family_told": "will_tell", "family_told_when": "Today, by the social worker", **extra}


def test_chair_asks_for_a_strategy_meeting_after_a_phone_discussion(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]],
                 scheduled_at=clock.now() - timedelta(hours=1), mode="phone", alleged_perpetrator="")
    attend(sd, mash)
    url = f"/discussions/{sd.id}/children/{amy.id}/decision"
    form_page = client.get(url)
    assert "The chair asks for a strategy meeting to follow this phone discussion" in form_page
    submit(client, url, _decision_form(follow_up_meeting="y"))
    db.session.refresh(sd)
    due = thresholds.follow_up_meeting_due_at(sd.scheduled_at)
    assert sd.follow_up_meeting_due_at == due
    assert _events("strategy_discussion", "update")[-1].changes["follow_up_meeting_due_at"]["to"] == due.isoformat()
    page = client.get(f"/discussions/{sd.id}")
    assert f"The chair asked for one: due by {clock.to_london(due).strftime('%-d %b %Y %H:%M')}" in page
    [deadline] = [d for d in open_deadlines(due_before=due + timedelta(seconds=1)) if d.kind == "follow_up_meeting"]
    assert deadline.owner_id == mash.id and deadline.due_at == due and deadline.object_id == sd.id

    # "Convene the strategy meeting" opens a face-to-face review of this discussion, pre-filled.
    assert f'href="/discussions/new?review_of={sd.id}"' in page.html
    new = client.get(f"/discussions/new?review_of={sd.id}")
    assert f'value="{amy.id}" checked' in new.html
    assert 'value="review" checked' in new.html and 'value="meeting" checked' in new.html
    assert f'<option selected value="{sd.id}">' in new.html or f'value="{sd.id}" selected' in new.html
    review = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]], kind="review",
                     previous_id=sd.id, mode="meeting", scheduled_at=clock.now() + timedelta(days=2))
    assert [d for d in open_deadlines(due_before=due + timedelta(days=1)) if d.kind == "follow_up_meeting"] == []
    page = client.get(f"/discussions/{sd.id}")
    assert "Convened: meeting (face to face) on" in page and f'href="/discussions/{review.id}"' in page.html

    # The chair can withdraw the request by correcting the decision.
    submit(client, url, {**_decision_form(), "version": str(sd.decision_for(amy.id).version)})
    db.session.refresh(sd)
    assert sd.follow_up_meeting_due_at is None


def test_no_follow_up_meeting_question_for_a_face_to_face_meeting(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]], mode="meeting")
    attend(sd, mash)
    url = f"/discussions/{sd.id}/children/{amy.id}/decision"
    assert "strategy meeting to follow" not in client.get(url)
    submit(client, url, _decision_form(follow_up_meeting="y"))
    db.session.refresh(sd)
    assert sd.follow_up_meeting_due_at is None
    assert "Strategy meeting to follow" not in client.get(f"/discussions/{sd.id}")


# --- The alleged perpetrator ---------------------------------------------------------------------------------


def test_alleged_perpetrator_recorded_when_convening_and_changed_later(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben")
    form = client.get(f"/discussions/new?child={amy.id}")
    assert "Alleged perpetrator (if known)" in form and "convene a separate strategy discussion about them" in form
    day = clock.london_today() + timedelta(days=1)
    data = {"child_ids": [str(amy.id), str(ben.id)], "kind": "initial", "urgency": "standard",
            "scheduled_date": date_parts(day), "scheduled_time": "10:30", "mode": "phone", "chair_id": str(mash.id),
            **convene_decided(),
            "referral_source": "School", "referral_received_on": date_parts(clock.london_today()),
            "harm_category": "physical", "reason": "Bruising", "referrer_words": "She said her stepdad hit her",
            "alleged_perpetrator": "x" * 501, "agency_ids": [str(agencies["csc"].id)]}
    too_long = submit(client, "/discussions/new", data, expected=200)
    assert "Alleged perpetrator must be 500 characters or fewer" in too_long
    submit(client, "/discussions/new", {**data, "alleged_perpetrator": "Stepfather, Mark, 34"})
    sd = db.session.execute(db.select(StrategyDiscussion)).scalar_one()
    assert [c.alleged_perpetrator for c in sd.children] == ["Stepfather, Mark, 34"] * 2
    assert _events("strategy_discussion", "convene")[0].changes["alleged_perpetrator"] == {"changed": True}
    assert "Stepfather, Mark, 34" in client.get(f"/discussions/{sd.id}")

    edit = client.get(f"/discussions/{sd.id}/edit")
    assert 'value="Stepfather, Mark, 34"' in edit.html
    submit(client, f"/discussions/{sd.id}/edit", {
        **{k: v for k, v in data.items() if k not in ("child_ids", "agency_ids")}, "version": str(sd.version),
        "alleged_perpetrator": "Brother, aged 15"})
    links = db.session.execute(db.select(DiscussionChild).where(DiscussionChild.discussion_id == sd.id)).scalars()
    assert {c.alleged_perpetrator for c in links} == {"Brother, aged 15"}
    assert _events("strategy_discussion", "update")[-1].changes["alleged_perpetrator"] == {"changed": True}
