"""The webhook inbox: de-duplication, pending events, leases and takeovers, in the state database."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bot.inbox import MAX_ATTEMPTS, Inbox
from state import open_database

TEXT = {"chat": "U1", "text": "ทะเบียนวัด"}


def rows(path: Path | str) -> list[tuple[str, str]]:
    db = open_database(path, migrate=False)
    try:
        return [tuple(r) for r in db.execute("SELECT key, payload FROM inbox ORDER BY key")]
    finally:
        db.close()


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return int(proc.stdout)


def test_an_event_is_new_exactly_once(state_db: Path | str) -> None:
    inbox = Inbox(state_db)
    assert inbox.accept("line", [("e1", TEXT), ("e2", None)]) == [True, True]
    assert inbox.accept("line", [("e1", TEXT), ("e2", None), ("e3", None)]) == [False, False, True]
    assert inbox.accept("telegram", [("e1", TEXT)]) == [True]  # ids are per platform


def test_a_restart_or_another_worker_remembers(state_db: Path | str) -> None:
    path = state_db
    first = Inbox(path)
    assert first.accept("line", [("e1", TEXT)]) == [True]
    first.close()
    assert Inbox(path).accept("line", [("e1", TEXT)]) == [False]


def test_concurrent_workers_agree(state_db: Path | str) -> None:
    path = state_db
    workers = [Inbox(path) for _ in range(4)]
    wins: list[bool] = []
    lock = threading.Lock()

    def deliver(inbox: Inbox) -> None:
        for i in range(50):
            [ok] = inbox.accept("line", [(f"e{i}", TEXT)])
            with lock:
                wins.append(ok)

    threads = [threading.Thread(target=deliver, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(wins) == 50
    assert len(rows(path)) == 50


def test_only_events_with_a_reply_are_kept_and_done_deletes_their_text(state_db: Path | str) -> None:
    path = state_db
    inbox = Inbox(path)
    inbox.accept("line", [("e1", TEXT), ("e2", None)])
    [(key, payload)] = rows(path)
    assert key == "line:e1" and "chat" in payload
    inbox.done("line", "e1")
    assert rows(path) == [] and inbox.pending() == 0
    assert inbox.accept("line", [("e1", TEXT)]) == [False]  # still a duplicate


def test_a_live_process_keeps_its_events(state_db: Path | str) -> None:
    path = state_db
    mine = Inbox(path, lease_seconds=0.05)
    other = Inbox(path, owner="elsewhere:1:aa")
    mine.accept("line", [("e1", TEXT)])
    assert other.claim("line", 10) == []
    time.sleep(0.1)
    mine.renew()
    assert other.claim("line", 10) == []


def test_a_lapsed_lease_is_taken_over_once(state_db: Path | str) -> None:
    path = state_db
    gone = Inbox(path, lease_seconds=0.01, owner="elsewhere:1:aa")
    gone.accept("line", [("e1", TEXT), ("e2", {"chat": "U2"})])
    time.sleep(0.05)
    heirs = [Inbox(path), Inbox(path, owner="third:2:bb")]
    taken = [p for inbox in heirs for p in inbox.claim("line", 10)]
    assert sorted(p.event_id for p in taken) == ["e1", "e2"]
    assert all(p.attempts == 1 for p in taken)
    assert next(p for p in taken if p.event_id == "e1").payload == TEXT
    assert heirs[0].claim("telegram", 10) == []


def test_a_dead_process_on_this_host_is_taken_over_at_once(state_db: Path | str) -> None:
    path = state_db
    host = socket.gethostname()
    Inbox(path, owner=f"{host}:{dead_pid()}:aa").accept("telegram", [("7", {"update_id": 7})])
    Inbox(path, owner=f"{host}:1:bb").accept("telegram", [("8", {"update_id": 8})])  # pid 1 lives
    [taken] = Inbox(path).claim("telegram", 10)
    assert taken.event_id == "7" and taken.payload == {"update_id": 7}


def test_released_events_come_back_and_are_given_up_after_max_attempts(state_db: Path | str) -> None:
    path = state_db
    inbox = Inbox(path)
    inbox.accept("line", [("e1", TEXT)])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        inbox.release("line", "e1", 0.0)
        [again] = inbox.claim("line", 10)
        assert again.attempts == attempt
    inbox.release("line", "e1", 0.0)
    assert inbox.claim("line", 10) == [] and rows(path) == []


def test_claim_respects_its_limit_oldest_first(state_db: Path | str) -> None:
    path = state_db
    gone = Inbox(path, lease_seconds=0.0, owner="elsewhere:1:aa")
    for i in range(5):
        gone.accept("line", [(f"e{i}", TEXT)])
    time.sleep(0.01)
    heir = Inbox(path)
    assert [p.event_id for p in heir.claim("line", 2)] == ["e0", "e1"]
    assert heir.claim("line", 0) == []
    assert len(heir.claim("line", 10)) == 3


def test_lone_surrogates_are_stored_not_refused(state_db: Path | str) -> None:
    path = state_db
    inbox = Inbox(path, lease_seconds=0.0)
    assert inbox.accept("line", [("e\ud800", {"text": "a\udfffb"})]) == [True]
    assert inbox.accept("line", [("e\ud800", None)]) == [False]
    time.sleep(0.01)
    [taken] = Inbox(path).claim("line", 1)
    assert taken.payload == {"text": "a\udfffb"}
    inbox.done("line", "e\ud800")
    assert rows(path) == []


async def test_writes_of_one_loop_turn_share_a_commit_and_wait_out_a_lock(tmp_path: Path) -> None:
    import asyncio

    from bot.background import GroupCommit

    path = tmp_path / "state.sqlite"
    inbox = Inbox(path, wait=0)
    commits: list[int] = []
    apply = inbox.apply

    def counting(platform: str, ops: Any) -> list[Any]:
        result = apply(platform, ops)
        commits.append(len(ops))
        return result

    inbox.apply = counting  # type: ignore[method-assign]
    group = GroupCommit("line", inbox)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, other.execute, "COMMIT")
    results = await asyncio.gather(*(group.submit(("accept", [(f"e{i}", TEXT)])) for i in range(5)))
    assert results == [[True]] * 5 and commits == [5]
    assert len(rows(path)) == 5


async def test_one_failing_write_does_not_cost_the_others(tmp_path: Path) -> None:
    import asyncio

    import pytest

    from bot.background import GroupCommit
    from bot.inbox import InboxUnavailable

    inbox = Inbox(tmp_path / "state.sqlite", wait=0)
    group = GroupCommit("line", inbox)
    good = group.submit(("accept", [("e1", TEXT)]))
    bad = group.submit(("accept", [("e2", {"n": float("nan")} | {"x": object()})]))  # not JSON
    other = group.submit(("accept", [("e3", TEXT)]))
    assert await good == [True] and await other == [True]
    with pytest.raises(InboxUnavailable):
        await bad
    assert await asyncio.gather(group.submit(("accept", [("e2", None)]))) == [[True]]


async def test_on_postgresql_a_commit_runs_off_the_loop_and_the_next_gathers_what_came_meanwhile(
    postgres: Any,
) -> None:
    """A commit is a round trip to the server: the loop goes on meanwhile (webhooks keep being
    read), and what is submitted during it shares the next commit."""
    import asyncio

    import pytest

    from bot.background import GroupCommit
    from bot.inbox import InboxUnavailable

    url = postgres.database_url()
    inbox = Inbox(url, wait=0)
    commits: list[int] = []
    apply = inbox.apply
    loop_thread = threading.get_ident()

    def slow(platform: str, ops: Any) -> list[Any]:
        assert threading.get_ident() != loop_thread
        time.sleep(0.1)  # a slow server
        commits.append(len(ops))
        return apply(platform, ops)

    inbox.apply = slow  # type: ignore[method-assign]
    group = GroupCommit("line", inbox)
    try:
        first = group.submit(("accept", [("e0", TEXT)]))
        ticks = 0
        for _ in range(5):  # the loop is free while the first commit runs
            await asyncio.sleep(0.01)
            ticks += not first.done()
        later = [group.submit(("accept", [(f"e{i}", TEXT)])) for i in range(1, 6)]
        during = group.submit(("accept", [("e6", {"x": object()})]))  # not JSON: fails alone
        assert ticks == 5 and not first.done()
        assert await first == [True]
        assert await asyncio.gather(*later) == [[True]] * 5
        with pytest.raises(InboxUnavailable):
            await during
        assert commits[:2] == [1, 6] and inbox.pending("line") == 6
    finally:
        inbox.close()
        postgres.drop(url)


# -- the journal rows of an event, written in the transaction that marks it done -----------------------
def journal_texts(path: Path | str) -> list[str]:
    db = open_database(path, migrate=False)
    try:
        return [r[0] for r in db.execute("SELECT text FROM journal ORDER BY id")]
    finally:
        db.close()


def journal_items(journal: Any, chat: str, text: Any) -> list[Any]:
    from intents import Message, Outcome, Reply, Turn

    turn = Turn(Reply("ok"), Outcome("search", query="q", normalized="q", key="q"), ms=1.0)
    return list(journal.rows(Message("line", chat, text=text, user_id=chat), turn))


def test_done_writes_the_events_journal_rows_at_once(state_db: Path | str, monkeypatch: Any) -> None:
    """issue 11.2: the journal buffered rows for 0.5 s in a writer thread, so a process killed right
    after answering lost the rows of what it had just answered. The rows go in with the done."""
    from bot import journal as journal_module
    from bot.journal import Journal

    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 3600.0)  # the writer thread never runs
    journal = Journal(state_db, "secret")
    inbox = Inbox(state_db)
    try:
        inbox.accept("line", [("e1", TEXT), ("e2", TEXT)])
        inbox.done("line", "e1", journal_items(journal, "U1", "ทะเบียนวัด"))
        assert journal_texts(state_db) == ["ทะเบียนวัด"] and inbox.pending() == 1
    finally:
        inbox.close()
        journal.close()


def test_a_refused_journal_row_still_marks_its_event_done_and_costs_no_other_row(
    state_db: Path | str,
) -> None:
    """A row the database refuses (a lone surrogate: refused by the driver; no text: by the
    database's NOT NULL, which on PostgreSQL aborts the whole transaction but for the savepoint) is
    skipped: its event is done all the same (never sent again), and the batch's other rows are
    written."""
    from bot.journal import Journal

    journal = Journal(state_db, "secret")
    inbox = Inbox(state_db)
    try:
        ids = [f"e{i}" for i in range(4)]
        inbox.accept("line", [(i, TEXT) for i in ids])
        rows = [
            journal_items(journal, "U0", "วัด 0"),
            journal_items(journal, "U1", "\ud800"),
            [("row", (*row[:4], None, *row[5:])) for _, row in journal_items(journal, "U2", "x")],
            journal_items(journal, "U3", "วัด 3"),
        ]
        inbox.apply("line", [("done", (i, r)) for i, r in zip(ids, rows, strict=True)])
        assert inbox.pending() == 0
        assert journal_texts(state_db) == ["วัด 0", "วัด 3"]
    finally:
        inbox.close()
        journal.close()


async def test_an_event_handed_back_writes_no_row_and_its_retry_writes_one(state_db: Path | str) -> None:
    from bot import background
    from bot.background import RETRY, SENT, Background, Deliveries
    from bot.journal import Journal

    journal = Journal(state_db, "secret")
    inbox = Inbox(state_db, wait=0)
    outcomes = [RETRY, SENT]

    async def answer(item: Any, rows: list[Any]) -> Any:
        rows.extend(journal_items(journal, "U1", item.payload["text"]))
        return outcomes.pop(0)

    worker = Background("test")
    worker.start()
    deliveries = Deliveries("line", inbox, worker, answer, capacity=10)
    old_delay, background.RETRY_DELAY = background.RETRY_DELAY, 0.0
    try:
        assert await deliveries.accept([("e1", TEXT)]) == [True]
        await worker.drain()
        assert journal_texts(state_db) == [] and inbox.pending() == 1
        time.sleep(0.01)
        assert await deliveries.claim() == 1
        await worker.drain()
        assert journal_texts(state_db) == ["ทะเบียนวัด"] and inbox.pending() == 0
    finally:
        background.RETRY_DELAY = old_delay
        await worker.stop()
        inbox.close()
        journal.close()


class CountingDatabase:
    """A Database that notes each statement sent (BEGIN and COMMIT included)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.dialect = real.dialect
        self.sent: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.sent.append(sql.split()[0])
        return self.real.execute(sql, params)

    def executemany(self, sql: str, seq: Any) -> Any:
        self.sent.append(sql.split()[0])
        return self.real.executemany(sql, seq)

    def transaction(self) -> Any:
        import contextlib

        @contextlib.contextmanager
        def counted() -> Any:
            self.sent.append("BEGIN")
            with self.real.transaction() as tx:
                yield _CountingTx(tx, self.sent)
            self.sent.append("COMMIT")

        return counted()

    def close(self) -> None:
        self.real.close()


class _CountingTx:
    def __init__(self, tx: Any, sent: list[str]) -> None:
        self.tx, self.sent = tx, sent

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.sent.append(sql.split()[0])
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, seq: Any) -> Any:
        self.sent.append(sql.split()[0])
        return self.tx.executemany(sql, seq)


def test_on_postgresql_an_accept_and_a_done_with_its_journal_row_are_one_statement_each(
    postgres: Any,
) -> None:
    """issue 11.1: each webhook event cost ten statements on PostgreSQL (an accept: BEGIN, two
    INSERTs, COMMIT; a done with its journal row: BEGIN, DELETE, SAVEPOINT, INSERT, RELEASE,
    COMMIT), each a round trip and the server's CPU on the same machine. Now one each; a journal
    row the database refuses still costs nothing else (the savepoints come back for that write)."""
    from bot.journal import Journal

    url = postgres.database_url()
    journal = Journal(url, "secret")
    inbox = Inbox(url)
    counting = CountingDatabase(inbox._db)
    inbox._db = counting  # type: ignore[assignment]
    try:
        assert inbox.accept("line", [("e1", TEXT)]) == [True]
        assert inbox.accept("line", [("e1", TEXT)]) == [False]
        assert inbox.accept("line", [("e2", None)]) == [True]
        assert counting.sent == ["WITH"] * 3 and inbox.pending() == 1
        counting.sent.clear()
        inbox.done("line", "e1", journal_items(journal, "U1", "ทะเบียนวัด"))
        assert counting.sent == ["WITH"] and inbox.pending() == 0
        assert journal_texts(url) == ["ทะเบียนวัด"]
        # several writes of one group commit: one transaction, still one statement each
        inbox.accept("line", [("e3", TEXT), ("e4", TEXT)])
        counting.sent.clear()
        bad = [("row", (*row[:4], None, *row[5:])) for _, row in journal_items(journal, "U4", "x")]
        inbox.apply("line", [("done", ("e3", journal_items(journal, "U3", "วัด 3"))), ("done", ("e4", bad))])
        assert counting.sent[:4] == ["BEGIN", "WITH", "WITH", "BEGIN"]  # refused, rolled back
        assert "SAVEPOINT" in counting.sent[4:]  # and written again with savepoints
        assert inbox.pending() == 0 and journal_texts(url) == ["ทะเบียนวัด", "วัด 3"]
    finally:
        inbox.close()
        journal.close()
        postgres.drop(url)
