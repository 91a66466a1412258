"""The record says only what people said, and never loses or doubles it (issue 10, the discussions part).

Each test here is an example from the issue that the code before it got wrong.
"""
from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.discussions.models import (
    AgreedAction,
    ChildRemoval,
    DiscussionChild,
    Dissent,
    InformationShared,
    MinutesCirculation,
    StrategyDiscussion,
    ThresholdDecision,
)
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification
from safeguarding.service import transaction

from .discussion_data import (convene_decided,
    attend,
    convene,
    date_parts,
    decision_data,
    hidden_fields,
    make_child,
    submit,
)

# --- Nothing pre-answered ----------------------------------------------------------------------------------

#: Not questions about the child: who is asked to take part (the statutory minimum agencies are ticked so none is
#: forgotten) and who chairs (the person convening, by default). Every other choice must start unanswered.
NOT_SAFEGUARDING_QUESTIONS = {"agency_ids", "chair_id"}
#: answers already saved, which a change form starts from (the action's current owner)
SAVED_ANSWERS = {"discussions.change_action": {"owner_id"}}


class _Answers(HTMLParser):
    """Every radio or checkbox that starts checked, and every select that starts on a real option, in POST forms."""

    def __init__(self):
        super().__init__()
        self.method, self.select, self.found = "get", None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.method = (a.get("method") or "get").lower()
        if self.method != "post":
            return
        if tag == "input" and a.get("type") in ("radio", "checkbox") and "checked" in a:
            self.found.append((a.get("name"), a.get("value")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and "selected" in a and a.get("value") not in ("", "0", "None", None):
            self.found.append((self.select, a.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.method = "get"


def _pre_answered(html: str, endpoint: str) -> list[tuple[str, str]]:
    parser = _Answers()
    parser.feed(html)
    allowed = NOT_SAFEGUARDING_QUESTIONS | SAVED_ANSWERS.get(endpoint, set())
    return [(name, value) for name, value in parser.found if name not in allowed]


def test_no_discussions_form_starts_with_a_safeguarding_question_answered(app, signed_in, agencies, make_user):
    client, manager = signed_in(Role.MANAGER)
    amy, ben = make_child("Amy"), make_child("Ben", born=date(2019, 5, 1))
    sd = convene(manager, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]])
    with transaction():
        # Saved answers show as saved; nothing is recorded here except what the walk needs to reach every page.
        decided = services.record_decision(sd, ben.id, decision_data(), actor=manager,
                                           minimum_agency_reason="Nobody's attendance recorded yet")
        action = services.add_action(sd, {"description": "Visit", "owner_id": manager.id, "child_id": None,
                                          "due_at": clock.now() + timedelta(days=2)}, actor=manager)
        services.save_minutes(sd, "Notes", actor=manager, based_on_id=0, based_on_revision=0)
        draft = services.create_draft_discussion([amy.id], "Missing three times in 30 days", actor=manager)
    # A draft another feature opened has never been answered; the convened one is walked for everything else.
    ids = {"discussion_id": sd.id, "child_id": amy.id, "decision_id": decided.id, "action_id": action.id}
    walked = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("discussions.") or "GET" not in rule.methods:
            continue
        url = rule.rule
        for name, value in {**ids, **({"discussion_id": draft.id} if rule.endpoint.endswith(".edit") else {})}.items():
            url = url.replace(f"<int:{name}>", str(value))
        page = client.get(url)
        assert _pre_answered(page.html, rule.endpoint) == [], url
        walked.append(rule.endpoint)
    for form_page in ("discussions.new", "discussions.edit", "discussions.decision", "discussions.child_voice",
                      "discussions.attendance", "discussions.information", "discussions.new_action",
                      "discussions.circulate", "discussions.add_child"):
        assert form_page in walked


def test_a_decision_saved_without_touching_the_questions_is_refused_not_recorded_as_no(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    url = f"/discussions/{sd.id}/children/{amy.id}/decision"
    page = submit(client, url, {"outcome": "s17", "rationale": "Needs support"}, expected=200)
    for message in ("Select whether an ABE interview is planned", "Select whether an intermediary was considered",
                    "Select whether a medical examination is needed", "Select the legal action",
                    "Select what the family is told"):
        assert message in page, message
    assert db.session.execute(select(func.count()).select_from(ThresholdDecision)).scalar_one() == 0

    # "Not decided yet" is an answer the discussion can give: stored as such and shown as still to do.
    submit(client, url, {"outcome": "s17", "rationale": "Needs support", "abe_planned": "not_decided",
                         "intermediary_considered": "no", "medical_examination": "not_decided",
                         "legal_action": "none", "family_told": "not_decided"})
    decision = db.session.execute(select(ThresholdDecision)).scalar_one()
    assert (decision.abe_planned, decision.medical_examination, decision.family_told) == ("not_decided",) * 3
    shown = client.get(f"/discussions/{sd.id}")
    assert "Still to decide for Amy: ABE interview, Medical examination, What the family is told." in shown
    assert "Not decided yet" in shown
    from safeguarding.discussions.deadlines import open_deadlines

    due = [d for d in open_deadlines(due_before=clock.now() + timedelta(days=7), owner_ids=[mash.id])
           if d.kind == "still_to_decide"]
    assert [d.object_id for d in due] == [decision.id]
    assert due[0].title == ("Still to decide for Amy Example: ABE interview, Medical examination, "
                            "What the family is told")
    # answering them closes the deadline
    submit(client, url, {"outcome": "s17", "rationale": "Needs support", "abe_planned": "no",
                         "intermediary_considered": "no", "medical_examination": "no", "legal_action": "none",
                         "family_told": "will_tell", "family_told_when": "Today, by the social worker"})
    assert [d for d in open_deadlines(due_before=clock.now() + timedelta(days=7)) if d.kind == "still_to_decide"] == []


# --- Children in a discussion -----------------------------------------------------------------------------


def _convene_form(chair_id, child_ids, agency_ids, **overrides):
    day = clock.london_today() + timedelta(days=1)
    data = {"child_ids": [str(i) for i in child_ids], "kind": "initial", "urgency": "standard",
            "scheduled_date": date_parts(day), "scheduled_time": "10:30", "mode": "video",
            **convene_decided(),
            "chair_id": str(chair_id), "referral_source": "School",
            "referral_received_on": date_parts(clock.london_today()), "harm_category": "neglect",
            "reason": "Home conditions", "referrer_words": "No food in the house",
            "agency_ids": [str(i) for i in agency_ids]}
    data.update(overrides)
    return data


def test_a_found_sibling_left_unticked_needs_a_decision_to_convene_without_them(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben", born=date(2019, 5, 1))
    db.session.commit()
    found = client.post(f"/discussions/new?child={amy.id}", {
        **hidden_fields(client.get(f"/discussions/new?child={amy.id}").html),
        "child_ids": [str(amy.id)], "find": "Ben", "find_child": "y"}, expected=200)
    assert "Ben Example" in found
    carried = hidden_fields(found.html)
    assert str(ben.id) in carried["found_ids"].split(",")
    data = {**carried, **_convene_form(mash.id, [amy.id], [agencies["csc"].id])}
    warned = client.post("/discussions/new", data, expected=200)
    assert "You found Ben Example but did not select them" in warned
    assert db.session.execute(select(func.count()).select_from(StrategyDiscussion)).scalar_one() == 0

    client.post("/discussions/new", {**data, "without_found": "y"})
    sd = db.session.execute(select(StrategyDiscussion)).scalar_one()
    assert [c.child_id for c in sd.children] == [amy.id]


def test_a_child_is_added_after_convening_and_removed_before_their_decision_with_a_reason(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben", born=date(2019, 5, 1))
    cousin = make_child("Cara", "Other", born=date(2018, 1, 1))
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    url = f"/discussions/{sd.id}/children/add"
    found = client.post(url, {**hidden_fields(client.get(url).html), "find": "Ben", "find_child": "y"}, expected=200)
    assert "Ben Example" in found
    client.post(url, {**hidden_fields(found.html), "child_id": str(ben.id)})
    # the same page sent again (Back, then another child) is stale: the list of children changed meanwhile
    stale = client.post(url, {**hidden_fields(found.html), "child_id": str(cousin.id)}, expected=200)
    assert "Someone else changed this discussion while you were editing it" in stale
    client.post(url, {**hidden_fields(client.get(url).html), "child_id": str(cousin.id)})
    db.session.expire_all()
    assert [c.child_id for c in sd.children] == [amy.id, ben.id, cousin.id]

    attend(sd, mash)
    with transaction():
        services.record_decision(sd, amy.id, decision_data(), actor=mash)
    refused = submit(client, f"/discussions/{sd.id}/children/{amy.id}/remove", {"reason": "Typed"}, expected=200)
    assert "Amy Example already has a decision: it stays on the record" in refused
    with transaction():
        services.record_child_voice(sd.children[1], {"child_seen": "yes", "seen_alone": "yes", "seen_on": None,
                                                     "seen_by": "", "child_said": "I am scared", "not_seen_reason": ""},
                                    actor=mash)
    kept = submit(client, f"/discussions/{sd.id}/children/{ben.id}/remove", {"reason": "Typed"}, expected=200)
    assert "Ben Example's voice is recorded on this discussion: it stays on the record" in kept
    no_reason = submit(client, f"/discussions/{sd.id}/children/{cousin.id}/remove", {"reason": ""}, expected=200)
    assert "Enter why this child is being removed from the discussion" in no_reason
    submit(client, f"/discussions/{sd.id}/children/{cousin.id}/remove", {"reason": "A cousin, not a sibling"})
    db.session.expire_all()
    assert [c.child_id for c in sd.children] == [amy.id, ben.id]
    removal = db.session.execute(select(ChildRemoval)).scalar_one()
    assert removal.child_id == cousin.id and removal.reason == "A cousin, not a sibling"
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "remove_child")).scalar_one()
    assert event.changes == {"child_id": {"from": cousin.id}, "reason": {"changed": True}}
    shown = client.get(f"/discussions/{sd.id}")
    assert "A cousin, not a sibling" in shown and "Cara Other, removed" in shown
    assert "Removed from a strategy discussion" in client.get(f"/children/{cousin.id}")
    # each child keeps their own decision: Ben still needs one, so the discussion is not decided
    assert sd.status == "convened" and sd.decision_for(ben.id) is None


# --- Dates that make sense together -----------------------------------------------------------------------


def test_a_discussion_in_1990_for_a_child_born_in_2020_referred_in_2026_is_refused(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child("Amy", born=date(2020, 3, 4))
    page = submit(client, "/discussions/new", _convene_form(
        mash.id, [amy.id], [agencies["csc"].id], scheduled_date=["1", "1", "1990"],
        referral_received_on=["1", "12", "2026"]), expected=200)
    assert ("Date of the discussion must be the same as or after the date the referral was received "
            "(1 December 2026)") in page
    page = submit(client, "/discussions/new", _convene_form(
        mash.id, [amy.id], [agencies["csc"].id], scheduled_date=["1", "1", "2019"],
        referral_received_on=["1", "1", "2019"]), expected=200)
    assert "Date of the discussion must be the same as or after Amy Example's date of birth (4 March 2020)" in page
    assert db.session.execute(select(func.count()).select_from(StrategyDiscussion)).scalar_one() == 0


def test_a_drafts_discussion_date_is_not_before_the_decision_to_convene(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    with transaction():
        draft = services.create_draft_discussion([amy.id], "Missing three times", actor=mash)
    yesterday = clock.london_today() - timedelta(days=1)
    page = submit(client, f"/discussions/{draft.id}/edit", {
        **_convene_form(mash.id, [], [agencies["csc"].id], scheduled_date=date_parts(yesterday),
                        referral_received_on=date_parts(yesterday - timedelta(days=1)))}, expected=200)
    assert "Date of the discussion must be the same as or after the decision to convene it" in page


def test_a_child_seen_before_birth_or_in_the_future_is_refused(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child("Amy", born=date(2016, 2, 14))
    sd = convene(mash, [amy], [agencies["csc"]])
    url = f"/discussions/{sd.id}/children/{amy.id}/voice"
    page = submit(client, url, {"child_seen": "yes", "seen_alone": "yes", "seen_on": ["1", "1", "1900"]},
                  expected=200)
    assert "Date the child was seen must be the same as or after Amy Example's date of birth (14 February 2016)" in page
    page = submit(client, url, {"child_seen": "yes", "seen_alone": "yes",
                                "seen_on": date_parts(clock.london_today() + timedelta(days=2))}, expected=200)
    assert "Date the child was seen must be today or in the past" in page


def test_an_action_due_more_than_a_year_ahead_needs_confirming(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"]])
    url = f"/discussions/{sd.id}/actions/new"
    far = clock.london_today() + timedelta(days=400)
    data = {"description": "Review at school", "child_id": "0", "owner_id": str(mash.id),
            "due_date": date_parts(far), "due_time": "10:00"}
    page = submit(client, url, data, expected=200)
    assert "Due date is more than a year ahead" in page and 'name="far_ahead"' in page.html
    submit(client, url, {**data, "far_ahead": "y"})
    assert db.session.execute(select(func.count()).select_from(AgreedAction)).scalar_one() == 1


# --- Every create once; every change on a version -----------------------------------------------------------


def test_back_and_resubmit_makes_one_agreed_action_dissent_and_information_entry(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"]])
    forms = {
        f"/discussions/{sd.id}/actions/new": ({"description": "Check PNC", "child_id": "0", "owner_id": str(mash.id),
                                               "due_date": date_parts(clock.london_today() + timedelta(days=2)),
                                               "due_time": "10:00"}, AgreedAction),
        f"/discussions/{sd.id}/dissent": ({"agency_id": str(agencies["police"].id), "person_name": "DS Khan",
                                           "text": "Threshold for s47 met"}, Dissent),
        f"/discussions/{sd.id}/information": ({"agency_id": str(agencies["police"].id), "topic": "other",
                                               "child_id": "0", "text": "Two call-outs",
                                               "lawful_basis": "public_task"}, InformationShared),
    }
    for url, (data, model) in forms.items():
        opened = hidden_fields(client.get(url).html)
        client.post(url, {**opened, **data})
        again = client.post(url, {**opened, **data})  # Back, then submit the same page again
        assert again.response.headers["Location"].startswith(f"/discussions/{sd.id}")
        assert "This was already saved. Nothing new was added." in client.get(again.response.headers["Location"])
        assert db.session.execute(select(func.count()).select_from(model)).scalar_one() == 1, url


def test_two_identical_convene_posts_make_one_discussion(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    data = {**hidden_fields(client.get("/discussions/new").html),
            **_convene_form(mash.id, [amy.id], [agencies["csc"].id])}
    first = client.post("/discussions/new", data)
    second = client.post("/discussions/new", data)
    assert first.response.headers["Location"] == second.response.headers["Location"]
    assert db.session.execute(select(func.count()).select_from(StrategyDiscussion)).scalar_one() == 1


@pytest.mark.parametrize("version", ["abc", "1.5", "-1", "９", "9" * 40, "1e3"])
def test_a_hidden_version_that_is_not_a_whole_number_is_an_error_not_a_500(signed_in, agencies, version):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    with transaction():
        action = services.add_action(sd, {"description": "Visit", "owner_id": mash.id, "child_id": None,
                                          "due_at": clock.now() + timedelta(days=2)}, actor=mash)
    decision = {"outcome": "s17", "rationale": "Support", "abe_planned": "no", "intermediary_considered": "no",
                "medical_examination": "no", "legal_action": "none", "family_told": "not_decided"}
    posts = [
        (f"/discussions/{sd.id}/children/{amy.id}/decision", {**decision, "version": version}),
        (f"/discussions/{sd.id}/children/{amy.id}/voice", {"child_seen": "yes", "seen_alone": "no",
                                                            "version": version}),
        (f"/discussions/{sd.id}/minutes", {"text": "Notes", "based_on_id": version, "based_on_revision": "0"}),
        (f"/discussions/actions/{action.id}/change", {"owner_id": str(mash.id), "reason": "Leave",
                                                      "due_date": date_parts(clock.london_today()),
                                                      "due_time": "23:59", "version": version}),
        (f"/discussions/actions/{action.id}", {"done-completion_note": "Done", "done-submit": "y",
                                               "done-version": version}),
        (f"/discussions/{sd.id}/edit", {"version": version}),
    ]
    attendance = f"/discussions/{sd.id}/attendance"
    inv = sd.invitations[0]
    posts.append((attendance, {f"status_{inv.id}": "apologies", f"reason_{inv.id}": "Ill",
                               f"version_{inv.id}": version}))
    for url, data in posts:
        opened = hidden_fields(client.get(url).html)
        response = client.request("POST", url, data={**opened, **data})
        body = response.get_data(as_text=True)
        # the form's own error, or the app-wide refusal of a page changed before it was sent: never a 500
        assert response.status_code < 500, url
        assert ("This form has expired. Reload the page and try again" in body
                or "This page was changed before it was sent" in body), url
    assert db.session.execute(select(func.count()).select_from(ThresholdDecision)).scalar_one() == 0


def test_attendance_recorded_on_a_stale_page_is_a_conflict_not_an_overwrite(signed_in, agencies):
    first, mash = signed_in(Role.MASH)
    second, _ = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    police = next(i for i in sd.invitations if i.agency.kind == "police")
    url = f"/discussions/{sd.id}/attendance"
    opened_first, opened_second = hidden_fields(first.get(url).html), hidden_fields(second.get(url).html)
    first.post(url, {**opened_first, f"status_{police.id}": "attended"})
    page = second.post(url, {**opened_second, f"status_{police.id}": "apologies",
                             f"reason_{police.id}": "Officer on leave"}, expected=200)
    assert "Someone else changed the attendance while you were editing it" in page
    assert 'value="Officer on leave"' in page.html  # the person's answer is kept for them to save again
    db.session.expire_all()
    assert db.session.get(type(police), police.id).status == "attended"
    # another agency's row, untouched by the first person, still saves from the same stale page
    health = next(i for i in sd.invitations if i.agency.kind == "health")
    second.post(url, {**opened_second, f"status_{health.id}": "attended"})
    db.session.expire_all()
    assert db.session.get(type(health), health.id).status == "attended"


def test_a_decision_form_opened_before_anyone_decided_does_not_replace_a_decision_saved_since(signed_in, agencies):
    first, mash = signed_in(Role.MASH)
    second, _ = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    url = f"/discussions/{sd.id}/children/{amy.id}/decision"
    answers = {"rationale": "Reasons", "abe_planned": "no", "intermediary_considered": "no",
               "medical_examination": "no", "legal_action": "none", "family_told": "not_decided"}
    opened_first, opened_second = hidden_fields(first.get(url).html), hidden_fields(second.get(url).html)
    first.post(url, {**opened_first, **answers, "outcome": "s47_joint"})
    page = second.post(url, {**opened_second, **answers, "outcome": "nfa"}, expected=200)
    assert "Someone else changed this decision while you were editing it" in page
    assert "The decision saved meanwhile" in page and "Section 47" in page  # theirs, beside the person's own
    assert 'value="nfa" checked' in page.html
    db.session.expire_all()
    assert db.session.execute(select(ThresholdDecision.outcome)).scalar_one() == "s47_joint"


def test_the_childs_voice_saved_on_a_stale_page_is_a_conflict(signed_in, agencies):
    first, mash = signed_in(Role.MASH)
    second, _ = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"]])
    url = f"/discussions/{sd.id}/children/{amy.id}/voice"
    opened_first, opened_second = hidden_fields(first.get(url).html), hidden_fields(second.get(url).html)
    first.post(url, {**opened_first, "child_seen": "yes", "seen_alone": "yes", "child_said": "Mum hit me"})
    page = second.post(url, {**opened_second, "child_seen": "no", "seen_alone": "no",
                             "not_seen_reason": "At school"}, expected=200)
    assert "Someone else changed the child’s voice while you were editing it" in page
    db.session.expire_all()
    assert db.session.execute(select(DiscussionChild.child_said)).scalar_one() == "Mum hit me"


def test_the_chair_agrees_only_the_minutes_they_read(signed_in, agencies):
    client, chair = signed_in(Role.MASH)
    editor, _ = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(chair, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, chair)
    with transaction():
        services.record_decision(sd, amy.id, decision_data(), actor=chair)
        services.save_minutes(sd, "Police saw bruising", actor=chair, based_on_id=0, based_on_revision=0)
    read = hidden_fields(client.get(f"/discussions/{sd.id}/minutes").html)
    opened = hidden_fields(editor.get(f"/discussions/{sd.id}/minutes").html)
    editor.post(f"/discussions/{sd.id}/minutes", {**opened, "text": "Police saw no bruising"})
    client.post(f"/discussions/{sd.id}/minutes/agree", {k: v for k, v in read.items() if k.startswith("agree-")
                                                         or k == "csrf_token"})
    page = client.get(f"/discussions/{sd.id}/minutes")
    assert "Someone saved the minutes after you opened them, so they were not agreed" in page
    db.session.expire_all()
    assert sd.minutes_status == "draft" and sd.latest_minutes.agreed_at is None


def test_circulation_and_its_notices_are_saved_together_or_not_at_all(signed_in, agencies, make_user, monkeypatch):
    client, chair = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    amy = make_child()
    sd = convene(chair, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    with transaction():
        services.add_invitation(sd, {"agency_id": agencies["police"].id, "user_id": officer.id}, actor=chair)
    attend(sd, chair)
    with transaction():
        services.record_decision(sd, amy.id, decision_data(), actor=chair)
        services.save_minutes(sd, "Notes", actor=chair, based_on_id=0, based_on_revision=0)
        services.agree_minutes(sd, actor=chair)

    def crash(circulation):
        raise RuntimeError("the process died after the notices were written")

    monkeypatch.setattr(services, "MINUTES_CIRCULATED_HOOKS", services.MINUTES_CIRCULATED_HOOKS + [crash])
    with pytest.raises(RuntimeError), transaction():
        services.circulate_minutes(sd, actor=chair, referrer_told="yes", referrer_told_how="Phoned")
    assert db.session.execute(select(func.count()).select_from(MinutesCirculation)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0

    monkeypatch.setattr(services, "MINUTES_CIRCULATED_HOOKS", services.MINUTES_CIRCULATED_HOOKS[:-1])
    submit(client, f"/discussions/{sd.id}/minutes/circulate", {"referrer_told": "yes", "referrer_told_how": "Phoned"})
    assert db.session.execute(select(func.count()).select_from(MinutesCirculation)).scalar_one() == 1
    assert db.session.execute(select(Notification.recipient_id)).scalars().all() == [officer.id]


def test_ids_too_large_for_a_row_are_errors_not_500s(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"]])
    huge = "9" * 19
    page = submit(client, "/discussions/new", _convene_form(mash.id, [huge], [huge], found_ids=f"{huge},1"),
                  expected=200)
    assert "Select children to discuss from the list" in page and "Select agencies to invite from the list" in page
    page = submit(client, f"/discussions/{sd.id}/actions/new", {
        "description": "Visit", "child_id": huge, "owner_id": huge,
        "due_date": date_parts(clock.london_today() + timedelta(days=1)), "due_time": "10:00"}, expected=200)
    assert "Select who owns the action" in page
    add = f"/discussions/{sd.id}/children/add"
    page = client.post(add, {**hidden_fields(client.get(add).html), "child_id": huge}, expected=200)
    assert "Find the child, then select them" in page


def test_links_with_ids_too_large_for_a_row_open_an_empty_form(signed_in, agencies):
    client, _ = signed_in(Role.MASH)
    huge = "9" * 19
    page = client.get(f"/discussions/new?child={huge}&child=abc&review_of={huge}")
    assert "Convene a strategy discussion" in page


def test_which_child_is_an_answer_the_placeholder_is_not(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"]])
    for url, data, message in (
            (f"/discussions/{sd.id}/information", {"agency_id": str(agencies["police"].id), "topic": "other",
                                                   "text": "Two call-outs", "lawful_basis": "public_task"},
             "Select which child the information is about"),
            (f"/discussions/{sd.id}/actions/new", {"description": "Visit", "owner_id": str(mash.id),
                                                   "due_date": date_parts(clock.london_today() + timedelta(days=1)),
                                                   "due_time": "10:00"},
             "Select which child the action is for")):
        for placeholder in ({}, {"child_id": "None"}, {"child_id": ""}):
            page = submit(client, url, {**data, **placeholder}, expected=200)
            assert message in page, (url, placeholder)
    assert db.session.execute(select(func.count()).select_from(InformationShared)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(AgreedAction)).scalar_one() == 0


def test_a_conference_date_recorded_on_a_stale_page_is_a_conflict(signed_in, agencies):
    first, mash = signed_in(Role.MASH)
    second, _ = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    with transaction():
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    url = f"/discussions/{sd.id}/decisions/{decision.id}/icpc"
    opened_first, opened_second = hidden_fields(first.get(url).html), hidden_fields(second.get(url).html)
    first.post(url, {**opened_first, "icpc_date": date_parts(decision.icpc_due_on)})
    page = second.post(url, {**opened_second, "icpc_date": date_parts(decision.icpc_due_on - timedelta(days=1))},
                       expected=200)
    assert "Someone else changed this decision while you were recording the conference" in page
    db.session.expire_all()
    assert db.session.get(ThresholdDecision, decision.id).icpc_date == decision.icpc_due_on
