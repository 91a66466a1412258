"""A page-checking client, after GOV.UK Notify's `client_request`: every page a test fetches is checked for
status, a <title>, well-formed HTML, unique ids, and a CSP nonce on every script."""
from __future__ import annotations

import contextvars
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
#: what differs between two renderings of one page: CSRF tokens (in forms, and the session-timeout warning's
#: data-csrf) and the script nonce
RANDOM_VALUES = re.compile(r'name="csrf_token"[^>]*>|data-csrf="[^"]*"|nonce="[^"]*"')
KEY_RE = re.compile(r'name="submission_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"')


class PageProblem(AssertionError):
    pass


class _Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: dict[str, int] = {}
        self.problems: list[str] = []
        self.title = ""
        self._in_title = False
        self.scripts_without_nonce = 0
        self.text_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = self.ids.get(attrs["id"], 0) + 1
        if tag == "script" and not attrs.get("nonce"):
            self.scripts_without_nonce += 1
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = self.ids.get(attrs["id"], 0) + 1

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag == "title":
            self._in_title = False
        if not self.stack or self.stack[-1] != tag:
            # browsers tolerate unclosed <p>/<li>; we do not: they hide template mistakes
            self.problems.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text_parts.append(data)


def check_html(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    problems = list(checker.problems)
    if checker.stack:
        problems.append(f"unclosed tags: {checker.stack}")
    duplicates = [i for i, n in checker.ids.items() if n > 1]
    if duplicates:
        problems.append(f"duplicate ids: {duplicates}")
    if not checker.title.strip():
        problems.append("no <title>")
    if checker.scripts_without_nonce:
        problems.append(f"{checker.scripts_without_nonce} <script> without a CSP nonce")
    if problems:
        raise PageProblem("; ".join(problems))
    return checker


class Page:
    def __init__(self, response, checker: _Checker | None):
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.title = " ".join(checker.title.split()) if checker else ""
        self.text = " ".join(" ".join(checker.text_parts).split()) if checker else self.html

    def __contains__(self, needle: str) -> bool:
        return needle in self.text

    @property
    def markup(self) -> str:
        """The HTML without the values that are random on every rendering (CSRF tokens, the script nonce): for checking
        that a name is nowhere in the page, attributes included (a random nonce once spelled "Kai")."""
        return RANDOM_VALUES.sub("", self.html)

    def csrf(self) -> str:
        match = CSRF_RE.search(self.html)
        assert match, "page has no CSRF token"
        return match.group(1) or match.group(2)

    def submission_key(self) -> str | None:
        """The one-time key a create form carries (safeguarding/submissions), as a browser would send it."""
        match = KEY_RE.search(self.html)
        return (match.group(1) or match.group(2)) if match else None


class PageClient:
    """Wraps Flask's test client. get/post check the page; post_form fetches the form first for its token.

    Each request runs as in production: in a context of its own (its own `g`, its own database session and
    connection), so it sees only what was committed. What the test set up before the request is its own unit of
    work, committed first (services only flush), unless `commit_setup=False`, as in the test that proves a request
    cannot see uncommitted rows. Afterwards the test's session forgets what it had loaded, so it reads what the
    request saved.
    """

    def __init__(self, client, commit_setup: bool = True):
        self.client = client
        self.commit_setup = commit_setup

    def request(self, method: str, url: str, **kwargs):
        from flask import has_app_context

        from safeguarding.extensions import db

        if self.commit_setup and has_app_context():
            db.session.commit()
        # A new, empty context: the test's pushed app context (and its session) is not the request's.
        response = contextvars.Context().run(self.client.open, url, method=method, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def _page(self, response, expected: int) -> Page:
        assert response.status_code == expected, (
            f"expected {expected}, got {response.status_code}: {response.get_data(as_text=True)[:2000]}")
        is_html = response.mimetype == "text/html" and response.status_code not in (301, 302, 303)
        checker = check_html(response.get_data(as_text=True)) if is_html else None
        return Page(response, checker)

    def get(self, url: str, expected: int = 200, **kwargs) -> Page:
        return self._page(self.request("GET", url, **kwargs), expected)

    def post(self, url: str, data: dict | None = None, expected: int = 302, **kwargs) -> Page:
        return self._page(self.request("POST", url, data=data or {}, **kwargs), expected)

    def post_form(self, url: str, data: dict | None = None, expected: int = 302, form_url: str | None = None,
                  **kwargs) -> Page:
        form = self.get(form_url or url)
        payload = {"csrf_token": form.csrf(), **(data or {})}
        key = form.submission_key()
        if key and "submission_key" not in payload:
            payload["submission_key"] = key
        return self.post(url, payload, expected, **kwargs)

    def sign_in(self, email: str, password: str, expected: int = 302) -> Page:
        return self.post_form("/sign-in", {"email": email, "password": password}, expected)

    def sign_out(self) -> Page:
        token = self.get("/home").csrf()
        return self.post("/sign-out", {"csrf_token": token})
