"""The accessibility statement: open to anyone, linked from every page's footer, in the GOV.UK model's form, and
honest about what does not meet WCAG 2.2 AA."""
from __future__ import annotations

from safeguarding.auth.models import Role


def test_anyone_can_read_the_statement_from_the_footer_of_the_sign_in_page(client):
    sign_in = client.get("/sign-in")
    assert 'href="/accessibility">Accessibility statement</a>' in sign_in.html
    page = client.get("/accessibility")
    assert page.title.startswith("Accessibility statement")
    text = page.text
    for heading in ("How accessible this service is", "Feedback and contact information",
                    "Reporting accessibility problems with this service", "Enforcement procedure",
                    "Technical information about this service's accessibility", "Compliance status",
                    "Non-accessible content", "What we are doing to improve accessibility",
                    "Preparation of this accessibility statement"):
        assert heading in text, heading
    assert "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard" in text
    assert "Equality and Human Rights Commission (EHRC)" in text and "Equality Commission for Northern Ireland" in text
    assert "2.2.1 (Timing Adjustable)" in text  # what is known to fail is named, with the criterion
    assert "This statement was prepared on 1 December 2026" in text
    assert "axe-core" in text and "320 pixels" in text and "forced colours" in text


def test_the_statement_gives_the_configured_contact_and_is_the_same_when_signed_in(app, signed_in):
    app.config["ACCESSIBILITY_CONTACT"] = "access@partnership.example.org"
    try:
        client, _ = signed_in(Role.PRACTITIONER, "police")
        page = client.get("/accessibility")
    finally:
        app.config["ACCESSIBILITY_CONTACT"] = ""
    assert 'href="mailto:access@partnership.example.org"' in page.html
    assert "Feedback and contact information" in page.text
