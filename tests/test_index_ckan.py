"""Harvesting package_search from a fake CKAN served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import random
import socket
from typing import Any

import httpx
import pytest

from index.catalog import CleanReport, bundled_catalog_path, clean_records, load_jsonl
from index.ckan import CKANError, harvest
from tests.fakes.ckan import ACTION, serve_fake_ckan


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """The bundled snapshot as raw JSONL records, newest first."""
    with gzip.open(bundled_catalog_path(), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class Sleeps(list[float]):
    """Records backoff delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_harvest_whole_catalog_page_by_page(records: list[dict[str, Any]]) -> None:
    with serve_fake_ckan(records) as (url, requests):
        raw = list(harvest(url, rows=100, progress=False))
    assert [r["name"] for r in raw] == [r["name"] for r in records]
    assert raw[0]["organization"]["type"] == "organization" and "data_category" in raw[0]
    assert [q.params["start"] for q in requests] == [str(n) for n in range(0, 1300, 100)]
    assert {q.path for q in requests} == {ACTION}
    assert all(q.params["rows"] == "100" and q.params["sort"] == "metadata_modified desc" for q in requests)
    assert all("fq" not in q.params and "authorization" not in q.headers for q in requests)
    assert requests[0].headers["user-agent"].startswith("Mozilla/5.0")
    report = CleanReport()
    assert list(clean_records(raw, report)) == list(load_jsonl(bundled_catalog_path()))
    assert (report.read, report.kept, report.format_fixes) == (1237, 1237, 1523)


def test_harvest_sends_api_key_in_authorization_header(records: list[dict[str, Any]]) -> None:
    with serve_fake_ckan(records[:3]) as (url, requests):
        assert len(list(harvest(url + "/", api_key="tok-123", progress=False))) == 3
    assert [q.headers["authorization"] for q in requests] == ["tok-123"]


def test_harvest_retries_5xx_and_429(records: list[dict[str, Any]]) -> None:
    sleeps = Sleeps()
    with serve_fake_ckan(records, status_sequence=[503, 500, 429]) as (url, requests):
        raw = list(harvest(url, rows=500, progress=False, sleep=sleeps, rng=random.Random(1)))
    assert len(raw) == 1237
    assert [q.params["start"] for q in requests] == ["0", "0", "0", "0", "500", "1000"]
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0  # backoff 1 s, doubling, jittered
    assert sleeps[2] == 0.0  # Retry-After: 0 honoured


def test_harvest_backoff_is_capped(records: list[dict[str, Any]]) -> None:
    sleeps = Sleeps()
    with serve_fake_ckan(records[:5], fail_first=6, fail_status=500) as (url, _):
        raw = list(harvest(url, max_retries=6, max_backoff=4.0, progress=False, sleep=sleeps))
    assert len(raw) == 5
    assert len(sleeps) == 6 and all(s <= 4.0 for s in sleeps) and sleeps[-1] >= 2.0


def test_harvest_gives_up_after_max_retries(records: list[dict[str, Any]]) -> None:
    sleeps = Sleeps()
    failed = r"failed after 3 attempts \(last: HTTP 503\)"
    with serve_fake_ckan(records, fail_first=3) as (url, requests), pytest.raises(CKANError, match=failed):
        list(harvest(url, max_retries=2, progress=False, sleep=sleeps))
    assert len(requests) == 3 and len(sleeps) == 2


def test_harvest_retries_connection_errors() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sleeps = Sleeps()
    with pytest.raises(CKANError, match="ConnectError") as caught:
        list(harvest(url, max_retries=1, progress=False, sleep=sleeps))
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert url in str(caught.value) and len(sleeps) == 1


def test_harvest_403_is_a_clear_error_without_the_key(records: list[dict[str, Any]]) -> None:
    key = "s3cret-api-key-0f9e"
    sleeps = Sleeps()
    with (
        serve_fake_ckan(records, status_sequence=[403]) as (url, requests),
        pytest.raises(CKANError) as caught,
    ):
        list(harvest(url, api_key=key, progress=False, sleep=sleeps))
    message = str(caught.value)
    assert f"{url}{ACTION}" in message and "403" in message and "Access denied" in message
    assert key not in message and key not in repr(caught.value)
    assert len(requests) == 1 and sleeps == []  # no retry on a 4xx


def test_harvest_since_returns_only_newer_records(records: list[dict[str, Any]]) -> None:
    since = records[99]["metadata_modified"]
    with serve_fake_ckan(records) as (url, requests):
        raw = list(harvest(url, since=since, rows=40, progress=False))
    assert [r["name"] for r in raw] == [r["name"] for r in records[:99]]
    assert requests[0].params["fq"] == f"metadata_modified:[{since[:19]}Z TO *]"
    assert len(requests) == 3


def test_harvest_since_stops_early_even_if_fq_is_ignored(records: list[dict[str, Any]]) -> None:
    since = records[24]["metadata_modified"]
    with serve_fake_ckan(records, honour_fq=False) as (url, requests):
        raw = list(harvest(url, since=since + "+00:00", rows=10, progress=False))
    assert [r["name"] for r in raw] == [r["name"] for r in records[:24]]
    assert len(requests) == 3  # the third page holds the first old record: no fourth request


def test_harvest_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="since"):
        harvest("http://127.0.0.1:9", since="last tuesday")
    with pytest.raises(ValueError, match="rows"):
        harvest("http://127.0.0.1:9", rows=0)
    with pytest.raises(ValueError, match="base_url"):
        harvest("data.go.th")


def test_harvest_progress_bar(records: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    with serve_fake_ckan(records[:30]) as (url, _):
        assert len(list(harvest(url, rows=10, progress=True))) == 30
    assert "30/30" in capsys.readouterr().err
