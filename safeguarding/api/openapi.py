"""The OpenAPI 3.1 document, generated from the declared operations and their pydantic models (the same objects
every request is checked with), and the readable page rendered from it."""
from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from . import schemas as s
from . import scopes as scope_rules
from .framework import MAX_ID, OPERATIONS, PROBLEM_TYPE, Operation

REF = "#/components/schemas/{model}"
_ERRORS = {
    400: "The request could not be read (a header, the JSON body or a query parameter)",
    401: "No token, or a wrong, expired or revoked one",
    403: "The token is good but this client may not do this",
    404: "Nothing this client may see has this id",
    412: "The record changed since the ETag sent as If-Match",
    422: "The body breaks a rule; `field` names the answer",
    428: "If-Match is required for this change",
    429: "Too many requests from this client in a minute",
}


def _schemas() -> tuple[dict[str, Any], dict[type, str]]:
    models = {s.ProblemDetails}
    for op in OPERATIONS:
        models.update(m for m in (op.body, op.response) if m is not None)
    pairs = [(m, "validation") for m in models if _is_input(m)] + \
        [(m, "serialization") for m in models if not _is_input(m)]
    keys, top = models_json_schema(pairs, ref_template=REF)
    names = {model: keys[(model, mode)]["$ref"].rsplit("/", 1)[-1] for model, mode in pairs}
    return top.get("$defs", {}), names


def _is_input(model) -> bool:
    return any(op.body is model for op in OPERATIONS)


def _ref(name: str) -> dict:
    return {"$ref": REF.format(model=name)}


def _problem(status: int, names) -> dict:
    return {"description": _ERRORS[status], "content": {PROBLEM_TYPE: {"schema": _ref(names[s.ProblemDetails])}}}


def _parameters(op: Operation) -> list[dict]:
    params = []
    for name in _path_names(op.path):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})
    if op.query is not None:
        query_schema = op.query.model_json_schema(ref_template=REF)
        required = set(query_schema.get("required", []))
        for name, prop in query_schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", "")
            prop.pop("title", None)
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop,
                           **({"description": description} if description else {})})
    if op.method == "POST":
        params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                       "description": "New for each new request; the same when retrying one. The same key with "
                                      "the same body answers as the first time; with another body, 422.",
                       "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{8,64}$"}})
    if op.if_match:
        params.append({"name": "If-Match", "in": "header", "required": op.if_match == "required",
                       "description": "The ETag of the record as last fetched, e.g. \"v3\"",
                       "schema": {"type": "string", "pattern": '^"v[0-9]{1,9}"$'}})
    return params


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", path)


def _operation(op: Operation, names: dict) -> dict:
    success: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created",
                               "content": {"application/json": {"schema": _ref(names[op.response])}}}
    if op.etag:
        success["headers"] = {"ETag": {"description": "The record's version, for If-Match",
                                       "schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(op.status): success}
    statuses = [401, 403, 429]
    if op.query is not None or op.method == "POST":
        statuses.append(400)
    if _path_names(op.path) or op.not_found:
        statuses.append(404)
    if op.method == "POST":
        statuses.append(422)
    if op.if_match:
        statuses.append(412)
    if op.if_match == "required":
        statuses.append(428)
    for status in sorted(statuses):
        responses[str(status)] = _problem(status, names)
    body = {}
    if op.body is not None:
        body = {"requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref(names[op.body])}}}}
    scope = scope_rules.scope_name(op.resource, op.access)
    return {"operationId": op.operation_id, "summary": op.summary, "tags": [op.resource],
            **({"description": op.description} if op.description else {}),
            "security": [{"bearerAuth": [scope]}], "parameters": _parameters(op), **body,
            "responses": dict(sorted(responses.items())), "x-scope": scope}


def document(base_url: str = "/api/v1") -> dict:
    schemas, names = _schemas()
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, names)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Strategy Discussion Coordinator integration API", "version": "1.0.0",
                 "description": "For the partnership's other systems: the council's case system and the police "
                                "records system. Authenticate with a client token from the administrator "
                                "(Authorization: Bearer <token>). Every POST needs an Idempotency-Key; changes to a "
                                "versioned record need its ETag as If-Match; lists are paged with next_cursor; "
                                "errors are RFC 9457 problem details naming the field."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A client token, shown once when the administrator "
                                                              "creates the client"}},
        },
    }
