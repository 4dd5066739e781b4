"""Daily logs through the API: created or replaced (If-Match), read, listed newest first;
a red flag stops the patient's running plans; bad input is a clear problem and stores
nothing."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from app.assessments.examples import NO_RED_FLAGS
from app.plans import Plan
from tests.patients.conftest import Tenant, create_patient
from tests.progress.conftest import ANSWERS_BODY, plan_body, store_patient_with_plan, today


def log_body(pain: int = 3, **fields: Any) -> dict[str, Any]:
    return {
        "pain": pain,
        "hip_mobility": 6,
        "relief_movements": [],
        "sessions_done": [],
        "sharp_pain": [],
        "red_flags": NO_RED_FLAGS,
        **fields,
    }


def path(patient: str, days_ago: int = 0) -> str:
    return f"/v1/patients/{patient}/logs/{(today() - timedelta(days=days_ago)).isoformat()}"


def test_a_log_is_created_then_replaced_only_with_its_etag(
    client: TestClient, clinic: Tenant
) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    assert plan["revision"] == 1
    created = client.put(path(patient, 1), json=log_body(3), headers=clinic.headers())
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    body = created.json()
    assert body["log"]["pain"] == 3
    assert body["triage"] is None
    assert [p["plan_id"] for p in body["plans"]] == [plan["id"]]

    missing = client.put(path(patient, 1), json=log_body(5), headers=clinic.headers())
    assert missing.status_code == 428
    stale = client.put(
        path(patient, 1), json=log_body(5), headers=clinic.headers(**{"If-Match": '"v9"'})
    )
    assert stale.status_code == 412
    assert client.get(path(patient, 1), headers=clinic.headers()).json()["pain"] == 3

    replaced = client.put(
        path(patient, 1), json=log_body(5), headers=clinic.headers(**{"If-Match": etag})
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] != etag
    read = client.get(path(patient, 1), headers=clinic.headers())
    assert read.json()["pain"] == 5
    assert read.headers["etag"] == replaced.headers["etag"]


def test_logs_are_listed_newest_first_between_dates(client: TestClient, clinic: Tenant) -> None:
    patient, _ = store_patient_with_plan(client, clinic)
    for days_ago in (5, 3, 2, 0):
        response = client.put(path(patient, days_ago), json=log_body(), headers=clinic.headers())
        assert response.status_code == 201, response.text
    listing = f"/v1/patients/{patient}/logs"
    dates: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = client.get(listing, params=params, headers=clinic.headers()).json()
        dates += [item["date"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = [(today() - timedelta(days=d)).isoformat() for d in (0, 2, 3, 5)]
    assert dates == expected
    between = client.get(
        listing,
        params={"from_date": expected[2], "to_date": expected[1]},
        headers=clinic.headers(),
    ).json()
    assert [item["date"] for item in between["items"]] == expected[1:3]


def test_no_plan_is_a_409_and_bad_dates_are_422s(client: TestClient, clinic: Tenant) -> None:
    lonely = create_patient(client, clinic, "NO-PLAN")["id"]
    response = client.put(path(lonely), json=log_body(), headers=clinic.headers())
    assert response.status_code == 409
    assert response.json()["code"] == "no_plan"

    patient, _ = store_patient_with_plan(client, clinic, "P-2", days_ago=3)
    future = client.put(path(patient, -1), json=log_body(), headers=clinic.headers())
    assert future.status_code == 422
    assert future.json()["errors"][0]["loc"] == ["path", "date"]
    before = client.put(path(patient, 4), json=log_body(), headers=clinic.headers())
    assert before.status_code == 422
    assert before.json()["errors"][0]["loc"] == ["path", "date"]
    for bad, field in ((log_body(11), "pain"), ({**log_body(), "note": "x" * 501}, "note")):
        answer = client.put(path(patient), json=bad, headers=clinic.headers())
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["loc"][:2] == ["body", field]
    logs = client.get(f"/v1/patients/{patient}/logs", headers=clinic.headers()).json()
    assert logs["items"] == []


def test_a_note_refuses_control_characters_but_tabs_and_line_breaks(
    client: TestClient, clinic: Tenant
) -> None:
    """A NUL, an escape or a DEL in a note is a 422 naming the field (PostgreSQL cannot even
    store a NUL); tabs and line breaks are the note's own."""
    patient, _ = store_patient_with_plan(client, clinic)
    for bad in ("\x00", "red\x1b[31m", "\x0b", "\x1f", "\x7f"):
        answer = client.put(path(patient), json=log_body(note=bad), headers=clinic.headers())
        assert answer.status_code == 422, bad
        (error,) = answer.json()["errors"]
        assert (error["loc"], error["type"]) == (["body", "note"], "control_character")
    assert (
        client.get(f"/v1/patients/{patient}/logs", headers=clinic.headers()).json()["items"] == []
    )
    note = "Walked\tfar.\r\nSlept well.\n"
    stored = client.put(path(patient), json=log_body(note=note), headers=clinic.headers())
    assert stored.status_code == 201, stored.text
    assert stored.json()["log"]["note"] == note


def test_a_stored_plan_starts_at_most_28_days_ago(client: TestClient, clinic: Tenant) -> None:
    patient = create_patient(client, clinic, "OLD")["id"]
    client.post(f"/v1/patients/{patient}/assessments", json=ANSWERS_BODY, headers=clinic.headers())
    plans = f"/v1/patients/{patient}/plans"
    too_old = client.post(
        plans, json=plan_body(today() - timedelta(days=29)), headers=clinic.headers()
    )
    assert too_old.status_code == 422
    assert too_old.json()["errors"][0]["loc"] == ["body", "start_date"]
    ok = client.post(plans, json=plan_body(today() - timedelta(days=28)), headers=clinic.headers())
    assert ok.status_code == 201, ok.text


def test_a_red_flag_in_a_log_stops_every_running_plan(client: TestClient, clinic: Tenant) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    flagged = log_body(4, red_flags={**NO_RED_FLAGS, "fever_or_unwell": True})
    response = client.put(path(patient), json=flagged, headers=clinic.headers())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["triage"]["level"] in {"urgent", "emergency"}
    assert body["log"]["triage"] == body["triage"]
    assert [(p["plan_id"], p["status"]) for p in body["plans"]] == [(plan["id"], "stopped")]
    stored = client.get(
        f"/v1/patients/{patient}/plans/{plan['id']}", headers=clinic.headers()
    ).json()
    assert stored["status"] == "stopped"
    assert stored["stop"]["reason"] == "red_flag"
    assert stored["stop"]["log_date"] == today().isoformat()
    assert stored["stop"]["triage"] == body["triage"]
    calendar = client.get(
        f"/v1/patients/{patient}/plans/{plan['id']}/calendar", headers=clinic.headers()
    )
    assert "STATUS:CANCELLED" in calendar.text


def test_revisions_list_starts_with_the_generated_plan(client: TestClient, clinic: Tenant) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    response = client.get(
        f"/v1/patients/{patient}/plans/{plan['id']}/revisions", headers=clinic.headers()
    )
    assert response.status_code == 200, response.text
    [first] = response.json()["items"]
    assert first["number"] == 1
    assert first["changes"] == []
    assert first["log_date"] is None


def test_progress_summary_and_export_hold_the_logs(client: TestClient, clinic: Tenant) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    relief = plan["plan"]["exercises"][0]["slug"]
    for days_ago, pain in ((2, 4), (1, 5), (0, 6)):
        response = client.put(
            path(patient, days_ago),
            json=log_body(pain, relief_movements=[relief]),
            headers=clinic.headers(),
        )
        assert response.status_code == 201, response.text
    summary = client.get(f"/v1/patients/{patient}/progress", headers=clinic.headers())
    assert summary.status_code == 200, summary.text
    body = summary.json()
    assert [p["pain"] for p in body["pain"]] == [4, 5, 6]
    assert body["days_since_last_log"] == 0
    assert body["relief_movements"] == [{"slug": relief, "days": 3}]
    assert body["adherence"]["planned"] > 0
    export = client.get(f"/v1/patients/{patient}/export", headers=clinic.headers()).json()
    assert [log["pain"] for log in export["logs"]] == [4, 5, 6]
    current = export["plans"][0]["revision"]
    assert [(r["plan_id"], r["number"]) for r in export["plan_revisions"]] == [
        (plan["id"], number) for number in range(1, current + 1)
    ]
    assert export["plan_revisions"][-1]["plan"] == export["plans"][0]["plan"]


@pytest.mark.parametrize("etag", [None, "*"])
def test_erasing_the_patient_erases_logs_outcomes_and_revisions(
    client: TestClient, clinic: Tenant, etag: str | None
) -> None:
    patient, _ = store_patient_with_plan(client, clinic)
    client.put(path(patient), json=log_body(), headers=clinic.headers())
    client.post(
        f"/v1/patients/{patient}/outcomes",
        json={
            "instrument": "peg",
            "timepoint": "baseline",
            "taken_on": today().isoformat(),
            "items": {"pain_average": 5, "enjoyment_interference": 4, "activity_interference": 3},
        },
        headers=clinic.headers(),
    )
    headers = clinic.headers(**({"If-Match": etag} if etag else {}))
    assert client.delete(f"/v1/patients/{patient}", headers=headers).status_code == 204
    assert client.get(path(patient), headers=clinic.headers()).status_code == 404
    again = client.put(path(patient), json=log_body(), headers=clinic.headers())
    assert again.status_code == 404


def test_no_new_plan_after_a_red_flag_log_until_a_new_assessment(
    client: TestClient, clinic: Tenant
) -> None:
    patient, _ = store_patient_with_plan(client, clinic)
    flagged = log_body(4, red_flags={**NO_RED_FLAGS, "fever_or_unwell": True})
    assert client.put(path(patient), json=flagged, headers=clinic.headers()).status_code == 201
    plans = f"/v1/patients/{patient}/plans"
    refused = client.post(plans, json=plan_body(today()), headers=clinic.headers())
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "red_flag"
    assert refused.json()["triage"]["level"] in {"urgent", "emergency"}
    reassessed = client.post(
        f"/v1/patients/{patient}/assessments", json=ANSWERS_BODY, headers=clinic.headers()
    )
    assert reassessed.status_code == 201
    again = client.post(plans, json=plan_body(today()), headers=clinic.headers())
    assert again.status_code == 201, again.text


def test_a_red_flag_log_with_no_plan_running_still_refuses_a_new_plan(
    client: TestClient, clinic: Tenant
) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    stored = f"/v1/patients/{patient}/plans/{plan['id']}"
    etag = client.get(stored, headers=clinic.headers()).headers["ETag"]
    stopped = client.patch(
        stored, json={"status": "stopped"}, headers=clinic.headers(**{"If-Match": etag})
    )
    assert stopped.status_code == 200, stopped.text
    flagged = log_body(4, red_flags={**NO_RED_FLAGS, "saddle_numbness": True})
    assert client.put(path(patient), json=flagged, headers=clinic.headers()).status_code == 201
    refused = client.post(
        f"/v1/patients/{patient}/plans", json=plan_body(today()), headers=clinic.headers()
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "red_flag"
    assert refused.json()["triage"]["level"] == "emergency"


def test_a_log_the_plan_cannot_hold_is_a_422_naming_the_field_and_any_red_flag(
    client: TestClient, clinic: Tenant
) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    cases = [
        (log_body(sessions_done=["2001-01-01.strength"]), ["body", "sessions_done", 0]),
        (log_body(relief_movements=["not-an-exercise"]), ["body", "relief_movements", 0]),
        (
            log_body(sharp_pain=[{"slug": "not-an-exercise", "side": None}]),
            ["body", "sharp_pain", 0],
        ),
    ]
    for body, loc in cases:
        response = client.put(path(patient), json=body, headers=clinic.headers())
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"][: len(loc)] == loc
        assert "triage" not in response.json()
    flagged = {**cases[0][0], "red_flags": {**NO_RED_FLAGS, "fever_or_unwell": True}}
    response = client.put(path(patient), json=flagged, headers=clinic.headers())
    assert response.status_code == 422
    triage = response.json()["triage"]
    assert triage["level"] in {"urgent", "emergency"}
    assert response.json()["detail"].startswith(triage["advice"])
    assert (
        client.get(f"/v1/patients/{patient}/logs", headers=clinic.headers()).json()["items"] == []
    )
    stored = client.get(f"/v1/patients/{patient}/plans/{plan['id']}", headers=clinic.headers())
    assert stored.json()["status"] == "active"


def test_stored_log_responses_match_their_published_schemas(
    client: TestClient, clinic: Tenant
) -> None:
    """A generated client reads these by the contract: the 201 of a new log has a schema, and a
    log without pain after exercise or a note (null in the response) still matches it."""
    document = client.get("/openapi.json").json()
    components = {"components": document["components"]}

    def check(response: Any, route: str, method: str) -> None:
        content = document["paths"][route][method]["responses"][str(response.status_code)]
        schema = content["content"]["application/json"].get("schema")
        assert schema is not None, f"{method} {route} {response.status_code} has no schema"
        Draft202012Validator({**schema, **components}).validate(response.json())

    patient, _ = store_patient_with_plan(client, clinic)
    created = client.put(path(patient, 1), json=log_body(), headers=clinic.headers())
    assert created.status_code == 201, created.text
    assert created.json()["log"]["pain_after_exercise"] is None
    check(created, "/v1/patients/{patient_id}/logs/{date}", "put")
    read = client.get(path(patient, 1), headers=clinic.headers())
    check(read, "/v1/patients/{patient_id}/logs/{date}", "get")
    listed = client.get(f"/v1/patients/{patient}/logs", headers=clinic.headers())
    check(listed, "/v1/patients/{patient_id}/logs", "get")


def test_if_match_on_a_date_without_a_log_is_a_412_and_stores_nothing(
    client: TestClient, clinic: Tenant
) -> None:
    patient, _ = store_patient_with_plan(client, clinic)
    for etag in ('"v1"', "*"):
        response = client.put(
            path(patient, 1), json=log_body(), headers=clinic.headers(**{"If-Match": etag})
        )
        assert response.status_code == 412, response.text
    assert client.get(path(patient, 1), headers=clinic.headers()).status_code == 404
    created = client.put(path(patient, 1), json=log_body(), headers=clinic.headers())
    assert created.status_code == 201, created.text


def test_a_replacement_cannot_withdraw_a_sharp_pain_report(
    client: TestClient, clinic: Tenant
) -> None:
    patient, plan = store_patient_with_plan(client, clinic)
    report = {"slug": plan["plan"]["exercises"][0]["slug"], "side": None}
    created = client.put(
        path(patient), json=log_body(sharp_pain=[report]), headers=clinic.headers()
    )
    assert created.status_code == 201, created.text
    etag = created.headers["ETag"]
    revision = client.get(
        f"/v1/patients/{patient}/plans/{plan['id']}", headers=clinic.headers()
    ).json()["revision"]

    withdrawn = client.put(
        path(patient), json=log_body(), headers=clinic.headers(**{"If-Match": etag})
    )
    assert withdrawn.status_code == 422, withdrawn.text
    assert withdrawn.json()["errors"][0]["loc"] == ["body", "sharp_pain"]
    assert withdrawn.json()["errors"][0]["type"] == "sharp_pain_withdrawn"
    stored = client.get(path(patient), headers=clinic.headers())
    assert stored.headers["ETag"] == etag
    assert stored.json()["sharp_pain"] == [report]
    after = client.get(f"/v1/patients/{patient}/plans/{plan['id']}", headers=clinic.headers())
    assert after.json()["revision"] == revision

    kept = client.put(
        path(patient),
        json=log_body(5, sharp_pain=[report]),
        headers=clinic.headers(**{"If-Match": etag}),
    )
    assert kept.status_code == 200, kept.text


def test_every_if_match_route_takes_a_list_of_etags_on_one_line_or_several(
    client: TestClient, clinic: Tenant
) -> None:
    """RFC 9110 13.1.1: any listed ETag that is current will do, however the list is split
    over field lines (5.3); `*` among ETags is no list at all, so it matches nothing."""
    patient, plan = store_patient_with_plan(client, clinic)
    assert client.put(path(patient, 1), json=log_body(3), headers=clinic.headers()).is_success
    patient_url = f"/v1/patients/{patient}"
    changes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PUT", path(patient, 1), log_body(4)),
        ("PATCH", f"{patient_url}/plans/{plan['id']}", {"status": "paused"}),
        ("PATCH", patient_url, {"external_reference": "P-LISTED"}),
        ("DELETE", patient_url, None),
    ]
    for method, url, body in changes:
        current = client.get(url, headers=clinic.headers()).headers["etag"]

        def send(*lines: str, method: str = method, url: str = url, body: Any = body) -> int:
            headers = [*clinic.headers().items(), *(("If-Match", line) for line in lines)]
            return client.request(method, url, json=body, headers=headers).status_code

        assert send('"v0", *') == 412, (method, url)
        assert send('"v0"', f'"a,b", {current}') in {200, 204}, (method, url)


def test_a_stored_plan_is_validated_once_per_log_and_never_by_the_summary(
    client: TestClient, clinic: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored plan is some 350 KB of JSON. The first log of a plan validates it once, for the
    check and for the adaptation (a plan no log has changed yet is its own revision 1); the
    summary reads only the planned sessions."""
    patient, _ = store_patient_with_plan(client, clinic)
    validated: list[object] = []
    whole = Plan.model_validate

    def counted(data: Any, **options: Any) -> Plan:
        validated.append(data)
        return whole(data, **options)

    monkeypatch.setattr(Plan, "model_validate", counted)
    stored = client.put(path(patient, 1), json=log_body(3), headers=clinic.headers())
    assert stored.status_code == 201, stored.text
    assert len(validated) == 1
    validated.clear()
    summary = client.get(f"/v1/patients/{patient}/progress", headers=clinic.headers())
    assert summary.status_code == 200, summary.text
    assert summary.json()["adherence"]["planned"] > 0
    assert validated == []
