"""Circulating agreed minutes tells each named attendee, in the app and by a real email with no case details."""
from sqlalchemy import select

from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.extensions import db
from safeguarding.reminders import delivery
from safeguarding.reminders.models import Notification, OutboundEmail

from .test_discussions_minutes import _decided


def _agree_and_circulate(sd, chair):
    services.save_minutes(sd, "Teacher saw bruising on Amy's left cheek.", based_on_id=0, based_on_revision=0,
                          change_note="", actor=chair)
    services.agree_minutes(sd, actor=chair)
    services.circulate_minutes(sd, actor=chair, referrer_told="yes", referrer_told_how="Phoned")


def test_named_attendees_get_a_notice_and_one_email_without_case_details(app, signed_in, agencies, make_user,
                                                                         smtp_server):
    _, chair = signed_in(Role.MASH)
    sd = _decided(chair, agencies, make_user)
    _agree_and_circulate(sd, chair)
    rows = db.session.execute(select(Notification)).scalars().all()
    officer = [inv.user for inv in sd.invitations if inv.user][0]
    assert [(n.recipient_id, n.kind, n.level) for n in rows] == [(officer.id, "minutes_circulated", "notice")]
    assert rows[0].url == f"/discussions/{sd.id}#minutes"

    # circulating again (a new version) is a new notice; repeating the same hook is harmless
    from safeguarding.reminders import hooks

    hooks.minutes_circulated(sd.circulations[-1])
    assert db.session.execute(select(Notification)).scalars().all() == rows

    # every invited agency's shared mailbox is sent the same case-free email, through the outbox
    mailboxes = db.session.execute(select(OutboundEmail.to_address).where(
        OutboundEmail.purpose == "minutes_circulated")).scalars().all()
    assert sorted(mailboxes) == ["csc@agency.example.org", "health@agency.example.org", "police@agency.example.org"]

    app.config.update(smtp_server.config())
    delivery.deliver()
    minutes = [m for m in smtp_server.messages if "minutes" in m["Subject"]]
    assert sorted(m["To"] for m in minutes) == sorted([officer.email, *mailboxes])
    [message] = [m for m in minutes if m["To"] == officer.email]
    assert message["Subject"] == "You have 1 set of strategy discussion minutes to read"
    for message in smtp_server.messages:  # the invitations sent when it was convened too
        body = message.get_body(("plain",)).get_content()
        for secret in ("Amy", "Example", "bruising"):
            assert secret not in body and secret not in message["Subject"]


def test_an_actions_owner_is_told_when_it_is_given_to_them_and_when_it_is_handed_on(app, agencies, make_user,
                                                                                   smtp_server):
    from datetime import timedelta

    from safeguarding import clock
    from safeguarding.service import transaction

    from .discussion_data import convene, make_child

    chair = make_user(Role.MASH, "csc")
    officer = make_user(Role.PRACTITIONER, "police", name="DC Chris Evans")
    nurse = make_user(Role.PRACTITIONER, "health", name="Nurse Nia")
    sd = convene(chair, [make_child()], [agencies["csc"], agencies["police"], agencies["health"]])
    with transaction():
        action = services.add_action(sd, {"description": "Check PNC for the mother's partner Amy mentioned",
                                          "owner_id": officer.id, "due_at": clock.now() + timedelta(days=2)},
                                     actor=chair)
    with transaction():
        services.change_action(action, owner_id=nurse.id, due_at=action.due_at, reason="Health hold the record",
                               actor=chair, expected_version=action.version)
    told = db.session.execute(select(Notification.recipient_id).where(Notification.kind == "action_assigned")
                              .order_by(Notification.id)).scalars().all()
    assert told == [officer.id, nurse.id]
    app.config.update(smtp_server.config())
    delivery.deliver()
    owners = [m for m in smtp_server.messages if m["To"] in (officer.email, nurse.email)]
    assert len(owners) == 2
    for message in owners:
        assert "Amy" not in message.as_string() and "PNC" not in message.as_string()


def test_the_minutes_page_lists_exactly_who_the_outbox_sent_to(app, signed_in, agencies, make_user, smtp_server):
    client, chair = signed_in(Role.MASH)
    sd = _decided(chair, agencies, make_user)
    _agree_and_circulate(sd, chair)
    db.session.commit()
    app.config.update(smtp_server.config())
    delivery.deliver()
    page = client.get(f"/discussions/{sd.id}/minutes")
    circulation = sd.circulations[-1]
    rows = db.session.execute(select(OutboundEmail.to_address).where(
        OutboundEmail.object_type == "minutes_circulation", OutboundEmail.object_id == circulation.id)
    ).scalars().all()
    officer = [inv.user for inv in sd.invitations if inv.user][0]
    for address in rows:
        assert address in page
    assert officer.name in page and "police@agency.example.org" in page
    table = page.html.split(f'id="sent-{circulation.id}"')[1].split("</table>")[0]
    assert table.count('<tr class="govuk-table__row"><td') == len(rows) + 1  # the mailboxes and the officer
    assert "Waiting to be sent" not in table  # delivered, and the page says so from the rows
