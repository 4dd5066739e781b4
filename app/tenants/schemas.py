"""Who is calling: the organisation and scopes an authenticated key carries."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.tenants.keys import Scope


@dataclass(frozen=True)
class Principal:
    """The caller of a tenant route. Every tenant query filters on ``organisation_id``, taken
    from here and never from a path or a body."""

    organisation_id: uuid.UUID
    key_id: str
    scopes: frozenset[Scope]
    expires_at: datetime | None = None
    """When the key stops working, if it expires: a cached principal is never used after."""
