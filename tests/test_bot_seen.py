from __future__ import annotations

import threading
from pathlib import Path

from bot.seen import RecentIds, SeenEvents


def test_an_event_is_new_exactly_once(tmp_path: Path) -> None:
    seen = SeenEvents(tmp_path / "state.sqlite")
    assert seen.first_time("line", "e1")
    assert not seen.first_time("line", "e1")
    assert seen.first_time("telegram", "e1")  # ids are per platform


def test_a_restart_or_another_worker_remembers(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = SeenEvents(path)
    assert first.first_time("line", "e1")
    first.close()
    assert not SeenEvents(path).first_time("line", "e1")


def test_concurrent_workers_agree(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    workers = [SeenEvents(path) for _ in range(4)]
    wins: list[bool] = []
    lock = threading.Lock()

    def deliver(seen: SeenEvents) -> None:
        for i in range(50):
            ok = seen.first_time("line", f"e{i}")
            with lock:
                wins.append(ok)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 50


def test_unusable_database_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    seen = SeenEvents(blocker / "state.sqlite")
    assert seen.first_time("line", "e1")
    assert not seen.first_time("line", "e1")


def test_recent_ids_forget_the_oldest() -> None:
    ids = RecentIds(size=2)
    assert ids.add("a") and ids.add("b") and ids.add("c")
    assert ids.add("a")  # forgotten
    assert not ids.add("c")
