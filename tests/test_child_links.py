# ruff: noqa: F811 (the fixtures imported from test_need_to_know are arguments of the tests)
"""The links that let people see a child, kept as rows (`children/links.py`): what a practitioner's list shows follows
the records as they change, an operator can check and repair them, and the migration filled them as the code does.
(Every other test also checks, when it ends, that its writes left the links equal to a rebuild: conftest.)"""
import importlib.util
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from safeguarding.auth.access import child_scope
from safeguarding.auth.models import Role, User
from safeguarding.children import links
from safeguarding.children.models import Child, ChildLink
from safeguarding.differences import services as difference_services
from safeguarding.discussions import services as discussion_services
from safeguarding.discussions.models import AgreedAction, Invitation
from safeguarding.extensions import db
from safeguarding.missing import services as missing_services
from safeguarding.service import transaction

from .conftest import USING_POSTGRES
from .discussion_data import convene
from .test_need_to_know import NOW, cast, frozen, new_child, the_case  # noqa: F401 (fixtures)

MIGRATION = Path(__file__).parent.parent / "migrations" / "versions" / "0043_child_links_kept_for_the_children_lists.py"


def seen_by(user) -> set[int]:
    return set(db.session.execute(select(Child.id).where(child_scope(user))).scalars())


def test_withdrawing_one_reason_leaves_the_others_and_the_last_hides_the_child(app, cast, agencies):
    child = new_child(cast["social_worker"])
    officer, other_officer = cast["officer"], cast["other_officer"]
    assert child.id not in seen_by(officer) | seen_by(other_officer)
    sd = convene(cast["mash"], [child], [agencies["csc"], agencies["police"], agencies["other_police"]])
    assert child.id in seen_by(officer) and child.id in seen_by(other_officer)
    # the first force also recorded an episode: a second reason for its officers to see the child
    missing_services.record_episode(child, {
        "reported_missing_at": NOW - timedelta(days=1), "missing_from": "home", "missing_from_detail": "",
        "police_reference": "", "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""},
        actor=officer)
    db.session.commit()
    # both forces turn out not to have been invited after all: the second force loses sight, the first keeps it
    answers = {inv.id: ("not_invited", "Not needed") if inv.agency.kind == "police" else ("attended", "")
               for inv in sd.invitations}
    with transaction():
        discussion_services.record_attendance(sd, answers, actor=cast["mash"])
    assert child.id in seen_by(officer)
    assert child.id not in seen_by(other_officer)
    # and a health nurse given an action sees the child until it moves to someone else
    nurse, teacher = cast["nurse"], cast["teacher"]
    action = discussion_services.add_action(sd, {"description": "Check GP records", "owner_id": nurse.id,
                                                 "child_id": None, "due_at": NOW + timedelta(days=2)},
                                            actor=cast["mash"])
    db.session.commit()
    assert child.id in seen_by(nurse) and child.id in seen_by(cast["health_manager"])
    action.owner_id = teacher.id
    db.session.commit()
    assert child.id not in seen_by(nurse) and child.id not in seen_by(cast["health_manager"])
    assert child.id in seen_by(teacher)


def test_whoever_line_manages_someone_in_a_difference_sees_the_child(app, cast, agencies, make_user):
    # a senior practitioner (not a manager) supervises a nurse who raises a difference about a child health never
    # otherwise touched
    senior = make_user(Role.PRACTITIONER, "health", name="Senior Nurse")
    supervised = make_user(Role.PRACTITIONER, "health", name="Supervised Nurse", manager=senior)
    child = new_child(cast["social_worker"])
    assert child.id not in seen_by(senior)
    difference_services.raise_difference(child, {
        "against_agency_id": agencies["csc"].id, "responding_lead_id": cast["social_worker"].id,
        "about": "The decision", "concern": "We disagree", "outcome_sought": "A discussion", "theme": "threshold",
        "immediate_risk": False, "start_stage": 1, "skip_reason": ""}, actor=supervised)
    db.session.commit()
    assert child.id in seen_by(supervised) and child.id in seen_by(senior)
    # a colleague in the same agency who supervises nobody in it does not
    assert child.id not in seen_by(cast["nurse"])


def test_check_child_links_reports_a_difference_and_repairs_it(app, cast, agencies, runner):
    case = the_case(cast, agencies)
    result = runner.invoke(args=["check-child-links"])
    assert result.exit_code == 0, result.output
    assert "match the records" in result.output
    # a row lost (a restore from an old backup, a hand edit): the officer's force would no longer see the child
    db.session.execute(delete(ChildLink).where(ChildLink.child_id == case["child"].id, ChildLink.via == "agency",
                                               ChildLink.agency_id == agencies["police"].id))
    db.session.commit()
    result = runner.invoke(args=["check-child-links"])
    assert result.exit_code != 0
    assert f"Given by the records but not kept: child {case['child'].id}, via agency, " \
           f"agency {agencies['police'].id}" in result.output
    result = runner.invoke(args=["check-child-links", "--repair"])
    assert "Rebuilt" in result.output
    assert runner.invoke(args=["check-child-links"]).exit_code == 0
    assert case["child"].id in seen_by(cast["police_manager"])

    # a link kept twice (two rebuilds of one child not taking turns) is a difference too, and a repair mends it
    db.session.add(ChildLink(child_id=case["child"].id, via="agency", agency_id=agencies["police"].id))
    db.session.commit()
    result = runner.invoke(args=["check-child-links"])
    assert result.exit_code != 0
    assert f"child {case['child'].id}, via agency, agency {agencies['police'].id}" in result.output
    assert runner.invoke(args=["check-child-links", "--repair"]).exit_code == 0
    assert runner.invoke(args=["check-child-links"]).exit_code == 0
    assert db.session.query(ChildLink).filter_by(child_id=case["child"].id, via="agency",
                                                 agency_id=agencies["police"].id).count() == 1


def test_the_migration_filled_the_links_as_the_code_keeps_them(app, cast, agencies):
    the_case(cast, agencies)
    kept = db.session.execute(select(func.count()).select_from(ChildLink)).scalar_one()
    assert kept > 5  # every kind of record links someone in the case
    spec = importlib.util.spec_from_file_location("migration_0043", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(delete(ChildLink))
    db.session.execute(text(migration.BACKFILL))
    db.session.commit()
    assert links.differences(db.session.connection()) == ([], [])
    assert db.session.execute(select(func.count()).select_from(ChildLink)).scalar_one() == kept


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite lets one writer at a time into the whole database, so two "
                    "changes to one child's links cannot overlap there; PostgreSQL runs them at once")
def test_two_changes_to_one_childs_links_at_once_take_turns(app, cast, agencies):
    child = new_child(cast["social_worker"])
    sd = convene(cast["mash"], [child], [agencies["csc"], agencies["police"], agencies["other_police"]])
    other_force = next(i.id for i in sd.invitations if i.agency_id == agencies["other_police"].id)
    child_id, sd_id = child.id, sd.id
    nurse_id, nurse_agency_id, other_officer_id = cast["nurse"].id, cast["nurse"].agency_id, cast["other_officer"].id
    db.session.close()
    # MASH records that the other force was never invited; at the same moment the chair gives the nurse an action
    first, second = Session(db.engine), Session(db.engine)
    invitation = first.get(Invitation, other_force)
    invitation.status, invitation.reason = "not_invited", "Not needed"
    first.flush()  # the child's links rebuilt, the child's row locked until this commits
    done = threading.Event()

    def give_the_nurse_an_action():
        with app.app_context():  # as each request has
            second.add(AgreedAction(discussion_id=sd_id, description="Check GP records", owner_id=nurse_id,
                                    owner_agency_id=nurse_agency_id, due_at=NOW + timedelta(days=2)))
            second.flush()
            second.commit()
        done.set()

    worker = threading.Thread(target=give_the_nurse_an_action)
    worker.start()
    time.sleep(0.5)
    assert not done.is_set()  # the second waits for the first rather than rebuilding from what it cannot see yet
    first.commit()
    worker.join(10)
    assert done.is_set()
    first.close(), second.close()
    # each change is in the links, and the link the first removed did not come back with the second
    assert child_id in seen_by(db.session.get(User, nurse_id))
    assert child_id not in seen_by(db.session.get(User, other_officer_id))
    assert links.differences(db.session.connection()) == ([], [])
    rows = db.session.execute(select(ChildLink.via, ChildLink.agency_id, ChildLink.user_id)
                              .where(ChildLink.child_id == child_id)).all()
    assert len(rows) == len(set(rows))  # nor twice


def test_the_nightly_check_rebuilds_links_that_differ_and_tells_the_administrators(app, cast, agencies, signed_in):
    from safeguarding.reminders import cli

    case = the_case(cast, agencies)
    child_id, other_force = case["child"].id, agencies["other_police"].id
    cli.run_job(app, "child_links")
    admin, _ = signed_in(Role.ADMIN)
    assert "differed" not in admin.get("/admin/reminders").text
    # one table restored from an older backup: the link of the force invited to the discussion is gone, and its
    # manager no longer sees the child
    db.session.execute(delete(ChildLink).where(ChildLink.child_id == child_id, ChildLink.agency_id == other_force))
    db.session.commit()
    assert child_id not in seen_by(cast["other_manager"])
    cli.run_job(app, "child_links")
    db.session.expire_all()
    assert child_id in seen_by(cast["other_manager"])
    assert links.differences(db.session.connection()) == ([], [])
    page = admin.get("/admin/reminders").text
    assert ("Children's links differed from the records: given but not kept 1 (first: child "
            f"{child_id}, via agency), kept but not given 0") in page


def test_a_change_to_a_row_the_session_had_expired_still_moves_the_link(app, cast, agencies):
    from safeguarding.differences.models import DifferenceStage

    child = new_child(cast["officer"])
    difference = difference_services.raise_difference(child, {
        "against_agency_id": agencies["csc"].id, "responding_lead_id": cast["social_worker"].id,
        "about": "The decision", "concern": "We disagree", "outcome_sought": "A discussion", "theme": "threshold",
        "immediate_risk": False, "start_stage": 1, "skip_reason": ""}, actor=cast["officer"])
    db.session.commit()
    stage_id = db.session.execute(select(DifferenceStage.id).where(DifferenceStage.difference_id == difference.id)
                                  ).scalar_one()
    assert child.id in seen_by(cast["social_worker"]) and child.id not in seen_by(cast["nurse"])
    stage = db.session.get(DifferenceStage, stage_id)
    db.session.commit()  # every attribute expired: the flush below starts without the stage's difference loaded
    stage.responding_lead_id = cast["nurse"].id
    db.session.commit()
    assert child.id in seen_by(cast["nurse"])
    assert child.id not in seen_by(cast["social_worker"])


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite lets one writer at a time into the whole database, so a "
                    "child joining a discussion cannot overlap a change to its invitations there")
@pytest.mark.parametrize("first_to_flush", ["the change to the invitations", "the sibling joining"])
def test_a_child_joining_while_an_agency_is_taken_off_the_discussion_is_not_left_open_to_it(app, cast, agencies,
                                                                                              first_to_flush):
    from safeguarding.discussions.models import DiscussionChild

    first_child = new_child(cast["social_worker"], first="Ava")
    sibling = new_child(cast["social_worker"], first="Ben")
    sd = convene(cast["mash"], [first_child], [agencies["csc"], agencies["police"], agencies["other_police"]])
    other_force = next(i.id for i in sd.invitations if i.agency_id == agencies["other_police"].id)
    sd_id, sibling_id, other_officer_id = sd.id, sibling.id, cast["other_officer"].id
    db.session.close()
    # at the same moment MASH records that the other force was never invited, and a sibling joins the discussion
    sessions = {"the change to the invitations": Session(db.engine), "the sibling joining": Session(db.engine)}

    def change_the_invitations(session):
        invitation = session.get(Invitation, other_force)
        invitation.status, invitation.reason = "not_invited", "Not needed"

    def the_sibling_joins(session):
        session.add(DiscussionChild(discussion_id=sd_id, child_id=sibling_id))

    changes = {"the change to the invitations": change_the_invitations, "the sibling joining": the_sibling_joins}
    second_to_flush = next(name for name in changes if name != first_to_flush)
    first, second = sessions[first_to_flush], sessions[second_to_flush]
    changes[first_to_flush](first)
    first.flush()  # the discussion is locked until this commits
    done = threading.Event()

    def then_the_other():
        changes[second_to_flush](second)
        second.flush()
        second.commit()
        done.set()

    worker = threading.Thread(target=then_the_other)
    worker.start()
    time.sleep(0.5)
    assert not done.is_set()  # waits for the first rather than reading the discussion as it was
    first.commit()
    worker.join(10)
    assert done.is_set()
    first.close(), second.close()
    # the sibling's links were made from the invitations as they are now: the other force does not see them
    assert sibling_id not in seen_by(db.session.get(User, other_officer_id))
    assert links.differences(db.session.connection()) == ([], [])
