"""The strategy discussion part of the demo story: five discussions a visitor can follow.

- Lily and Noah Carter (siblings): convened for tomorrow morning, not yet held.
- Jayden Reid (15, exploitation): held yesterday, section 17, minutes still in draft (with a vague phrase flagged).
- Mia Thompson (a baby): section 47 joint enquiry decided a week ago, ICPC due, two actions overdue, minutes circulated.
- Ella Hughes: police sent apologies; decided with a recorded reason; minutes agreed, not yet circulated.
- Tyler Brooks: a draft opened after repeat missing episodes, waiting for MASH to convene it.

And five finished discussions held in the last full quarter, so that Reports (which opens on that quarter) has
figures in every section: police absent from two, a section 47 enquiry whose conference was on time and one whose
conference was late, five different decisions, and actions done on time, done late and cancelled.
"""
from __future__ import annotations

from datetime import date, timedelta

from .. import clock
from ..auth.models import Agency, User
from ..children import services as child_services
from ..extensions import db
from ..periods import last_full_quarter
from ..workdays import add_working_days
from . import services, thresholds
from .models import StrategyDiscussion


def _child(first, last, born, actor, **extra):
    data = {"first_name": first, "last_name": last, "is_unborn": False, "date_of_birth": born,
            "expected_date": None, "gender": extra.get("gender", "unknown"), "ethnicity": "", "disability": "",
            "address": extra.get("address", ""), "la_reference": extra.get("ref"), "nhs_number": None,
            "looked_after": "no", "responsible_authority": "",
            # the census answers (children/characteristics.py), so the figures' breakdowns have something to show
            "ethnicity_code": extra.get("ethnicity"), "disability_status": extra.get("disabled")}
    return child_services.create_child(data, actor=actor)


def _details(chair, when, **extra):
    data = {"kind": "initial", "previous_id": None, "urgency": "standard", "scheduled_at": when, "mode": "video",
            "out_of_hours": False, "chair_id": chair.id, "referral_source": "", "referral_received_on": None,
            "reason": "", "harm_category": "other", "referrer_words": "", "referrer_summary": ""}
    data.update(extra)
    return data


def _decision(**extra):
    data = {"outcome": "s17", "rationale": "", "abe_planned": "no", "abe_joint": False, "abe_lead_interviewer": "",
            "intermediary_considered": "no", "intermediary_reason": "", "medical_examination": "no",
            "medical_details": "", "legal_action": "none", "family_told": "will_tell",
            "family_told_when": "Today, by the allocated social worker", "family_not_told_reason": "",
            "interim_safety_plan": "", "next_review_on": None}
    data.update(extra)
    return data


def _attend(sd, actor, **statuses):
    services.record_attendance(sd, {
        inv.id: statuses.get(inv.agency.kind, ("attended", "")) for inv in sd.invitations}, actor=actor)


def seed(users: dict[str, User], agencies: list[Agency]) -> str:
    if db.session.execute(db.select(StrategyDiscussion.id).limit(1)).first() is not None:
        return ""
    mash, manager = users["mash@example.org"], users["csc.manager@example.org"]
    police, health, school = users["police@example.org"], users["health@example.org"], users["school@example.org"]
    social_worker = users["social.worker@example.org"]
    csc, police_agency, health_agency, education = agencies[0], agencies[1], agencies[2], agencies[3]
    core = [csc.id, police_agency.id, health_agency.id]
    now = clock.now()
    today = clock.london_today()

    # 1. Upcoming: siblings, tomorrow at 10:00.
    lily = _child("Lily", "Carter", date(2019, 3, 2), mash, gender="female", ref="NS-10231", ethnicity="WBRI",
                  disabled="no")
    noah = _child("Noah", "Carter", date(2022, 7, 19), mash, gender="male", ref="NS-10232", ethnicity="WBRI",
                  disabled="not_known")
    tomorrow = add_working_days(today, 1)
    services.convene({**_details(mash, clock.london_datetime(tomorrow, 10), referral_source="Riverside Academy",
                                 referral_received_on=today, harm_category="physical",
                                 reason="Lily came to school with bruising to her upper arm; Noah is at home.",
                                 referrer_words="Lily had four finger-shaped bruises on her left upper arm. She said "
                                                "'Daddy grabbed me because I was slow'. She did not want to go home."),
                      "child_ids": [lily.id, noah.id], "agency_ids": core + [education.id]}, actor=mash)

    # 2. Held yesterday, section 17, minutes in draft.
    jayden = _child("Jayden", "Reid", date(2011, 1, 30), mash, gender="male", ref="NS-09877", ethnicity="BCRB",
                    disabled="yes")
    held = clock.london_datetime(add_working_days(today, -1), 14)
    with clock.frozen_at(held - timedelta(hours=3)):
        sd = services.convene({**_details(mash, held, referral_source="Northshire Police",
                                          referral_received_on=add_working_days(today, -1),
                                          harm_category="exploitation",
                                          reason="Found 40 miles away with adults and cash after a missing episode.",
                                          referrer_words="Found in a car with two adult males from out of area, "
                                                         "£600 cash and two phones. Would not say how he got there."),
                               "child_ids": [jayden.id], "agency_ids": core + [education.id]}, actor=mash)
    with clock.frozen_at(held + timedelta(minutes=45)):
        _attend(sd, mash)
        services.record_information(sd, {"agency_id": police_agency.id, "topic": "police_intelligence",
                                          "text": "Intelligence links the older male to a county line supplying "
                                                  "class A drugs into Northshire.", "shared_by": "DC Chris Evans",
                                          "lawful_basis": "criminal_offence"}, actor=mash)
        services.record_information(sd, {"agency_id": education.id, "topic": "education_attendance",
                                          "text": "Attendance 61% this term; he is putting himself at risk.",
                                          "shared_by": "Mr Tom Brown, DSL", "lawful_basis": "public_task"}, actor=mash)
        services.record_nothing_held(sd, {"agency_id": health_agency.id, "topic": "health_injuries",
                                          "shared_by": "Nurse Ruth Green"}, actor=mash)
        services.record_decision(sd, jayden.id, _decision(
            outcome="s17", rationale="Criminal exploitation is likely; Jayden and his mother will work with the "
                                     "exploitation team. No current evidence of harm within the family.",
            interim_safety_plan="Mother to report him missing at once; return home interview offered."), actor=mash)
        services.add_action(sd, {"description": "Refer to the National Referral Mechanism as a potential victim of "
                                                "criminal exploitation", "owner_id": social_worker.id,
                                 "child_id": jayden.id, "due_at": now + timedelta(days=2)}, actor=mash)
        services.save_minutes(sd, "All agencies attended. Police shared intelligence about a county line. School "
                                  "reported low attendance; Jayden is putting himself at risk.",
                              actor=mash, based_on_id=0, based_on_revision=0)

    # 3. Section 47 joint, a week ago, two actions overdue, minutes circulated.
    mia = _child("Mia", "Thompson", today - timedelta(days=130), mash, gender="female", ref="NS-10004",
                 address="14 Mill Lane, Northshire", ethnicity="NOBT", disabled="not_known")
    week_ago = clock.london_datetime(add_working_days(today, -5), 11)
    with clock.frozen_at(week_ago - timedelta(hours=2)):
        sd = services.convene({**_details(manager, week_ago, urgency="urgent", mode="meeting",
                                          referral_source="Ambulance crew",
                                          referral_received_on=add_working_days(today, -5),
                                          harm_category="physical",
                                          reason="Four-month-old baby with a swollen thigh; explanation does not fit.",
                                          referrer_words="The flat was unsanitary with a foul smell and a fire "
                                                         "hazard. Baby screamed when her leg was moved.",
                                          referrer_summary="Poor home conditions and a leg injury."),
                               "child_ids": [mia.id], "agency_ids": core}, actor=manager)
    with clock.frozen_at(week_ago + timedelta(hours=1)):
        _attend(sd, manager)
        services.record_information(sd, {"agency_id": police_agency.id, "topic": "police_convictions",
                                          "text": "Mother's partner: convictions for assault (2019) and "
                                                  "domestic abuse call-outs at a previous address in another force "
                                                  "area.", "shared_by": "DC Chris Evans",
                                          "lawful_basis": "criminal_offence"}, actor=manager)
        services.record_information(sd, {"agency_id": health_agency.id, "topic": "health_missed_appointments",
                                          "text": "Missed the 8-week check and two health visitor visits.",
                                          "shared_by": "Nurse Ruth Green", "lawful_basis": "safeguarding"},
                                    actor=manager)
        services.record_decision(sd, mia.id, _decision(
            outcome="s47_joint", rationale="Unexplained injury to a non-mobile baby, partner with violent "
                                           "convictions, missed health contacts: reasonable cause to suspect "
                                           "significant harm.",
            medical_examination="yes", medical_details="Child protection medical at Northshire General today",
            interim_safety_plan="Mia and her mother stay with maternal grandmother; partner not to visit."),
            actor=manager)
        services.add_action(sd, {"description": "Check PNC and local intelligence on the mother's partner and share "
                                                "with the social worker", "owner_id": police.id, "child_id": mia.id,
                                 "due_at": week_ago + timedelta(days=1)}, actor=manager)
        services.add_action(sd, {"description": "Share Mia's health records and the missed-appointment history",
                                 "owner_id": health.id, "child_id": mia.id,
                                 "due_at": week_ago + timedelta(days=2)}, actor=manager)
        done = services.add_action(sd, {"description": "Arrange the child protection medical", "owner_id": mash.id,
                                        "child_id": mia.id, "due_at": week_ago + timedelta(hours=6)}, actor=manager)
        services.complete_action(done, "Medical held at 15:00: spiral fracture of the left femur.", actor=mash,
                                 expected_version=done.version)
        services.save_minutes(sd, "Strategy meeting held face to face. Police, health and children's social care "
                                  "attended. Section 47 joint enquiry agreed.", actor=manager, based_on_id=0,
                              based_on_revision=0)
        services.agree_minutes(sd, actor=manager)
        services.circulate_minutes(sd, actor=manager, referrer_told="yes",
                                   referrer_told_how="Phoned the ambulance service safeguarding lead")

    # 4. Police did not attend.
    ella = _child("Ella", "Hughes", date(2016, 9, 8), mash, gender="female", ref="NS-10110", ethnicity="APKN",
                  disabled="no")
    two_days = clock.london_datetime(add_working_days(today, -2), 9, 30)
    with clock.frozen_at(two_days - timedelta(hours=1)):
        sd = services.convene({**_details(mash, two_days, mode="phone", referral_source="Neighbour",
                                          referral_received_on=add_working_days(today, -3),
                                          harm_category="neglect", reason="Ella seen alone at home late at night.",
                                          referrer_words="She was at the window at midnight crying for her mum. "
                                                         "No lights on. This is the third time this month."),
                               "child_ids": [ella.id], "agency_ids": core + [education.id]}, actor=mash)
    with clock.frozen_at(two_days + timedelta(minutes=40)):
        _attend(sd, mash, police=("apologies", "No MASH officer on duty; area car tied up"))
        services.record_decision(sd, ella.id, _decision(
            outcome="s17", rationale="Repeated night-time neglect reported by a neighbour; no injury; mother "
                                     "accepts support.", interim_safety_plan="Aunt to stay for two weeks."),
            actor=mash, minimum_agency_reason="Police gave apologies; intelligence check requested as an action.")
        services.add_action(sd, {"description": "Police intelligence check on the household", "owner_id": police.id,
                                 "child_id": ella.id, "due_at": two_days + timedelta(days=1)}, actor=mash)
        services.add_action(sd, {"description": "Tell the school and agree a daily check-in", "owner_id": school.id,
                                 "child_id": ella.id, "due_at": now + timedelta(days=3)}, actor=mash)
        services.save_minutes(sd, "Phone discussion. Police did not attend (apologies). Section 17 assessment.",
                              actor=mash, based_on_id=0, based_on_revision=0)
        services.agree_minutes(sd, actor=mash)

    # 5. A draft opened by another feature's rule.
    tyler = _child("Tyler", "Brooks", date(2012, 4, 21), mash, gender="male", ref="NS-10177", ethnicity="WOTH",
                   disabled="no")
    services.create_draft_discussion([tyler.id], "Missing from home three times in 30 days", actor=mash,
                                     linked_note="3 missing episodes in 30 days")
    finished = _finished_last_quarter(users, agencies, today)
    db.session.commit()  # services only flush: the demo story is one unit of work, saved here
    return ("5 strategy discussions (upcoming, minutes in draft, s47 with overdue actions, police absent, a draft)"
            f" and {finished} finished last quarter for the reports")


def _finished_last_quarter(users: dict[str, User], agencies: list[Agency], today: date) -> int:
    """Finished discussions in the quarter Reports opens on, worked through at the times they happened."""
    mash, manager = users["mash@example.org"], users["csc.manager@example.org"]
    police, health, school = users["police@example.org"], users["health@example.org"], users["school@example.org"]
    social_worker = users["social.worker@example.org"]
    csc, police_agency, health_agency, education = agencies[0], agencies[1], agencies[2], agencies[3]
    core = [csc.id, police_agency.id, health_agency.id]
    start, _ = last_full_quarter(today)
    # Working days from the quarter's start: even the latest step (day 45 plus a week) ends inside the quarter.
    stories = [
        # child: first name, last name, age in years at the discussion, gender, local authority reference;
        # census: ethnicity code and disability (children/characteristics.py)
        {"day": 3, "chair": manager, "child": ("Poppy", "Harris", 2.5, "female", "NS-09702"),
         "census": ("WBRI", "no"),
         "agencies": core, "harm": "physical", "source": "Nursery",
         "reason": "Bruise to the cheek of a two-year-old; mother's explanation changed twice.",
         "decision": _decision(outcome="s47_single", rationale="Facial bruising in a toddler with changing "
                               "explanations: reasonable cause to suspect significant harm. No crime alleged.",
                               medical_examination="yes", medical_details="Child protection medical the same day"),
         "icpc": -2,  # booked two working days before it was due
         "actions": [("Arrange the child protection medical", mash, 6, 2),
                     ("Police checks on mother's new partner", police, 24, 48)]},
        {"day": 8, "chair": manager, "child": ("Leo", "Bennett", 12.4, "male", "NS-09755"),
         "census": ("MWBC", "not_known"),
         "agencies": core + [education.id], "harm": "sexual", "source": "Riverside Academy",
         "reason": "Leo told a teacher that an older cousin touches him when he stays over.",
         "decision": _decision(outcome="s47_joint", rationale="Disclosure of sexual abuse by a family member: joint "
                               "enquiry with the police child abuse investigation team.",
                               abe_planned="yes", abe_joint=True, abe_lead_interviewer="DC Chris Evans"),
         "icpc": 3,  # held three working days after it was due: no chair free sooner
         "actions": [("Achieving Best Evidence interview", police, 48, -4),
                     ("Paediatric assessment and sexual health referral", health, 72, 96)]},
        {"day": 15, "chair": mash, "child": ("Oliver", "Grant", 7.3, "male", "NS-09811"),
         "census": ("BAFR", "yes"),
         "agencies": core + [education.id], "harm": "neglect", "source": "Health visitor",
         "reason": "Oliver arrives at school hungry and in the same clothes most days.",
         "police": ("apologies", "Officer called to an urgent incident"),
         "gap_reason": "Police gave apologies; checks requested as an action.",
         "decision": _decision(outcome="s17", rationale="Chronic low-level neglect; mother is depressed and asks "
                               "for help. No injury or disclosure."),
         "actions": [("Police intelligence check on the household", police, 24, 72),
                     ("Breakfast club place and a daily check-in", school, 72, -24)]},
        {"day": 30, "chair": mash, "child": ("Freya", "Clarke", 15.6, "female", "NS-09866"),
         "census": ("REFU", "not_known"),
         "agencies": core, "harm": "domestic_abuse", "source": "Northshire Police", "mode": "phone",
         "reason": "Police called to a loud argument between Freya's parents; Freya was upstairs.",
         "police": ("information_sent", "Incident log sent; no MASH officer on duty"),
         "gap_reason": "Police sent the incident log instead of attending.",
         "decision": _decision(outcome="nfa", rationale="A single verbal argument, no violence or history; Freya "
                               "says she feels safe. Parents accepted advice."),
         "actions": [("Send the family details of local relationship support", social_worker, 48, -24)]},
        {"day": 45, "chair": mash, "child": ("Evie", "Marsh", 8.6, "female", "NS-09902"),
         "census": ("NOBT", "refused"),
         "agencies": core + [education.id], "harm": "neglect", "source": "Riverside Academy",
         "reason": "Attendance 78% and head lice untreated for months; family recently homeless.",
         "decision": _decision(outcome="early_help", rationale="Needs are about housing and routine, not harm; "
                               "the family want support from the early help team."),
         "actions": [("Early help assessment with the family", school, 120, -48),
                     ("Housing referral", social_worker, 72, "Housing had already accepted the family's application")]},
    ]
    for story in stories:
        _finished(story, add_working_days(start, story["day"]), mash)
    return len(stories)


def _finished(story: dict, day: date, mash: User) -> None:
    """One discussion from convening to circulated minutes, conference date and actions closed."""
    chair = story["chair"]
    held = clock.london_datetime(day, 10)
    first, last, age, gender, ref = story["child"]
    born = day - timedelta(days=round(age * 365.25))  # the age they were then, whenever the demo is loaded
    with clock.frozen_at(held - timedelta(hours=2)):
        ethnicity, disabled = story["census"]
        child = _child(first, last, born, mash, gender=gender, ref=ref, ethnicity=ethnicity, disabled=disabled)
        sd = services.convene({**_details(chair, held, mode=story.get("mode", "video"),
                                          referral_source=story["source"], referral_received_on=day,
                                          harm_category=story["harm"], reason=story["reason"]),
                               "child_ids": [child.id], "agency_ids": story["agencies"]}, actor=chair)
    with clock.frozen_at(held + timedelta(minutes=50)):
        _attend(sd, chair, **({"police": story["police"]} if "police" in story else {}))
        decision = services.record_decision(sd, child.id, story["decision"], actor=chair,
                                            minimum_agency_reason=story.get("gap_reason", ""))
        actions = [(services.add_action(sd, {"description": text, "owner_id": owner.id, "child_id": child.id,
                                             "due_at": held + timedelta(hours=due)}, actor=chair), owner, late)
                   for text, owner, due, late in story["actions"]]
        services.save_minutes(sd, f"{story['reason']} Decision: {thresholds.OUTCOMES[decision.outcome]}.",
                              actor=chair, based_on_id=0, based_on_revision=0)
        services.agree_minutes(sd, actor=chair)
    with clock.frozen_at(clock.london_datetime(add_working_days(day, 1), 9)):
        services.circulate_minutes(sd, actor=chair, referrer_told="yes", referrer_told_how="By phone")
    if "icpc" in story:
        with clock.frozen_at(clock.london_datetime(add_working_days(day, 4), 12)):
            booked = add_working_days(decision.icpc_due_on, story["icpc"])
            services.record_icpc_date(decision, booked, actor=chair,
                                      late_reason="No conference chair free until then" if story["icpc"] > 0 else "")
        if booked <= clock.london_today():
            with clock.frozen_at(clock.london_datetime(booked, 16)):
                services.record_conference_held(decision, booked, actor=chair, expected_version=decision.version)
    for action, owner, late in actions:
        # `late`: hours after the due time it was done (negative: early), or why it was cancelled.
        if isinstance(late, str):
            with clock.frozen_at(action.due_at - timedelta(hours=2)):
                services.cancel_action(action, late, actor=chair, expected_version=action.version)
            continue
        with clock.frozen_at(action.due_at + timedelta(hours=late)):
            services.complete_action(action, "Done, later than agreed" if late > 0 else "Done", actor=owner,
                                     expected_version=action.version)
