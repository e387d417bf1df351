"""Soak: a bounded chaos run on loopback. `khomun serve --workers 2` takes mixed LINE, Telegram and
web chat load from 50 clients plus a stream of malformed bodies, while the fake LINE and Telegram
APIs fail (500, 429 with Retry-After), hang past the app's timeouts and reset connections, and the
server is killed with SIGKILL midway and restarted on the same data directory.

Each LINE and Telegram message is unique (its own user and chat), so the fake APIs' records say
which message each reply answers. A client re-posts a webhook that was not answered 200, as the
platforms redeliver, and re-posts some acknowledged ones too (redeliveries must not be answered
again). After the load, it waits (bounded) for the replies still due, then reports: messages
acknowledged, answered exactly once, lost, duplicates, journaled, 5xx answers, tracebacks in the
server log, and the reply delay. Exits 1 when a target is missed: no acknowledged message lost, no
duplicate, every acknowledged message with its journal row (written with the inbox's "answered"),
no 5xx other than a deliberate 503 (inbox full, or not ready: the platform redelivers), no
traceback. Everything runs on 127.0.0.1 and stops by itself (about 100 s).

    python bench/soak.py [--seconds 45] [--kill-at 18] [--seed 1] [--no-resets] [--no-fuzz] [--keep]
"""

from __future__ import annotations

import os

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import aiohttp  # noqa: E402
import uvloop  # noqa: E402
from webhook_load import _percentile, queries, serve_in_loop  # noqa: E402

from state import SecretKey  # noqa: E402
from tests.fakes.line_api import PUSH, REPLY, FakeLine, Recorded  # noqa: E402
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegram  # noqa: E402

SECRET = "soak-channel-secret"
TG_SECRET = "soak_secret"
KEY = "soak-secret-key-0123456789abcdef"
CONCURRENCY = 50
MAX_SECONDS = 90
SETTLE_SECONDS = 35.0  # at most, after the load, for replies still due
REPLY_WAIT = 3.0  # a client waits this long for its reply before its next message
HANG_SECONDS = 11.0  # past LINE's 10 s and Telegram's 5 s read timeouts
#: per response (reset after the API processed it, or hang) and per request (reset before)
P_RESET_AFTER, P_RESET_BEFORE, P_HANG = 0.002, 0.002, 0.001


_CHAT_ID = re.compile(rb'"chat_id":\s*"?(-?\d+)')


# -- faults between the app and the fake APIs -------------------------------------------------------
class ChaosProxy:
    """A TCP proxy in front of a fake API that now and then resets a connection before the request
    reaches the API or after it was processed (the answer is lost), or holds an answer."""

    def __init__(self, upstream_port: int, rng: random.Random) -> None:
        self.upstream_port = upstream_port
        self.rng = rng
        self.enabled = False
        self.faults: Counter[str] = Counter()
        #: Telegram chats whose sendMessage was reset before it reached the API (never resent: the
        #: app cannot tell it from a reset after the API processed it)
        self.cut_before: set[str] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    def _roll(self, p: float) -> bool:
        return self.enabled and self.rng.random() < p

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # SO_LINGER 0: close with RST, not FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return

        async def requests() -> None:
            while chunk := await reader.read(65536):
                if self._roll(P_RESET_BEFORE):
                    self.faults["reset before the API"] += 1
                    if m := _CHAT_ID.search(chunk):  # a sendMessage (headers and body may part)
                        self.cut_before.add(m.group(1).decode())
                    self._reset(writer)
                    up_writer.transport.abort()
                    return
                up_writer.write(chunk)
                await up_writer.drain()
            up_writer.close()

        async def responses() -> None:
            while chunk := await up_reader.read(65536):
                if self._roll(P_RESET_AFTER):
                    self.faults["reset after the API"] += 1
                    self._reset(writer)
                    up_writer.transport.abort()
                    return
                if self._roll(P_HANG):
                    self.faults[f"hang {HANG_SECONDS:.0f} s"] += 1
                    await asyncio.sleep(HANG_SECONDS)
                writer.write(chunk)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(requests(), responses())
        except (OSError, asyncio.IncompleteReadError):
            writer.transport.abort()
            up_writer.transport.abort()


async def inject_errors(line: FakeLine, tg: FakeTelegram, rng: random.Random, until: float) -> Counter[str]:
    """500s and 429s with Retry-After from the fake APIs, a few a second."""
    injected: Counter[str] = Counter()
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(0.1, 0.5))
        kind = rng.choice(("line 500", "line 429", "telegram 500", "telegram 429"))
        injected[kind] += 1
        if kind == "line 500":
            line.fail(rng.choice((REPLY, PUSH)), 500)
        elif kind == "line 429":
            line.fail(REPLY, 429, retry_after="1")
        elif kind == "telegram 500":
            tg.fail("sendMessage", 500)
        else:
            tg.fail("sendMessage", 429, retry_after=1)
    return injected


# -- the server under test --------------------------------------------------------------------------
class Server:
    """`khomun serve --workers 2` in its own process group (so SIGKILL takes the workers too)."""

    def __init__(self, data_dir: Path, line_url: str, tg_url: str, log: Path, workers: int) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KHOMUN_DATA_DIR": str(data_dir),
            "KHOMUN_SECRET_KEY": KEY,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": "soak-token",
            "LINE_API_BASE_URL": line_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
            "TELEGRAM_API_BASE_URL": tg_url,
            "KHOMUN_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
        self.log = log
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> float:
        started = time.monotonic()
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*command, "--workers", str(self.workers)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        async with aiohttp.ClientSession() as client:
            while time.monotonic() - started < 120:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"khomun serve exited during startup; see {self.log}")
                try:
                    async with client.get(self.base + "/healthz") as r:
                        if r.status == 200:
                            return time.monotonic() - started
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("khomun serve did not start")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# -- the load ---------------------------------------------------------------------------------------
@dataclass
class Sent:
    platform: str
    key: str  # LINE: the user id (push "to"); Telegram: the chat id
    token: str = ""  # LINE reply token
    first_post: float = 0.0
    acked: bool = False
    answers: list[float] = field(default_factory=list)  # when each delivery reached the API
    texts: list[str] = field(default_factory=list)


@dataclass
class Tally:
    sent: dict[str, Sent] = field(default_factory=dict)
    by_token: dict[str, Sent] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    fuzz: Counter[tuple[str, int]] = field(default_factory=Counter)
    redelivered: int = 0
    unreachable: int = 0
    web_ok: int = 0


def line_body(i: int, text: str, run: str) -> tuple[Sent, bytes, dict[str, str]]:
    user = f"U{run}{i:024x}"
    token = uuid.uuid4().hex
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": token,
        "message": {"id": str(i), "type": "text", "text": text, "quoteToken": "q"},
    }
    body = json.dumps({"destination": "Usoak", "events": [event]}, ensure_ascii=False).encode()
    return Sent("line", user, token), body, line_headers(body)


def line_headers(body: bytes) -> dict[str, str]:
    sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"x-line-signature": sig, "content-type": "application/json"}


TG_HEADERS = {"x-telegram-bot-api-secret-token": TG_SECRET, "content-type": "application/json"}


def telegram_body(i: int, text: str, first_id: int) -> tuple[Sent, bytes, dict[str, str]]:
    chat = 200_000_000 + first_id + i
    update = {
        "update_id": first_id + i,
        "message": {
            "message_id": i + 1,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "s"},
            "from": {"id": chat, "is_bot": False, "first_name": "s"},
            "text": text,
        },
    }
    return Sent("telegram", str(chat)), json.dumps(update, ensure_ascii=False).encode(), TG_HEADERS


def fuzz_cases() -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(name, path, body, headers): malformed bodies for the three endpoints; LINE ones are signed
    and Telegram ones carry the secret, so they get past the gate to the parsers."""
    deep = b"[" * 50_000 + b"]" * 50_000
    web = {"content-type": "application/json"}
    line_event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1,
        "source": {"type": "user", "userId": "Ufuzz"},
        "webhookEventId": "01FUZZ",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "fuzz",
        "message": {"id": "1", "type": "text", "text": "x", "quoteToken": "q"},
    }

    def line(name: str, body: bytes) -> tuple[str, str, bytes, dict[str, str]]:
        return (f"line {name}", "/webhooks/line", body, line_headers(body))

    def line_events(**change: Any) -> bytes:
        e = {**line_event, "webhookEventId": uuid.uuid4().hex[:26], **change}
        return json.dumps({"destination": "U", "events": [e]}).encode()

    def tg(name: str, body: bytes) -> tuple[str, str, bytes, dict[str, str]]:
        return (f"telegram {name}", "/webhooks/telegram", body, TG_HEADERS)

    def update(uid: str, **message: Any) -> bytes:
        m = {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "x", **message}
        return f'{{"update_id": {uid}, "message": {json.dumps(m)}}}'.encode()

    n = random.randint(10**8, 10**9)
    return [
        ("web not json", "/api/chat", b"{nope", web),
        ("web deep nesting", "/api/chat", deep, web),
        ("web surrogate", "/api/chat", b'{"text":"\\ud800","session":"abcdefgh12"}', web),
        ("web text number", "/api/chat", b'{"text":5,"session":"abcdefgh12"}', web),
        ("web array", "/api/chat", b"[1,2]", web),
        line("not json", b"{nope"),
        line("deep nesting", deep),
        line("events not a list", b'{"events": 5}'),
        line("event missing fields", b'{"events": [{"type": "message"}]}'),
        line("surrogate event id", line_events(webhookEventId="\ud800")),
        line("surrogate text", line_events(message={**line_event["message"], "text": "\ud800"})),
        line("unknown event", line_events(type="nonsense")),
        tg("not json", b"{nope"),
        tg("deep nesting", deep),
        tg("update_id Infinity", update("Infinity")),
        tg("update_id NaN", update("NaN")),
        tg("update_id 1e999", update("1e999")),
        tg("date 1e400", update(str(n)).replace(b'"date": 1,', b'"date": 1e400,')),
        tg("entities a string", update(str(n + 1), entities="x")),
        tg("text above 2^63", update(str(n + 2)).replace(b'"text": "x"', b'"text": 18446744073709551616')),
        tg("surrogate text", update(str(n + 3), text="\ud800")),
        tg("update_id string", update('"abc"')),
    ]


async def post(
    client: aiohttp.ClientSession, base: str, path: str, body: bytes, headers: dict[str, str]
) -> int:
    """The status, or 0 when the server could not be reached."""
    try:
        async with client.post(base + path, data=body, headers=headers) as r:
            await r.read()
            return r.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def run(args: argparse.Namespace, data_dir: Path) -> int:
    rng = random.Random(args.seed)
    qs = queries("short") + queries("dev")[:40]
    run_id = uuid.uuid4().hex[:8]
    first_tg = int(time.time() * 1000) % 10**9
    tally = Tally()
    line_api, tg_api = FakeLine(), FakeTelegram()

    def on_line(rec: Recorded) -> None:
        if rec.status != 200 or rec.path not in (REPLY, PUSH):
            return
        body = rec.body if isinstance(rec.body, dict) else {}
        s = (
            tally.by_token.get(str(body.get("replyToken")))
            if rec.path == REPLY
            else tally.sent.get(str(body.get("to")))
        )
        if s is not None:
            s.answers.append(rec.at)

    def on_tg(call: Call) -> None:
        if call.method == "sendMessage" and call.status == 200:
            s = tally.sent.get(str(call.params.get("chat_id")))
            if s is not None:
                s.answers.append(call.at)
                s.texts.append(str(call.params.get("text")))

    line_api.listeners.append(on_line)
    tg_api.listeners.append(on_tg)
    async with serve_in_loop(line_api.app) as line_raw, serve_in_loop(tg_api.app) as tg_raw:
        line_proxy = ChaosProxy(int(line_raw.rsplit(":", 1)[1]), rng)
        tg_proxy = ChaosProxy(int(tg_raw.rsplit(":", 1)[1]), rng)
        line_url, tg_url = await line_proxy.start(), await tg_proxy.start()
        log = data_dir / "server.log"
        server = Server(data_dir, line_url, tg_url, log, args.workers)
        print("starting khomun serve (building the index)...", flush=True)
        boot = await server.start()
        print(
            f"up in {boot:.1f} s; load for {args.seconds:.0f} s, kill -9 at +{args.kill_at:.0f} s", flush=True
        )
        line_proxy.enabled = tg_proxy.enabled = not args.no_resets
        started = time.monotonic()
        load_until = started + args.seconds
        counter = iter(range(10**9))
        restart: dict[str, float] = {}

        async def deliver(
            client: aiohttp.ClientSession, s: Sent | None, path: str, body: bytes, headers: dict[str, str]
        ) -> int:
            """Post until answered 200, as a platform redelivers (bounded)."""
            give_up = load_until + 15
            status = 0
            while time.monotonic() < give_up:
                status = await post(client, server.base, path, body, headers)
                tally.statuses[(path, status)] += 1
                if status == 0:
                    tally.unreachable += 1
                if status == 200:
                    if s is not None:
                        s.acked = True
                    return status
                if status in (400, 403, 413):
                    return status
                await asyncio.sleep(rng.uniform(0.3, 0.8))
            return status

        async def client_loop(client: aiohttp.ClientSession) -> None:
            while time.monotonic() < load_until:
                i = next(counter)
                kind = rng.random()
                text = qs[i % len(qs)]
                if kind < 0.2:  # web chat: the answer is the response
                    body = json.dumps(
                        {"text": text, "session": f"soak{run_id}{i}"}, ensure_ascii=False
                    ).encode()
                    status = await post(
                        client, server.base, "/api/chat", body, {"content-type": "application/json"}
                    )
                    tally.statuses[("/api/chat", status)] += 1
                    tally.web_ok += status == 200
                    if status == 0:
                        await asyncio.sleep(0.5)
                    continue
                if kind < 0.6:
                    s, body, headers = line_body(i, text, run_id)
                    path = "/webhooks/line"
                    tally.by_token[s.token] = s
                else:
                    s, body, headers = telegram_body(i, text, first_tg)
                    path = "/webhooks/telegram"
                tally.sent[s.key] = s
                s.first_post = time.perf_counter()
                if await deliver(client, s, path, body, headers) != 200:
                    continue
                wait_until = time.monotonic() + REPLY_WAIT
                while not s.answers and time.monotonic() < wait_until:
                    await asyncio.sleep(0.02)
                if rng.random() < 0.05:  # the platform redelivers an acknowledged event
                    tally.redelivered += 1
                    await deliver(client, None, path, body, headers)

        async def fuzz_loop(client: aiohttp.ClientSession) -> None:
            while time.monotonic() < load_until and not args.no_fuzz:
                for name, path, body, headers in fuzz_cases():
                    status = await post(client, server.base, path, body, headers)
                    if status:
                        tally.fuzz[(name, status)] += 1
                    await asyncio.sleep(0.02)

        async def chaos() -> None:
            await asyncio.sleep(args.kill_at)
            server.kill()
            killed = time.monotonic()
            restart["at"] = killed - started
            restart["killed_at"] = time.perf_counter()  # the fake APIs' clock
            restart["pending"] = _pending(data_dir)
            print(
                f"+{killed - started:.1f} s: kill -9 ({restart['pending']} events pending in the inbox)",
                flush=True,
            )
            restart["boot"] = await server.start()
            restart["up_at"] = time.perf_counter()
            print(f"+{time.monotonic() - started:.1f} s: restarted in {restart['boot']:.1f} s", flush=True)

        timeout = aiohttp.ClientTimeout(total=15)
        connector = aiohttp.TCPConnector(limit=CONCURRENCY + 2, force_close=True)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
                injected_task = asyncio.create_task(inject_errors(line_api, tg_api, rng, load_until))
                await asyncio.gather(
                    *(client_loop(client) for _ in range(CONCURRENCY)), fuzz_loop(client), chaos()
                )
                injected = await injected_task
            line_proxy.enabled = tg_proxy.enabled = False
            settle_until = time.monotonic() + SETTLE_SECONDS
            while time.monotonic() < settle_until:
                if all(s.answers for s in tally.sent.values() if s.acked):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.5)  # a late duplicate would show now
            server.stop()
        finally:
            server.stop()
            await line_proxy.stop()
            await tg_proxy.stop()
    faults = line_proxy.faults + tg_proxy.faults
    return report(args, tally, data_dir, log, restart, injected, faults, tg_proxy.cut_before, started)


def _pending(data_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir / 'state.sqlite'}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM inbox").fetchone()[0])
    except sqlite3.Error:
        return -1


def journal_counts(data_dir: Path, sent: list[Sent]) -> Counter[str]:
    """Journal rows per message (by the keyed hash of its user id, as bot.journal stores it)."""
    key = SecretKey(KEY)
    wanted = {key.hash_id("journal", s.platform, s.key): s.key for s in sent}
    rows: Counter[str] = Counter()
    with sqlite3.connect(f"file:{data_dir / 'state.sqlite'}?mode=ro", uri=True, timeout=10) as db:
        for (user_hash,) in db.execute(
            "SELECT user_hash FROM journal WHERE platform IN ('line', 'telegram')"
        ):
            if user_hash in wanted:
                rows[wanted[user_hash]] += 1
    return rows


def report(
    args: argparse.Namespace,
    tally: Tally,
    data_dir: Path,
    log: Path,
    restart: dict[str, float],
    injected: Counter[str],
    faults: Counter[str],
    cut_before: set[str],
    started: float,
) -> int:
    acked = [s for s in tally.sent.values() if s.acked]
    lost = [s for s in acked if not s.answers]
    dup = [
        s for s in acked if len(s.answers) > 1 and (s.platform == "line" or len(set(s.texts)) < len(s.texts))
    ]
    once = len(acked) - len(lost) - len(dup)
    journal = journal_counts(data_dir, acked)
    delays = sorted(min(s.answers) - s.first_post for s in acked if s.answers)
    # messages sent while the server was down or pending in it at the kill wait for the restart
    down = (restart.get("killed_at", 0.0) - REPLY_WAIT, restart.get("up_at", 0.0))
    calm = sorted(
        min(s.answers) - s.first_post for s in acked if s.answers and not down[0] <= s.first_post <= down[1]
    )
    text = log.read_text(encoding="utf-8", errors="replace")
    tracebacks = text.count("Traceback (most recent call last)")
    errors_5xx = {k: v for k, v in tally.statuses.items() if k[1] >= 500 and k[1] != 503}
    busy = sum(v for k, v in tally.statuses.items() if k[1] == 503)
    fuzz_5xx = {k: v for k, v in tally.fuzz.items() if k[1] >= 500}
    per = Counter(s.platform for s in acked)
    kinds = {p: (sum(s.platform == p for s in lost), sum(s.platform == p for s in dup)) for p in per}
    line_lost, line_dup = kinds.get("line", (0, 0))
    tg_lost, tg_dup = kinds.get("telegram", (0, 0))
    n_5xx = sum(errors_5xx.values()) + sum(fuzz_5xx.values())
    # what the app cannot tell apart: a send reset before the API (not resent, as a reset after it
    # would be a duplicate), and a reply in flight at the kill (sent, not yet marked answered)
    cut = sum(s.platform == "telegram" and s.key in cut_before for s in lost)
    up_at = restart.get("up_at", 0.0)  # answered by the dead process, then again after the restart
    at_kill = sum(min(s.answers) < up_at < max(s.answers) for s in dup)

    def row(label: str, value: int, note: str = "") -> None:
        print(f"{label:<23}{value:>7}   {note}")

    print()
    print(
        f"soak: {args.seconds:.0f} s of load, {CONCURRENCY} clients, "
        f"--workers {args.workers}, seed {args.seed}"
    )
    print(
        f"kill -9 at +{restart.get('at', 0):.1f} s with {restart.get('pending', 0):.0f} events in the inbox; "
        f"restart took {restart.get('boot', 0):.1f} s"
    )
    print(f"faults: {dict(sorted((injected + faults).items()))}")
    row(
        "acknowledged",
        len(acked),
        f"LINE {per['line']}, Telegram {per['telegram']}; web chat answered {tally.web_ok}",
    )
    row("answered exactly once", once)
    row(
        "lost (never answered)",
        len(lost),
        f"LINE {line_lost}, Telegram {tg_lost} ({cut} sendMessage reset before reaching the API)",
    )
    row(
        "duplicates",
        len(dup),
        f"LINE {line_dup}, Telegram {tg_dup} ({at_kill} before the kill and again after the restart)",
    )
    unjournaled = [s for s in acked if not journal.get(s.key)]
    several = sum(v > 1 for v in journal.values())
    row(
        "journaled",
        len(journal),
        f"{len(unjournaled)} acknowledged without a row, {several} with more than one",
    )
    row(
        "redeliveries sent",
        tally.redelivered,
        f"503 (inbox full / not ready) {busy}, unreachable {tally.unreachable}",
    )
    row("5xx (not 503)", n_5xx, f"load {errors_5xx or '{}'}; fuzz {fuzz_5xx or '{}'}")
    row("tracebacks in the log", tracebacks)
    if delays:
        p50, p99 = _percentile(delays, 0.5), _percentile(delays, 0.99)
        print(f"reply delay            p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {delays[-1] * 1000:.0f} ms")
    if calm:
        p50, p99 = _percentile(calm, 0.5), _percentile(calm, 0.99)
        print(
            f"  not sent around the kill ({len(calm)}): p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
            f"max {calm[-1] * 1000:.0f} ms"
        )
    base = restart.get("killed_at", 0.0) - restart.get("at", 0.0)  # the load's start, fake APIs' clock
    for s in dup[:10]:
        when = ", ".join(f"+{t - base:.1f}" for t in sorted(s.answers))
        print(
            f"  duplicate {s.platform}: posted +{s.first_post - base:.1f} s, answered at {when} s, "
            f"{journal.get(s.key, 0)} journal rows"
        )
    fuzz_by_case: dict[str, list[str]] = defaultdict(list)
    for (name, status), count in sorted(tally.fuzz.items()):
        fuzz_by_case[name].append(f"{status}x{count}")
    print("fuzz answers: " + "; ".join(f"{name} {' '.join(v)}" for name, v in fuzz_by_case.items()))
    misses = []
    if lost:
        misses.append(f"{len(lost)} acknowledged messages lost")
    if dup:
        misses.append(f"{len(dup)} duplicates")
    if unjournaled:
        misses.append(f"{len(unjournaled)} acknowledged messages without a journal row")
    if errors_5xx or fuzz_5xx:
        misses.append("5xx answers")
    if tracebacks:
        misses.append(f"{tracebacks} tracebacks")
    print("targets: " + ("all met" if not misses else "MISSED: " + ", ".join(misses)))
    return 1 if misses else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45.0, help=f"of load (at most {MAX_SECONDS})")
    parser.add_argument("--kill-at", type=float, default=18.0, help="seconds into the load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and server log")
    parser.add_argument("--no-fuzz", action="store_true", help="no malformed bodies")
    parser.add_argument(
        "--no-resets", action="store_true", help="no connection resets or hangs (API 500s and 429s only)"
    )
    args = parser.parse_args(argv)
    args.seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    args.kill_at = max(1.0, min(args.kill_at, args.seconds - 2))
    tmp = tempfile.mkdtemp(prefix="khomun-soak-")
    code = uvloop.run(run(args, Path(tmp)))
    if args.keep or code:
        print(f"data dir and server log kept in {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
