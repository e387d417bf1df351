"""The journal: one row per handled message, in the state DB, for the staff dashboard.

A webhook event's rows (LINE, Telegram) are written with the event: ``rows`` gives them to the
channel, and the inbox writes them (``write``) in the transaction that marks the event answered,
so a killed process never loses the row of a message it answered, and a message it had not yet
answered gets its one row from whichever process answers it.

Web chat and inline queries are buffered: ``record`` appends the row to a buffer and a single
background thread inserts what has gathered every FLUSH_SECONDS (or at once on ``flush``,
``close`` and a full batch), with the same ``write``. Waking the writer for every message would
cost a GIL hand-over per message, which under load was a fifth of the event loop's time. A clean
shutdown flushes; a killed process loses at most the last FLUSH_SECONDS of those rows. Raw user and
chat ids are never stored or logged, only keyed hashes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from intents.types import Message, Turn
from state import Error, SecretKey, Target, create_private, open_database
from state.db import Executor

from .metrics import JOURNAL_QUEUE
from .settings import Settings

__all__ = ["Item", "Journal", "create_private", "insert_with", "load_or_create_secret", "write"]

log = logging.getLogger(__name__)

#: platforms whose messages are not from users (the eval replays judged queries)
NOT_JOURNALED = frozenset({"eval"})
FEEDBACK_VALUES = ("useful", "not_useful")
_BATCH = 200  # rows that wake the writer before FLUSH_SECONDS
FLUSH_SECONDS = 0.5
#: an inline query is held this long before it is written (Telegram sends one per pause in typing)
SETTLE_SECONDS = 3.0
_INSERT = (
    "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
    "results, answered, latency_ms, feedback, chat_hash, confidence) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)"
)
_FEEDBACK = (
    "UPDATE journal SET feedback = ? WHERE id = (SELECT max(id) FROM journal "
    "WHERE chat_hash = ? AND intent = 'search')"
)
#: what the database may refuse of one row (UnicodeEncodeError is a ValueError)
_REFUSED = (*Error, ValueError, OverflowError)
_STOP = object()

#: one thing to write: ("row", the row's values) or ("feedback", chat hash, value)
Item = tuple[Any, ...]


def write(tx: Executor, items: Sequence[Item]) -> int:
    """Write journal items in the caller's transaction ``tx``, under a savepoint: a row the database
    refuses (text the entry points should have cleaned, a number too large) is rolled back alone,
    logged and skipped, and never fails the caller's transaction nor costs another row. How many
    were refused. The one place the journal's rows are written (the writer thread and the inbox;
    ``insert_with`` for the inbox's one-statement fast path on PostgreSQL)."""
    if not items:
        return 0
    try:
        with _savepoint(tx):
            _execute(tx, items)
        return 0
    except _REFUSED:
        pass
    refused: Counter[str] = Counter()
    for item in items:
        try:
            with _savepoint(tx):
                _execute(tx, [item])
        except _REFUSED as err:
            refused[type(err).__name__] += 1
    if refused:
        log.error("journal rows refused", extra={"rows": refused.total(), "errors": dict(refused)})
    return refused.total()


def insert_with(cte: str, params: Sequence[Any], items: Sequence[Item]) -> tuple[str, list[Any]] | None:
    """One statement that runs ``cte`` (a WITH clause: PostgreSQL runs a data-modifying one, such
    as the inbox's DELETE, with the statement) and inserts the rows of ``items``; None when
    ``items`` hold anything but rows (feedback). No savepoint: a row the database refuses fails the
    statement, and the caller writes again with ``write``."""
    if not items or any(item[0] != "row" for item in items):
        return None
    head, _, values = _INSERT.partition(" VALUES ")
    sql = f"{cte} {head} VALUES " + ", ".join([values] * len(items))
    return sql, [*params, *(value for item in items for value in item[1])]


@contextlib.contextmanager
def _savepoint(tx: Executor) -> Iterator[None]:
    tx.execute("SAVEPOINT journal_rows")
    try:
        yield
    except BaseException:
        tx.execute("ROLLBACK TO SAVEPOINT journal_rows")
        tx.execute("RELEASE SAVEPOINT journal_rows")
        raise
    tx.execute("RELEASE SAVEPOINT journal_rows")


def _execute(tx: Executor, items: Sequence[Item]) -> None:
    rows: list[tuple[Any, ...]] = []
    for item in items:
        if item[0] == "row":
            rows.append(item[1])
            continue
        if rows:
            tx.executemany(_INSERT, rows)
            rows = []
        assert item[0] == "feedback", item[0]
        tx.execute(_FEEDBACK, (item[2], item[1]))
    if rows:
        tx.executemany(_INSERT, rows)


def load_or_create_secret(settings: Settings) -> str:
    """KHOMUN_SECRET_KEY, or a key generated on first start and kept in <data_dir>/secret.key."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret.key"
    try:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    os.chmod(path, 0o600)
    log.warning("KHOMUN_SECRET_KEY is not set: generated one and kept it", extra={"path": str(path)})
    return key


class Journal:
    def __init__(self, path: Target, secret: SecretKey | str, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.path = path
        self.settle_seconds = settle_seconds
        self._typing: dict[str, tuple[float, str, tuple[Any, ...]]] = {}
        self._typing_lock = threading.Lock()
        self._secret = SecretKey.of(secret)
        self._db = open_database(path)
        self._pending: deque[Any] = deque()  # append/popleft are atomic: no lock needed
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._thread.start()

    # -- hashing -----------------------------------------------------------------------------
    def hash_id(self, platform: str, raw_id: str) -> str:
        """The id as the journal keeps it (``SecretKey.hash_id`` for "journal"); "" when there is
        none. Rows written before ids were hashed with one derived key per purpose keep their
        hashes (HMAC-SHA256(secret, platform:id)); they cannot be rehashed without the raw ids, so
        for the retention window (KHOMUN_RETENTION_DAYS) a chat that wrote before and after the
        change counts as two, and feedback given after it cannot mark a search made before it."""
        return self._secret.hash_id("journal", platform, raw_id)

    def depth(self) -> int:
        """Rows taken in and not yet written (inline queries still settling included)."""
        return len(self._pending) + len(self._typing)

    # -- writing -----------------------------------------------------------------------------
    def rows(self, message: Message, turn: Turn) -> list[Item]:
        """What this message writes (``write``): its row, and the feedback it gives the chat's
        latest search; nothing when it is not journaled. The database numbers the row, so worker
        processes never clash."""
        if message.platform in NOT_JOURNALED:
            return []
        items: list[Item] = [("row", self._row(message, turn))]
        value = turn.feedback
        if turn.outcome.intent == "feedback" and value in FEEDBACK_VALUES:
            items.append(("feedback", self.hash_id(message.platform, message.chat_id), value))
        return items

    def record(self, message: Message, turn: Turn) -> bool:
        """Queue this message's rows for the writer thread; False when it is not journaled."""
        if self._closed:
            return False
        items = self.rows(message, turn)
        self._pending.extend(items)
        if len(self._pending) >= _BATCH:
            self._wake.set()
        return bool(items)

    def record_typing(self, message: Message, turn: Turn) -> bool:
        """An inline query, which Telegram sends at every pause in typing ("ทะเบ", "ทะเบียน",
        "ทะเบียนวัด"): held for ``settle_seconds``, and dropped when the same user's next query
        extends or shortens it, so the journal keeps the query they settled on."""
        if message.platform in NOT_JOURNALED or self._closed:
            return False
        row = self._row(message, turn)
        user, text = row[3] or message.chat_id, row[4]
        with self._typing_lock:
            held = self._typing.get(user)
            if held is not None and not (text.startswith(held[1]) or held[1].startswith(text)):
                self._pending.append(("row", held[2]))  # another query: the one held stands
            self._typing[user] = (time.monotonic(), text, row)
        return True

    def _settled(self, everything: bool = False) -> list[Any]:
        """Held inline queries whose user has stopped typing (all of them when ``everything``)."""
        if not self._typing:
            return []
        now = time.monotonic()
        with self._typing_lock:
            done = [
                u for u, (t, _, _) in self._typing.items() if everything or now - t >= self.settle_seconds
            ]
            return [("row", self._typing.pop(u)[2]) for u in done]

    def _row(self, message: Message, turn: Turn) -> tuple[Any, ...]:
        out = turn.outcome
        results = [
            {"name": name, "score": float(score)}
            for name, score in zip(out.hits[:10], (*out.scores, *([0.0] * 10))[:10], strict=False)
        ]
        chat_hash = self.hash_id(message.platform, message.chat_id)
        return (
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            message.platform,
            message.chat_type,
            self.hash_id(message.platform, message.user_id),
            message.text or message.postback,
            out.normalized,
            out.key,
            out.intent,
            json.dumps(results, ensure_ascii=False),
            int(out.answered),
            turn.ms,
            chat_hash,
            out.confidence,
        )

    def purge(self, days: int) -> None:
        """Delete rows older than ``days`` (KHOMUN_RETENTION_DAYS), in the writer thread."""
        cutoff = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self._put(("purge", cutoff))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is written."""
        done = threading.Event()
        self._put(("sync", done))
        done.wait(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._put(_STOP)
        self._thread.join(timeout=10)
        self._db.close()

    def _put(self, item: Any) -> None:
        """Queue an item and wake the writer now."""
        self._pending.append(item)
        self._wake.set()

    # -- the writer thread -------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            JOURNAL_QUEUE.set(self.depth())
            items: list[Any] = []
            while self._pending:
                items.append(self._pending.popleft())
            stop = any(item is _STOP for item in items)
            items = self._settled(everything=stop) + items
            if not items:
                continue
            try:
                self._write([i for i in items if i is not _STOP])
            except Exception:
                log.exception("journal write failed", extra={"rows": len(items)})
                for item in items:  # never leave a flush() waiting
                    if isinstance(item, tuple) and item[0] == "sync":
                        item[1].set()
            if stop:
                return

    def _write(self, items: list[Any]) -> None:
        """Rows and feedback in one transaction per run between a purge or a sync (in order)."""
        batch: list[Item] = []
        for item in [*items, None]:
            if item is not None and item[0] in ("row", "feedback"):
                batch.append(item)
                continue
            if batch:
                try:
                    with self._db.transaction() as tx:
                        write(tx, batch)
                except Error:
                    log.exception("journal write failed", extra={"rows": len(batch)})
                batch = []
            if item is None:
                break
            if item[0] == "purge":
                deleted = self._db.execute("DELETE FROM journal WHERE ts < ?", (item[1],)).rowcount
                if deleted:
                    log.info("journal rows past retention deleted", extra={"rows": deleted})
            elif item[0] == "sync":
                item[1].set()
