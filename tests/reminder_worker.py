"""Run in a separate process by the idempotency tests: sweep and deliver, several times, at one instant.

    python -m tests.reminder_worker DATABASE_URL NOW_ISO SMTP_PORT START_AT_EPOCH
"""
from __future__ import annotations

import sys
import time
from datetime import datetime

from safeguarding import create_app
from safeguarding.reminders.delivery import deliver
from safeguarding.reminders.sweep import sweep
from tests import reminder_provider
from tests.conftest import make_config


def main(url: str, now_iso: str, smtp_port: str, start_at: str) -> None:
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={}, SMTP_HOST="127.0.0.1",
                                 SMTP_PORT=int(smtp_port), SMTP_TIMEOUT=5))
    now = datetime.fromisoformat(now_iso)
    with app.app_context():
        reminder_provider.install()
        time.sleep(max(0.0, float(start_at) - time.time()))  # both processes start together
        created = sum(sweep(now).created for _ in range(3))
        emails = sum(deliver(now).emails for _ in range(3))
    print(f"created={created} emails={emails}")


if __name__ == "__main__":
    main(*sys.argv[1:])
