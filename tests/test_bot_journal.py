"""The journal: one row per handled message, written off the reply path, hashed ids only."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.journal import FLUSH_SECONDS, Journal, load_or_create_secret
from bot.settings import Settings
from intents import Message, Outcome, Reply, Turn


def _turn(intent: str = "search", hits: tuple[str, ...] = ("a", "b"), feedback: str = "") -> Turn:
    outcome = Outcome(intent, query="q", normalized="q", hits=hits, scores=(0.9, 0.5)[: len(hits)], key="q")
    return Turn(Reply("ok"), outcome, ms=1.5, feedback=feedback)


def _rows(path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    return db.execute("SELECT * FROM journal ORDER BY id").fetchall()


def test_one_row_per_message_with_hashed_ids(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    journal = Journal(path, "secret")
    assert journal.record(
        Message("line", "Cgroup1", text="ทะเบียนวัด", user_id="Uuser1", chat_type="group"), _turn()
    )
    journal.flush()
    (row,) = _rows(path)
    assert row["ts"].endswith("Z") and row["platform"] == "line" and row["chat_type"] == "group"
    assert row["user_hash"] == journal.hash_id("line", "Uuser1") and len(row["user_hash"]) == 32
    assert row["chat_hash"] == journal.hash_id("line", "Cgroup1")
    assert row["text"] == "ทะเบียนวัด" and row["intent"] == "search" and row["answered"] == 1
    assert json.loads(row["results"]) == [{"name": "a", "score": 0.9}, {"name": "b", "score": 0.5}]
    assert row["latency_ms"] == 1.5 and row["feedback"] is None
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"Uuser1" not in raw and b"Cgroup1" not in raw
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_rows_land_within_the_flush_interval_without_a_flush(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    journal = Journal(path, "secret")
    journal.record(Message("telegram", "42", text="วัด", user_id="42"), _turn())
    deadline = time.monotonic() + FLUSH_SECONDS * 6
    while not _rows(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_rows(path)) == 1
    journal.close()


def test_no_user_and_eval_messages(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "s.sqlite", "k")
    assert journal.record(Message("eval", "eval-1", text="x"), _turn()) is False
    journal.record(Message("web", "s", text="x"), _turn(hits=()))
    journal.flush()
    rows = _rows(tmp_path / "s.sqlite")
    assert len(rows) == 1 and rows[0]["user_hash"] == "" and rows[0]["results"] == "[]"
    journal.close()


def test_five_hundred_messages_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    journal = Journal(path, "k")
    queued: list[bool] = []

    def send(n: int) -> None:
        for i in range(50):
            queued.append(
                journal.record(Message("telegram", f"chat{n}", text=f"q{i}", user_id=f"u{n}"), _turn())
            )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    rows = _rows(path)
    assert len(rows) == 500 and all(queued)
    assert sorted(r["text"] for r in rows) == sorted(f"q{i}" for i in range(50) for _ in range(10))


def test_feedback_marks_the_latest_search_of_that_chat(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    journal = Journal(path, "k")
    chat = Message("line", "C1", text="q", user_id="U1")
    journal.record(chat, _turn())
    journal.record(chat, _turn())
    second = 2  # rows are numbered in the order recorded
    journal.record(replace(chat, chat_id="C2"), _turn())
    journal.record(replace(chat, text="อันที่ 2"), _turn("details"))
    journal.record(
        replace(chat, text="", postback="fb:down"), _turn("feedback", hits=(), feedback="not_useful")
    )
    journal.flush()
    marked = {r["id"]: r["feedback"] for r in _rows(path) if r["feedback"]}
    assert marked == {second: "not_useful"}
    journal.record(replace(chat, text="", postback="fb:up"), _turn("feedback", hits=(), feedback="useful"))
    journal.flush()
    assert {r["id"]: r["feedback"] for r in _rows(path) if r["feedback"]} == {second: "useful"}
    # a value the journal does not know marks nothing
    journal.record(replace(chat, text="", postback="fb:?"), _turn("feedback", hits=(), feedback="meh"))
    journal.flush()
    assert {r["id"]: r["feedback"] for r in _rows(path) if r["feedback"]} == {second: "useful"}
    journal.close()


def test_two_processes_write_one_journal(tmp_path: Path) -> None:
    # khomun serve --workers 2: two journals on one file, writing at the same time
    path = tmp_path / "s.sqlite"
    first, second = Journal(path, "k"), Journal(path, "k")
    for i in range(50):
        first.record(Message("web", "a", text=f"a{i}"), _turn())
        second.record(Message("web", "b", text=f"b{i}"), _turn())
    first.close()
    second.close()
    rows = _rows(path)
    assert len(rows) == 100 and len({r["id"] for r in rows}) == 100


def test_secret_is_generated_once_and_kept_private(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with caplog.at_level("WARNING", logger="bot.journal"):
        key = load_or_create_secret(settings)
    assert len(key) == 64 and sum("generated" in r.message for r in caplog.records) == 1
    path = settings.data_dir / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    caplog.clear()
    assert load_or_create_secret(settings) == key and not caplog.records
    assert load_or_create_secret(replace(settings, secret_key="from-env")) == "from-env"


def test_rows_past_retention_are_purged(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    journal = Journal(path, "k")
    journal.record(Message("web", "s", text="new"), _turn())
    journal.flush()
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms) VALUES ('2020-01-01T00:00:00.000000Z', 'web', 'private', '', "
        "'old', '', '', 'search', '[]', 0, 1)"
    )
    db.commit()
    journal.purge(180)
    journal.flush()
    assert [r["text"] for r in _rows(path)] == ["new"]
    journal.close()


def test_one_bad_row_never_costs_the_rest_of_its_batch(tmp_path: Path) -> None:
    """issue 13.1: a lone surrogate (or an integer SQLite cannot hold) in one row made the batched
    insert fail and the whole batch was dropped. The batch falls back to row by row."""
    path = tmp_path / "state.sqlite"
    journal = Journal(path, "secret")
    for i in range(50):
        journal.record(Message("web", f"s{i}", text=f"วัด {i}", user_id=f"s{i}"), _turn())
    journal.record(Message("web", "bad", text="\ud800", user_id="bad"), _turn())
    journal.record(Message("telegram", "big", text=2**64, user_id="big"), _turn())  # type: ignore[arg-type]
    for i in range(50, 100):
        journal.record(Message("line", f"s{i}", text=f"วัด {i}", user_id=f"s{i}"), _turn())
    journal.flush()
    texts = [r["text"] for r in _rows(path)]
    assert texts == [f"วัด {i}" for i in range(100)]
    journal.close()


def test_state_database_holding_user_texts_is_private(tmp_path: Path, index_path: Path) -> None:
    """issue 13.7: state.sqlite (user texts) was created 0644 while secret.key was 0600."""
    import shutil

    from bot.services import build_services

    shutil.copy(index_path, tmp_path / "index.sqlite")
    services = build_services(Settings(data_dir=tmp_path, secret_key="k"))
    services.handle(Message("web", "s1", text="วัด", user_id="s1"))
    services.journal.flush()
    services.close()
    for name in ("state.sqlite", "state.sqlite-wal", "state.sqlite-shm"):
        if (tmp_path / name).exists():
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_inline_typing_keeps_the_query_settled_on(tmp_path: Path) -> None:
    """Telegram sends an inline query at every pause in typing: the journal keeps the one the
    user settled on, not "ทะเบ" and "ทะเบียน" on the way."""
    journal = Journal(tmp_path / "state.sqlite", "k", settle_seconds=0.3)
    turn = Turn(Reply("x"), Outcome("search", answered=False))

    def typed(text: str, user: str = "7") -> None:
        message = Message("telegram", f"inline:{user}", text=text, user_id=user, chat_type="inline")
        journal.record_typing(message, turn)

    for text in ("ทะเบ", "ทะเบียน", "ทะเบียนวัด", "ทะเบียนวั"):  # a backspace too
        typed(text)
    typed("ไฟฟ้า", user="8")
    typed("ราคาทอง")  # user 7 starts another query: the one before stands
    journal.flush()
    db = sqlite3.connect(tmp_path / "state.sqlite")
    rows = lambda: [r[0] for r in db.execute("SELECT text FROM journal ORDER BY id")]  # noqa: E731
    assert rows() == ["ทะเบียนวั"]
    time.sleep(0.9)
    journal.flush()
    assert sorted(rows()) == sorted(["ทะเบียนวั", "ไฟฟ้า", "ราคาทอง"])
    typed("ถนน")
    journal.close()  # a clean shutdown writes what is held
    assert rows()[-1] == "ถนน"
    assert {r[0] for r in db.execute("SELECT chat_type FROM journal")} == {"inline"}
