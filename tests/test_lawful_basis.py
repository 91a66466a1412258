"""Information shared names its lawful basis (chosen, never defaulted); an agency may answer "checked: nothing held"."""
import re

import pytest

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions import minutes_draft, services
from safeguarding.discussions.lawful_basis import CONSENT_WARNING, LAWFUL_BASES
from safeguarding.discussions.models import InformationShared
from safeguarding.extensions import db
from safeguarding.service import RuleError

from .discussion_data import convene, make_child, submit


def _entries():
    return db.session.execute(db.select(InformationShared).order_by(InformationShared.id)).scalars().all()


def test_the_form_starts_with_no_basis_chosen_and_refuses_without_one(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"]])
    page = client.get(f"/discussions/{sd.id}/information")
    radios = re.findall(r'<input[^>]*name="lawful_basis"[^>]*>', page.html)
    assert {re.search(r'value="([^"]+)"', r).group(1) for r in radios} == set(LAWFUL_BASES)
    assert not any("checked" in r for r in radios)
    assert "Consent is rarely the right lawful basis in safeguarding" in page
    data = {"agency_id": str(agencies["police"].id), "topic": "other", "child_id": "0", "text": "Two call-outs"}
    refused = submit(client, f"/discussions/{sd.id}/information", data, expected=200)
    assert "Select the lawful basis for sharing this information" in refused
    refused = submit(client, f"/discussions/{sd.id}/information", {**data, "lawful_basis": "legitimate_interests"},
                     expected=200)
    assert "Not a valid choice" in refused
    assert _entries() == []
    submit(client, f"/discussions/{sd.id}/information", {**data, "lawful_basis": "safeguarding"})
    [entry] = _entries()
    assert entry.lawful_basis == "safeguarding" and not entry.nothing_held
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "discussion_information")
                               ).scalar_one()
    assert event.changes["lawful_basis"] == {"to": "safeguarding"} and event.changes["text"] == {"changed": True}
    assert "Art. 9(2)(g) with DPA 2018 Sch. 1 para 18" in client.get(f"/discussions/{sd.id}")


def test_consent_is_accepted_with_a_warning(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"]])
    submit(client, f"/discussions/{sd.id}/information", {
        "agency_id": str(agencies["police"].id), "topic": "other", "child_id": "0", "text": "Mother agreed",
        "lawful_basis": "consent"})
    page = client.get(f"/discussions/{sd.id}")
    assert CONSENT_WARNING.split(":")[0] in page.text


def test_the_service_refuses_information_without_a_basis(app, agencies, make_user):
    mash = make_user(Role.MASH)
    sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"]])
    with pytest.raises(RuleError) as err:
        services.record_information(sd, {"agency_id": agencies["police"].id, "topic": "other", "text": "x"},
                                    actor=mash)
    assert err.value.field == "lawful_basis"


def test_nothing_held_is_an_answer_with_who_and_when_and_is_not_counted_as_not_shared(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"], agencies["health"]])
    with clock.frozen_at(clock.now()):
        at = clock.now()
        submit(client, f"/discussions/{sd.id}/nothing-held", {
            "agency_id": str(agencies["police"].id), "topic": "police_convictions", "child_id": str(amy.id),
            "shared_by": "DC Evans, MASH"})
    [entry] = _entries()
    assert entry.nothing_held and entry.text == "" and entry.lawful_basis is None
    assert entry.recorded_by_id == mash.id and entry.recorded_at == at and entry.shared_by == "DC Evans, MASH"
    page = client.get(f"/discussions/{sd.id}")
    assert "Checked: nothing held" in page and "checked by DC Evans, MASH" in page
    table = page.html.split('id="information-by-agency"')[1].split("</table>")[0]
    police = [row for row in table.split("<tr") if "Police" in row][0]
    cells = [cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", police)]
    assert cells == ["0", "1", "3"]  # 4 police prompts, one answered "nothing held": not counted as not shared
    assert "Previous convictions" not in page.text.split("Not asked about yet")[1]
    # Asked twice, or contradicted by information on the same topic: refused on the topic.
    again = submit(client, f"/discussions/{sd.id}/nothing-held", {
        "agency_id": str(agencies["police"].id), "topic": "police_convictions", "child_id": str(amy.id),
        "shared_by": "DC Evans"}, expected=200)
    assert "already answered" in again
    db.session.refresh(sd)
    assert "checked, nothing held (checked by DC Evans, MASH)" in minutes_draft.draft(sd)
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.object_type == "discussion_information")
                               ).scalar_one()
    assert event.changes["nothing_held"] == {"to": True} and event.user_id == mash.id


def test_nothing_held_needs_who_checked(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    amy = make_child()
    sd = convene(mash, [amy], [agencies["csc"], agencies["police"]])
    page = submit(client, f"/discussions/{sd.id}/nothing-held", {
        "agency_id": str(agencies["police"].id), "topic": "police_convictions", "child_id": str(amy.id)},
        expected=200)
    assert "Enter who checked (name and role)" in page
    assert _entries() == []
