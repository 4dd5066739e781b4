"""Property-based checks of the whole contract: every operation, generated inputs, all checks.

Every generated request carries a valid all-scopes API key, through a Schemathesis auth provider,
so the tenant operations run past their authentication, and the `ignored_auth` check confirms
each one refuses the same request without a key and with an invalid one. Schemathesis leaves the
key off the cases whose point is a missing or malformed credential.
"""

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.auths import AuthContext
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.case import Case
from sqlmodel import Session

from app.catalogue.snapshot import ExerciseCursor
from app.http.pagination import CURSOR_FORMAT, encode_cursor
from app.plans.schemas import TIME_ZONE_FORMAT, TIME_ZONES
from app.tenants.service import create_organisation
from tests.patients.conftest import issue_key

# Cursors are opaque: a schema-valid one is one the API issued, so generate real ones.
schemathesis.openapi.format(
    CURSOR_FORMAT,
    st.builds(
        ExerciseCursor,
        position=st.integers(min_value=-1, max_value=100),
        slug=st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True),
    ).map(encode_cursor),
)
# A time zone is an IANA name: the schema names the format rather than listing 598 of them.
schemathesis.openapi.format(TIME_ZONE_FORMAT, st.sampled_from(TIME_ZONES))


@pytest.fixture
def api_key(session: Session) -> str:
    """An all-scopes key of a fresh organisation, in the test's own transaction."""
    organisation = create_organisation(session, "Schemathesis")
    return issue_key(session, str(organisation.id))


@pytest.fixture
def api_schema(client: TestClient, app: FastAPI, api_key: str) -> schemathesis.BaseSchema:
    # `client` has run the lifespan, so the app is serving with its catalogue loaded.
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    class BearerKey:
        """The `bearer` scheme's credential; Schemathesis then drops the `api_key` one it
        would otherwise generate, since one satisfied scheme is enough."""

        def get(self, case: Case[Any], context: AuthContext) -> str:
            return api_key

        def set(self, case: Case[Any], key: str, context: AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {key}"

    schema.auth(refresh_interval=None)(BearerKey)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")

# Every operation runs under every check, split in four so parallel workers share the run.
# Scoring and planning cost the most per example, and their cores have property tests of their
# own (tests/assessments/test_scoring.py, tests/plans/test_properties.py): here the point is the
# contract at their edges, which fewer examples still reach. Public reads are cheap: more.
SCORING_AND_PLANNING = ["assessments", "plans", "patient-assessments", "patient-plans"]


def _examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@schema.include(tag="plans").parametrize()
@_examples(25)
def test_plan_previews_conform_to_the_contract(case: Case[Any]) -> None:
    _conforms(case)


@schema.include(tag=["assessments", "patient-assessments", "patient-plans"]).parametrize()
@_examples(25)
def test_scoring_and_stored_plans_conform_to_the_contract(case: Case[Any]) -> None:
    _conforms(case)


@schema.include(tag="patients").parametrize()
@_examples(60)
def test_patient_records_conform_to_the_contract(case: Case[Any]) -> None:
    _conforms(case)


@schema.exclude(tag=[*SCORING_AND_PLANNING, "patients"]).parametrize()
@_examples(60)
def test_public_reads_conform_to_the_contract(case: Case[Any]) -> None:
    _conforms(case)


def _conforms(case: Case[Any]) -> None:
    response = case.call()
    excluded = [positive_data_acceptance] if _domain_rejection(response) else None
    case.validate_response(response, excluded_checks=excluded)


# Rejections that depend on more than one value, or on earlier requests, which JSON Schema cannot
# express: a cursor the API never issued, minutes per day too few for the chosen working hours,
# an Idempotency-Key already used with another body (generated keys repeat across examples;
# a key is single-use per request, and reuse is a 422 as the IETF Idempotency-Key draft says),
# a result token this server did not sign (or signed for an earlier ruleset), and progress logs
# their plan cannot hold, and dates before a patient's plans.
# For those alone, "schema-valid data is accepted" does not apply; every other check still runs.
_DOMAIN_REJECTIONS = {
    "invalid_cursor",
    "too_short",
    "idempotency_key_reused",
    "invalid_result_token",
    "outdated_result_token",
    # A progress log against its plan (app/progress/checks.py): a date in the future or
    # outside the plan, a session or exercise the plan does not hold, a side for an exercise
    # not done per side, two logs of one date.
    "future_date",
    "duplicate_date",
    "outside_plan",
    "unknown_session",
    "unknown_exercise",
    "not_per_side",
    # A date before the patient's first plan starts (a log's or an outcome's), or an outcome's
    # more than 28 days ago for a patient without a plan.
    "before_plan",
    "too_old",
}


def _domain_rejection(response: Any) -> bool:
    if response.status_code != 422:
        return False
    errors = response.json().get("errors") or []
    return bool(errors) and all(error["type"] in _DOMAIN_REJECTIONS for error in errors)
