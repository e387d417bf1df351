"""bot.telegram.request.AiohttpRequest: PTB's networking on aiohttp, against a small local server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from telegram import Bot, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.telegram.request import AiohttpRequest, MaybeDelivered
from tests.chaos_proxy import ResettingProxy
from tests.fakes.serve import serve_app

TOKEN = "123:abc"
seen: list[dict[str, Any]] = []


async def api(request: Request) -> Response:
    method = request.path_params["method"]
    raw = await request.body()
    form = json.loads(raw) if raw else {}
    seen.append({"method": method, "agent": request.headers.get("user-agent", ""), **form})
    assert request.headers["content-type"] == "application/json"
    if method == "slow":
        await asyncio.sleep(1.0)
    if method == "busy":
        retry = {"retry_after": 3}
        return JSONResponse({"ok": False, "error_code": 429, "description": "busy", "parameters": retry}, 429)
    if method == "loop":
        return RedirectResponse(str(request.url), 307)  # keeps the POST
    if method == "broken":
        return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
    return JSONResponse({"ok": True, "result": {"echo": form}})


@pytest.fixture(scope="module")
def server() -> Any:
    with serve_app(Starlette(routes=[Route("/bot{token}/{method}", api, methods=["POST"])])) as url:
        yield url


@pytest_asyncio.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    req = AiohttpRequest(read_timeout=0.3)
    await req.initialize()
    seen.clear()
    yield req
    await req.shutdown()


async def test_posts_one_json_body(server: str, request_: AiohttpRequest) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=request_)
    markup = {"inline_keyboard": [[{"text": "ดู", "callback_data": "d:1"}]]}
    result = await bot._post(
        "sendMessage", {"chat_id": 42, "text": "สวัสดีค่ะ"}, api_kwargs={"reply_markup": markup}
    )
    assert result == {"echo": {"chat_id": 42, "text": "สวัสดีค่ะ", "reply_markup": markup}}
    assert seen[-1]["agent"].startswith("python-telegram-bot")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # retry_after as int
async def test_status_codes_become_telegram_errors(server: str, request_: AiohttpRequest) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=request_)
    with pytest.raises(RetryAfter):
        await bot._post("busy")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot._post("broken")


async def test_timeouts_and_refused_connections(server: str, request_: AiohttpRequest) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=request_)
    with pytest.raises(TimedOut):
        await bot._post("slow")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    refused = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request_)
    with pytest.raises(NetworkError) as caught:
        await refused._post("getMe")
    assert not isinstance(caught.value, TimedOut)


async def test_uploads_are_refused_not_half_sent(server: str, request_: AiohttpRequest) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=request_)
    with pytest.raises(NetworkError, match="does not upload files"):
        document = InputFile(b"a,b\n1,2\n", filename="x.csv")
        await bot._post("sendDocument", {"chat_id": 1, "document": document})
    assert seen == []


async def test_not_initialized_is_a_clear_error(server: str) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError, match="not initialized"):
        await bot._post("getMe")


async def test_errors_never_carry_the_bot_token(server: str, request_: AiohttpRequest) -> None:
    bot = Bot(TOKEN, base_url=f"{server}/bot", request=request_)
    with pytest.raises(NetworkError) as caught:
        await bot._post("loop")  # aiohttp's TooManyRedirects quotes the URL
    assert "Redirect" in str(caught.value) and TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None  # nor the original exception, which holds the URL


async def test_a_reset_once_connected_may_have_been_delivered(server: str, request_: AiohttpRequest) -> None:
    """A connection reset after the API processed the request: as ambiguous as a read timeout."""
    proxy = ResettingProxy(server)
    bot = Bot(TOKEN, base_url=f"{await proxy.start()}/bot", request=request_)
    try:
        proxy.reset_after = 1
        with pytest.raises(MaybeDelivered):
            await bot._post("sendMessage", {"chat_id": 1, "text": "x"})
        assert [s["method"] for s in seen] == ["sendMessage"]  # it did arrive
        proxy.reset_before = 1
        with pytest.raises(MaybeDelivered):  # the client cannot tell this one from the first
            await bot._post("sendMessage", {"chat_id": 1, "text": "y"})
        assert await bot._post("getMe") == {"echo": {}}
    finally:
        await proxy.stop()
