"""My work, for each role; its query count does not grow with the number of deadlines shown."""
from __future__ import annotations

import re
from datetime import timedelta

from safeguarding import clock
from safeguarding.auth.models import Role

from .reminder_provider import london
from .sql_statements import statements_run

NOW = london(2026, 12, 1, 10, 0)  # Tuesday 10:00


def test_a_practitioner_sees_overdue_today_and_this_week_soonest_first(chase, signed_in, make_user):
    with clock.frozen_at(NOW):
        client, worker = signed_in(Role.PRACTITIONER, "police")
        someone_else = make_user(Role.PRACTITIONER, "police")
        chase.add_task("Share intelligence with CSC", NOW - timedelta(days=2, hours=3), worker)
        chase.add_task("Check address history", NOW + timedelta(hours=5), worker)
        chase.add_task("Arrange joint visit", NOW + timedelta(days=3), worker)
        chase.add_task("Much later", NOW + timedelta(days=9), worker)
        chase.add_task("Someone else's", NOW - timedelta(days=1), someone_else)
        done = chase.add_task("Already done", NOW - timedelta(days=1), worker)
        chase.complete(done, NOW - timedelta(hours=1))
        page = client.get("/my-work")
    assert page.title.startswith("My work")
    text = page.text
    assert "Overdue (1)" in text and "Due today (1)" in text and "Due in the next 7 days (1)" in text
    assert "Overdue by 2 days 3 hours" in text
    assert "due in 5 hours" in text and "due in 3 days" in text
    # each tag says the state in a word or two; the time left is beside it, not inside it
    tags = re.findall(r'<strong class="govuk-tag[^"]*">([^<]*)</strong>\s*<span class="app-status-detail">([^<]*)<',
                      page.html)
    assert tags == [("Overdue", "by 2 days 3 hours"), ("Due soon", "due in 5 hours"),
                    ("Due soon", "due in 3 days")]
    assert text.index("Share intelligence") < text.index("Check address history") < text.index("Arrange joint visit")
    for hidden in ("Much later", "Someone else's", "Already done"):
        assert hidden not in text
    assert "Ellie Example" in text  # in the app the child is named; never in email
    assert "Your team" not in text and "across the partnership" not in text


def test_a_manager_also_sees_their_team_with_whose_each_is(chase, signed_in, make_user):
    with clock.frozen_at(NOW):
        client, manager = signed_in(Role.MANAGER, "csc")
        member = make_user(Role.PRACTITIONER, "csc", name="Jo Worker", manager=manager)
        outsider = make_user(Role.PRACTITIONER, "csc", name="Not In Team")
        chase.add_task("Team action overdue", NOW - timedelta(days=4), member)
        chase.add_task("Outsider action", NOW - timedelta(days=4), outsider)
        chase.add_task("Manager's own", NOW + timedelta(days=1), manager)
        page = client.get("/my-work")
    assert "Manager's own" in page.text and "Due in the next 7 days (1)" in page.text
    assert "Your team" in page.text and "Team action overdue" in page.text and "Jo Worker" in page.text
    assert "Overdue by 4 days" in page.text
    assert "Outsider action" not in page.text


def test_mash_staff_see_the_partnership_s_discussions_waiting_for_their_record(chase, signed_in, make_user):
    with clock.frozen_at(NOW):
        client, mash = signed_in(Role.MASH, "csc")
        chair = make_user(Role.MASH, "csc", name="Chair Person")
        chase.add_task("Circulate record of SD 12", NOW - timedelta(hours=2), chair, kind=chase.MINUTES)
        chase.add_task("Chair's ordinary action", NOW - timedelta(hours=2), chair)
        page = client.get("/my-work")
    assert "Discussions across the partnership" in page.text
    assert "Circulate record of SD 12" in page.text and "Chair Person" in page.text
    assert "Chair's ordinary action" not in page.text
    assert "Nothing of yours is overdue" in page.text


def test_administrators_have_no_case_work_page(signed_in):
    client, _ = signed_in(Role.ADMIN, "csc")
    client.get("/my-work", expected=403)


def test_query_count_does_not_grow_with_the_deadlines_shown(chase, signed_in, make_user):
    with clock.frozen_at(NOW):
        client, manager = signed_in(Role.MANAGER, "csc")
        team = [make_user(Role.PRACTITIONER, "csc", manager=manager) for _ in range(3)]

        def add(n):
            for i in range(n):
                owner = team[i % 3] if i % 2 else manager
                chase.add_task(f"Task {i}", NOW + timedelta(hours=i - n // 2), owner)

        add(4)
        client.get("/my-work")  # warm: rules, caches
        with statements_run() as small:
            few = client.get("/my-work")
        add(60)
        with statements_run() as large:
            many = client.get("/my-work")
    assert few.html.count('class="govuk-table__row"') < many.html.count('class="govuk-table__row"')
    assert len(large) == len(small), "\n".join(large)


def _convene_waiting_for_record(count, chair, agencies, start):
    from .discussion_data import convene, make_child

    child = make_child(agency=agencies["csc"])
    invited = [agencies["csc"], agencies["police"], agencies["health"]]
    # held a few hours apart, each one's record due a working day later: all inside My work's 7 days
    return [convene(chair, [child], invited, scheduled_at=start + timedelta(hours=i)).id for i in range(count)]


def test_mash_my_work_shows_counts_and_the_most_urgent_with_a_constant_statement_count(signed_in, make_user,
                                                                                     agencies):
    from safeguarding.dashboard import views

    with clock.frozen_at(NOW):
        client, mash = signed_in(Role.MASH, "csc")
        chair = make_user(Role.MASH, "csc", name="Chair Person")
        _convene_waiting_for_record(3, chair, agencies, NOW - timedelta(days=3))
        client.get("/my-work")  # warm
        with statements_run() as small:
            few = client.get("/my-work")
        _convene_waiting_for_record(views.PARTNERSHIP_PREVIEW + 5, chair, agencies, NOW - timedelta(days=2))
        with statements_run() as large:
            many = client.get("/my-work")
    assert len(large) == len(small), "\n".join(large)
    rows = many.html.split('id="partnership-urgent"')[1].split("</table>")[0].count('class="govuk-table__row"')
    assert rows == views.PARTNERSHIP_PREVIEW + 1  # the most urgent only, plus the header row
    assert f"Show all {views.PARTNERSHIP_PREVIEW + 8} discussions" in many.text
    assert "Show all 3 discussions" in few.text and "Chair Person" in many.text


def test_mash_staff_page_through_every_discussion_waiting_for_its_record(signed_in, make_user, agencies,
                                                                         monkeypatch):
    from safeguarding.dashboard import views

    monkeypatch.setattr(views, "PARTNERSHIP_PER_PAGE", 5)
    with clock.frozen_at(NOW):
        client, mash = signed_in(Role.MASH, "csc")
        chair = make_user(Role.MASH, "csc")
        ids = _convene_waiting_for_record(7, chair, agencies, NOW - timedelta(days=3))
        client.get("/my-work/partnership")  # warm
        with statements_run() as small:
            first = client.get("/my-work/partnership")
        ids += _convene_waiting_for_record(5, chair, agencies, NOW - timedelta(days=1))
        with statements_run() as large:
            client.get("/my-work/partnership")
        second = client.get("/my-work/partnership?page=2")
        past_the_end = client.get("/my-work/partnership?page=99")
        practitioner, _ = signed_in(Role.PRACTITIONER, "csc")
        practitioner.get("/my-work/partnership", expected=404)
    assert len(large) == len(small), "\n".join(large)
    assert len(re.findall(r'href="/discussions/\d+/minutes"', first.html)) == 5
    # soonest first, and the pages follow on from each other
    shown = [int(n) for n in re.findall(r'href="/discussions/(\d+)/minutes"', second.html)]
    assert shown == ids[5:10]
    assert "12 in total; page 2 of 3" in second.text
    assert "page 3 of 3" in past_the_end.text
    assert 'rel="next"' in first.html and 'rel="next"' not in past_the_end.html


def test_a_heavy_user_s_my_work_shows_the_most_urgent_and_pages_through_the_rest(chase, signed_in, monkeypatch):
    from safeguarding.dashboard import views

    monkeypatch.setattr(views, "MINE_LIMIT", 4)
    monkeypatch.setattr(views, "MINE_PER_PAGE", 3)
    with clock.frozen_at(NOW):
        client, worker = signed_in(Role.PRACTITIONER, "police")
        for i in range(3):
            chase.add_task(f"Overdue {i}", NOW - timedelta(days=3 - i), worker)
        for i in range(4):
            chase.add_task(f"This week {i}", NOW + timedelta(days=2, hours=i), worker)
        page = client.get("/my-work")
        second = client.get("/my-work/yours?page=2")
    text = page.text
    # captions count everything; the rows are the most urgent four, overdue first
    assert "Overdue (3)" in text and "Due in the next 7 days (4)" in text
    assert all(f"Overdue {i}" in text for i in range(3)) and "This week 0" in text and "This week 1" not in text
    assert "Show all 7 of yours" in text
    assert [t for t in ("Overdue 2", "This week 0", "This week 1", "This week 2") if t in second.text] == \
        ["This week 0", "This week 1", "This week 2"]
    assert "7 in total; page 2 of 3" in second.text
    assert 'href="/my-work/yours?page=3"' in second.html and "Next" in second.text


def test_a_manager_s_team_list_links_to_its_next_page(chase, signed_in, make_user, monkeypatch):
    from safeguarding.dashboard import views

    monkeypatch.setattr(views, "TEAM_PER_PAGE", 2)
    with clock.frozen_at(NOW):
        client, manager = signed_in(Role.MANAGER, "csc")
        member = make_user(Role.PRACTITIONER, "csc", manager=manager)
        for i in range(3):
            chase.add_task(f"Team task {i}", NOW + timedelta(hours=i + 1), member)
        first = client.get("/my-work")
        last = client.get("/my-work?page=2")
    assert 'rel="next"' in first.html and "Team task 2" not in first.text
    assert 'rel="next"' not in last.html and "Team task 2" in last.text
