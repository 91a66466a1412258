"""Choosing a return home interview's worker: a search by name or email and a page of 25 at a time, so the page does
not grow with the agency's staff, and a choice that is checked again when it is saved."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguarding import clock
from safeguarding.audit.models import AuditEvent
from safeguarding.auth.models import Agency, AgencyKind, Role
from safeguarding.children import services as child_services
from safeguarding.extensions import db
from safeguarding.missing import services, workers
from safeguarding.missing.models import ReturnInterview

from .missing_data import london
from .once_forms import hidden_fields
from .sql_statements import statements_run

NOW = datetime(2026, 10, 27, 9, 0, tzinfo=timezone.utc)
RADIO_RE = re.compile(r'<input class="govuk-radios__input" id="[^"]+" name="assign-worker" type="radio" '
                      r'value="(\d+)"([^>]*)>')


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def interview(signed_in):
    """An open return home interview, and a social worker signed in to assign it."""
    police_user = signed_in(Role.PRACTITIONER, "police")[1]
    csc, csc_user = signed_in(Role.PRACTITIONER, "csc", name="Sam Allocator")
    child = child_services.create_child({
        "first_name": "Kai", "last_name": "Example", "is_unborn": False, "date_of_birth": datetime(2011, 5, 4).date(),
        "expected_date": None, "gender": "male", "ethnicity": "", "disability": "", "address": "",
        "la_reference": None, "nhs_number": None, "looked_after": "yes", "responsible_authority": "Testshire",
    }, actor=police_user)
    episode = services.record_episode(child, {
        "reported_missing_at": london(2026, 10, 26, 8, 0), "missing_from": "home", "missing_from_detail": "",
        "police_reference": "", "risk_level": "medium", "indicators": [], "arrested": False, "circumstances": ""},
        actor=police_user)
    services.record_return(episode, {"returned_at": london(2026, 10, 26, 10, 0), "found_where": "Home",
                                     "returned_by": "Mother", "out_of_area": False, "abroad": False},
                           actor=police_user, expected_version=episode.version)
    db.session.commit()
    return csc, csc_user, episode.return_interview


def url_of(rhi) -> str:
    return f"/missing/return-interviews/{rhi.id}/assign"


def radios(page) -> list[tuple[int, bool]]:
    """(worker id, checked) of each option the page offers, in order."""
    return [(int(value), "checked" in rest) for value, rest in RADIO_RE.findall(page.html)]


def staff(make_user, count: int, prefix: str = "Worker", **kwargs):
    return [make_user(Role.PRACTITIONER, "csc", name=f"{prefix} {n:03d}", email=f"{prefix.lower()}{n:03d}@csc.example",
                      **kwargs) for n in range(count)]


def post_choice(client, rhi, worker_id, *, query: str = "", expected: int = 302, **extra):
    """Post the page's form as a browser would: its hidden fields, to the URL its form names."""
    page = client.get(url_of(rhi) + query)
    action = re.search(r'<form method="post" action="([^"]+/assign[^"]*)"', page.html).group(1).replace("&amp;", "&")
    data = {**hidden_fields(page.html), **extra}
    if worker_id is not None:
        data["assign-worker"] = str(worker_id)
    return client.post(action, data, expected)


def test_the_first_page_lists_25_by_name_with_nothing_chosen_and_pages_on(interview, make_user):
    csc, _, rhi = interview
    manager = make_user(Role.MANAGER, "csc", name="Morgan Lead")
    made = staff(make_user, 40, manager=manager)
    page = csc.get(url_of(rhi))
    shown = radios(page)
    assert len(shown) == 25 and not any(checked for _, checked in shown)
    names = [n for n in re.findall(r'govuk-radios__label" for="[^"]+">\s*([^<]+?)\s*<', page.html)]
    assert names == sorted(names, key=str.lower)
    # job title, manager and email tell two people apart
    assert "Tester · Manager: Morgan Lead" in page and "worker000@csc.example" in page
    assert 'rel="next"' in page.html and "page 1 of 2" in page
    # 42 may be assigned (the 40, their manager and the allocator; not the police officer): page 2 has the rest
    second = csc.get(url_of(rhi) + "?page=2")
    assert len(radios(second)) == 42 - 25
    assert not {i for i, _ in shown} & {i for i, _ in radios(second)}
    assert made[-1].id in {i for i, _ in radios(second)}
    past = csc.get(url_of(rhi) + "?page=9")
    assert radios(past) == [] and "There are no more workers to show" in past and "Go to the first page" in past


def test_search_narrows_by_name_or_email_and_keeps_the_query(interview, make_user):
    csc, _, rhi = interview
    staff(make_user, 30)
    alex = make_user(Role.PRACTITIONER, "csc", name="Alex O'Brien", email="a.obrien@csc.example")
    also = make_user(Role.MANAGER, "csc", name="Priya Shah", email="priya.obrien-shah@csc.example")
    found = csc.get(url_of(rhi) + "?q=obrien")
    assert [i for i, _ in radios(found)] == [alex.id, also.id]  # by name; the second by email
    assert 'value="obrien"' in found.html  # the search box keeps what was searched
    # every word must match, in any case, and the form posts back to this search
    assert [i for i, _ in radios(csc.get(url_of(rhi) + "?q=ALEX+o%27brien"))] == [alex.id]
    assert f'action="{url_of(rhi)}?q=obrien"' in found.html
    # wildcards are searched for as typed, not as patterns
    nothing = csc.get(url_of(rhi) + "?q=%25")
    assert radios(nothing) == [] and "No workers found" in nothing and "Show every worker" in nothing


def test_only_active_social_care_workers_are_offered(interview, make_user, agencies):
    csc, _, rhi = interview
    left = make_user(Role.PRACTITIONER, "csc", name="Left Already", active=False)
    admin = make_user(Role.ADMIN, "csc", name="Admin Person")
    police = make_user(Role.PRACTITIONER, "police", name="Police Person")
    shown = csc.get(url_of(rhi) + "?q=person")
    assert radios(shown) == [] and "Admin Person" not in shown.html and "Police Person" not in shown.html
    assert radios(csc.get(url_of(rhi) + "?q=left+already")) == []
    # a forged choice of any of them is refused beside the question, and nothing changes
    for forged in (left.id, admin.id, police.id):
        page = post_choice(csc, rhi, forged, expected=200)
        assert workers.NOT_ASSIGNABLE in page and page.title.startswith("Error:")
        assert 'href="#assign-worker"' in page.html
    for junk in ("abc", "0", "-1", str(2**31), "9" * 30, "²"):
        page = post_choice(csc, rhi, junk, expected=200)
        assert "Select the worker who will offer the interview" in page
    post_choice(csc, rhi, 999_999, expected=200)
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id is None


def test_assigning_saves_audits_and_shows_who_is_assigned_now(interview, make_user, agencies):
    csc, allocator, rhi = interview
    chosen = make_user(Role.PRACTITIONER, "csc", name="Jo Williams")
    other_la = Agency(name="Neighbouring Children's Services", kind=AgencyKind.CHILDRENS_SOCIAL_CARE.value)
    db.session.add(other_la)
    db.session.commit()
    neighbour = make_user(Role.PRACTITIONER, "csc", name="Jo Neighbour")
    neighbour.agency_id = other_la.id
    db.session.commit()
    shown_version = rhi.version
    listed = csc.get(url_of(rhi) + "?q=jo")
    assert "Neighbouring Children's Services (another local authority)" in listed
    # the interview's own local authority first, though "Jo Neighbour" comes first by name
    assert [i for i, _ in radios(listed)] == [chosen.id, neighbour.id]
    post_choice(csc, rhi, chosen.id, query="?q=jo")
    saved = db.session.get(ReturnInterview, rhi.id)
    assert saved.assigned_to_id == chosen.id and saved.version == shown_version + 1
    entry = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "update",
                                                           AuditEvent.object_type == "return_interview")).scalar_one()
    assert entry.user_id == allocator.id and entry.changes["assigned_to_id"]["to"] == chosen.id
    again = csc.get(url_of(rhi) + "?q=jo")
    assert "Change the worker" in again and "Assigned now: Jo Williams" in again
    # shown as assigned, still not chosen for the person changing it
    assert "Jo Williams (assigned now)" in again
    assert not any(checked for _, checked in radios(again))


def test_nothing_chosen_keeps_the_search_and_page(interview, make_user):
    csc, _, rhi = interview
    staff(make_user, 30, prefix="Casey")
    page = post_choice(csc, rhi, None, query="?q=casey&page=2", expected=200)
    assert page.title.startswith("Error:") and "Select the worker who will offer the interview" in page
    assert 'href="#assign-worker"' in page.html and 'id="assign-worker"' in page.html  # the summary's link lands
    assert 'value="casey"' in page.html and "page 2 of 2" in page
    assert len(radios(page)) == 30 - 25


def test_a_worker_who_left_after_the_page_was_shown_cannot_be_assigned(interview, make_user):
    csc, _, rhi = interview
    leaving = make_user(Role.PRACTITIONER, "csc", name="Robin Leaving")
    page = csc.get(url_of(rhi) + "?q=robin")
    assert [i for i, _ in radios(page)] == [leaving.id]
    leaving.is_active_user = False
    db.session.commit()
    refused = csc.post(url_of(rhi) + "?q=robin", {**hidden_fields(page.html), "assign-worker": str(leaving.id)}, 200)
    assert workers.NOT_ASSIGNABLE in refused and 'value="robin"' in refused.html
    # the search now finds nobody; the error summary still leads to the message
    assert "No workers found" in refused and radios(refused) == [] and 'id="assign-worker"' in refused.html
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id is None
    # the service refuses them too, whatever calls it
    with pytest.raises(services.RuleError):
        current = db.session.get(ReturnInterview, rhi.id)
        services.assign(current, leaving, actor=leaving, expected_version=current.version)


def test_a_stale_page_shows_the_conflict_with_the_choice_kept(interview, make_user):
    csc, allocator, rhi = interview
    staff(make_user, 30)
    mine, theirs = make_user(Role.PRACTITIONER, "csc", name="Zed Mine"), make_user(Role.PRACTITIONER, "csc")
    page = csc.get(url_of(rhi) + "?q=zed")
    shown_version = rhi.version
    services.assign(db.session.get(ReturnInterview, rhi.id), theirs, actor=allocator, expected_version=rhi.version)
    db.session.commit()
    conflict = csc.post(url_of(rhi) + "?q=zed", {**hidden_fields(page.html), "assign-worker": str(mine.id)}, 200)
    assert "Someone else changed this record while you were editing it" in conflict
    assert radios(conflict) == [(mine.id, True)]  # the choice kept, on the same search
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id == theirs.id
    # saving again on the page now shown (its version is the current one) keeps their choice
    fresh = hidden_fields(conflict.html)
    assert fresh["assign-version"] == str(shown_version + 1)
    csc.post(url_of(rhi) + "?q=zed", {**fresh, "assign-worker": str(mine.id)}, 302)
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id == mine.id


def test_the_page_without_a_version_or_token_is_refused(interview, make_user):
    csc, _, rhi = interview
    worker = make_user(Role.PRACTITIONER, "csc")
    fields = hidden_fields(csc.get(url_of(rhi)).html)
    csc.post(url_of(rhi), {"assign-version": fields["assign-version"], "assign-worker": str(worker.id)}, 400)
    page = csc.post(url_of(rhi), {"csrf_token": fields["csrf_token"], "assign-worker": str(worker.id)}, 200)
    assert "This page is out of date" in page
    assert db.session.get(ReturnInterview, rhi.id).assigned_to_id is None


def test_statements_do_not_grow_with_the_agency_staff(interview, make_user):
    csc, _, rhi = interview
    chosen = make_user(Role.PRACTITIONER, "csc", name="Aaron First")
    urls = [url_of(rhi), url_of(rhi) + "?q=worker", url_of(rhi) + "?page=2"]

    def costs() -> list[tuple[int, int]]:
        found = []
        for url in urls:
            csc.get(url)
            with statements_run() as seen:
                page = csc.get(url)
            found.append((len(seen), len(radios(page))))
        with statements_run() as seen:
            post_choice(csc, rhi, None, expected=200)
        return found + [(len(seen), 0)]

    managers = [make_user(Role.MANAGER, "csc", name=f"Manager {n}") for n in range(3)]
    for n in range(6):
        make_user(Role.PRACTITIONER, "csc", name=f"Worker {n}", manager=managers[n % 3])
    few = costs()
    for n in range(6, 120):
        make_user(Role.PRACTITIONER, "csc", name=f"Worker {n}", manager=managers[n % 3])
    many = costs()
    # The same statements, but for the count, which only a full page runs (one not full is the last and says how
    # many there are: pagination.paginate). The bigger agency's pages are full; the smaller agency's first page and
    # search are not (its second page is empty: that one counts, to say so); the POST draws the picker twice.
    assert all(shown == 25 for _, shown in many[:3]), many
    skipped = [1 if 0 < shown < 25 else 0 for _, shown in few[:3]] + [2 if few[0][1] < 25 else 0]
    assert [count + fewer for (count, _), fewer in zip(few, skipped, strict=True)] == [c for c, _ in many], (few, many)
    assert [shown for _, shown in many] > [shown for _, shown in few]  # the bigger agency showed more
    assert many[0][1] == 25
    post_choice(csc, rhi, chosen.id)  # and the page still assigns


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(query=st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=300)
       | st.sampled_from(["%", "_", "\\", "%_\\", "' OR 1=1 --", "a" * 5000, "😀" * 40, "\u202e", "ß", "İ"]),
       page=st.sampled_from(["", "0", "-1", "2", "x", str(2**63), "1e9"]))
def test_no_search_gives_a_server_error(interview, query, page):
    csc, _, rhi = interview
    response = csc.request("GET", url_of(rhi), query_string={"q": query, **({"page": page} if page else {})})
    assert response.status_code == 200, response.status_code
    # and posted as the chosen worker, with the page's token and version: a GOV.UK error (or the conflict page)
    fields = hidden_fields(response.get_data(as_text=True))
    response = csc.request("POST", url_of(rhi), query_string={"q": query, "page": page},
                           data={**fields, "assign-worker": query[:20]})
    assert response.status_code == 200, response.status_code


def test_what_tells_workers_apart_is_shown_as_text(interview, make_user):
    csc, _, rhi = interview
    manager = make_user(Role.MANAGER, "csc", name="Morgan <b>Lead</b>")
    worker = make_user(Role.PRACTITIONER, "csc", name="Quinn <i>Worker</i>", email="q<x>@csc.example",
                       manager=manager)
    worker.job_title = "Senior <script>practitioner</script>"
    db.session.commit()
    html = csc.get(url_of(rhi) + "?q=quinn").html
    assert "<b>" not in html and "<script>practitioner" not in html and "<i>Worker" not in html
    assert "Senior &lt;script&gt;practitioner&lt;/script&gt; · Manager: Morgan &lt;b&gt;Lead&lt;/b&gt;" in html
    assert '<span class="app-verbatim-text">q&lt;x&gt;@csc.example</span>' in html
