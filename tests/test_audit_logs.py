"""The operator's log says who did what to which record, never the secrets or the case content."""
import logging

from safeguarding.auth.models import Role
from safeguarding.children.models import Child
from safeguarding.extensions import db

from .conftest import PASSWORD


def test_logs_hold_identifiers_not_passwords_cookies_or_names(caplog, signed_in):
    caplog.set_level(logging.DEBUG)
    client, _ = signed_in(Role.MASH)
    client.post_form("/children/new", {"first_name": "Zebedee", "last_name": "Quartermaine",
                                       "date_of_birth": ["3", "4", "2015"], "gender": "male", "looked_after": "no",
                                       "address": "7 Secret Lane"})
    child = db.session.execute(db.select(Child)).scalar_one()
    client.get(f"/children/{child.id}")
    text = caplog.text
    assert f"object=child:{child.id}" in text
    cookie = client.client.get_cookie("session").value
    for secret in (PASSWORD, cookie, "Zebedee", "Quartermaine", "Secret Lane"):
        assert secret not in text


def test_audit_event_keeps_names_out(signed_in):
    from safeguarding.audit.models import AuditEvent

    client, _ = signed_in(Role.MASH)
    client.post_form("/children/new", {"first_name": "Zebedee", "last_name": "Quartermaine",
                                       "date_of_birth": ["3", "4", "2015"], "gender": "male", "looked_after": "no"})
    events = db.session.execute(db.select(AuditEvent)).scalars().all()
    assert all("Zebedee" not in repr(e.changes) and "Zebedee" not in (e.detail or "") for e in events)
