"""Per-chat memory between messages: the last list shown, its page, filters and facets.

Kept in SQLite (WAL, busy_timeout) so a restart does not forget a conversation in progress; a
context untouched for ``ttl`` seconds is gone. Chats are keyed by an HMAC of (platform, chat_id):
raw chat ids, which are user ids in private chats, are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

__all__ = ["CONTEXT_TTL", "ChatContext", "ContextStore"]

log = logging.getLogger(__name__)

#: a conversation is forgotten after 30 minutes of silence
CONTEXT_TTL = 30 * 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chat_context (
  chat_key TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_context_updated ON chat_context(updated);
"""


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What a chat was last shown. ``all_names`` is the list as found (postbacks "d:<n>" index it,
    so old buttons keep working after narrowing); ``names`` is that list after ``filters``."""

    kind: str = ""  # "search", "agency", "latest" or "" (nothing shown yet)
    query: str = ""
    corrected: str = ""
    all_names: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    page: int = 0
    filters: dict[str, str] = field(default_factory=dict)
    #: the narrowing choices offered last: {"org": [...], "fmt": [...], "yr": [...]}
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_list(self) -> bool:
        return bool(self.names)

    def with_(self, **changes: object) -> ChatContext:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> str:
        # not dataclasses.asdict: it deep-copies every name, and this runs for every message
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ChatContext:
        raw = json.loads(text)
        return cls(
            kind=str(raw.get("kind", "")),
            query=str(raw.get("query", "")),
            corrected=str(raw.get("corrected", "")),
            all_names=tuple(raw.get("all_names") or ()),
            names=tuple(raw.get("names") or ()),
            page=int(raw.get("page", 0)),
            filters={str(k): str(v) for k, v in (raw.get("filters") or {}).items()},
            facets={str(k): [str(x) for x in v] for k, v in (raw.get("facets") or {}).items()},
        )


class ContextStore:
    """Chat contexts in one SQLite file (or ``":memory:"``). Thread-safe; one connection guarded
    by a lock (each operation is a single short statement)."""

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        ttl: float = CONTEXT_TTL,
        key: bytes | str = b"khomun-context",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self.ttl = ttl
        self._key = key.encode() if isinstance(key, str) else key
        self._clock = clock
        self._lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._writes = 0

    def chat_key(self, platform: str, chat_id: str) -> str:
        return hmac.new(self._key, f"{platform}:{chat_id}".encode(), hashlib.sha256).hexdigest()[:32]

    def get(self, platform: str, chat_id: str) -> ChatContext:
        """The chat's context, or an empty one when there is none or it expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT data, updated FROM chat_context WHERE chat_key = ?",
                (self.chat_key(platform, chat_id),),
            ).fetchone()
        if row is None or row[1] < self._clock() - self.ttl:
            return ChatContext()
        try:
            return ChatContext.from_json(row[0])
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable chat context dropped", extra={"platform": platform})
            return ChatContext()

    def put(self, platform: str, chat_id: str, ctx: ChatContext) -> None:
        now = self._clock()
        with self._lock:
            self._db.execute(
                "INSERT INTO chat_context (chat_key, data, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(chat_key) DO UPDATE SET data = excluded.data, updated = excluded.updated",
                (self.chat_key(platform, chat_id), ctx.to_json(), now),
            )
            self._writes += 1
            if self._writes % 500 == 0:
                self._db.execute("DELETE FROM chat_context WHERE updated < ?", (now - self.ttl,))

    def purge(self) -> int:
        """Delete expired contexts; returns how many."""
        with self._lock:
            cur = self._db.execute("DELETE FROM chat_context WHERE updated < ?", (self._clock() - self.ttl,))
            return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
