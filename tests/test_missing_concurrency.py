"""Twenty officers recording the same child's disappearance at the same moment make one open episode; every other
request is told why, and none gets a server error."""
from __future__ import annotations

import os
import threading
from datetime import date, timedelta

from safeguarding import clock
from safeguarding.auth import passwords
from safeguarding.auth.models import Agency, User
from safeguarding.children.models import Child
from safeguarding.extensions import db
from safeguarding.missing.models import DiscussionPrompt, MissingEpisode

from .conftest import PASSWORD, USING_POSTGRES
from .once_forms import form_fields
from .pages import PageClient

WRITERS = 20


def test_twenty_simultaneous_reports_make_one_open_episode(app_factory, tmp_path):
    # a file, not memory, on SQLite: each writer needs its own connection, as in production
    url = os.environ["TEST_DATABASE_URL"] if USING_POSTGRES else f"sqlite:///{tmp_path / 'concurrent.sqlite'}"
    app = app_factory(SQLALCHEMY_DATABASE_URI=url,
                      SQLALCHEMY_ENGINE_OPTIONS={"pool_size": WRITERS + 5},
                      LOGIN_RATE_LIMIT="1000 per minute")
    police = Agency(name="Testshire Police", kind="police")
    db.session.add(police)
    db.session.flush()
    officers = [User(name=f"PC {n}", email=f"pc{n}@example.org", agency_id=police.id, role="practitioner",
                     password_hash=passwords.hash_password(PASSWORD)) for n in range(WRITERS)]
    child = Child(first_name="Kai", last_name="Example", date_of_birth=date(2011, 5, 4), created_by_agency_id=police.id)
    db.session.add_all([*officers, child])
    db.session.commit()
    url, emails = f"/missing/children/{child.id}/episodes/new", [o.email for o in officers]
    reported = clock.to_london(clock.now() - timedelta(hours=3))
    start = threading.Barrier(WRITERS)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def officer(n: int) -> None:
        try:
            with app.app_context():
                client = PageClient(app.test_client())
                client.sign_in(emails[n], PASSWORD)
                fields = form_fields(client, url)
                moment = reported + timedelta(minutes=n % 5)  # some identical answers, some a few minutes apart
                data = {**fields, "reported_date": [str(moment.day), str(moment.month), str(moment.year)],
                        "reported_time": moment.strftime("%H:%M"), "missing_from": "home", "risk_level": "medium"}
                db.session.remove()  # hold no connection while waiting for the others
                start.wait(timeout=30)
                statuses.append(client.request("POST", url, data=data).status_code)
                db.session.remove()
        except BaseException as err:  # noqa: BLE001 - reported below, with the thread's own traceback
            failures.append(err)

    threads = [threading.Thread(target=officer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert len(statuses) == WRITERS and all(s < 500 for s in statuses), statuses
    db.session.expire_all()
    episodes = db.session.execute(db.select(MissingEpisode)).scalars().all()
    assert len(episodes) == 1 and statuses.count(302) == 1
    assert db.session.execute(db.select(DiscussionPrompt)).first() is None
