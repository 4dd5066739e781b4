"""Patients and their stored assessments and plans, through the HTTP API."""

import base64
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import text
from sqlmodel import Session

from app.assessments.examples import REQUESTS as ANSWERS
from app.plans.examples import REQUESTS as PLAN_REQUESTS
from tests.patients.conftest import Tenant, create_patient

PROBLEM = "application/problem+json"
PLAN_OPTIONS = {
    key: value
    for key, value in PLAN_REQUESTS["desk_worker_tight_right_hip"]["value"].items()
    if key != "assessment"
}


def _store_assessment(
    client: TestClient, tenant: Tenant, patient_id: str, example: str = "self_care"
) -> dict[str, Any]:
    response = client.post(
        f"/v1/patients/{patient_id}/assessments",
        json=ANSWERS[example]["value"],
        headers=tenant.headers(),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _store_plan(client: TestClient, tenant: Tenant, patient_id: str) -> Any:
    response = client.post(
        f"/v1/patients/{patient_id}/plans", json=PLAN_OPTIONS, headers=tenant.headers()
    )
    assert response.status_code == 201, response.text
    return response


# --- patients ----------------------------------------------------------------------------------


def test_a_patient_is_created_read_and_listed(client: TestClient, clinic: Tenant) -> None:
    created = client.post(
        "/v1/patients",
        json={
            "external_reference": "clinic-7/patient-0042",
            "attributes": {"age_band": "40-49", "occupation": "desk"},
        },
        headers=clinic.headers(),
    )
    assert created.status_code == 201
    patient = created.json()
    assert uuid.UUID(patient["id"]).version == 4
    assert created.headers["location"] == f"/v1/patients/{patient['id']}"
    assert created.headers["etag"] == '"v1"'
    assert created.headers["cache-control"] == "no-store"
    assert patient["attributes"]["age_band"] == "40-49"
    assert patient["created_at"].endswith("Z")

    fetched = client.get(created.headers["location"], headers=clinic.headers())
    assert fetched.json() == patient
    assert fetched.headers["etag"] == '"v1"'

    listed = client.get("/v1/patients", headers=clinic.headers())
    assert [item["id"] for item in listed.json()["items"]] == [patient["id"]]


def test_the_list_pages_with_a_cursor_and_finds_by_reference(
    client: TestClient, clinic: Tenant
) -> None:
    ids = [create_patient(client, clinic, f"P-{n}")["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):  # bounded: 5 patients, 2 a page
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/patients", params=params, headers=clinic.headers()).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids

    found = client.get(
        "/v1/patients", params={"external_reference": "P-3"}, headers=clinic.headers()
    ).json()
    assert [item["id"] for item in found["items"]] == [ids[3]]


# Fixed, so that parallel workers collect the same test ids.
ANY_ID = "95fc17b7-e69d-4b0e-85b4-b4ea99f69f28"


def _cursor(position: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


FORGED_CURSORS = [
    # A time that overflows in UTC (once a 500 from the query), and one with no offset.
    _cursor({"created_at": t, "id": ANY_ID})
    for t in ("0001-01-01T00:00:00+14:00", "2026-01-01T00:00:00")
] + [
    # A cursor from before the fields had names: start again without it.
    _cursor({"t": "2026-01-01T00:00:00+00:00", "i": ANY_ID}),
    "eyJvIjo0LCJzIjoiZGVlcC1zcXVhdC1ob2xkIn0",
    "not-a-cursor",
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_cursor_that_is_no_position_is_a_422_on_every_list(
    client: TestClient, clinic: Tenant, cursor: str
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    for path in (
        "/v1/patients",
        f"/v1/patients/{patient_id}/assessments",
        f"/v1/patients/{patient_id}/plans",
    ):
        response = client.get(path, params={"cursor": cursor}, headers=clinic.headers())

        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "invalid_cursor"
        assert response.json()["request_id"] == response.headers["x-request-id"]


def test_a_body_that_is_not_json_is_a_415_and_writes_nothing(
    client: TestClient, clinic: Tenant
) -> None:
    """A form body was once read as JSON and created the patient."""
    for content_type, body in (
        ("application/x-www-form-urlencoded", b"external_reference=P-9"),
        ("text/plain", b'{"external_reference": "P-9"}'),
    ):
        response = client.post(
            "/v1/patients",
            content=body,
            headers=clinic.headers(**{"Content-Type": content_type}),
        )
        assert response.status_code == 415, response.text
        assert response.json()["code"] == "unsupported_media_type"
    listed = client.get("/v1/patients", headers=clinic.headers()).json()
    assert listed["items"] == []


def test_a_duplicate_external_reference_is_a_409_and_writes_nothing(
    client: TestClient, clinic: Tenant
) -> None:
    create_patient(client, clinic, "SAME")
    again = client.post(
        "/v1/patients", json={"external_reference": "SAME"}, headers=clinic.headers()
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["code"] == "duplicate_external_reference"
    assert len(client.get("/v1/patients", headers=clinic.headers()).json()["items"]) == 1


def test_two_organisations_may_use_the_same_reference(
    client: TestClient, clinic: Tenant, other_clinic: Tenant
) -> None:
    create_patient(client, clinic, "SHARED-1")
    create_patient(client, other_clinic, "SHARED-1")


@pytest.mark.parametrize(
    "field",
    [
        {"id": "5f1b7f0e-8d1c-4a52-9a41-2f0d3c9b1e11"},
        {"organisation_id": "5f1b7f0e-8d1c-4a52-9a41-2f0d3c9b1e11"},
        {"created_at": "2026-01-01T00:00:00Z"},
        {"version": 7},
        {"name": "Jane Doe"},
    ],
)
def test_server_owned_and_unknown_fields_are_rejected(
    client: TestClient, clinic: Tenant, field: dict[str, Any]
) -> None:
    response = client.post(
        "/v1/patients", json={"external_reference": "P-1", **field}, headers=clinic.headers()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "extra_forbidden"
    assert client.get("/v1/patients", headers=clinic.headers()).json()["items"] == []

    patient = create_patient(client, clinic, "P-2")
    patched = client.patch(
        f"/v1/patients/{patient['id']}", json=field, headers=clinic.headers(**{"If-Match": '"v1"'})
    )
    assert patched.status_code == 422


def test_a_patch_changes_only_what_it_names_and_bumps_the_etag(
    client: TestClient, clinic: Tenant
) -> None:
    created = client.post(
        "/v1/patients",
        json={
            "external_reference": "P-1",
            "attributes": {"age_band": "30-39", "occupation": "desk"},
        },
        headers=clinic.headers(),
    ).json()
    url = f"/v1/patients/{created['id']}"
    patched = client.patch(
        url,
        json={"attributes": {"occupation": None, "activity_level": "light"}},
        headers=clinic.headers(**{"If-Match": '"v1"'}),
    )
    assert patched.status_code == 200
    assert patched.headers["etag"] == '"v2"'
    assert patched.json()["attributes"] == {
        "age_band": "30-39",
        "occupation": None,
        "activity_level": "light",
        "sitting_hours_per_day": None,
    }
    assert patched.json()["external_reference"] == "P-1"
    assert client.get(url, headers=clinic.headers()).headers["etag"] == '"v2"'


def test_a_patch_without_if_match_is_428_and_a_stale_one_412(
    client: TestClient, clinic: Tenant
) -> None:
    url = f"/v1/patients/{create_patient(client, clinic)['id']}"
    change = {"external_reference": "P-NEW"}
    missing = client.patch(url, json=change, headers=clinic.headers())
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition_required"

    assert client.patch(url, json=change, headers=clinic.headers(**{"If-Match": '"v1"'})).is_success
    stale = client.patch(
        url, json={"external_reference": "P-OLD"}, headers=clinic.headers(**{"If-Match": '"v1"'})
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert client.get(url, headers=clinic.headers()).json()["external_reference"] == "P-NEW"

    weak = client.patch(url, json=change, headers=clinic.headers(**{"If-Match": 'W/"v2"'}))
    assert weak.status_code == 412
    anything = client.patch(
        url, json={"external_reference": "P-ANY"}, headers=clinic.headers(**{"If-Match": "*"})
    )
    assert anything.status_code == 200


def test_renaming_to_a_taken_reference_is_a_409(client: TestClient, clinic: Tenant) -> None:
    create_patient(client, clinic, "TAKEN")
    url = f"/v1/patients/{create_patient(client, clinic, 'FREE')['id']}"
    response = client.patch(
        url, json={"external_reference": "TAKEN"}, headers=clinic.headers(**{"If-Match": '"v1"'})
    )
    assert response.status_code == 409
    assert client.get(url, headers=clinic.headers()).json()["external_reference"] == "FREE"


# --- stored assessments ------------------------------------------------------------------------


def test_a_stored_assessment_is_the_stateless_score_kept(
    client: TestClient, clinic: Tenant
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    stored = _store_assessment(client, clinic, patient_id)
    stateless = client.post("/v1/assessments/score", json=ANSWERS["self_care"]["value"]).json()
    # The same result; the token is for stateless apps, a stored assessment is its own record.
    assert stored["result"] == {k: v for k, v in stateless.items() if k != "result_token"}
    assert stored["answers"] == ANSWERS["self_care"]["value"]
    url = f"/v1/patients/{patient_id}/assessments/{stored['id']}"
    assert client.get(url, headers=clinic.headers()).json() == stored
    listed = client.get(f"/v1/patients/{patient_id}/assessments", headers=clinic.headers())
    assert listed.json()["items"] == [stored]


def test_a_stored_result_does_not_change_when_the_catalogue_does(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    stored = _store_assessment(client, clinic, patient_id)
    session.execute(text("UPDATE dataset SET version = 'a-newer-version'"))
    session.execute(text("UPDATE exercise SET name = 'Renamed'"))
    url = f"/v1/patients/{patient_id}/assessments/{stored['id']}"
    again = client.get(url, headers=clinic.headers()).json()
    assert again == stored
    assert again["result"]["dataset_version"] != "a-newer-version"


def test_assessments_list_newest_first_with_a_cursor(client: TestClient, clinic: Tenant) -> None:
    patient_id = create_patient(client, clinic)["id"]
    ids = [_store_assessment(client, clinic, patient_id)["id"] for _ in range(3)]
    url = f"/v1/patients/{patient_id}/assessments"
    first = client.get(url, params={"limit": 2}, headers=clinic.headers()).json()
    rest = client.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=clinic.headers()
    ).json()
    assert [item["id"] for item in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_invalid_answers_are_a_422_and_store_nothing(client: TestClient, clinic: Tenant) -> None:
    patient_id = create_patient(client, clinic)["id"]
    response = client.post(
        f"/v1/patients/{patient_id}/assessments", json={"tests": {}}, headers=clinic.headers()
    )
    assert response.status_code == 422
    listed = client.get(f"/v1/patients/{patient_id}/assessments", headers=clinic.headers())
    assert listed.json()["items"] == []


# --- stored plans ------------------------------------------------------------------------------


def test_a_plan_is_made_from_the_latest_stored_assessment(
    client: TestClient, clinic: Tenant
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    _store_assessment(client, clinic, patient_id, "see_professional")
    latest = _store_assessment(client, clinic, patient_id, "self_care")
    created = _store_plan(client, clinic, patient_id)
    plan = created.json()
    assert plan["assessment_id"] == latest["id"]
    assert plan["status"] == "active"
    assert created.headers["etag"] == '"v1"'
    assessment = plan["plan"]["assessment"]
    assert (assessment["source"], assessment["assessment_id"]) == (
        "stored_assessment",
        latest["id"],
    )
    assert assessment["triage"] == latest["result"]["triage"]
    assert assessment["findings"] == [finding["code"] for finding in latest["result"]["findings"]]
    assert plan["stop"] is None
    assert plan["dataset_version"] == plan["plan"]["dataset_version"]
    fetched = client.get(created.headers["location"], headers=clinic.headers())
    assert fetched.content == created.content


def test_a_plan_needs_a_stored_assessment_or_one_in_the_request(
    client: TestClient, clinic: Tenant
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    refused = client.post(
        f"/v1/patients/{patient_id}/plans", json=PLAN_OPTIONS, headers=clinic.headers()
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_stored_assessment"

    given = {
        **PLAN_OPTIONS,
        "assessment": {"kind": "answers", "answers": ANSWERS["self_care"]["value"]},
    }
    made = client.post(f"/v1/patients/{patient_id}/plans", json=given, headers=clinic.headers())
    assert made.status_code == 201
    assert made.json()["assessment_id"] is None
    assert made.json()["plan"]["assessment"]["source"] == "answers"


def test_a_red_flag_in_the_stored_assessment_refuses_the_plan(
    client: TestClient, clinic: Tenant
) -> None:
    patient_id = create_patient(client, clinic)["id"]
    _store_assessment(client, clinic, patient_id, "emergency")
    refused = client.post(
        f"/v1/patients/{patient_id}/plans", json=PLAN_OPTIONS, headers=clinic.headers()
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "red_flag"
    assert refused.json()["triage"]["level"] == "emergency"
    listed = client.get(f"/v1/patients/{patient_id}/plans", headers=clinic.headers())
    assert listed.json()["items"] == []


def test_plan_status_changes_follow_the_lifecycle(client: TestClient, clinic: Tenant) -> None:
    patient_id = create_patient(client, clinic)["id"]
    _store_assessment(client, clinic, patient_id)
    url = _store_plan(client, clinic, patient_id).headers["location"]

    def change(status: str, etag: str | None) -> Any:
        headers = clinic.headers(**({"If-Match": etag} if etag else {}))
        return client.patch(url, json={"status": status}, headers=headers)

    assert change("paused", None).status_code == 428
    paused = change("paused", '"v1"')
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    assert paused.headers["etag"] == '"v2"'
    assert change("active", '"v1"').status_code == 412
    assert change("completed", '"v2"').json()["status"] == "completed"
    final = change("active", '"v3"')
    assert final.status_code == 409
    assert final.json()["code"] == "invalid_status_change"
    assert client.get(url, headers=clinic.headers()).json()["status"] == "completed"
    summary = client.get(f"/v1/patients/{patient_id}/plans", headers=clinic.headers()).json()
    assert summary["items"][0]["status"] == "completed"


def test_a_stored_plan_exports_to_a_calendar(client: TestClient, clinic: Tenant) -> None:
    patient_id = create_patient(client, clinic)["id"]
    _store_assessment(client, clinic, patient_id)
    url = _store_plan(client, clinic, patient_id).headers["location"]
    response = client.get(f"{url}/calendar", headers=clinic.headers())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert calendar.walk("VEVENT")


# --- export and erasure ------------------------------------------------------------------------


def test_export_holds_everything_stored_for_the_patient(client: TestClient, clinic: Tenant) -> None:
    patient = create_patient(client, clinic)
    assessment = _store_assessment(client, clinic, patient["id"])
    plan = _store_plan(client, clinic, patient["id"]).json()
    exported = client.get(f"/v1/patients/{patient['id']}/export", headers=clinic.headers())
    assert exported.status_code == 200
    body = exported.json()
    assert body["patient"] == patient
    assert body["assessments"] == [assessment]
    assert body["plans"] == [plan]


def _rows_naming(session: Session, patient_id: str) -> dict[str, int]:
    """Every row in every table that refers to the patient, counted in the database itself."""
    ident = uuid.UUID(patient_id)
    stored = ident.hex if session.get_bind().dialect.name == "sqlite" else str(ident)
    counts = {}
    for table, column in [
        ("patient", "id"),
        ("patient_assessment", "patient_id"),
        ("patient_plan", "patient_id"),
        ("idempotency_record", "patient_id"),
    ]:
        query = text(f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) = :id")
        counts[table] = session.execute(query, {"id": stored}).scalar_one()
    return counts


def test_erasure_leaves_nothing_behind(
    client: TestClient, clinic: Tenant, session: Session
) -> None:
    patient = create_patient(client, clinic, "ERASE-ME")
    keep = create_patient(client, clinic, "KEEP-ME")
    headers = clinic.headers(**{"Idempotency-Key": "erasure-test-1"})
    client.post(
        f"/v1/patients/{patient['id']}/assessments",
        json=ANSWERS["self_care"]["value"],
        headers=headers,
    )
    _store_plan(client, clinic, patient["id"])
    _store_assessment(client, clinic, keep["id"])
    before = _rows_naming(session, patient["id"])
    assert all(before.values()), before

    response = client.delete(f"/v1/patients/{patient['id']}", headers=clinic.headers())
    assert response.status_code == 204
    assert _rows_naming(session, patient["id"]) == dict.fromkeys(before, 0)
    assert client.get(f"/v1/patients/{patient['id']}", headers=clinic.headers()).status_code == 404
    dump = session.execute(text("SELECT external_reference FROM patient")).scalars().all()
    assert "ERASE-ME" not in dump
    assert _rows_naming(session, keep["id"])["patient_assessment"] == 1


def test_erasure_honours_if_match(client: TestClient, clinic: Tenant) -> None:
    url = f"/v1/patients/{create_patient(client, clinic)['id']}"
    assert client.delete(url, headers=clinic.headers(**{"If-Match": '"v9"'})).status_code == 412
    assert client.get(url, headers=clinic.headers()).status_code == 200
    assert client.delete(url, headers=clinic.headers(**{"If-Match": '"v1"'})).status_code == 204


def test_a_repeated_query_parameter_is_refused(client: TestClient, clinic: Tenant) -> None:
    create_patient(client, clinic, "A-1")
    response = client.get(
        "/v1/patients?external_reference=zzz&external_reference=A-1", headers=clinic.headers()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "repeated"


def test_the_key_is_checked_before_the_body(client: TestClient, clinic: Tenant) -> None:
    url = f"/v1/patients/{create_patient(client, clinic)['id']}"
    for method in ("PATCH", "POST"):
        target = url if method == "PATCH" else "/v1/patients"
        response = client.request(
            method, target, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, method
