"""Liveness and readiness. Nothing here is used by another domain."""
