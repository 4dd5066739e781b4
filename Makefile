# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
# uv from PATH, or else a private copy installed from PyPI into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_LINK_MODE ?= copy
# Test processes (pytest-xdist). Most of the suite waits on sockets, databases and threads rather
# than computing, so more workers than cores still help; each worker has its own databases.
TEST_WORKERS ?= 4

.PHONY: run test lint typecheck imports openapi bench bench-progress sync

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

sync: | $(UV)
	$(UV) sync --locked --quiet

## Serve the API on the embedded SQLite default, with migrations applied and the catalogue loaded.
run: sync
	$(UV) run --locked hipspine prestart --dev-key
	$(UV) run --locked uvicorn app.main:create_app --factory --host $(HOST) --port $(PORT) --no-access-log

## The whole suite: lint, types, the layer rules, the contract, tests (PostgreSQL too when
## TEST_DATABASE_URL is set).
test: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy
	$(UV) run --locked lint-imports
	$(UV) run --locked pytest -n $(TEST_WORKERS) --dist worksteal --cov

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .

typecheck: sync
	$(UV) run --locked mypy

## The architecture's import rules (pyproject.toml [tool.importlinter]; README "Architecture").
imports: sync
	$(UV) run --locked lint-imports

## Regenerate openapi/openapi.json from the app.
openapi: sync
	$(UV) run --locked hipspine openapi

## Throughput and latency against a real uvicorn on loopback (see README).
bench: sync
	$(UV) run --locked python scripts/bench.py $(BENCH_ARGS)

## Progress reads as the log table grows to a million rows (PostgreSQL; see README).
bench-progress: sync
	$(UV) run --locked python scripts/bench_progress.py --database-url "$${TEST_DATABASE_URL:?set TEST_DATABASE_URL to a PostgreSQL server}" $(BENCH_ARGS)
