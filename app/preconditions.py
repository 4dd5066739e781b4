"""Optimistic concurrency for stored resources: version ETags and ``If-Match`` (RFC 9110 13.1.1).

A stored resource's strong ETag is its row version, ``"v<version>"``: the version is bumped on
every change, so equal ETags mean byte-identical representations. Services turn ``If-Match``
into the versions an update may apply to and make the check part of the ``UPDATE`` itself, so
two clients racing with the same ETag cannot both win.
"""

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header

from app.errors import PreconditionFailed, PreconditionRequired

_VERSION_ETAG = re.compile(r'"v([0-9]{1,18})"')

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=512,
        description="The `ETag` you last read (`*` for any version). Required on updates: "
        "428 when missing, 412 when the resource has changed since.",
    ),
]


def version_etag(version: int) -> str:
    return f'"v{version}"'


@dataclass(frozen=True)
class Precondition:
    """The versions a change may apply to; ``None`` means any (``If-Match: *``)."""

    versions: frozenset[int] | None

    def allows(self, version: int) -> bool:
        return self.versions is None or version in self.versions


def if_match(header: str | None, *, required: bool) -> Precondition:
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired(
                "Send `If-Match` with the `ETag` you last read, so a concurrent change is not "
                "overwritten."
            )
        return Precondition(versions=None)
    candidates = [candidate.strip() for candidate in header.split(",")]
    if "*" in candidates:
        return Precondition(versions=None)
    # Weak or foreign tags never match strongly (RFC 9110 8.8.3.2); they fail like stale ones.
    return Precondition(
        versions=frozenset(
            int(match[1])
            for candidate in candidates
            if (match := _VERSION_ETAG.fullmatch(candidate))
        )
    )


def stale() -> PreconditionFailed:
    return PreconditionFailed(
        "The resource has changed since that `ETag` was read: fetch it again and retry."
    )
