"""Follows: saved searches (or agencies) a chat wants to hear about, and what was sent for them.

Kept in the state database. A follow holds the platform's raw chat id, because an alert has to be
pushed to it: that id is kept only while the chat follows something, and deleted with its last
follow (``unfollow``, ``unfollow_all``, a blocked bot, LINE's unfollow event). ``feed_id`` is an
unguessable token for the follow's Atom feed.

Alerts are sent at most once per (chat, dataset, modification): ``claim`` records the datasets as
"sending" before anything goes out, ``settle`` marks them sent (or releases them when the message
surely did not go), so a run that crashes midway, or a second run, never sends a dataset twice.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from state import open_database

__all__ = ["MAX_FOLLOWS", "Follow", "FollowStore"]

#: follows one chat may keep
MAX_FOLLOWS = 20


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    feed_id: str
    platform: str
    chat_id: str
    kind: str  # "query" or "agency"
    query: str  # the saved search, or the agency's name
    topic: str  # what it is about, in a few words, as the bot says it
    created: str
    since: str  # datasets modified after this are news for it


_COLUMNS = "id, feed_id, platform, chat_id, kind, query, topic, created, since"


class FollowStore:
    """Follows in the state database at ``path`` (a SQLite file, ``":memory:"`` or a
    postgresql:// URL); thread-safe behind one lock."""

    def __init__(self, path: Path | str = ":memory:", *, clock: Callable[[], str] = _now) -> None:
        self.path = str(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = open_database(path)

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[Follow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM follows {sql}", tuple(args)).fetchall()
        return [Follow(*r) for r in rows]

    # -- a chat's follows -----------------------------------------------------------------------
    def add(
        self, platform: str, chat_id: str, kind: str, query: str, topic: str, since: str
    ) -> Follow | None:
        """The new follow, or None when the chat already follows it (the existing one stays)."""
        with self._lock:
            row = self._db.execute(
                "INSERT INTO follows"
                " (feed_id, platform, chat_id, kind, query, topic, created, since)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (secrets.token_urlsafe(18), platform, chat_id, kind, query, topic, self._clock(), since),
            ).fetchone()
        if row is None:
            return None
        return self.get(int(row[0]))

    def get(self, follow_id: int) -> Follow | None:
        found = self._rows("WHERE id = ?", (follow_id,))
        return found[0] if found else None

    def by_feed(self, feed_id: str) -> Follow | None:
        found = self._rows("WHERE feed_id = ?", (feed_id,))
        return found[0] if found else None

    def of_chat(self, platform: str, chat_id: str) -> list[Follow]:
        return self._rows("WHERE platform = ? AND chat_id = ? ORDER BY id", (platform, chat_id))

    def find(self, platform: str, chat_id: str, kind: str, query: str) -> Follow | None:
        found = self._rows(
            "WHERE platform = ? AND chat_id = ? AND kind = ? AND query = ?", (platform, chat_id, kind, query)
        )
        return found[0] if found else None

    def remove(self, platform: str, chat_id: str, follow_id: int) -> Follow | None:
        """Remove the chat's follow ``follow_id`` (another chat's is left alone); the removed one."""
        follow = self.get(follow_id)
        if follow is None or (follow.platform, follow.chat_id) != (platform, chat_id):
            return None
        with self._lock:
            self._db.execute("DELETE FROM follows WHERE id = ?", (follow_id,))
        self._forget_if_gone(platform, chat_id)
        return follow

    def remove_all(self, platform: str, chat_id: str) -> int:
        """Forget the chat entirely: its follows, and with them its raw id and what it was sent."""
        with self._lock:
            n = self._db.execute(
                "DELETE FROM follows WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            ).rowcount
        self._forget_if_gone(platform, chat_id)
        return n

    def _forget_if_gone(self, platform: str, chat_id: str) -> None:
        with self._lock:
            left = self._db.execute(
                "SELECT 1 FROM follows WHERE platform = ? AND chat_id = ? LIMIT 1", (platform, chat_id)
            ).fetchone()
            if left is None:
                self._db.execute(
                    "DELETE FROM alert_sent WHERE platform = ? AND chat_id = ?", (platform, chat_id)
                )
                self._db.execute(
                    "DELETE FROM push_log WHERE platform = ? AND chat_id = ?", (platform, chat_id)
                )

    # -- alerts -----------------------------------------------------------------------------------
    def all(self) -> list[Follow]:
        return self._rows("ORDER BY platform, chat_id, id")

    def advance(self, follow_ids: Iterable[int], since: str) -> None:
        """Datasets modified up to ``since`` are no longer news for these follows."""
        with self._lock:
            self._db.executemany(
                "UPDATE follows SET since = ? WHERE id = ? AND since < ?",
                [(since, i, since) for i in follow_ids],
            )

    def unsent(self, platform: str, chat_id: str, items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (dataset, modified) pairs this chat has not been sent (nor is being sent)."""
        with self._lock:
            return [
                (name, modified)
                for name, modified in items
                if self._db.execute(
                    "SELECT 1 FROM alert_sent WHERE platform = ? AND chat_id = ?"
                    " AND dataset = ? AND modified = ?",
                    (platform, chat_id, name, modified),
                ).fetchone()
                is None
            ]

    def claim(self, platform: str, chat_id: str, items: Iterable[tuple[str, str]]) -> None:
        """Record these datasets as being sent, before sending (a crash after this never resends)."""
        at = self._clock()
        with self._lock:
            self._db.executemany(
                "INSERT INTO alert_sent (platform, chat_id, dataset, modified, state, at)"
                " VALUES (?, ?, ?, ?, 'sending', ?) ON CONFLICT DO NOTHING",
                [(platform, chat_id, n, m, at) for n, m in items],
            )

    def settle(self, platform: str, chat_id: str, items: Iterable[tuple[str, str]], sent: bool) -> None:
        """After sending: mark them sent, or release them when the message surely did not go."""
        rows = [(platform, chat_id, n, m) for n, m in items]
        with self._lock:
            if sent:
                self._db.executemany(
                    "UPDATE alert_sent SET state = 'sent' WHERE platform = ? AND chat_id = ?"
                    " AND dataset = ? AND modified = ?",
                    rows,
                )
            else:
                self._db.executemany(
                    "DELETE FROM alert_sent WHERE platform = ? AND chat_id = ?"
                    " AND dataset = ? AND modified = ?",
                    rows,
                )

    def pushes(self, platform: str, chat_id: str, day: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT messages FROM push_log WHERE platform = ? AND chat_id = ? AND day = ?",
                (platform, chat_id, day),
            ).fetchone()
        return int(row[0]) if row else 0

    def pushes_in_month(self, platform: str, month: str) -> int:
        """Messages pushed on ``platform`` in ``month`` ("2026-11"), whoever got them."""
        with self._lock:
            row = self._db.execute(
                "SELECT messages FROM push_month WHERE platform = ? AND month = ?", (platform, month)
            ).fetchone()
        return int(row[0]) if row else 0

    def record_push(self, platform: str, chat_id: str, day: str) -> None:
        """One message pushed to ``chat_id`` on ``day`` ("2026-11-05")."""
        with self._lock:
            self._db.execute(
                "INSERT INTO push_log (platform, chat_id, day, messages) VALUES (?, ?, ?, 1)"
                " ON CONFLICT(platform, chat_id, day) DO UPDATE SET messages = push_log.messages + 1",
                (platform, chat_id, day),
            )
            self._db.execute(
                "INSERT INTO push_month (platform, month, messages) VALUES (?, ?, 1)"
                " ON CONFLICT(platform, month) DO UPDATE SET messages = push_month.messages + 1",
                (platform, day[:7]),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
