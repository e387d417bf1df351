"""Webhook de-duplication that survives restarts and is shared by every worker process.

LINE redelivers events (same ``webhookEventId``) and Telegram retries updates (same
``update_id``) whenever an answer was slow or failed. A small table in the state database
remembers what was handled for a day; a bounded in-memory set in front spares the database the
common case of a redelivery to the same process.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

__all__ = ["RecentIds", "SeenEvents"]

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600
_PURGE_EVERY = 1000


class RecentIds:
    """A bounded set of recently seen ids (oldest forgotten first), for one process."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """True when ``key`` is new (and remember it), False when it was seen recently."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class SeenEvents:
    """``first_time(platform, event_id)`` is True exactly once per event across processes and
    restarts (within KEEP_SECONDS). If the database cannot be written, it falls back to memory
    and says so in the log: better a rare duplicate than a lost message."""

    def __init__(self, path: Path) -> None:
        self._memory = RecentIds()
        self._lock = threading.Lock()
        self._count = 0
        self._db: sqlite3.Connection | None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS seen_events "
                "(key TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID"
            )
        except (OSError, sqlite3.Error):
            log.exception("webhook de-duplication falls back to memory: state database unusable")
            self._db = None

    def first_time(self, platform: str, event_id: str) -> bool:
        key = f"{platform}:{event_id}"
        with self._lock:
            if not self._memory.add(key):
                return False
            if self._db is None:
                return True
            try:
                now = time.time()
                with self._db:
                    new = self._db.execute(
                        "INSERT OR IGNORE INTO seen_events VALUES (?, ?)", (key, now)
                    ).rowcount
                    self._count += 1
                    if self._count % _PURGE_EVERY == 0:
                        self._db.execute("DELETE FROM seen_events WHERE at < ?", (now - KEEP_SECONDS,))
                return bool(new)
            except sqlite3.Error:
                log.exception("webhook de-duplication: state database write failed")
                return True

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
