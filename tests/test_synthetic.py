"""`flask seed-synthetic`: a partnership to measure pages against, loaded fast, never over real data."""
from __future__ import annotations

from sqlalchemy import func, select

from safeguarding.auth.models import Agency, User
from safeguarding.clock import now
from safeguarding.discussions.models import AgreedAction, StrategyDiscussion, ThresholdDecision
from safeguarding.extensions import db
from safeguarding.missing.models import MissingEpisode, ReturnInterview

from .pages import PageClient

PASSWORD = "synthetic-demo-password"


def _seed(runner, monkeypatch, *args):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    return runner.invoke(args=["seed-synthetic", *args])


def test_a_small_partnership_loads_with_history_mostly_closed_and_a_few_items_overdue(app, runner, monkeypatch):
    result = _seed(runner, monkeypatch, "--scale", "0.01")
    assert result.exit_code == 0, result.output
    assert "250 strategy discussions" in result.output
    assert db.session.execute(select(func.count(StrategyDiscussion.id))).scalar_one() == 250
    actions = dict(db.session.execute(select(AgreedAction.status, func.count()).group_by(AgreedAction.status)).all())
    assert actions["done"] > 10 * actions["open"] > 0
    overdue = db.session.execute(select(func.count()).where(AgreedAction.status == "open",
                                                            AgreedAction.due_at < now())).scalar_one()
    assert 0 < overdue < actions["done"] / 10
    assert db.session.execute(select(func.count(MissingEpisode.id))).scalar_one() == 100
    interviews = dict(db.session.execute(select(ReturnInterview.status, func.count())
                                         .group_by(ReturnInterview.status)).all())
    assert interviews["completed"] > interviews.get("open", 0)
    # one MASH social worker chairs far more than an even share of the discussions
    chairs = db.session.execute(select(func.count(StrategyDiscussion.id)).group_by(StrategyDiscussion.chair_id)
                                .order_by(func.count().desc())).scalars().all()
    assert chairs[0] > 1.5 * sum(chairs) / len(chairs)
    # the reports' flag for a decision made while a minimum agency was absent, as record_decision sets it
    flagged = set(db.session.execute(select(StrategyDiscussion.id).where(StrategyDiscussion.has_agency_gap)).scalars())
    gaps = set(db.session.execute(select(ThresholdDecision.discussion_id)
                                  .where(ThresholdDecision.agencies_absent != "")).scalars())
    assert flagged == gaps and gaps
    # offers as the app records them: after the return, never in the future, made by the interview's worker (the
    # first offer assigns it); and some open interviews with one, so their list shows "n (last ...)"
    from safeguarding.missing.models import RhiOffer

    offers = db.session.execute(select(RhiOffer.offered_at, ReturnInterview.returned_at, ReturnInterview.status,
                                       RhiOffer.offered_by_id, ReturnInterview.assigned_to_id)
                                .join(ReturnInterview, ReturnInterview.id == RhiOffer.return_interview_id)).all()
    assert all(returned <= offered <= now() for offered, returned, *_ in offers)
    assert all(by == worker for *_, by, worker in offers)
    assert {status for _, _, status, *_ in offers} == {"open", "completed"}
    # what each agency there shared, prompt by prompt, as the app records it: a lawful basis with everything
    # shared, none with "checked: nothing held"; only agencies that came or sent information; some prompts unanswered
    from safeguarding.discussions.models import INFORMATION_PROMPTS, InformationShared, Invitation

    shared = db.session.execute(select(InformationShared.discussion_id, InformationShared.agency_id,
                                       InformationShared.topic, InformationShared.nothing_held,
                                       InformationShared.lawful_basis, InformationShared.text)).all()
    assert len(shared) > 5 * 250
    assert all(bool(basis) == bool(text) == (not nothing) for *_, nothing, basis, text in shared)
    # each on a prompt of its own agency's kind, about all the children or one of that discussion's
    kinds = dict(db.session.execute(select(Agency.id, Agency.kind)).all())
    assert all(topic in {key for key, _ in INFORMATION_PROMPTS[kinds[agency]]} for _, agency, topic, *_ in shared)
    from safeguarding.discussions.models import DiscussionChild

    linked = set(db.session.execute(select(DiscussionChild.discussion_id, DiscussionChild.child_id)).all())
    about = db.session.execute(select(InformationShared.discussion_id, InformationShared.child_id,
                                      InformationShared.nothing_held)
                               .where(InformationShared.child_id.is_not(None))).all()
    assert about and all((d, c) in linked and not nothing for d, c, nothing in about)
    assert {nothing for *_, nothing, _, _ in shared} == {True, False}
    there = set(db.session.execute(select(Invitation.discussion_id, Invitation.agency_id)
                                   .where(Invitation.status != "apologies")).all())
    assert {(d, a) for d, a, *_ in shared} <= there
    asked = sum(len(INFORMATION_PROMPTS[kind]) for kind in db.session.execute(
        select(Agency.kind).join(Invitation, Invitation.agency_id == Agency.id)
        .where(Invitation.status != "apologies")).scalars())
    assert len(shared) < asked


def test_every_main_page_renders_over_the_synthetic_partnership(app, runner, monkeypatch):
    assert _seed(runner, monkeypatch, "--scale", "0.01").exit_code == 0
    child_id, discussion_id = db.session.execute(select(AgreedAction.child_id, AgreedAction.discussion_id)
                                                 .limit(1)).one()
    episode_id = db.session.execute(select(MissingEpisode.id).limit(1)).scalar_one()
    interview_id = db.session.execute(select(ReturnInterview.id).limit(1)).scalar_one()
    pages = {
        "mash": ["/my-work", "/my-work/partnership", "/children/", f"/children/{child_id}", "/discussions/?view=all",
                 f"/discussions/{discussion_id}", "/discussions/my-actions", "/missing/",
                 f"/missing/episodes/{episode_id}", f"/missing/return-interviews/{interview_id}", "/differences/",
                 "/notifications", "/reports/"],
        "police": ["/my-work", "/children/", "/discussions/?view=all", "/missing/", "/notifications"],
        "social.worker": ["/my-work", "/children/", "/missing/"],
        "csc.manager": ["/my-work", "/reports/", "/differences/"],
        "school": ["/my-work", "/children/", "/discussions/?view=all"],
    }
    for who, urls in pages.items():
        client = PageClient(app.test_client())
        client.sign_in(f"{who}@synthetic.example", PASSWORD)
        for url in urls:
            client.get(url)  # PageClient fails on any status but 200 and on malformed HTML


def test_it_refuses_a_database_holding_real_people_unless_forced(app, runner, monkeypatch, make_user):
    make_user(email="jo.bloggs@council.example.org")
    refused = _seed(runner, monkeypatch, "--scale", "0.002")
    assert refused.exit_code != 0 and "real data" in refused.output
    assert db.session.execute(select(func.count(StrategyDiscussion.id))).scalar_one() == 0
    forced = _seed(runner, monkeypatch, "--scale", "0.002", "--force")
    assert forced.exit_code == 0, forced.output
    again = _seed(runner, monkeypatch, "--scale", "0.002", "--force")
    assert again.exit_code != 0 and "already loaded" in again.output
    assert db.session.execute(select(func.count(User.id)).where(User.email.like("%@synthetic.example"))).scalar_one()
