"""What staff taught the bot: everyday words for catalog terms, and datasets pinned to a query.

Kept in the state database (SQLite, WAL), next to the journal, so teachings survive index
rebuilds. The engine reads them on every query, so reads are served from memory and reloaded only
when ``PRAGMA data_version`` says another connection (another process, say the staff web app or
the CLI) has committed a change. Nothing is deleted: undo marks a row with ``undone_at``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from .text import has_thai, normalize

__all__ = ["Teaching", "TeachingError", "TeachingStore", "normalize_word"]

Kind = Literal["synonym", "pin"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS teach_synonyms (
  id INTEGER PRIMARY KEY, word TEXT NOT NULL, terms TEXT NOT NULL /* JSON [str] */,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '', undone_at TEXT);
CREATE TABLE IF NOT EXISTS teach_pins (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, names TEXT NOT NULL /* JSON [str] */,
  example TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '',
  undone_at TEXT);
"""
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

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._version: int | None = None
        self._synonyms: dict[str, tuple[str, ...]] = {}
        self._pins: dict[str, tuple[str, ...]] = {}

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads (every query) ---------------------------------------------------------------------
    def _fresh(self) -> None:
        """Reload the cache if anything committed since the last load (caller holds the lock)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
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
    def _write(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        with self._lock:
            cur = self._db.execute(sql, params)
            # our own commits do not move our data_version: force a reload
            self._version = None
            return cur

    def add_synonym(self, word: str, terms: Sequence[str], created_by: str = "") -> int:
        """Teach that ``word`` (as people type it) means ``terms`` (as the catalog says it)."""
        clean_word = normalize_word(word)
        clean_terms = [normalize(t) for t in _clean(terms)]
        clean_terms = [t for t in clean_terms if t and t != clean_word]
        if not clean_word or not clean_terms:
            raise TeachingError("a synonym needs a word and at least one different catalog term")
        cur = self._write(
            "INSERT INTO teach_synonyms (word, terms, created_at, created_by) VALUES (?, ?, ?, ?)",
            (clean_word, json.dumps(clean_terms, ensure_ascii=False), _now(), created_by),
        )
        return int(cur.lastrowid or 0)

    def pin(self, key: str, names: Sequence[str], example: str = "", created_by: str = "") -> int:
        """Put datasets ``names`` first for every query whose key is ``key``."""
        clean_key = " ".join(key.split())
        clean_names = _clean(names)
        if not clean_key or not clean_names:
            raise TeachingError("a pin needs a query key and at least one dataset")
        cur = self._write(
            "INSERT INTO teach_pins (key, names, example, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
            (clean_key, json.dumps(clean_names, ensure_ascii=False), example, _now(), created_by),
        )
        return int(cur.lastrowid or 0)

    def undo(self, kind: Kind, teaching_id: int) -> bool:
        """Withdraw one teaching; False if there was no such active teaching."""
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
