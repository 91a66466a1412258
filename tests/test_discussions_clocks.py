"""Issue 11: the statutory clocks of a strategy discussion start, move and stop with the facts (the examples of the
issue's *Why*, through the services and the pages)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.discussions.deadlines import open_deadlines
from safeguarding.extensions import db
from safeguarding.reminders.rules import NOUNS
from safeguarding.service import RuleError, transaction

from .conftest import PASSWORD, USING_POSTGRES, make_config
from .discussion_data import attend, convene, convene_decided, date_parts, decision_data, make_child, submit
from .pages import PageClient


def london(*args) -> datetime:
    return clock.london_datetime(date(*args[:3]), *args[3:])


def _held(mash, agencies, child, held_at, **overrides):
    overrides.setdefault("referral_received_on", clock.to_london(held_at).date())
    with clock.frozen_at(held_at):
        sd = convene(mash, [child], [agencies["csc"], agencies["police"], agencies["health"]], scheduled_at=held_at,
                     **overrides)
        attend(sd, mash)
    return sd


def _icpc_kinds(at: datetime, due_before: datetime) -> dict[str, datetime]:
    with clock.frozen_at(at):
        return {d.kind: d.due_at for d in open_deadlines(due_before=due_before) if d.kind.startswith("icpc")}


def _moved_to(sd, held_at: datetime, **extra) -> dict:
    data = {"scheduled_at": held_at, "referral_received_on": clock.to_london(held_at).date(),
            "convene_decided_at": held_at, **extra}
    return services.update_details(sd, data, sd.version, actor=sd.chair)


# --- A corrected date moves every clock it drives ------------------------------------------------------------


def test_correcting_the_discussion_date_moves_the_icpc_minutes_and_follow_up_meeting(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10), mode="phone")
    with clock.frozen_at(london(2026, 12, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash,
                                            follow_up_meeting=True)
    assert decision.icpc_due_on == date(2026, 12, 22)
    assert sd.follow_up_meeting_due_at == london(2026, 12, 8, 17)
    with clock.frozen_at(london(2026, 12, 1, 15)):
        changes = _moved_to(sd, london(2026, 11, 20, 10))
    assert (decision.enquiry_started_on, decision.icpc_due_on) == (date(2026, 11, 20), date(2026, 12, 11))
    assert decision.icpc_due_at == london(2026, 12, 11, 17)
    assert sd.circulation_due_at == london(2026, 11, 23, 17)
    assert sd.follow_up_meeting_due_at == london(2026, 11, 27, 17)
    assert {"scheduled_at", "circulation_due_at", "follow_up_meeting_due_at"} <= set(changes)
    # the history shows the ICPC move on the decision, with the date that moved it
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.object_type == "threshold_decision",
                                                            AuditEvent.action == "recompute")).scalars().all()
    assert [e.changes["icpc_due_on"] for e in events] == [{"from": "2026-12-22", "to": "2026-12-11"}]
    assert _icpc_kinds(london(2026, 12, 11, 18), london(2027, 1, 31))["icpc"] == london(2026, 12, 11, 17)


def test_a_review_that_inherited_the_enquiry_moves_with_the_discussion_that_started_it(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, amy, london(2026, 12, 1, 10), referral_received_on=date(2026, 11, 19))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(first, amy.id, decision_data(outcome="s47_single"), actor=mash)
    review = _held(mash, agencies, amy, london(2026, 12, 3, 10), kind="review", previous_id=first.id,
                   referral_received_on=date(2026, 11, 19))
    with clock.frozen_at(london(2026, 12, 3, 11)):
        kept = services.record_decision(review, amy.id, decision_data(outcome="s47_single"), actor=mash)
    assert (kept.icpc_status, kept.icpc_due_on) == ("inherited", date(2026, 12, 22))
    with clock.frozen_at(london(2026, 12, 3, 15)):
        _moved_to(first, london(2026, 11, 20, 10), referral_received_on=date(2026, 11, 19))
    assert (kept.enquiry_started_on, kept.icpc_due_on) == (date(2026, 11, 20), date(2026, 12, 11))


# --- The section 47 enquiry ends with its outcome ------------------------------------------------------------


def test_an_enquiry_ended_without_a_conference_is_no_longer_chased_and_a_new_initial_discussion_gets_its_own_clock(
        signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    september = _held(mash, agencies, amy, london(2026, 9, 1, 10))
    with clock.frozen_at(london(2026, 9, 1, 11)):
        started = services.record_decision(september, amy.id, decision_data(outcome="s47_single"), actor=mash)
    assert _icpc_kinds(london(2026, 11, 30, 9), london(2027, 1, 31))["icpc"] == london(2026, 9, 22, 17)
    with clock.frozen_at(london(2026, 9, 15, 12)):
        with pytest.raises(RuleError, match="Select the outcome"):
            services.record_enquiry_outcome(started, {"enquiry_outcome": None, "enquiry_outcome_reason": "x",
                                                      "enquiry_outcome_on": date(2026, 9, 15)},
                                            actor=mash, expected_version=started.version)
        services.record_enquiry_outcome(started, {"enquiry_outcome": "not_substantiated",
                                                  "enquiry_outcome_reason": "Injury explained by the GP's records",
                                                  "enquiry_outcome_on": date(2026, 9, 15)},
                                        actor=mash, expected_version=started.version)
    assert started.icpc_status == "ended" and started.enquiry_outcome_by_id == mash.id
    assert _icpc_kinds(london(2026, 11, 30, 9), london(2027, 1, 31)) == {}
    november = _held(mash, agencies, amy, london(2026, 11, 30, 10))
    with clock.frozen_at(london(2026, 11, 30, 11)):
        new = services.record_decision(november, amy.id, decision_data(outcome="s47_single"), actor=mash)
    assert (new.starts_enquiry, new.icpc_status, new.icpc_due_on) == (True, "due", date(2026, 12, 21))
    assert _icpc_kinds(london(2026, 12, 22, 9), london(2027, 1, 31))["icpc"] == london(2026, 12, 21, 17)


def test_a_new_initial_discussion_never_takes_over_an_unrelated_open_enquiry(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    september = _held(mash, agencies, amy, london(2026, 9, 1, 10))
    with clock.frozen_at(london(2026, 9, 1, 11)):
        services.record_decision(september, amy.id, decision_data(outcome="s47_single"), actor=mash)
    november = _held(mash, agencies, amy, london(2026, 11, 30, 10))
    with clock.frozen_at(london(2026, 11, 30, 11)):
        new = services.record_decision(november, amy.id, decision_data(outcome="s47_joint"), actor=mash)
    assert (new.starts_enquiry, new.icpc_due_on) == (True, date(2026, 12, 21))


def test_an_outcome_asking_for_a_conference_keeps_the_clock_running(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        started = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    with clock.frozen_at(london(2026, 12, 9, 11)):
        services.record_enquiry_outcome(started, {"enquiry_outcome": "icpc", "enquiry_outcome_reason": "Likely harm",
                                                  "enquiry_outcome_on": date(2026, 12, 9)},
                                        actor=mash, expected_version=started.version)
    assert started.icpc_status == "due"
    assert _icpc_kinds(london(2026, 12, 9, 12), london(2027, 1, 31))["icpc"] == london(2026, 12, 22, 17)


# --- The conference: booked on a possible date, then held -----------------------------------------------------


def test_a_conference_date_before_the_enquiry_is_refused_and_a_late_one_needs_its_reason(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        started = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    with clock.frozen_at(london(2026, 12, 2, 11)):
        with pytest.raises(RuleError, match="on or after the strategy discussion") as refused:
            services.record_icpc_date(started, date(2020, 1, 1), actor=mash, expected_version=started.version)
        assert refused.value.field == "icpc_date"
        with pytest.raises(RuleError, match="Enter why the conference is after its due date") as refused:
            services.record_icpc_date(started, date(2027, 1, 6), actor=mash, expected_version=started.version)
        assert refused.value.field == "icpc_late_reason"
        services.record_icpc_date(started, date(2027, 1, 6), actor=mash, expected_version=started.version,
                                  late_reason="No chair free over Christmas")
    assert (started.icpc_status, started.icpc_late_reason) == ("booked", "No chair free over Christmas")


# --- Times entered, not assumed --------------------------------------------------------------------------------


def test_the_decision_to_convene_and_the_end_time_are_entered_and_checked(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    invited = [agencies["csc"], agencies["police"], agencies["health"]]
    with clock.frozen_at(london(2026, 12, 1, 15)):
        with pytest.raises(RuleError, match="after the decision to convene"):
            convene(mash, [amy], invited, scheduled_at=london(2026, 12, 1, 10),
                    convene_decided_at=london(2026, 12, 1, 11))
        with pytest.raises(RuleError, match="ended must be after it started") as refused:
            convene(mash, [amy], invited, scheduled_at=london(2026, 12, 1, 10),
                    convene_decided_at=london(2026, 11, 30, 16), ended_at=london(2026, 12, 1, 9))
        assert refused.value.field == "ended_time"
        sd = convene(mash, [amy], invited, scheduled_at=london(2026, 12, 1, 10),
                     convene_decided_at=london(2026, 11, 30, 16), ended_at=london(2026, 12, 1, 11, 30))
    assert (sd.convene_decided_at, sd.ended_at) == (london(2026, 11, 30, 16), london(2026, 12, 1, 11, 30))


def test_answers_still_to_decide_have_an_indexed_due_time_and_a_reminder_wording(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 4, 10))
    with clock.frozen_at(london(2026, 12, 4, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(abe_planned="not_decided"), actor=mash)
    assert decision.still_to_decide_due_at == london(2026, 12, 7, 17)
    with clock.frozen_at(london(2026, 12, 8, 9)):
        assert [d.kind for d in open_deadlines(due_before=london(2026, 12, 8, 9))
                if d.kind == "still_to_decide"] == ["still_to_decide"]
        services.record_decision(sd, amy.id, decision_data(abe_planned="no"), actor=mash,
                                 expected_version=decision.version)
    assert decision.still_to_decide_due_at is None
    assert "still_to_decide" in NOUNS


def test_the_database_refuses_an_answer_outside_its_list(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 4, 10))
    with clock.frozen_at(london(2026, 12, 4, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(), actor=mash)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        with transaction():
            decision.abe_planned = ""
            db.session.flush()


# --- Through the pages -----------------------------------------------------------------------------------------


def _signed(app, user) -> PageClient:
    """A client signed in at the frozen time: a session does not survive weeks of travel."""
    client = PageClient(app.test_client())
    client.sign_in(user.email, PASSWORD)
    return client


def _edit_form(sd, held: date, at: str, decided: date, decided_at: str, **overrides) -> dict:
    data = {"version": str(sd.version), "kind": sd.kind, "urgency": sd.urgency, "mode": sd.mode,
            "scheduled_date": date_parts(held), "scheduled_time": at, "chair_id": str(sd.chair_id),
            **convene_decided(decided, decided_at), "referral_source": sd.referral_source,
            "referral_received_on": date_parts(sd.referral_received_on), "harm_category": sd.harm_category,
            "reason": sd.reason}
    data.update(overrides)
    return data


def test_the_page_shows_the_icpc_moved_by_a_corrected_date(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10), referral_received_on=date(2026, 11, 19))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    with clock.frozen_at(london(2026, 12, 1, 15)):
        client = _signed(app, mash)
        page = client.get(f"/discussions/{sd.id}")
        assert "Due by 22 December 2026" in page and "after the discussion of 1 December 2026" in page
        submit(client, f"/discussions/{sd.id}/edit",
               _edit_form(sd, date(2026, 11, 20), "10:00", date(2026, 11, 20), "09:00", ended_time="10:45"))
        page = client.get(f"/discussions/{sd.id}")
    assert "Due by 11 December 2026" in page and "after the discussion of 20 November 2026" in page
    assert "22 December 2026" not in page
    db.session.refresh(sd)
    assert (sd.convene_decided_at, sd.ended_at) == (london(2026, 11, 20, 9), london(2026, 11, 20, 10, 45))


def test_the_convene_form_refuses_an_end_before_the_start_beside_its_field(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 15)):
        client = _signed(app, mash)
        page = submit(client, f"/discussions/{sd.id}/edit",
                      _edit_form(sd, date(2026, 12, 1), "10:00", date(2026, 12, 1), "09:00", ended_time="09:30"),
                      expected=200)
        assert 'id="ended_time-error"' in page.html and "Time the discussion ended must be after it started" in page
        assert 'value="09:30"' in page.html  # what was typed stays in the form
        page = submit(client, f"/discussions/{sd.id}/edit",
                      _edit_form(sd, date(2026, 12, 1), "10:00", date(2026, 12, 1), "11:00"), expected=200)
        assert "The discussion must be held after the decision to convene it" in page


def test_recording_the_enquiry_outcome_on_its_page_starts_with_nothing_selected_and_stops_the_clock(
        app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 9, 1, 10))
    with clock.frozen_at(london(2026, 9, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    url = f"/discussions/{sd.id}/decisions/{decision.id}/enquiry-outcome"
    with clock.frozen_at(london(2026, 11, 30, 9)):
        client = _signed(app, mash)
        form = client.get(url)
        assert 'name="enquiry_outcome"' in form.html and "checked" not in form.html
        page = submit(client, url, {"enquiry_outcome_reason": "Explained", "enquiry_outcome_on": date_parts(
            date(2026, 9, 15))}, expected=200)
        assert "Select the outcome of the section 47 enquiry" in page
        submit(client, url, {"enquiry_outcome": "not_substantiated", "enquiry_outcome_reason": "Explained by the GP",
                             "enquiry_outcome_on": date_parts(date(2026, 9, 15))})
        page = client.get(f"/discussions/{sd.id}")
    assert "Not needed: the enquiry ended without one" in page and "Concerns not substantiated" in page
    assert _icpc_kinds(london(2026, 11, 30, 9), london(2027, 1, 31)) == {}


def test_booking_and_confirming_the_conference_on_its_pages(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s47_single"), actor=mash)
    url = f"/discussions/{sd.id}/decisions/{decision.id}/icpc"
    with clock.frozen_at(london(2026, 12, 2, 9)):
        client = _signed(app, mash)
        page = submit(client, url, {"icpc_date": date_parts(date(2020, 1, 1))}, expected=200)
        assert 'id="icpc_date-error"' in page.html and "on or after the strategy discussion" in page
        page = submit(client, url, {"icpc_date": date_parts(date(2027, 1, 6))}, expected=200)
        assert 'id="icpc_late_reason-error"' in page.html and "after its due date (22 December 2026)" in page
        submit(client, url, {"icpc_date": date_parts(date(2027, 1, 6)), "icpc_late_reason": "No chair free"})
    held_url = f"/discussions/{sd.id}/decisions/{decision.id}/icpc-held"
    with clock.frozen_at(london(2027, 1, 5, 9)):
        client = _signed(app, mash)
        page = submit(client, held_url, {"icpc_held_on": date_parts(date(2027, 1, 6))}, expected=200)
        assert "confirm it was held on or after that date" in page
    with clock.frozen_at(london(2027, 1, 7, 9)):
        client = _signed(app, mash)
        submit(client, held_url, {"icpc_held_on": date_parts(date(2027, 1, 6))})
        page = client.get(f"/discussions/{sd.id}")
    assert "Held on 6 January 2027" in page
    assert _icpc_kinds(london(2027, 1, 7, 9), london(2027, 2, 28)) == {}


def test_recording_the_assessment_completed_on_its_page(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        client = _signed(app, mash)
        decision = services.record_decision(sd, amy.id, decision_data(outcome="s17"), actor=mash)
        assert "45 working days after the referral of 1 December 2026" in client.get(f"/discussions/{sd.id}")
    url = f"/discussions/{sd.id}/decisions/{decision.id}/assessment"
    with clock.frozen_at(london(2027, 1, 20, 12)):
        client = _signed(app, mash)
        page = submit(client, url, {"completed_date": date_parts(date(2027, 1, 21)), "completed_time": "10:00"},
                      expected=200)
        assert "Date the assessment was completed must be today or in the past" in page
        submit(client, url, {"completed_date": date_parts(date(2027, 1, 20)), "completed_time": "11:00"})
        with clock.frozen_at(london(2027, 2, 8, 9)):
            assert not [d for d in open_deadlines(due_before=london(2027, 2, 8, 9)) if d.kind == "assessment"]
        assert "Completed 20 Jan 2027 11:00" in client.get(f"/discussions/{sd.id}")


def test_a_follow_up_meeting_held_after_its_due_date_shows_as_held_late(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = _held(mash, agencies, amy, london(2026, 12, 1, 10), mode="phone")
    with clock.frozen_at(london(2026, 12, 1, 11)):
        client = _signed(app, mash)
        services.record_decision(sd, amy.id, decision_data(outcome="s17"), actor=mash, follow_up_meeting=True)
        assert "Not convened" in client.get(f"/discussions/{sd.id}")
    _held(mash, agencies, amy, london(2026, 12, 22, 10), kind="review", previous_id=sd.id, mode="meeting",
          referral_received_on=date(2026, 12, 1))
    with clock.frozen_at(london(2026, 12, 23, 9)):
        client = _signed(app, mash)
        assert "Held late" in client.get(f"/discussions/{sd.id}")


# --- Migration 0018 on decisions already recorded -----------------------------------------------------------


def _insert(conn, table: str, **values) -> None:
    """A row as it stood before this revision: every required column filled, whatever the models say now."""
    by_type = {"INTEGER": 1, "BOOLEAN": 0, "DATETIME": "2026-12-04 10:00:00.000000", "DATE": "2026-12-04"}
    for _, name, kind, not_null, default, _ in conn.execute(f"PRAGMA table_info({table})").fetchall():
        if not_null and default is None and name not in values:
            values[name] = by_type.get(kind.split("(")[0], "x")
    names = ", ".join(values)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in values)})",  # nosec B608
                 list(values.values()))


@pytest.mark.skipif(USING_POSTGRES, reason="the rows are written with SQLite's own driver between two upgrades")
def test_migration_gives_undecided_answers_their_due_time_and_an_unknown_answer_becomes_not_decided(tmp_path):
    import sqlite3

    from flask_migrate import upgrade

    from safeguarding import create_app

    path = tmp_path / "upgraded.sqlite"
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SQLALCHEMY_ENGINE_OPTIONS={}))
    with app.app_context():
        upgrade(revision="0020")
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        for row_id, abe in ((1, "not_decided"), (2, "no"), (3, "")):
            _insert(conn, "child", id=row_id, gender="female", looked_after="no")
            _insert(conn, "strategy_discussion", id=row_id)
            _insert(conn, "threshold_decision", id=row_id, discussion_id=row_id, child_id=row_id, outcome="s17",
                    abe_planned=abe, intermediary_considered="no", medical_examination="no", legal_action="none",
                    family_told="told", icpc_status="not_needed", decided_at="2026-12-04 11:00:00.000000")
    with app.app_context():
        upgrade(revision="0018")  # this revision's own work (the rows above are bare: later checks would refuse them)
        rows = db.session.execute(sa.text("SELECT id, abe_planned, still_to_decide_due_at FROM threshold_decision "
                                          "ORDER BY id")).all()
        db.session.remove()
        db.engine.dispose()
    due = "2026-12-07 17:00:00"
    assert [(r.id, r.abe_planned, (r.still_to_decide_due_at or "")[:19]) for r in rows] == [
        (1, "not_decided", due), (2, "no", ""), (3, "not_decided", due)]


def test_the_new_clocks_are_on_my_work_and_in_reminders(app, signed_in, agencies):
    from safeguarding.reminders import sweep as reminder_sweep
    from safeguarding.reminders.models import Notification

    _, mash = signed_in(Role.MASH)
    amy, ben = make_child(), make_child("Ben")
    first = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    second = _held(mash, agencies, ben, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(first, amy.id, decision_data(outcome="s17"), actor=mash)
        booked = services.record_decision(second, ben.id, decision_data(outcome="s47_single",
                                                                        abe_planned="not_decided"), actor=mash)
        services.record_icpc_date(booked, date(2026, 12, 18), actor=mash)
    db.session.commit()
    with clock.frozen_at(london(2026, 12, 21, 9)):
        page = _signed(app, mash).get("/my-work")
        assert "Confirm the initial child protection conference for Ben Example was held on 18 December 2026" in page
        assert "Still to decide for Ben Example: ABE interview" in page
    with clock.frozen_at(london(2027, 2, 1, 9)):
        assert "Child and family assessment for Amy Example" in _signed(app, mash).get("/my-work")
    with clock.frozen_at(london(2027, 2, 8, 9)):
        reminder_sweep.sweep(london(2027, 2, 8, 9))
    rules = set(db.session.execute(sa.select(Notification.rule).where(Notification.recipient_id == mash.id)).scalars())
    assert {"assessment", "icpc_held", "still_to_decide"} <= rules


def test_an_assessment_completed_for_the_referral_is_done_on_its_review_too(app, signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    review = _held(mash, agencies, amy, london(2026, 12, 8, 10), kind="review", previous_id=first.id,
                   referral_received_on=date(2026, 12, 1))
    with clock.frozen_at(london(2026, 12, 8, 11)):
        started = services.record_decision(first, amy.id, decision_data(outcome="s17"), actor=mash)
        services.record_decision(review, amy.id, decision_data(outcome="s17"), actor=mash)
        services.record_assessment_completed(started, london(2026, 12, 8, 11), actor=mash,
                                             expected_version=started.version)
    db.session.commit()
    with clock.frozen_at(london(2027, 2, 8, 9)):
        assert not [d for d in open_deadlines(due_before=london(2027, 2, 8, 9)) if d.kind == "assessment"]
        assert "Completed 8 Dec 2026 11:00" in _signed(app, mash).get(f"/discussions/{review.id}")


def test_a_discussion_corrected_from_review_to_initial_starts_its_own_enquiry(signed_in, agencies):
    _, mash = signed_in(Role.MASH)
    amy = make_child()
    first = _held(mash, agencies, amy, london(2026, 12, 1, 10))
    with clock.frozen_at(london(2026, 12, 1, 11)):
        services.record_decision(first, amy.id, decision_data(outcome="s47_single"), actor=mash)
    later = _held(mash, agencies, amy, london(2026, 12, 3, 10), kind="review", previous_id=first.id,
                  referral_received_on=date(2026, 12, 1))
    with clock.frozen_at(london(2026, 12, 3, 11)):
        kept = services.record_decision(later, amy.id, decision_data(outcome="s47_single"), actor=mash)
        assert kept.icpc_status == "inherited"
        services.update_details(later, {"kind": "initial", "previous_id": None}, later.version, actor=mash)
    assert (kept.starts_enquiry, kept.icpc_status, kept.icpc_due_on) == (True, "due", date(2026, 12, 24))
