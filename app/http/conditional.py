"""Conditional requests: strong ETags and ``If-None-Match`` for content served from
pre-serialised bytes, and version ETags with ``If-Match`` for stored resources.

A stored resource's strong ETag is its row version, ``"v<version>"``: the version is bumped on
every change, so equal ETags mean byte-identical representations. Services turn ``If-Match``
into the versions an update may apply to and make the check part of the ``UPDATE`` itself, so
two clients racing with the same ETag cannot both win.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import PreconditionFailed, PreconditionRequired
from app.core.types import Omittable
from app.http.openapi_examples import example_response


class CacheValidatorHeaders(BaseModel):
    """The request headers of a conditional GET on public content."""

    model_config = ConfigDict(extra="ignore")  # every other header is someone else's business

    # No bound of its own: the response cache answers revalidations before any route runs, so
    # only the server's bound on header size applies, to every request alike.
    if_none_match: Omittable[str] = Field(
        default=None,
        alias="If-None-Match",
        description="The `ETag` of the copy you hold (several may be listed, or `*`): 304 with "
        "no body while it is still current.",
        examples=['"4f1c0a8b9d2e7f3a6b5c4d3e2f1a0b9c"'],
    )


async def _declare_cache_validators(_: Annotated[CacheValidatorHeaders, Header()]) -> None:
    """Declares ``If-None-Match``; :func:`conditional_json` reads it from the request."""


CACHE_VALIDATORS = Depends(_declare_cache_validators)


def public_content_responses(
    example: Any, *, summary: str, extra_headers: dict[str, Any] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The 200 (with ``example`` as its body) and 304 of a public content GET, each declaring
    the headers it carries."""

    def headers() -> dict[str, Any]:
        return {
            "ETag": {
                "description": "Strong validator of this representation: send it back as "
                "`If-None-Match`.",
                "schema": {"type": "string", "examples": ['"4f1c0a8b9d2e7f3a6b5c4d3e2f1a0b9c"']},
            },
            "X-Dataset-Version": {
                "description": "The content's version; it changes whenever any exercise or "
                "guidance item changes.",
                "schema": {"type": "string", "examples": ["1-3f9c2a7b1d4e"]},
            },
            "Cache-Control": {
                "description": "Public content: any cache may keep it this many seconds.",
                "schema": {"type": "string", "examples": ["public, max-age=300"]},
            },
            **(extra_headers or {}),
        }

    return {
        200: {**example_response(example, summary=summary), "headers": headers()},
        304: {
            "description": "Not Modified: your copy, named by `If-None-Match`, is current.",
            "headers": headers(),
        },
    }


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text
# (a tag may hold a comma). An element of a list field (5.6.1) is one tag, or nothing, between
# commas, with optional whitespace around it.
_LIST_ELEMENT = re.compile(r'[ \t]*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")?[ \t]*(,|\Z)')


def entity_tags(field: str) -> list[str] | None:
    """The entity-tags a list field names, in order (empty elements skipped); ``None`` when the
    field is not a list of entity-tags (a ``*`` among tags is not one)."""
    tags: list[str] = []
    position = 0
    while (element := _LIST_ELEMENT.match(field, position)) is not None:
        if element[1]:
            tags.append(element[1])
        if not element[2]:  # the end of the field
            return tags
        position = element.end()
    return None


def field_lines(lines: list[str]) -> str | None:
    """A field sent on several lines, as one list (RFC 9110 5.3): the lines joined by commas."""
    return ", ".join(lines) if lines else None


def matches_if_none_match(header: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, ``*`` matches any current representation."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == opaque for tag in entity_tags(header) or [])


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
    if matches_if_none_match(field_lines(request.headers.getlist("if-none-match")), etag):
        return Response(status_code=304, headers=all_headers)
    return Response(content=body, media_type=media_type, headers=all_headers)


# --- If-Match on stored resources ------------------------------------------------------------


_VERSION_ETAG = re.compile(r'"v([0-9]{1,18})"')

_IfMatchLine = Annotated[
    Omittable[Annotated[str, StringConstraints(max_length=512)]],
    Header(
        alias="If-Match",
        description='The `ETag` you last read, or several as a list (`"v2", "v3"`: any '
        "that is current will do), or `*` for any version. Required on updates: 428 when "
        "missing, 412 when the resource has changed since.",
    ),
]


def _if_match_field(request: Request, _: _IfMatchLine = None) -> str | None:
    """``If-Match`` with all its lines. The parameter publishes the header and bounds its first
    line; FastAPI reads no other line, and a list may be split over several (RFC 9110 5.3).
    The middleware bounds the header as a whole."""
    return field_lines(request.headers.getlist("if-match"))


# The request's If-Match, every line of it: pass it to ``if_match``.
IfMatchHeader = Annotated[str | None, Depends(_if_match_field)]


def version_etag(version: int) -> str:
    return f'"v{version}"'


@dataclass(frozen=True)
class Precondition:
    """What ``If-Match`` asks: nothing when it was not sent; else the versions its ETags name
    (perhaps none), ``None`` meaning any version (``*``)."""

    sent: bool
    versions: frozenset[int] | None

    def allows(self, version: int | None) -> bool:
        """Whether a change may apply to the resource at ``version``; ``None`` when there is no
        resource yet (a PUT that would create it), which a sent If-Match, even ``*``, never
        matches (RFC 9110 13.1.1)."""
        if version is None:
            return not self.sent
        return self.versions is None or version in self.versions


def if_match(header: str | None, *, required: bool) -> Precondition:
    """RFC 9110 13.1.1: ``*``, or a list of ETags of which any one current will do. A blank
    field counts as not sent. A field that is not a list of ETags names no version, so it
    fails like a stale ETag, as do weak ETags (never equal by strong comparison, 8.8.3.2) and
    ETags this server never gave."""
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired(
                "Send `If-Match` with the `ETag` you last read, so a concurrent change is not "
                "overwritten."
            )
        return Precondition(sent=False, versions=None)
    if header.strip() == "*":
        return Precondition(sent=True, versions=None)
    return Precondition(
        sent=True,
        versions=frozenset(
            int(match[1])
            for tag in entity_tags(header) or []
            if (match := _VERSION_ETAG.fullmatch(tag))
        ),
    )


def stale() -> PreconditionFailed:
    return PreconditionFailed(
        "The resource has changed since that `ETag` was read: fetch it again and retry."
    )
