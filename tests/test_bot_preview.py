"""Previews of a data file against a fake portal: real readers, SSRF refusals, limits, the cache."""

from __future__ import annotations

import time
from typing import Any

import httpcore
import pytest

from bot.preview.fetch import (
    MAX_BYTES,
    TIMEOUT,
    GuardedBackend,
    PreviewCache,
    Previewer,
    PreviewError,
    public_address,
)
from intents import texts
from intents.types import Outcome, PreviewRequest, Reply, Turn
from tests.fakes.files import DATASTORE_ID, SLOW_SECONDS, TEMPLES_ID, serve_fake_files


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The real network backend, remembering every address a connection was opened to."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connected: list[str] = []

    async def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        return await self.inner.connect_tcp(host, port, *args, **kwargs)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@pytest.fixture(scope="module")
def files():
    with serve_fake_files() as fake:
        yield fake


def previewer(tmp_path, **kw: Any) -> tuple[Previewer, RecordingBackend]:
    net = RecordingBackend()
    backend = GuardedBackend(["localhost"], inner=net)
    return Previewer(PreviewCache(tmp_path / "state.sqlite"), backend=backend, **kw), net


def req(url: str, fmt: str = "CSV") -> PreviewRequest:
    return PreviewRequest("ds", "ชุดข้อมูล", url, fmt, url.rsplit("/", 1)[-1])


def temples_url(files) -> str:
    return files.url(f"/dataset/temples/resource/{TEMPLES_ID}/download/temples.csv")


async def test_cp874_csv_is_read_with_its_thai_header_and_exact_row_count(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    got = await p.preview(req(temples_url(files)))
    assert got.columns == ("ลำดับ", "ชื่อวัด", "อำเภอ", "จังหวัด")
    assert got.rows[0] == ("1", "วัดที่ 1", "เมืองเชียงใหม่", "เชียงใหม่") and len(got.rows) == 5
    assert (got.total, got.at_least) == (37, False)
    assert files.hits["datastore"] >= 1  # asked the portal's DataStore first; it had no table


async def test_xlsx_header_is_found_under_a_blank_row_and_a_merged_title(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    got = await p.preview(req(files.url("/files/population.xlsx"), "XLSX"))
    assert got.columns == ("จังหวัด", "ชาย", "หญิง", "รวม")
    assert got.rows[1] == ("เชียงใหม่", "876000", "921000", "1797000")
    assert got.total == 6


async def test_datastore_is_used_where_the_portal_has_the_resource(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    url = files.url(f"/dataset/budget/resource/{DATASTORE_ID}/download/budget.csv")
    got = await p.preview(req(url))
    assert got.columns == ("ปีงบประมาณ", "งบประมาณ (ล้านบาท)") and got.total == 1234
    assert got.rows[0] == ("2561", "1001")
    assert files.hits["budget-file"] == 0


async def test_a_broken_file_is_unreadable(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    with pytest.raises(PreviewError) as err:
        await p.preview(req(files.url("/files/broken.xlsx"), "XLSX"))
    assert err.value.kind == "unreadable"


async def test_a_50_mb_csv_is_cut_at_2_mb_and_counted_as_at_least(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    got = await p.preview(req(files.url("/files/huge.csv")))
    assert got.at_least and got.columns == ("ปี", "จังหวัด", "ตัวชี้วัด", "ค่า")
    line, header = len("2566,เชียงใหม่,ฝุ่น PM2.5,42\n".encode()), len("ปี,จังหวัด,ตัวชี้วัด,ค่า\n".encode())
    assert got.total == (MAX_BYTES - header) // line  # every whole line of the first 2 MB
    assert got.rows[0] == ("2566", "เชียงใหม่", "ฝุ่น PM2.5", "42")
    assert files.hits["huge-bytes"] < 10 * 1024 * 1024  # the server was not read to the end


async def test_a_slow_server_times_out(tmp_path, files) -> None:
    p, _ = previewer(tmp_path, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(PreviewError) as err:
        await p.preview(req(files.url("/files/slow.csv")))
    assert err.value.kind == "timeout"
    assert time.monotonic() - started < SLOW_SECONDS
    assert TIMEOUT == 3.0  # what production uses


async def test_redirect_to_loopback_is_refused(tmp_path, files) -> None:
    p, net = previewer(tmp_path)
    with pytest.raises(PreviewError) as err:
        await p.preview(req(files.url("/redirect/loopback"), "XLSX"))
    assert err.value.kind == "blocked"
    assert "127.0.0.1" not in net.connected


async def test_redirect_to_a_private_address_is_refused_before_connecting(tmp_path, files) -> None:
    p, net = previewer(tmp_path)
    with pytest.raises(PreviewError) as err:
        await p.preview(req(files.url("/redirect/private")))
    assert err.value.kind == "blocked"
    assert net.connected and "10.0.0.1" not in net.connected


async def test_private_loopback_and_link_local_urls_are_refused_without_the_allow_list(tmp_path) -> None:
    net = RecordingBackend()
    p = Previewer(PreviewCache(":memory:"), backend=GuardedBackend([], inner=net))
    for url in (
        "http://127.0.0.1:9/x.csv",
        "http://[::1]:9/x.csv",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.1/x.csv",
        "http://[::ffff:10.0.0.1]/x.csv",
        "file:///etc/passwd",
        "ftp://x/y.csv",
    ):
        with pytest.raises(PreviewError) as err:
            await p.preview(req(url))
        assert err.value.kind == "blocked", url
    assert net.connected == []
    assert public_address("203.0.113.9") is False and public_address("8.8.8.8") is True


async def test_previews_are_cached_and_revalidated_with_the_etag(tmp_path, files) -> None:
    now = [1000.0]
    cache = PreviewCache(tmp_path / "state.sqlite", clock=lambda: now[0])
    p = Previewer(cache, backend=GuardedBackend(["localhost"]))
    url = temples_url(files)
    before = dict(files.hits), dict(files.full_bodies)
    first = await p.preview(req(url))
    assert await p.preview(req(url)) == first  # fresh: no request at all
    assert files.hits["temples"] - before[0].get("temples", 0) == 1
    now[0] += 7200  # stale: a conditional GET, answered 304
    assert await p.preview(req(url)) == first
    assert files.hits["temples"] - before[0].get("temples", 0) == 2
    assert files.full_bodies["temples"] - before[1].get("temples", 0) == 1


async def test_state_file_stays_private(tmp_path, files) -> None:
    previewer(tmp_path)
    assert (tmp_path / "state.sqlite").stat().st_mode & 0o777 == 0o600


async def test_complete_puts_the_preview_or_a_polite_reason_in_the_reply(tmp_path, files) -> None:
    p, _ = previewer(tmp_path)
    ok = await p.complete(Turn(Reply("…", preview_of=req(temples_url(files))), Outcome("preview")))
    assert ok.reply.preview is not None and "37" in ok.reply.text and "4 คอลัมน์" in ok.reply.text
    bad = await p.complete(
        Turn(Reply("…", preview_of=req(files.url("/redirect/private"))), Outcome("preview"))
    )
    assert bad.reply.preview is None and bad.reply.text == texts.PREVIEW_FAILED["blocked"]
