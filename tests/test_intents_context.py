"""Chat contexts in SQLite: round trip, expiry, restarts, no raw ids."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from intents.context import CONTEXT_TTL, ChatContext, ContextStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _ctx() -> ChatContext:
    return ChatContext(
        kind="search",
        query="ทะเบียนวัด",
        corrected="ทะเบียนวัด นครราชสีมา",
        all_names=("a", "b", "c"),
        names=("a", "c"),
        page=1,
        filters={"org": "กรมการศาสนา"},
        facets={"fmt": ["CSV", "PDF"]},
    )


def test_round_trip_and_survives_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = ContextStore(path, key="k")
    store.put("line", "U123", _ctx())
    store.close()
    again = ContextStore(path, key="k")
    assert again.get("line", "U123") == _ctx()
    assert again.get("telegram", "U123") == ChatContext()  # keyed by platform too
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_expires_after_thirty_minutes(tmp_path: Path) -> None:
    clock = Clock()
    store = ContextStore(tmp_path / "s.sqlite", key="k", clock=clock)
    store.put("web", "chat", _ctx())
    clock.now += CONTEXT_TTL - 1
    assert store.get("web", "chat").has_list
    clock.now += 2
    assert store.get("web", "chat") == ChatContext()
    assert store.purge() == 1


def test_raw_chat_ids_are_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = ContextStore(path, key="secret")
    store.put("line", "Uabcdef0123456789", _ctx())
    store.close()
    assert b"Uabcdef0123456789" not in path.read_bytes()
    for suffix in ("-wal",):
        wal = path.with_name(path.name + suffix)
        if wal.exists():
            assert b"Uabcdef0123456789" not in wal.read_bytes()


def test_unreadable_rows_are_dropped(state_db: Path | str) -> None:
    store = ContextStore(state_db, key="k")
    store.put("web", "x", _ctx())
    store._db.execute("UPDATE chat_context SET data = 'not json'")
    assert store.get("web", "x") == ChatContext()


def test_threads_share_one_store(state_db: Path | str) -> None:
    store = ContextStore(state_db, key="k")

    def work(n: int) -> None:
        for i in range(20):
            store.put("web", f"chat-{n}", ChatContext(kind="search", query=str(i), names=("a",)))
            assert store.get("web", f"chat-{n}").kind == "search"

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(store.get("web", f"chat-{n}").query == "19" for n in range(8))
