"""Outcome measures: PEG and PSFS scored as their papers say, stored, listed; bad input is a
422 naming the field, and nothing is stored."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.progress.outcomes import Instrument, score
from app.progress.service import outcome_rules
from tests.patients.conftest import Tenant
from tests.progress.conftest import today


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
