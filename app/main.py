"""The application factory."""

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.assessments.router import router as assessments_router
from app.assessments.schemas import FINDING_CODE_SCHEMA
from app.assessments.service import Assessments
from app.assessments.tokens import ResultTokens
from app.catalogue.router import guidance_router
from app.catalogue.router import router as catalogue_router
from app.catalogue.service import CatalogueCache
from app.catalogue.snapshot import CatalogueSnapshot
from app.core.config import Settings, get_settings
from app.core.db import (
    Reads,
    engine_for_reads,
    engine_for_writes,
    make_engine,
    serialises_writes,
    units_of_work,
)
from app.core.logging import configure_logging
from app.health.liveness import Liveness
from app.health.router import router as health_router
from app.http.application import OuterMiddlewareFastAPI
from app.http.docs import mount_docs
from app.http.middleware import RequestContextMiddleware
from app.http.openapi import (
    api_description,
    build_openapi,
    enum_extension,
    operation_id,
    shared_examples,
)
from app.http.problems import (
    document_request_errors,
    install_exception_handlers,
    problem_responses,
)
from app.http.query import RefuseRepeatedParameters
from app.http.response_cache import PublicResponseCache
from app.http.routing import route_paths
from app.idempotency.service import purge_expired
from app.patients import examples as patient_examples
from app.patients.router import (
    patient_assessments_router,
    patient_plans_router,
    patients_router,
)
from app.plans.router import router as plans_router
from app.plans.service import Planner
from app.progress.router import exports as patient_export_router
from app.progress.router import logs as patient_logs_router
from app.progress.router import outcomes as patient_outcomes_router
from app.progress.router import plan_calendar as patient_plan_calendar_router
from app.progress.router import progress as patient_progress_router
from app.progress.stateless import router as adapt_router
from app.rate_limits import install_rate_limits
from app.rate_limits.openapi import document_rate_limits
from app.tenants.openapi import document_security
from app.tenants.service import server_secret
from app.tenants.verified_keys import VerifiedKeys

logger = logging.getLogger(__name__)

# uvicorn replaces a dead worker at once, and stops every worker when a replacement fails to
# start: a worker starting during a database restart waits this long for it before failing.
STARTUP_DATABASE_WAIT_SECONDS = 30.0

# FastAPI's native OpenTelemetry, all of it (see Settings.opentelemetry).
TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,
}

OPENAPI_TAGS = [
    {"name": "catalogue", "description": "Exercises: filter, page, fetch, or take them all."},
    {"name": "guidance", "description": "Self-assessments, habits, FAQ, safety, plan template."},
    {"name": "assessments", "description": "Self-assessment definitions and stateless scoring."},
    {"name": "plans", "description": "Personalised 8-week plans, as JSON or iCalendar."},
    {
        "name": "patients",
        "description": "Your organisation's patients, by your own reference. Needs an API key.",
    },
    {
        "name": "patient-assessments",
        "description": "A patient's assessments, scored and stored with their versions.",
    },
    {
        "name": "patient-plans",
        "description": "A patient's stored plans: status, JSON and iCalendar.",
    },
    {
        "name": "patient-progress",
        "description": "A patient's daily logs, outcome measures, plan revisions and progress "
        "summary.",
    },
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app_engine = engine or make_engine(settings.database_url)

    served = _ServedVersion()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Here rather than at build time, so building the app (for its OpenAPI document, say)
        # needs no secret and creates no file.
        app.state.key_secret = server_secret(settings)
        app.state.verified_keys = VerifiedKeys(settings.api_key_cache_seconds)
        # Made here, on the loop that serves the requests (app.http.dependencies.get_session).
        app.state.units_of_work = asyncio.Semaphore(units_of_work(app_engine))
        app.state.serial_writes = asyncio.Semaphore(1) if serialises_writes(app_engine) else None
        app.state.result_tokens = ResultTokens(app.state.key_secret)
        # Its PostgreSQL connections belong to the loop that serves the requests.
        app.state.reads = reads = Reads(app_engine)
        app.state.catalogue = served.catalogue = await anyio.to_thread.run_sync(
            partial(_first_catalogue, app_engine, check=app.state.assessments.check_against)
        )
        # Pick up a dataset another replica loaded, without a restart.
        refresher = _repeat(
            partial(_refresh, app.state.catalogue),
            settings.catalogue_refresh_seconds,
            "catalogue refresh failed; serving the previous version",
        )
        purger = _repeat(
            partial(_purge_idempotency_records, app_engine),
            settings.idempotency_purge_seconds,
            "purging expired idempotency records failed; retrying next time",
        )
        _freeze_what_is_loaded()
        try:
            yield
        finally:
            for task in (refresher, purger):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.rate_limiter.aclose()
            await reads.dispose()
            gc.unfreeze()  # a process that goes on (tests, embedding) collects it again
            if engine is None:
                app_engine.dispose()

    assessments = Assessments.load()
    app = OuterMiddlewareFastAPI(
        title="Hip-Spine API",
        version="1.0.0",
        description=api_description(score_formula=assessments.ruleset.score_formula),
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        separate_input_output_schemas=False,
        responses=problem_responses(500),
        telemetry=None if settings.opentelemetry else TELEMETRY_OFF,
    )
    app.state.engine = engine_for_reads(app_engine)
    app.state.write_engine = engine_for_writes(app_engine)
    app.state.assessments = assessments
    app.state.planner = Planner.load(cache_max_bytes=settings.plan_cache_max_bytes)
    app.state.settings = settings
    app.state.cache_control = f"public, max-age={settings.catalogue_max_age_seconds}"
    install_exception_handlers(app)
    # Routes are matched in order, one pattern after another (FastAPI 0.165 tries each route of
    # each router): the keyed patient routes, which every clinic call takes, come first. The
    # liveness probe is answered before routing (app.health.liveness) and the public reads
    # mostly by the response cache, so they lose little by coming later.
    for router in (
        patients_router,
        health_router,
        catalogue_router,
        guidance_router,
        assessments_router,
        plans_router,
        adapt_router,
        patient_assessments_router,
        patient_plans_router,
        patient_plan_calendar_router,
        patient_export_router,
        patient_logs_router,
        patient_outcomes_router,
        patient_progress_router,
    ):
        app.include_router(router)
    mount_docs(app)
    app.state.route_paths = route_paths(app.routes)

    def openapi() -> dict[str, Any]:
        return build_openapi(
            app,
            extensions=(
                document_rate_limits,
                document_security,
                document_request_errors,
                enum_extension(FINDING_CODE_SCHEMA, assessments.finding_codes),
                shared_examples({"StoredPlan": patient_examples.STORED_PLAN}),
            ),
        )

    app.openapi = openapi  # type: ignore[method-assign]

    # Before the routes, inside the response cache: a stored 200 is the answer to that very
    # query string, so it was not refused, and a replay need not ask again (see its docstring).
    app.add_middleware(RefuseRepeatedParameters)
    # Inside the response cache too, which never stores its answer: the cached reads, far more
    # frequent than the probes, pass one layer fewer (see its docstring).
    app.add_middleware(Liveness)
    app.add_middleware(
        PublicResponseCache,
        current_version=served,
        max_bytes=settings.response_cache_max_bytes,
    )
    # Outside the response cache, so cached replays count against the limit too; inside CORS,
    # so preflights are not counted and a 429 still carries the CORS headers a browser needs.
    install_rate_limits(app, settings, authenticated_prefixes=(patients_router.prefix,))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["*"],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "X-Dataset-Version",
                "Idempotent-Replayed",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
        )
    # Added last so it is outermost: every response, CORS preflights and 500s included,
    # carries the request id.
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        max_header_count=settings.max_header_count,
        access_log=settings.access_log,
    )
    return app


def _first_catalogue(
    engine: Engine, *, check: Callable[[CatalogueSnapshot], None]
) -> CatalogueCache:
    """The catalogue, once the database answers (within ``STARTUP_DATABASE_WAIT_SECONDS``)."""
    deadline = time.monotonic() + STARTUP_DATABASE_WAIT_SECONDS
    while True:
        try:
            return CatalogueCache(engine, check=check)
        except OperationalError:
            if time.monotonic() >= deadline:
                raise
            logger.warning("database not reachable at startup; retrying in 1 s")
            time.sleep(1)


def _freeze_what_is_loaded() -> None:
    """What a worker has loaded (catalogue, rules, templates, the OpenAPI models: about 166,000
    objects) lives as long as it does. Out of the collector's sight, a full collection no
    longer walks it: that walk took 65 ms, a pause every request in flight waited out (keyed
    reads' p99 was 90-130 ms against a p50 of 10 ms; 11-28 ms frozen). Called again when a new
    dataset replaces the old, which then goes back to the collector."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _refresh(cache: CatalogueCache) -> None:
    if cache.refresh():
        _freeze_what_is_loaded()


class _ServedVersion:
    """The dataset version this worker serves (None until the lifespan has loaded it), for the
    response cache, which asks on every cached read. The catalogue is held here as well as in
    ``app.state``, whose attribute lookup is a Python call: it took 3% of a cached read."""

    catalogue: CatalogueCache | None = None

    def __call__(self) -> str | None:
        return None if self.catalogue is None else self.catalogue.snapshot.version


def _repeat(job: Callable[[], object], every_seconds: float, failure: str) -> asyncio.Task[None]:
    """Run ``job`` in a worker thread every ``every_seconds`` (never when 0) until cancelled; a
    failure is logged and the next run still happens."""

    async def loop() -> None:
        if every_seconds <= 0:
            return
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await anyio.to_thread.run_sync(job)
            except Exception:
                logger.exception(failure)

    return asyncio.create_task(loop())


def _purge_idempotency_records(engine: Engine) -> None:
    with Session(engine_for_writes(engine)) as session, session.begin():
        purge_expired(session)
