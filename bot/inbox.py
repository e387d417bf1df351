"""The inbox: every webhook event answered 200 is kept in the state database until its reply is sent.

A channel calls ``accept`` before it answers a webhook: one transaction remembers each event's key
(for de-duplication, a day: LINE redelivers the same ``webhookEventId`` and Telegram retries the
same ``update_id``) and, for an event that gets a reply, the little needed to answer it (the
payload: chat, text, reply token; never names or whole bodies). When the reply has gone out,
``done`` deletes the row, text and all; only the key stays. If the database cannot record an event,
``accept`` raises ``InboxUnavailable`` and the webhook answers 503, so the platform redelivers.
``done`` also writes the event's journal rows (``bot.journal.write``) in its transaction: a message
marked answered has its row, and one not yet marked gets it from whoever answers it. A row the
database refuses is skipped (logged) under a savepoint: it never keeps the event from being done.

Each row is leased by the process that accepted it; ``renew`` extends this process's leases. A row
whose lease ran out (its process died), or whose owner on this host is no longer running, is
taken over by ``claim`` in any process or instance, which answers it. ``release`` hands a row back
for a later attempt (the platform's API failed); ``claim`` counts attempts and gives up on a row
after ``MAX_ATTEMPTS`` takeovers, so one message that kills its process cannot kill every restart.

The tables are the state database's (``state``): SQLite in WAL mode with synchronous=NORMAL (a
commit is not flushed to disk, so a power cut, not a killed process, can lose the last commits; see
README), or PostgreSQL with DATABASE_URL, where every instance shares one inbox: an event id
delivered to two instances is accepted by one, and ``claim`` takes rows with ``FOR UPDATE SKIP
LOCKED``, so two instances never take the same row.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from state import Error, Refused, Rows, Target, is_locked, open_database

from . import journal

__all__ = ["Busy", "Inbox", "InboxUnavailable", "Pending"]

log = logging.getLogger(__name__)

#: how long an event id is remembered for de-duplication (seconds)
KEEP_SECONDS = 24 * 3600
#: how long a row stays with its process without a renewal (seconds); renewed every third of it
LEASE_SECONDS = 10.0
#: takeovers of one row before it is given up (logged, deleted)
MAX_ATTEMPTS = 5
_PURGE_EVERY = 1000

#: PostgreSQL: an event accepted in one statement (remembered, and kept when it has a payload);
#: the count says whether it was new
_ACCEPT_ONE = (
    "WITH seen AS (INSERT INTO seen_events (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING key),"
    " kept AS (INSERT INTO inbox (key, platform, payload, received, owner, lease_until)"
    " SELECT key, ?, ?, ?, ?, ? FROM seen WHERE ? RETURNING key)"
    " SELECT count(*) FROM seen"
)
_DONE = "DELETE FROM inbox WHERE key = ?"
_RELEASE = "UPDATE inbox SET owner = '', lease_until = ? WHERE key = ?"
_PURGE = "DELETE FROM seen_events WHERE at < ?"
Statement = tuple[str, list[Any]]

# (the tables: seen_events and inbox, in state.migrations) no index on leases: the table holds only
# unanswered events (a few hundred at most), and every index page is one more page written per webhook


class InboxUnavailable(Exception):
    """The state database could not record the events: answer 503 so the platform redelivers."""


class Busy(Exception):
    """Another connection holds the database's write lock (only with ``wait=0``): try again."""


@dataclass(frozen=True, slots=True)
class Pending:
    """One event to answer: its platform id, what is needed to answer it, when it first arrived
    (epoch seconds), and how many times it was taken over (0: accepted by this process now)."""

    event_id: str
    payload: dict[str, Any]
    received: float
    attempts: int = 0


_NONCE = secrets.token_hex(4)  # per process: tells a restart from its predecessor with the same pid


def process_owner() -> str:
    """host:pid:nonce, the same for every Inbox in this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{_NONCE}"


def _dead_here(owner: str, me: str) -> bool:
    """True when ``owner`` ran on this host and that process is gone."""
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    my_host = me.partition(":")[0]
    if host != my_host or not pid_text.isdigit() or owner == me:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # same pid, another nonce: this process's predecessor (a container restart)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


class Inbox:
    """The webhook inbox of one process, in the state database at ``path``."""

    def __init__(
        self, path: Target, lease_seconds: float = LEASE_SECONDS, owner: str | None = None, wait: float = 5.0
    ) -> None:
        """``wait``: seconds to wait for another writer's lock; 0 raises ``Busy`` at once instead,
        for callers on an event loop that must never sleep in SQLite (``bot.background``); on
        PostgreSQL there is no database-wide write lock and ``Busy`` is never raised."""
        self.owner = owner or process_owner()
        self.lease_seconds = lease_seconds
        self._lock = threading.Lock()
        self._accepted = 0
        self.path = path
        # with wait=0 the WAL is never checkpointed on this connection (it serves an event loop)
        # but by ``checkpoint`` (from a thread) or the journal's writer thread
        self._db = open_database(path, wait=wait)
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""

    # -- writing ------------------------------------------------------------------------------
    def accept(self, platform: str, events: Sequence[tuple[str, dict[str, Any] | None]]) -> list[bool]:
        """Record ``(event_id, payload)`` pairs in one transaction; for each, True when it is new.
        A new event with a payload is pending until ``done``; one without (nothing to answer) is
        only remembered. Raises InboxUnavailable when nothing could be recorded."""
        result: list[bool] = self.apply(platform, [("accept", events)])[0]
        return result

    def done(self, platform: str, event_id: str, rows: Sequence[journal.Item] = ()) -> None:
        """The reply went out (or will never be sent): forget the payload, write the journal's
        ``rows`` for the event."""
        self.apply(platform, [("done", (event_id, rows))])

    def release(self, platform: str, event_id: str, delay: float) -> None:
        """Hand the row back: any process may take it over ``delay`` seconds from now."""
        self.apply(platform, [("release", (event_id, delay))])

    def apply(self, platform: str, ops: Sequence[tuple[str, Any]]) -> list[Any]:
        """Several ``("accept", events)``, ``("done", (event_id, journal rows))``, ``("release",
        (event_id, delay))`` and ``("sent", (event_id, parts))`` (the payload's ``sent_parts``: how
        many messages of a reply in several have gone out, so a takeover sends only the rest) in
        one transaction, a group commit: what an event loop gathered in one turn takes the write
        lock once; the journal rows of its done events go in with one insert. The results in order
        (accept: which events are new). Raises Busy (``wait=0``, another writer holds the lock) or
        InboxUnavailable; either way nothing was written. A journal row the database refuses
        fails nothing (``journal.write``)."""
        now = time.time()
        rows: list[journal.Item] = []
        with self._lock:
            try:
                out = None
                if self._db.dialect == "postgresql":
                    try:
                        out = self._apply_statements(platform, ops, now)
                    except Refused:  # a journal row the database refused: nothing was written
                        out = None
                if out is None:
                    with self._db.transaction() as tx:
                        out = [self._apply(tx, platform, kind, arg, now, rows) for kind, arg in ops]
                        journal.write(tx, rows)
                    self._count_accepted(ops)
            except (*Error, ValueError, TypeError) as err:
                if is_locked(err):
                    raise Busy from err
                log.error("inbox: could not write webhook events", extra={"error": type(err).__name__})
                raise InboxUnavailable from err
        return out

    def _apply(self, tx: Any, platform: str, kind: str, arg: Any, now: float, rows: list[Any]) -> Any:
        if kind == "done":
            event_id, event_rows = arg
            tx.execute(_DONE, (_key(platform, event_id),))
            rows.extend(event_rows)
            return None
        if kind == "sent":  # the first parts of a reply in several messages went out
            event_id, parts = arg
            key = _key(platform, event_id)
            row = tx.execute("SELECT payload FROM inbox WHERE key = ?", (key,)).fetchone()
            if row is not None:
                payload = {**json.loads(row[0]), "sent_parts": int(parts)}
                tx.execute("UPDATE inbox SET payload = ? WHERE key = ?", (_dump(payload), key))
            return None
        if kind == "release":
            event_id, delay = arg
            tx.execute(_RELEASE, (now + delay, _key(platform, event_id)))
            return None
        assert kind == "accept", kind
        fresh: list[bool] = []
        for event_id, payload in arg:
            key = _key(platform, event_id)
            new = tx.execute(
                "INSERT INTO seen_events (key, at) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, now)
            ).rowcount
            if new and payload is not None:
                tx.execute(
                    "INSERT INTO inbox (key, platform, payload, received, owner, lease_until)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (key, platform, _dump(payload), now, self.owner, now + self.lease_seconds),
                )
            fresh.append(bool(new))
        if self._accepted + len(arg) >= _PURGE_EVERY:
            tx.execute(_PURGE, (now - KEEP_SECONDS,))
        return fresh

    def _count_accepted(self, ops: Sequence[tuple[str, Any]]) -> None:
        """Count accepted events; old event ids are purged (``_PURGE``) with every _PURGE_EVERY."""
        self._accepted += sum(len(arg) for kind, arg in ops if kind == "accept")
        if self._accepted >= _PURGE_EVERY:
            self._accepted = 0

    # -- PostgreSQL: one statement per write, no savepoints ------------------------------------
    def _apply_statements(
        self, platform: str, ops: Sequence[tuple[str, Any]], now: float
    ) -> list[Any] | None:
        """``apply`` on PostgreSQL with one statement per event (an accept is one statement with
        a data-modifying WITH, a done its DELETE and the journal rows' INSERT together), and a lone
        statement without BEGIN and COMMIT: each a round trip to the server and its CPU on the
        same machine. Raises ``Refused`` (nothing written) when the database refuses a journal
        row, for ``apply`` to write again with savepoints. None when an op needs the transaction
        path (a reply sent in parts, feedback)."""
        plan: list[list[Statement]] = []
        for kind, arg in ops:
            statements = self._statements(platform, kind, arg, now)
            if statements is None:
                return None
            plan.append(statements)
        flat = [s for statements in plan for s in statements]
        accepted = sum(len(arg) for kind, arg in ops if kind == "accept")
        if accepted and self._accepted + accepted >= _PURGE_EVERY:
            flat.append((_PURGE, [now - KEEP_SECONDS]))
        if len(flat) == 1:
            results = [self._db.execute(*flat[0])]
        else:
            with self._db.transaction() as tx:
                results = [tx.execute(sql, params) for sql, params in flat]
        self._count_accepted(ops)
        out: list[Any] = []
        at = 0
        for (kind, _), statements in zip(ops, plan, strict=True):
            mine: list[Rows] = results[at : at + len(statements)]
            at += len(statements)
            out.append([bool(r.fetchone()[0]) for r in mine] if kind == "accept" else None)
        return out

    def _statements(self, platform: str, kind: str, arg: Any, now: float) -> list[Statement] | None:
        if kind == "accept":
            return [
                (
                    _ACCEPT_ONE,
                    [
                        _key(platform, event_id),
                        now,
                        platform,
                        None if payload is None else _dump(payload),
                        now,
                        self.owner,
                        now + self.lease_seconds,
                        payload is not None,
                    ],
                )
                for event_id, payload in arg
            ]
        if kind == "done":
            event_id, rows = arg
            key = _key(platform, event_id)
            if not rows:
                return [(_DONE, [key])]
            together = journal.insert_with(f"WITH gone AS ({_DONE})", [key], rows)
            return None if together is None else [together]
        if kind == "release":
            event_id, delay = arg
            return [(_RELEASE, [now + delay, _key(platform, event_id)])]
        return None

    def renew(self) -> None:
        """Extend the leases of every row this process holds."""
        self._write(
            "UPDATE inbox SET lease_until = ? WHERE owner = ?", (time.time() + self.lease_seconds, self.owner)
        )

    def claim(self, platform: str, limit: int) -> list[Pending]:
        """Take over up to ``limit`` rows of ``platform`` whose process died or whose lease ran
        out, oldest first. Rows taken over MAX_ATTEMPTS times already are deleted (logged)."""
        if limit <= 0:
            return []
        now = time.time()
        with self._lock:
            try:
                owners = self._db.execute(
                    "SELECT DISTINCT owner FROM inbox WHERE platform = ? AND lease_until >= ?",
                    (platform, now),
                ).fetchall()
                dead = [o for (o,) in owners if o and _dead_here(o, self.owner)]
                due = self._db.execute(
                    "SELECT 1 FROM inbox WHERE platform = ? AND lease_until < ? LIMIT 1", (platform, now)
                ).fetchone()
                if not dead and due is None:
                    return []  # the common case: a read, no write lock
                with self._db.transaction() as tx:
                    for owner in dead:
                        tx.execute("UPDATE inbox SET lease_until = 0 WHERE owner = ?", (owner,))
                    given_up = tx.execute(
                        "DELETE FROM inbox WHERE platform = ? AND lease_until < ? AND attempts >= ?",
                        (platform, now, MAX_ATTEMPTS),
                    ).rowcount
                    # the lease is checked again on the row itself: a row another instance
                    # claimed meanwhile (PostgreSQL re-reads a row it waited for) stays theirs
                    rows = tx.execute(
                        "UPDATE inbox SET owner = ?, lease_until = ?, attempts = attempts + 1"
                        " WHERE lease_until < ? AND key IN (SELECT key FROM inbox WHERE platform = ?"
                        f" AND lease_until < ? ORDER BY received LIMIT ?{self._skip_locked})"
                        " RETURNING key, payload, received, attempts",
                        (self.owner, now + self.lease_seconds, now, platform, now, limit),
                    ).fetchall()
            except Error as err:
                if is_locked(err):
                    raise Busy from err
                log.exception("inbox: claiming pending events failed")
                return []
        if given_up:
            log.error("inbox: events given up after repeated failures", extra={"events": given_up})
        prefix = len(platform) + 1
        out = [Pending(key[prefix:], json.loads(data), at, tries) for key, data, at, tries in rows]
        out.sort(key=lambda p: p.received)
        return out

    def pending(self, platform: str | None = None) -> int:
        """Rows not yet answered (all processes)."""
        sql, args = "SELECT count(*) FROM inbox", tuple[str, ...]()
        if platform is not None:
            sql, args = sql + " WHERE platform = ?", (platform,)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def checkpoint(self) -> None:
        """Write the WAL back to the database (PASSIVE: never waits for readers or writers). Blocking
        I/O with an fsync: call it from a thread."""
        self._db.checkpoint()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            try:
                self._db.execute(sql, args)
            except Error as err:
                if is_locked(err):
                    raise Busy from err
                log.exception("inbox write failed")


def _key(platform: str, event_id: str) -> str:
    """The row's key; a lone surrogate in an id is escaped (SQLite stores only valid UTF-8)."""
    key = f"{platform}:{event_id}"
    return key if key.isascii() else key.encode("utf-8", "backslashreplace").decode("utf-8")


def _dump(payload: dict[str, Any]) -> str:
    """ASCII JSON: a lone surrogate in a user's text is kept as an escape, never a write error."""
    return json.dumps(payload, separators=(",", ":"))
