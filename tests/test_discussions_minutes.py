"""Minutes: draft, agreed by the chair, circulated (recorded in full), new versions after agreement, conflicts."""
from datetime import timedelta

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.discussions.models import MinutesCirculation, MinutesVersion
from safeguarding.extensions import db

from .sql_statements import statements_of_get
from .discussion_data import hidden_fields, submit, attend, convene, decision_data, make_child


def _decided(mash, agencies, make_user):
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    officer = make_user(Role.PRACTITIONER, "police", name="DC Chris Evans")
    services.add_invitation(sd, {"agency_id": agencies["police"].id, "user_id": officer.id, "role": "DC"},
                            actor=mash)
    attend(sd, mash)
    services.record_decision(sd, amy.id, decision_data(), actor=mash)
    return sd


def _save(client, sd_id, text, change_note=""):
    page = client.get(f"/discussions/{sd_id}/minutes")
    latest = db.session.execute(db.select(MinutesVersion).where(MinutesVersion.discussion_id == sd_id)
                                .order_by(MinutesVersion.number.desc())).scalars().first()
    return page, {"csrf_token": page.csrf(), "based_on_id": str(latest.id if latest else 0),
                  "based_on_revision": str(latest.revision if latest else 0), "text": text,
                  "change_note": change_note}


def test_minutes_lifecycle_draft_agreed_circulated_then_a_new_version(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    url = f"/discussions/{sd.id}/minutes"
    _, data = _save(client, sd.id, "All agencies shared. Appeared fine at school.")
    client.post(url, data)
    page = client.get(url)
    assert "Check the wording" in page and "Appeared fine" in page
    _, data = _save(client, sd.id, "All agencies shared. Teacher saw bruising on the left cheek.")
    client.post(url, data)
    versions = db.session.execute(db.select(MinutesVersion)).scalars().all()
    assert len(versions) == 1 and "bruising" in versions[0].text  # a draft is edited in place

    other, _ = signed_in(Role.MASH)
    other_page = other.get(url)
    token = other_page.csrf()
    other.post(f"/discussions/{sd.id}/minutes/agree", {**hidden_fields(other_page.html), "csrf_token": token,
                                                       "agree-submit": "y"})
    assert versions[0].agreed_at is None  # only the chair agrees
    page = client.get(url)
    client.post(f"/discussions/{sd.id}/minutes/agree", {**hidden_fields(page.html), "agree-submit": "y"})
    db.session.refresh(sd)
    assert sd.minutes_status == "agreed" and sd.latest_minutes.agreed_by_id == mash.id

    refused = submit(client, f"/discussions/{sd.id}/minutes/circulate", {"referrer_told": "no"}, expected=200)
    assert "Enter why the referrer has not been told the outcome" in refused
    calls = []
    def hook(circulation):
        calls.append(circulation.id)

    services.MINUTES_CIRCULATED_HOOKS.append(hook)
    try:
        submit(client, f"/discussions/{sd.id}/minutes/circulate",
                         {"referrer_told": "yes", "referrer_told_how": "Phoned the ambulance service"})
    finally:
        services.MINUTES_CIRCULATED_HOOKS.remove(hook)
    circulation = db.session.execute(db.select(MinutesCirculation)).scalar_one()
    assert calls == [circulation.id]  # the hook ran in the request's own session
    assert circulation.circulated_by_id == mash.id and circulation.version.number == 1
    assert "DC Chris Evans, DC (Testshire Police)" in circulation.recipients
    assert "police@agency.example.org" in circulation.recipients  # the agency mailbox when no named person
    db.session.refresh(sd)
    assert sd.minutes_status == "circulated" and sd.circulated_at is not None

    # Changing agreed minutes makes version 2, says what changed, and owes a new circulation.
    page, data = _save(client, sd.id, "All agencies shared. Teacher saw bruising on the left cheek.\nGP added.")
    refused = client.post(url, data, expected=200)
    assert "Say what changed since the agreed version" in refused
    assert "GP added." in refused.html
    data["change_note"] = "GP information added after the meeting"
    client.post(url, data)
    db.session.refresh(sd)
    assert [v.number for v in sd.minutes_versions] == [1, 2] and sd.minutes_status == "draft"
    assert sd.circulation_due_at > clock.now()
    page = client.get(url)
    assert "Added: GP added." in page and "GP information added after the meeting" in page
    # The discussion's page says which version is the latest, read with the discussion: not every version's text,
    # nor the circulations, which it does not show
    statements = statements_of_get(client, f"/discussions/{sd.id}")
    assert "Minutes in draft (version 2)" in client.get(f"/discussions/{sd.id}")
    assert not [s for s in statements if s.lstrip().startswith("SELECT minutes_version.")]
    assert not [s for s in statements if "minutes_circulation" in s]
    events = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "minutes_version")).scalars()
    assert {e.action for e in events} == {"create", "update", "agree"}


def test_minutes_cannot_be_agreed_before_every_child_has_a_decision(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy, ben = make_child("Amy"), make_child("Ben")
    sd = convene(mash, [amy, ben], [agencies["csc"], agencies["police"], agencies["health"]])
    attend(sd, mash)
    services.record_decision(sd, amy.id, decision_data(), actor=mash)
    services.save_minutes(sd, "Notes", actor=mash, based_on_id=0, based_on_revision=0)
    page = client.get(f"/discussions/{sd.id}/minutes")
    client.post(f"/discussions/{sd.id}/minutes/agree", {**hidden_fields(page.html), "agree-submit": "y"})
    assert "Record the decision for Ben Example before agreeing" in client.get(f"/discussions/{sd.id}/minutes")
    assert sd.latest_minutes.agreed_at is None


def test_concurrent_minutes_edit_shows_a_conflict_and_loses_nothing(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    url = f"/discussions/{sd.id}/minutes"
    services.save_minutes(sd, "First draft", actor=mash, based_on_id=0, based_on_revision=0)
    _, mine = _save(client, sd.id, "My careful rewrite of the minutes")
    other, colleague = signed_in(Role.MANAGER)
    _, theirs = _save(other, sd.id, "Their rewrite, saved first")
    other.post(url, theirs)
    page = client.post(url, mine, expected=200)
    assert "Someone else saved the minutes while you were editing them" in page
    assert "My careful rewrite of the minutes" in page.html  # still in the box
    assert "Their rewrite, saved first" in page  # shown beside it
    db.session.expire_all()
    assert sd.latest_minutes.text == "Their rewrite, saved first"
    # Saving again from the conflict page (now based on their version) works.
    token = page.csrf()
    latest = sd.latest_minutes
    client.post(url, {"csrf_token": token, "based_on_id": str(latest.id), "based_on_revision": str(latest.revision),
                      "text": "Merged text"})
    db.session.expire_all()
    assert sd.latest_minutes.text == "Merged text"


def test_practitioners_read_minutes_but_cannot_write(signed_in, agencies, make_user):
    _, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    services.save_minutes(sd, "Agreed notes", actor=mash, based_on_id=0, based_on_revision=0)
    police, _ = signed_in(Role.PRACTITIONER, "police")
    page = police.get(f"/discussions/{sd.id}/minutes")
    assert "Agreed notes" in page and 'name="text"' not in page.html
    police.post(f"/discussions/{sd.id}/minutes", {"csrf_token": page.csrf(), "text": "x", "based_on_id": "1",
                                                  "based_on_revision": "1"}, expected=403)


def test_dissent_is_recorded_and_attributed(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    submit(client, f"/discussions/{sd.id}/dissent", {
        "agency_id": str(agencies["health"].id), "person_name": "Ruth Green, health visitor",
        "text": "Disagrees with section 17: the baby has had three injuries"})
    page = client.get(f"/discussions/{sd.id}")
    assert "Ruth Green, health visitor" in page and "three injuries" in page


def test_dissent_requires_every_field(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    page = submit(client, f"/discussions/{sd.id}/dissent", {"agency_id": "0", "person_name": "", "text": ""},
                            expected=200)
    for message in ("Select the agency of the person who disagrees", "Enter the name and role",
                    "Enter what they disagree with"):
        assert message in page


def test_circulation_deadline_closes_when_circulated(signed_in, agencies, make_user):
    from safeguarding.discussions.deadlines import open_deadlines

    _, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    far = clock.now() + timedelta(days=30)
    kinds = {d.kind for d in open_deadlines(due_before=far, owner_ids=[mash.id])}
    assert "minutes_circulation" in kinds
    services.save_minutes(sd, "Notes", actor=mash, based_on_id=0, based_on_revision=0)
    services.agree_minutes(sd, actor=mash)
    services.circulate_minutes(sd, actor=mash, referrer_told="yes")
    kinds = {d.kind for d in open_deadlines(due_before=far, owner_ids=[mash.id])}
    assert "minutes_circulation" not in kinds


def test_minutes_drafted_from_the_record_name_who_attended_and_what_was_decided(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    db.session.commit()
    page = client.get(f"/discussions/{sd.id}/minutes?from=record")
    box = page.html.split('name="text"')[1].split("</textarea>")[0]
    assert "DC Chris Evans, DC (Testshire Police)" in box  # a person, not "Agency representative"
    assert "Decision: Section 47 enquiry, joint with a police criminal investigation." in box
    assert "Reasons: Unexplained fracture in a non-mobile baby" in box
    assert "Medical examination needed: Yes (Paediatrician today)" in box
    assert db.session.execute(db.select(MinutesVersion)).first() is None  # shown, not saved


def test_the_printable_record_is_marked_audited_and_holds_the_agreed_minutes(signed_in, agencies, make_user):
    client, mash = signed_in(Role.MASH)
    sd = _decided(mash, agencies, make_user)
    db.session.commit()
    page = client.get(f"/discussions/{sd.id}/record")
    assert page.text.count("OFFICIAL-SENSITIVE") >= 2
    assert "No version of the minutes has been agreed yet" in page
    assert "DC Chris Evans, DC (Testshire Police)" in page
    printed = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "view",
                                                             AuditEvent.object_type == "strategy_discussion_print"))
    assert [e.object_id for e in printed.scalars()] == [sd.id]
    outsider, _ = signed_in(Role.PRACTITIONER, "education")
    outsider.get(f"/discussions/{sd.id}/record", expected=404)
