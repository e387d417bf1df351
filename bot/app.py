"""The web service: ``create_app(settings)`` builds everything (no global state) and returns a
Starlette app with the web chat, the JSON API, the staff pages and the enabled channels' webhooks.

Channels plug in through one contract: ``Channel(settings, services)`` with ``.routes`` (Starlette
routes), ``async startup()`` and ``async shutdown()``, called from the app's lifespan. A channel's
module (and its platform SDK) is imported only when its credentials are set; when they are set and
it cannot be imported, the service does not start (ChannelUnavailable): a feature someone
configured never goes quietly missing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from . import metrics
from .feeds import feed_routes
from .logs import configure_logging
from .ops import ops_routes
from .services import Services, build_services
from .settings import Settings
from .staff.pages import StaffPages, staff_routes
from .web import HERE, web_routes

__all__ = ["Channel", "ChannelUnavailable", "create_app"]

log = logging.getLogger(__name__)


class ChannelUnavailable(RuntimeError):
    """A channel whose credentials are set cannot be loaded: start-up stops here."""


class Channel(Protocol):
    routes: list[BaseRoute]

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...


#: (platform, module, class, Settings property that says its credentials are set)
CHANNELS = (
    ("line", "bot.line.channel", "LineChannel", "line_enabled"),
    ("telegram", "bot.telegram.channel", "TelegramChannel", "telegram_enabled"),
)


def _channels(settings: Settings, services: Services) -> list[Channel]:
    found: list[Channel] = []
    for platform, module, cls, enabled in CHANNELS:
        if not getattr(settings, enabled):
            log.info("%s disabled: no credentials set", platform, extra={"platform": platform})
            continue
        try:
            factory: Any = getattr(importlib.import_module(module), cls)
        except ImportError as err:
            raise ChannelUnavailable(
                f"{platform} credentials are set but {module} cannot be imported: {err}"
            ) from err
        found.append(factory(settings, services))
        log.info("%s enabled", platform, extra={"platform": platform})
    return found


def _staff(services: Services) -> list[BaseRoute]:
    """/staff, and /healthz, /readyz and /metrics (the last behind STAFF_TOKEN when it is set, with
    the staff pages' throttle on wrong tokens)."""
    pages = StaffPages(services)
    guard = pages.guard if services.settings.staff_token else None
    return [*ops_routes(services, guard), Mount("/staff", routes=staff_routes(services, pages))]


async def server_error(request: Request, exc: Exception) -> Response:
    """Any unhandled exception: logged with its traceback (never the body or headers), and a
    generic answer."""
    log.error(
        "unhandled error",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"path": request.url.path, "method": request.method},
    )
    if request.url.path.startswith("/api"):
        return JSONResponse({"error": "internal error"}, status_code=500)
    return PlainTextResponse("Internal Server Error", status_code=500)


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and the like: JSON on /api paths (API clients parse every answer), plain text
    elsewhere."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if request.url.path.startswith("/api"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=headers)


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The whole service. Without ``services`` it builds (and on shutdown closes) its own."""
    owned = services is None
    services = services if services is not None else build_services(settings)
    channels = _channels(settings, services)
    routes: list[BaseRoute] = [*web_routes(services), *feed_routes(services)]
    for channel in channels:
        routes.extend(channel.routes)
    routes.extend(_staff(services))
    routes.append(Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started: list[Channel] = []
        try:
            for channel in channels:
                await channel.startup()
                started.append(channel)
            yield
        finally:
            for channel in reversed(started):
                try:
                    await channel.shutdown()
                except Exception:
                    log.exception("channel shutdown failed", extra={"channel": type(channel).__name__})
            services.journal.flush()
            if owned:
                services.close()
            metrics.mark_process_dead()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.services = services
    app.state.channels = channels
    return app


def app_from_env() -> Starlette:
    """The app as configured by the environment: for ``khomun serve --workers N`` and
    ``uvicorn --factory bot.app:app_from_env``."""
    configure_logging()  # a worker process starts with none
    return create_app(Settings.from_env())
