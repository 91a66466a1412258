"""Professional differences raised from a strategy discussion: a threshold decision or an agreed action.

A police officer disagrees with children's social care's "no further action" decision from the discussion page;
the difference is linked to that decision, shown on the discussion and on the child's timeline, and only people
who may see the discussion can raise one from it.
"""
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import event

from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.children import services as children
from safeguarding.children.timeline import timeline
from safeguarding.clock import LONDON, frozen_at
from safeguarding.differences import services
from safeguarding.differences.models import ProfessionalDifference
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db
from safeguarding.service import RuleError

from .discussion_data import attend, decision_data, details
from . import test_differences as shared
from .test_differences import client_for, post_hidden

# Fixtures shared with the child-record tests (assigned, so taking them as parameters is not a redefinition).
app, cast = shared.app, shared.cast

HELD = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)


@pytest.fixture
def discussion(cast, agencies):
    """Amy and her brother Ben, discussed on 2 November 2026, chaired by the MASH social worker (CSC): "no further
    action" for Amy; the health visitor to visit Amy; a police check for both children."""
    ben = children.create_child({
        "first_name": "Ben", "last_name": "Example", "is_unborn": False, "date_of_birth": date(2019, 5, 1),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "no", "responsible_authority": ""},
        actor=cast["officer"])
    chair = cast["social_worker"]
    with frozen_at(HELD - timedelta(hours=2)):
        data = details(chair_id=chair.id, scheduled_at=HELD)
        data["child_ids"] = [cast["child"].id, ben.id]
        data["agency_ids"] = [agencies["csc"].id, agencies["police"].id, agencies["health"].id]
        sd = discussions.convene(data, actor=chair)
    with frozen_at(HELD + timedelta(minutes=40)):
        attend(sd, chair)
        decision = discussions.record_decision(sd, cast["child"].id, decision_data(
            outcome="nfa", rationale="Bruise explained by play; family engaging with early help",
            medical_examination="no", medical_details=""), actor=chair)
        visit = discussions.add_action(sd, {"description": "Health visitor to visit Amy at home", "owner_id":
                                            cast["nurse"].id, "child_id": cast["child"].id,
                                            "due_at": HELD + timedelta(days=5)}, actor=chair)
        check = discussions.add_action(sd, {"description": "Police check on the mother's partner", "owner_id":
                                            cast["officer"].id, "child_id": None,
                                            "due_at": HELD + timedelta(days=1)}, actor=chair)
    db.session.commit()  # services flush; the test's unit of work ends here, as a request's would
    return {"sd": sd, "decision": decision, "visit": visit, "check": check, "ben": ben}


def disagreement(**overrides):
    data = {"concern": "Police hold intelligence of domestic abuse at the address.",
            "outcome_sought": "A section 47 enquiry", "immediate_risk": "no", "start_stage": "1",
            "skip_reason": ""}
    data.update(overrides)
    return data


class _FormReader(HTMLParser):
    """The value each field would submit: selected option, checked radio, textarea text."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.values[self._textarea] = ""
        elif tag == "input" and attrs.get("type") == "radio" and "checked" in attrs:
            self.values[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(page, *names):
    """What the raise form starts with, read from the page as the browser would submit it."""
    reader = _FormReader()
    reader.feed(page.html)
    return {name: reader.values.get(name, "").strip() for name in names}


def test_police_officer_disagrees_with_no_further_action_from_the_discussion_page(app, cast, agencies, discussion):
    sd, decision = discussion["sd"], discussion["decision"]
    amy = cast["child"]
    officer = client_for(app, cast["officer"])
    page = officer.get(f"/discussions/{sd.id}")
    assert f'href="/differences/new/decision/{decision.id}"' in page.html
    assert "Disagree with this decision" in page
    assert f'href="/differences/new/action/{discussion["visit"].id}"' in page.html  # the health visitor's action
    assert f'href="/differences/new/action/{discussion["check"].id}"' not in page.html  # police's own action
    assert "No professional difference that you can see has been raised about this discussion." in page

    form = officer.get(f"/differences/new/decision/{decision.id}")
    assert "You are disagreeing with the decision for Amy Example at the" in form
    assert "No further action" in form
    start = form_values(form, "against_agency_id", "responding_lead_id", "about", "theme")
    assert start["against_agency_id"] == str(agencies["csc"].id)  # the chair's agency
    assert start["responding_lead_id"] == str(cast["social_worker"].id)  # the chair
    assert start["about"].startswith("The decision for Amy Example at the strategy discussion of 2 November 2026 "
                                     "(chair: Social Worker, Testshire Children's Social Care): No further action.")
    assert "Bruise explained by play" in start["about"]
    assert start["theme"] == "threshold"

    # The officer leaves out why they disagree: told so, and the pre-filled decision is still there.
    empty = post_hidden(officer, f"/differences/new/decision/{decision.id}", disagreement(
        concern="", against_agency_id=start["against_agency_id"], responding_lead_id=start["responding_lead_id"],
        about=start["about"], theme="threshold"), expected=200)
    assert empty.title.startswith("Error:") and "Enter why you disagree" in empty
    assert "Bruise explained by play" in empty.html

    with frozen_at(HELD + timedelta(days=1)):
        done = post_hidden(officer, f"/differences/new/decision/{decision.id}", disagreement(
            against_agency_id=start["against_agency_id"], responding_lead_id=start["responding_lead_id"],
            about=start["about"], theme="threshold"))
    difference = db.session.execute(db.select(ProfessionalDifference)).scalar_one()
    assert done.response.headers["Location"] == f"/differences/{difference.id}"
    assert (difference.child_id, difference.decision_id, difference.action_id) == (amy.id, decision.id, None)
    assert (difference.raised_by_agency_id, difference.against_agency_id) == (agencies["police"].id,
                                                                             agencies["csc"].id)
    created = db.session.execute(db.select(AuditEvent).where(
        AuditEvent.object_type == "professional_difference", AuditEvent.action == "create")).scalar_one()
    assert created.changes["decision_id"]["to"] == decision.id and "action_id" not in created.changes

    # The difference says which decision, and links to where it was made.
    shown = officer.get(f"/differences/{difference.id}")
    assert "Raised from" in shown
    assert f'href="/discussions/{sd.id}#decision-{amy.id}"' in shown.html
    assert "The decision \u201cNo further action\u201d at the strategy discussion of 2 November 2026" in shown

    # The discussion lists it, for the officer and for the chair who must respond.
    for who in ("officer", "social_worker"):
        listed = client_for(app, cast[who]).get(f"/discussions/{sd.id}")
        assert difference.reference in listed, who
        assert "Decision for Amy Example: No further action" in listed
        assert "Stage 1 (Practitioner to practitioner)" in listed
    # Children's social care is not offered a difference against its own decision.
    assert "Disagree with this decision" not in client_for(app, cast["social_worker"]).get(f"/discussions/{sd.id}")

    # The child's timeline says which decision it is about.
    entry = next(e for e in timeline(amy, cast["officer"]) if e.kind == "Professional difference")
    assert entry.detail == "The decision \u201cNo further action\u201d at the strategy discussion of 2 November 2026"
    assert entry.url == f"/differences/{difference.id}"
    assert entry.detail in officer.get(f"/children/{amy.id}")


def test_raising_about_an_agreed_action_names_its_owner_and_asks_which_child_when_it_is_for_both(
        app, cast, agencies, discussion):
    visit, check, ben = discussion["visit"], discussion["check"], discussion["ben"]
    officer = client_for(app, cast["officer"])
    form = officer.get(f"/differences/new/action/{visit.id}")
    start = form_values(form, "against_agency_id", "responding_lead_id", "about", "theme")
    assert (start["against_agency_id"], start["responding_lead_id"], start["theme"]) == (
        str(agencies["health"].id), str(cast["nurse"].id), "agreed_action")
    assert start["about"].startswith("The action agreed at the strategy discussion of 2 November 2026 for Nurse "
                                     "(Testshire NHS) to complete by 7 Nov 2026 10:00: Health visitor to visit")
    assert "Which child is this professional difference about?" not in form  # the action is for Amy
    post_hidden(officer, f"/differences/new/action/{visit.id}", disagreement(**start))
    about_visit = db.session.execute(db.select(ProfessionalDifference)).scalar_one()
    assert (about_visit.child_id, about_visit.action_id, about_visit.decision_id) == (cast["child"].id, visit.id,
                                                                                     None)

    # The police check is for both children: the health visitor says which one the difference is about.
    nurse = client_for(app, cast["nurse"])
    url = f"/differences/new/action/{check.id}"
    shared = nurse.get(url)
    assert "Which child is this professional difference about?" in shared
    start = form_values(shared, "against_agency_id", "responding_lead_id", "about", "theme")
    assert start["against_agency_id"] == str(agencies["police"].id)
    missing = post_hidden(nurse, url, disagreement(**start), expected=200)
    assert "Select which child the professional difference is about" in missing
    assert "Police hold intelligence of domestic abuse" in missing.html  # nothing typed is lost
    tampered = post_hidden(nurse, url, disagreement(child_id="abc", **start), expected=200)
    assert "Select which child the professional difference is about" in tampered
    post_hidden(nurse, url, disagreement(child_id=str(ben.id), **start))
    about_check = db.session.execute(db.select(ProfessionalDifference).where(
        ProfessionalDifference.action_id == check.id)).scalar_one()
    assert about_check.child_id == ben.id and about_check.against_agency_id == agencies["police"].id

    page = officer.get(f"/discussions/{discussion['sd'].id}")
    assert "Action: Police check on the mother&#39;s partner (Ben Example)" in page.html
    assert "Action: Health visitor to visit Amy at home (Amy Example)" in page


def test_a_difference_must_be_about_the_child_the_decision_or_action_was_for(app, cast, agencies, discussion):
    data = {"against_agency_id": agencies["csc"].id, "responding_lead_id": cast["social_worker"].id,
            "about": "a", "concern": "b", "outcome_sought": "c", "theme": "threshold", "immediate_risk": False,
            "start_stage": 1, "skip_reason": ""}
    with pytest.raises(RuleError, match="This decision was about another child"):
        services.raise_difference(discussion["ben"], data, actor=cast["officer"], decision=discussion["decision"])
    with pytest.raises(RuleError, match="Select a child this action is for"):
        services.raise_difference(discussion["ben"], {**data, "against_agency_id": agencies["health"].id,
                                                      "responding_lead_id": cast["nurse"].id},
                                  actor=cast["officer"], action=discussion["visit"])
    assert db.session.execute(db.select(ProfessionalDifference)).first() is None


def test_nobody_raises_a_difference_on_a_discussion_they_cannot_see(app, cast, agencies, discussion, make_user):
    teacher = make_user(Role.PRACTITIONER, "education", name="Teacher")  # education was not invited
    client = client_for(app, teacher)
    decision, visit = discussion["decision"], discussion["visit"]
    client.get(f"/discussions/{discussion['sd'].id}", expected=404)
    client.get(f"/differences/new/decision/{decision.id}", expected=404)
    client.get(f"/differences/new/action/{visit.id}", expected=404)
    token = client.get("/home").csrf()
    client.post(f"/differences/new/decision/{decision.id}", {"csrf_token": token, **disagreement(
        against_agency_id=str(agencies["csc"].id), responding_lead_id=str(cast["social_worker"].id),
        about="x", theme="threshold")}, expected=404)
    client.get("/differences/new/decision/999999", expected=404)
    refusals = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "authz_fail")
                                  .order_by(AuditEvent.id)).scalars().all()
    assert [(e.object_type, e.object_id) for e in refusals] == [
        ("strategy_discussion", discussion["sd"].id), ("threshold_decision", decision.id),
        ("agreed_action", visit.id), ("threshold_decision", decision.id), ("threshold_decision", 999999)]
    assert refusals[-2].detail == f"POST /differences/new/decision/{decision.id}"
    assert db.session.execute(db.select(ProfessionalDifference)).first() is None


def test_the_discussion_lists_only_differences_the_user_may_see_without_a_query_each(
        app, cast, agencies, discussion):
    sd, decision = discussion["sd"], discussion["decision"]
    data = {"against_agency_id": agencies["csc"].id, "responding_lead_id": cast["social_worker"].id,
            "about": "a", "concern": "b", "outcome_sought": "c", "theme": "threshold", "immediate_risk": False,
            "start_stage": 1, "skip_reason": ""}
    first = services.raise_difference(cast["child"], data, actor=cast["officer"], decision=decision)
    db.session.commit()  # services flush; the test is the unit of work here
    officer = client_for(app, cast["officer"])

    def statements_for(url):
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = officer.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return page, len(seen)

    _, with_one = statements_for(f"/discussions/{sd.id}")
    more = [services.raise_difference(cast["child"], data, actor=cast["officer"], decision=decision),
            services.raise_difference(cast["child"], {**data, "against_agency_id": agencies["health"].id,
                                                      "responding_lead_id": cast["nurse"].id},
                                      actor=cast["officer"], action=discussion["visit"])]
    db.session.commit()
    page, with_three = statements_for(f"/discussions/{sd.id}")
    assert all(d.reference in page for d in [first] + more)
    assert with_three == with_one

    # The health visitor takes part in the discussion but is not involved in the first two differences.
    nurse_page = client_for(app, cast["nurse"]).get(f"/discussions/{sd.id}")
    assert first.reference not in nurse_page and more[0].reference not in nurse_page
    assert more[1].reference in nurse_page  # she answers for health in the third
    # A difference raised from a child's record is not listed on a discussion.
    unlinked = services.raise_difference(cast["child"], data, actor=cast["officer"])
    db.session.commit()
    assert unlinked.reference not in officer.get(f"/discussions/{sd.id}")


def test_someone_who_sees_the_difference_but_not_the_discussion_is_not_sent_to_it(app, cast, agencies, discussion,
                                                                                   make_user):
    difference = services.raise_difference(cast["child"], {
        "against_agency_id": agencies["csc"].id, "responding_lead_id": cast["social_worker"].id, "about": "a",
        "concern": "b", "outcome_sought": "c", "theme": "threshold", "immediate_risk": False, "start_stage": 1,
        "skip_reason": ""}, actor=cast["officer"], decision=discussion["decision"])
    db.session.commit()
    # A practitioner in the partnership business unit sees every difference, but no case record (issue 13: figures
    # only), so not the discussion it came from.
    unit = client_for(app, make_user(Role.PRACTITIONER, "partnership", name="Business Support"))
    unit.get(f"/discussions/{discussion['sd'].id}", expected=403)
    shown = unit.get(f"/differences/{difference.id}")
    assert "The decision \u201cNo further action\u201d at the strategy discussion of 2 November 2026" in shown
    assert f"/discussions/{discussion['sd'].id}" not in shown.html
