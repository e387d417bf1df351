"""A small fake Telegram Bot API on uvicorn (127.0.0.1, port 0): ``/bot<token>/<method>``.

Answers getMe, sendMessage, editMessageText, answerCallbackQuery, answerInlineQuery,
setMyCommands, deleteMyCommands, setWebhook, deleteWebhook and getWebhookInfo in the real API's
JSON shape. PTB posts form fields with JSON-encoded non-string values: ``Call.params`` decodes
them back. Every call is recorded with its arrival time; ``fail(method, 429, retry_after=1)`` or
``fail(method, 500)`` injects errors; ``hang(method, seconds)`` answers late (the call still
counts); an unknown method or a wrong token -> 404, remembered in ``unexpected`` (tests assert
it stays empty).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serve import serve_app

__all__ = ["BOT_USERNAME", "TOKEN", "Call", "FakeTelegram", "serve_fake_telegram"]

TOKEN = "123456:TEST-token_for-fake"
BOT_USERNAME = "khomun_test_bot"
BOT_ID = 123456


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.perf_counter)


def _decode(value: str) -> Any:
    if value[:1] in "{[" or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.unexpected: list[str] = []
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._hangs: dict[str, float] = {}
        self._ids = itertools.count(1000)
        #: called (in the server thread) with each successful call: the benchmark's stopwatch
        self.listeners: list[Callable[[Call], None]] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.app = Starlette(routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST"])])

    # -- test controls ------------------------------------------------------------------------
    def fail(self, method: str, status: int = 500, times: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def hang(self, method: str, seconds: float) -> None:
        """Answer every call to ``method`` only after ``seconds`` (the call still takes effect)."""
        with self._lock:
            self._hangs[method] = seconds

    def of(self, method: str, status: int | None = 200) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (status is None or c.status == status)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [c for c in self.calls if c.method == method and c.status == 200]
                if len(got) >= count or time.monotonic() > deadline:
                    return got
                self._changed.wait(0.05)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.unexpected.clear()
            self._failures.clear()
            self._hangs.clear()

    # -- the API ------------------------------------------------------------------------------
    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return {k: _decode(v) for k, v in request.query_params.items()}
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            raw = await request.body()
            return json.loads(raw) if raw else {}
        form = await request.form()
        return {k: _decode(v) for k, v in form.items() if isinstance(v, str)}

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        prefix = f"/bot{self.token}/"
        params = await self._params(request)
        method = path[len(prefix) :] if path.startswith(prefix) else ""
        call = Call(method or path, params, {k.lower(): v for k, v in request.headers.items()})
        with self._changed:
            self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None) if method else None
        if handler is None:
            with self._changed:
                call.status = 404
                self.unexpected.append(f"{request.method} {method or '<bad token or path>'}")
                self._changed.notify_all()
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        with self._lock:
            plan = self._failures.get(method)
            injected = plan.pop(0) if plan else None
            hang = self._hangs.get(method, 0.0)
        if hang:
            await asyncio.sleep(hang)
        if injected is not None:
            status, retry_after = injected
            with self._changed:
                call.status = status
                self._changed.notify_all()
            if status == 403:
                body = {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            elif status == 429:
                body = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
            else:
                body = {"ok": False, "error_code": status, "description": "Internal Server Error"}
            return JSONResponse(body, status)
        result = handler(params)
        with self._changed:
            call.status = 200
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)
        return JSONResponse({"ok": True, "result": result})

    def _m_getMe(self, p: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "ข้อมูล khomun",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p.get("chat_id", 0)) if str(p.get("chat_id", "0")).lstrip("-").isdigit() else 0
        return {
            "message_id": int(p.get("message_id") or next(self._ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "g"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "ข้อมูล khomun", "username": BOT_USERNAME},
            "text": str(p.get("text", "")),
        }

    def _m_sendMessage(self, p: dict[str, Any]) -> Any:
        return self._message(p)

    def _m_editMessageText(self, p: dict[str, Any]) -> Any:
        return self._message(p) if "chat_id" in p else True

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        return True

    def _m_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        return True

    def _m_setMyCommands(self, p: dict[str, Any]) -> Any:
        return True

    def _m_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        return True

    def _m_setWebhook(self, p: dict[str, Any]) -> Any:
        return True

    def _m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        return True

    def _m_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}


@contextmanager
def serve_fake_telegram(token: str = TOKEN) -> Iterator[tuple[str, FakeTelegram]]:
    fake = FakeTelegram(token)
    with serve_app(fake.app) as url:
        yield url, fake
