"""Strong ETags and conditional GETs for content served from pre-serialised bytes."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: your copy, named by `If-None-Match`, is current."}
}


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches_if_none_match(header: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, ``*`` matches any current representation."""
    if not header:
        return False
    opaque = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Representation:
    """A response body serialised once, with its strong ETag."""

    body: bytes
    etag: str

    @classmethod
    def of_bytes(cls, body: bytes) -> "Representation":
        return cls(body=body, etag=strong_etag(body))

    @classmethod
    def of(cls, model: BaseModel) -> "Representation":
        return cls.of_bytes(model.model_dump_json().encode())


def public_content(
    request: Request,
    representation: Representation,
    *,
    dataset_version: str,
    extra_headers: Mapping[str, str] | None = None,
) -> Response:
    """Public reference content: cacheable by anyone, versioned by the dataset."""
    return conditional_json(
        request,
        body=representation.body,
        etag=representation.etag,
        headers={
            "Cache-Control": request.app.state.cache_control,
            "X-Dataset-Version": dataset_version,
            **(extra_headers or {}),
        },
    )


def private_content(
    body: bytes,
    *,
    status_code: int = 200,
    media_type: str = "application/json",
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Personal data: never stored by a shared or a browser cache."""
    all_headers = {
        "Cache-Control": "no-store",
        **({"ETag": etag} if etag else {}),
        **(headers or {}),
    }
    return Response(body, status_code=status_code, media_type=media_type, headers=all_headers)


def conditional_json(
    request: Request,
    *,
    body: bytes,
    etag: str,
    headers: Mapping[str, str],
    media_type: str = "application/json",
) -> Response:
    """200 with the body, or 304 with the same validators when the client already has it."""
    all_headers = {"ETag": etag, **headers}
    if matches_if_none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=all_headers)
    return Response(content=body, media_type=media_type, headers=all_headers)
