"""Idempotency keys: a retried create replays its first response instead of running again.

What other domains may use; everything else in this package is its own.
"""

from app.idempotency.http import IdempotencyKeyHeader, respond_idempotently, stored_problem
from app.idempotency.service import StoredResponse, forget_patient

__all__ = [
    "IdempotencyKeyHeader",
    "StoredResponse",
    "forget_patient",
    "respond_idempotently",
    "stored_problem",
]
