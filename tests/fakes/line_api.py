"""A small fake LINE Messaging API on uvicorn (127.0.0.1, port 0; ``tests.fakes.serve``).

``FakeLine`` answers /v2/bot/message/reply, /v2/bot/message/push and /v2/bot/chat/loading/start
like the real API (reply tokens are single use; a reused or "expired*" token gets 400 "Invalid
reply token"; a push retried with an accepted ``X-Line-Retry-Key`` gets 409), records every request
with the time it arrived, can be told to fail the next calls to a path (500, 429 + Retry-After) or
to hang the calls for some chats (``hang(keys, seconds)``: a reply token, a push's "to" or a
loading animation's chatId in ``keys``), and answers any other path 404 and remembers it in
``unexpected`` (tests assert it stays empty).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.serve import serve_app

__all__ = [
    "CONSUMPTION",
    "LOADING",
    "MULTICAST",
    "PUSH",
    "QUOTA",
    "REPLY",
    "FakeLine",
    "Recorded",
    "serve_fake_line",
]

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
LOADING = "/v2/bot/chat/loading/start"
MULTICAST = "/v2/bot/message/multicast"
QUOTA = "/v2/bot/message/quota"
CONSUMPTION = "/v2/bot/message/quota/consumption"


@dataclass(slots=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 200
    at: float = field(default_factory=time.perf_counter)


class FakeLine:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.unexpected: list[str] = []
        self._failures: dict[str, list[tuple[int, str | None]]] = {}
        self._used_tokens: set[str] = set()
        self._retry_keys: set[str] = set()
        self._hangs: dict[str, float] = {}
        #: called (in the server thread) with each answered request: the benchmark's stopwatch
        self.listeners: list[Callable[[Recorded], None]] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        #: the account's monthly message quota (None: unlimited) and what was pushed so far
        self.quota: int | None = None
        self.usage = 0
        self.app = Starlette(
            routes=[
                Route(REPLY, self._reply, methods=["POST"]),
                Route(PUSH, self._push, methods=["POST"]),
                Route(MULTICAST, self._multicast, methods=["POST"]),
                Route(QUOTA, self._quota, methods=["GET"]),
                Route(CONSUMPTION, self._consumption, methods=["GET"]),
                Route(LOADING, self._loading, methods=["POST"]),
                Route("/{path:path}", self._unexpected, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )

    # -- test controls ------------------------------------------------------------------------
    def fail(self, path: str, status: int = 500, times: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            self._failures.setdefault(path, []).extend([(status, retry_after)] * times)

    def hang(self, keys: Any, seconds: float) -> None:
        """Answer calls for these reply tokens / chat ids only after ``seconds``."""
        with self._lock:
            self._hangs.update(dict.fromkeys(keys, seconds))

    def calls(self, path: str, status: int | None = 200) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path and (status is None or r.status == status)]

    def replies(self) -> list[Recorded]:
        """Successful reply calls."""
        return self.calls(REPLY)

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                got = [r for r in self.requests if r.path == path and r.status == 200]
                if len(got) >= count or time.monotonic() > deadline:
                    return got
                self._changed.wait(0.05)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.unexpected.clear()
            self._failures.clear()
            self._hangs.clear()

    # -- the API ------------------------------------------------------------------------------
    async def _record(self, request: Request) -> Recorded:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        rec = Recorded(request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
        with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        fields = body if isinstance(body, dict) else {}
        with self._lock:
            hang = max(self._hangs.get(str(fields.get(k)), 0.0) for k in ("replyToken", "to", "chatId"))
        if hang:
            await asyncio.sleep(hang)
        return rec

    def _injected(self, rec: Recorded) -> Response | None:
        with self._lock:
            plan = self._failures.get(rec.path)
            if not plan:
                return None
            status, retry_after = plan.pop(0)
            rec.status = status
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return JSONResponse({"message": "injected failure"}, status, headers=headers)

    def _authorized(self, rec: Recorded) -> Response | None:
        if not rec.headers.get("authorization", "").startswith("Bearer "):
            rec.status = 401
            return JSONResponse({"message": "Authentication failed"}, 401)
        return None

    def _done(self, rec: Recorded, status: int, body: Any) -> Response:
        with self._changed:
            rec.status = status
            self._changed.notify_all()
        for listener in self.listeners:
            listener(rec)
        return JSONResponse(body, status)

    async def _reply(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec) or self._injected(rec)
        if refusal is not None:
            return refusal
        body = rec.body if isinstance(rec.body, dict) else {}
        token = str(body.get("replyToken", ""))
        messages = body.get("messages") or []
        if not (1 <= len(messages) <= 5):
            return self._done(rec, 400, {"message": "The request body has 1 error(s)"})
        with self._lock:
            invalid = not token or token.startswith("expired") or token in self._used_tokens
            self._used_tokens.add(token)
        if invalid:
            return self._done(rec, 400, {"message": "Invalid reply token"})
        return self._done(rec, 200, {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in messages]})

    async def _push(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec) or self._injected(rec)
        if refusal is not None:
            return refusal
        key = rec.headers.get("x-line-retry-key", "")
        with self._lock:
            duplicate = bool(key) and key in self._retry_keys
            if key:
                self._retry_keys.add(key)
        if duplicate:
            return self._done(rec, 409, {"message": "The retry key is already accepted"})
        messages = (rec.body or {}).get("messages") or []
        return self._done(rec, 200, {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in messages]})

    async def _multicast(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec) or self._injected(rec)
        if refusal is not None:
            return refusal
        key = rec.headers.get("x-line-retry-key", "")
        body = rec.body if isinstance(rec.body, dict) else {}
        to, messages = body.get("to") or [], body.get("messages") or []
        with self._lock:
            duplicate = bool(key) and key in self._retry_keys
            if key:
                self._retry_keys.add(key)
            over = self.quota is not None and self.usage + len(to) * len(messages) > self.quota
            if not duplicate and not over:
                self.usage += len(to) * len(messages)
        if duplicate:
            return self._done(rec, 409, {"message": "The retry key is already accepted"})
        if over:
            return self._done(rec, 429, {"message": "You have reached your monthly limit."})
        if not (1 <= len(to) <= 500) or not (1 <= len(messages) <= 5):
            return self._done(rec, 400, {"message": "The request body has 1 error(s)"})
        return self._done(rec, 200, {})

    async def _quota(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec)
        if refusal is not None:
            return refusal
        body = {"type": "none"} if self.quota is None else {"type": "limited", "value": self.quota}
        return self._done(rec, 200, body)

    async def _consumption(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec)
        if refusal is not None:
            return refusal
        return self._done(rec, 200, {"totalUsage": self.usage})

    async def _loading(self, request: Request) -> Response:
        rec = await self._record(request)
        refusal = self._authorized(rec) or self._injected(rec)
        if refusal is not None:
            return refusal
        return self._done(rec, 202, {})

    async def _unexpected(self, request: Request) -> Response:
        rec = await self._record(request)
        with self._lock:
            self.unexpected.append(f"{request.method} {rec.path}")
        return self._done(rec, 404, {"message": "Not found"})


@contextmanager
def serve_fake_line() -> Iterator[tuple[str, FakeLine]]:
    fake = FakeLine()
    with serve_app(fake.app) as url:
        yield url, fake
