"""Every page each kind of user can reach, and each form's error state, passes axe-core (WCAG 2.2 AA).

A crawler signs in as each role of the demo partnership, follows the links it is shown, and checks one page of each
kind (the same path with other ids counts once), then submits each form it finds empty and checks the error page.
Forms whose button would change something without asking anything (confirm, sign out, acknowledge) are left alone.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from safeguarding.demo import seed

from .browser import axe_violations, sign_in

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
#: MASH reaches nearly every kind of case page; a manager adds reports and team views; police the missing-children
#: forms; the administrator the admin pages. A social worker's pages are the same kinds as these.
ROLES = ["mash@example.org", "csc.manager@example.org", "police@example.org", "admin@example.org"]
#: links not to follow: leaving, downloading, or a page that acts when opened
SKIP = re.compile(r"/sign-out|\.csv|\.xml|\.json|/export|/static/|/healthz|mailto:|#")
HARMLESS_FORMS = re.compile(r"(?i)^(yes|confirm|sign out|acknowledge|mark all|cancel|remove|deactivate|reactivate|"
                            r"reset|delete|extend|end|close|search|find|filter|show|apply|update)")


def _kind(path: str) -> str:
    return re.sub(r"/\d+", "/{id}", path)


def test_every_reachable_page_and_form_error_passes_axe(browser_app, browser_page):
    seed(DEMO)
    page = browser_page
    checked: set[str] = set()
    problems: list[str] = []
    forms_checked = 0
    for email in ROLES:
        page.context.clear_cookies()
        sign_in(page, email, DEMO)
        queue, seen = ["/home"], {"/home"}
        while queue and len(seen) < 400:
            path = queue.pop(0)
            if path != "/home" and _kind(urlsplit(path).path) in checked:
                continue  # another page of a kind already checked (found twice before its first visit)
            response = page.goto(path)
            if response is None or response.status >= 400 or urlsplit(page.url).path.startswith("/sign-in"):
                continue
            kind = _kind(urlsplit(page.url).path)
            if kind not in checked:
                checked.add(kind)
                for violation in axe_violations(page):
                    problems.append(f"{email} {page.url}: {violation}")
                buttons = page.locator("main form[method=post] :is(button, input)[type=submit]:visible")
                if buttons.count():
                    label = (buttons.first.inner_text() or buttons.first.get_attribute("value") or "").strip()
                    if label and not HARMLESS_FORMS.match(label) and page.locator(
                            "main form[method=post] :is(input[type=text], textarea):visible").count():
                        buttons.first.click()
                        page.wait_for_load_state()
                        if "Error:" in page.title():
                            forms_checked += 1
                            for violation in axe_violations(page):
                                problems.append(f"{email} {page.url} (error state): {violation}")
                        page.goto(path)
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                if not href or not href.startswith("/") or SKIP.search(href):
                    continue
                target = href.split("#")[0]
                if target not in seen and _kind(urlsplit(target).path) not in checked:
                    seen.add(target)
                    queue.append(target)
        page.get_by_role("button", name="Sign out").click()
    print(f"crawl: {len(checked)} kinds of page, {forms_checked} error states")
    assert len(checked) >= 40, sorted(checked)  # the crawl reached most of the service
    assert forms_checked >= 10
    assert problems == []
