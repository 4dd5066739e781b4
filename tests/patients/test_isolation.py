"""Isolation between organisations (BOLA) and authentication, route by route.

Every route with an id in its path is called by six callers: the owner's key, another
organisation's key, no key, a revoked key, an expired key, and a key of the owner's organisation
with every scope but the one the route needs. They get the route's success status, 404, 401,
401, 401 and 403. A refusal is the same for an existing id and a random one (no oracle), and a
refused change changes nothing.
"""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session

from app.assessments.examples import NO_RED_FLAGS
from app.assessments.examples import REQUESTS as ANSWERS
from app.patients.examples import PLAN_REQUESTS_FOR_PATIENT
from app.tenants.keys import Scope
from tests.patients.conftest import Tenant, create_patient, issue_key

PROBLEM = "application/problem+json"
CHALLENGE = 'Bearer realm="hipspine"'
ANSWERS_BODY = ANSWERS["self_care"]["value"]
_ZONE = PLAN_REQUESTS_FOR_PATIENT["from_latest_assessment"]["value"]["time_zone"]
TODAY = datetime.now(ZoneInfo(_ZONE)).date()
# Started three days ago, so its days gone can be logged.
PLAN_BODY = {
    **PLAN_REQUESTS_FOR_PATIENT["from_latest_assessment"]["value"],
    "start_date": (TODAY - timedelta(days=3)).isoformat(),
}
LOGGED = (TODAY - timedelta(days=1)).isoformat()  # the records hold a log of this day
FREE = TODAY.isoformat()  # and none of this one
LOG_BODY = {
    "pain": 3,
    "hip_mobility": 6,
    "relief_movements": [],
    "sessions_done": [],
    "sharp_pain": [],
    "red_flags": NO_RED_FLAGS,
}
OUTCOME_BODY = {
    "instrument": "peg",
    "timepoint": "baseline",
    "taken_on": LOGGED,
    "items": {"pain_average": 5, "enjoyment_interference": 4, "activity_interference": 3},
}

Caller = Literal["own", "other_org", "no_key", "revoked", "expired", "lacks_scope"]
CALLERS: tuple[Caller, ...] = ("own", "other_org", "no_key", "revoked", "expired", "lacks_scope")
REFUSED = {"other_org": 404, "no_key": 401, "revoked": 401, "expired": 401, "lacks_scope": 403}
CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # placeholders: {patient}, {assessment}, {plan}, {outcome}, {logged}, {free}
    scope: Scope
    success: int
    body: dict[str, Any] | None = None
    # Whose ETag to send as If-Match, so the matrix tests authorisation, not preconditions.
    if_match: Literal["patient", "plan"] | None = None
    mutates: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


ROUTES = (
    Route("GET", "/v1/patients/{patient}", Scope.patients_read, 200),
    Route(
        "PATCH",
        "/v1/patients/{patient}",
        Scope.patients_write,
        200,
        body={"attributes": {"age_band": "50-59"}},
        if_match="patient",
        mutates=True,
    ),
    Route(
        "DELETE",
        "/v1/patients/{patient}",
        Scope.patients_write,
        204,
        if_match="patient",
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/export", Scope.patients_export, 200),
    Route(
        "POST",
        "/v1/patients/{patient}/assessments",
        Scope.assessments_write,
        201,
        body=ANSWERS_BODY,
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/assessments", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/assessments/{assessment}", Scope.patients_read, 200),
    Route(
        "POST",
        "/v1/patients/{patient}/plans",
        Scope.plans_write,
        201,
        body=PLAN_BODY,
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/plans", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/plans/{plan}", Scope.patients_read, 200),
    Route(
        "PATCH",
        "/v1/patients/{patient}/plans/{plan}",
        Scope.plans_write,
        200,
        body={"status": "paused"},
        if_match="plan",
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/plans/{plan}/calendar", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/plans/{plan}/revisions", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/plans/{plan}/revisions/1", Scope.patients_read, 200),
    Route(
        "PUT",
        "/v1/patients/{patient}/logs/{free}",
        Scope.logs_write,
        201,
        body=LOG_BODY,
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/logs/{logged}", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/logs", Scope.patients_read, 200),
    Route(
        "POST",
        "/v1/patients/{patient}/outcomes",
        Scope.logs_write,
        201,
        body=OUTCOME_BODY,
        mutates=True,
    ),
    Route("GET", "/v1/patients/{patient}/outcomes", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/outcomes/{outcome}", Scope.patients_read, 200),
    Route("GET", "/v1/patients/{patient}/progress", Scope.patients_read, 200),
)


@dataclass(frozen=True)
class Records:
    """One patient of an organisation, with one stored assessment, one stored plan, one daily
    log and one outcome measure."""

    patient: str
    assessment: str
    plan: str
    outcome: str

    @property
    def ids(self) -> dict[str, str]:
        return {
            "patient": self.patient,
            "assessment": self.assessment,
            "plan": self.plan,
            "outcome": self.outcome,
            "logged": LOGGED,
            "free": FREE,
        }


def _random_records() -> Records:
    return Records(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _json(response: Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return body


def _store_records(client: TestClient, tenant: Tenant, reference: str) -> Records:
    patient = create_patient(client, tenant, reference)["id"]
    assessment = client.post(
        f"/v1/patients/{patient}/assessments", json=ANSWERS_BODY, headers=tenant.headers()
    )
    assert assessment.status_code == 201, assessment.text
    plan = client.post(f"/v1/patients/{patient}/plans", json=PLAN_BODY, headers=tenant.headers())
    assert plan.status_code == 201, plan.text
    log = client.put(
        f"/v1/patients/{patient}/logs/{LOGGED}", json=LOG_BODY, headers=tenant.headers()
    )
    assert log.status_code == 201, log.text
    outcome = client.post(
        f"/v1/patients/{patient}/outcomes", json=OUTCOME_BODY, headers=tenant.headers()
    )
    assert outcome.status_code == 201, outcome.text
    return Records(patient, _json(assessment)["id"], _json(plan)["id"], _json(outcome)["id"])


@pytest.fixture
def records(client: TestClient, clinic: Tenant) -> Records:
    return _store_records(client, clinic, "RIVER-1")


def _etag(client: TestClient, tenant: Tenant, path: str) -> str:
    response = client.get(path, headers=tenant.headers())
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def _count(client: TestClient, tenant: Tenant, path: str) -> int:
    response = client.get(path, params={"limit": 100}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    page = _json(response)
    assert page["next_cursor"] is None
    return len(page["items"])


def _state(client: TestClient, owner: Tenant, records: Records) -> dict[str, Any]:
    """What the owner sees of its records: every mutating route would change one of these."""
    patient = f"/v1/patients/{records.patient}"
    return {
        "patient_etag": _etag(client, owner, patient),
        "plan_etag": _etag(client, owner, f"{patient}/plans/{records.plan}"),
        "assessments": _count(client, owner, f"{patient}/assessments"),
        "plans": _count(client, owner, f"{patient}/plans"),
        "logs": _count(client, owner, f"{patient}/logs"),
        "outcomes": _count(client, owner, f"{patient}/outcomes"),
    }


def _call(
    client: TestClient,
    route: Route,
    ids: Mapping[str, str],
    headers: Mapping[str, str],
    if_match: str | None = None,
) -> Response:
    sent = dict(headers)
    if if_match is not None:
        sent["If-Match"] = if_match
    return client.request(
        route.method,
        route.path.format(**ids),
        content=None if route.body is None else json.dumps(route.body),
        headers={**sent, "Content-Type": "application/json"} if route.body else sent,
    )


def _normalised(response: Response, ids: Mapping[str, str]) -> dict[str, Any]:
    """A refusal with its ids replaced by their names and its request id dropped: what must be
    the same for an existing id and a random one."""
    text = response.text
    for name, value in ids.items():
        text = text.replace(value, f"<{name}>")
    body: dict[str, Any] = json.loads(text)
    body.pop("request_id")
    return {
        "status": response.status_code,
        "content-type": response.headers["content-type"],
        "www-authenticate": response.headers.get("www-authenticate"),
        "cache-control": response.headers.get("cache-control"),
        "body": body,
    }


def _assert_problem(response: Response, status: int, scope: Scope | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = _json(response)
    assert problem["status"] == status
    assert problem["code"] == CODES[status]
    if status == 401:
        assert response.headers["www-authenticate"] == CHALLENGE
    else:
        assert "www-authenticate" not in response.headers
    if status == 403:
        assert scope is not None
        assert problem["required_scope"] == scope.value
        assert f"'{scope.value}'" in problem["detail"]


@dataclass(frozen=True)
class Keys:
    revoked: str
    expired: str


@pytest.fixture
def keys(revoked_key: str, expired_key: str) -> Keys:
    return Keys(revoked=revoked_key, expired=expired_key)


def _headers(
    caller: Caller, session: Session, owner: Tenant, other: Tenant, scope: Scope, keys: Keys
) -> dict[str, str]:
    if caller == "own":
        return owner.headers()
    if caller == "other_org":
        return other.headers()
    if caller == "no_key":
        return {}
    if caller == "lacks_scope":
        return _bearer(issue_key(session, owner.organisation_id, set(Scope) - {scope}))
    return _bearer(keys.revoked if caller == "revoked" else keys.expired)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=[route.label for route in ROUTES])
def test_every_route_with_an_id_answers_each_caller(
    client: TestClient,
    session: Session,
    clinic: Tenant,
    other_clinic: Tenant,
    keys: Keys,
    records: Records,
    route: Route,
    caller: Caller,
) -> None:
    headers = _headers(caller, session, clinic, other_clinic, route.scope, keys)
    patient_path = f"/v1/patients/{records.patient}"
    if_match = None
    if route.if_match == "patient":
        if_match = _etag(client, clinic, patient_path)
    elif route.if_match == "plan":
        if_match = _etag(client, clinic, f"{patient_path}/plans/{records.plan}")
    before = _state(client, clinic, records) if route.mutates else None

    response = _call(client, route, records.ids, headers, if_match)

    if caller == "own":
        assert response.status_code == route.success, response.text
        if route.method == "DELETE":
            assert client.get(patient_path, headers=clinic.headers()).status_code == 404
        elif before is not None:
            # The snapshot sees every permitted change, so its staying put below means something.
            assert _state(client, clinic, records) != before
        return
    _assert_problem(response, REFUSED[caller], route.scope)
    # The same caller naming ids that do not exist gets the very same answer.
    random = _random_records()
    unknown = _call(client, route, random.ids, headers, if_match)
    assert _normalised(unknown, random.ids) == _normalised(response, records.ids)
    if before is not None:
        assert _state(client, clinic, records) == before


# Record routes: the other organisation names its own patient and clinic's record ids.
RECORD_ROUTES = [
    route
    for route in ROUTES
    if any(f"{{{name}}}" in route.path for name in ("assessment", "plan", "outcome"))
]


@pytest.mark.parametrize("route", RECORD_ROUTES, ids=[route.label for route in RECORD_ROUTES])
def test_another_organisations_record_is_a_404_under_ones_own_patient(
    client: TestClient,
    clinic: Tenant,
    other_clinic: Tenant,
    records: Records,
    route: Route,
) -> None:
    own_patient = create_patient(client, other_clinic, "HILL-1")["id"]
    if_match = {"If-Match": "*"} if route.if_match else {}
    mixed = {**records.ids, "patient": own_patient}
    response = _call(client, route, mixed, other_clinic.headers(**if_match))
    _assert_problem(response, 404)
    unknown = {
        **_random_records().ids,
        "patient": own_patient,
    }
    missing = _call(client, route, unknown, other_clinic.headers(**if_match))
    assert _normalised(missing, unknown) == _normalised(response, mixed)
    plan = client.get(
        f"/v1/patients/{records.patient}/plans/{records.plan}", headers=clinic.headers()
    )
    assert _json(plan)["status"] == "active"


def _all_ids(client: TestClient, tenant: Tenant, path: str, **params: str) -> list[str]:
    """Every id a list returns, page by page (a page of one, so the cursor is used)."""
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(50):
        query = {**params, "limit": "1", **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query, headers=tenant.headers())
        assert response.status_code == 200, response.text
        page = _json(response)
        ids.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError(f"{path} did not end within 50 pages")


def test_lists_never_contain_another_organisations_ids(
    client: TestClient, clinic: Tenant, other_clinic: Tenant, records: Records
) -> None:
    theirs = _store_records(client, other_clinic, "HILL-1")
    # The same reference in both organisations: each finds only its own patient.
    clinic_shared = create_patient(client, clinic, "SHARED-7")["id"]
    other_shared = create_patient(client, other_clinic, "SHARED-7")["id"]

    assert _all_ids(client, clinic, "/v1/patients") == [records.patient, clinic_shared]
    assert _all_ids(client, other_clinic, "/v1/patients") == [theirs.patient, other_shared]
    assert _all_ids(client, clinic, "/v1/patients", external_reference="HILL-1") == []
    assert _all_ids(client, other_clinic, "/v1/patients", external_reference="RIVER-1") == []
    assert _all_ids(client, clinic, "/v1/patients", external_reference="SHARED-7") == [
        clinic_shared
    ]
    assert _all_ids(client, other_clinic, "/v1/patients", external_reference="SHARED-7") == [
        other_shared
    ]
    for tenant, own in ((clinic, records), (other_clinic, theirs)):
        patient = f"/v1/patients/{own.patient}"
        assert _all_ids(client, tenant, f"{patient}/assessments") == [own.assessment]
        assert _all_ids(client, tenant, f"{patient}/plans") == [own.plan]


@pytest.mark.parametrize(
    ("method", "success"), [("GET", 200), ("PATCH", 200), ("DELETE", 204)], ids=str
)
def test_x_api_key_works_like_bearer(
    client: TestClient,
    clinic: Tenant,
    other_clinic: Tenant,
    records: Records,
    method: str,
    success: int,
) -> None:
    path = f"/v1/patients/{records.patient}"
    etag = _etag(client, clinic, path)
    body = {"attributes": {"occupation": "manual"}} if method == "PATCH" else None

    def call(headers: dict[str, str]) -> Response:
        return client.request(method, path, json=body, headers={**headers, "If-Match": etag})

    foreign = call({"X-API-Key": other_clinic.key})
    _assert_problem(foreign, 404)
    assert _normalised(foreign, records.ids) == _normalised(
        call(other_clinic.headers()), records.ids
    )
    for bad in ("", "not-a-key", clinic.key + "x", clinic.key.upper()):
        _assert_problem(call({"X-API-Key": bad}), 401)
    assert call({"X-API-Key": clinic.key}).status_code == success


@pytest.mark.parametrize(
    "authorization", ["Bearer {key}", "bearer {key}", "BEARER {key}", "Bearer  {key} "]
)
def test_a_bearer_key_is_read_as_http_bearer_reads_it(
    client: TestClient, clinic: Tenant, records: Records, authorization: str
) -> None:
    """The scheme in any letter case; spaces around the key are not part of it."""
    headers = {"Authorization": authorization.format(key=clinic.key)}
    assert client.get(f"/v1/patients/{records.patient}", headers=headers).status_code == 200


def test_more_than_one_credential_header_is_refused(
    client: TestClient, session: Session, clinic: Tenant, other_clinic: Tenant, records: Records
) -> None:
    """Which of two keys counts would be a guess: any second credential header is a 401, even
    one repeating the first."""
    path = f"/v1/patients/{records.patient}"
    second = issue_key(session, clinic.organisation_id)
    assert client.get(path, headers=clinic.headers()).status_code == 200
    for bearer, header in (
        (clinic.key, clinic.key),
        (clinic.key, other_clinic.key),
        (other_clinic.key, clinic.key),
        (clinic.key, second),
        (clinic.key, "not-a-key"),
    ):
        response = client.get(path, headers={**_bearer(bearer), "X-API-Key": header})
        _assert_problem(response, 401)
    for name, first, again in (
        ("X-API-Key", clinic.key, clinic.key),
        ("X-API-Key", clinic.key, second),
        ("Authorization", f"Bearer {clinic.key}", f"Bearer {clinic.key}"),
        ("Authorization", f"Bearer {clinic.key}", f"Bearer {other_clinic.key}"),
        ("Authorization", f"Bearer {clinic.key}", "Basic dXNlcjpwYXNz"),
    ):
        repeated = [(name.encode(), first.encode()), (name.encode(), again.encode())]
        _assert_problem(client.get(path, headers=repeated), 401)


ID_LESS = (
    Route("GET", "/v1/patients", Scope.patients_read, 200),
    Route(
        "POST",
        "/v1/patients",
        Scope.patients_write,
        201,
        body={"external_reference": "NEW-1"},
        mutates=True,
    ),
)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {key}",
        "{key}",
        "Bearer {key}x",
        "Bearer {key} {key}",
        "Bearer hs_test_000000000000_" + "A" * 40,
        "Bearer " + "A" * 10_000,
    ],
)
def test_a_malformed_or_unknown_key_is_a_401(
    client: TestClient, clinic: Tenant, records: Records, authorization: str
) -> None:
    headers = {"Authorization": authorization.format(key=clinic.key)}
    for route in (ROUTES[0], *ID_LESS):
        _assert_problem(_call(client, route, records.ids, headers), 401)
    assert _all_ids(client, clinic, "/v1/patients") == [records.patient]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ID_LESS, ids=[route.label for route in ID_LESS])
def test_the_routes_without_an_id_need_a_key_with_the_scope(
    client: TestClient,
    session: Session,
    clinic: Tenant,
    other_clinic: Tenant,
    keys: Keys,
    route: Route,
    caller: Caller,
) -> None:
    create_patient(client, clinic, "RIVER-1")
    headers = _headers(caller, session, clinic, other_clinic, route.scope, keys)

    response = _call(client, route, {}, headers)

    if caller in ("own", "other_org"):
        # Both succeed, each in its own organisation.
        assert response.status_code == route.success, response.text
        listed = _all_ids(client, clinic, "/v1/patients")
        if route.method == "GET":
            assert [item["id"] for item in _json(response)["items"]] == (
                listed if caller == "own" else []
            )
        else:
            assert (_json(response)["id"] in listed) == (caller == "own")
        return
    _assert_problem(response, REFUSED[caller], route.scope)
    for tenant in (clinic, other_clinic):
        references = [
            item["external_reference"]
            for item in _json(client.get("/v1/patients", headers=tenant.headers()))["items"]
        ]
        assert "NEW-1" not in references
