"""An overdue deadline whose owner has no line manager here still reaches someone: the agency's safeguarding lead,
else ONE other manager (never every manager: at a large partnership that was hundreds of rows per deadline), else
its shared mailbox; and admins see anything that reaches no one."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from safeguarding.auth.models import Role
from safeguarding.extensions import db
from safeguarding.reminders.models import Notification, OutboundEmail, SchedulerHeartbeat
from safeguarding.reminders.sweep import sweep

from .reminder_provider import london

NOW = london(2026, 12, 1, 17, 0)  # Tuesday


def _escalated_to() -> list[int]:
    return db.session.execute(select(Notification.recipient_id).where(Notification.level == "escalation")
                              ).scalars().all()


def test_a_top_of_tree_managers_overdue_action_goes_to_the_agencys_safeguarding_lead(app, chase, agencies,
                                                                                    make_user):
    head = make_user(Role.MANAGER, "police", name="Det Supt Head")  # nobody above them here
    lead = make_user(Role.PRACTITIONER, "police", name="DI Lead")
    agencies["police"].safeguarding_lead_id = lead.id
    db.session.commit()
    chase.add_task("Review the intelligence", NOW - timedelta(days=5), head)
    sweep(NOW)
    assert _escalated_to() == [lead.id]


def test_with_no_lead_one_other_manager_hears_not_every_manager(app, chase, agencies, make_user):
    head = make_user(Role.MANAGER, "police", name="Det Supt Head")
    first = make_user(Role.MANAGER, "police", name="DCI First")
    make_user(Role.MANAGER, "police", name="DCI Second")
    make_user(Role.MANAGER, "police", name="DCI Third")
    chase.add_task("Review the intelligence", NOW - timedelta(days=5), head)
    sweep(NOW)
    # one manager (the longest-standing account that is not the owner's), and no email to the mailbox
    assert _escalated_to() == [first.id]
    assert db.session.execute(select(OutboundEmail)).scalars().all() == []


def test_with_no_lead_and_no_other_manager_the_agency_mailbox_is_emailed(app, chase, agencies, make_user):
    head = make_user(Role.MANAGER, "police", name="Det Supt Head")
    chase.add_task("Review the intelligence", NOW - timedelta(days=5), head)
    sweep(NOW)
    assert _escalated_to() == []
    [email] = db.session.execute(select(OutboundEmail)).scalars().all()
    assert email.to_address == "police@agency.example.org" and email.purpose == "reminder_escalation"
    assert "Review" not in email.body and "Review" not in email.subject  # no case details by email
    sweep(NOW + timedelta(minutes=5))
    assert db.session.execute(select(OutboundEmail)).scalars().all() == [email]  # once


def test_a_reminder_with_nowhere_to_go_is_shown_to_admins(app, chase, agencies, make_user, signed_in):
    agencies["police"].shared_mailbox = None
    db.session.commit()
    head = make_user(Role.MANAGER, "police", name="Det Supt Head")
    chase.add_task("Review the intelligence", NOW - timedelta(days=5), head)
    sweep(NOW)
    beat = db.session.get(SchedulerHeartbeat, 1)
    assert beat.unrouted_count == 1
    client, _ = signed_in(Role.ADMIN)
    page = client.get("/admin/reminders")
    assert "1 at the last sweep" in page and "Give the agency a safeguarding lead or a shared mailbox" in page
    assert "Where escalations go when there is no line manager" in page
