"""How every /api/v1 operation is served: the token, the scope, the rate limit, the idempotency key, the body
checked against the same pydantic model the OpenAPI document is generated from, and errors as problem details
(RFC 9457). An operation is declared once with `operation(...)`; the route and its OpenAPI entry come from it.

No cookie or session is read or written: the Bearer token is the only credential, so CSRF does not arise and the
blueprint is exempt from it (and only this blueprint).
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, g, jsonify, request
from limits import RateLimitItemPerMinute
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from .. import audit
from ..auth.access import deny
from ..clock import now
from ..extensions import db, limiter
from ..service import Contended, RuleError, StaleEdit, is_conflict, transaction
from . import scopes as scope_rules
from .models import ApiClient, ApiIdempotencyKey
from .services import client_for_token

log = logging.getLogger("safeguarding.api")

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PROBLEM_TYPE = "application/problem+json"
#: ids are 32-bit integers in every table; anything larger names nothing
MAX_ID = 2_147_483_647
KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
ETAG_RE = re.compile(r'^(?:W/)?"v([0-9]{1,9})"$')
#: last_used_at is written at most this often, so reading is not a write per request
TOUCH_EVERY = timedelta(seconds=60)
TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 412: "Precondition failed", 413: "Request too large",
          422: "Unprocessable content", 428: "Precondition required", 429: "Too many requests",
          500: "Internal server error"}


class Problem(Exception):
    """An answer other than success: rendered as application/problem+json. `field` names the input it is about."""

    def __init__(self, status: int, detail: str, field: str | None = None, *, errors: list | None = None,
                 headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field
        self.errors = errors or ([{"field": field, "detail": detail}] if field else [])
        self.headers = headers or {}


def problem_response(err: Problem):
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(err.status, "Error"), "status": err.status,
                            "detail": err.detail}
    if err.field:
        body["field"] = err.field
    if err.errors:
        body["errors"] = err.errors
    response = jsonify(body)
    response.status_code = err.status
    response.mimetype = PROBLEM_TYPE
    for name, value in err.headers.items():
        response.headers[name] = value
    return response


def _machine_answer(status: int, title: str, body: str):
    return problem_response(Problem(status, f"{title}. {body}"))


def register() -> None:
    """Errors met before an API view runs (an unknown path, a refused character, a body too large, a method the
    path does not take) answer with problem details too, not the error page for people."""
    from ..errors import register_machine_answer
    from ..reminders import delivery
    from . import webhooks

    register_machine_answer(bp.url_prefix + "/", _machine_answer)
    webhooks.listen()
    if webhooks.deliver not in delivery.OTHER_OUTBOXES:
        delivery.OTHER_OUTBOXES.append(webhooks.deliver)


@bp.errorhandler(Problem)
def _problem(err: Problem):
    return problem_response(err)


@bp.errorhandler(HTTPException)
def _http_problem(err: HTTPException):
    # e.g. the audited 404 of `visible_or_404`: an object this client may not see reads as one that does not exist
    code = err.code or 500
    return problem_response(Problem(code, TITLES.get(code, err.name)))


def _gave_way() -> Problem:
    """The database made this request give way to another changing the same rows at that moment (not a stale
    ETag): nothing was saved, and the same request sent again can succeed."""
    return Problem(409, "Someone else was changing the same record at that moment, so nothing was saved: send the "
                        "same request again, with the same Idempotency-Key", headers={"Retry-After": "1"})


@bp.errorhandler(Exception)
def _unexpected(err: Exception):  # pragma: no cover - the fuzz test keeps this unreachable
    db.session.rollback()
    if isinstance(err, DBAPIError) and is_conflict(err):
        log.warning("API request gave way to another change on %s %s: %s", request.method, request.path, err.orig)
        return problem_response(_gave_way())
    log.exception("unhandled API error on %s %s", request.method, request.path)
    return problem_response(Problem(500, "Something went wrong; nothing was saved"))


# --- Operations -----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a POST did: the status to answer with and the record to show (kind "" for none)."""

    status: int
    kind: str = ""
    id: int | None = None
    detail: str = ""


@dataclass
class Operation:
    method: str
    path: str
    resource: str
    access: str
    summary: str
    handler: Callable
    description: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    #: "required" (a change to a versioned record) or "optional" or None
    if_match: str | None = None
    #: the operation answers 404 for something other than a path id (e.g. no match)
    not_found: bool = False
    etag: bool = False
    #: form field names the services use -> this operation's field names, for RuleError.field
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


OPERATIONS: list[Operation] = []
#: kind -> function(id) -> (pydantic model instance, version or None, child ids shown) or None when not visible
RENDERERS: dict[str, Callable[[int], tuple[BaseModel, int | None, list[int]] | None]] = {}


def renderer(kind: str):
    def register(fn):
        RENDERERS[kind] = fn
        return fn
    return register


def operation(method: str, path: str, *, resource: str, access: str, summary: str, **options):
    """Declare an operation: `path` in OpenAPI form ("/children/{child_id}"); every path parameter is an id."""

    def decorator(handler: Callable) -> Callable:
        op = Operation(method=method, path=path, resource=resource, access=access, summary=summary,
                       handler=handler, description=(handler.__doc__ or "").strip(), **options)
        OPERATIONS.append(op)
        rule = re.sub(r"\{(\w+)\}", r"<int:\1>", path)
        view = _view(op)
        view._public = True  # type: ignore[attr-defined]  # the token is checked here, not the sign-in session
        bp.add_url_rule(rule, endpoint=op.operation_id, view_func=view, methods=[method])
        return handler

    return decorator


def _view(op: Operation):
    @wraps(op.handler)
    def view(**path_args):
        client = authenticate()
        for name, value in path_args.items():
            if not 1 <= value <= MAX_ID:
                raise Problem(404, "Not found", name)
        if not scope_rules.allows(client.scopes, op.resource, op.access):
            raise Problem(403, f"This client may not {op.access} {op.resource}; ask the administrator to add "
                               f"the {scope_rules.scope_name(op.resource, op.access)} scope")
        _rate_limit(client)
        query = parse(op.query, request.args.to_dict(flat=True), "query") if op.query else None
        if_match = _if_match(op)
        if op.method != "POST":
            return op.handler(query=query, **path_args) if op.query else op.handler(**path_args)
        return _post_once(op, client, path_args, if_match)

    return view


# --- Authentication, scope and rate -----------------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate() -> ApiClient:
    """The client whose token this request carries, made the request's user for scopes and audit; else 401."""
    moment = now()
    client = client_for_token(_bearer(), moment)
    if client is None:
        # one answer for a missing, wrong, expired or revoked token: which it was is for the administrator
        raise Problem(401, "Send a valid, unexpired API token as 'Authorization: Bearer <token>'",
                      headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    # Flask-Login's current user for this request only (no session): row scopes and the audit trail use it
    g._login_user = Principal(client.service_user)
    g.api_client = client
    if client.last_used_at is None or moment - client.last_used_at > TOUCH_EVERY:
        client.last_used_at = moment
        db.session.commit()
    return client


class Principal:
    """The client's service account, signed in for one request. The account itself is never active (nobody can
    sign in as it, and it is nobody's picker choice or reminder recipient), and Flask-Login counts an inactive
    user as not signed in; this wrapper is signed in, and is the account in every other respect."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user):
        self._user = user

    def __getattr__(self, name):
        return getattr(self._user, name)

    def get_id(self) -> str:
        return str(self._user.id)


def _rate_limit(client: ApiClient) -> None:
    if not limiter.enabled:
        return
    item = RateLimitItemPerMinute(max(1, client.requests_per_minute))
    if not limiter.limiter.hit(item, "api-client", str(client.id)):
        raise Problem(429, f"More than {client.requests_per_minute} requests a minute: wait, then try again",
                      headers={"Retry-After": "60"})


def api_client() -> ApiClient:
    return g.api_client


# --- Input ------------------------------------------------------------------------------------------------------


def _field_of(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "body"


def parse(model: type[BaseModel], data: Any, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = [{"field": _field_of(e["loc"]), "detail": e["msg"]} for e in err.errors(include_url=False)]
        status = 400 if where == "query" else 422
        raise Problem(status, f"The {where} is not valid: {errors[0]['field']}: {errors[0]['detail']}",
                      errors[0]["field"], errors=errors) from None


def _json_body() -> Any:
    if not request.is_json:
        raise Problem(400, "Send the body as JSON, with Content-Type: application/json", "body")
    data = request.get_json(silent=True)
    if data is None:
        raise Problem(400, "The body is not valid JSON", "body")
    return data


def _if_match(op: Operation) -> int | None:
    header = request.headers.get("If-Match")
    if op.if_match is None:
        return None
    if header is None:
        if op.if_match == "required":
            raise Problem(428, "Send the record's ETag as If-Match, so a change made on an older version is "
                               "refused rather than overwriting someone else's", "If-Match")
        return None
    found = ETAG_RE.match(header.strip())
    if found is None:
        raise Problem(412, "If-Match does not match the record's current ETag: fetch it again", "If-Match")
    return int(found.group(1))


def etag(version: int | None) -> str:
    return f'"v{version}"'


def rule_problem(op: Operation, err: RuleError) -> Problem:
    name = op.fields.get(err.field or "", err.field) if err.field else None
    return Problem(422, err.message, name)


# --- Idempotent POSTs -------------------------------------------------------------------------------------------


def _fingerprint(body: Any) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\0".encode())
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
    return digest.hexdigest()


def _post_once(op: Operation, client: ApiClient, path_args: dict, if_match: int | None):
    key = request.headers.get("Idempotency-Key", "")
    if not KEY_RE.match(key):
        raise Problem(400, "Send an Idempotency-Key header of 8 to 64 letters, digits or -_.: characters, new "
                           "for each new request and the same when retrying one", "Idempotency-Key")
    raw = _json_body() if op.body else None
    body = parse(op.body, raw, "body") if op.body else None
    print_ = _fingerprint(raw)
    earlier = db.session.get(ApiIdempotencyKey, (client.id, key))
    if earlier is None:
        try:
            with transaction():
                claim = ApiIdempotencyKey(client_id=client.id, key=key, fingerprint=print_, status=0)
                db.session.add(claim)
                db.session.flush()  # a concurrent claim of the same key waits here on PostgreSQL
                outcome = op.handler(body=body, if_match=if_match, **path_args)
                claim.status, claim.result_kind, claim.result_id = outcome.status, outcome.kind, outcome.id
        except RuleError as err:
            raise rule_problem(op, err) from None
        except Contended:
            raise _gave_way() from None
        except StaleEdit:
            raise Problem(412, "The record was changed after the ETag sent as If-Match: fetch it again",
                          "If-Match") from None
        except IntegrityError:
            earlier = db.session.get(ApiIdempotencyKey, (client.id, key))
            if earlier is None:
                raise
        else:
            return render(outcome)
    if earlier.fingerprint != print_:
        raise Problem(422, "This Idempotency-Key was used for a different request: use a new key for a new request",
                      "Idempotency-Key")
    return render(Outcome(earlier.status, earlier.result_kind, earlier.result_id), replayed=True)


# --- Output -----------------------------------------------------------------------------------------------------


def audit_view(object_type: str, object_id: int | None, child_ids=()) -> None:
    """Every call is audited like a page view: who (the client's account), what, and which children it showed."""
    client = g.get("api_client")
    audit.record_view(object_type, object_id, child_ids,
                      detail=f"API client {client.id}: {request.method} {request.path}" if client else None)


def render(outcome: Outcome, replayed: bool = False):
    if not outcome.kind:
        raise Problem(outcome.status if outcome.status >= 400 else 404, outcome.detail or "Not found")
    shown = RENDERERS[outcome.kind](outcome.id)
    if shown is None:
        deny(404, outcome.kind, outcome.id)  # audited as a refusal, like a page out of the person's scope
    model, version, child_ids = shown
    audit_view(outcome.kind, outcome.id, child_ids)
    return json_response(model, outcome.status, version=version, replayed=replayed)


def json_response(model: BaseModel, status: int = 200, *, version: int | None = None, replayed: bool = False):
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    if version is not None:
        response.headers["ETag"] = etag(version)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def show(kind: str, object_id: int):
    """A GET of one record: 404 unless this client may see it."""
    return render(Outcome(200, kind, object_id))


# --- Cursors ----------------------------------------------------------------------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id the previous page ended at (0: from the start). Opaque to clients; stable because lists go by id."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, value = text.partition(":")
        last = int(value)
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "The cursor is not one this service gave: start again without it", "cursor") from None
    if name != "after" or not 0 <= last <= MAX_ID:
        raise Problem(400, "The cursor is not one this service gave: start again without it", "cursor")
    return last


def page_of(query, id_column, cursor: str | None, limit: int):
    """Rows after the cursor, `limit` of them, and the cursor for the next page (None at the end)."""
    after = decode_cursor(cursor)
    rows = list(db.session.execute(query.where(id_column > after).order_by(id_column).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)
