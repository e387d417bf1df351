"""Per-chat memory between messages: the list on screen (its page, filters and facets) and the
few lists shown before it, so a button on an older carousel still acts on the list it came from.

Kept in the state database (``state``: SQLite, or PostgreSQL shared by every instance) so a
restart, or the next message reaching another instance, does not forget a conversation in
progress; a context untouched for ``ttl`` seconds is gone. Chats are keyed by an HMAC of (platform, chat_id):
raw chat ids, which are user ids in private chats, are never stored.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from state import SecretKey, open_database

__all__ = ["CONTEXT_TTL", "KEEP_LISTS", "ChatContext", "ContextStore"]

log = logging.getLogger(__name__)

#: a conversation is forgotten after 30 minutes of silence
CONTEXT_TTL = 30 * 60
#: lists a chat remembers: the one on screen and the ones before it (older buttons then expire)
KEEP_LISTS = 5
#: the fields that make up one list; ``recent`` holds earlier lists as dicts of these
_LIST_FIELDS = ("list_id", "kind", "query", "corrected", "all_names", "names", "page", "filters", "facets")


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What a chat was last shown. ``all_names`` is the list as found, ``names`` that list after
    ``filters`` (cards are numbered by their place in ``names``). Narrowing or a new search makes
    a new list with a new ``list_id``; the earlier ones stay in ``recent`` (newest first, at most
    KEEP_LISTS in all) for the buttons that were shown with them."""

    list_id: str = ""
    kind: str = ""  # "search", "agency", "latest" or "" (nothing shown yet)
    query: str = ""
    corrected: str = ""
    all_names: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    page: int = 0
    filters: dict[str, str] = field(default_factory=dict)
    #: the narrowing choices offered last: {"org": [...], "fmt": [...], "yr": [...]}
    facets: dict[str, list[str]] = field(default_factory=dict)
    recent: tuple[dict[str, object], ...] = ()

    @property
    def has_list(self) -> bool:
        return bool(self.names)

    def _snapshot(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in _LIST_FIELDS}

    def _older(self) -> tuple[dict[str, object], ...]:
        """``recent`` with the list on screen in front, when there is one."""
        if not self.list_id:
            return self.recent
        return (self._snapshot(), *(r for r in self.recent if r.get("list_id") != self.list_id))

    def new_list(self, list_id: str, **fields_: object) -> ChatContext:
        """A new list on screen; the current one joins ``recent``."""
        fresh = ChatContext(list_id=list_id, **fields_)  # type: ignore[arg-type]
        return replace(fresh, recent=self._older()[: KEEP_LISTS - 1])

    def switch_to(self, list_id: str) -> ChatContext | None:
        """The context with list ``list_id`` on screen (the current one joining ``recent``), or
        None when the chat no longer remembers that list."""
        if list_id == self.list_id:
            return self
        for snap in self.recent:
            if snap.get("list_id") == list_id:
                shown = ChatContext.from_json(json.dumps(snap))
                rest = tuple(r for r in self._older() if r.get("list_id") != list_id)
                return replace(shown, recent=rest[: KEEP_LISTS - 1])
        return None

    def with_(self, **changes: object) -> ChatContext:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> str:
        # not dataclasses.asdict: it deep-copies every name, and this runs for every message
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ChatContext:
        raw = json.loads(text)
        recent = raw.get("recent") or ()
        return cls(
            list_id=str(raw.get("list_id", "")),
            kind=str(raw.get("kind", "")),
            query=str(raw.get("query", "")),
            corrected=str(raw.get("corrected", "")),
            all_names=tuple(raw.get("all_names") or ()),
            names=tuple(raw.get("names") or ()),
            page=int(raw.get("page", 0)),
            filters={str(k): str(v) for k, v in (raw.get("filters") or {}).items()},
            facets={str(k): [str(x) for x in v] for k, v in (raw.get("facets") or {}).items()},
            recent=tuple(r for r in recent[: KEEP_LISTS - 1] if isinstance(r, dict)),
        )


class ContextStore:
    """Chat contexts in the state database at ``path`` (a SQLite file, ``":memory:"`` or a
    postgresql:// URL), each under its chat's id hashed with ``key`` (the service's secret key;
    the same key finds them again after a restart or in another process). Thread-safe (each
    operation is a single short statement)."""

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        key: SecretKey | str,
        ttl: float = CONTEXT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = str(path)
        self.ttl = ttl
        self._key = SecretKey.of(key)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = open_database(path)
        self._writes = 0

    def chat_key(self, platform: str, chat_id: str) -> str:
        return self._key.hash_id("context", platform, chat_id)

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
