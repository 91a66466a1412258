"""Every page each kind of user can reach, and each form's error state, passes axe-core (WCAG 2.2 AA), shows the
GOV.UK focus style on every control (WCAG 2.4.7), reflows at 320 px (WCAG 1.4.10: it never scrolls sideways), and
keeps its status tags to a word or two (the detail sits beside the tag).

A crawler signs in as each role of the demo partnership, follows the links it is shown, and checks one page of each
kind for that role (the same path with other ids counts once), then submits each form on it empty and checks the error
page. Forms whose button would change something without asking anything (confirm, sign out, acknowledge) are left
alone. The number of page states checked is printed, and quoted in the accessibility statement.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from safeguarding.demo import seed

from .browser import axe_violations, sign_in
from .keyboard import focus_problems

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
#: one user of each role, and the kinds of page each reaches at least: MASH nearly every kind of case page, a manager
#: reports and team views too, a police practitioner the missing-children forms, the administrator the admin pages.
#: (A social worker's pages are the same kinds as the police practitioner's.) One test each, so that `make test`
#: shares them between its two passes.
ROLES = {"mash@example.org": 38, "csc.manager@example.org": 45, "police@example.org": 25, "admin@example.org": 15}
#: links not to follow: leaving, downloading, or a page that acts when opened
SKIP = re.compile(r"/sign-out|\.csv|\.xml|\.json|/export|/static/|/healthz|mailto:|#")
HARMLESS_FORMS = re.compile(r"(?i)^(yes|confirm|sign out|acknowledge|mark all|cancel|remove|deactivate|reactivate|"
                            r"reset|delete|extend|end|close|search|find|filter|show|apply|update)")
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 320, "height": 800}
#: what makes a page wider than the screen: the first few elements that stick out past its right edge
SIDEWAYS = """() => {
    const root = document.documentElement, width = root.clientWidth;
    if (root.scrollWidth <= width) return null;
    return [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.app-table-scroll'))
        .slice(-3).map(e => `${e.tagName.toLowerCase()}.${e.className} "${(e.textContent || '').trim().slice(0, 30)}"`);
}"""


def _kind(path: str) -> str:
    return re.sub(r"/\d+", "/{id}", path)


def _check(page, where: str, problems: list[str]) -> None:
    """axe-core and a visible focus on every control at desktop width, then the reflow at 320 px (where tables
    scroll in their own region)."""
    for violation in axe_violations(page):
        problems.append(f"{where}: {violation}")
    for unmarked in focus_problems(page):
        problems.append(f"{where}: {unmarked}")
    for tag in page.eval_on_selector_all(".govuk-tag", "els => els.map(e => e.textContent.trim())"):
        if len(tag.split()) > 3:
            problems.append(f"{where}: the tag '{tag}' says more than a state (put the detail beside it)")
    page.set_viewport_size(PHONE)
    sideways = page.evaluate(SIDEWAYS)
    if sideways is not None:
        problems.append(f"{where}: scrolls sideways at 320 px: {sideways}")
    page.set_viewport_size(DESKTOP)


def _forms_to_try(page) -> list[tuple[int, str]]:
    """The page's forms that ask something, by their place on the page and their button's words."""
    found = []
    forms = page.locator("main form[method=post]")
    for index in range(forms.count()):
        form = forms.nth(index)
        button = form.locator(":is(button, input)[type=submit]:visible").first
        if not button.count() or not form.locator(
                "input:not([type=hidden]):not([type=submit]):visible, textarea:visible, select:visible, "
                "fieldset:visible").count():
            continue
        label = (button.inner_text() or button.get_attribute("value") or "").strip()
        if label and not HARMLESS_FORMS.match(label):
            found.append((index, label))
    return found


def _submit_empty(page, index: int):
    button = page.locator("main form[method=post]").nth(index).locator(":is(button, input)[type=submit]:visible")
    with page.expect_navigation() as navigation:
        button.first.click()
    return navigation.value


@pytest.mark.parametrize(("email", "least"), ROLES.items(), ids=[r.split("@")[0] for r in ROLES])
def test_every_reachable_page_and_form_error_passes_axe_and_reflows(browser_app, browser_page, email, least):
    seed(DEMO)
    page = browser_page
    page.set_viewport_size(DESKTOP)
    sign_in(page, email, DEMO)
    problems: list[str] = []
    checked: set[str] = set()
    error_states: set[tuple[str, str]] = set()
    queue, seen = ["/home"], {"/home"}
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if _kind(urlsplit(path).path) in checked:
            continue  # another page of a kind already checked (found twice before its first visit)
        response = page.goto(path)
        if response is None or response.status >= 400 or urlsplit(page.url).path.startswith("/sign-in"):
            if response is not None and response.status >= 500:
                problems.append(f"{path}: {response.status}")
            continue
        kind = _kind(urlsplit(page.url).path)
        if kind not in checked:
            checked.add(kind)
            _check(page, page.url, problems)
            for index, label in _forms_to_try(page):
                if (kind, label) in error_states:
                    continue
                response = _submit_empty(page, index)
                if response is not None and response.status >= 500:
                    problems.append(f"{path} '{label}' submitted empty: {response.status}")
                if "Error:" in page.title():
                    error_states.add((kind, label))
                    if not page.evaluate("() => document.activeElement.closest('.govuk-error-summary') !== null"):
                        problems.append(f"{path} '{label}': the error summary does not take focus")
                    _check(page, f"{page.url} ('{label}' error state)", problems)
                page.goto(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            if not href or not href.startswith("/") or SKIP.search(href):
                continue
            target = href.split("#")[0]
            if target not in seen and _kind(urlsplit(target).path) not in checked:
                seen.add(target)
                queue.append(target)
    print(f"crawl as {email}: {len(checked) + len(error_states)} page states "
          f"({len(checked)} kinds of page, {len(error_states)} error states)")
    assert not problems, "\n".join(problems)
    assert len(checked) >= least, sorted(checked)  # the crawl reached what this role does
