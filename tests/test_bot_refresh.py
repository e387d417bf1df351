"""`khomun index refresh`: a server answering a stream of requests picks up the refreshed catalog
without a restart and without a failed request; alerts after a refresh; the schedule."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import refresh as refresh_mod
from bot.app import create_app
from bot.cli import main
from bot.settings import Settings
from index.build import build_index
from index.catalog import load_jsonl
from intents.follows import FollowStore
from tests.fakes.telegram_api import TOKEN, FakeTelegram, serve_fake_telegram
from tests.small_catalog import EXTRA, EXTRA_QUERY, write_catalog
from tests.test_bot_web import LiveServer


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    build_index(load_jsonl(write_catalog(tmp_path / "small.jsonl")), folder / "index.sqlite", source="t")
    return folder


def test_a_serving_instance_picks_up_a_refresh_without_a_failed_request(data: Path, tmp_path: Path) -> None:
    extra = write_catalog(tmp_path / "extra.jsonl", extra=True)
    app = create_app(Settings(data_dir=data, secret_key="test-secret"))
    statuses: list[int | str] = []
    stop = threading.Event()

    def stream(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 2:
                        res = client.get("/api/search", params={"q": "ทะเบียน"})
                    else:
                        res = client.post(
                            "/api/chat", json={"text": "ข้อมูลไฟฟ้า", "session": f"stream-{n:04d}"}
                        )
                    statuses.append(res.status_code)
                except httpx.HTTPError as err:
                    statuses.append(type(err).__name__)

    with LiveServer(app) as url:
        assert httpx.get(f"{url}/api/search", params={"q": EXTRA_QUERY}).json()["results"] == []
        clients = [threading.Thread(target=stream, args=(url,)) for _ in range(2)]
        for c in clients:
            c.start()
        try:
            assert main(["--data-dir", str(data), "index", "refresh", "--catalog", str(extra)]) == 0
            refreshed = time.monotonic()
            while True:
                found = httpx.get(f"{url}/api/search", params={"q": EXTRA_QUERY}).json()["results"]
                if found and found[0]["name"] == EXTRA["name"]:
                    break
                assert time.monotonic() - refreshed < 10, "the refreshed index was not picked up"
                time.sleep(0.1)
            time.sleep(0.3)  # requests go on after the swap
        finally:
            stop.set()
            for c in clients:
                c.join()
    app.state.services.close()
    assert len(statuses) > 20
    assert set(statuses) == {200}, [s for s in statuses if s != 200][:5]
    assert app.state.services.engine.reloads == 1  # the same process, a new index


@pytest.fixture()
def telegram() -> Iterator[tuple[str, FakeTelegram]]:
    with serve_fake_telegram() as served:
        yield served


def test_alerts_go_out_after_a_refresh(
    data: Path, tmp_path: Path, telegram: tuple[str, FakeTelegram], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, api = telegram
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", url)
    monkeypatch.setenv("KHOMUN_SECRET_KEY", "test-secret")
    store = FollowStore(data / "state.sqlite")
    store.add("telegram", "4242", "query", EXTRA_QUERY, EXTRA_QUERY, "2025-01-01T00:00:00")
    store.close()
    extra = write_catalog(tmp_path / "extra.jsonl", extra=True)
    argv = ["--data-dir", str(data), "index", "refresh", "--catalog", str(extra)]
    assert main(argv) == 0
    assert api.of("sendMessage") == []  # without --alerts, nobody is told
    assert main([*argv, "--alerts"]) == 0
    sent = api.of("sendMessage")
    assert [c.params["chat_id"] for c in sent] == ["4242"]
    assert EXTRA["title"] in sent[0].params["text"]


def test_the_schedule_goes_on_after_a_failed_run(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = write_catalog(tmp_path / "c.jsonl", size=50)
    builds: list[str] = []
    real = refresh_mod.refresh_once

    def flaky(settings: Settings, source: refresh_mod.RefreshSource, *, alerts: bool = False) -> int:
        builds.append(str(source.catalog))
        if len(builds) == 1:
            raise ConnectionError("portal down")
        return real(settings, source, alerts=alerts)

    monkeypatch.setattr(refresh_mod, "refresh_once", flaky)
    waits: list[float] = []
    settings = Settings(data_dir=data)
    source = refresh_mod.RefreshSource(catalog=catalog)
    assert refresh_mod.refresh(settings, source, every=3600, runs=2, sleep=waits.append) == 0
    assert len(builds) == 2 and len(waits) == 1 and 3500 < waits[0] <= 3600
    assert "index refreshed" in capsys.readouterr().out


@pytest.mark.parametrize(("raw", "seconds"), [("6h", 21600), ("30m", 1800), ("1d", 86400), ("90s", 90)])
def test_every_reads_units(raw: str, seconds: float) -> None:
    assert refresh_mod.parse_every(raw) == seconds


@pytest.mark.parametrize("raw", ["6", "h", "5s", "-1h", "6 hours"])
def test_every_refuses_what_is_not_a_schedule(raw: str) -> None:
    with pytest.raises(ValueError, match="--every"):
        refresh_mod.parse_every(raw)


def test_one_refresh_at_a_time(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(data_dir=data)
    before = (data / "index.sqlite").stat().st_ino
    with refresh_mod._exclusive(settings) as mine:
        assert mine
        source = refresh_mod.RefreshSource(catalog=write_catalog(tmp_path / "c.jsonl", size=20))
        assert refresh_mod.refresh_once(settings, source) == 0
    assert "another refresh" in capsys.readouterr().err
    assert (data / "index.sqlite").stat().st_ino == before
