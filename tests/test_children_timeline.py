"""A child's timeline a page at a time, newest first; what a page costs does not grow with the child's history; and
the children list's count of the restricted records it leaves out."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Role
from safeguarding.discussions.models import AgreedAction
from safeguarding.extensions import db

from .discussion_data import convene, make_child


def _child_with_actions(chair, agencies, count: int):
    """A child in one discussion with `count` agreed actions, created a day apart: "Action 1" the oldest."""
    child = make_child()
    sd = convene(chair, [child], [agencies["police"]])
    start = clock.now() - timedelta(days=count + 1)
    db.session.add_all([AgreedAction(discussion_id=sd.id, child_id=child.id, description=f"Action {n}",
                                     owner_id=chair.id, owner_agency_id=chair.agency_id,
                                     due_at=clock.now() + timedelta(days=7), created_at=start + timedelta(days=n))
                        for n in range(1, count + 1)])
    db.session.commit()
    return child


def _shown_actions(page) -> set[str]:
    return {f"Action {n}" for n in range(1, 100) if f">Action {n}</a>" in page.html}


def test_the_timeline_shows_the_newest_entries_and_pages_on_to_older_ones(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    child = _child_with_actions(mash, agencies, 60)
    first = client.get(f"/children/{child.id}")
    # 25 entries a page, newest first: the discussion (scheduled for later today), the record (created today), and
    # the 23 newest actions
    assert _shown_actions(first) == {f"Action {n}" for n in range(38, 61)}
    assert "Initial strategy discussion" in first and "record created" in first
    assert "Older entries" in first and "Newer entries" not in first
    second = client.get(f"/children/{child.id}?page=2")
    assert _shown_actions(second) == {f"Action {n}" for n in range(13, 38)}
    assert "record created" not in second
    assert "Older entries" in second and "Newer entries" in second
    last = client.get(f"/children/{child.id}?page=3")
    assert _shown_actions(last) == {f"Action {n}" for n in range(1, 13)}
    assert "Older entries" not in last
    beyond = client.get(f"/children/{child.id}?page=9")
    assert "go to the newest entries" in beyond and not _shown_actions(beyond)
    # every page of the record is a view of it, and audited as one
    views = db.session.execute(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action == "view", AuditEvent.object_type == "child", AuditEvent.object_id == child.id)).scalar()
    assert views == 4


def _statements_and_page(client, child):
    """The statements the child's page runs (each on one line), once its session's first request is done, and the
    page."""
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    client.get(f"/children/{child.id}")
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get(f"/children/{child.id}")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return seen, page


def _statements_on_child_page(client, child):
    seen, page = _statements_and_page(client, child)
    return len(seen), page


def test_a_childs_page_runs_the_same_statements_however_long_the_timeline(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    short, short_page = _statements_on_child_page(client, _child_with_actions(mash, agencies, 2))
    long, long_page = _statements_on_child_page(client, _child_with_actions(mash, agencies, 80))
    assert short == long
    # and the page shows a page of the timeline, not its length
    assert len(_shown_actions(long_page)) == 23 and len(_shown_actions(short_page)) == 2


def test_the_children_list_counts_restricted_records_out_of_sight_up_to_a_cap(signed_in, monkeypatch):
    from safeguarding.children import views
    from safeguarding.children.models import Child

    client, mash = signed_in(Role.MASH)
    db.session.add_all([Child(first_name=f"Hidden{n}", last_name="Example", created_by_agency_id=mash.agency_id,
                              restricted=True) for n in range(4)])
    db.session.commit()
    assert "4 restricted records are not shown" in client.get("/children/")
    monkeypatch.setattr(views, "OUT_OF_SIGHT_CAP", 3)
    page = client.get("/children/")
    assert "More than 3 restricted records are not shown" in page and "Hidden" not in page.markup


def test_a_childs_open_prompts_cost_no_statement_each(signed_in, make_user):
    from safeguarding.missing.models import DiscussionPrompt, MissingEpisode

    client, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")

    def child_with_prompts(count: int):
        child = make_child()
        start = clock.now() - timedelta(days=20)
        episodes = [MissingEpisode(child_id=child.id, reported_missing_at=start + timedelta(days=n),
                                   returned_at=start + timedelta(days=n, hours=5), missing_from="home",
                                   risk_level="medium", recorded_by_id=officer.id,
                                   recorded_by_agency_id=officer.agency_id) for n in range(3 * count)]
        db.session.add_all(episodes)
        db.session.flush()
        db.session.add_all([DiscussionPrompt(child_id=child.id, reason="repeat_missing", object_type="missing_episode",
                                             object_id=episodes[3 * n + 2].id) for n in range(count)])
        db.session.commit()
        return child

    one, one_page = _statements_on_child_page(client, child_with_prompts(1))
    three, three_page = _statements_on_child_page(client, child_with_prompts(3))
    assert one == three
    # each prompt still says which episodes are behind it (the fullest window holding the one that raised it: all
    # nine of the second child's fall within 30 days)
    assert one_page.html.count("Missing 3 times from") == 1
    assert three_page.html.count("Missing 9 times from") == 3


def test_every_kind_of_entry_takes_its_place_in_one_statement(signed_in, agencies):
    """Discussions, a decision, an action, a removal, a legal hold set and released: each entry newest first with
    what it says, and the page runs no more statements than for a child with none of them."""
    import re

    from safeguarding.discussions import services as discussions
    from safeguarding.retention import services as retention
    from safeguarding.service import transaction

    from .discussion_data import attend, decision_data

    client, mash = signed_in(Role.MASH)
    start = clock.now() - timedelta(days=40)
    with clock.frozen_at(start):
        amy, other = make_child("Amy", "Timeline"), make_child("Ben", "Timeline")
        decided = convene(mash, [amy], [agencies[k] for k in ("csc", "police", "health")],
                          scheduled_at=start + timedelta(hours=2))
        left = convene(mash, [amy, other], [agencies["police"]], scheduled_at=start + timedelta(days=1))
    with clock.frozen_at(start + timedelta(hours=3)):
        attend(decided, mash)
        with transaction():
            discussions.record_decision(decided, amy.id, decision_data(outcome="s47_single"), actor=mash)
    db.session.add(AgreedAction(discussion_id=decided.id, child_id=amy.id, description="Visit the grandmother",
                                owner_id=mash.id, owner_agency_id=mash.agency_id, status="done",
                                due_at=start + timedelta(days=3), created_at=start + timedelta(hours=4)))
    db.session.commit()
    with clock.frozen_at(start + timedelta(days=2)), transaction():
        discussions.remove_child(left, amy.id, "A cousin, not a sibling", actor=mash, expected_version=left.version)
    with clock.frozen_at(start + timedelta(days=3)), transaction():
        retention.set_hold(amy, "Civil claim", actor=mash)
    with clock.frozen_at(start + timedelta(days=4)), transaction():
        retention.release_hold(amy, "Claim settled", actor=mash)

    plain, _ = _statements_on_child_page(client, make_child("Cara", "Timeline"))
    full, page = _statements_on_child_page(client, amy)
    assert full == plain
    timeline = page.html.split('id="timeline"')[1].split("</ol>")[0]
    shown = [t.strip() for t in re.findall(r"<strong[^>]*govuk-tag[^>]*>(.*?)</strong>", timeline, re.S)]
    assert shown == ["Legal hold", "Legal hold", "Strategy discussion", "Agreed action", "Decision",
                     "Strategy discussion", "Record"], shown
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", timeline))
    order = [text.index(words) for words in (
        "Legal hold released", "Records put on legal hold", f"By {mash.name}", "Removed from a strategy discussion",
        "Visit the grandmother", "Done; owner", "Section 47", "ICPC due by", "Initial strategy discussion",
        "record created")]
    assert order == sorted(order), text
    assert "Civil claim" not in timeline  # a hold's reason may name proceedings
    assert f'href="/discussions/{decided.id}#decision-{amy.id}"' in timeline
    assert f'href="/discussions/{left.id}#removed-children"' in timeline


def test_a_childs_family_adversity_reports_cost_no_statement_each(signed_in, make_user):
    """Each report names who made it and their agency (the timeline and the reports' table): read with the child."""
    from safeguarding.children import services

    client, mash = signed_in(Role.MASH)
    reporters = [make_user(Role.PRACTITIONER, agency) for agency in ("police", "health", "education", "csc")]

    def child_with_reports(people):
        child = make_child()
        for person in people:
            services.record_adversity(child, "domestic_abuse", f"Seen by {person.name}", actor=person)
        db.session.commit()
        return child

    one, _ = _statements_on_child_page(client, child_with_reports(reporters[:1]))
    four, page = _statements_on_child_page(client, child_with_reports(reporters))
    assert one == four
    assert all(f"Reported by {person.name}" in page for person in reporters)
    # the reports' list says whose agency each came from (only the names are read with them)
    assert all(f"by {person.name}, {person.agency.name}" in page for person in reporters)


def test_a_childs_page_reads_only_the_sections_the_child_has(signed_in, make_user):
    """Most children have no missing episodes, police protection, protection orders, arrests, prompts, differences or
    family adversity reports: the page asks which they have with the child, and reads none of those tables for a child
    who has none. Once the child has some, the page shows them."""
    from safeguarding.children import services
    from safeguarding.missing.models import MissingEpisode

    client, mash = signed_in(Role.MASH)
    officer = make_user(Role.PRACTITIONER, "police")
    child = make_child("Dana", "Sections")
    sections = ("missing_episode", "police_protection", "emergency_protection_order", "child_arrest",
                "missing_discussion_prompt", "professional_difference", "family_adversity")

    def read_from(statements, table):
        # a statement reading the table's rows names its columns first (the child's own statement only asks
        # EXISTS of each, in its column list)
        return [s for s in statements if s.startswith(f"SELECT {table}.")]

    statements, page = _statements_and_page(client, child)
    assert "Dana" in page.html
    assert {table: read_from(statements, table) for table in sections} == {table: [] for table in sections}
    plain = len(statements)

    db.session.add(MissingEpisode(child_id=child.id, reported_missing_at=clock.now() - timedelta(days=3),
                                  returned_at=clock.now() - timedelta(days=2), missing_from="home",
                                  risk_level="medium", recorded_by_id=officer.id,
                                  recorded_by_agency_id=officer.agency_id))
    services.record_adversity(child, "domestic_abuse", "Seen by the school nurse", actor=officer)
    db.session.commit()
    statements, page = _statements_and_page(client, child)
    assert read_from(statements, "missing_episode") and read_from(statements, "family_adversity")
    assert len(statements) > plain
    assert "Reported missing from" in page.html
    assert f"Reported by {officer.name}" in page.html
