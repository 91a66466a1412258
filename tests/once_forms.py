"""Posting a create form as a browser does: with the one-time `submission_key` the page issued (and any other
hidden field it carries), so tests exercise the same path as people."""
from __future__ import annotations

import re

HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_RE = re.compile(r'name="([^"]+)"')
VALUE_RE = re.compile(r'value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    found = {}
    for tag in HIDDEN_RE.findall(html):
        name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
        if name:
            found[name.group(1)] = value.group(1) if value else ""
    return found


def form_fields(client, url: str) -> dict[str, str]:
    """The hidden fields of the page at `url` (CSRF token, one-time key, version), as a browser would send them."""
    return hidden_fields(client.get(url).html)


def post_new(client, url: str, data: dict | None = None, expected: int = 302, form_url: str | None = None):
    """Fetch the form, then post `data` with the page's hidden fields (what `data` gives wins)."""
    payload = {**form_fields(client, form_url or url), **(data or {})}
    return client.post(url, payload, expected)
