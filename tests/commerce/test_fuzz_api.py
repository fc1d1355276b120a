"""Fuzz every operation from the service's own OpenAPI schema (schemathesis + hypothesis).

Whatever the generated request, the answer is never a 500, its status is one the schema
documents, and its body matches the documented shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from commerce.api.app import create_app
from commerce.db import Database
from commerce.services import devices
from tests.commerce.conftest import bearer, token_for

EXAMPLES_PER_OPERATION = 25


@pytest.mark.slow
def test_api_answers_every_request_sensibly(sqlite_db: Database):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(sqlite_db))
    with sqlite_db.session(write=True) as session:
        _, kiosk_token = devices.add_device(session, "kiosk", store_id="riverside")
    # customer endpoints get a customer's token, device endpoints a kiosk's
    headers = {"/v1/me": bearer(token_for(sqlite_db, "alice")), "/v1/device": bearer(kiosk_token)}
    # an operation the schema cannot describe is an Err, whose .ok() does not exist: it fails here
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 25, "every endpoint is in the schema"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers=headers.get("/".join(case.path.split("/")[:3])),
                excluded_checks=[checks.positive_data_acceptance],
            )

        fuzz()
