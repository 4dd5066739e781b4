"""Property-based checks of the whole contract: every operation, generated inputs, all checks."""

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.case import Case

from app.catalogue.snapshot import ExerciseCursor
from app.pagination import CURSOR_FORMAT, encode_cursor

# Cursors are opaque: a schema-valid one is one the API issued, so generate real ones.
schemathesis.openapi.format(
    CURSOR_FORMAT,
    st.builds(
        ExerciseCursor,
        o=st.integers(min_value=-1, max_value=100),
        s=st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True),
    ).map(encode_cursor),
)


@pytest.fixture
def api_schema(client: TestClient, app: FastAPI) -> schemathesis.BaseSchema:
    # `client` has run the lifespan, so the app is serving with its catalogue loaded.
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_contract(case: Case[Any]) -> None:
    # A pattern-valid cursor is not necessarily one the API issued: rejecting a forged one with
    # 422 is the contract, so only for those requests is "valid data accepted" not checked.
    forged_cursor = bool(case.query) and "cursor" in case.query
    case.call_and_validate(excluded_checks=[positive_data_acceptance] if forged_cursor else None)
