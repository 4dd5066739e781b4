"""Outcome measures: PEG and PSFS scored as their papers say, stored, listed; bad input is a
422 naming the field, and nothing is stored."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.patients import MAX_DAYS_IN_THE_PAST
from app.progress.outcomes import Instrument, score
from app.progress.service import outcome_rules
from tests.patients.conftest import Tenant, create_patient
from tests.progress.conftest import store_patient_with_plan, today


def peg(**items: int) -> dict[str, Any]:
    return {
        "instrument": "peg",
        "timepoint": "baseline",
        "taken_on": today().isoformat(),
        "items": {
            "pain_average": 6,
            "enjoyment_interference": 5,
            "activity_interference": 4,
            **items,
        },
    }


def psfs(*scores: int) -> dict[str, Any]:
    names = ["Socks", "Walking", "Sitting", "Gardening", "Stairs", "Lifting"]
    return {
        "instrument": "psfs",
        "timepoint": "week_4",
        "taken_on": today().isoformat(),
        "activities": [
            {"activity": name, "score": value} for name, value in zip(names, scores, strict=False)
        ],
    }


def test_peg_and_psfs_scores_are_the_mean_of_their_items() -> None:
    rules = outcome_rules()
    peg_rule = rules[Instrument.peg]
    items = list(zip(peg_rule.item_ids, (7, 4, 4), strict=True))
    assert score(peg_rule, items).score == 5.0
    assert score(rules[Instrument.psfs], [("a", 3), ("b", 4), ("c", 4)]).score == 3.67
    assert not peg_rule.higher_is_better
    assert rules[Instrument.psfs].higher_is_better
    assert "Krebs" in peg_rule.source
    assert "Stratford" in rules[Instrument.psfs].source
    with pytest.raises(ValueError, match="3-5"):
        score(rules[Instrument.psfs], [("a", 3), ("b", 4)])


def test_an_outcome_is_stored_scored_and_listed_newest_first(
    client: TestClient, clinic: Tenant, patient: str
) -> None:
    path = f"/v1/patients/{patient}/outcomes"
    first = client.post(path, json=peg(), headers=clinic.headers())
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["score"] == 5.0
    assert stored["instrument"] == "peg"
    assert stored["timepoint"] == "baseline"
    assert stored["higher_is_better"] is False
    assert [item["name"] for item in stored["items"]] == [
        "pain_average",
        "enjoyment_interference",
        "activity_interference",
    ]
    assert first.headers["location"] == f"{path}/{stored['id']}"
    second = client.post(path, json=psfs(2, 5, 6, 7), headers=clinic.headers())
    assert second.status_code == 201, second.text
    assert second.json()["score"] == 5.0
    assert client.get(first.headers["location"], headers=clinic.headers()).json() == stored
    page = client.get(path, headers=clinic.headers()).json()
    assert [item["id"] for item in page["items"]] == [second.json()["id"], stored["id"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (peg(pain_average=11), ["body", "peg", "items", "pain_average"]),
        (psfs(3, 4), ["body", "psfs", "activities"]),
        (psfs(3, 4, 5, 6, 7, 8), ["body", "psfs", "activities"]),
        ({**peg(), "instrument": "odi"}, ["body"]),
        ({**peg(), "taken_on": (today() + timedelta(days=2)).isoformat()}, ["body", "taken_on"]),
        (
            {**psfs(3, 4, 5), "activities": [{"activity": "Walking", "score": 3}] * 3},
            ["body", "activities"],
        ),
        (
            {**psfs(3, 4, 5), "activities": [{"activity": "Walk\x00ing", "score": 3}] * 3},
            ["body", "psfs", "activities", 0, "activity"],
        ),
    ],
    ids=[
        "peg-item-11",
        "psfs-two",
        "psfs-six",
        "licensed",
        "future",
        "same-activity",
        "control-character",
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    client: TestClient, clinic: Tenant, patient: str, body: dict[str, Any], loc: list[str]
) -> None:
    path = f"/v1/patients/{patient}/outcomes"
    response = client.post(path, json=body, headers=clinic.headers())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert next(error["loc"][: len(loc)] for error in response.json()["errors"]) == loc
    assert client.get(path, headers=clinic.headers()).json()["items"] == []


def test_an_idempotency_key_replays_the_first_outcome(
    client: TestClient, clinic: Tenant, patient: str
) -> None:
    path = f"/v1/patients/{patient}/outcomes"
    headers = clinic.headers(**{"Idempotency-Key": "outcome-1"})
    first = client.post(path, json=peg(), headers=headers)
    again = client.post(path, json=peg(), headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(client.get(path, headers=clinic.headers()).json()["items"]) == 1


def test_taken_on_is_bounded_below_as_a_log_date_is(client: TestClient, clinic: Tenant) -> None:
    """Not before the patient's first plan starts (a log's `before_plan`); without a plan, not
    before the earliest start a plan stored today may have."""
    patient, plan = store_patient_with_plan(client, clinic, "OUT-PLAN", days_ago=7)
    start = date.fromisoformat(plan["start_date"])
    path = f"/v1/patients/{patient}/outcomes"
    before = client.post(
        path, json={**peg(), "taken_on": str(start - timedelta(days=1))}, headers=clinic.headers()
    )
    assert before.status_code == 422, before.text
    (error,) = before.json()["errors"]
    assert (error["loc"], error["type"]) == (["body", "taken_on"], "before_plan")
    on_start = client.post(path, json={**peg(), "taken_on": str(start)}, headers=clinic.headers())
    assert on_start.status_code == 201, on_start.text

    lonely = f"/v1/patients/{create_patient(client, clinic, 'OUT-LONELY')['id']}/outcomes"
    utc_today = datetime.now(UTC).date()
    oldest = utc_today - timedelta(days=MAX_DAYS_IN_THE_PAST)
    too_old = client.post(
        lonely,
        json={**peg(), "taken_on": str(oldest - timedelta(days=1))},
        headers=clinic.headers(),
    )
    assert too_old.status_code == 422, too_old.text
    (error,) = too_old.json()["errors"]
    assert (error["loc"], error["type"]) == (["body", "taken_on"], "too_old")
    kept = client.post(lonely, json={**peg(), "taken_on": str(oldest)}, headers=clinic.headers())
    assert kept.status_code == 201, kept.text
