"""Who sees a discussion, its children and its actions; lists that stay fast; deadlines; drafts from other features."""
from datetime import date, timedelta

import pytest
import time_machine

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role, User
from safeguarding.discussions import services
from safeguarding.discussions.deadlines import open_deadlines
from safeguarding.discussions.models import StrategyDiscussion
from safeguarding.extensions import db
from safeguarding.service import transaction

from .discussion_data import convene_decided, submit, attend, convene, decision_data, make_child
from .sql_statements import statements_of_get


def test_police_from_an_agency_not_invited_gets_404_on_discussion_child_and_actions(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    amy = make_child(agency=agencies["csc"])
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    owner = make_user(Role.PRACTITIONER, "police")
    action = services.add_action(sd, {"description": "Check PNC", "owner_id": owner.id, "child_id": amy.id,
                                      "due_at": clock.now() + timedelta(days=1)}, actor=mash)
    outsider, outsider_user = signed_in(Role.PRACTITIONER, "other_police")
    for url in (f"/discussions/{sd.id}", f"/children/{amy.id}", f"/discussions/actions/{action.id}",
                f"/discussions/{sd.id}/minutes"):
        outsider.get(url, expected=404)
    assert "Amy Example" not in outsider.get("/discussions/?view=all")
    refusals = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.action == "authz_fail", AuditEvent.user_id == outsider_user.id)).scalars().all()
    assert {r.object_type for r in refusals} == {"strategy_discussion", "child", "agreed_action"}

    invited, _ = signed_in(Role.PRACTITIONER, "police")  # a colleague of an invited agency
    assert "Check PNC" in invited.get(f"/discussions/{sd.id}")
    assert "Amy Example" in invited.get(f"/children/{amy.id}")
    assert "Initial strategy discussion" in invited.get(f"/children/{amy.id}")  # on the child's timeline
    invited.get(f"/discussions/{sd.id}/attendance", expected=403)  # seeing is not recording


def test_owning_an_action_lets_a_user_see_the_discussion(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"]])
    teacher_client, teacher = signed_in(Role.PRACTITIONER, "education")
    teacher_client.get(f"/discussions/{sd.id}", expected=404)
    services.add_action(sd, {"description": "Tell us about attendance", "owner_id": teacher.id, "child_id": None,
                             "due_at": clock.now() + timedelta(days=2)}, actor=mash)
    teacher_client.get(f"/discussions/{sd.id}")
    assert "Tell us about attendance" in teacher_client.get("/discussions/my-actions")


def test_not_invited_agency_does_not_get_access(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["education"]])
    attend(sd, mash, education="not_invited")
    teacher, _ = signed_in(Role.PRACTITIONER, "education")
    teacher.get(f"/discussions/{sd.id}", expected=404)


def _statements(client, url) -> list[str]:
    return statements_of_get(client, url)


def _count_statements(client, url):
    return len(_statements(client, url))


def _many(n, mash, agencies):
    for i in range(n):
        child = make_child(f"Child{i}", "Many")
        convene(mash, [child], [agencies["csc"], agencies["police"], agencies["health"]],
                scheduled_at=clock.now() + timedelta(days=1, minutes=i))


def test_list_issues_the_same_number_of_queries_for_5_and_50_rows(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    _many(5, mash, agencies)
    few = _count_statements(client, "/discussions/?view=upcoming")
    assert "5 in total" in client.get("/discussions/?view=upcoming")
    _many(45, mash, agencies)
    page = client.get("/discussions/?view=upcoming")
    assert "50 in total" in page and "page 1 of 2" in page
    many = _count_statements(client, "/discussions/?view=upcoming")
    # the same statements, but for the count, which only a full page needs (one not full says how many there are)
    assert few == many - 1
    # a last page's total comes from its own rows
    last = client.get("/discussions/?view=upcoming&page=2")
    assert "50 in total; page 2 of 2" in last and "Next" not in last.text


def test_discussion_page_costs_the_same_with_1_and_10_agreed_actions(signed_in, agencies, make_user):
    """Each action's owner, owner's agency and child come with the discussion, not one query per row."""
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben")
    sd = convene(mash, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]])
    kinds = ["csc", "police", "health", "education", "other_police"]
    owners = [make_user(Role.PRACTITIONER, kinds[i % len(kinds)], name=f"Owner {i}").id for i in range(10)]
    ids = {"sd": sd.id, "mash": mash.id, "children": (amy.id, ben.id), "csc": agencies["csc"].id}

    def add(n, start):
        sd, mash = db.session.get(StrategyDiscussion, ids["sd"]), db.session.get(User, ids["mash"])
        for i in range(start, start + n):
            services.add_action(sd, {"description": f"Action {i}", "owner_id": owners[i],
                                     "child_id": ids["children"][i % 2],
                                     "due_at": clock.now() + timedelta(days=1, hours=i)}, actor=mash)
            if i:  # moved to another agency since: the action stays with the agency that agreed to it
                db.session.get(User, owners[i]).agency_id = ids["csc"]
        db.session.commit()
        # The test shares the app's session: start the page from an empty one, as a real request does.
        db.session.expunge_all()

    url = f"/discussions/{ids['sd']}"
    add(1, 0)
    one = _count_statements(client, url)
    add(9, 1)
    page = client.get(url)
    assert "Owner 9" in page and "Neighbouring Police" in page and "For Ben Example" in page
    db.session.expunge_all()
    statements = _statements(client, url)
    assert len(statements) == one
    # Recording the view does not throw away what was loaded: the actions are read once, not again after it.
    assert len([s for s in statements if s.lstrip().startswith("SELECT agreed_action.")]) == 1


def test_list_filters_by_view_agency_and_date(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    soon = convene(mash, [make_child("Soon")], [agencies["csc"], agencies["police"]],
                   scheduled_at=clock.now() + timedelta(days=2))
    held = convene(mash, [make_child("Held")], [agencies["csc"]], scheduled_at=clock.now() - timedelta(hours=3))
    draft = services.create_draft_discussion([make_child("Drafted").id], "Missing 3 times", actor=mash,
                                             linked_note="3 missing episodes in 30 days")
    assert "Soon Example" in client.get("/discussions/") and "Held Example" not in client.get("/discussions/")
    assert "Held Example" in client.get("/discussions/?view=awaiting_decision")
    assert "Drafted Example" in client.get("/discussions/?view=drafts")
    police_only = client.get(f"/discussions/?view=all&agency_id={agencies['police'].id}")
    assert "Soon Example" in police_only and "Held Example" not in police_only
    day = clock.london_today() + timedelta(days=2)
    dated = client.get(f"/discussions/?view=all&date_from={day.day}&date_from={day.month}&date_from={day.year}"
                       f"&date_to={day.day}&date_to={day.month}&date_to={day.year}")
    assert "Soon Example" in dated and "Held Example" not in dated
    bad = client.get("/discussions/?view=all&date_from=31&date_from=2&date_from=2026")
    assert "From must be a real date" in bad
    assert draft.status == "draft" and soon.status == held.status == "convened"


def test_the_list_kept_between_requests_uses_each_requests_time_and_filters(signed_in, agencies):
    """The list's statements are kept per person and view (`listing.listed`): the time and the filters' values are
    each request's own, not those of the request that built them."""
    start = clock.now()
    with time_machine.travel(start, tick=False):
        client, mash = signed_in(Role.MASH)
        soon = convene(mash, [make_child("Soon")], [agencies["csc"], agencies["police"]],
                       scheduled_at=start + timedelta(minutes=10))
        convene(mash, [make_child("Held")], [agencies["csc"]], scheduled_at=start - timedelta(hours=3))
        assert "Soon Example" in client.get("/discussions/")
        assert "Soon Example" not in client.get("/discussions/?view=awaiting_decision")
        police = client.get(f"/discussions/?view=all&agency_id={agencies['police'].id}")
        assert "Soon Example" in police and "Held Example" not in police
        csc = client.get(f"/discussions/?view=all&agency_id={agencies['csc'].id}")
        assert "Soon Example" in csc and "Held Example" in csc
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert "Soon Example" not in client.get("/discussions/")
        assert "Soon Example" in client.get("/discussions/?view=awaiting_decision")
        assert soon.status == "convened"


def test_draft_from_another_feature_is_convened_by_mash(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    draft = services.create_draft_discussion([amy.id], "Missing three times in 30 days", actor=mash,
                                             linked_note="3 missing episodes in 30 days")
    page = client.get(f"/discussions/{draft.id}")
    assert "3 missing episodes in 30 days" in page and "Convene this discussion" in page
    form = client.get(f"/discussions/{draft.id}/edit")
    assert "Missing three times in 30 days" in form.html
    day = clock.london_today() + timedelta(days=1)
    submit(client, f"/discussions/{draft.id}/edit", {
        "version": str(draft.version), "kind": "initial", "urgency": "standard",
        "scheduled_date": [str(day.day), str(day.month), str(day.year)], "scheduled_time": "09:00", "mode": "phone",
        **convene_decided(),
        "chair_id": str(mash.id), "referral_source": "Police missing person unit",
        "referral_received_on": [str(clock.london_today().day), str(clock.london_today().month),
                                 str(clock.london_today().year)], "harm_category": "exploitation",
        "reason": "Missing three times in 30 days", "referrer_words": "Found in a flat in another town with adults",
        "agency_ids": [str(agencies["csc"].id), str(agencies["police"].id), str(agencies["health"].id)]})
    db.session.refresh(draft)
    assert draft.status == "convened" and len(draft.invitations) == 3 and draft.circulation_due_at


def test_stale_details_form_shows_conflict(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"]])
    url = f"/discussions/{sd.id}/edit"
    token = client.get(url).csrf()
    stale = sd.version
    with transaction():
        services.update_details(sd, {"reason": "Changed by a colleague"}, stale, actor=mash)
    day = clock.london_today() + timedelta(days=1)
    page = client.post(url, {"csrf_token": token, "version": str(stale), "kind": "initial", "urgency": "urgent",
                             "scheduled_date": [str(day.day), str(day.month), str(day.year)],
                             "scheduled_time": "09:00", "mode": "phone", "chair_id": str(mash.id),
                             **convene_decided(),
                             "referral_source": "School", "harm_category": "neglect", "reason": "My reason",
                             "referral_received_on": [str(clock.london_today().day), str(clock.london_today().month),
                                                      str(clock.london_today().year)]}, expected=200)
    assert "Someone else changed this discussion" in page and "My reason" in page.html
    db.session.refresh(sd)
    assert sd.reason == "Changed by a colleague"


def test_deadlines_actions_circulation_and_icpc(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    amy = make_child()
    with clock.frozen_at(clock.london_datetime(date(2026, 12, 15), 10)):
        sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]],
                     scheduled_at=clock.london_datetime(date(2026, 12, 15), 11))
        attend(sd, mash)
        services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
        action = services.add_action(sd, {"description": "Check PNC", "owner_id": officer.id, "child_id": amy.id,
                                          "due_at": clock.london_datetime(date(2026, 12, 16), 17)}, actor=mash)
    horizon = clock.london_datetime(date(2027, 2, 1))
    # asked just after the discussion: the ICPC's booking checkpoints are open until their working days pass
    with clock.frozen_at(clock.london_datetime(date(2026, 12, 15), 12)):
        found = open_deadlines(due_before=horizon)
        by_kind = {d.kind: d for d in found}
        # no meeting was asked for; the ICPC comes with its booking checkpoints (1 and 10 working days)
        assert set(by_kind) == {"agreed_action", "minutes_circulation", "icpc_request", "icpc_booking", "icpc"}
        assert by_kind["icpc_request"].due_at == clock.london_datetime(date(2026, 12, 16), 17)
        assert by_kind["agreed_action"].owner_id == officer.id and by_kind["agreed_action"].object_id == action.id
        assert by_kind["minutes_circulation"].owner_id == mash.id
        assert by_kind["minutes_circulation"].due_at == clock.london_datetime(date(2026, 12, 16), 17)
        assert by_kind["icpc"].due_at == clock.london_datetime(date(2027, 1, 8), 17)
        assert by_kind["icpc"].child_name == "Amy Example"
        assert [d.kind for d in open_deadlines(due_before=horizon, owner_ids=[officer.id])] == ["agreed_action"]
        assert open_deadlines(due_before=clock.london_datetime(date(2026, 12, 16), 0)) == []
        services.record_icpc_date(sd.decision_for(amy.id), date(2027, 1, 6), actor=mash)
        services.complete_action(action, "Done", actor=officer, expected_version=action.version)
        # booked is followed by held: the conference date passing unconfirmed is chased from 17:00 that day
        assert {d.kind for d in open_deadlines(due_before=horizon)} == {"minutes_circulation", "icpc_held"}


def test_review_discussion_keeps_the_icpc_date_of_the_discussion_that_started_the_enquiry(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    first = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]],
                    scheduled_at=clock.london_datetime(date(2026, 12, 15), 11))
    attend(first, mash)
    services.record_decision(first, amy.id, decision_data(outcome="s47_single"), actor=mash)
    review = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]], kind="review",
                     previous_id=first.id, scheduled_at=clock.london_datetime(date(2027, 1, 4), 11))
    attend(review, mash)
    decision = services.record_decision(review, amy.id, decision_data(outcome="s47_joint"), actor=mash)
    assert not decision.starts_enquiry and decision.icpc_due_on == date(2027, 1, 8)
    assert decision.icpc_status == "inherited"
    page = client.get(f"/discussions/{review.id}")
    assert f'<a class="govuk-link" href="/discussions/{first.id}">the discussion of 15 December 2026</a>' in page.html
    assert len([d for d in open_deadlines(due_before=clock.london_datetime(date(2027, 2, 1)))
                if d.kind == "icpc"]) == 1


def test_cancel_a_draft(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    draft = services.create_draft_discussion([make_child().id], "Arrested", actor=mash)
    refused = submit(client, f"/discussions/{draft.id}/cancel", {"reason": ""}, expected=200)
    assert "Enter why the discussion is cancelled" in refused
    submit(client, f"/discussions/{draft.id}/cancel", {"reason": "Discussed at yesterday's meeting instead"})
    db.session.refresh(draft)
    assert draft.status == "cancelled"
    assert "Discussed at yesterday" in client.get(f"/discussions/{draft.id}")


def test_a_discussion_with_a_decision_recorded_cannot_be_cancelled(signed_in, agencies):
    """A decision starts its clocks (here a conference within 15 working days); cancelling the discussion around it
    would leave them running for a discussion recorded as never having happened."""
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child()
    sd = convene(mash, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]],
                 scheduled_at=clock.london_datetime(date(2026, 12, 15), 11))
    attend(sd, mash)
    db.session.commit()
    assert "Cancel the discussion" in client.get(f"/discussions/{sd.id}")
    services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    db.session.commit()
    assert sd.status == "convened"  # Ben's decision is still to make
    assert "Cancel the discussion" not in client.get(f"/discussions/{sd.id}")
    refused = submit(client, f"/discussions/{sd.id}/cancel", {"reason": "Held elsewhere"}, expected=200)
    assert f"A decision is already recorded for {amy.display_name}" in refused
    db.session.refresh(sd)
    assert sd.status == "convened"
    assert [d.kind for d in open_deadlines(due_before=clock.london_datetime(date(2027, 2, 1)))
            if d.kind == "icpc"] == ["icpc"]


def test_vague_phrase_list_is_editable_by_admins(signed_in, agencies):
    admin, _ = signed_in(Role.ADMIN)
    page = admin.get("/discussions/vague-phrases")
    assert "poor home conditions" in page
    submit(admin, "/discussions/vague-phrases", {"phrase": "  Frankly   GRIM "})
    submit(admin, "/discussions/vague-phrases/remove", {"phrase": "no concerns"},
                    form_url="/discussions/vague-phrases")
    phrases = services.current_phrases()
    assert "frankly grim" in phrases and "no concerns" not in phrases and "appeared fine" in phrases
    duplicate = submit(admin, "/discussions/vague-phrases", {"phrase": "frankly grim"}, expected=200)
    assert "is already on the list" in duplicate
    assert "Phrases flagged as vague" in admin.get("/admin/")
    practitioner, _ = signed_in(Role.PRACTITIONER)
    practitioner.get("/discussions/vague-phrases", expected=403)
    admin.get("/discussions/", expected=403)  # administrators see no case data


def test_demo_story_loads_every_state(app):
    from safeguarding.demo import seed
    from safeguarding.discussions.models import AgreedAction, ThresholdDecision

    summary = seed("lantern-violet-orchard")
    assert "5 strategy discussions" in summary and "5 finished last quarter" in summary
    statuses = sorted(sd.status for sd in db.session.execute(db.select(StrategyDiscussion)).scalars())
    assert statuses == ["convened"] + ["decided"] * 8 + ["draft"]
    overdue = [a for a in db.session.execute(db.select(AgreedAction)).scalars() if a.is_overdue(clock.now())]
    assert len(overdue) >= 2
    # The finished discussions of last quarter leave nothing overdue on anyone's work.
    assert {a.child.first_name for a in overdue} <= {"Mia", "Ella"}
    assert any(d.agencies_absent == "Police" for d in db.session.execute(db.select(ThresholdDecision)).scalars())
    assert seed("lantern-violet-orchard").endswith("users")  # a second run adds no discussions
    assert db.session.execute(db.select(db.func.count(StrategyDiscussion.id))).scalar_one() == 10


# Today, and the first working day of a quarter (the quarter before runs over Christmas): the demo's older
# discussions, conferences and actions all fall inside the quarter Reports opens on, and all in the past.
@pytest.mark.parametrize("today", [None, date(2027, 1, 4)])
def test_demo_gives_the_default_report_figures_in_every_section(app, today):
    from safeguarding.demo import seed
    from safeguarding.reports import figures
    from safeguarding.periods import last_full_quarter

    with clock.frozen_at(clock.london_datetime(today, 9) if today else clock.now()):
        seed("lantern-violet-orchard")
        manager = db.session.execute(db.select(User).where(User.email == "csc.manager@example.org")).scalar_one()
        report = figures.compute(*last_full_quarter(clock.london_today()), user=manager, at=clock.now(),
                                 today=clock.london_today())
    assert report.held >= 5
    assert report.police.absent >= 2 and report.gap_decisions >= 2 and len(report.gap_list) >= 2
    assert len([n for _, n in report.outcomes if n]) >= 5
    assert report.icpc_counts["on_time"] >= 1 and report.icpc_counts["late"] >= 1
    assert sum(a.done_late for a in report.actions) >= 3 and sum(a.cancelled for a in report.actions) >= 1


def test_a_childs_timeline_shows_only_the_discussions_the_viewer_may_see(signed_in, agencies, make_user):
    """The timeline finds the discussions the viewer may see in its own statement: a practitioner whose agency is
    invited to one discussion about the child sees that one, its actions and the child's removal from another they
    may see; none of a discussion they may not see, nor the child's removal from one."""
    mash_client, mash = signed_in(Role.MASH)
    amy = make_child(agency=agencies["csc"])
    shared = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    private = convene(mash, [amy], [agencies["csc"], agencies["health"]])
    nurse = make_user(Role.PRACTITIONER, "health")
    for sd, words in ((shared, "Check PNC for the household"), (private, "Visit the family home")):
        services.add_action(sd, {"description": words, "owner_id": nurse.id, "child_id": amy.id,
                                 "due_at": clock.now() + timedelta(days=1)}, actor=mash)
    # Amy taken off a discussion the police may see, and off one they may not (each keeps another child)
    seen = convene(mash, [amy, make_child(first="Bea")], [agencies["csc"], agencies["police"]])
    unseen = convene(mash, [amy, make_child(first="Cal")], [agencies["csc"]])
    for sd in (seen, unseen):
        with transaction():
            services.remove_child(sd, amy.id, "Not this family", actor=mash, expected_version=sd.version)

    police, _ = signed_in(Role.PRACTITIONER, "police")
    page = police.get(f"/children/{amy.id}")
    assert "Check PNC for the household" in page and f'href="/discussions/{shared.id}"' in page.html
    assert "Visit the family home" not in page and f"/discussions/{private.id}" not in page.html
    assert page.text.count("Removed from a strategy discussion") == 1
    assert f"/discussions/{seen.id}#removed-children" in page.html and f"/discussions/{unseen.id}" not in page.html
    # MASH sees every discussion: all of it is there to see
    everything = mash_client.get(f"/children/{amy.id}")
    assert "Visit the family home" in everything and f'href="/discussions/{private.id}"' in everything.html
    assert everything.text.count("Removed from a strategy discussion") == 2
