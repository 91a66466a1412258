"""The retention schedule: a child past the date is reported, then anonymised; a legal hold stops it; figures
keep their counts; every child handled gets one audit event and no audit event is ever removed."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children.models import Child, FamilyAdversity
from safeguarding.discussions import services as discussions
from safeguarding.discussions.models import DiscussionChild, InformationShared, StrategyDiscussion, ThresholdDecision
from safeguarding.extensions import db
from safeguarding.reports import figures
from safeguarding.retention import personal_data, rules, services
from safeguarding.retention.models import RetentionAction
from safeguarding.service import RuleError, transaction

from .discussion_data import attend, convene, decision_data, make_child, submit

TODAY = clock.london_today()


def _child_with_a_discussion(mash, agencies, born, first="Amy"):
    child = make_child(first, "Example", born=born)
    child.nhs_number, child.address, child.la_reference = f"94{child.id:08d}", "1 High Street", f"LA-{child.id}"
    child.ethnicity_code, child.disability_status = "WIRT", "yes"
    db.session.add(FamilyAdversity(child_id=child.id, adversity="poverty", note="Rent arrears"))
    db.session.commit()
    sd = convene(mash, [child], [agencies["csc"], agencies["police"], agencies["health"]],
                 scheduled_at=clock.now() - timedelta(days=1))
    attend(sd, mash)
    with transaction():
        discussions.record_information(sd, {"agency_id": agencies["police"].id, "topic": "other",
                                            "child_id": child.id, "text": "Two call-outs to the address",
                                            "lawful_basis": "public_task"}, actor=mash)
        discussions.record_decision(sd, child.id, decision_data(), actor=mash)
    return child, sd


def _events(action):
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def _figures(user):
    report = figures.compute(TODAY - timedelta(days=30), TODAY, user=user, at=clock.now(), today=TODAY)
    return (report.held, [(a.name, a.invited, a.attended) for a in report.agencies], report.outcomes,
            report.decisions, report.icpc_counts)


def test_a_child_past_the_date_is_reported_then_anonymised_and_figures_keep_their_counts(app, agencies, make_user):
    mash = make_user(Role.MASH)
    manager = make_user(Role.MANAGER)
    old, sd = _child_with_a_discussion(mash, agencies, born=date(2000, 1, 1))
    young, _ = _child_with_a_discussion(mash, agencies, born=date(2016, 2, 14), first="Ben")
    before = _figures(manager)
    audit_before = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    [due] = services.report(TODAY)
    assert due.child_id == old.id and due.due_on == date(2025, 1, 1) and not due.held
    assert due.counts == {"discussions": 1, "missing_episodes": 0}
    assert db.session.get(Child, old.id).first_name == "Amy"  # the report changes nothing

    with transaction():
        [done] = services.apply(TODAY)
    assert done.child_id == old.id
    child = db.session.get(Child, old.id)
    assert (child.first_name, child.date_of_birth, child.address, child.nhs_number, child.la_reference) == (
        "Anonymised", None, "", None, None)
    assert (child.ethnicity_code, child.disability_status) == (None, None)
    assert db.session.execute(select(FamilyAdversity.note).where(FamilyAdversity.child_id == old.id)
                              ).scalar_one() == services.REMOVED
    info = db.session.execute(select(InformationShared).where(InformationShared.child_id == old.id)).scalar_one()
    assert info.text == services.REMOVED and info.lawful_basis == "public_task"
    decision = db.session.execute(select(ThresholdDecision).where(ThresholdDecision.child_id == old.id)).scalar_one()
    assert decision.rationale == services.REMOVED and decision.outcome == "s47_joint"
    # Its only child anonymised, the discussion's own text goes too; the row stays.
    discussion = db.session.get(StrategyDiscussion, sd.id)
    assert discussion.referrer_words == services.REMOVED and discussion.status == sd.status
    # The other child is untouched.
    assert db.session.get(Child, young.id).first_name == "Ben"
    assert _figures(manager) == before
    # One audit event for the child; none removed.
    [event] = _events("retention")
    assert (event.object_type, event.object_id, event.changes["action"]) == ("child", old.id, {"to": "anonymised"})
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == audit_before + 1
    # Handled once: not reported or handled again.
    assert services.report(TODAY) == []
    with transaction():
        assert services.apply(TODAY) == []
    assert len(_events("retention")) == 1


def test_notices_that_named_the_child_name_them_no_more(app, agencies, make_user):
    from safeguarding.reminders import services as reminders
    from safeguarding.reminders.models import Notification

    mash = make_user(Role.MASH)
    old = make_child("Amy", "Example", born=date(2000, 1, 1))
    reminders.notify([mash.id], kind="test", object_type="child", object_id=old.id,
                     title="Confirm the conference for Amy Example (and 100% of Amy Examples)", url="/x")
    reminders.notify([mash.id], kind="test", object_type="child", object_id=old.id, title="Amy Exampled", url="/y")
    db.session.commit()
    with transaction():
        services.apply(TODAY)
    titles = db.session.execute(select(Notification.title).order_by(Notification.id)).scalars().all()
    assert titles[0] == (f"Confirm the conference for Anonymised child {old.id} (and 100% of "
                         f"Anonymised child {old.id}s)")
    assert "Amy" not in " ".join(titles)


def test_a_discussion_shared_with_a_sibling_keeps_its_text_until_both_are_due(app, agencies, make_user):
    mash = make_user(Role.MASH)
    old = make_child("Amy", "Example", born=date(2000, 1, 1))
    young = make_child("Ben", "Example", born=date(2016, 2, 14))
    sd = convene(mash, [old, young], [agencies["csc"]])
    with transaction():
        services.apply(TODAY)
    assert db.session.get(StrategyDiscussion, sd.id).referrer_words.startswith("The flat was unsanitary")
    link = db.session.execute(select(DiscussionChild).where(DiscussionChild.child_id == old.id)).scalar_one()
    assert link.child_id == old.id


def test_a_legal_hold_stops_it_and_is_audited(signed_in, agencies, make_user):
    client, manager = signed_in(Role.MANAGER)
    mash = make_user(Role.MASH)
    old, _ = _child_with_a_discussion(mash, agencies, born=date(2000, 1, 1))
    assert "Legal hold (retention)" in client.get(f"/children/{old.id}")
    refused = submit(client, f"/retention/children/{old.id}/hold", {"reason": ""}, expected=200)
    assert "Enter the reason" in refused
    submit(client, f"/retention/children/{old.id}/hold", {"reason": "Civil claim: solicitor's letter 3 Nov"})
    shown = client.get(f"/children/{old.id}")
    assert "Records put on legal hold" in shown and "solicitor" not in shown.text
    [due] = services.report(TODAY)
    assert due.held
    with transaction():
        assert services.apply(TODAY) == []
    assert db.session.get(Child, old.id).first_name == "Amy"
    [event] = _events("legal_hold")
    assert event.user_id == manager.id and event.changes == {"legal_hold": {"from": False, "to": True},
                                                             "reason": {"changed": True}}
    assert _events("retention") == []
    # Released (with a reason), the schedule applies again.
    submit(client, f"/retention/children/{old.id}/hold", {"reason": "Claim settled"})
    with transaction():
        assert [d.child_id for d in services.apply(TODAY)] == [old.id]


def test_only_managers_set_a_legal_hold(signed_in, agencies):
    client, _ = signed_in(Role.MASH)
    child = make_child(born=date(2000, 1, 1))
    client.get(f"/retention/children/{child.id}/hold", expected=403)


def test_unborn_and_never_born_are_kept_six_years_after_the_last_record(app, agencies, make_user):
    child = Child(first_name="Baby", last_name="Example", is_unborn=True, expected_date=date(2019, 6, 1),
                  gender="unknown", created_at=clock.now() - timedelta(days=365 * 7))
    db.session.add(child)
    db.session.commit()
    [due] = services.report(TODAY)
    assert due.child_id == child.id and "6 years after the last record" in due.why
    assert rules.due_on(rules.Schedule(), born=None, has_missing=False, last_record_on=date(2020, 5, 1)) == (
        date(2026, 5, 1), "6 years after the last record (no date of birth)")
    assert rules.due_on(rules.Schedule(missing_age=30), born=date(2008, 2, 29), has_missing=True,
                        last_record_on=date(2020, 1, 1))[0] == date(2038, 3, 1)


def test_the_schedule_is_set_by_administrators_and_the_job_only_reports_until_switched_on(signed_in, agencies,
                                                                                          make_user):
    client, admin = signed_in(Role.ADMIN)
    old = make_child(born=date(2000, 1, 1))
    page = client.get("/retention/")
    assert "1 children would be anonymised" in page and "Amy" not in page.text.split("Dry run")[1]
    assert "Retention (dry run; applying is off)" in services.run_scheduled(TODAY)
    assert db.session.get(Child, old.id).first_name == "Amy"
    refused = submit(client, "/retention/", {"child_protection_age": "16", "missing_age": "25",
                                             "no_birth_date_years": "6", "audit_years_after": "7"}, expected=200)
    assert "between 18 and 100" in refused
    submit(client, "/retention/", {"child_protection_age": "30", "missing_age": "25", "no_birth_date_years": "6",
                                   "audit_years_after": "7", "apply_enabled": "y"})
    assert services.report(TODAY) == []  # 30th birthday: not due yet
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.object_type == "retention_schedule")
                                 ).scalars().all()
    assert event.changes["child_protection_age"] == {"from": 25, "to": 30} and event.user_id == admin.id
    submit(client, "/retention/", {"child_protection_age": "25", "missing_age": "25", "no_birth_date_years": "6",
                                   "audit_years_after": "7", "apply_enabled": "y"})
    assert services.run_scheduled(TODAY) == "Retention: 1 children anonymised"
    db.session.commit()
    assert db.session.get(Child, old.id).first_name == "Anonymised"
    assert db.session.execute(select(RetentionAction.child_id)).scalars().all() == [old.id]
    mash_client, _ = signed_in(Role.MASH)  # a manager sees only their agency's and team's children (issue 13)
    assert "Anonymised under the retention schedule" in mash_client.get(f"/children/{old.id}")


def test_retention_commands(app, agencies):
    old = make_child(born=date(2000, 1, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "report"])
    assert result.exit_code == 0, result.output
    assert f"child {old.id}: due 2025-01-01" in result.output and "would be anonymised" in result.output
    assert db.session.get(Child, old.id).first_name == "Amy"
    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert "1 children anonymised" in result.output
    db.session.expire_all()
    assert db.session.get(Child, old.id).first_name == "Anonymised"


def test_every_free_text_column_of_a_child_table_is_listed():
    """A new Text column on a table retention reaches must be added to personal_data, or it would survive."""
    from sqlalchemy import Text

    for model, columns in personal_data.BY_CHILD + [(m, c) for m, _, _, c in personal_data.THROUGH_PARENT]:
        text = {c.key for c in inspect(model).columns if isinstance(c.type, Text)}
        assert text <= set(columns), (model.__tablename__, text - set(columns))


def test_the_service_refuses_a_hold_without_a_reason(app, make_user):
    manager = make_user(Role.MANAGER)
    child = make_child()
    with pytest.raises(RuleError):
        services.set_hold(child, "  ", actor=manager)
