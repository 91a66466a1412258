"""The reports' summaries: worked out by the scheduler (under its lease) and by `flask refresh-figures`, equal to the
figures counted from the records, a change shown after the next refresh with the time it was worked out, a period
never worked out said so rather than shown as zeros, and read in one statement however many records there are."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, text

from safeguarding import clock, synthetic
from safeguarding.auth import passwords
from safeguarding.auth.models import Role
from safeguarding.discussions import services
from safeguarding.discussions.models import StrategyDiscussion
from safeguarding.extensions import db
from safeguarding.missing.models import ReturnInterview
from safeguarding.reminders import cli
from safeguarding.reminders.lease import Lease
from safeguarding.reminders.sweep import LeaseLost
from safeguarding.reports import figures, learning, summaries
from safeguarding.reports.models import DayCount, DayRefreshed, RefreshState

from .discussion_data import attend, convene, make_child
from .sql_statements import statements_of_get

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
QUERY = "start=1&start=7&start=2026&end=30&end=9&end=2026"


def _held(mash, agencies, day, **statuses):
    sd = convene(mash, [make_child("Sam", "Summary")], [agencies[k] for k in ("csc", "police", "health")],
                 scheduled_at=clock.london_datetime(day, 10))
    attend(sd, mash, **statuses)
    return sd


def _statements(client, url) -> list[str]:
    return statements_of_get(client, url)


def test_every_figure_from_the_summaries_equals_the_figure_counted_from_the_records(app):
    # a small synthetic partnership: two years of discussions, decisions, actions, episodes and differences, with
    # work open, due and overdue; the seed leaves the summaries worked out (as the scheduler would)
    now = clock.now()
    synthetic.generate(0.02, now, passwords.hash_password("unused-password"))
    assert db.session.execute(select(func.count()).select_from(DayCount)).scalar_one() > 0
    mash = db.session.execute(text("SELECT id FROM user_account WHERE email = :e"),
                              {"e": f"mash@{synthetic.DOMAIN}"}).scalar_one()
    from safeguarding.auth.models import User

    user = db.session.get(User, mash)
    today = clock.to_london(now).date()
    for start, end in ((today - timedelta(days=365), today), (date(today.year - 1, 1, 1), date(today.year - 1, 3, 31)),
                       (today - timedelta(days=3 * 366), today)):
        shown = figures.compute(start, end, user=user, at=now, today=today)
        assert shown == figures.compute_live(start, end, user=user, at=now, today=today)
        assert shown.held > 0 or start.year < today.year - 1
        report = learning.compute(start, end, now=now, today=today)
        assert report == learning.compute_live(start, end, now=now, today=today)
    assert sum(a.figure.counted for a in report.answers) > 100  # the comparison covered real figures


def test_a_change_shows_after_the_next_refresh_and_the_page_says_when(signed_in, agencies):
    client, mash = signed_in(Role.MASH)
    # seven discussions, so the counts are 5 or more and shown (1 to 4 are withheld as [c])
    first = _held(mash, agencies, date(2026, 7, 6), police="attended")
    for week in range(1, 6):
        _held(mash, agencies, date(2026, 7, 6) + timedelta(days=7 * week), police="attended")
    _held(mash, agencies, date(2026, 8, 24), police="apologies")
    morning = clock.london_datetime(date(2026, 11, 26), 9, 5)
    summaries.refresh_all(morning)
    page = client.get(f"/reports/?{QUERY}")
    assert "Discussions held from 1 July 2026 to 30 September 2026: 7" in page
    assert "Police attended 6 of 7" in page
    assert "Figures as at 09:05, 26 November 2026" in page
    assert "brought up to date every 15 minutes" in page

    services.cancel_discussion(first, "Arranged by mistake", actor=mash)
    db.session.commit()
    # until the next refresh the page shows the figures as at the last one, and says when that was
    assert "Discussions held from 1 July 2026 to 30 September 2026: 7" in client.get(f"/reports/?{QUERY}")
    later = clock.london_datetime(date(2026, 11, 26), 14, 5)
    summaries.refresh(date(2026, 7, 1), date(2026, 7, 31), now=later)
    page = client.get(f"/reports/?{QUERY}")
    assert "Discussions held from 1 July 2026 to 30 September 2026: 6" in page
    assert "Police attended 5 of 6" in page
    # July was worked out again at 14:05, the rest of the period still as at 09:05
    assert "Figures as at 14:05, 26 November 2026 (the earlier days of this period as at 09:05, 26 November 2026)" \
        in page
    learning_page = client.get(f"/reports/practice-learning?{QUERY}")
    assert "Figures as at 14:05, 26 November 2026" in learning_page


def test_a_period_never_worked_out_says_so_rather_than_show_zeros(signed_in, agencies):
    client, mash = signed_in(Role.MANAGER)
    _held(mash, agencies, date(2026, 7, 6), police="attended")
    page = client.get(f"/reports/?{QUERY}")
    assert "The figures for this period have not been worked out yet" in page
    assert "Discussions held from" not in page and "Police attended" not in page
    client.get(f"/reports/attendance.csv?{QUERY}", expected=409)
    learning_page = client.get(f"/reports/practice-learning?{QUERY}")
    assert "have not been worked out yet" in learning_page and "Police attended:" not in learning_page
    client.get(f"/reports/practice-learning/tables/trend-police-attended.csv?{QUERY}", expected=409)
    # worked out for July only (an operator's `refresh-figures --from --to`): the quarter is still not complete
    summaries.refresh(date(2026, 7, 1), date(2026, 7, 31), now=clock.now())
    assert "have not been worked out yet" in client.get(f"/reports/?{QUERY}")
    summaries.refresh_all(clock.now())
    # one discussion: worked out, and withheld as a small number
    assert "Discussions held from 1 July 2026 to 30 September 2026: [c]" in client.get(f"/reports/?{QUERY}")


def test_the_recent_refresh_brings_clock_figures_up_to_date_and_leaves_older_days(app, agencies, make_user):
    from .test_practice_learning import _episode, child

    officer = make_user(Role.PRACTITIONER, "police")
    returned = clock.london_datetime(date(2026, 11, 2), 10)
    episode = _episode(child("Ruby"), returned - timedelta(days=1), officer, agencies["police"], returned=returned)
    db.session.add(ReturnInterview(episode_id=episode.id, child_id=episode.child_id,
                                   local_authority_id=agencies["csc"].id, returned_at=returned,
                                   due_at=returned + timedelta(hours=72), status="open"))
    old_day = date(2026, 1, 5)
    _episode(child("Ada"), clock.london_datetime(old_day, 10), officer, agencies["police"])  # the earliest record
    db.session.commit()
    summaries.refresh_all(returned + timedelta(hours=1))
    old_time = db.session.get(DayRefreshed, old_day).refreshed_at

    def rhi() -> tuple[int, int]:
        return summaries.totals(date(2026, 11, 1), date(2026, 11, 30), ["rhi-in-time"]).of("rhi-in-time")

    assert rhi() == (0, 0)  # open and not yet due: not counted
    # three days later the interview is past its 72 hours: the recent refresh counts it (as not in time)
    summaries.refresh_recent(returned + timedelta(hours=80), 100)
    assert rhi() == (1, 0)
    db.session.expire_all()
    assert db.session.get(DayRefreshed, old_day).refreshed_at == old_time  # beyond the recent days: untouched
    assert db.session.get(DayRefreshed, date(2026, 11, 2)).refreshed_at > old_time
    state = db.session.get(RefreshState, 1)
    assert state.recent_at > state.full_at


def test_the_scheduler_refreshes_only_while_it_holds_the_lease(app, agencies, make_user):
    scheduler = cli.build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs["figures"].trigger.interval.total_seconds() == 15 * 60
    assert str(jobs["figures_all"].trigger) == "cron[hour='3', minute='15']"

    mash = make_user(Role.MASH)
    _held(mash, agencies, clock.london_today() - timedelta(days=3), police="attended")
    leader, standby = Lease(60, holder="node-1:101"), Lease(60, holder="node-2:202")
    assert leader.hold()
    cli.run_job(app, "figures", standby)
    cli.run_job(app, "figures_all", standby)
    assert db.session.execute(select(func.count()).select_from(DayRefreshed)).scalar_one() == 0
    cli.run_job(app, "figures", leader)
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(DayRefreshed)).scalar_one() == 100 + 1 + 92
    state = db.session.get(RefreshState, 1)
    assert state.recent_at is not None and state.full_at is None
    cli.run_job(app, "figures_all", leader)
    db.session.expire_all()
    assert db.session.get(RefreshState, 1).full_at is not None
    held = summaries.totals(clock.london_today() - timedelta(days=3), clock.london_today(), [summaries.HELD])
    assert held.of(summaries.HELD) == (1, 0)


def test_a_refresh_that_loses_the_lease_commits_nothing_of_that_slice(app, agencies, make_user):
    mash = make_user(Role.MASH)
    _held(mash, agencies, date(2026, 7, 6), police="attended")
    try:
        summaries.refresh(date(2026, 7, 1), date(2026, 7, 31), keep_lease=lambda: False)
    except LeaseLost:
        pass
    else:
        raise AssertionError("the refresh carried on without the lease")
    assert db.session.execute(select(func.count()).select_from(DayCount)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(DayRefreshed)).scalar_one() == 0


def test_flask_refresh_figures_works_the_days_out_with_progress(app, runner, agencies, make_user):
    mash = make_user(Role.MASH)
    _held(mash, agencies, date(2026, 7, 6), police="attended")
    result = runner.invoke(args=["refresh-figures"])
    assert result.exit_code == 0, result.output
    assert "Working out the reports' figures for 2026-07-06 to" in result.output
    assert "days worked out" in result.output
    assert summaries.totals(*Q3, [summaries.HELD]).of(summaries.HELD) == (1, 0)
    result = runner.invoke(args=["refresh-figures", "--from", "2026-07-01", "--to", "2026-07-31"])
    assert result.exit_code == 0 and "31 days worked out" in result.output
    assert runner.invoke(args=["refresh-figures", "--from", "2026-07-01"]).exit_code != 0
    assert runner.invoke(args=["refresh-figures", "--from", "2026-07-31", "--to", "2026-07-01"]).exit_code != 0
    assert runner.invoke(args=["refresh-figures", "--from", "July", "--to", "2026-07-01"]).exit_code != 0
    recent = runner.invoke(args=["refresh-figures", "--recent"])
    assert recent.exit_code == 0 and "193 days worked out" in recent.output


def test_each_report_reads_the_summaries_in_one_statement_whatever_the_records(signed_in, agencies):
    client, mash = signed_in(Role.MANAGER)
    counts = {}
    for n in (2, 20):
        while db.session.execute(select(func.count()).select_from(StrategyDiscussion)).scalar_one() < n:
            _held(mash, agencies, date(2026, 7, 1) + timedelta(days=n % 90), police="attended")
        summaries.refresh_all(clock.now())
        for url in (f"/reports/?{QUERY}", f"/reports/practice-learning?{QUERY}"):
            seen = _statements(client, url)
            assert sum("FROM report_day_count" in s for s in seen) == 1, url
            # the strategy discussion records themselves are read only by the lists (scoped, limited)
            counts[(n, url)] = len(seen)
    assert counts[(2, f"/reports/?{QUERY}")] == counts[(20, f"/reports/?{QUERY}")]
    assert counts[(2, f"/reports/practice-learning?{QUERY}")] == counts[(20, f"/reports/practice-learning?{QUERY}")]


def test_the_breakdowns_are_worked_out_once_per_refresh(signed_in, agencies):
    client, mash = signed_in(Role.MANAGER)
    _held(mash, agencies, date(2026, 7, 6), police="attended")
    summaries.refresh_all(clock.now())
    url = f"/reports/practice-learning?{QUERY}"

    def reads_the_children() -> bool:
        return any("FROM report_day_child" in s for s in _statements(client, url))

    assert reads_the_children()
    assert not reads_the_children()  # kept: "each child once" reads one row per child discussed
    summaries.refresh_recent(clock.now(), 100)
    assert reads_the_children()  # worked out again after the summaries were


def test_reminder_operations_say_when_the_figures_were_worked_out(signed_in, agencies):
    client, _ = signed_in(Role.ADMIN)
    assert "Recent days worked out never (every 15 minutes); every day never" in client.get("/admin/reminders")
    summaries.refresh_all(clock.london_datetime(date(2026, 11, 26), 3, 15))
    page = client.get("/admin/reminders")
    assert "Recent days worked out 26 Nov 2026 03:15 (every 15 minutes); every day 26 Nov 2026 03:15" in page
