"""`make scan`: the app as it runs (gunicorn, demo data, a throwaway SQLite database), attacked by wapiti3 and
sqlmap from their own virtualenv, gated on what they report.

- The server runs with MFA on and the session cookie as production sets it (Secure, HttpOnly): the scanners get the
  cookie of a real two-step sign-in (password, then the demo key's code), made here with requests, so they attack
  what a signed-in MASH worker (the widest case access) reaches, through the same sign-in code as everyone.
- Rate limits are off for the scan only: a scanner's thousand requests a minute would otherwise meet 429s, not the
  code under test. They have tests of their own.
- wapiti's exit code is 0 whatever it finds: its JSON report is the gate. Each finding (vulnerability or anomaly,
  such as a server error) fails the scan unless scan/allowlist.json names it with a reason.
- sqlmap is told the database (`--dbms SQLite`: without it it misses SQLite injection) and fails the scan if it
  identifies an injection point in the child search or the sign-in form.

Usage: python scan/scan.py --tools .venv-scan/bin [--keep DIR] [--user EMAIL]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from safeguarding.auth.mfa import DEMO_SECRET as DEMO_KEY  # noqa: E402  (the README's demo key)

ALLOWLIST = ROOT / "scan" / "allowlist.json"
COOKIE = "session"
#: narrow on purpose: injection, XSS, redirects, CSRF and the headers/cookies a browser relies on; not the slow
#: brute-force and fingerprinting modules, nor ssrf/xxe/log4shell, whose endpoints are hosts on the internet
WAPITI_MODULES = "xss,permanentxss,sql,exec,redirect,csrf,http_headers,cookieflags,csp"
#: pages the crawler cannot reach by links alone (POST-only results) or that would end its session
START_PAGES = ("/home", "/children/", "/discussions/", "/missing/", "/differences/", "/my-work", "/reports/",
               "/notifications", "/account")
EXCLUDED = ("/sign-out", "/account/password")  # ending the session; a form that only counts wrong passwords
#: the crawl stops at WAPITI_SCAN_SECONDS; then each active module has WAPITI_ATTACK_SECONDS. Many pages are the
#: same kind (a child, another child): a few of each directory are enough
WAPITI_SCAN_SECONDS, WAPITI_ATTACK_SECONDS, FILES_PER_DIRECTORY = 45, 12, 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Browser:
    """requests, carrying the session cookie by hand: it is Secure (as in production) and this is plain HTTP, where
    a cookie jar would rightly refuse to send it."""

    def __init__(self, base: str):
        self.base, self.cookie = base, ""

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        response = requests.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=10,
                                    **kwargs)
        if COOKIE in response.cookies:
            self.cookie = response.cookies[COOKIE]
        return response

    def token(self, path: str) -> str:
        page = self.request("GET", path)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        if not match:
            sys.exit(f"no CSRF token on {path} ({page.status_code})")
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        step = self.request("POST", "/sign-in", data={"csrf_token": self.token("/sign-in"), "email": email,
                                                      "password": password})
        if not step.headers.get("Location", "").endswith("/sign-in/code"):
            sys.exit(f"password step failed for {email}: {step.status_code}")
        for attempt in range(2):
            code = pyotp.TOTP(DEMO_KEY).now()
            done = self.request("POST", "/sign-in/code", data={"csrf_token": self.token("/sign-in/code"),
                                                               "code": code})
            if done.status_code == 302 or attempt:
                break
            time.sleep(31 - time.time() % 30)  # this half-minute's code was used already: each signs in once
        if done.status_code != 302 or self.request("GET", "/home").status_code != 200:
            sys.exit(f"code step failed for {email}: {done.status_code}")
        self.token("/children/")  # the session now holds its CSRF secret, so forms work with this one cookie


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "--graceful-timeout", "5", "-b", f"127.0.0.1:{port}",
         "--access-logfile", "-", "app:app"],
        env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()}")
        time.sleep(0.2)
    stop(server)
    sys.exit("gunicorn did not answer /healthz within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wapiti_budget() -> int:
    """Seconds wapiti may take before it counts as hung: twice the sum of its caps (the crawl's, then each module's
    in turn), plus start-up, each module's closing checks and writing the report. A module that uses all of its
    time is normal on a slow machine (CI once stopped a healthy scan at 150 s, before 45 + 9 x 12 s of capped work
    had ended); and a module stops at its cap only when the request it is waiting for returns, so on a machine busy
    with other work (another checkout's tests) a scan of 100 s took more than the caps' sum and 120 s."""
    return 2 * (WAPITI_SCAN_SECONDS + len(WAPITI_MODULES.split(",")) * WAPITI_ATTACK_SECONDS) + 120


def run_wapiti(tools: Path, base: str, cookie: str, work: Path) -> dict:
    report = work / "wapiti.json"
    command = [
        str(tools / "wapiti"), "-u", base + "/", "--scope", "folder", "-m", WAPITI_MODULES,
        "--no-bugreport",  # by default it uploads tracebacks, with target URLs, to its authors
        "--dns-endpoint", "127.0.0.1", "--endpoint", "http://127.0.0.1:9/",  # nothing leaves the machine
        "-C", f"{COOKIE}={cookie}", "--flush-session",
        "--store-session", str(work / "wapiti-session"), "--store-config", str(work / "wapiti-config"),
        "--max-scan-time", str(WAPITI_SCAN_SECONDS), "--max-attack-time", str(WAPITI_ATTACK_SECONDS),
        "--max-files-per-dir", str(FILES_PER_DIRECTORY), "--tasks", "4",
        "-v", "1", "--log", str(work / "wapiti.log"), "-f", "json", "-o", str(report),
    ]
    for path in START_PAGES:
        command += ["-s", base + path]
    for path in EXCLUDED:
        command += ["-x", base + path]
    started = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=wapiti_budget())
    except subprocess.TimeoutExpired:
        log = work / "wapiti.log"
        tail = log.read_text()[-3000:] if log.exists() else "(no log)"
        sys.exit(f"wapiti still running after {wapiti_budget()} s, twice its caps' sum and a margin; "
                 f"its log ends:\n{tail}")
    print(f"wapiti: {time.monotonic() - started:.0f} s")
    if not report.exists():
        sys.exit(f"wapiti wrote no report (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return json.loads(report.read_text())


def findings(report: dict) -> list[dict]:
    found = []
    for section in ("vulnerabilities", "anomalies"):
        for category, entries in (report.get(section) or {}).items():
            for entry in entries:
                found.append({"section": section, "category": category, "method": entry.get("method", ""),
                              "path": entry.get("path", ""), "parameter": entry.get("parameter", ""),
                              "info": entry.get("info", ""), "request": entry.get("http_request", "")})
    return found


def load_allowlist() -> list[dict]:
    entries = json.loads(ALLOWLIST.read_text())
    for entry in entries:
        if not entry.get("reason", "").strip() or not entry.get("category"):
            sys.exit(f"{ALLOWLIST.name}: every entry needs a category and a reason: {entry}")
    return entries


def allowed(finding: dict, entry: dict) -> bool:
    return (finding["category"] == entry["category"]
            and re.fullmatch(entry.get("path", ".*"), finding["path"]) is not None
            and re.fullmatch(entry.get("parameter", ".*"), finding["parameter"] or "") is not None
            and re.search(entry.get("info", ""), finding["info"] or "") is not None
            and re.search(entry.get("request", ""), finding["request"] or "") is not None)


def run_sqlmap(tools: Path, name: str, args: list[str], work: Path) -> bool:
    """True if sqlmap identified an injection point."""
    command = [str(tools / "sqlmap"), "--batch", "--dbms", "SQLite", "--disable-coloring", "--flush-session",
               "--output-dir", str(work / "sqlmap"), "--timeout", "30", "--retries", "2", *args]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    (work / f"sqlmap-{name.replace(' ', '-')}.log").write_text(output)
    injectable = "identified the following injection point" in output or re.search(
        r"parameter '[^']+' is vulnerable", output) is not None
    print(f"sqlmap {name}: {'INJECTABLE' if injectable else 'no injection found'} "
          f"({time.monotonic() - started:.0f} s)")
    lines = [line for line in output.splitlines() if line.strip()]
    if injectable:
        print("\n".join(lines[-40:]))
    elif "all tested parameters do not appear to be injectable" not in output:
        print(f"sqlmap {name} did not finish its tests:\n" + "\n".join(lines[-25:]))
        return True  # a run that could not test is not a pass
    return injectable


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", type=Path, required=True, help="the scan virtualenv's bin directory")
    parser.add_argument("--keep", type=Path, help="keep reports and logs in this directory")
    parser.add_argument("--user", default="mash@example.org")
    options = parser.parse_args()

    work = Path(options.keep or tempfile.mkdtemp(prefix="scan-"))
    work.mkdir(parents=True, exist_ok=True)
    password = "scan-" + secrets.token_hex(8)
    env = {**os.environ, "APP_ENV": "development", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": f"sqlite:///{work / 'scan.sqlite'}", "SECRET_KEY": secrets.token_hex(32),
           "DEMO_PASSWORD": password, "MFA_REQUIRED": "1", "SESSION_COOKIE_SECURE": "1",
           "RATELIMIT_ENABLED": "0", "SMTP_HOST": ""}
    (work / "scan.sqlite").unlink(missing_ok=True)
    flask(env, "db", "upgrade")
    print(flask(env, "seed-demo").strip())

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, work / "gunicorn.log")
    checks: dict[str, bool] = {}  # check -> passed
    try:  # whatever happens, the server goes
        scanner = Browser(base)
        scanner.sign_in(options.user, password)
        report = run_wapiti(options.tools, base, scanner.cookie, work)
        allowlist = load_allowlist()
        found = findings(report)
        unexpected = [f for f in found if not any(allowed(f, e) for e in allowlist)]
        accepted = len(found) - len(unexpected)
        print(f"wapiti: {len(found)} finding(s), {accepted} on the allowlist, {len(unexpected)} not")
        for finding in unexpected:
            print(f"  {finding['section']}: {finding['category']}: {finding['method']} {finding['path']} "
                  f"[{finding['parameter']}] {finding['info'][:200]}")
        for entry in allowlist:
            if not any(allowed(f, entry) for f in found):
                print(f"  (allowlist entry matched nothing this time: {entry['category']} {entry.get('path', '')})")
        checks["wapiti"] = not unexpected

        searcher = Browser(base)
        searcher.sign_in(options.user, password)
        checks["sqlmap child search"] = not run_sqlmap(options.tools, "child search", [
            "-u", f"{base}/children/", "--data", "csrf_token=x&query=Amy", "-p", "query",
            "--csrf-token", "csrf_token", "--csrf-url", f"{base}/children/",
            "--cookie", f"{COOKIE}={searcher.cookie}", "--drop-set-cookie", "--level", "1", "--risk", "1",
        ], work)
        checks["sqlmap sign-in"] = not run_sqlmap(options.tools, "sign-in form", [
            "-u", f"{base}/sign-in", "--data", "csrf_token=x&email=someone%40example.org&password=not-this-one",
            "-p", "email,password", "--csrf-token", "csrf_token", "--csrf-url", f"{base}/sign-in",
            "--level", "1", "--risk", "1",
        ], work)
        errors = [line for line in (work / "gunicorn.log").read_text().splitlines() if '" 500 ' in line]
        if errors:
            print(f"server errors during the scan: {len(errors)}, e.g. {errors[0]}")
        checks["no server errors"] = not errors
    finally:
        stop(server)
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    failed = [name for name, passed in checks.items() if not passed]
    if failed:
        print("failed: " + ", ".join(failed))
    print(f"scan: {len(checks) - len(failed)} passed, {len(failed)} failed")  # the closing line CI reads
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
