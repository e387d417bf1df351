"""Webhook load: the real app (bot.app.create_app) on uvicorn in its own process, on loopback,
against the fake LINE and Telegram APIs served from this process.

For each platform, CONCURRENCY clients each post a webhook (a signed LINE text event, or a
Telegram message update with the secret header), wait until the fake API records the reply to that
very event, and go again, for SECONDS. Reported: sustained replies per second, p50/p99 latency from
posting the webhook to the fake API receiving the reply, and lost replies (none within 5 s).
With ``--backends sqlite,postgresql`` the same load runs once per state backend, one after the
other, on a fresh data dir each: SQLite (state.sqlite), then a throwaway PostgreSQL cluster
(tests/pg_cluster.py: Debian's binaries, a unix socket, fsync off like SQLite's synchronous=NORMAL
skips the flush per commit) or the server ``--database-url`` names; the table shows each backend's
rate beside SQLite's. ``--rounds N`` alternates the backends N times (the machine's speed drifts).
Everything runs on 127.0.0.1. Not a test: `python bench/webhook_load.py [--seconds 20]`.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import uvloop  # noqa: E402

from bot.settings import Settings  # noqa: E402
from tests.fakes.line_api import REPLY, FakeLine, Recorded  # noqa: E402
from tests.fakes.serve import loopback_server  # noqa: E402
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegram  # noqa: E402

SECRET = "bench-channel-secret"
TG_SECRET = "bench_secret"
MAX_SECONDS = 120
LOST_AFTER = 5.0


@dataclass
class Result:
    platform: str
    seconds: float
    sent: int
    latencies: list[float]
    lost: int
    errors: int
    app_cpu: float = 0.0  # CPU seconds the app process used during the run
    worker_cpu: tuple[float, ...] = ()  # ... per process, busiest first
    bench_cpu: float = 0.0  # ... and this process (load generator + fake APIs)

    def row(self) -> str:
        ok = len(self.latencies)
        lat = sorted(self.latencies)
        p50, p90, p99 = (_percentile(lat, p) for p in (0.5, 0.9, 0.99))
        return (
            f"{self.platform:<9} {self.sent:>7} {ok:>8} {ok / self.seconds:>9.1f} "
            f"{p50:>8.1f} {p90:>8.1f} {p99:>8.1f} {self.lost:>5} {self.errors:>6} "
            f"{self.app_cpu * 1000 / max(ok, 1):>10.1f} {self.app_cpu / self.seconds:>7.0%}"
            f" {self.bench_cpu / self.seconds:>9.0%}"
            f"  {'/'.join(f'{c / self.seconds:.0%}' for c in self.worker_cpu)}"
        )


def _percentile(ordered: list[float], p: float) -> float:
    """The p-th quantile of sorted seconds, in ms (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def queries(mix: str = "dev") -> list[str]:
    if mix == "hello":  # no search at all: what the transport alone costs
        return ["สวัสดีค่ะ"]
    if mix == "short":
        return ["ทะเบียนวัด นครราชสีมา", "รถจดทะเบียนสะสม มิ.ย. 2560", "bike lanes in Bangkok", "ค่าแรงขั้นต่ำ"]
    path = ROOT / "tests" / "data" / "dev-queries.jsonl"
    out = [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in out if q.strip()] or ["ทะเบียนวัด นครราชสีมา"]


def cpu_seconds(pid: int) -> float:
    """user + system CPU of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds of a process and each of its live children (the uvicorn workers), by pid."""
    out = {pid: cpu_seconds(pid)}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out[int(stat.parent.name)] = cpu_seconds(int(stat.parent.name))
    return out


@asynccontextmanager
async def serve_in_loop(app: Any) -> AsyncIterator[str]:
    """Serve a fake API with uvicorn in this very event loop: the load generator and the fakes
    share one thread, so the stopwatch never waits for another thread to hand over the GIL."""
    server, sock = loopback_server(app)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@asynccontextmanager
async def serve_subprocess(
    settings: Settings, data_dir: Path, workers: int = 1, database_url: str = ""
) -> AsyncIterator[tuple[str, int]]:
    """`khomun serve --workers N` in its own process, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHAINLP_OFFLINE": "1",
        "PYTHAINLP_READ_ONLY": "1",
        "KHOMUN_DATA_DIR": str(data_dir),
        "KHOMUN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "LINE_CHANNEL_SECRET": settings.line_channel_secret,
        "LINE_CHANNEL_ACCESS_TOKEN": settings.line_channel_access_token,
        "LINE_API_BASE_URL": settings.line_api_base_url,
        "TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
        "TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret,
        "TELEGRAM_API_BASE_URL": settings.telegram_api_base_url,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    env["KHOMUN_LOG_LEVEL"] = os.environ.get("BENCH_LOG", "WARNING")
    proc = subprocess.Popen([*command, "--workers", str(workers)], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the app exited during startup")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the app did not start") from None
                await asyncio.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def run_load(
    platform: str,
    base: str,
    seconds: float,
    concurrency: int,
    listeners: list[Any],
    key_of: Any,
    make_request: Any,
) -> Result:
    waiting: dict[str, asyncio.Future[float]] = {}

    def on_record(rec: Any) -> None:
        key = key_of(rec)
        fut = waiting.get(key) if key else None
        if fut is not None:
            fut.done() or fut.set_result(rec.at)  # same loop: the fakes are served in it

    listeners.append(on_record)
    latencies: list[float] = []
    lost = errors = sent = 0
    counter = itertools.count()
    deadline = time.perf_counter() + seconds

    async def worker(client: aiohttp.ClientSession) -> None:
        nonlocal lost, errors, sent
        while time.perf_counter() < deadline:
            i = next(counter)
            key, path, content, headers = make_request(i)
            fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[key] = fut
            started = time.perf_counter()
            sent += 1
            try:
                async with client.post(base + path, data=content, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                        continue
                at = await asyncio.wait_for(fut, LOST_AFTER)
                latencies.append(at - started)
            except TimeoutError:
                lost += 1
            except aiohttp.ClientError:
                errors += 1
            finally:
                waiting.pop(key, None)

    # aiohttp: a cheaper client than httpx, so the load generator takes less of the 2 cores
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    listeners.remove(on_record)
    return Result(platform, elapsed, sent, latencies, lost, errors)


def line_request(qs: list[str]) -> Any:
    def make(i: int) -> tuple[str, str, bytes, dict[str, str]]:
        token = uuid.uuid4().hex
        event = {
            "type": "message",
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": f"U{i % 500:032x}"},
            "webhookEventId": uuid.uuid4().hex.upper()[:26],
            "deliveryContext": {"isRedelivery": False},
            "replyToken": token,
            "message": {"id": str(i), "type": "text", "text": qs[i % len(qs)], "quoteToken": "q"},
        }
        body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
        sig = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        return token, "/webhooks/line", body, {"x-line-signature": sig, "content-type": "application/json"}

    return make


def line_key(rec: Recorded) -> str:
    return str((rec.body or {}).get("replyToken", "")) if rec.path == REPLY and rec.status == 200 else ""


def telegram_request(qs: list[str]) -> Any:
    first = int(time.time() * 1000) % 10**9  # update ids unique across runs on one data dir

    def make(i: int) -> tuple[str, str, bytes, dict[str, str]]:
        chat_id = 10_000_000 + i  # one chat per request: the reply's chat_id says which it answers
        update = {
            "update_id": first + i,
            "message": {
                "message_id": i + 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "b"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "b"},
                "text": qs[i % len(qs)],
            },
        }
        body = json.dumps(update, ensure_ascii=False).encode()
        headers = {"x-telegram-bot-api-secret-token": TG_SECRET, "content-type": "application/json"}
        return str(chat_id), "/webhooks/telegram", body, headers

    return make


def telegram_key(call: Call) -> str:
    return str(call.params.get("chat_id", "")) if call.method == "sendMessage" else ""


async def bench(
    args: argparse.Namespace, seconds: float, qs: list[str], data_dir: Path, database_url: str = ""
) -> tuple[list[Result], list[str]]:
    """Fake LINE and Telegram APIs in this loop, the app in its own process, then the load."""
    line_api, tg_api = FakeLine(), FakeTelegram()
    async with serve_in_loop(line_api.app) as line_url, serve_in_loop(tg_api.app) as tg_url:
        settings = replace(
            Settings(),
            data_dir=data_dir,
            line_channel_secret=SECRET,
            line_channel_access_token="bench-token",
            line_api_base_url=line_url,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=TG_SECRET,
            telegram_api_base_url=tg_url,
        )
        print("starting the app (building the index if missing)...", flush=True)
        async with serve_subprocess(settings, data_dir, args.workers, database_url) as (base, pid):
            print(f"app on {base} (pid {pid}); {args.concurrency} clients, {seconds:.0f} s per platform")
            results = []
            for name, listeners, key, make in (
                ("line", line_api.listeners, line_key, line_request(qs)),
                ("telegram", tg_api.listeners, telegram_key, telegram_request(qs)),
            ):
                if args.only and name != args.only:
                    continue
                cpu, own = tree_cpu_seconds(pid), cpu_seconds(os.getpid())
                result = await run_load(name, base, seconds, args.concurrency, listeners, key, make)
                after = tree_cpu_seconds(pid)
                spent = sorted((t - cpu.get(p, 0.0) for p, t in after.items()), reverse=True)
                result.app_cpu = sum(spent)
                result.worker_cpu = tuple(spent[: max(1, args.workers)])
                result.bench_cpu = cpu_seconds(os.getpid()) - own
                results.append(result)
    return results, line_api.unexpected + tg_api.unexpected


def _header() -> str:
    return (
        f"{'backend':<11}{'platform':<9} {'sent':>7} {'replied':>8} {'msg/s':>9} {'p50 ms':>8} "
        f"{'p90 ms':>8} {'p99 ms':>8} {'lost':>5} {'errors':>6} {'app cpu ms':>10} {'app cpu':>7} "
        f"{'bench cpu':>9}  by process"
    )


@contextmanager
def postgres_url(given: str) -> Iterator[str]:
    """``given``, or a fresh schema on a throwaway cluster (tests/pg_cluster.py) for the run."""
    if given:
        yield given
        return
    from tests.pg_cluster import start_cluster

    with start_cluster() as cluster:
        url = cluster.database_url()
        try:
            yield url
        finally:
            cluster.drop(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help=f"per platform (at most {MAX_SECONDS})")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="khomun serve --workers")
    parser.add_argument(
        "--mix", choices=("dev", "short", "hello"), default="dev", help="dev: tests/data/dev-queries.jsonl"
    )
    parser.add_argument("--only", choices=("line", "telegram"), help="run one platform")
    parser.add_argument(
        "--data-dir", help="an existing data dir with index.sqlite (default: a fresh temp dir)"
    )
    parser.add_argument(
        "--backends",
        default="sqlite",
        help="comma-separated state backends to run in turn: sqlite, postgresql (default sqlite)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL for the postgresql backend (default: a throwaway cluster)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="run the backends alternately this many times")
    args = parser.parse_args(argv)
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - {"sqlite", "postgresql"}:
        parser.error("--backends takes sqlite and/or postgresql")
    logging.basicConfig(level=logging.WARNING)
    qs = queries(args.mix)
    rows: list[tuple[str, Result]] = []
    unexpected: list[str] = []
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(postgres_url(args.database_url)) if "postgresql" in backends else ""
        index_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="khomun-bench-index-")))
        for _ in range(max(1, args.rounds)):
            for backend in backends:
                with tempfile.TemporaryDirectory(prefix="khomun-bench-") as tmp:
                    data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
                    if not args.data_dir and (index_dir / "index.sqlite").exists():
                        shutil.copy(index_dir / "index.sqlite", data_dir / "index.sqlite")
                    print(f"-- {backend}", flush=True)
                    url = pg if backend == "postgresql" else ""
                    results, odd = uvloop.run(bench(args, seconds, qs, data_dir, url))
                    if not args.data_dir and not (index_dir / "index.sqlite").exists():
                        shutil.copy(data_dir / "index.sqlite", index_dir / "index.sqlite")
                    rows += [(backend, r) for r in results]
                    unexpected += odd
                    print(_header())
                    for r in results:
                        print(f"{backend:<11}{r.row()}", flush=True)
    print()
    print(_header())
    for backend, r in rows:
        print(f"{backend:<11}{r.row()}")
    if len(backends) > 1:
        print()
        for platform in sorted({r.platform for _, r in rows}):
            rates = {
                b: [len(r.latencies) / r.seconds for bb, r in rows if bb == b and r.platform == platform]
                for b in backends
            }
            text = ", ".join(
                f"{b} {min(v):.0f}-{max(v):.0f} msg/s (median {statistics.median(v):.0f})"
                for b, v in rates.items()
            )
            base = statistics.median(rates["sqlite"]) if rates.get("sqlite") else 0.0
            ratio = (
                f"; postgresql/sqlite {statistics.median(rates['postgresql']) / base:.0%}"
                if base and rates.get("postgresql")
                else ""
            )
            print(f"{platform}: {text}{ratio}")
    if unexpected:
        print(f"unexpected API calls: {sorted(set(unexpected))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
