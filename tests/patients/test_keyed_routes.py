"""Keyed routes judge the key and its scope before anything the caller sent."""

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.http.routing import api_routes
from app.tenants import KeyedRoute, Scope, needs, principal_of
from app.tenants.openapi import document_security
from tests.patients.conftest import Tenant, issue_key


def test_the_key_and_its_scope_come_before_the_path_and_the_body(
    client: TestClient, session: Session, clinic: Tenant
) -> None:
    """A malformed path id and a malformed body: a caller without access learns nothing of
    how either is judged."""

    def post(**headers: str) -> Response:
        return client.post(
            "/v1/patients/not-a-uuid/assessments",
            content=b"{not json",
            headers={"Content-Type": "application/json", **headers},
        )

    assert post().status_code == 401
    reader = issue_key(session, clinic.organisation_id, [Scope.patients_read])
    refused = post(Authorization=f"Bearer {reader}")
    assert refused.status_code == 403
    assert refused.json()["required_scope"] == Scope.assessments_write.value
    assert post(**clinic.headers()).status_code in (400, 422)  # the operation's own judgement


def test_a_keyed_route_must_name_its_scope() -> None:
    router = APIRouter(route_class=KeyedRoute)

    async def endpoint() -> None: ...

    with pytest.raises(TypeError, match="names its scope"):
        router.get("/unscoped")(endpoint)
    router.get("/scoped", openapi_extra=needs(Scope.patients_read))(endpoint)  # accepted


def test_principal_of_refuses_a_request_no_keyed_route_authenticated() -> None:
    request = Request({"type": "http", "path": "/v1/exercises", "headers": [], "state": {}})
    with pytest.raises(RuntimeError, match="not served by a KeyedRoute"):
        principal_of(request)


def test_every_patient_route_checks_the_scope_it_names(app: FastAPI) -> None:
    patient_routes = [
        (path, route) for path, route in api_routes(app.routes) if path.startswith("/v1/patients")
    ]
    assert len(patient_routes) == 23
    for path, route in patient_routes:
        assert isinstance(route, KeyedRoute), path
        assert route.openapi_extra is not None
        assert Scope(route.openapi_extra["x-required-scope"]), path


def test_a_scope_named_on_an_unchecked_route_fails_the_contract() -> None:
    """Documented as keyed but checked by nothing: the contract refuses to build."""
    app = FastAPI()

    @app.get("/v1/unchecked", openapi_extra=needs(Scope.patients_read))
    async def unchecked() -> None: ...

    routes = [(route.path, route) for route in app.routes if isinstance(route, APIRoute)]
    with pytest.raises(TypeError, match="not a KeyedRoute"):
        document_security({"paths": {"/v1/unchecked": {"get": {"responses": {}}}}}, routes)
