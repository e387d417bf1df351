"""`khomun serve`: the web service (web chat, JSON API, staff pages, LINE and Telegram webhooks)
on uvicorn."""

from __future__ import annotations

import logging

from .settings import Settings

__all__ = ["serve"]

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> int:
    """Build everything (the index first when missing; pythainlp is warmed up by the engine), then
    serve until stopped. ``port`` defaults to $PORT (Settings.port)."""
    import uvicorn

    from .app import create_app
    from .services import build_services

    services = build_services(settings)
    app = create_app(settings, services)
    port = settings.port if port is None else port
    log.info("serving %d datasets on http://%s:%d", services.engine.size, host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True, server_header=False)
    finally:
        services.close()
    return 0
