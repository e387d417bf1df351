"""What the platform and the operators ask the service: ``GET /healthz`` (the process answers:
for a liveness probe, cheap), ``GET /readyz`` (the state database answers a read and the index
is loaded: for a load balancer's or a readiness probe; 503 with the reason otherwise) and
``GET /metrics`` (Prometheus; behind STAFF_TOKEN as a bearer when that is set)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from state import Error as StateError
from state import is_postgres, open_database

from . import metrics

__all__ = ["ops_routes", "readiness"]

log = logging.getLogger(__name__)

#: seconds a readiness probe waits for the state database (a locked one is not ready)
STATE_TIMEOUT = 1.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Guard = Callable[..., Callable[[Request], Awaitable[Response]]]


def readiness(services: Any) -> str:
    """Why the service cannot take traffic, or "" when it can."""
    target = services.settings.state_db
    try:
        if is_postgres(target):  # the shared database: one query through the instance's pool
            db = open_database(target, migrate=False, wait=STATE_TIMEOUT)
            try:
                db.execute("SELECT 1")
            finally:
                db.close()
        else:  # read-only, so a probe never creates or locks the file
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=STATE_TIMEOUT)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
    except StateError as err:  # sqlite3 and psycopg errors
        return f"state database unreachable ({type(err).__name__})"
    try:
        if services.engine.size <= 0:
            return "index is empty"
    except Exception as err:
        return f"index not loaded ({type(err).__name__})"
    return ""


def ops_routes(services: Any, guard: Guard | None = None) -> list[BaseRoute]:
    """The three routes; ``guard`` (the staff pages' bearer check) protects /metrics when given."""

    async def healthz(request: Request) -> Response:
        engine = services.engine
        return JSONResponse(
            {"ok": True, "datasets": engine.size, "built_at": engine.meta.get("built_at", "")}
        )

    async def readyz(request: Request) -> Response:
        reason = await run_in_threadpool(readiness, services)
        if reason:
            log.warning("not ready", extra={"reason": reason})
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse({"ready": True})

    async def scrape(request: Request, session: object = None) -> Response:
        body = await run_in_threadpool(metrics.render, services)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return [
        Route("/healthz", healthz, name="healthz"),
        Route("/readyz", readyz, name="readyz"),
        Route("/metrics", guard(scrape, "data") if guard is not None else scrape, name="metrics"),
    ]
