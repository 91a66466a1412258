"""Real-browser helpers: the app served on a loopback port, Debian's Chromium driven by Playwright, axe-core."""
from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path

from werkzeug.serving import make_server

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
