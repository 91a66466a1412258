"""Error pages: a clear message, never a stack trace."""
from __future__ import annotations

import logging

from typing import Callable

from flask import has_request_context, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from . import audit
from .extensions import db
from .service import StaleEdit, is_conflict

log = logging.getLogger("safeguarding.errors")

MESSAGES = {
    400: ("There is a problem with your request",
          "The page could not understand what was sent. Go back and try again."),
    403: ("You do not have permission to see this page",
          "If you think you should, ask your manager or administrator."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. The page may also be one you cannot see."),
    405: ("There is a problem with your request", "That page cannot be used in this way."),
    409: ("Someone else was saving this record at the same moment",
          "Nothing from your page was saved. Go back, check what the record shows now, then save again."),
    413: ("What you sent is too large", "Go back, shorten the longest answers (a summary, with the full text kept "
                                        "in your agency's own records) and try again."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service",
          "Try again later. Nothing you saved before this page was lost."),
}


#: path prefix -> function(status, title, body) -> response: the parts of the service that answer machines, not
#: people (the integration API answers with problem details), registered by the feature at start-up
MACHINE_ANSWERS: dict[str, Callable] = {}


def register_machine_answer(prefix: str, answer: Callable) -> None:
    MACHINE_ANSWERS[prefix] = answer


def page(status: int, title: str | None = None, body: str | None = None):
    """The error page for `status`, with its own title and body when the default would not say enough."""
    default_title, default_body = MESSAGES.get(status, MESSAGES[500])
    for prefix, answer in MACHINE_ANSWERS.items():
        if has_request_context() and request.path.startswith(prefix):
            return answer(status, title or default_title, body or default_body)
    return render_template("errors/error.html", status=status, title=title or default_title,
                           body=body or default_body), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        log.warning("csrf failure: %s", err.description)
        try:
            audit.record("csrf_fail", detail=f"{request.method} {request.path}")
            db.session.commit()
        except Exception:  # pragma: no cover - never let auditing hide the page
            db.session.rollback()
        return page(400, "Your form has expired",
                     "For your security, forms stop working after a while or when you sign out. "
                     "Go back, reload the page and try again. What you typed may need to be entered again.")

    @app.errorhandler(StaleEdit)
    def conflict(err: StaleEdit):
        # a page whose view has no conflict banner of its own: still not a server error, and nothing half-saved
        db.session.rollback()
        return page(409)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        return page(err.code)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if isinstance(err, DBAPIError) and is_conflict(err):
            # another transaction held the rows this request wanted, outside a unit of work (which would have
            # made it a StaleEdit): nothing was saved, and trying again can succeed
            log.warning("gave way to another change on %s %s: %s", request.method, request.path, err.orig)
            db.session.rollback()
            return page(409)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return page(500)
