"""Bad input at scale: schemathesis generates requests from our own OpenAPI schema for every
operation (with a valid token where one is needed) against a real server, and checks that
nothing is a server error and every response matches the schema we publish."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.live.conftest import serve_wallet

pytestmark = pytest.mark.live_server


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    with serve_wallet("sqlite", tmp_path_factory.mktemp("fuzz")) as wallet:
        yield wallet


@pytest.fixture(scope="module")
def fuzz_token(fuzz_server):
    fuzz_server.signup("Fuzzy")
    return fuzz_server.signup("Tester")["token"]


def published_schema() -> dict:
    """The schema exactly as /api/schema/ serves it (built in-process at collection time;
    schemathesis' fixture-based loading does not run under pytest 9)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(published_schema())


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_match_the_schema(case, fuzz_server, fuzz_token):
    case.call_and_validate(
        base_url=fuzz_server.base_url,
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
    )
