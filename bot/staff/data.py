"""What the staff pages show, read from the journal table of the state database.

Pure SQL and grouping: no web, no clock (callers pass the time window). The SQL runs on SQLite
and PostgreSQL alike (``state``); the one difference, the Thai day of a time, is ``_DAY``. A
message is unanswered when it was a search and either found nothing or the user said the answer
was not useful.
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from rapidfuzz import fuzz

from state import Database, Target, open_database

__all__ = [
    "BANGKOK",
    "DayCount",
    "Group",
    "Window",
    "connect",
    "daily_counts",
    "group_rows",
    "groups_csv",
    "merge_keys",
    "parse_since",
    "purge",
    "review_groups",
    "top_queries",
    "unanswered_groups",
    "unanswered_page",
]

UNANSWERED_SQL = "intent = 'search' AND (answered = 0 OR feedback = 'not_useful')"
#: 1 for an unanswered search, else 0 (PostgreSQL cannot sum a comparison)
UNANSWERED_ONE = f"CASE WHEN {UNANSWERED_SQL} THEN 1 ELSE 0 END"
#: a journal time's Thai day, "2026-11-05"
_DAY = {
    "sqlite": "date(ts, '+7 hours')",
    "postgresql": "to_char((ts::timestamptz AT TIME ZONE 'UTC') + interval '7 hours', 'YYYY-MM-DD')",
}
#: answers to look at again: shown hedged (close matches only), or marked not useful by the user
REVIEW_SQL = {
    "low": "intent = 'search' AND answered = 1 AND confidence = 'low'",
    "not_useful": "intent = 'search' AND answered = 1 AND feedback = 'not_useful'",
}
#: rows read per review list (the newest), and results kept per group
REVIEW_ROWS = 5000
REVIEW_RESULTS = 3
#: days on the staff pages are Thai days
BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
SIMILAR = 80
MAX_EXAMPLES = 5
#: leaders remembered per word, and leaders compared per key, when merging keys (merge_keys)
POSTING = 64
CANDIDATES = 16
FIRST_LEADERS = 8
#: keys merged (the most asked); beyond them each key is its own group
MERGE_KEYS = 2000


def connect(path: Target) -> Database:
    """The state database (a SQLite path or a postgresql:// URL), its schema up to date (the
    journal empty if the bot never wrote)."""
    return open_database(path, wait=10.0)


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


def daily_counts(db: Database, window: Window) -> list[DayCount]:
    """Searches per Thai day, answered vs unanswered, every day of the window shown (counted by
    SQLite: one row per day, not per message)."""
    where, params = window.where()
    rows = db.execute(
        f"SELECT {_DAY[db.dialect]}, count(*), coalesce(sum({UNANSWERED_ONE}), 0) FROM journal "
        f"WHERE {where} AND intent = 'search' GROUP BY 1",
        params,
    ).fetchall()
    counts: dict[str, tuple[int, int]] = {}
    day = window.start.astimezone(BANGKOK).date()
    last = (window.end - timedelta(microseconds=1)).astimezone(BANGKOK).date()
    while day <= last:
        counts[day.isoformat()] = (0, 0)
        day += timedelta(days=1)
    for key, n, missed in rows:
        counts[key] = (n - missed, missed)
    return [DayCount(d, a, u) for d, (a, u) in sorted(counts.items())]


def totals(db: Database, window: Window) -> dict[str, int]:
    where, params = window.where()
    row = db.execute(
        "SELECT count(*), coalesce(sum(CASE WHEN intent = 'search' THEN 1 ELSE 0 END), 0), "
        f"coalesce(sum({UNANSWERED_ONE}), 0), count(DISTINCT user_hash), "
        f"coalesce(sum(CASE WHEN feedback = 'useful' THEN 1 ELSE 0 END), 0) FROM journal WHERE {where}",
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
    #: datasets the bot answered with (review lists only), by how often they came first to third
    results: Counter[str] = field(default_factory=Counter)

    @property
    def top_results(self) -> list[str]:
        return [name for name, _ in self.results.most_common(REVIEW_RESULTS)]

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


def _topic(key: str) -> list[str]:
    """The key's words without years and other bare numbers: two topics that share only a year
    are different topics."""
    return [w for w in key.split() if not w.isdigit()]


def near(a: str, b: str) -> bool:
    """Two query keys that ask the same thing (one's words within the other's, or close), years
    and other numbers left out: "ฝุ่น 2566" is not near "ภาษี 2566"."""
    return _near(_prepared(a), _prepared(b))


def _prepared(key: str) -> tuple[frozenset[str], str, list[str]]:
    topic = _topic(key)
    return frozenset(topic), " ".join(topic), key.split()


def _near(a: tuple[frozenset[str], str, list[str]], b: tuple[frozenset[str], str, list[str]]) -> bool:
    if not a[0] or not b[0]:
        return a[2] == b[2]
    if a[0] <= b[0] or b[0] <= a[0]:
        return True
    return fuzz.token_set_ratio(a[1], b[1]) >= SIMILAR


def merge_keys(keys: Sequence[str], limit: int | None = None) -> list[int]:
    """For keys ranked most asked first: the index of the key each one joins (itself when it leads
    a group). A key joins the first (most asked) earlier leader it is ``near``, compared with
    leaders only, so groups do not drift by chains.

    Bounded and indexed, where comparing every pair was quadratic (issue 13.3): a leader is found
    through a word it shares with the key (a posting list per word, at most POSTING leaders, the
    most asked first) or among the first FIRST_LEADERS leaders (close spellings with no word in
    common); at most CANDIDATES leaders are compared per key. Only the first ``limit`` keys
    (default MERGE_KEYS) are merged: the rest, asked no more often than those, stay one group
    per key.
    """
    limit = MERGE_KEYS if limit is None else limit
    postings: dict[str, list[int]] = {}
    leaders: list[int] = []
    homes: list[int] = []
    prepared: list[tuple[frozenset[str], str, list[str]]] = []
    for i, key in enumerate(keys[:limit]):
        mine = _prepared(key)
        prepared.append(mine)
        words = mine[0] or frozenset(mine[2])
        found = set(leaders[:FIRST_LEADERS])
        for w in words:
            found.update(postings.get(w, ()))
        home = next((j for j in sorted(found)[:CANDIDATES] if _near(prepared[j], mine)), None)
        if home is not None:
            homes.append(home)
            continue
        homes.append(i)
        leaders.append(i)
        for w in words:
            posting = postings.setdefault(w, [])
            if len(posting) < POSTING:
                posting.append(i)
    return homes + list(range(len(homes), len(keys)))


def group_rows(rows: Iterable[tuple[str, str, str, str, str]]) -> list[Group]:
    """(ts, platform, text, normalized, query_key) rows -> groups, largest first."""
    by_key: dict[str, Group] = {}
    for ts, platform, text, normalized, key in rows:
        k = key.strip() or normalized.strip() or text.strip()
        by_key.setdefault(k, Group([k])).add(ts, platform, text)
    return _merged(sorted(by_key.values(), key=lambda g: (-g.count, g.keys[0])))


def _merged(ranked: list[Group]) -> list[Group]:
    """Groups of one key each, most asked first -> merged groups, largest first."""
    homes = merge_keys([g.keys[0] for g in ranked])
    for i, home in enumerate(homes):
        if home == i:
            continue
        g, into = ranked[i], ranked[home]
        into.keys.append(g.keys[0])
        into.count += g.count
        into.first_seen = min(into.first_seen, g.first_seen)
        into.last_seen = max(into.last_seen, g.last_seen)
        into.platforms.update(g.platforms)
        into.examples.update(g.examples)
        into.results.update(g.results)
    merged = [g for i, g in enumerate(ranked) if homes[i] == i]
    return sorted(merged, key=lambda g: (-g.count, g.last_seen))


def review_groups(db: Database, window: Window, which: str, limit: int = 50) -> list[Group]:
    """Answered searches to look at again, grouped like the unanswered ones, largest first, each
    with the datasets the bot gave (``which``: "low" confidence, or marked "not_useful")."""
    where, params = window.where()
    rows = db.execute(
        f"SELECT ts, platform, text, normalized, query_key, results FROM journal "
        f"WHERE {where} AND {REVIEW_SQL[which]} ORDER BY id DESC LIMIT ?",
        [*params, REVIEW_ROWS],
    ).fetchall()
    by_key: dict[str, Group] = {}
    for ts, platform, text, normalized, key, results in rows:
        k = key.strip() or normalized.strip() or text.strip()
        group = by_key.setdefault(k, Group([k]))
        group.add(ts, platform, text)
        try:
            names = [r["name"] for r in json.loads(results)[:REVIEW_RESULTS] if isinstance(r, dict)]
        except (ValueError, TypeError, KeyError):
            names = []
        group.results.update(str(n) for n in names)
    return _merged(sorted(by_key.values(), key=lambda g: (-g.count, g.keys[0])))[:limit]


#: a row's group key: what the search understood (query_key, indexed), else what was typed
_FALLBACK_KEY = "coalesce(nullif(trim(normalized), ''), trim(text))"
# (unanswered searches are indexed by key and time, journal_unanswered in state.migrations, so the
# staff pages never sort the whole window: issue 13.3)


def _by_key(db: Database, where: str, params: list[str], columns: str, keys: list[str] | None) -> list[Any]:
    """``columns`` of unanswered rows grouped by key (``k`` is the key), for ``keys`` only when
    given: rows with a query_key through the partial index, the rare rows without one by text."""
    out: list[Any] = []
    base = f"FROM journal WHERE {where} AND {UNANSWERED_SQL}"
    group = " GROUP BY k" + (", platform, trim(text)" if "platform" in columns else "")
    if keys is None:
        chunks: list[list[str]] = [[]]
    else:
        chunks = [keys[i : i + 500] for i in range(0, len(keys), 500)]
    for chunk in chunks:
        marks = ", ".join("?" * len(chunk))
        only = f" AND query_key IN ({marks})" if chunk else ""
        out += db.execute(
            f"SELECT query_key AS k, {columns} {base} AND query_key != ''{only}{group}", params + chunk
        ).fetchall()
        only = f" AND {_FALLBACK_KEY} IN ({marks})" if chunk else ""
        out += db.execute(
            f"SELECT {_FALLBACK_KEY} AS k, {columns} {base} AND query_key = ''{only}{group}", params + chunk
        ).fetchall()
    return out


def unanswered_groups(db: Database, window: Window, limit: int | None = None) -> list[Group]:
    """The unanswered searches of the window grouped, largest first (the first ``limit``)."""
    return unanswered_page(db, window, limit)[0]


def unanswered_page(db: Database, window: Window, limit: int | None = None) -> tuple[list[Group], int]:
    """The first ``limit`` groups of unanswered searches, largest first, and how many there are.

    SQLite counts each key (one row per distinct key, not per message); keys are merged by
    ``merge_keys``; Group objects, platforms and examples are made for the groups returned only."""
    where, params = window.where()
    counted, total_keys = _counted(db, where, params, None if limit is None else MERGE_KEYS + limit)
    head, tail = counted[:MERGE_KEYS], counted[MERGE_KEYS:]  # the tail stays one group per key
    homes = merge_keys([r[0] for r in head])
    totals: dict[int, list[Any]] = {}  # home -> [-count, last_seen, first_seen, keys]
    for (key, count, first, last), home in zip(head, homes, strict=True):
        t = totals.get(home)
        if t is None:
            totals[home] = [-count, last, first, [key]]
        else:
            t[0] -= count
            t[1], t[2] = max(t[1], last), min(t[2], first)
            t[3].append(key)
    merged_head = sorted(totals.values())
    by_rank = lambda r: (-r[1], r[3])  # noqa: E731
    tail_top = sorted(tail, key=by_rank) if limit is None else heapq.nsmallest(limit, tail, key=by_rank)
    picked = heapq.merge(
        merged_head, ([-r[1], r[3], r[2], [r[0]]] for r in tail_top), key=lambda t: (t[0], t[1])
    )
    ranked = [Group(keys, -neg, first, last) for neg, last, first, keys in itertools.islice(picked, limit)]
    total = len(totals) + total_keys - len(head)
    _fill(db, where, params, ranked, every=limit is None)
    return ranked, total


def _via(db: Database, index: str) -> str:
    """Read through ``index``: SQLite's planner prefers journal_ts for a time window and then reads
    the table row by row; PostgreSQL chooses by its statistics."""
    return f" INDEXED BY {index}" if db.dialect == "sqlite" else ""


def _counted(
    db: Database, where: str, params: list[str], first: int | None
) -> tuple[list[tuple[str, int, str, str]], int]:
    """(key, count, first seen, last seen) of unanswered searches, the most asked first (on a tie
    the one last seen earlier, then by key): the ``first`` of them (all when None), and how many
    keys there are. The database counts, ranks and cuts: at 100,000 distinct keys, handing every
    count to Python and sorting it there was most of the overview's time (issue 13.3). Rows with a
    query_key are read through the partial index ``journal_unanswered`` alone, in key order; the
    rare rows without one are grouped by their text, merged with a key they equal."""
    keyed = (
        f"FROM journal{_via(db, 'journal_unanswered')} WHERE {where} AND {UNANSWERED_SQL} AND query_key != ''"
    )
    order = " GROUP BY k ORDER BY 2 DESC, 4, k" + (" LIMIT ?" if first is not None else "")
    rows = db.execute(
        f"SELECT query_key AS k, count(*), min(ts), max(ts) {keyed}{order}",
        [*params, *([first] if first is not None else [])],
    ).fetchall()
    n_keys = db.execute(
        f"SELECT count(*) FROM (SELECT query_key {keyed} GROUP BY query_key) AS keys", params
    ).fetchone()[0]
    loose = db.execute(
        f"SELECT {_FALLBACK_KEY} AS k, count(*), min(ts), max(ts) FROM journal "
        f"WHERE {where} AND {UNANSWERED_SQL} AND query_key = '' GROUP BY k",
        params,
    ).fetchall()
    if not loose:
        return [tuple(r) for r in rows], n_keys
    merged = {r[0]: tuple(r) for r in rows}
    texts = [r[0] for r in loose]
    for i in range(0, len(texts), 500):  # keys that typed texts equal, fetched or not
        chunk = texts[i : i + 500]
        merged.update(
            (r[0], tuple(r))
            for r in db.execute(
                f"SELECT query_key AS k, count(*), min(ts), max(ts) {keyed} "
                f"AND query_key IN ({', '.join('?' * len(chunk))}) GROUP BY query_key",
                params + chunk,
            )
        )
    for k, n, lo, hi in loose:
        m = merged.get(k)
        if m is None:
            n_keys += 1
        merged[k] = (k, m[1] + n, min(m[2], lo), max(m[3], hi)) if m else (k, n, lo, hi)
    ranked = sorted(merged.values(), key=lambda r: r[0])
    ranked.sort(key=lambda r: r[3])
    ranked.sort(key=lambda r: -r[1])
    return (ranked if first is None else ranked[:first]), n_keys


def _fill(db: Database, where: str, params: list[str], groups: list[Group], every: bool) -> None:
    """Platforms and typed texts of ``groups``, counted by SQLite (for every unanswered key when
    ``every``, else for the groups' keys only)."""
    owner = {k: g for g in groups for k in g.keys}
    columns = "platform, trim(text), count(*)"
    for key, platform, text, n in _by_key(db, where, params, columns, None if every else list(owner)):
        g = owner.get(key)
        if g is not None:
            g.platforms[platform] += n
            g.examples[text] += n


def top_queries(db: Database, window: Window, limit: int = 10) -> list[tuple[str, int, int]]:
    """The most asked searches: (example text, times asked, times unanswered), counted by SQLite.

    A search is counted by its query_key, or by its text when the search understood no key. Both
    are ranked through the partial index ``journal_search_key`` without reading the table; a
    text equal to a key is counted with it when either is among the first ``limit`` of its kind."""
    where, params = window.where()
    base = f"FROM journal{_via(db, 'journal_search_key')} WHERE {where} AND intent = 'search'"
    keyed = db.execute(
        f"SELECT query_key, count(*), min(id) {base} AND query_key != '' "
        "GROUP BY query_key ORDER BY 2 DESC, 3 LIMIT ?",
        [*params, limit],
    ).fetchall()
    loose = db.execute(
        f"SELECT text, count(*), min(id) {base} AND query_key = '' GROUP BY text ORDER BY 2 DESC, 3 LIMIT ?",
        [*params, limit],
    ).fetchall()
    if not keyed and not loose:
        return []
    keys = list(dict.fromkeys([r[0] for r in keyed] + [r[0] for r in loose]))
    marks = ", ".join("?" * len(keys))
    asked: dict[str, list[int]] = {}  # key -> [count, first id, unanswered]
    texts: dict[str, Counter[str]] = {k: Counter() for k in keys}
    for k, text, n, first_id, missed in itertools.chain(
        db.execute(
            f"SELECT query_key, trim(text), count(*), min(id), coalesce(sum({UNANSWERED_ONE}), 0) "
            f"{base} AND query_key IN ({marks}) GROUP BY 1, 2",
            [*params, *keys],
        ),
        db.execute(
            f"SELECT text, trim(text), count(*), min(id), coalesce(sum({UNANSWERED_ONE}), 0) "
            f"{base} AND query_key = '' AND text IN ({marks}) GROUP BY 1, 2",
            [*params, *keys],
        ),
    ):
        a = asked.setdefault(k, [0, first_id, 0])
        a[0], a[1], a[2] = a[0] + n, min(a[1], first_id), a[2] + missed
        texts[k][text] += n
    top = sorted(asked.items(), key=lambda kv: (-kv[1][0], kv[1][1]))[:limit]

    def label(k: str) -> str:  # the most typed text; on a tie the shortest
        return min(texts[k].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]

    return [(label(k), n, missed) for k, (n, _, missed) in top]


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


def purge(db: Database, retention_days: int, now: datetime) -> int:
    """Delete journal rows older than the retention period; how many went."""
    cutoff = iso(now - timedelta(days=retention_days))
    return db.execute("DELETE FROM journal WHERE ts < ?", (cutoff,)).rowcount
