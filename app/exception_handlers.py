"""Render every error as problem+json (see ``app.errors`` for the hierarchy)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.errors import PROBLEM_JSON, AppError, invalid_input, problem_body
from app.routing import allowed_methods

# Starlette raises HTTPException for routing-level errors; give each a stable code.
_HTTP_CODES = {
    400: ("bad_request", "Bad Request", "The request could not be parsed."),
    404: ("not_found", "Not Found", "No resource at this path."),
    405: ("method_not_allowed", "Method Not Allowed", "This path does not support the method."),
    413: ("payload_too_large", "Content Too Large", "The request body is too large."),
}


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(
            status=status,
            code=code,
            title=title,
            detail=detail,
            instance=request.url.path,
            request_id=request.state.request_id,
            errors=errors,
            extensions=extensions,
        ),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extensions=exc.extensions,
        headers=exc.headers,
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _app_error(request, invalid_input(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code, title, detail = _HTTP_CODES.get(
        exc.status_code, ("http_error", "HTTP Error", "The request failed.")
    )
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.url.path))
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        headers=headers or None,
    )


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
