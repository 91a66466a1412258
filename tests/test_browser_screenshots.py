"""The README's screenshots, taken by the test run: My work, a strategy discussion and the reports page on a phone
(320 px), a tablet (768 px) and a laptop (1280 px), as the MASH team manager sees them.

The clock is pinned, so the same pages give the same pictures: a file in docs/screenshots/ is rewritten only when
what it shows has changed (commit it with the change that moved it)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from safeguarding import clock
from safeguarding.demo import seed

from .browser import enter_code
from .test_browser_zoom import CUT_OFF

pytestmark = pytest.mark.browser
DEMO = "lantern-violet-orchard"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
#: a phone, a tablet and a laptop: width and height of the screen, in CSS pixels
SCREENS = [(320, 640), (768, 900), (1280, 800)]
#: a Tuesday morning in term time
AT = datetime(2026, 12, 1, 10, 0, tzinfo=clock.LONDON)


def _keep(path: Path, png: bytes) -> None:
    if not path.exists() or path.read_bytes() != png:
        path.write_bytes(png)


def test_screenshots_at_phone_tablet_and_laptop_widths(browser_app, browser_page):
    page = browser_page
    SHOTS.mkdir(parents=True, exist_ok=True)
    with clock.frozen_at(AT):
        seed(DEMO)
        page.goto("/sign-in")
        page.get_by_label("Email address").fill("csc.manager@example.org")  # a manager: team, reports, discussions
        page.get_by_label("Password", exact=True).fill(DEMO)
        page.get_by_role("button", name="Sign in").click()
        enter_code(page, "csc.manager@example.org")
        page.goto("/discussions/")
        discussion = page.locator("main table a[href^='/discussions/']").first.get_attribute("href")
        pages = {"my-work": "/my-work", "discussion": discussion, "reports": "/reports/"}
        taken = []
        for width, height in SCREENS:
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                assert page.goto(path).ok, path
                assert page.evaluate(CUT_OFF) == [], f"{path} at {width} px"
                png = page.screenshot(type="png", animations="disabled", caret="hide")
                assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 400_000
                _keep(SHOTS / f"{name}-{width}.png", png)
                taken.append(f"{name}-{width}.png")
    assert sorted(taken) == sorted(p.name for p in SHOTS.glob("*.png"))  # none left over from an old layout
