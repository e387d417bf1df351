"""One way to reach the state database: a SQLite file (the default) or PostgreSQL (DATABASE_URL).

Every store (journal, inbox, chat contexts, follows, teachings, preview cache, staff sessions and
login throttling) talks to it through a ``Database``: ``execute`` and ``executemany`` for one
statement (autocommit), ``transaction()`` for several. SQL is written once, with ``?``
placeholders and what both backends accept (``INSERT ... ON CONFLICT DO NOTHING``, ``RETURNING``);
for PostgreSQL the placeholders become ``%s``. Where the two differ, a store asks ``db.dialect``.

SQLite: one connection per Database, in WAL mode with synchronous=NORMAL, a busy timeout, the file
created 0600 (it holds what users typed; SQLite gives its -wal and -shm files the same mode).
PostgreSQL: a psycopg connection pool per URL, shared by every Database of the process.
Opening a Database applies the migrations (``state.migrations``) that the database lacks.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg
import psycopg_pool

__all__ = [
    "Database",
    "Error",
    "Refused",
    "Rows",
    "Target",
    "connect_sqlite",
    "create_private",
    "is_locked",
    "is_postgres",
    "open_database",
]

Target = Path | str
Dialect = Literal["sqlite", "postgresql"]
#: what a store catches for "the database failed" on either backend
Error = (sqlite3.Error, psycopg.Error)
#: what a database raises for a statement it refuses (the connection stays usable and nothing of
#: the statement, or of the transaction around it, was written): a value the driver cannot send
#: (a lone surrogate, an integer too large), a constraint or a type the database refuses
Refused = (
    ValueError,
    OverflowError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
    psycopg.DataError,
    psycopg.IntegrityError,
)
#: seconds a SQLite statement waits for another writer's lock by default
WAIT = 5.0
#: connections per PostgreSQL pool (one pool per URL per process)
POOL_SIZE = int(os.environ.get("KHOMUN_DB_POOL_SIZE", "10") or 10)


def is_postgres(target: Target) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def is_locked(err: BaseException) -> bool:
    """SQLite's "database is locked" (another connection holds the write lock)."""
    return isinstance(err, sqlite3.OperationalError) and "locked" in str(err)


def create_private(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600) when it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def connect_sqlite(path: Target, wait: float = WAIT) -> sqlite3.Connection:
    """A connection to a SQLite state file (or ``":memory:"``): WAL, synchronous=NORMAL, busy
    timeout ``wait`` seconds, autocommit, usable from any thread (callers serialise)."""
    memory = str(path) == ":memory:"
    if not memory:
        create_private(Path(path))
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=wait, isolation_level=None)
    db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
    if not memory:
        _wal(db, wait)
        db.execute("PRAGMA synchronous=NORMAL")
    return db


def _wal(db: sqlite3.Connection, wait: float) -> None:
    """Switch to WAL. On a new file another connection may be creating it: SQLite then answers
    "database is locked" at once, without its busy handler, so this waits here instead."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if not is_locked(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Rows:
    """A statement's rows (fetched at once) and how many rows it changed."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        return self.rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


class Executor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...
    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int: ...


_PG_SQL: dict[str, str] = {}


def pg_sql(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` doubled), outside quotes."""
    done = _PG_SQL.get(sql)
    if done is not None:
        return done
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append("%%" if ch == "%" else ch)
    done = "".join(out)
    if len(_PG_SQL) < 4096:
        _PG_SQL[sql] = done
    return done


class Database:
    """A handle on the state database; thread-safe. Opened by ``open_database``."""

    dialect: Dialect
    target: Target

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        raise NotImplementedError

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int:
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractContextManager[Executor]:
        """Several statements committed together (SQLite: BEGIN IMMEDIATE, the write lock at once)."""
        raise NotImplementedError

    def set_wait(self, seconds: float) -> None:
        """How long a statement waits for another writer's lock (SQLite; PostgreSQL locks rows)."""

    def checkpoint(self) -> None:
        """Write SQLite's WAL back to the database file (a no-op on PostgreSQL)."""

    def close(self) -> None:
        raise NotImplementedError


class _SqliteTx:
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        cur = self._conn.execute(sql, params)
        rows = cur.fetchall() if cur.description is not None else []
        return Rows(rows, cur.rowcount)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int:
        return self._conn.executemany(sql, seq).rowcount


class SqliteDatabase(Database):
    dialect: Dialect = "sqlite"

    def __init__(self, path: Target, wait: float = WAIT) -> None:
        self.target = str(path) if str(path) == ":memory:" else Path(path)
        self._conn = connect_sqlite(self.target, wait)
        self._tx = _SqliteTx(self._conn)
        self._lock = threading.RLock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._lock:
            return self._tx.execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int:
        with self._lock:
            return self._tx.executemany(sql, seq)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Executor]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def set_wait(self, seconds: float) -> None:
        with self._lock:
            self._conn.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
            if seconds == 0:
                # a checkpoint writes the WAL back with an fsync: never on the caller's event loop
                # (``checkpoint`` does it, from a thread, on a connection of its own)
                self._conn.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint(self) -> None:
        if self.target == ":memory:":
            return
        db = connect_sqlite(self.target)
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            db.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _PgTx:
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        cur = self._conn.execute(pg_sql(sql), params or None)
        rows = cur.fetchall() if cur.description is not None else []
        return Rows(rows, cur.rowcount)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int:
        with self._conn.cursor() as cur:
            cur.executemany(pg_sql(sql), list(seq))
            return cur.rowcount


_POOLS: dict[str, tuple[psycopg_pool.ConnectionPool[Any], int]] = {}
_POOLS_LOCK = threading.Lock()


def _pool(url: str) -> psycopg_pool.ConnectionPool[Any]:
    with _POOLS_LOCK:
        pool, users = _POOLS.get(url, (None, 0))
        if pool is None or pool.closed:
            pool = psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                kwargs={"autocommit": True},
                name="khomun-state",
                open=False,
            )
            pool.open(wait=True, timeout=10.0)
            users = 0
        _POOLS[url] = (pool, users + 1)
        return pool


def _release(url: str) -> None:
    with _POOLS_LOCK:
        pool, users = _POOLS.get(url, (None, 0))
        if pool is None:
            return
        if users <= 1:
            del _POOLS[url]
            pool.close()
        else:
            _POOLS[url] = (pool, users - 1)


class PostgresDatabase(Database):
    dialect: Dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.target = self._url = url
        self._pool = _pool(url)
        self._closed = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._pool.connection() as conn:
            return _PgTx(conn).execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> int:
        with self._pool.connection() as conn:
            return _PgTx(conn).executemany(sql, seq)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Executor]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PgTx(conn)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release(self._url)


def open_database(target: Target, *, wait: float = WAIT, migrate: bool = True) -> Database:
    """The state database at ``target`` (a SQLite path, ``":memory:"``, or a postgresql:// URL),
    brought up to the current schema unless ``migrate`` is False."""
    db: Database = PostgresDatabase(target) if is_postgres(target) else SqliteDatabase(target)  # type: ignore[arg-type]
    if migrate:
        from .migrations import migrate as apply

        try:
            apply(db)
        except BaseException:
            db.close()
            raise
    if wait != WAIT:
        db.set_wait(wait)
    return db


def close_pools(url: str | None = None) -> None:
    """Close the PostgreSQL pools of ``url`` (every pool when None), whoever still uses them."""
    with _POOLS_LOCK:
        for key in [k for k in _POOLS if url is None or k == url]:
            _POOLS.pop(key)[0].close()
