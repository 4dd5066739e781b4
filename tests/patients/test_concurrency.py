"""Racing edits over a real socket and real commits: of two updates with one ETag, one wins.

Racing requests must commit for real and see each other's commits, so these use a database of
their own (``live_app``), not the rolled-back test transaction.
"""

import concurrent.futures
from collections.abc import Callable
from typing import Any

import httpx2 as httpx

from tests.conftest import LiveApp

RACERS = 8


def race(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Every call at once, each in its own thread; every wait bounded."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=60) for future in futures]


def test_of_racing_updates_with_one_etag_exactly_one_wins(live_app: LiveApp) -> None:
    with httpx.Client(base_url=live_app.url, headers=live_app.headers, timeout=30) as client:
        patient = client.post("/v1/patients", json={"external_reference": "RACE"}).json()
        target = f"/v1/patients/{patient['id']}"

        def update(n: int) -> Any:
            return lambda: client.patch(
                target, json={"external_reference": f"RACE-{n}"}, headers={"If-Match": '"v1"'}
            )

        responses = race([update(n) for n in range(RACERS)])
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] + [412] * (RACERS - 1)
        winner = next(r for r in responses if r.status_code == 200).json()
        final = client.get(target)
        assert final.headers["etag"] == '"v2"'
        assert final.json()["external_reference"] == winner["external_reference"]


WRITERS = 48


def test_48_concurrent_creates_on_one_process_all_succeed(live_app: LiveApp) -> None:
    """The embedded SQLite default holds 48 writers at once on one worker: none answered with a
    500 ("database is locked") or a 503 (a pool timeout), and each stored exactly once."""
    references = [f"CONCURRENT-{n:02d}" for n in range(WRITERS)]
    limits = httpx.Limits(max_connections=WRITERS)
    with httpx.Client(
        base_url=live_app.url, headers=live_app.headers, timeout=60, limits=limits
    ) as client:

        def create(reference: str) -> Callable[[], httpx.Response]:
            return lambda: client.post("/v1/patients", json={"external_reference": reference})

        responses = race([create(reference) for reference in references])
        listed = client.get("/v1/patients", params={"limit": 100}).json()["items"]

    assert [r.status_code for r in responses] == [201] * WRITERS, {
        r.status_code: r.text for r in responses if r.status_code != 201
    }
    assert sorted(item["external_reference"] for item in listed) == references
