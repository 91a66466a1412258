"""Demo data that tells a story a visitor can follow (`flask seed-demo`, loaded by `make run` on first run).

The password for every demo user comes from DEMO_PASSWORD, or is generated once and kept in
instance/demo-password (never in the repository); `make run` prints it.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from .auth import mfa, services
from .auth.models import Agency, AgencyKind, Role, User
from . import clock
from .extensions import db

AGENCIES = [
    ("Northshire Children's Social Care", AgencyKind.CHILDRENS_SOCIAL_CARE, "mash@northshire.example.org"),
    ("Northshire Police", AgencyKind.POLICE, "mash.police@northshire-police.example.org"),
    ("Northshire Health (NHS)", AgencyKind.HEALTH, "safeguarding@northshire-nhs.example.org"),
    ("Riverside Academy", AgencyKind.EDUCATION, "dsl@riverside-academy.example.org"),
    ("Northshire Probation", AgencyKind.PROBATION, None),
    ("Northshire Housing", AgencyKind.HOUSING, None),
    ("Northshire Youth Justice Service", AgencyKind.YOUTH_JUSTICE, None),
    ("Safe Families Northshire", AgencyKind.VOLUNTARY, None),
]

#: (name, email, agency index, job title, role, manager email)
USERS = [
    ("Alex Admin", "admin@example.org", 0, "System administrator", Role.ADMIN, None),
    ("Morgan Manager", "csc.manager@example.org", 0, "MASH team manager", Role.MANAGER, None),
    ("Sam Patel", "mash@example.org", 0, "MASH social worker", Role.MASH, "csc.manager@example.org"),
    ("Jo Williams", "social.worker@example.org", 0, "Social worker", Role.PRACTITIONER, "csc.manager@example.org"),
    ("Inspector Priya Shah", "police.manager@example.org", 1, "Detective inspector", Role.MANAGER, None),
    ("DC Chris Evans", "police@example.org", 1, "Detective constable, MASH", Role.PRACTITIONER,
     "police.manager@example.org"),
    ("Dr Helen Okafor", "health.manager@example.org", 2, "Named nurse for safeguarding", Role.MANAGER, None),
    ("Nurse Ruth Green", "health@example.org", 2, "Health visitor", Role.PRACTITIONER, "health.manager@example.org"),
    ("Mr Tom Brown", "school@example.org", 3, "Designated safeguarding lead", Role.PRACTITIONER, None),
]


def demo_password(app) -> str:
    value = os.environ.get("DEMO_PASSWORD")
    if value:
        return value
    path = Path(app.instance_path) / "demo-password"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text("-".join(secrets.choice(_WORDS) for _ in range(3)) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


_WORDS = ["copper", "meadow", "lantern", "harbour", "violet", "granite", "orchard", "thistle", "compass",
          "saffron", "willow", "pebble", "juniper", "quartz", "falcon", "marble", "cobalt", "heather"]


def seed(password: str) -> str:
    agencies = []
    for name, kind, mailbox in AGENCIES:
        agency = db.session.execute(db.select(Agency).where(Agency.name == name)).scalar_one_or_none()
        if agency is None:
            agency = services.create_agency({"name": name, "kind": kind.value, "shared_mailbox": mailbox,
                                             "is_active": True})
        agencies.append(agency)
    users = {}
    for name, email, agency_index, title, role, manager_email in USERS:
        user = services.find_user_by_email(email)
        if user is None:
            user = services.create_user(
                {"name": name, "email": email, "agency_id": agencies[agency_index].id, "job_title": title,
                 "role": role.value,
                 "line_manager_id": users[manager_email].id if manager_email else None},
                password, chosen_by_owner=True,  # demo users share the one demo password on purpose
            )
            mfa.enrol_for_demo(user)  # `flask mfa-code EMAIL` gives the code: the demo needs no phone
        users[email] = user
    db.session.commit()  # the people exist before each feature's part of the story refers to them
    story = _seed_story(users, agencies)
    db.session.commit()  # the story is one unit of work: features' services only flush
    from .reports import summaries

    summaries.refresh_all(clock.now())  # the reports show the demo's figures at once, not "not worked out yet"
    return f"Demo data loaded: {len(agencies)} agencies, {len(users)} users{story}"


def _seed_story(users: dict[str, User], agencies: list[Agency]) -> str:
    """Children, discussions and the rest, each feature telling its part of the story."""
    from .differences import demo as differences
    from .discussions import demo as discussions
    from .missing import demo as missing

    parts = [feature.seed(users, agencies) for feature in (discussions, missing, differences)]
    return "".join(f"; {p}" for p in parts if p)
