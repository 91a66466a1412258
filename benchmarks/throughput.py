"""Throughput of one page under gunicorn against the floor page under gunicorn, and the workers' memory after it.

Issue 14 asks that My work, served by gunicorn with 2 workers, answers at least half as many requests a second
as the floor page (bare Flask + Jinja, the same GOV.UK layout and a table of the same rows from memory, see
`pages.py`) served the same way, with no errors, and that each worker stays within 150 MB resident afterwards.

    DEMO_PASSWORD=... PYTHONPATH=. .venv/bin/python benchmarks/throughput.py \\
        --database-url "postgresql+psycopg://postgres@/bench10?host=/tmp/pgdev" --who csc.manager --url /my-work

Each server is started the way the Procfile starts the web process (`gunicorn --workers 2`, plus the Procfile's
`--max-requests`), the page's people sign in once per client over HTTP, and `--clients` threads request the page
back to back, then the floor page, taking turns (`--rounds`) until each has had `--seconds`: a machine that slows
down during the run slows both alike (one 30 s block each made the ratio swing from 0.45 to 0.62 between two runs).
Sign-in codes are off for the run (MFA_REQUIRED=0): the page is measured, not the sign-in. Both servers run on
this machine alongside the clients; read the ratio, not the absolute numbers.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess  # nosec B404 - starts gunicorn, our own server, with fixed arguments
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "synthetic.example"
ROW = re.compile(r'<tr class="govuk-table__row"')
WORKERS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_options() -> list[str]:
    """The web process's gunicorn options from the Procfile (workers, recycling), less its bind and logging."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    words = line.split()[2:]  # after "web:" and the gunicorn path
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--bind", "-b", "--access-logfile"):
            skip = True
            continue
        if ":" in word and not word.startswith("-"):
            continue  # the app itself
        kept.append(word)
    return kept


def serve(target: str, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(  # nosec B603 - fixed command, our own app
        [sys.executable, "-m", "gunicorn", *procfile_options(), "-b", f"127.0.0.1:{port}", target],
        env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code in (200, 404):
                return server, base
        except requests.RequestException:
            pass
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()}")
        time.sleep(0.3)
    stop(server)
    sys.exit("gunicorn did not answer within 90 s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def worker_rss_mb(server: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker (the master's children), in MB."""
    found = []
    for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split():
        status = Path(f"/proc/{pid}/status").read_text()
        found.append(int(status.split("VmRSS:")[1].split()[0]) / 1024)
    return found


def signed_in(base: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/sign-in", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if not token:
        sys.exit("no CSRF token on the sign-in page")
    done = session.post(f"{base}/sign-in", data={"csrf_token": token.group(1), "email": email, "password": password},
                        allow_redirects=False, timeout=30)
    if done.status_code != 302 or session.get(f"{base}/home", timeout=30).status_code != 200:
        sys.exit(f"could not sign in as {email}: {done.status_code}")
    return session


def hammer(sessions: list[requests.Session], url: str, seconds: float) -> tuple[list[float], int, int]:
    """Each session requests `url` back to back until time is up: (latencies, successes, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(session: requests.Session) -> None:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                ok = session.get(url, timeout=60, allow_redirects=False).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, len(latencies), errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database loaded by `flask seed-synthetic`")
    parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD"))
    parser.add_argument("--who", default="csc.manager", help="the synthetic person (before @synthetic.example)")
    parser.add_argument("--url", default="/my-work")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30, help="for the page, and again for the floor page")
    parser.add_argument("--rounds", type=int, default=3, help="turns the page and the floor page take")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    if not args.password:
        parser.error("give --password or set DEMO_PASSWORD")

    env = {**os.environ, "APP_ENV": "development", "PYTHONPATH": str(ROOT), "DATABASE_URL": args.database_url,
           "SECRET_KEY": secrets.token_hex(32), "MFA_REQUIRED": "0", "RATELIMIT_ENABLED": "0",
           "SESSION_COOKIE_SECURE": "0", "SMTP_HOST": "", "LOG_LEVEL": "WARNING"}
    app_server, base = serve("app:app", env, args.log_dir / "throughput-app.log")
    floor_server = None
    try:
        floor_server, floor_base = serve("benchmarks.pages:floor_wsgi()", env, args.log_dir / "throughput-floor.log")
        sessions = [signed_in(base, f"{args.who}@{DOMAIN}", args.password) for _ in range(args.clients)]
        first = sessions[0].get(f"{base}{args.url}", timeout=120)
        if first.status_code != 200:
            sys.exit(f"{args.url} answered {first.status_code}")
        rows = len(ROW.findall(first.text))
        floor_sessions = [requests.Session() for _ in range(args.clients)]
        page_url, floor_url = f"{base}{args.url}", f"{floor_base}/floor?rows={rows}"
        hammer(sessions, page_url, min(5.0, args.seconds))  # warm both workers of each
        hammer(floor_sessions, floor_url, min(5.0, args.seconds))
        # page and floor take turns, so a machine that slows down or speeds up during the run moves both alike
        page_times, floor_times, page_ok, floor_ok, page_errors, floor_errors = [], [], 0, 0, 0, 0
        for _ in range(args.rounds):
            times, ok, errors = hammer(sessions, page_url, args.seconds / args.rounds)
            page_times, page_ok, page_errors = page_times + times, page_ok + ok, page_errors + errors
            times, ok, errors = hammer(floor_sessions, floor_url, args.seconds / args.rounds)
            floor_times, floor_ok, floor_errors = floor_times + times, floor_ok + ok, floor_errors + errors
        rss = worker_rss_mb(app_server)
    finally:
        stop(app_server)
        if floor_server is not None:
            stop(floor_server)

    page_rate, floor_rate = page_ok / args.seconds, floor_ok / args.seconds
    print(f"{args.url} as {args.who}: {rows} table rows; gunicorn {WORKERS} workers ({' '.join(procfile_options())}),"
          f" {args.clients} clients, {args.seconds:.0f} s each in {args.rounds} turns")
    print("| Server | requests/s | p50 ms | p95 ms | errors |")
    print("|---|---|---|---|---|")
    for name, rate, times, errs in (("page", page_rate, page_times, page_errors),
                                    ("floor", floor_rate, floor_times, floor_errors)):
        ordered = sorted(times) or [0.0]
        print(f"| {name} | {rate:.1f} | {statistics.median(ordered) * 1000:.0f} "
              f"| {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} | {errs} |")
    print(f"page throughput / floor's: {page_rate / floor_rate:.2f}")
    print("worker RSS after the load: " + ", ".join(f"{r:.0f} MB" for r in rss))


if __name__ == "__main__":
    main()
