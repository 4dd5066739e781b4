from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.core.db import database_reachable
from app.core.errors import ServiceUnavailable
from app.http.problems import problem_responses
from app.http.query import NoQuery

router = APIRouter(tags=["health"], responses=problem_responses(422))


class HealthStatus(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = Field(examples=["ok"])


class ReadyStatus(HealthStatus):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ok", "dataset_version": "1-3f9c2a7b1d4e"}]}
    )

    dataset_version: str = Field(examples=["1-3f9c2a7b1d4e"])


@router.get("/healthz", response_model=HealthStatus, summary="Liveness")
async def check_liveness(_: NoQuery) -> HealthStatus:
    """The process is up. Touches no dependency."""
    return HealthStatus(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyStatus,
    summary="Readiness",
    responses=problem_responses(503),
)
def check_readiness(request: Request, _: NoQuery) -> ReadyStatus:
    """The database answers and this worker serves a loaded catalogue."""
    if not database_reachable(request.app.state.engine):
        raise ServiceUnavailable("The database is not reachable.")
    return ReadyStatus(status="ok", dataset_version=request.app.state.catalogue.snapshot.version)
