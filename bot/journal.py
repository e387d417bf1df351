"""The journal: one row per handled message, in the state DB, for the staff dashboard.

Writes never hold up a reply: ``record`` appends the row to a buffer and a single background thread
inserts what has gathered every FLUSH_SECONDS (or at once on ``flush``, ``close`` and a full
batch). Waking the writer for every message would cost a GIL hand-over per message, which under
load was a fifth of the event loop's time. A clean shutdown flushes; a killed process loses at
most the last FLUSH_SECONDS of rows. Raw user and chat ids are never stored or logged, only
keyed hashes.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from intents.types import Message, Turn
from state import Error, SecretKey, Target, create_private, open_database

from .metrics import JOURNAL_QUEUE
from .settings import Settings

__all__ = ["Journal", "create_private", "load_or_create_secret"]

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
_STOP = object()


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
    def record(self, message: Message, turn: Turn) -> bool:
        """Queue one row for this message (SQLite numbers it, so worker processes never clash);
        False when it is not journaled."""
        if message.platform in NOT_JOURNALED or self._closed:
            return False
        self._pending.append(("row", self._row(message, turn)))
        value = turn.feedback
        if turn.outcome.intent == "feedback" and value in FEEDBACK_VALUES:
            self._pending.append(("feedback", self.hash_id(message.platform, message.chat_id), value))
        if len(self._pending) >= _BATCH:
            self._wake.set()
        return True

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
        pending: list[tuple[Any, ...]] = []
        for item in items:
            if item[0] == "row":
                pending.append(item[1])
                continue
            self._insert(pending)
            pending = []
            if item[0] == "feedback":
                self._db.execute(
                    "UPDATE journal SET feedback = ? WHERE id = (SELECT max(id) FROM journal "
                    "WHERE chat_hash = ? AND intent = 'search')",
                    (item[2], item[1]),
                )
            elif item[0] == "purge":
                deleted = self._db.execute("DELETE FROM journal WHERE ts < ?", (item[1],)).rowcount
                if deleted:
                    log.info("journal rows past retention deleted", extra={"rows": deleted})
            elif item[0] == "sync":
                item[1].set()
        self._insert(pending)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        """One transaction for the batch; when it fails, row by row, so one row that the database
        refuses (text the entry points should have cleaned, a number too large) never costs the
        others."""
        if not rows:
            return
        try:
            with self._db.transaction() as tx:
                tx.executemany(_INSERT, rows)
            return
        except (*Error, ValueError, OverflowError):  # UnicodeEncodeError is a ValueError
            pass
        refused: dict[str, int] = {}
        for row in rows:
            try:
                self._db.execute(_INSERT, row)
            except (*Error, ValueError, OverflowError) as err:
                refused[type(err).__name__] = refused.get(type(err).__name__, 0) + 1
        if refused:
            log.error("journal rows refused", extra={"rows": sum(refused.values()), "errors": refused})
