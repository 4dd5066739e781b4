"""Reference apps for ``scripts/bench.py``: the floor each framework layer costs on its own.

Both answer ``GET /`` with ``{"status": "ok"}`` and nothing else: no middleware, no database, no
logging. Served by uvicorn as ``scripts.bench_refs:starlette_app`` and ``:fastapi_app``.
"""

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def _starlette_root(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


starlette_app = Starlette(routes=[Route("/", _starlette_root)])

fastapi_app = FastAPI()


@fastapi_app.get("/")
async def _fastapi_root() -> dict[str, str]:
    return {"status": "ok"}
