"""Kill the email delivery process with SIGKILL in the middle of its pass, again and again, then let a pass finish:
is every reminder delivered, and how many are delivered twice?

    python benchmarks/delivery_kills.py [--kills 20] [--recipients 300] [--database-url URL]

Each recipient has one pending notification, so exactly one email each is right. The relay is a real SMTP server
(aiosmtpd) in this process; each delivery pass runs in a child process (`--worker`) and is killed after a random
0.05-1.0 s. A killed pass's lease (15 minutes) is skipped by giving each pass a later "now". Reported: emails
received, recipients reached, duplicates by recipient, and duplicates that carried a Message-ID already received
(which mail systems treat as the same message).
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _app(url: str, smtp_port: int):
    from config import TestConfig
    from safeguarding import create_app

    cfg = TestConfig()
    cfg.SQLALCHEMY_DATABASE_URI, cfg.SQLALCHEMY_ENGINE_OPTIONS = url, {}
    cfg.SMTP_HOST, cfg.SMTP_PORT, cfg.SMTP_TIMEOUT, cfg.MAIL_FROM = "127.0.0.1", smtp_port, 5, "reminders@bench.example"
    return create_app(cfg)


def worker(url: str, port: str, now_iso: str) -> None:
    from datetime import datetime

    from safeguarding.reminders.delivery import deliver

    app = _app(url, int(port))
    with app.app_context():
        deliver(datetime.fromisoformat(now_iso))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)

    from safeguarding import clock
    from safeguarding.auth.models import Agency, User
    from safeguarding.extensions import db
    from safeguarding.reminders import delivery
    from safeguarding.reminders.models import PENDING, Notification
    from tests.smtp_server import SmtpServer

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/kills.sqlite"
    server = SmtpServer().start()
    app = _app(url, server.port)
    now = clock.now()
    with app.app_context():
        db.drop_all()
        db.create_all()
        agency = Agency(name="Bench CSC", kind="childrens_social_care")
        db.session.add(agency)
        db.session.flush()
        users = [User(name=f"Person {n}", email=f"person{n}@bench.example", agency_id=agency.id, role="practitioner",
                      job_title="", password_hash="x") for n in range(args.recipients)]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all([Notification(rule="action_assigned", object_type="agreed_action", object_id=n + 1,
                                         level="notice", recipient_id=u.id, kind="action_assigned", title="x",
                                         url="/", email_state=PENDING, next_attempt_at=now, created_at=now)
                            for n, u in enumerate(users)])
        db.session.commit()

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    at = now
    for _ in range(args.kills):
        at += delivery.LEASE + timedelta(seconds=1)  # the last killed pass's lease has run out
        proc = subprocess.Popen([sys.executable, __file__, "--worker", url, str(server.port), at.isoformat()],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with app.app_context():
        for _ in range(5):
            at += delivery.LEASE + timedelta(seconds=1)
            delivery.deliver(at)
        pending = db.session.execute(db.select(db.func.count()).select_from(Notification)
                                     .where(Notification.email_state == PENDING)).scalar_one()
    time.sleep(0.5)
    server.stop()
    received = server.messages
    per_recipient = Counter(m["To"] for m in received)
    ids = Counter(m["Message-ID"] for m in received)
    duplicates = sum(n - 1 for n in per_recipient.values())
    same_id = sum(n - 1 for n in ids.values())
    print(f"kills={args.kills} recipients={args.recipients} emails={len(received)} reached={len(per_recipient)} "
          f"lost={args.recipients - len(per_recipient)} duplicates={duplicates} "
          f"duplicates_with_a_repeated_message_id={same_id} still_pending={pending}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:5])
    else:
        main()
