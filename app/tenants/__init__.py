"""Organisations and their API keys: issuing, verifying, scopes and the security schemes.

What other domains may use; everything else in this package is its own.
"""

from app.tenants.keys import Scope
from app.tenants.schemas import Principal
from app.tenants.security import KeyedRoute, needs, principal_of

__all__ = ["KeyedRoute", "Principal", "Scope", "needs", "principal_of"]
