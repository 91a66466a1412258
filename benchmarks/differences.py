"""How the professional-difference reads scale: `PYTHONPATH=. python benchmarks/differences.py [count]`.

Seeds `count` differences (a quarter still open) on an in-memory SQLite database, then times the deadline
provider for one person (what "My work" asks), for everyone (what the reminder sweep asks), and the figures.
Targets: one person's deadlines under 20 ms and the figures under 200 ms at 5,000 differences.
"""
from __future__ import annotations

import sys
import time
from datetime import date, timedelta

from config import TestConfig
from safeguarding import create_app
from safeguarding.auth.models import Agency, AgencyKind, Role, User
from safeguarding.children.models import Child
from safeguarding.clock import now
from safeguarding.differences import deadlines, figures, services
from safeguarding.differences.models import DifferenceStage, ProfessionalDifference
from safeguarding.extensions import db


def seed(count: int) -> User:
    csc = Agency(name="CSC", kind=AgencyKind.CHILDRENS_SOCIAL_CARE.value)
    police = Agency(name="Police", kind=AgencyKind.POLICE.value)
    db.session.add_all([csc, police])
    db.session.flush()
    people = [User(name=f"P{i}", email=f"p{i}@x.org", agency_id=(csc if i % 2 else police).id,
                   role=Role.PRACTITIONER.value, password_hash="x") for i in range(200)]
    db.session.add_all(people)
    db.session.flush()
    policy = services.policy_in_use()
    start = now() - timedelta(days=200)
    for n in range(count):
        raiser, responder = people[(2 * n) % 200], people[(2 * n + 1) % 200]
        child = Child(first_name="C", last_name=str(n), date_of_birth=date(2015, 1, 1))
        db.session.add(child)
        db.session.flush()
        raised = start + timedelta(hours=n)
        closed = None if n % 4 == 0 else raised + timedelta(days=3)
        difference = ProfessionalDifference(
            child_id=child.id, raised_by_id=raiser.id, raised_by_agency_id=raiser.agency_id,
            against_agency_id=responder.agency_id, about="a", concern="b", outcome_sought="c", theme="threshold",
            policy_id=policy.id, status="open" if closed is None else "resolved", raised_at=raised, closed_at=closed)
        db.session.add(difference)
        db.session.flush()
        db.session.add(DifferenceStage(difference_id=difference.id, number=1, name="1", opened_at=raised,
                                       opened_by_id=raiser.id, due_at=raised + timedelta(days=7),
                                       raising_lead_id=raiser.id, responding_lead_id=responder.id,
                                       closed_at=closed, outcome=None if closed is None else "resolved"))
    db.session.commit()
    return people[0]


def timed(label: str, fn, repeat: int = 5) -> None:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    size = len(result) if isinstance(result, list) else "-"
    print(f"{label:<45} {best * 1000:8.1f} ms  (rows: {size})")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app = create_app(TestConfig())
    with app.app_context():
        db.create_all()
        person = seed(count)
        horizon = now() + timedelta(days=7)
        print(f"{count} differences")
        timed("open_deadlines, one person", lambda: deadlines.open_deadlines(due_before=horizon,
                                                                              owner_ids=[person.id]))
        timed("open_deadlines, everyone (reminder sweep)", lambda: deadlines.open_deadlines(due_before=horizon))
        timed("figures, all time", lambda: [figures.compute()])


if __name__ == "__main__":
    main()
