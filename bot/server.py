"""`khomun serve`: the web service (web chat, JSON API, staff pages, LINE and Telegram webhooks)
on uvicorn."""

from __future__ import annotations

import logging
import os
from typing import TypedDict

from .settings import Settings

__all__ = ["serve"]

log = logging.getLogger(__name__)


class UvicornOptions(TypedDict, total=False):
    """The keyword arguments of ``uvicorn.run`` that khomun sets."""

    log_level: str
    access_log: bool
    server_header: bool
    proxy_headers: bool
    forwarded_allow_ips: str | None
    log_config: None
    http: str
    timeout_keep_alive: int


#: no access log (a line per webhook costs CPU and says little; errors are logged with context)
#: uvicorn's httptools protocol with a deadline for a request's headers (bot.slow_clients); bodies
#: have theirs in bot.requests.read_body, idle keep-alive connections uvicorn's 5 s
UVICORN = UvicornOptions(
    log_level="info",
    access_log=False,
    server_header=False,
    http="bot.slow_clients:HeaderDeadline",
    timeout_keep_alive=5,
)


def uvicorn_options(settings: Settings) -> UvicornOptions:
    """uvicorn's options: X-Forwarded-For is believed only from KHOMUN_TRUSTED_PROXIES (anyone
    else could pick the address the staff login throttle counts)."""
    from .logs import json_logs

    trusted = settings.trusted_proxies
    options: UvicornOptions = {
        **UVICORN,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
    if json_logs():  # uvicorn's own lines go through the root logger's JSON handler too
        options["log_config"] = None
    return options


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None, workers: int = 1) -> int:
    """Build everything (the index first when missing; pythainlp is warmed up by the engine), then
    serve until stopped. ``port`` defaults to $PORT (Settings.port). With several ``workers``, each
    process opens the same index and state database (SQLite WAL; webhook de-duplication is in the
    database, so a redelivery to another worker is still answered once)."""
    import uvicorn

    from .app import create_app
    from .journal import load_or_create_secret
    from .metrics import use_private_dir
    from .runtime import ensure_index
    from .services import build_services

    port = settings.port if port is None else port
    if workers > 1:
        ensure_index(settings.index_path)
        secret = load_or_create_secret(settings)  # once, so every worker hashes ids alike
        os.environ["KHOMUN_DATA_DIR"] = str(settings.data_dir)
        os.environ["KHOMUN_SECRET_KEY"] = secret
        use_private_dir(settings.data_dir)  # every worker's metrics, added up at /metrics
        log.info("serving on http://%s:%d with %d workers", host, port, workers)
        uvicorn.run(
            "bot.app:app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            **uvicorn_options(settings),
        )
        return 0
    services = build_services(settings)
    app = create_app(settings, services)
    log.info("serving %d datasets on http://%s:%d", services.engine.size, host, port)
    try:
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
    finally:
        services.close()
    return 0
