"""Refuse input no page can use, before any view sees it, so no feature has to guard against it.

Two kinds of input reach the database or `int()` unchecked otherwise and turn into a 500:
- control characters: PostgreSQL text cannot hold NUL, and the other C0 controls (tab and line breaks apart) are
  never typed by a person; they come from tampering or a broken paste, and would corrupt printouts and emails;
- hidden version fields that are not whole numbers: they were written by this service when the form was shown,
  so anything else means the page was changed after it left us.

Sign-in is the one form where the answer is the form again (with a GOV.UK error) rather than an error page, and the
attempt is audited like any failed sign-in: refusing it silently would hide an attack from the audit trail.
"""
from __future__ import annotations

import logging
import re

from flask import g, render_template, request

log = logging.getLogger("safeguarding.input")

#: C0 controls except tab, line feed and carriage return (which text areas legitimately carry)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: names of hidden fields that carry a row's version, or the id that version belongs to (prefixed forms: a-version)
VERSION_KEY_RE = re.compile(r"(^|[_-])(version|revision|based_on_id)$")
#: a version as this service writes it; 9 digits stays inside a 32-bit integer column
VERSION_VALUE_RE = re.compile(r"^[0-9]{1,9}$")

UNUSUAL_TITLE = "There is a problem with your request"
UNUSUAL_BODY = ("What was sent contains unusual characters that cannot be saved. Go back, remove any unusual "
                "characters (for example, from text pasted from another program) and try again.")
STALE_TITLE = "This page was changed before it was sent"
STALE_BODY = ("The page you sent from was not the one this service showed you, or it was changed before it was "
              "sent. Go back, reload the page and try again. What you typed may need to be entered again.")
SIGN_IN_UNUSUAL = "Email address and password must not contain unusual characters"


def has_control_characters(value: str) -> bool:
    return CONTROL_RE.search(value) is not None


def _unusual_keys() -> list[str]:
    """Names of the inputs (query, form, URL parts) carrying control characters; the names, never the values."""
    found = []
    for source, items in (("query", request.args.items(multi=True)), ("form", request.form.items(multi=True))):
        for key, value in items:
            if has_control_characters(key) or has_control_characters(value):
                found.append(f"{source}:{CONTROL_RE.sub('?', key)[:40]}")
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and has_control_characters(value):
            found.append(f"url:{key}")
    return found


def _bad_versions() -> list[str]:
    return [key for key, value in request.form.items(multi=True)
            if VERSION_KEY_RE.search(key) and value.strip() and not VERSION_VALUE_RE.match(value.strip())]


def sign_in_refused():
    """The sign-in page with a GOV.UK error, and the attempt in the audit trail."""
    from . import audit
    from .auth.forms import SignInForm
    from .auth.services import find_user_by_email
    from .service import transaction

    email = CONTROL_RE.sub("", request.form.get("email", ""))[:254]
    try:
        with transaction():
            user = find_user_by_email(email) if email.strip() else None
            audit.record("sign_in_failed", "user", user.id if user else None, user=user,
                         detail="unusual characters in the email address or password")
    except Exception:  # pragma: no cover - the refusal must be shown even if auditing fails
        log.exception("could not audit a refused sign-in")
    form = SignInForm(formdata=None)
    form.email.data = email
    return render_template("auth/sign_in.html", form=form, failed=True, failed_message=SIGN_IN_UNUSUAL)


def sign_in_has_unusual_characters() -> bool:
    return bool(g.get("refuse_sign_in"))


#: the largest id any table holds (32-bit integer keys on PostgreSQL); larger ones overflow the database driver
MAX_ID = 2**31 - 1


def _bound_url_integers(app) -> None:
    """An id too large for the database is a page that does not exist (404), not a driver overflow (500)."""
    from werkzeug.routing import IntegerConverter

    for rule in app.url_map.iter_rules():
        for converter in (rule._converters or {}).values():
            if isinstance(converter, IntegerConverter) and converter.max is None:
                converter.max = MAX_ID


def register(app) -> None:
    _bound_url_integers(app)

    @app.before_request
    def refuse_unusable_input():
        from .errors import page

        unusual = _unusual_keys()
        if unusual:
            log.warning("refused control characters on %s %s in %s", request.method, request.path,
                        ",".join(unusual[:5]))
            if request.method == "POST" and request.endpoint == "auth.sign_in":
                # The sign-in view answers, after its rate limit (checked as the view is entered), so unusual
                # characters are no way round the limit on guessing passwords.
                g.refuse_sign_in = True
                return None
            return page(400, UNUSUAL_TITLE, UNUSUAL_BODY)
        if request.method == "POST":
            bad = _bad_versions()
            if bad:
                log.warning("refused non-numeric version on %s %s in %s", request.method, request.path,
                            ",".join(k[:40] for k in bad[:5]))
                return page(400, STALE_TITLE, STALE_BODY)
        return None
