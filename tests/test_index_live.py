"""index.live.LiveEngine: a rebuilt index file is picked up while serving, requests in flight
finish on the old engine, and the old engine's connections are closed."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.catalog import load_jsonl
from index.live import LiveEngine
from index.search import SearchEngine
from tests.small_catalog import EXTRA, EXTRA_QUERY, write_catalog


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("catalogs")
    return write_catalog(folder / "small.jsonl"), write_catalog(folder / "extra.jsonl", extra=True)


def _build(catalog: Path, path: Path) -> None:
    build_index(load_jsonl(catalog), path, source=catalog.name)


def test_a_rebuilt_file_is_served_without_a_restart(tmp_path: Path, catalogs: tuple[Path, Path]) -> None:
    path = tmp_path / "index.sqlite"
    _build(catalogs[0], path)
    live = LiveEngine(path, check_seconds=0.05)
    old = live.engine
    assert live.get(EXTRA["name"]) is None
    assert not live.search(EXTRA_QUERY).answered
    _build(catalogs[1], path)
    deadline = time.monotonic() + 15
    while live.get(EXTRA["name"]) is None:  # requests go on while the new engine opens
        assert time.monotonic() < deadline, "the new index was never picked up"
        time.sleep(0.05)
    assert live.search(EXTRA_QUERY).hits[0].name == EXTRA["name"]
    assert live.size == old.size + 1 and live.reloads == 1
    assert old.closed and old.connections == 0  # nobody was using it: closed at once
    live.close()


def test_a_request_in_flight_finishes_on_the_old_engine(tmp_path: Path, catalogs: tuple[Path, Path]) -> None:
    path = tmp_path / "index.sqlite"
    _build(catalogs[0], path)
    live = LiveEngine(path, check_seconds=0.0)
    with live._lease() as old:  # a request that started before the swap
        _build(catalogs[1], path)
        live.check_now()
        assert live.engine is not old and live.get(EXTRA["name"]) is not None
        assert not old.closed and old.get(EXTRA["name"]) is None and old.search("ทะเบียน").query
    assert old.closed and old.connections == 0  # released with the last request on it
    live.close()


def test_an_engine_keeps_reading_its_own_file_from_new_threads(
    tmp_path: Path, catalogs: tuple[Path, Path]
) -> None:
    path = tmp_path / "index.sqlite"
    _build(catalogs[0], path)
    engine = SearchEngine(path)
    before = engine.names()
    _build(catalogs[1], path)
    seen: list[list[str]] = []
    thread = threading.Thread(target=lambda: seen.append(engine.names()))
    thread.start()
    thread.join()
    # a new connection would read the new file, whose rows this engine's vocabulary does not know
    assert seen == [before]
    engine.close()


def test_a_new_file_that_cannot_be_opened_is_skipped(
    tmp_path: Path, catalogs: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "index.sqlite"
    _build(catalogs[0], path)
    live = LiveEngine(path, check_seconds=0.0)
    first = live.engine
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not an index at all" * 100)
    broken.replace(path)
    with caplog.at_level(logging.ERROR, logger="index.live"):
        live.check_now()
    assert live.engine is first and live.search("ทะเบียน").query  # still answering
    assert any("could not be opened" in r.getMessage() for r in caplog.records)
    live.check_now()
    assert live.reloads == 0  # not tried again until the file changes
    _build(catalogs[1], path)
    live.check_now()
    assert live.reloads == 1 and live.get(EXTRA["name"]) is not None
    live.close()
