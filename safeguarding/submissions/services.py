"""Run a create once per submission; see the package docstring for why."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Callable

from flask import request
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from ..clock import now
from ..extensions import db
from ..service import Contended, RuleError, transaction
from .models import FormSubmission

#: how long identical answers to the same form count as the same submission
REPEAT_WINDOW = timedelta(minutes=30)
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: fields that differ between two renderings of the same form, so are left out of the fingerprint
_VOLATILE = {"csrf_token", "submission_key"}


class AlreadySaved(Exception):
    """This submission was saved before; `url` shows what it created."""

    def __init__(self, url: str):
        super().__init__("This was already saved")
        self.url = url


def new_key() -> str:
    return secrets.token_urlsafe(24)


class OnceForm:
    """Mixin for create forms: a hidden one-time key, issued when the form is shown."""

    submission_key = HiddenField(default=new_key)


def fingerprint() -> str:
    """What this request posted to which page, hashed."""
    digest = hashlib.sha256(request.path.encode())
    for name in sorted(set(request.form.keys()) - _VOLATILE):
        for value in request.form.getlist(name):
            digest.update(b"\0" + name.encode() + b"=" + value.encode("utf-8", "replace"))
    return digest.hexdigest()


def _previous(key: str, user_id: int, print_: str) -> FormSubmission | None:
    by_key = db.session.get(FormSubmission, key)
    if by_key is not None:
        return by_key
    return db.session.execute(
        db.select(FormSubmission)
        .where(FormSubmission.user_id == user_id, FormSubmission.fingerprint == print_,
               FormSubmission.saved_at >= now() - REPEAT_WINDOW)
        .order_by(FormSubmission.saved_at.desc()).limit(1)
    ).scalar_one_or_none()


def once(key: str | None, user_id: int, create: Callable[[], str]) -> str:
    """Run `create` (which flushes the new record and returns the URL that shows it) in one transaction, once.

    Raises AlreadySaved when this key, or the same answers from the same person, were saved already; RuleError when
    the form carries no valid key (it was not shown by this service).
    """
    # The key must be the one posted: a form without one would otherwise get a fresh default key, and be saved
    # again on every resubmission.
    if not key or not KEY_RE.match(key) or request.form.get("submission_key") != key:
        raise RuleError("This form has expired. Reload the page and try again", "submission_key")
    print_ = fingerprint()
    earlier = _previous(key, user_id, print_)
    if earlier is not None:
        raise AlreadySaved(earlier.result_url)
    try:
        with transaction():
            claim = FormSubmission(key=key, user_id=user_id, fingerprint=print_)
            db.session.add(claim)
            db.session.flush()  # on PostgreSQL a concurrent claim of this key waits here for ours to commit
            claim.result_url = create()
    except Contended:
        # Someone else was saving for the same record at that moment and this create gave way: nothing was kept
        # (the key's claim neither), so the form is shown again with what was typed, to be sent again.
        raise RuleError("Someone else was saving to the same record at the same moment, so this was not saved. "
                        "Check your answers, then save again", "submission_key") from None
    except IntegrityError:
        # The same key was claimed by a request that committed first; show what it saved.
        earlier = db.session.get(FormSubmission, key)
        if earlier is None:
            raise
        raise AlreadySaved(earlier.result_url) from None
    return claim.result_url


def show_already_saved(err: AlreadySaved, fallback: str = "/home"):
    """The answer to a repeated submission: what was saved, and a message saying so."""
    from flask import flash, redirect

    flash("This was already saved. Nothing new was added.", "success")
    return redirect(err.url or fallback)
