"""An engine that follows its index file: when a rebuild (``khomun index refresh``) renames a new
file over the one it serves, the next request after the check opens the new file in the
background and every request after that is served from it, without a restart and without a
failed request.

The file's identity (``file_identity``: device, inode, modification time, size) is looked at no
more often than every ``check_seconds``, by whichever request comes along (one ``stat``). Opening
the new engine (vocabulary, masks, the tokeniser's warm-up: about a second) happens in a thread of
its own while the old engine keeps answering; the reference is then swapped in one assignment.
Requests hold a lease on the engine they started with, so one in flight finishes on the old
engine, and the old engine's connections (one per thread that used it) are closed when its last
lease ends. A new file that cannot be opened is logged and skipped until the file changes again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .dataset import Dataset
from .query import ParsedQuery
from .search import SearchEngine, SearchResult, Teachings, file_identity

__all__ = ["CHECK_SECONDS", "LiveEngine"]

log = logging.getLogger(__name__)

#: how often, at most, a request looks at whether the index file was replaced
CHECK_SECONDS = 2.0


class LiveEngine:
    """A ``SearchEngine`` at ``path`` that moves to the file a rebuild swaps in (see the module).
    ``on_search(seconds)`` is told how long each search took (the service's latency metric)."""

    def __init__(
        self,
        path: Path,
        teachings: Teachings | None = None,
        *,
        check_seconds: float = CHECK_SECONDS,
        on_search: Callable[[float], None] | None = None,
        opener: Callable[[Path, Teachings | None], SearchEngine] = SearchEngine,
    ) -> None:
        self.path = path
        self.teachings = teachings
        self.check_seconds = check_seconds
        self.on_search = on_search
        self._open = opener
        self._engine = opener(path, teachings)
        self._lock = threading.Lock()
        self._leases: dict[int, int] = {}  # id(engine) -> requests using it now
        self._retired: dict[int, SearchEngine] = {}  # replaced engines still in use
        self._next_check = time.monotonic() + check_seconds
        self._loading: threading.Thread | None = None
        self._skipped: tuple[int, int, int, int] | None = None  # a new file that failed to open
        self.reloads = 0

    # -- the engine now, and swapping --------------------------------------------------------
    @property
    def engine(self) -> SearchEngine:
        """The engine serving now (after looking at the file, when it is time to)."""
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.check_seconds
            self._check()
        return self._engine

    def _check(self) -> None:
        try:
            identity = file_identity(self.path)
        except FileNotFoundError:
            return  # the old file is still open: keep serving it
        if identity in (self._engine.identity, self._skipped):
            return
        with self._lock:
            if self._loading is not None:
                return
            self._loading = threading.Thread(target=self._reload, name="index-reload", daemon=True)
            self._loading.start()

    def _reload(self) -> None:
        started = time.perf_counter()
        try:
            target: tuple[int, int, int, int] | None = file_identity(self.path)
        except FileNotFoundError:
            target = None
        try:
            fresh = self._open(self.path, self.teachings)
        except Exception as err:
            self._skipped = target  # tried again once another file replaces this one
            log.error("new index could not be opened; still serving the old one", extra={"error": repr(err)})
            with self._lock:
                self._loading = None
            return
        with self._lock:
            old, self._engine = self._engine, fresh
            self._loading = None
            self.reloads += 1
            in_use = bool(self._leases.get(id(old)))
            if in_use:  # closed when its last request ends (_lease)
                self._retired[id(old)] = old
        if not in_use:
            old.close()
        log.info(
            "new index in service",
            extra={
                "datasets": fresh.size,
                "built_at": fresh.meta.get("built_at", ""),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )

    def wait_loaded(self, timeout: float = 30.0) -> None:
        """Wait for a reload in progress (tests and the command line)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)

    def check_now(self) -> None:
        """Look at the file at once and wait for a reload it starts."""
        self._next_check = 0.0
        _ = self.engine
        self.wait_loaded()

    @contextmanager
    def _lease(self) -> Iterator[SearchEngine]:
        engine = self.engine
        key = id(engine)
        with self._lock:
            self._leases[key] = self._leases.get(key, 0) + 1
        try:
            yield engine
        finally:
            with self._lock:
                left = self._leases[key] - 1
                if left:
                    self._leases[key] = left
                    done = None
                else:
                    del self._leases[key]
                    done = self._retired.pop(key, None)
            if done is not None:
                done.close()

    def close(self) -> None:
        self.wait_loaded()
        with self._lock:
            engines = [self._engine, *self._retired.values()]
            self._retired.clear()
        for engine in engines:
            engine.close()

    # -- what an engine answers (index.search.Engine) ----------------------------------------
    @property
    def size(self) -> int:
        return self.engine.size

    @property
    def meta(self) -> dict[str, str]:
        return self.engine.meta

    @property
    def identity(self) -> tuple[int, int, int, int]:
        return self.engine.identity

    def search(self, text: str, limit: int = 10) -> SearchResult:
        started = time.perf_counter()
        with self._lease() as engine:
            result = engine.search(text, limit)
        if self.on_search is not None:
            self.on_search(time.perf_counter() - started)
        return result

    def parse(self, text: str) -> ParsedQuery:
        with self._lease() as engine:
            return engine.parse(text)

    def get(self, name: str) -> Dataset | None:
        with self._lease() as engine:
            return engine.get(name)

    def get_many(self, names: Sequence[str]) -> list[Dataset]:
        with self._lease() as engine:
            return engine.get_many(names)

    def names(self) -> list[str]:
        with self._lease() as engine:
            return engine.names()

    def latest(self, limit: int = 10, offset: int = 0) -> list[Dataset]:
        with self._lease() as engine:
            return engine.latest(limit, offset)

    def agencies(self) -> list[tuple[str, int]]:
        with self._lease() as engine:
            return engine.agencies()

    def by_agency(self, org: str, limit: int = 10, offset: int = 0) -> list[Dataset]:
        with self._lease() as engine:
            return engine.by_agency(org, limit, offset)
