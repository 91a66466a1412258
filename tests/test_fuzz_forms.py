"""No input gives a 500: generated values posted to every POST route in `app.url_map`, as every role (and, one
request in ten, sent in the query string of a page the role was shown).

The demo story is the dataset (discussions, children, missing episodes, actions, differences), so URLs carry ids of
real rows. Each role's client first walks the pages it can see and keeps every form it finds (its action URL and the
values the page filled in, hidden versions and one-time keys included); an example then takes one of those forms, or
a POST route filled with real or junk ids, and changes some of its values to hostile ones: control characters and
unicode, huge strings, numbers out of any range, years 0 and 99999, repeated keys, missing fields, junk hidden fields.

Deterministic (derandomized) and modest by default; FUZZ_EXAMPLES=10000 runs the full figure quoted in the README,
and FUZZ_REPORT=path writes the count of requests and server errors there.
"""
from __future__ import annotations

import contextvars
import importlib
import json
import logging
import os
import re
import traceback
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from safeguarding import demo
from safeguarding.extensions import db

from .conftest import PASSWORD

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
# Derandomized: CI runs the same requests every time. No shrinking: server errors are gathered, not raised, so one
# run lists every one of them; no example database: nothing is replayed from a previous run.
settings.register_profile("fuzz-forms", max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                          print_blob=False, phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=list(HealthCheck))
#: pages each role's walk may fetch looking for forms
CRAWL_PAGES = int(os.environ.get("FUZZ_CRAWL_PAGES", "60"))

#: demo users who post as each role (their own account is kept out of the admin pages' targets)
CLIENTS = {
    "admin": "admin@example.org",
    "manager": "csc.manager@example.org",
    "mash": "mash@example.org",
    "practitioner": "social.worker@example.org",
    "police": "police@example.org",
    "police_manager": "police.manager@example.org",
    "anonymous": None,
}
#: which table a URL parameter names, for filling it with ids of real rows
PARAMETER_TABLES = {
    "agency_id": "safeguarding.auth.models:Agency",
    "user_id": "safeguarding.auth.models:User",
    "child_id": "safeguarding.children.models:Child",
    "difference_id": "safeguarding.differences.models:ProfessionalDifference",
    "policy_id": "safeguarding.differences.models:StagePolicy",
    "discussion_id": "safeguarding.discussions.models:StrategyDiscussion",
    "decision_id": "safeguarding.discussions.models:ThresholdDecision",
    "action_id": "safeguarding.discussions.models:AgreedAction",
    "episode_id": "safeguarding.missing.models:MissingEpisode",
    "rhi_id": "safeguarding.missing.models:ReturnInterview",
    "pp_id": "safeguarding.missing.models:PoliceProtection",
    "epo_id": "safeguarding.missing.models:EmergencyProtectionOrder",
    "prompt_id": "safeguarding.missing.models:DiscussionPrompt",
    "notification_id": "safeguarding.reminders.models:Notification",
}
JUNK_IDS = [0, 1, 2, 999_999, 2**31 - 1, 2**31, 2**63, 10**30]
#: routes that would end the fuzzing client's own session rather than test a form
SKIP_ENDPOINTS = {"auth.sign_out"}
JUNK_NAMES = ["version", "revision", "based_on_id", "based_on_revision", "submission_key", "next", "page",
              "child_ids", "agency_ids", "owner_id", "x\x00y", "ünï", "a" * 300, ""]

_HUGE = ["x" * 60_000, "é" * 300_000, "A" * 1_000_000]
_EDGE = ["", " ", "\x00", "a\x00b", "\x1b[31m", "\r\n", "\t", "0", "-1", "1.5", "1e309", "NaN", "inf", "None",
         "null", "true", "yes", "no", "on", "9" * 40, str(2**31), str(2**63), "-" + str(2**63), "٣", "１２",
         "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd", "\u202e", "\ufeff", "😀" * 50,
         "a" * 5001, "a" * 50_001, "99:99", "24:00", "9:5", "2026-02-30", "31", "13", "0", "99999"]

#: half without control characters, so most hostile text gets past the central refusal and into the views
text = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40) | st.text(max_size=40)
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
date_parts = st.lists(st.sampled_from(["", "0", "1", "29", "31", "32", "2", "12", "13", "0", "1900", "2026",
                                       "99999", "9" * 30, "-5", "x", "\x00"]) | text, min_size=0, max_size=4)
hostile = st.one_of(st.sampled_from(_EDGE), text, numbers)


class _Page(HTMLParser):
    """Links and POST forms (action plus the values the page filled in) of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: str | None = None
        self._option_seen = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = (a.get("action") or "", [])
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                if kind == "radio" and not any(n == a["name"] for n, _ in self._form[1]):
                    self._form[1].append((a["name"], a.get("value") or ""))
                return
            if kind != "submit":
                self._form[1].append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select, self._option_seen = a["name"], False
        elif tag == "option" and self._select and not self._option_seen and a.get("value"):
            self._form[1].append((self._select, a["value"]))
            self._option_seen = True
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form[1].append((a["name"], "Fuzz text"))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


class Fuzzer:
    def __init__(self, app):
        self.app = app
        self.requests = 0
        self.statuses: dict[int, int] = defaultdict(int)
        self.resignins = 0
        self.failures: list[dict] = []
        self.clients: dict[str, object] = {}
        self.tokens: dict[str, str] = {}
        self.forms: dict[str, list[tuple[str, list[tuple[str, str]]]]] = defaultdict(list)
        #: pages each role was shown (their GET forms, filters and page numbers are fuzzed through the query)
        self.pages: dict[str, list[str]] = defaultdict(list)
        self.field_names: set[str] = set()
        self.errors: list[str] = []
        self._handler = _Capture(self.errors)
        logging.getLogger("safeguarding.errors").addHandler(self._handler)

    def close(self):
        logging.getLogger("safeguarding.errors").removeHandler(self._handler)

    # Each request runs as in production, in a context of its own (its own `g`, session and connection), after the
    # test's setup is committed; afterwards the test's session forgets what it loaded (as tests/pages.py does).
    def open(self, role: str, method: str, url: str, **kwargs):
        from flask import has_app_context

        if has_app_context():
            db.session.commit()
        response = contextvars.Context().run(self.clients[role].open, url, method=method, **kwargs)
        if has_app_context():
            db.session.rollback()
            db.session.expire_all()
        return response

    def sign_in(self, role: str):
        from safeguarding.auth import passwords, services
        from safeguarding.auth.models import Agency

        self.clients[role] = self.app.test_client()
        email = CLIENTS[role]
        page = self.open(role, "GET", "/sign-in").get_data(as_text=True)
        self.tokens[role] = _csrf(page)
        if email is None:
            return
        # An administrator example may have deactivated this account, its agency, or reset its password.
        user = services.find_user_by_email(email)
        user.is_active_user = True
        user.password_hash = passwords.hash_password(PASSWORD)
        db.session.get(Agency, user.agency_id).is_active = True
        db.session.commit()
        response = self.open(role, "POST", "/sign-in",
                             data={"csrf_token": self.tokens[role], "email": email, "password": PASSWORD})
        assert response.status_code == 302, f"{role} could not sign in"
        self.tokens[role] = _csrf(self.open(role, "GET", "/account").get_data(as_text=True))

    def crawl(self, role: str, limit: int):
        seen, queue, fetched = set(), ["/home", "/children/", "/discussions/", "/differences/", "/missing/",
                                       "/admin/", "/admin/users", "/admin/agencies", "/notifications",
                                       "/discussions/my-actions", "/differences/policy", "/reports/"], 0
        while queue and fetched < limit:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = self.open(role, "GET", url)
            fetched += 1
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            self.pages[role].append(url)
            parser = _Page()
            parser.feed(response.get_data(as_text=True))
            for action, fields in parser.forms:
                target = _local(action or url)
                if target and target != "/sign-out":
                    self.forms[role].append((target, fields))
                    self.field_names.update(n for n, _ in fields)
            for href in parser.links:
                local = _local(href)
                if local and local not in seen and not local.startswith(("/static", "/sign-out")) \
                        and "export" not in local and "download" not in local:
                    queue.append(local)

    def post(self, role: str, url: str, data: list[tuple[str, str]], query: str, method: str = "POST",
             spoiled: bool = False) -> int:
        if role not in self.clients:
            self.sign_in(role)
        before = len(self.errors)
        target = url + (("&" if "?" in url else "?") + query if query else "")
        if method == "GET":
            path, _, existing = target.partition("?")
            pairs = parse_qsl(existing, keep_blank_values=True) + list(data)
            response = self.open(role, "GET", path, query_string=_multidict(pairs))
        else:
            response = self.open(role, "POST", target, data=_multidict(data))
        self.requests += 1
        status = response.status_code
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append({"role": role, "method": method, "url": target, "status": status,
                                  "data": [(k[:40], v[:80]) for k, v in data],
                                  "error": self.errors[before:] or ["(no traceback logged)"]})
        location = response.headers.get("Location", "")
        ended = status in (301, 302, 303) and "/sign-in" in location and url != "/sign-in"
        # A session ended by the example (a deactivated agency, a password reset) also loses its CSRF secret, so
        # every later form would be refused as expired before reaching a view: start a new session instead.
        expired = status == 400 and not spoiled and b"Your form has expired" in response.get_data()
        if CLIENTS[role] and (ended or expired):
            self.resignins += 1
            self.sign_in(role)
        return status


class _Capture(logging.Handler):
    """The last lines of each unhandled error's traceback that are in this project's code."""

    def __init__(self, sink):
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record):
        if not record.exc_info:
            return
        frames = [f for f in traceback.extract_tb(record.exc_info[2]) if "/safeguarding/" in f.filename]
        where = [f"{f.filename.split('/safeguarding/')[-1]}:{f.lineno} {f.line}" for f in frames[-3:]]
        self.sink.append(f"{record.exc_info[0].__name__}: {str(record.exc_info[1])[:200]} at {where}")


def _plausible(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Blank answers on a form filled as a person might, so the untouched ones pass validation."""
    counts = defaultdict(int)
    for name, _ in fields:
        counts[name] += 1
    seen = defaultdict(int)
    filled = []
    for name, value in fields:
        index = seen[name]
        seen[name] += 1
        if value or name == "csrf_token":
            filled.append((name, value))
        elif counts[name] == 3:  # day, month and year boxes
            filled.append((name, ["1", "12", "2026"][index]))
        elif "time" in name:
            filled.append((name, "10:30"))
        elif "nhs" in name:
            filled.append((name, "9434765919"))
        elif "email" in name or "mailbox" in name:
            filled.append((name, "someone@example.org"))
        elif "password" in name:
            filled.append((name, PASSWORD))
        else:
            filled.append((name, "Fuzz answer"))
    return filled


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', html)
    return (match.group(1) or match.group(2)) if match else ""


def _local(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return parts.path + (("?" + parts.query) if parts.query else "")


def _multidict(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def _model(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _routes(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "POST" in (rule.methods or ()) and rule.endpoint not in SKIP_ENDPOINTS),
                  key=lambda r: r.rule)


def _id_pools(protected_users: set[int]) -> dict[str, list[int]]:
    pools = {}
    for name, path in PARAMETER_TABLES.items():
        model = _model(path)
        ids = db.session.execute(db.select(model.id).order_by(model.id)).scalars().all()
        if name == "user_id":
            ids = [i for i in ids if i not in protected_users]
        pools[name] = ids
    pools["number"] = [1, 2, 3, 4]
    return pools


@pytest.fixture
def fuzzer(app_factory):
    app = app_factory(RATELIMIT_ENABLED=False)
    demo.seed(PASSWORD)
    db.session.commit()
    fuzz = Fuzzer(app)
    try:
        yield fuzz
    finally:
        fuzz.close()


def test_no_input_gives_a_server_error(fuzzer):
    from safeguarding.auth import services

    app = fuzzer.app
    protected = {services.find_user_by_email(e).id for e in CLIENTS.values() if e}
    pools = _id_pools(protected)
    routes = _routes(app)
    roles = list(CLIENTS)
    for role in roles:
        fuzzer.sign_in(role)
        if CLIENTS[role]:
            fuzzer.crawl(role, CRAWL_PAGES)
    # Forms whose action is a user's own admin page would lock the fuzzing client out mid-run.
    for role in roles:
        fuzzer.forms[role] = [(u, f) for u, f in fuzzer.forms[role]
                              if not any(u.startswith(f"/admin/users/{i}") for i in protected)]
    names = sorted(fuzzer.field_names | set(JUNK_NAMES))
    covered_rules = {r.rule for r in routes}
    assert any(fuzzer.forms[r] for r in roles), "the walk found no forms: is the demo story seeded?"

    query_names = sorted({"page", "q", "view", "show", "start", "end", "date_from", "date_to", "raised_from",
                          "raised_to", "status", "kind", "agency_id", "child_id", "next"} | set(JUNK_NAMES[:6]))

    @settings(settings.get_profile("fuzz-forms"))
    @given(st.data())
    def example(data):
        role = data.draw(st.sampled_from(roles), label="role")
        shown = fuzzer.pages[role]
        if shown and data.draw(st.integers(0, 9), label="a page's query string") == 0:
            # Filters, searches and page numbers arrive in the query string of ordinary pages.
            url = data.draw(st.sampled_from(shown), label="page")
            params: list[tuple[str, str]] = []
            for _ in range(data.draw(st.integers(1, 4), label="query fields")):
                name = data.draw(st.sampled_from(query_names), label="query name")
                if data.draw(st.booleans(), label="as a date"):
                    params.extend((name, part) for part in data.draw(date_parts, label="query date"))
                else:
                    params.append((name, data.draw(hostile, label="query value")))
            fuzzer.post(role, url, params, "", method="GET")
            return
        found = fuzzer.forms[role]
        if found and data.draw(st.booleans(), label="use a form the role was shown"):
            url, fields = data.draw(st.sampled_from(found), label="form")
        else:
            rule = data.draw(st.sampled_from(routes), label="route")
            values = {}
            for arg in sorted(rule.arguments):
                real = pools.get(arg) or [1]
                values[arg] = data.draw(st.sampled_from(real) | st.sampled_from(JUNK_IDS), label=arg)
            url = rule.rule
            for arg, value in values.items():
                url = re.sub(rf"<[^>]*:{arg}>|<{arg}>", str(value), url)
            fields = [("csrf_token", "")]
        fields = _plausible(fields)
        # Mostly a valid form with one to three answers made hostile, so the change reaches the view's own code
        # (a version is only used once everything else on the form is valid); sometimes every answer at once.
        chaos = data.draw(st.integers(0, 9), label="chaos") == 0
        names_here = sorted({n for n, _ in fields if not n.endswith("csrf_token")})
        hit = set(data.draw(st.lists(st.sampled_from(names_here), max_size=3), label="fields to change")
                  if names_here else [])
        pairs: list[tuple[str, str]] = []
        done: set[str] = set()
        spoiled = False
        for name, value in fields:
            if name.endswith("csrf_token"):  # prefixed forms carry "<prefix>-csrf_token"
                if data.draw(st.sampled_from(range(40)), label="spoil csrf") == 17:
                    spoiled = True
                    pairs.append((name, data.draw(text)))
                else:
                    pairs.append((name, fuzzer.tokens.get(role, "")))
                continue
            if not (chaos or name in hit) or name in done:
                if name not in done:
                    pairs.extend((n, v) for n, v in fields if n == name)
                    done.add(name)
                continue
            done.add(name)
            choice = data.draw(st.integers(0, 9), label=f"what to do with {name[:20]}")
            if choice == 0:
                continue  # missing field
            elif choice == 1:
                pairs.extend([(name, value)] * data.draw(st.integers(2, 50), label="repeats"))
            elif choice == 2:
                pairs.extend((name, part) for part in data.draw(date_parts, label="date parts"))
            elif choice == 3 and data.draw(st.integers(0, 5), label="huge") == 0:
                pairs.append((name, data.draw(st.sampled_from(_HUGE), label="huge value")))
            else:
                pairs.append((name, data.draw(hostile, label="value")))
        for _ in range(data.draw(st.integers(0, 2), label="extra fields")):
            pairs.append((data.draw(st.sampled_from(names) | text, label="extra name"),
                          data.draw(hostile, label="extra value")))
        query = ""
        if data.draw(st.integers(0, 9), label="query string") == 0:
            query = data.draw(st.sampled_from(["next=%00", "page=99999999999999999999", "q=%00", "next=//evil",
                                               "view=all&page=-1", "x=%FF%FE"]), label="query")
        # Server errors are gathered rather than raised, so one run reports every one of them.
        fuzzer.post(role, url, pairs, query, spoiled=spoiled)

    example()
    summary = {"requests": fuzzer.requests, "server_errors": len(fuzzer.failures),
               "routes": len(covered_rules), "forms_found": sum(len(v) for v in fuzzer.forms.values()),
               "examples": EXAMPLES, "statuses": dict(sorted(fuzzer.statuses.items())),
               "new_sessions": fuzzer.resignins}
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as out:
            json.dump({**summary, "failures": fuzzer.failures}, out, indent=1, default=str)
    print(f"\nfuzz: {summary}")
    listed = "\n".join(f"{f['role']} {f['method']} {f['url']} -> {f['status']}: {f['error'][:1]} data={f['data'][:6]}"
                       for f in fuzzer.failures[:40])
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.requests} requests gave a 5xx:\n{listed}"
