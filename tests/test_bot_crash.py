"""kill -9 with replies pending: after a restart every acknowledged message is answered exactly once.

The real ``khomun serve`` runs in its own process against the fake LINE and Telegram APIs. Both
fakes hold every reply (the API "hangs"), so when the server is killed every acknowledged message
is still unanswered; held requests never reach the fake, as when a crash cuts a request before it
is sent. After a restart on the same data directory, each message must be answered once, and the
platforms' redeliveries of the same events must not be answered again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fakes.line_api import PUSH, REPLY, FakeLine
from tests.fakes.serve import serve_app
from tests.fakes.telegram_api import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SECRET = "crash-channel-secret"
TG_SECRET = "crash_secret"
QUERIES = ("ทะเบียนวัด นครราชสีมา", "ค่าแรงขั้นต่ำ", "สวัสดี", "bike lanes in Bangkok")


class Gate:
    """Holds requests to some paths while ``hold`` is set; a held request never reaches the API
    (it is answered 503 once released, to a client that is long gone)."""

    def __init__(self, app: ASGIApp, held_paths: tuple[str, ...]) -> None:
        self.app = app
        self.held_paths = held_paths
        self.hold = True
        self.held = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.hold and scope["path"].endswith(self.held_paths):
            self.held += 1
            while self.hold:
                await asyncio.sleep(0.02)
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


@contextmanager
def khomun_serve(data_dir: Path, line_url: str, tg_url: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "KHOMUN_DATA_DIR": str(data_dir),
        "KHOMUN_SECRET_KEY": "crash-secret-key-0123456789abcdef",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "crash-token",
        "LINE_API_BASE_URL": line_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_BASE_URL": tg_url,
        "KHOMUN_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, cwd=data_dir, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "khomun serve exited during startup"
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "khomun serve did not start"
            time.sleep(0.05)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def line_body(i: int) -> tuple[str, bytes, dict[str, str]]:
    token = uuid.uuid4().hex
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{i:032x}"},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": token,
        "message": {"id": str(i), "type": "text", "text": QUERIES[i % len(QUERIES)], "quoteToken": "q"},
    }
    body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()
    sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return token, body, {"x-line-signature": sig, "content-type": "application/json"}


def telegram_body(i: int) -> tuple[int, bytes, dict[str, str]]:
    chat = 50_000_000 + i
    update = {
        "update_id": 900_000 + i,
        "message": {
            "message_id": i + 1,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "c"},
            "from": {"id": chat, "is_bot": False, "first_name": "c"},
            "text": QUERIES[i % len(QUERIES)],
        },
    }
    headers = {"x-telegram-bot-api-secret-token": TG_SECRET, "content-type": "application/json"}
    return chat, json.dumps(update, ensure_ascii=False).encode(), headers


def wait_until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
def test_kill_9_with_replies_pending_then_each_acknowledged_message_is_answered_once(
    index_path: Path, tmp_path: Path
) -> None:
    n = 8
    line_api, tg_api = FakeLine(), FakeTelegram()
    line_gate = Gate(line_api.app, (REPLY, PUSH))
    tg_gate = Gate(tg_api.app, ("/sendMessage",))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(index_path, data_dir / "index.sqlite")
    line_msgs = [line_body(i) for i in range(n)]
    tg_msgs = [telegram_body(i) for i in range(n)]

    def deliver_all(base: str) -> list[int]:
        with httpx.Client(base_url=base, timeout=10) as client:
            return [
                client.post("/webhooks/line", content=b, headers=h).status_code for _, b, h in line_msgs
            ] + [client.post("/webhooks/telegram", content=b, headers=h).status_code for _, b, h in tg_msgs]

    with serve_app(line_gate) as line_url, serve_app(tg_gate) as tg_url:
        with khomun_serve(data_dir, line_url, tg_url) as (proc, base):
            assert deliver_all(base) == [200] * (2 * n)  # acknowledged
            assert wait_until(lambda: line_gate.held >= n and tg_gate.held >= n, 20), "replies never sent"
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        line_gate.hold = tg_gate.hold = False
        assert line_api.calls(REPLY, None) == [] and line_api.calls(PUSH, None) == []
        assert tg_api.of("sendMessage", None) == []

        with khomun_serve(data_dir, line_url, tg_url) as (_, base):

            def line_answered() -> set[str]:
                return {str(r.body.get("replyToken")) for r in line_api.replies()}

            def tg_answered() -> set[str]:
                return {str(c.params.get("chat_id")) for c in tg_api.of("sendMessage")}

            assert wait_until(lambda: len(line_answered()) >= n and len(tg_answered()) >= n, 30), (
                f"answered after the restart: LINE {len(line_answered())}/{n}, "
                f"Telegram {len(tg_answered())}/{n}"
            )
            # the platforms redeliver what they sent before the crash: answered already
            assert deliver_all(base) == [200] * (2 * n)
            time.sleep(1.5)

    replies = [str(r.body["replyToken"]) for r in line_api.replies()]
    assert sorted(replies) == sorted(token for token, _, _ in line_msgs)  # each exactly once
    assert line_api.calls(PUSH, None) == []
    sent = [(str(c.params["chat_id"]), c.params["text"]) for c in tg_api.of("sendMessage")]
    assert {chat for chat, _ in sent} == {str(chat) for chat, _, _ in tg_msgs}
    assert len(sent) == len(set(sent)), "a Telegram reply was sent twice"
    assert line_api.unexpected == [] and tg_api.unexpected == []
