"""Memory anonymous callers cannot fill: thousands of distinct, whitespace-padded bodies and
query strings through the whole app leave every cache in the worker within its byte bound."""

import gc
import json
import logging
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.assessments.examples import REQUESTS as SCORE_REQUESTS
from app.http.response_cache import PublicResponseCache
from app.main import create_app
from app.plans.examples import REQUESTS as PLAN_REQUESTS
from app.plans.service import Planner
from tests.conftest import app_settings

RESPONSE_CACHE_BYTES = 200_000
PLAN_CACHE_BYTES = 1_000_000  # three or so JSON plans
# What the worker keeps besides the two caches while it serves these requests (compiled regular
# expressions, validator state; measured at about 70 KB): a fixed allowance, not one that grows
# with the 60 MB of bodies sent.
WORKER_OVERHEAD_BYTES = 150_000
BODY_BYTES = 60 * 1024  # under MAX_BODY_BYTES (64 KiB)
SCORE_BODIES = 1_000  # 60 MB of bodies, were they kept
QUERIES = 400
PLANS = 24


@pytest.fixture
def bounded_app(engine: Engine, backend: str) -> Iterator[tuple[FastAPI, TestClient]]:
    if backend != "sqlite":
        pytest.skip("no database is involved: once is enough")
    settings = app_settings(
        engine, response_cache_max_bytes=RESPONSE_CACHE_BYTES, plan_cache_max_bytes=PLAN_CACHE_BYTES
    )
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield app, client


def padded(document: dict[str, Any], size: int = BODY_BYTES) -> bytes:
    """``document`` as JSON padded with whitespace between its tokens to ``size`` bytes."""
    text = json.dumps(document, separators=(" ,", ": "))
    gap = (size - len(text)) // max(text.count(","), 1)
    return text.replace(" ,", " " * gap + ",").ljust(size).encode()


def response_cache(app: FastAPI) -> PublicResponseCache:
    layer: Any = app.middleware_stack
    while not isinstance(layer, PublicResponseCache):
        layer = layer.app
    return layer


def post(client: TestClient, path: str, body: bytes) -> int:
    headers = {"Content-Type": "application/json"}
    return client.post(path, content=body, headers=headers).status_code


def test_distinct_padded_bodies_and_queries_stay_within_the_cache_bounds(
    bounded_app: tuple[FastAPI, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    app, client = bounded_app
    # The test client logs every request, and pytest keeps each record: not the worker's memory.
    caplog.set_level(logging.WARNING, logger="httpx2")
    planner: Planner = app.state.planner
    score = SCORE_REQUESTS["self_care"]["value"]
    plan = PLAN_REQUESTS["desk_worker_tight_right_hip"]["value"]
    # Warm up what is built once per process (validators, the catalogue's pages), outside the
    # measurement.
    assert post(client, "/v1/assessments/score", padded(score)) == 200
    assert post(client, "/v1/plans/preview", padded(plan)) == 200
    assert client.get("/v1/exercises?limit=1&max_minutes=1").status_code == 200

    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(SCORE_BODIES):
            answers = {**score, "intake": {**score["intake"], "pain_weeks": n % 500}}
            assert post(client, "/v1/assessments/score", padded(answers, BODY_BYTES - n)) == 200
        for n in range(QUERIES):
            query = f"limit={n % 100 + 1}&max_minutes={n // 100 + 1}"
            assert client.get(f"/v1/exercises?{query}").status_code == 200
        start = date.fromisoformat(plan["start_date"])
        for n in range(PLANS):
            distinct = {**plan, "start_date": (start + timedelta(days=n)).isoformat()}
            assert post(client, "/v1/plans/preview", padded(distinct)) == 200
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    cache = response_cache(app)
    assert cache.size <= RESPONSE_CACHE_BYTES
    assert len(cache) > 1, "the response cache still keeps the most recent"
    assert planner.rendered_plans.size <= PLAN_CACHE_BYTES
    assert len(planner.rendered_plans) >= 1, "the plan cache still keeps the most recent"
    # Nothing else keeps bodies: the worker holds no more than its bounds.
    assert held - before <= RESPONSE_CACHE_BYTES + PLAN_CACHE_BYTES + WORKER_OVERHEAD_BYTES


def test_a_padded_or_reordered_plan_request_is_the_same_entry(
    bounded_app: tuple[FastAPI, TestClient],
) -> None:
    app, client = bounded_app
    planner: Planner = app.state.planner
    plan = PLAN_REQUESTS["desk_worker_tight_right_hip"]["value"]

    first = client.post("/v1/plans/preview", json=plan)
    kept = len(planner.rendered_plans)
    spellings = [
        padded(plan),
        padded(plan, BODY_BYTES // 2),
        json.dumps(dict(reversed(list(plan.items())))).encode(),
    ]
    replies = [
        client.post("/v1/plans/preview", content=body, headers={"Content-Type": "application/json"})
        for body in spellings
    ]

    assert first.status_code == 200
    assert [r.content for r in replies] == [first.content] * len(spellings)
    assert len(planner.rendered_plans) == kept
