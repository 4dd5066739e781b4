"""A red-flag log racing a new plan over a real socket and real commits (``live_app``): the
patient's row lock orders them, so whichever commits first, no plan is left active."""

from datetime import timedelta
from functools import partial

import httpx2 as httpx

from app.assessments.examples import NO_RED_FLAGS
from tests.conftest import LiveApp
from tests.patients.test_concurrency import race
from tests.progress.conftest import ANSWERS_BODY, plan_body, today
from tests.progress.test_logs import log_body

ROUNDS = 8


def test_a_plan_stored_while_a_red_flag_log_lands_never_stays_active(live_app: LiveApp) -> None:
    red_flag = log_body(red_flags={**NO_RED_FLAGS, "saddle_numbness": True})
    day = today()
    yesterday = (day - timedelta(days=1)).isoformat()
    with httpx.Client(base_url=live_app.url, headers=live_app.headers, timeout=30) as client:
        for round_ in range(ROUNDS):
            patient = client.post("/v1/patients", json={"external_reference": f"RF-{round_}"})
            target = f"/v1/patients/{patient.json()['id']}"
            assert client.post(f"{target}/assessments", json=ANSWERS_BODY).status_code == 201
            started = plan_body(day - timedelta(days=3))
            assert client.post(f"{target}/plans", json=started).status_code == 201
            logged, planned = race(
                [
                    partial(client.put, f"{target}/logs/{yesterday}", json=red_flag),
                    partial(client.post, f"{target}/plans", json=plan_body(day)),
                ]
            )
            assert logged.status_code == 201, logged.text
            assert planned.status_code in (201, 409), planned.text
            plans = client.get(f"{target}/plans").json()["items"]
            assert [p["status"] for p in plans if p["status"] == "active"] == []
