"""'Who has looked at this record' lists every page that showed the child, not only the child's own page."""
from __future__ import annotations

from safeguarding.auth.models import Role

from .discussion_data import convene, make_child


def test_a_discussion_about_the_child_is_listed_as_a_look_at_the_child(app, signed_in, agencies):
    mash_client, mash = signed_in(Role.MASH)
    child = make_child("Ava", "Looked", agency=agencies["csc"])
    sd = convene(mash, [child], [agencies["csc"], agencies["police"], agencies["health"]])
    officer_client, officer = signed_in(Role.PRACTITIONER, "police", name="DC Nosy Parker")
    officer_client.get(f"/discussions/{sd.id}")
    officer_client.get(f"/discussions/{sd.id}/record")
    manager_client, _ = signed_in(Role.MANAGER, "csc")
    page = manager_client.get(f"/audit/children/{child.id}")
    assert "DC Nosy Parker" in page
    assert "Viewed a strategy discussion" in page and "Viewed the printed record of a discussion" in page
