"""Circulating agreed minutes tells each named attendee, in the app and by a real email with no case details."""
from sqlalchemy import select

from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.extensions import db
from safeguarding.reminders import delivery
from safeguarding.reminders.models import Notification

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

    app.config.update(smtp_server.config())
    result = delivery.deliver()
    assert result.emails == 1
    message = smtp_server.messages[0]
    assert message["To"] == officer.email
    assert message["Subject"] == "You have 1 set of strategy discussion minutes to read"
    body = message.get_body(("plain",)).get_content()
    for secret in ("Amy", "Example", "bruising"):
        assert secret not in body and secret not in message["Subject"]
