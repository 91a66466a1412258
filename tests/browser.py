"""Real-browser helpers: the app served on a loopback port, Debian's Chromium driven by Playwright, axe-core."""
from __future__ import annotations

import contextlib
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pyotp
from sqlalchemy import select
from werkzeug.serving import make_server

from safeguarding import clock
from safeguarding.auth.mfa import DEMO_SECRET
from safeguarding.auth.models import User
from safeguarding.extensions import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
AXE_JS = (Path(__file__).with_name("axe.min.js")).read_text()
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@contextlib.contextmanager
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE_JS)  # evaluate, not add_script_tag: the CSP rightly refuses inline scripts
    result = page.evaluate("o => axe.run(document, o)",
                           {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core found problems on {page.url}: {violations}"


def demo_code(email: str) -> str:
    """What a phone set up with the README's demo key shows now, for a demo user: a 30-second step this account
    has not used yet (each step signs in once, so a second sign-in within the same half-minute takes the next)."""
    totp = pyotp.TOTP(DEMO_SECRET)
    for _ in range(2):
        with db.engine.connect() as conn:  # the server's commits, not this test's session
            used = conn.execute(select(User.mfa_last_step).where(User.email == email)).scalar() or 0
        moment = clock.now()
        for ahead in (0, 1):
            at = moment + timedelta(seconds=30 * ahead)
            if totp.timecode(at) > used:
                return totp.at(at)
        time.sleep(31 - moment.timestamp() % 30)  # both used: the next half-minute brings a fresh one
    raise AssertionError(f"no unused sign-in code for {email} (is the clock frozen?)")


def sign_in(page, email: str, password: str, *, keyboard: bool = False) -> None:
    """Sign a demo user in as a person would: email and password, then the code from their authenticator."""
    page.goto("/sign-in")
    if keyboard:
        page.keyboard.press("Tab")  # skip link
        page.get_by_label("Email address").focus()
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        page.keyboard.press("Enter")
    else:
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
    if keyboard:
        page.wait_for_url("**/sign-in/code")
        page.get_by_label("Code").focus()
        page.keyboard.type(demo_code(email))
        page.keyboard.press("Enter")
        page.wait_for_url("**/home")
    else:
        enter_code(page, email)


def enter_code(page, email: str) -> None:
    """The second step of signing in, after the password: the code the demo user's authenticator shows now."""
    page.wait_for_url("**/sign-in/code")
    page.get_by_label("Code").fill(demo_code(email))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/home")
