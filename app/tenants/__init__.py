"""Organisations and their API keys: issuing, verifying, scopes and the security schemes.

What other domains may use; everything else in this package is its own.
"""

from app.tenants.keys import Scope
from app.tenants.schemas import Principal
from app.tenants.security import (
    REQUIREMENTS,
    ReadPatients,
    WriteAssessments,
    WriteLogs,
    WritePatients,
    WritePlans,
)

__all__ = [
    "REQUIREMENTS",
    "Principal",
    "ReadPatients",
    "Scope",
    "WriteAssessments",
    "WriteLogs",
    "WritePatients",
    "WritePlans",
]
