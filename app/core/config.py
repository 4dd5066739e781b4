"""Settings, read once from the environment (prefix-free names, documented in the README)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'hipspine.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_SQLITE_URL,
        description="SQLAlchemy URL: SQLite file by default, postgresql+psycopg://... in prod",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = Field(
        default=False,
        description="One JSON line per request. Off by default: measured, it costs about 40% of "
        "the throughput of a cached catalogue read, and load balancers usually log requests.",
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry traces, metrics and logs. Off by default: "
        "the app ships no OpenTelemetry SDK, without which FastAPI emits nothing, yet it looks "
        "for a configured provider on every request (measured: about 5 µs, a sixth of a cached "
        "catalogue read). Turn it on where an SDK is installed; FastAPI's own variables "
        "(FASTAPI_OTEL_AUTO_CONFIGURE, OTEL_*) then apply.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed by CORS, as a JSON list; empty disables CORS.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Request bodies larger than this get 413."
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="Requests whose header names and values add up to more than this get 431.",
    )
    max_header_count: int = Field(
        default=100, ge=16, description="Requests with more header fields than this get 431."
    )
    response_cache_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="Memory each worker may spend replaying public responses (bodies, headers "
        "and bookkeeping); the least recently used are dropped beyond it. 0 turns the cache off.",
    )
    plan_cache_max_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="Memory each worker may spend keeping rendered plan previews, keyed on the "
        "validated request; the least recently used are dropped beyond it. 0 keeps none.",
    )
    catalogue_max_age_seconds: int = Field(
        default=300, ge=0, description="Cache-Control max-age on public catalogue responses."
    )
    catalogue_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often a worker checks the database for a newer dataset version.",
    )

    api_key_secret: SecretStr | None = Field(
        default=None,
        description="Server secret for the keyed hash (HMAC-SHA256) of API keys; at least 32 "
        "characters. Required on PostgreSQL. On SQLite, when unset, a random one is kept in a "
        "file beside the database (mode 0600).",
        min_length=32,
    )
    api_key_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description="How long each worker trusts a key it verified before looking it up again: "
        "a revoked key stops working within this bound. 0 looks every key up.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db to share rate limits across workers and replicas; "
        "unset keeps them in each process's memory.",
    )
    redis_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        le=30,
        description="How long a rate-limit call to Redis may take before the request is let "
        "through uncounted.",
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests per minute allowed to each API key."
    )
    anonymous_rate_limit_per_minute: int = Field(
        default=300,
        ge=1,
        description="Requests per minute allowed to each client address without a key.",
    )
    idempotency_ttl_hours: int = Field(
        default=24, ge=24, description="How long an Idempotency-Key and its response are kept."
    )
    idempotency_purge_seconds: float = Field(
        default=3600, ge=0, description="How often a worker deletes expired idempotency records."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
