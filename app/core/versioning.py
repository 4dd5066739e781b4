"""Content-derived versions: the same data always gives the same version, any change a new one."""

import hashlib
import json
from typing import Any


def content_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data`` (sorted keys, no insignificant spaces)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_version(data: Any, *, format_version: int) -> str:
    """``<format>-<12 hex digits>``: short enough for headers, long enough not to collide."""
    return f"{format_version}-{content_hash(data)[:12]}"
