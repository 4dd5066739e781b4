# syntax=docker/dockerfile:1
# Hip-Spine API image: `docker build -t hipspine .` then `docker run -p 8000:8000 hipspine`.
# Configure with the environment variables documented in the README (DATABASE_URL, LOG_LEVEL...).
# Start-up runs scripts/prestart.sh: migrations and the catalogue load, then uvicorn.

# ---- Stage 1: builder -------------------------------------------------------------------------
# Resolve the locked dependencies into /app/.venv with uv. Nothing from this stage but /app
# reaches the final image (no uv, no caches).
FROM python:3.11-slim-bookworm AS builder

COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /uvx /bin/

# Compile bytecode at build time (faster start), copy rather than hard-link out of the cache
# mount, and use the image's interpreter instead of downloading one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0

WORKDIR /app

# Dependencies first, from the lock file alone: this layer is rebuilt only when uv.lock or
# pyproject.toml change, not on every source edit.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-dev --no-install-project

# Then the project itself. It stays in /app (an editable install): alembic.ini, migrations/ and
# the catalogue's data files are found relative to the source tree.
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev \
    && .venv/bin/python -m compileall -q app migrations

# ---- Stage 2: runtime -------------------------------------------------------------------------
# The slim base plus the built /app, run as an unprivileged user who can read the code but write
# only to /app/data.
FROM python:3.11-slim-bookworm AS runtime

# ACCESS_LOG: the app writes the access log (JSON, with request ids) in place of uvicorn's, which
# prestart.sh turns off; a container has no other log of its requests.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    ACCESS_LOG=true

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /app app

WORKDIR /app
COPY --from=builder /app /app
# The default DATABASE_URL is a SQLite file under /app/data; mount a volume there to keep it.
RUN mkdir -p /app/data && chown app:app /app/data

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=2)"]

# prestart.sh migrates, loads the catalogue, then execs uvicorn, which thereby becomes PID 1 and
# receives `docker stop`'s SIGTERM itself. Override the command for one-offs, e.g.
# `docker run --rm hipspine hipspine migrate`.
CMD ["/app/scripts/prestart.sh"]
