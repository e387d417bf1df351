"""What operators watch: /metrics (Prometheus, one process and --workers), /healthz, /readyz,
and JSON log lines without tokens or raw ids."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.app import create_app
from bot.logs import Redact, configure_logging
from bot.settings import Settings
from index.build import build_index
from index.catalog import load_jsonl
from tests.small_catalog import write_catalog
from tests.test_bot_line import SECRET, TOKEN, USER, post, running, text_event, webhook

STAFF = "staff-token-for-metrics"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels (parsing it checks the format too)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    path = folder / "index.sqlite"
    build_index(load_jsonl(write_catalog(folder / "small.jsonl")), path, source="small")
    return path


def _data(tmp_path: Path, index: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(index, data / "index.sqlite")
    return data


@pytest.fixture()
def app(tmp_path: Path, small_index: Path) -> Iterator[Starlette]:
    app = create_app(Settings(data_dir=_data(tmp_path, small_index), secret_key="test-secret"))
    yield app
    app.state.services.close()


def test_metrics_count_messages_outcomes_latency_and_the_index(app: Starlette) -> None:
    with TestClient(app) as client:
        before = samples(client.get("/metrics").text)
        for i, text in enumerate(["ข้อมูลไฟฟ้า", "ข้อมูลไฟฟ้า", "ดาวอังคารมีน้ำไหม", "สวัสดี"]):
            assert (
                client.post("/api/chat", json={"text": text, "session": f"metrics-{i:04d}"}).status_code
                == 200
            )
        res = client.get("/metrics")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/plain")
    after = samples(res.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("khomun_messages_total", platform="web", intent="search") == 3
    assert grew("khomun_messages_total", platform="web", intent="greeting") == 1
    assert grew("khomun_search_outcomes_total", platform="web", outcome="answered") == 2
    assert grew("khomun_search_outcomes_total", platform="web", outcome="unanswered") == 1
    assert grew("khomun_search_seconds_count") >= 3
    assert grew("khomun_reply_seconds_count", platform="web") == 4
    services = app.state.services
    assert value(after, "khomun_index_datasets") == services.engine.size == 200
    assert 0 <= value(after, "khomun_index_age_seconds") < 3600
    assert ("khomun_journal_queue_depth", ()) in after


def test_metrics_need_the_staff_token_when_one_is_set(tmp_path: Path, small_index: Path) -> None:
    settings = Settings(data_dir=_data(tmp_path, small_index), secret_key="test-secret", staff_token=STAFF)
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and "khomun" not in wrong.text
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {STAFF}"})
        assert ok.status_code == 200 and "khomun_messages_total" in ok.text
        assert client.get("/healthz").status_code == 200  # probes never need it
        assert client.get("/readyz").status_code == 200
    app.state.services.close()


async def test_platform_api_retries_and_errors_are_counted(fake_line_api, engine) -> None:
    from prometheus_client import REGISTRY

    url, api = fake_line_api
    api.reset()

    def now(name: str) -> float:
        return REGISTRY.get_sample_value(name, {"platform": "line"}) or 0.0

    retries, errors = now("khomun_platform_api_retries_total"), now("khomun_platform_api_errors_total")
    async with running(url, engine) as (channel, client, _):
        api.fail("/v2/bot/message/reply", 500, times=1)
        await post(client, webhook(text_event("ทะเบียนวัด เชียงใหม่")))
        await channel.drain()
        assert now("khomun_platform_api_retries_total") == retries + 1
        assert now("khomun_platform_api_errors_total") == errors  # the retry got through
        api.fail("/v2/bot/message/reply", 500, times=3)
        await post(client, webhook(text_event("ทะเบียนวัด เชียงใหม่")))
        await channel.drain()
    assert now("khomun_platform_api_errors_total") == errors + 1


@pytest.fixture(scope="module")
def fake_line_api():
    from tests.fakes.line_api import serve_fake_line

    with serve_fake_line() as served:
        yield served


def test_healthz_and_readyz(app: Starlette) -> None:
    with TestClient(app) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["ok"] is True
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"ready": True}


def test_readyz_is_503_when_the_state_database_is_unreadable(app: Starlette) -> None:
    state = app.state.services.settings.state_path
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        for extra in state.parent.glob("state.sqlite-*"):  # the WAL would still hold the real pages
            extra.unlink()
        state.write_bytes(b"this is not a database " * 200)
        res = client.get("/readyz")
        assert res.status_code == 503
        assert res.json() == {"ready": False, "reason": "state database unreachable (DatabaseError)"}
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        state.unlink()
        assert client.get("/readyz").json()["reason"].startswith("state database unreachable")


def test_json_log_lines_carry_no_token_and_no_raw_user_id(engine, fake_line_api) -> None:
    import asyncio

    url, api = fake_line_api
    api.reset()
    stream = io.StringIO()
    env = {"KHOMUN_LOG_FORMAT": "json", "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_CHANNEL_SECRET": SECRET}
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(env, stream, force=True)
    try:

        async def deliver() -> None:
            async with running(url, engine) as (channel, client, _):
                api.fail("/v2/bot/message/reply", 400, times=1)  # a refused reply: logged
                once = text_event("ทะเบียนวัด เชียงใหม่")
                await post(client, webhook(once))
                await post(client, webhook(once))  # redelivered: logged as already handled
                await channel.drain()

        asyncio.run(deliver())
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "nothing was logged"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    refused = [line for line in lines if line["message"] == "LINE refused the reply"]
    assert refused and refused[0]["chat"] and refused[0]["status"] == 400  # the hashed chat, the status
    text = stream.getvalue()
    assert TOKEN not in text and SECRET not in text and USER not in text


def test_redaction_masks_secrets_and_raw_ids_wherever_they_appear() -> None:
    bot_token = "123456789:AAH" + "x" * 32
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(
        {"KHOMUN_LOG_FORMAT": "json", "STAFF_TOKEN": "staff-secret-value"}, stream, force=True
    )
    log = logging.getLogger("tests.redaction")
    try:
        log.warning("fetching %s", f"https://api.telegram.org/bot{bot_token}/sendMessage")
        log.info("staff", extra={"given": "staff-secret-value", "user": "U" + "f" * 32})
        try:
            raise ValueError(f"bad token staff-secret-value for {bot_token}")
        except ValueError:
            log.exception("failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert "staff-secret-value" not in text and bot_token not in text and "f" * 32 not in text
    assert '"given": "[redacted]"' in text and "[telegram-token]" in text and "[line-id]" in text
    assert Redact(["short"])("short") == "short"  # too short to be told from ordinary words


WORKER = """
import sys
from types import SimpleNamespace as NS

from bot import metrics

turn = NS(outcome=NS(intent="search", confidence="high"))
for _ in range(int(sys.argv[1])):
    metrics.count_turn("line", turn)
metrics.JOURNAL_QUEUE.set(3)
"""


_STUB = SimpleNamespace(
    journal=SimpleNamespace(depth=lambda: 0),
    engine=SimpleNamespace(size=7, meta={"built_at": "2026-01-01T00:00:00Z"}),
)


def test_metrics_add_up_every_worker_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import metrics

    monkeypatch.setenv(metrics.MULTIPROC_ENV, "")  # restored after the test
    folder = metrics.use_private_dir(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for count in (5, 7):  # two worker processes, each counting its own messages
        subprocess.run([sys.executable, "-c", WORKER, str(count)], env=env, check=True, timeout=60)
    assert len(list(folder.glob("counter_*.db"))) == 2
    found = samples(metrics.render(_STUB).decode())
    assert value(found, "khomun_messages_total", platform="line", intent="search") == 12
    assert value(found, "khomun_search_outcomes_total", platform="line", outcome="answered") == 12
    assert value(found, "khomun_journal_queue_depth") == 6
    assert value(found, "khomun_index_datasets") == 7


def test_serve_with_workers_gives_them_an_empty_private_metrics_folder(
    tmp_path: Path, small_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from bot import metrics
    from bot.server import serve

    for name in (metrics.MULTIPROC_ENV, "KHOMUN_DATA_DIR", "KHOMUN_SECRET_KEY"):
        monkeypatch.setenv(name, "")  # serve sets them for its workers; restored after the test
    data = _data(tmp_path, small_index)
    (data / "metrics").mkdir()
    (data / "metrics" / "counter_4242.db").write_bytes(b"an earlier run's values")
    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(os.environ[metrics.MULTIPROC_ENV]))
    assert serve(Settings(data_dir=data, secret_key="test-secret"), workers=2) == 0
    assert started == [str(data / "metrics")]
    assert list((data / "metrics").iterdir()) == []
    assert (data / "metrics").stat().st_mode & 0o777 == 0o700


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_metrics_add_up_every_worker_of_khomun_serve(tmp_path: Path, small_index: Path) -> None:
    """The whole thing, `khomun serve --workers 2` in a subprocess (~15 s on 2 cores: run with
    KHOMUN_SLOW_TESTS=1; the two tests above cover its parts)."""
    if not os.environ.get("KHOMUN_SLOW_TESTS"):
        pytest.skip("15 s (two workers start): KHOMUN_SLOW_TESTS=1 runs it")
    data = _data(tmp_path, small_index)
    stale = data / "metrics"
    stale.mkdir()
    (stale / "counter_999999.db").write_bytes(b"left by an earlier run")
    port = _free_port()
    env = {**os.environ, "KHOMUN_DATA_DIR": str(data), "KHOMUN_SECRET_KEY": "test-secret"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    khomun = Path(sys.executable).parent / "khomun"
    proc = subprocess.Popen(
        [str(khomun), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "khomun serve did not start"
            time.sleep(0.2)
        assert not (stale / "counter_999999.db").exists()  # emptied at start
        sent = 24
        for i in range(sent):  # a new connection each: the kernel spreads them over the workers
            res = httpx.post(f"{base}/api/chat", json={"text": "ข้อมูลไฟฟ้า", "session": f"workers-{i:04d}"})
            assert res.status_code == 200
        scrapes = [samples(httpx.get(f"{base}/metrics").text) for _ in range(6)]
        for found in scrapes:  # whichever worker answers, it counts every worker's messages
            assert value(found, "khomun_messages_total", platform="web", intent="search") == sent
            assert value(found, "khomun_index_datasets") == 200
        assert len(list((data / "metrics").glob("counter_*.db"))) == 2  # one file per worker
    finally:
        proc.terminate()
        proc.wait(30)


def test_readiness_reads_the_state_database_on_either_backend(state_db: object) -> None:
    from types import SimpleNamespace

    from bot.ops import readiness
    from state import open_database

    open_database(state_db).close()  # type: ignore[arg-type]  # created and migrated
    engine = SimpleNamespace(size=3)
    ready = SimpleNamespace(settings=SimpleNamespace(state_db=state_db), engine=engine)
    assert readiness(ready) == ""
    gone = (
        "postgresql://nobody@127.0.0.1:1/none" if isinstance(state_db, str) else "/nonexistent/state.sqlite"
    )
    lost = SimpleNamespace(settings=SimpleNamespace(state_db=gone), engine=engine)
    assert readiness(lost).startswith("state database unreachable")
