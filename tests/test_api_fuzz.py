"""Schemathesis against /api/v1/openapi.json, in process (issue 14, finding 6): generated requests,
valid and invalid, to every operation with a token of a role it allows, must never get a server
error, a status the document does not list, a body that does not match its schema, or a 405
without `Allow`. Bounded: a fixed seed, four examples per operation (about 30 s of CPU), no shrinking;
`make fuzz` runs the same with FUZZ_EXAMPLES=50."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from blueprints.api.routing import ROUTES
from tests.support.backends import make_app

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.unsupported_method]
ROLES_OF = {spec.endpoint: spec.roles for spec in ROUTES}
# The schema is read when the module is collected; requests go to an app on the test process's own
# database and Redis (the session's `app` fixture, which the test also asks for, migrated them).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", make_app())


@pytest.fixture
def tokens(app, api, make_user):
    return {role: api(make_user(role)).token for role in ("brand", "provider", "admin")}


@schema.parametrize()
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "4")), derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_the_api_answers_every_generated_request_as_documented(case, tokens):
    roles = ROLES_OF.get(case.operation.definition.raw.get("operationId"), ()) or ("brand",)
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[roles[0]]}"}, checks=CHECKS)
