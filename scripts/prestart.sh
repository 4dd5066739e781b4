#!/usr/bin/env bash
# Container start-up: migrate the database and load the catalogue, then hand the process over to
# uvicorn. `exec` makes uvicorn PID 1's replacement so it receives SIGTERM from `docker stop`.
# The app writes its own JSON access log, with request ids (the image sets ACCESS_LOG=true), so
# uvicorn's is off.
set -euo pipefail

hipspine prestart

exec uvicorn app.main:create_app --factory \
  --host 0.0.0.0 --port "${PORT:-8000}" \
  --proxy-headers --no-access-log
