"""A keyboard user, in a real browser: reaches each control with Tab (or Shift+Tab when it lies behind), operates it
with Enter, Space, arrow keys and typing, never the mouse, and checks that the control it reached is visibly focused.

Visibly focused means the GOV.UK focus style: the yellow (#ffdd00) outline, background or shadow on the control
itself, or on the drawn box of a radio or checkbox (the real input is invisible). In forced colours the browser
replaces colours, so there any outline or shadow that is drawn counts.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

#: Is the focused element (or the element given) visibly marked? Returns what is wrong, or "".
FOCUS_VISIBLE = """(el) => {
    el = el || document.activeElement;
    if (!el || el === document.body) return 'nothing has focus';
    const forced = matchMedia('(forced-colors: active)').matches;
    const marked = style => {
        const yellow = v => v.includes('rgb(255, 221, 0)');
        const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
        if (forced) return outline || (style.boxShadow !== 'none' && style.boxShadow !== '');
        return (outline && yellow(style.outlineColor)) || yellow(style.backgroundColor) || yellow(style.boxShadow);
    };
    let shown = el;
    if (el.matches('.govuk-radios__input, .govuk-checkboxes__input')) {
        shown = el.parentElement.querySelector('label');
        if (marked(getComputedStyle(shown, '::before'))) return '';
    } else if (marked(getComputedStyle(el))) return '';
    const rect = shown.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return 'the focused element cannot be seen';
    return 'no visible focus on ' + el.outerHTML.slice(0, 120);
}"""

#: Every element Tab can reach on the page, focused in turn: the ones without a visible focus style.
EVERY_FOCUS_VISIBLE = """() => {
    const check_ = """ + FOCUS_VISIBLE + """;
    const drawn = e => e.matches('.govuk-radios__input, .govuk-checkboxes__input') ? e.parentElement : e;
    const reachable = [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
        .filter(e => !e.disabled && drawn(e).checkVisibility({visibilityProperty: true}));
    const problems = [];
    for (const e of reachable) {
        e.focus();
        if (document.activeElement !== e) continue;
        const wrong = check_(e);
        if (wrong) problems.push(wrong);
    }
    document.activeElement.blur();
    return problems;
}"""


def assert_focus_visible(page: Page, what: str = "") -> None:
    wrong = page.evaluate(FOCUS_VISIBLE)
    assert not wrong, f"{what or page.url}: {wrong}"


def focus_problems(page: Page) -> list[str]:
    """Each control on the page that would show no focus when reached (checked by focusing each in turn)."""
    return page.evaluate(EVERY_FOCUS_VISIBLE)


class Keyboard:
    """One person's keyboard on a page."""

    def __init__(self, page: Page):
        self.page = page
        self.keys_used: set[str] = set()

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.keys_used.add(key)

    def _focused(self, selector: str) -> bool:
        """Whether the focus is on (one of) the elements `selector` finds: any Playwright selector."""
        return self.page.locator(selector).evaluate_all("els => els.includes(document.activeElement)")

    def tab_to(self, selector: str, limit: int = 200) -> None:
        """Tab (Shift+Tab if the control lies before the focus) until `selector` has focus, then check it shows."""
        behind = self.page.locator(selector).evaluate_all("""els => {
            const here = document.activeElement;
            if (!els.length) return null;
            if (!here || here === document.body || els.includes(here)) return false;
            return !!(here.compareDocumentPosition(els[0]) & Node.DOCUMENT_POSITION_PRECEDING);
        }""")
        assert behind is not None, f"nothing on {self.page.url} matches {selector}"
        key = "Shift+Tab" if behind else "Tab"
        for _ in range(limit):
            if self._focused(selector):
                assert_focus_visible(self.page, f"{self.page.url} {selector}")
                return
            self.press(key)
        raise AssertionError(f"{key} never reached {selector} on {self.page.url}")

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.press("Control+A")  # replace what is there, as a person selecting it all would
        self.page.keyboard.type(text)

    def activate(self, selector: str, navigates: bool = True) -> None:
        """Reach a link or button and press Enter (and wait for the page it opens)."""
        self.tab_to(selector)
        if navigates:
            with self.page.expect_navigation():
                self.press("Enter")
        else:
            self.press("Enter")

    def press_button(self, name: str) -> None:
        """A button, or a link that looks like one (GOV.UK's start and secondary buttons)."""
        self.activate(f'main >> role=button[name="{name}" s]')

    def follow(self, name: str) -> None:
        self.activate(f'role=link[name="{name}" s]')

    def choose(self, name: str, value: str) -> None:
        """A radio group takes one Tab stop: Space picks the focused option, the arrow keys move the choice."""
        self.tab_to(f"input[type=radio][name='{name}']")
        if not self.page.evaluate("() => document.activeElement.checked"):
            self.press("Space")
        for _ in range(12):
            if self._focused(f"input[name='{name}'][value='{value}']:checked"):
                assert_focus_visible(self.page, f"{self.page.url} radio {name}={value}")
                return
            self.press("ArrowDown")
        raise AssertionError(f"the arrow keys never chose {value} for {name}")

    def tick(self, selector: str) -> None:
        self.tab_to(selector)
        self.press("Space")
        assert self.page.evaluate("() => document.activeElement.checked"), f"{selector} is not ticked"

    def select(self, selector: str, label: str | re.Pattern) -> None:
        """A closed select: Home goes to the first option, ArrowDown to each next one."""
        self.tab_to(selector)
        self.press("Home")
        pattern = label if isinstance(label, re.Pattern) else re.compile("^" + re.escape(label))
        for _ in range(60):
            text = self.page.evaluate("() => document.activeElement.selectedOptions[0]?.text || ''")
            if pattern.search(text):
                return
            self.press("ArrowDown")
        raise AssertionError(f"no option {label} in {selector}")

    def date(self, prefix: str, day) -> None:
        """The three boxes of a GOV.UK date: day, Tab, month, Tab, year."""
        self.tab_to(f"#{prefix}-day")
        for part, box in ((day.day, "day"), (day.month, "month"), (day.year, "year")):
            assert self._focused(f"#{prefix}-{box}")
            self.press("Control+A")
            self.page.keyboard.type(str(part))
            if box != "year":
                self.press("Tab")

    def submit_expecting_error(self, button: str, message: str) -> None:
        """Submit with something missing: the error summary takes focus and names the problem."""
        self.press_button(button)
        expect(self.page).to_have_title(re.compile("^Error: "))
        summary = self.page.locator(".govuk-error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text(message)
        assert_focus_visible(self.page, "the error summary")
