"""My work counts and pages a person's and a team's deadlines from the rows kept for it (`kept_deadlines/rows.py`,
merged with any provider that keeps none): the same deadlines, in the same order, with the same counts as reading
them all from the providers, whatever page is asked for."""
from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeguarding import clock, deadlines, synthetic
from safeguarding.auth.models import Role, User
from safeguarding.children.models import Child
from safeguarding.dashboard import views
from safeguarding.discussions.models import AgreedAction
from safeguarding.extensions import db
from safeguarding.missing import services as missing_services

from .discussion_data import convene, make_child
from .reminder_provider import london

NOW = london(2026, 12, 1, 10, 0)  # Tuesday 10:00
HORIZON = NOW + views.HORIZON
EPISODE = {"missing_from": "foster_care", "missing_from_detail": "", "police_reference": "", "risk_level": "medium",
           "indicators": [], "arrested": False, "circumstances": ""}
RETURN = {"found_where": "Friend's flat", "returned_by": "Police", "out_of_area": False, "abroad": False}


def _everything(owner_ids, now=NOW, horizon=HORIZON) -> list[deadlines.Deadline]:
    """What My work used to do: every provider's deadlines for these owners, read whole and sorted."""
    return sorted(deadlines.open_deadlines(due_before=horizon, owner_ids=owner_ids), key=deadlines.order_key)


def _owned(owner_ids, *, limit, offset=0, now=NOW, horizon=HORIZON):
    return views._owned(owner_ids, now=now, end_of_today=views._end_of_today(now), due_before=horizon,
                        limit=limit, offset=offset)


def _action(sd, owner, description, due_at) -> None:
    # straight into the table: the service refuses a due time already past, and overdue ones are wanted here
    db.session.add(AgreedAction(discussion_id=sd.id, description=description, owner_id=owner.id,
                                owner_agency_id=owner.agency_id, due_at=due_at, created_by_id=sd.chair_id))
    db.session.commit()


def _returned(child, officer, returned_at, assigned_to=None):
    episode = missing_services.record_episode(
        child, {**EPISODE, "reported_missing_at": returned_at - timedelta(hours=5)}, actor=officer)
    missing_services.record_return(episode, {**RETURN, "returned_at": returned_at}, actor=officer,
                                   expected_version=episode.version)
    episode.return_interview.assigned_to_id = assigned_to.id if assigned_to else None
    db.session.commit()
    return episode.return_interview


def _team_rows(page) -> list[tuple[str, str, str]]:
    """(link, what, whose) of each row of the team's table, top to bottom."""
    table = re.search(r'<table class="govuk-table" id="team-deadlines">(.*?)</table>', page.html, re.S).group(1)
    rows = re.findall(r'<a class="govuk-link" href="([^"]+)">([^<]*)</a>.*?</td>\s*<td class="govuk-table__cell">'
                      r'[^<]*</td>\s*<td class="govuk-table__cell">([^<]*)</td>', table, re.S)
    return [(href, html.unescape(title), html.unescape(whose)) for href, title, whose in rows]


@pytest.fixture
def busy_team(app, chase, signed_in, make_user, agencies):
    """A CSC manager whose team (a social worker, a police officer, a deputy manager) has deadlines from three
    providers (agreed actions, return home interviews, the tests' own), interleaved in time, and the authority's
    unassigned interviews (the deputy's as a manager of the authority)."""
    with clock.frozen_at(NOW):
        client, manager = signed_in(Role.MANAGER, "csc")
        worker = make_user(Role.PRACTITIONER, "csc", name="Jo Worker", manager=manager)
        officer = make_user(Role.PRACTITIONER, "police", name="Pat Officer", manager=manager)
        deputy = make_user(Role.MANAGER, "csc", name="Dee Deputy", manager=manager)
        make_user(Role.PRACTITIONER, "csc", name="Not In Team")
        mash = make_user(Role.MASH, "csc")
        sd = convene(mash, [make_child()], [agencies["csc"], agencies["police"], agencies["health"]])
        for hours, owner in ((-50, worker), (-3, officer), (2, worker), (30, officer), (75, worker), (140, worker)):
            _action(sd, owner, f"Action due at {hours} hours", NOW + timedelta(hours=hours))
        child = Child(first_name="Kai", last_name="Example", date_of_birth=date(2012, 3, 1),
                      created_by_agency_id=agencies["csc"].id)
        other = Child(first_name="Tia", last_name="Example", date_of_birth=date(2011, 5, 1),
                      created_by_agency_id=agencies["csc"].id)
        db.session.add_all([child, other])
        db.session.commit()
        _returned(child, officer, NOW - timedelta(hours=60), assigned_to=worker)  # 48h overdue, 72h due at 22:00
        _returned(other, officer, NOW - timedelta(hours=20))  # nobody assigned: the deputy's, as a manager
        for hours, owner in ((-20, worker), (1, deputy), (4, officer), (100, deputy)):
            chase.add_task(f"Task due at {hours} hours", NOW + timedelta(hours=hours), owner)
        chase.add_task("Outsider's task", NOW, make_user(Role.PRACTITIONER, "csc"))
        team_ids = [worker.id, officer.id, deputy.id]
    return client, manager, team_ids


def test_a_manager_s_team_page_two_follows_on_across_every_provider(busy_team, monkeypatch):
    client, manager, team_ids = busy_team
    monkeypatch.setattr(views, "TEAM_PER_PAGE", 5)
    with clock.frozen_at(NOW):
        expected = _everything(team_ids)
        first, second, third = (client.get(f"/my-work?page={n}") for n in (1, 2, 3))
        past_the_end = client.get("/my-work?page=9")
    names = {u.id: u.name for u in db.session.execute(select(User).where(User.id.in_(team_ids))).scalars()}

    def shown(d):
        return d.url, d.title, names[d.owner_id]

    # 6 actions, 2 clocks of the assigned interview, 2 of the unassigned one (the deputy's), 4 tasks
    assert len(expected) == 14
    assert {d.kind for d in expected[5:10]} >= {"agreed_action", "return_interview"}
    assert _team_rows(first) == [shown(d) for d in expected[:5]]
    assert _team_rows(second) == [shown(d) for d in expected[5:10]]
    assert _team_rows(third) == [shown(d) for d in expected[10:]]
    # by due time: actions at 2 and 30 hours, a task at 4, the assigned interview's 72 hours (at 12), the
    # unassigned one's 48 hours (at 28), whoever's and whichever provider's
    assert [(what, whose) for _, what, whose in _team_rows(second)] == [
        ("Action: Action due at 2 hours", "Jo Worker"), ("Task due at 4 hours", "Pat Officer"),
        ("Return home interview for Kai Example", "Jo Worker"),
        ("Return home interview for Tia Example: not offered 48 hours after the return", "Dee Deputy"),
        ("Action: Action due at 30 hours", "Pat Officer")]
    assert "Overdue or due in the next 7 days (14)" in second.text and "14 in total; page 2 of 3" in second.text
    assert 'href="/my-work?page=3"' in second.html and 'href="/my-work?page=1"' in second.html
    # a stale link past the end shows the last page
    assert _team_rows(past_the_end) == _team_rows(third) and "page 3 of 3" in past_the_end.text
    assert "Outsider" not in first.text + second.text + third.text


def test_counts_and_pages_match_reading_everything_for_every_offset(busy_team):
    _, manager, team_ids = busy_team
    with clock.frozen_at(NOW):
        for ids in (team_ids, [manager.id], [team_ids[0]], [team_ids[2]]):
            everything = _everything(ids)
            counts, _ = _owned(ids, limit=1)
            assert counts == deadlines.split_counts(everything, now=NOW, end_of_today=views._end_of_today(NOW))
            for limit in (1, 3, 5):
                for offset in range(0, len(everything) + 2):
                    assert _owned(ids, limit=limit, offset=offset)[1] == everything[offset:offset + limit]


def test_the_kept_rows_counted_and_paged_in_one_statement_match_counting_and_paging_apart(busy_team):
    """The counts ride on the page's rows (window aggregates): the same as counting on their own and paging on their
    own for every page size and offset, a page past the end included (no row to carry them: counted apart)."""
    from safeguarding.kept_deadlines import rows as kept

    _, manager, team_ids = busy_team
    end_of_today = views._end_of_today(NOW)
    with clock.frozen_at(NOW):
        for ids in (sorted(team_ids), [manager.id], [team_ids[0]]):
            counts = kept.count_owned(ids, now=NOW, end_of_today=end_of_today, due_before=HORIZON)
            total = sum(counts)
            for limit in (1, 4):
                for offset in range(0, total + 3):
                    together = kept.counted_page_owned(ids, now=NOW, end_of_today=end_of_today,
                                                       due_before=HORIZON, limit=limit, offset=offset)
                    apart = kept.page_owned(ids, now=NOW, due_before=HORIZON, limit=limit, offset=offset)
                    assert together == (counts, apart), (ids, limit, offset)
    assert sum(kept.count_owned(sorted(team_ids), now=NOW, end_of_today=end_of_today, due_before=HORIZON)) >= 8


def test_a_partnership_s_owners_and_teams_page_the_same_as_reading_everything(app):
    # A synthetic partnership (two months' history: actions, minutes, return home interviews assigned and not,
    # professional differences) and a head of service managing two CSC managers, so each of the authority's
    # unassigned interviews is in the team twice, once for each manager.
    from .conftest import PASSWORD, _empty_database

    _empty_database()
    now = clock.now()
    synthetic.generate(600 / synthetic.BASE["discussions"], now, PASSWORD, history_days=60)
    people = {u.email.split("@")[0]: u for u in db.session.execute(
        select(User).where(User.email.in_([email for email, *_ in synthetic.SIGN_IN]))).scalars()}
    csc_managers = db.session.execute(select(User).where(
        User.role == Role.MANAGER.value, User.agency_id == people["csc.manager"].agency_id,
        User.id != people["csc.manager"].id).order_by(User.id).limit(2)).scalars().all()
    for deputy in csc_managers:
        deputy.line_manager_id = people["csc.manager"].id
    db.session.commit()

    def team_of(manager):
        return list(db.session.execute(select(User.id).where(User.line_manager_id == manager.id,
                                                             User.is_active_user.is_(True))).scalars())

    horizon = now + views.HORIZON
    owner_sets = [[u.id] for u in people.values()] + [team_of(people["csc.manager"]),
                                                      team_of(people["police.manager"])]
    kinds = set()
    for ids in owner_sets:
        everything = _everything(ids, now, horizon)
        kinds |= {d.kind for d in everything}
        counts, first = _owned(ids, limit=20, now=now, horizon=horizon)
        assert counts == deadlines.split_counts(everything, now=now, end_of_today=views._end_of_today(now))
        assert first == everything[:20]
        for offset in (7, 20, max(0, len(everything) - 5)):
            assert _owned(ids, limit=9, offset=offset, now=now, horizon=horizon)[1] == everything[offset:offset + 9]
    # each person's own, asked for by owner, is what everyone's (the reminder sweep's question) holds for them
    everyones = _everything(None, now, horizon)
    for person in people.values():
        assert [d for d in _everything([person.id], now, horizon) if not d.team_mailbox] == \
            [d for d in everyones if d.owner_id == person.id]
    mailbox = [d for d in _everything(team_of(people["csc.manager"]), now, horizon) if d.team_mailbox]
    assert mailbox and {d.owner_id for d in mailbox} == {m.id for m in csc_managers}
    assert {"agreed_action", "minutes_circulation", "return_interview", "return_interview_48h"} <= kinds
