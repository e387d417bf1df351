"""`khomun index refresh`: harvest the catalog into a new index file and rename it over the one
being served (index.build writes a temporary file and swaps it in atomically); running services
pick the new file up within seconds (index.live). With ``--every`` it runs on a schedule (the
Procfile's ``worker``), with ``--alerts`` followers are told after each refresh. One refresh at a
time per data folder: a second one started meanwhile skips its turn."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings

__all__ = ["RefreshSource", "parse_every", "refresh", "refresh_once"]

log = logging.getLogger(__name__)

_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: a schedule shorter than this would harvest the portal more often than it changes
MIN_EVERY = 60.0


def parse_every(raw: str) -> float:
    """ "6h", "30m", "1d", "90s" -> seconds (at least MIN_EVERY)."""
    found = _EVERY.match(raw.lower())
    if not found:
        raise ValueError(f"--every takes a number and a unit (s, m, h or d), like 6h; got {raw!r}")
    seconds = float(found[1]) * _UNIT[found[2]]
    if seconds < MIN_EVERY:
        raise ValueError(f"--every must be at least {int(MIN_EVERY)} s, got {raw!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class RefreshSource:
    """Where the datasets come from: a CKAN portal (incremental unless ``full``) or a dump file
    (None: the bundled catalog)."""

    ckan: str = ""
    api_key: str = ""
    full: bool = False
    catalog: Path | None = None

    def describe(self) -> str:
        if self.ckan:
            return f"{self.ckan} ({'full' if self.full else 'incremental'})"
        return str(self.catalog) if self.catalog else "the bundled catalog"


@contextlib.contextmanager
def _exclusive(settings: Settings) -> Iterator[bool]:
    """True while this process holds the data folder's refresh lock; False when another has it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / "refresh.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def refresh_once(settings: Settings, source: RefreshSource, *, alerts: bool = False) -> int:
    """One refresh (and alerts after it). Exit status: 0, 1 when alerts failed, 2 when the
    catalog file is missing."""
    from .runtime import build_from_ckan, build_from_file

    if source.catalog is not None and not source.catalog.exists():
        print(f"khomun: no catalog file at {source.catalog}", file=sys.stderr)
        return 2
    with _exclusive(settings) as mine:
        if not mine:
            print("khomun: another refresh of this data folder is running; skipped", file=sys.stderr)
            return 0
        started = time.perf_counter()
        if source.ckan:
            stats, report = build_from_ckan(
                settings.index_path, source.ckan, source.api_key or None, full=source.full, progress=False
            )
        else:
            stats, report = build_from_file(settings.index_path, source.catalog)
        print(report.summary())
        print(
            f"index refreshed from {source.describe()}: {stats.datasets} datasets, "
            f"{time.perf_counter() - started:.1f} s -> {stats.path}",
            flush=True,
        )
    if not alerts:
        return 0
    from .alerts import send_alerts

    return send_alerts(settings)


def refresh(
    settings: Settings,
    source: RefreshSource,
    *,
    every: float | None = None,
    alerts: bool = False,
    runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """``refresh_once``, then (with ``every``) again every ``every`` seconds until stopped (or
    ``runs`` times, for tests). A failed run is logged and the schedule goes on: the portal being
    down at 06:00 must not stop the 12:00 run."""
    if every is None:
        return refresh_once(settings, source, alerts=alerts)
    # SIGTERM (the platform stopping the worker) ends a build cleanly: its temporary file goes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    done = 0
    while True:
        started = time.monotonic()
        try:
            status = refresh_once(settings, source, alerts=alerts)
            if status:
                log.error("scheduled refresh failed", extra={"status": status})
        except Exception:
            log.exception("scheduled refresh failed; trying again at the next one")
        done += 1
        if runs is not None and done >= runs:
            return 0
        wait = max(0.0, every - (time.monotonic() - started))
        log.info("next refresh", extra={"in_seconds": round(wait)})
        sleep(wait)
