"""An unassigned return home interview is the responsible authority's: a child placed here by another council is
that council's, and the reminder goes once to its team mailbox, or without one to one manager, never to every
manager (at ten times the largest partnership that fan-out built 26 million rows and the sweep ran out of memory)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from safeguarding import clock
from safeguarding.auth.models import Agency, AgencyKind, Role
from safeguarding.children.models import Child
from safeguarding.extensions import db
from safeguarding.missing import services
from safeguarding.reminders.models import Notification, OutboundEmail
from safeguarding.reminders.sweep import sweep

EPISODE = {"missing_from": "foster_care", "missing_from_detail": "", "police_reference": "", "risk_level": "medium",
           "indicators": [], "arrested": False, "circumstances": ""}
RETURN = {"found_where": "Friend's flat", "returned_by": "Police", "out_of_area": False, "abroad": False}


def _returned(child, officer, hours_ago):
    now = clock.now()
    episode = services.record_episode(child, {**EPISODE, "reported_missing_at": now - timedelta(hours=hours_ago + 5)},
                                      actor=officer)
    services.record_return(episode, {**RETURN, "returned_at": now - timedelta(hours=hours_ago)}, actor=officer,
                           expected_version=episode.version)
    db.session.commit()
    return episode.return_interview


def test_a_child_placed_by_another_council_is_that_councils_and_its_mailbox_hears(app, agencies, make_user):
    home_manager = make_user(Role.MANAGER, "csc")
    other = Agency(name="Farshire Children's Services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE.value,
                   shared_mailbox="mash@farshire.example.org")
    db.session.add(other)
    db.session.commit()
    other_manager = make_user(Role.MANAGER, "csc")
    other_manager.agency_id = other.id
    officer = make_user(Role.PRACTITIONER, "police")
    child = Child(first_name="Tia", last_name="Example", date_of_birth=date(2012, 3, 1), looked_after="yes",
                  responsible_authority="farshire children's services", created_by_agency_id=agencies["csc"].id)
    db.session.add(child)
    db.session.commit()
    rhi = _returned(child, officer, hours_ago=80)  # past its 72 hours, nobody assigned
    assert rhi.local_authority_id == other.id
    sweep(clock.now())
    to_managers = db.session.execute(select(Notification.recipient_id).where(
        Notification.object_type == "return_interview", Notification.level != "escalation")).scalars().all()
    assert home_manager.id not in to_managers and other_manager.id not in to_managers
    emails = db.session.execute(select(OutboundEmail.to_address).where(
        OutboundEmail.object_type == "return_interview")).scalars().all()
    assert set(emails) == {"mash@farshire.example.org"}
    assert "Tia" not in "".join(db.session.execute(select(OutboundEmail.body)).scalars())


def test_without_a_team_mailbox_one_manager_is_told_not_every_manager(app, agencies, make_user):
    agencies["csc"].shared_mailbox = None
    first = make_user(Role.MANAGER, "csc")
    others = [make_user(Role.MANAGER, "csc") for _ in range(3)]
    officer = make_user(Role.PRACTITIONER, "police")
    child = Child(first_name="Kai", last_name="Example", date_of_birth=date(2012, 3, 1),
                  created_by_agency_id=agencies["csc"].id)
    db.session.add(child)
    db.session.commit()
    rhi = _returned(child, officer, hours_ago=80)
    sweep(clock.now())
    told = db.session.execute(select(Notification.kind, Notification.level, Notification.recipient_id).where(
        Notification.object_type == "return_interview").order_by(Notification.kind, Notification.level)).all()
    # the 48-hour clock (offer it) and the 72-hour one (hold it), each due and escalated: one manager, once each
    assert told == [("return_interview", "due", first.id), ("return_interview", "escalation", first.id),
                    ("return_interview_48h", "due", first.id), ("return_interview_48h", "escalation", first.id)]
    assert not {o.id for o in others} & {row[2] for row in told}
    assert db.session.execute(select(OutboundEmail)).scalars().all() == []
    # each manager still sees the interview waiting to be allocated on their own My work
    from safeguarding import deadlines
    for manager in [first, *others]:
        mine = deadlines.open_deadlines(due_before=clock.now(), owner_ids=[manager.id])
        assert [(d.kind, d.object_id) for d in mine if d.object_type == "return_interview"] == \
            [("return_interview_48h", rhi.id), ("return_interview", rhi.id)]


def test_an_interview_to_allocate_counts_in_each_managers_daily_summary(app, agencies, make_user):
    from safeguarding.reminders.sweep import digest
    from safeguarding.workdays import is_working_day

    managers = [make_user(Role.MANAGER, "csc") for _ in range(3)]
    officer = make_user(Role.PRACTITIONER, "police")
    child = Child(first_name="Ava", last_name="Example", date_of_birth=date(2012, 3, 1),
                  created_by_agency_id=agencies["csc"].id)
    db.session.add(child)
    db.session.commit()
    _returned(child, officer, hours_ago=80)
    # the next working day's summary, at 09:00 London
    day = clock.london_today() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    assert digest(clock.london_datetime(day, 9), 8) == 3
    summaries = dict(db.session.execute(select(Notification.recipient_id, Notification.title).where(
        Notification.level == "digest")).all())
    # both clocks of the one interview (offer it at 48 hours, hold it at 72): overdue for each manager
    assert summaries == {m.id: "Your work: 2 overdue" for m in managers}
