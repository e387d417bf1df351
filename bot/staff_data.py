"""What the staff pages show, read from the journal table of the state database.

Pure SQL and grouping: no web, no clock (callers pass the time window). A message is unanswered
when it was a search and either found nothing or the user said the answer was not useful.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from rapidfuzz import fuzz

__all__ = [
    "BANGKOK",
    "JOURNAL_DDL",
    "DayCount",
    "Group",
    "Window",
    "connect",
    "daily_counts",
    "group_rows",
    "groups_csv",
    "parse_since",
    "purge",
    "top_queries",
    "unanswered_groups",
]

JOURNAL_DDL = """
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY, ts TEXT NOT NULL, platform TEXT NOT NULL,
  chat_type TEXT NOT NULL, user_hash TEXT NOT NULL, text TEXT NOT NULL, normalized TEXT NOT NULL,
  query_key TEXT NOT NULL, intent TEXT NOT NULL, results TEXT NOT NULL,
  answered INTEGER NOT NULL, latency_ms REAL NOT NULL, feedback TEXT,
  chat_hash TEXT NOT NULL DEFAULT '');
"""
UNANSWERED_SQL = "intent = 'search' AND (answered = 0 OR feedback = 'not_useful')"
#: days on the staff pages are Thai days
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
SIMILAR = 80
MAX_EXAMPLES = 5


def connect(path: Path) -> sqlite3.Connection:
    """The state database, with the journal table present (empty if the bot never wrote)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(JOURNAL_DDL)
    return db


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Window:
    """A time range [start, end) in UTC and an optional platform filter."""

    start: datetime
    end: datetime
    platform: str = ""

    @classmethod
    def days(cls, first: date, last: date, platform: str = "") -> Window:
        """Whole Thai days from ``first`` to ``last`` inclusive."""
        start = datetime.combine(first, datetime.min.time(), BANGKOK)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), BANGKOK)
        return cls(start.astimezone(UTC), end.astimezone(UTC), platform)

    def where(self) -> tuple[str, list[str]]:
        sql = "ts >= ? AND ts < ?"
        params = [iso(self.start), iso(self.end)]
        if self.platform:
            sql += " AND platform = ?"
            params.append(self.platform)
        return sql, params


_SINCE = re.compile(r"^\s*(\d+)\s*([dh])\s*$")


def parse_since(since: str, now: datetime) -> datetime:
    """``7d``, ``24h`` or a date ``2026-11-01`` (a Thai day) -> the UTC moment it starts."""
    m = _SINCE.match(since.lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return now - (timedelta(days=n) if unit == "d" else timedelta(hours=n))
    try:
        day = date.fromisoformat(since.strip())
    except ValueError:
        raise ValueError(f"--since wants 7d, 24h or a date like 2026-11-01, got {since!r}") from None
    return datetime.combine(day, datetime.min.time(), BANGKOK).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DayCount:
    day: str
    answered: int
    unanswered: int


def daily_counts(db: sqlite3.Connection, window: Window) -> list[DayCount]:
    """Searches per Thai day, answered vs unanswered, every day of the window shown."""
    where, params = window.where()
    rows = db.execute(
        f"SELECT ts, {UNANSWERED_SQL} FROM journal WHERE {where} AND intent = 'search'", params
    ).fetchall()
    counts: dict[str, Counter[bool]] = {}
    day = window.start.astimezone(BANGKOK).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(BANGKOK).date()
    while day <= last:
        counts[day.isoformat()] = Counter()
        day += timedelta(days=1)
    for ts, missed in rows:
        key = _thai_day(ts)
        counts.setdefault(key, Counter())[bool(missed)] += 1
    return [DayCount(d, c[False], c[True]) for d, c in sorted(counts.items())]


def _thai_day(ts: str) -> str:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(BANGKOK).date().isoformat()


def totals(db: sqlite3.Connection, window: Window) -> dict[str, int]:
    where, params = window.where()
    row = db.execute(
        f"SELECT count(*), coalesce(sum(intent = 'search'), 0), coalesce(sum({UNANSWERED_SQL}), 0), "
        f"count(DISTINCT user_hash), coalesce(sum(feedback = 'useful'), 0) FROM journal WHERE {where}",
        params,
    ).fetchone()
    return {"messages": row[0], "searches": row[1], "unanswered": row[2], "users": row[3], "useful": row[4]}


@dataclass(slots=True)
class Group:
    """Similar queries, counted together; ``keys`` are the query keys to teach."""

    keys: list[str]
    count: int = 0
    first_seen: str = ""
    last_seen: str = ""
    platforms: Counter[str] = field(default_factory=Counter)
    examples: Counter[str] = field(default_factory=Counter)

    @property
    def label(self) -> str:
        """The most typed text; on a tie the shortest."""
        texts = self.example_texts
        return texts[0] if texts else self.keys[0]

    @property
    def example_texts(self) -> list[str]:
        ranked = sorted(self.examples.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
        return [t for t, _ in ranked[:MAX_EXAMPLES]]

    def add(self, ts: str, platform: str, text: str) -> None:
        self.count += 1
        self.first_seen = min(self.first_seen or ts, ts)
        self.last_seen = max(self.last_seen, ts)
        self.platforms[platform] += 1
        self.examples[text.strip()] += 1


def near(a: str, b: str) -> bool:
    """Two query keys that ask the same thing (one's words within the other's, or close)."""
    wa, wb = set(a.split()), set(b.split())
    if wa and wb and (wa <= wb or wb <= wa):
        return True
    return fuzz.token_set_ratio(a, b) >= SIMILAR


def group_rows(rows: Iterable[tuple[str, str, str, str, str]]) -> list[Group]:
    """(ts, platform, text, normalized, query_key) rows -> groups, largest first.

    Rows with one key form a group; then each key joins the group of the first more frequent key
    it is near (compared with the group's leading key only, so groups do not drift by chains).
    """
    by_key: dict[str, Group] = {}
    for ts, platform, text, normalized, key in rows:
        k = key.strip() or normalized.strip() or text.strip()
        by_key.setdefault(k, Group([k])).add(ts, platform, text)
    merged: list[Group] = []
    for g in sorted(by_key.values(), key=lambda g: (-g.count, g.keys[0])):
        home = next((m for m in merged if near(m.keys[0], g.keys[0])), None)
        if home is None:
            merged.append(g)
            continue
        home.keys.append(g.keys[0])
        home.count += g.count
        home.first_seen = min(home.first_seen, g.first_seen)
        home.last_seen = max(home.last_seen, g.last_seen)
        home.platforms.update(g.platforms)
        home.examples.update(g.examples)
    return sorted(merged, key=lambda g: (-g.count, g.last_seen))


def unanswered_groups(db: sqlite3.Connection, window: Window) -> list[Group]:
    where, params = window.where()
    rows = db.execute(
        f"SELECT ts, platform, text, normalized, query_key FROM journal "
        f"WHERE {where} AND {UNANSWERED_SQL} ORDER BY ts",
        params,
    )
    return group_rows(rows)


def top_queries(db: sqlite3.Connection, window: Window, limit: int = 10) -> list[tuple[str, int, int]]:
    """The most asked searches: (example text, times asked, times unanswered)."""
    where, params = window.where()
    rows = db.execute(
        f"SELECT query_key, text, {UNANSWERED_SQL} FROM journal WHERE {where} AND intent = 'search'",
        params,
    )
    asked: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    texts: dict[str, Counter[str]] = {}
    for key, text, miss in rows:
        k = key or text
        asked[k] += 1
        missed[k] += bool(miss)
        texts.setdefault(k, Counter())[text.strip()] += 1

    def label(k: str) -> str:  # the most typed text; on a tie the shortest
        return min(texts[k].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]

    return [(label(k), n, missed[k]) for k, n in asked.most_common(limit)]


#: a cell a spreadsheet would read as a formula (OWASP CSV injection) starts with one of these
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_PLATFORMS = ("line", "telegram", "web", "cli")
CSV_EXAMPLES = 3


def csv_cell(value: object) -> str:
    """A cell that spreadsheets show as text: a leading formula character gets a quote before it."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def thai_time(ts: str) -> str:
    """A journal time (UTC ISO) as Thai time to the second: "2024-05-01 14:03:09"."""
    try:
        when = datetime.fromisoformat(ts)
    except ValueError:
        return ts
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S")


def groups_csv(groups: Sequence[Group]) -> str:
    """CSV with a byte-order mark, so Excel opens the Thai correctly: one column per field (a
    count per platform, each example in its own column), times in Thai time, and no cell that a
    spreadsheet would run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["query", "count", "first_seen_thai_time", "last_seen_thai_time"]
        + list(CSV_PLATFORMS)
        + [f"example_{i + 1}" for i in range(CSV_EXAMPLES)]
        + ["keys"]
    )
    for g in groups:
        examples = list(g.example_texts[:CSV_EXAMPLES]) + [""] * (
            CSV_EXAMPLES - len(g.example_texts[:CSV_EXAMPLES])
        )
        row = [g.label, g.count, thai_time(g.first_seen), thai_time(g.last_seen)]
        row += [g.platforms.get(p, 0) for p in CSV_PLATFORMS]
        row += [*examples, "; ".join(g.keys)]
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def purge(db: sqlite3.Connection, retention_days: int, now: datetime) -> int:
    """Delete journal rows older than the retention period; how many went."""
    cutoff = iso(now - timedelta(days=retention_days))
    return db.execute("DELETE FROM journal WHERE ts < ?", (cutoff,)).rowcount
