"""The web side for people: the try-out chat page and its JSON API, the search API."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from intents import Message, Turn, texts
from intents.payload import MAX_PAYLOAD_BYTES

from . import metrics
from .openapi import openapi_document
from .requests import (
    MAX_BODY,
    SEARCH_LIMIT_MAX,
    BadJson,
    body_or_refusal,
    clean_text,
    parse_json,
    search_limit,
)
from .services import Services

__all__ = ["MAX_BODY", "MAX_TEXT", "search_json", "turn_json", "web_routes"]

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MAX_TEXT = 500
_SESSION = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def search_json(query: str, result: Any, *, why: bool = False) -> dict[str, Any]:
    """A search's answer as JSON: the API's ``/api/search`` and ``khomun search --json`` alike.
    ``understood`` is the query as the search read it: corrected, else normalised."""
    hits = []
    for h in result.hits:
        best = h.dataset.best_resource
        hit = {
            "name": h.name,
            "title": h.dataset.title,
            "agency": h.dataset.organization,
            "page_url": h.dataset.page_url,
            "download_url": best.url if best else None,
            "score": h.score,
        }
        if why:
            hit["why"] = list(h.why)
        hits.append(hit)
    return {
        "query": query,
        "understood": result.query.corrected or result.query.normalized,
        "answered": result.answered,
        "results": hits,
    }


def turn_json(turn: Turn) -> dict[str, Any]:
    """The neutral Reply as JSON, plus a summary of the Outcome."""
    out = turn.outcome
    return {
        "reply": dataclasses.asdict(turn.reply),
        "outcome": {
            "intent": out.intent,
            "answered": out.answered,
            "corrected": out.corrected,
            "hits": list(out.hits[:10]),
            "ms": round(turn.ms, 2),
        },
    }


class WebPages:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    async def home(self, request: Request) -> Response:
        return self.templates.TemplateResponse(
            request,
            "chat.html",
            {"t": texts, "max_text": MAX_TEXT, "examples": texts.HELP_EXAMPLES},
            headers={"Cache-Control": "no-store"},
        )

    async def chat(self, request: Request) -> Response:
        body = await body_or_refusal(request, _error)
        if isinstance(body, Response):
            return body
        try:
            data = parse_json(body)
        except BadJson as err:
            log.info("web chat body refused", extra={"reason": str(err)})
            return _error(400, 'body must be JSON: {"text": ..., "session": ...}')
        if not isinstance(data, dict):
            return _error(400, "body must be a JSON object")
        if "text" not in data and not data.get("postback"):
            return _error(400, "text is required (or postback, for a button pressed)")
        text, session, postback = data.get("text", ""), data.get("session"), data.get("postback", "")
        if text is None:
            text = ""
        if not isinstance(text, str):
            return _error(400, "text must be a string")
        if session is None:
            return _error(400, "session is required: 8-64 characters of A-Z a-z 0-9 _ -")
        if not isinstance(session, str) or not _SESSION.match(session):
            return _error(400, "session must be 8-64 characters of A-Z a-z 0-9 _ -")
        if not isinstance(postback, str) or len(postback.encode()) > MAX_PAYLOAD_BYTES:
            return _error(400, f"postback must be a string of at most {MAX_PAYLOAD_BYTES} bytes")
        if len(text) > MAX_TEXT:
            polite = texts.TOO_LONG.format(limit=MAX_TEXT)
            return _error(400, f"text longer than {MAX_TEXT} characters", reply={"text": polite})
        text, postback = clean_text(text, MAX_TEXT) or "", clean_text(postback) or ""
        message = Message(platform="web", chat_id=session, user_id=session, text=text, postback=postback)
        started = time.perf_counter()
        turn = await self.services.handle_async(message)
        turn = await self.services.complete(turn)  # a preview asked for is fetched here
        response = JSONResponse(turn_json(turn))
        metrics.REPLY_SECONDS.labels("web").observe(time.perf_counter() - started)
        return response

    async def search(self, request: Request) -> Response:
        q = (clean_text(request.query_params.get("q", ""), MAX_TEXT + 1) or "").strip()
        if not q:
            return _error(400, "q is required")
        if len(q) > MAX_TEXT:
            return _error(400, f"q longer than {MAX_TEXT} characters")
        try:
            limit = search_limit(request.query_params.get("limit", "10"))
        except ValueError as err:
            return _error(400, str(err))
        result = await run_in_threadpool(self.services.engine.search, q, limit)
        return JSONResponse(search_json(q, result))

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(MAX_TEXT, SEARCH_LIMIT_MAX))

    async def favicon(self, request: Request) -> Response:
        """The icon at the address browsers ask for when a page names none (the pages do)."""
        return Response(
            (HERE / "static" / "favicon.svg").read_bytes(),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )


def web_routes(services: Services) -> list[BaseRoute]:
    p = WebPages(services)
    return [
        Route("/", p.home, name="home"),
        Route("/api/chat", p.chat, methods=["POST"], name="api_chat"),
        Route("/api/search", p.search, name="api_search"),
        Route("/favicon.ico", p.favicon, name="favicon"),
        Route("/openapi.json", p.openapi, name="openapi"),
    ]
