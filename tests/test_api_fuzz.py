"""schemathesis against the OpenAPI document, in-process (WSGI): generated requests with a valid client token get
no server error and answers that match the document; with a missing, wrong, expired or revoked token every
operation answers 401."""
from __future__ import annotations

import contextvars
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from safeguarding.auth.models import Role
from safeguarding.clock import now
from safeguarding.discussions import services as discussions
from safeguarding.extensions import db
from safeguarding.service import transaction

from .api_data import make_client
from .discussion_data import convene, make_child

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
#: 13 operations: about 2,300 generated requests with a valid token in all
EXAMPLES_PER_OPERATION = 175


def _some_records(agencies, make_user) -> None:
    """Rows for generated ids to find now and then: the force's own children, and a discussion with an action."""
    chair = make_user(Role.MASH, "csc")
    officer = make_user(Role.PRACTITIONER, "police")
    children = [make_child(f"Child{n}", agency=agencies["police"]) for n in range(3)]
    sd = convene(chair, children[:1], [agencies["csc"], agencies["police"]])
    with transaction():
        discussions.add_action(sd, {"description": "Check police systems", "owner_id": officer.id,
                                    "child_id": children[0].id, "due_at": now() + timedelta(days=2)}, actor=chair)


def _run_operations(app, token: str, examples: int, checks, mode=GenerationMode.POSITIVE) -> int:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    sent = 0
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            nonlocal sent
            case.call_and_validate(headers=headers, checks=checks)
            sent += 1

        # outside the test's app context, so each request has its own, as in production
        contextvars.Context().run(run)
    return sent


@pytest.mark.slow
def test_generated_requests_with_a_valid_token_get_no_server_error_and_match_the_document(app, agencies, make_user):
    admin = make_user(Role.ADMIN, "csc")
    _, token = make_client(admin, agencies["police"])
    _some_records(agencies, make_user)
    db.session.commit()
    sent = _run_operations(app, token, EXAMPLES_PER_OPERATION, CHECKS)
    assert sent >= 2000


@pytest.mark.slow
def test_generated_invalid_requests_get_a_problem_never_a_server_error(app, agencies, make_user):
    """Bodies, parameters and headers that break the document: refused with a 4xx problem, never a 500."""
    admin = make_user(Role.ADMIN, "csc")
    _, token = make_client(admin, agencies["police"])
    _some_records(agencies, make_user)
    db.session.commit()
    assert _run_operations(app, token, 30, [not_a_server_error, _a_problem], GenerationMode.NEGATIVE) >= 200


def _a_problem(ctx, response, case):
    if response.status_code >= 400:
        kind = {name.lower(): value for name, value in response.headers.items()}.get("content-type", [""])[0]
        assert kind.startswith("application/problem+json"), f"{case.method} {case.path}: {response.status_code} {kind}"


def _refused_everywhere(ctx, response, case):
    assert response.status_code == 401, f"{case.method} {case.path}: {response.status_code}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["missing", "wrong", "expired", "revoked"])
def test_generated_requests_with_a_bad_token_are_all_refused(app, agencies, make_user, kind):
    admin = make_user(Role.ADMIN, "csc")
    client, token = make_client(admin, agencies["police"])
    if kind == "expired":
        client.expires_at = now() - timedelta(minutes=1)
    elif kind == "revoked":
        client.revoked_at = now()
    elif kind == "wrong":
        token = token[:-4] + "AAAA"
    elif kind == "missing":
        token = ""
    db.session.commit()
    checks = [not_a_server_error, _refused_everywhere]
    assert _run_operations(app, token, 10, checks) >= 100
