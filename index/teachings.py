"""What staff taught the bot: everyday words for catalog terms, and datasets pinned to a query.

Kept in the state database (``state``: SQLite, or PostgreSQL shared by every instance), next to
the journal, so teachings survive index rebuilds. The engine reads them on every query, so reads
are served from memory and reloaded only when the ``teachings`` change counter (``state_versions``,
bumped by triggers in the transaction of any change) has moved: another process or instance, or
anyone with SQL, changed something. SQLite looks at the counter on every read; PostgreSQL at most
every ``PG_RECHECK`` seconds (a round trip per query would cost more than the search). Nothing is
deleted: undo marks a row with ``undone_at``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from state import Rows, Target, open_database

from .text import has_thai, normalize

__all__ = ["Teaching", "TeachingError", "TeachingStore", "normalize_word"]

Kind = Literal["synonym", "pin"]

#: seconds between two looks at the change counter on PostgreSQL
PG_RECHECK = 0.25
_TABLES: dict[str, str] = {"synonym": "teach_synonyms", "pin": "teach_pins"}


class TeachingError(ValueError):
    """A teaching that cannot be stored (empty word, no terms, no datasets)."""


@dataclass(frozen=True, slots=True)
class Teaching:
    kind: Kind
    id: int
    #: the everyday word (synonym) or the query key (pin)
    subject: str
    #: catalog terms (synonym) or dataset names (pin)
    values: tuple[str, ...]
    example: str
    created_at: str
    created_by: str


def normalize_word(word: str) -> str:
    """A word as the query parser looks it up: normalised, Thai written without spaces."""
    word = normalize(word)
    return word.replace(" ", "") if has_thai(word) else word


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _clean(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


class TeachingStore:
    """The Teachings protocol of index.search over the state database; thread-safe."""

    def __init__(self, path: Target) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_database(path)
        self._recheck = PG_RECHECK if self._db.dialect == "postgresql" else 0.0
        self._checked = 0.0
        self._version: int | None = None
        self._synonyms: dict[str, tuple[str, ...]] = {}
        self._pins: dict[str, tuple[str, ...]] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads (every query) ---------------------------------------------------------------------
    def _fresh(self) -> None:
        """Reload the cache if anything committed since the last load (caller holds the lock)."""
        if self._recheck and self._version is not None:
            now = time.monotonic()
            if now - self._checked < self._recheck:
                return
            self._checked = now
        version = int(
            self._db.execute("SELECT version FROM state_versions WHERE name = 'teachings'").fetchone()[0]
        )
        if version == self._version:
            return
        synonyms: dict[str, list[str]] = {}
        for word, terms in self._db.execute(
            "SELECT word, terms FROM teach_synonyms WHERE undone_at IS NULL ORDER BY id DESC"
        ):
            synonyms.setdefault(word, [])
            synonyms[word] += [t for t in json.loads(terms) if t not in synonyms[word]]
        pins: dict[str, list[str]] = {}
        for key, names in self._db.execute(
            "SELECT key, names FROM teach_pins WHERE undone_at IS NULL ORDER BY id DESC"
        ):
            pins.setdefault(key, [])
            pins[key] += [n for n in json.loads(names) if n not in pins[key]]
        self._synonyms = {w: tuple(t) for w, t in synonyms.items()}
        self._pins = {k: tuple(n) for k, n in pins.items()}
        self._version = version

    def synonyms(self) -> Mapping[str, Sequence[str]]:
        with self._lock:
            self._fresh()
            return self._synonyms

    def pinned(self, key: str) -> Sequence[str]:
        with self._lock:
            self._fresh()
            return self._pins.get(key.strip(), ())

    # -- writes (staff) --------------------------------------------------------------------------
    def _write(self, sql: str, params: Sequence[object]) -> Rows:
        """One change (its trigger bumps the counter); reload at the next read."""
        with self._lock:
            rows = self._db.execute(sql, params)
            self._version = None
            return rows

    def add_synonym(self, word: str, terms: Sequence[str], created_by: str = "") -> int:
        """Teach that ``word`` (as people type it) means ``terms`` (as the catalog says it)."""
        clean_word = normalize_word(word)
        clean_terms = [normalize(t) for t in _clean(terms)]
        clean_terms = [t for t in clean_terms if t and t != clean_word]
        if not clean_word or not clean_terms:
            raise TeachingError("a synonym needs a word and at least one different catalog term")
        cur = self._write(
            "INSERT INTO teach_synonyms (word, terms, created_at, created_by)"
            " VALUES (?, ?, ?, ?) RETURNING id",
            (clean_word, json.dumps(clean_terms, ensure_ascii=False), _now(), created_by),
        )
        return int(cur.fetchone()[0])

    def pin(self, key: str, names: Sequence[str], example: str = "", created_by: str = "") -> int:
        """Put datasets ``names`` first for every query whose key is ``key``."""
        clean_key = " ".join(key.split())
        clean_names = _clean(names)
        if not clean_key or not clean_names:
            raise TeachingError("a pin needs a query key and at least one dataset")
        cur = self._write(
            "INSERT INTO teach_pins (key, names, example, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (clean_key, json.dumps(clean_names, ensure_ascii=False), example, _now(), created_by),
        )
        return int(cur.fetchone()[0])

    def undo(self, kind: str, teaching_id: int) -> bool:
        """Withdraw one teaching; False if there was no such active teaching. ``kind`` comes from
        a form: anything but a Kind raises TeachingError."""
        table = _TABLES.get(kind)
        if table is None:
            raise TeachingError(f"unknown teaching kind {kind!r}")
        cur = self._write(
            f"UPDATE {table} SET undone_at = ? WHERE id = ? AND undone_at IS NULL", (_now(), teaching_id)
        )
        return cur.rowcount > 0

    def active(self) -> list[Teaching]:
        """Every teaching in force, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT 'synonym', id, word, terms, '', created_at, created_by FROM teach_synonyms "
                "WHERE undone_at IS NULL UNION ALL "
                "SELECT 'pin', id, key, names, example, created_at, created_by FROM teach_pins "
                "WHERE undone_at IS NULL ORDER BY 6 DESC, 2 DESC"
            ).fetchall()
        return [Teaching(r[0], r[1], r[2], tuple(json.loads(r[3])), r[4], r[5], r[6]) for r in rows]
