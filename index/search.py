"""The search engine: an opened index, a query in, ranked datasets out, or an honest "nothing".

Candidates come from FTS5 (BM25 over pre-tokenised fields), then every candidate is scored by
index.rank. Reads only; safe to share between threads (one connection per thread).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pythainlp.util import eng_to_thai
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .dataset import Dataset, Resource
from .lexicon import lexicon
from .query import ParsedQuery, Vocabulary, parse_query
from .rank import Doc, Scored, doc_tokens, fuzzy_bonus, score_doc
from .text import has_thai, pieces, set_domain_words, strip_tones, warm_up

__all__ = ["Hit", "IndexMissing", "SearchEngine", "SearchResult", "Teachings"]

#: a message longer than this is cut before searching: nobody's query is a page long
MAX_QUERY_CHARS = 200
CANDIDATES = 250
#: how many of the best candidates get the (slower) fuzzy title comparison
FUZZY_RERANK = 40
#: below this share of the query covered, the best dataset is not an answer
ANSWER_COVERAGE = 0.62
#: hits after the first must cover at least this much of what the first covers
FOLLOWER_RATIO = 0.7
_COMMON_DF = 0.2
_BM25_WEIGHTS = "10.0, 6.0, 4.0, 1.0, 2.0"


class IndexMissing(FileNotFoundError):
    """No index at the path: build it with `khomun index build`."""


class Teachings(Protocol):
    """What staff taught the bot; read on every query so changes apply at once."""

    def synonyms(self) -> Mapping[str, Sequence[str]]: ...

    def pinned(self, key: str) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Hit:
    dataset: Dataset
    score: float
    why: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.dataset.name


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: ParsedQuery
    hits: tuple[Hit, ...]
    answered: bool
    total: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def dataset_from_json(text: str) -> Dataset:
    raw = json.loads(text)
    raw["resources"] = tuple(Resource(**r) for r in raw.get("resources") or ())
    for key in ("tags", "groups", "formats"):
        raw[key] = tuple(raw.get(key) or ())
    return Dataset(**raw)


def _ints(text: str) -> frozenset[int]:
    return frozenset(int(v) for v in text.split()) if text else frozenset()


class SearchEngine:
    def __init__(self, path: Path, teachings: Teachings | None = None) -> None:
        if not path.exists():
            raise IndexMissing(f"no index at {path}: run `khomun index build`")
        self.path = path
        self.teachings = teachings
        self._local = threading.local()
        db = self._db()
        self.size = int(db.execute("SELECT value FROM meta WHERE key='datasets'").fetchone()[0])
        self.meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        self.df: dict[str, int] = dict(db.execute("SELECT token, df FROM vocab").fetchall())
        self.acronyms = dict(db.execute("SELECT short, full FROM acronyms").fetchall())
        self.lex = lexicon()
        set_domain_words(self.lex.domain_words() | set(self.acronyms))
        self._tones: dict[str, list[str]] = defaultdict(list)
        self._by_len: dict[int, list[str]] = defaultdict(list)
        for tok, n in sorted(self.df.items(), key=lambda kv: -kv[1]):
            if has_thai(tok):
                self._tones[strip_tones(tok)].append(tok)
                if len(tok) >= 3:
                    self._by_len[len(tok)].append(tok)
        self.vocab = Vocabulary(self.df, self.size, self._correct, self._tone_variants)
        warm_up()

    # -- connections -------------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            db.execute("PRAGMA query_only=1")
            self._local.db = db
        return db

    # -- vocabulary helpers --------------------------------------------------------------------
    def _tone_variants(self, word: str) -> Sequence[str]:
        return self._tones.get(strip_tones(word), ())

    @lru_cache(maxsize=20_000)  # noqa: B019 - the engine lives as long as the process
    def _correct(self, word: str) -> str | None:
        """The catalog word a misspelling most likely meant: tone marks first, then one edit
        (two for long words); ties go to the more frequent word."""
        if not has_thai(word) or len(word) < 3:
            return None
        if word in self.df:
            return word
        same = self._tones.get(strip_tones(word))
        if same:
            return same[0]
        if len(word) < 4:
            return None
        max_edits = 1 if len(word) < 8 else 2
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - max_edits, len(word) + max_edits + 1):
            pool = self._by_len.get(length)
            if not pool:
                continue
            for cand, dist, _ in process.extract_iter(
                word, pool, scorer=Levenshtein.distance, score_cutoff=max_edits
            ):
                key = (dist, -self.df[cand], cand)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    # -- search ----------------------------------------------------------------------------------
    def parse(self, text: str) -> ParsedQuery:
        synonyms = self.teachings.synonyms() if self.teachings else None
        q = parse_query(text, self.vocab, self.lex, acronyms=self.acronyms, synonyms=synonyms)
        if q.unknown and not has_thai(text) and len(q.unknown) * 2 >= len(q.concepts):
            # Thai typed with the keyboard left on the English layout: l;ylfu -> สวัสดี
            thai = eng_to_thai(text)
            q2 = parse_query(thai, self.vocab, self.lex, acronyms=self.acronyms, synonyms=synonyms)
            if len(q2.unknown) < len(q.unknown) and len(q2.concepts) > len(q2.unknown):
                return replace(q2, raw=text, corrected=q2.corrected or q2.normalized)
        return q

    def _fts_query(self, q: ParsedQuery) -> str:
        terms: dict[str, float] = {}
        for c in q.concepts:
            for alt in c.alts:
                for tok in alt:
                    for t in (tok, *pieces(tok)):
                        terms[t] = self.df.get(t, 0)
        for place in q.provinces:
            terms[place] = self.df.get(place, 0)
        common = self.size * _COMMON_DF
        chosen = [t for t, n in terms.items() if 0 < n <= common] or [t for t, n in terms.items() if n]
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in chosen)

    def _candidates(self, q: ParsedQuery, names: Iterable[str] = ()) -> list[Doc]:
        db = self._db()
        match = self._fts_query(q)
        rowids: list[int] = []
        if match:
            rowids = [
                r[0]
                for r in db.execute(
                    f"SELECT rowid FROM docs_fts WHERE docs_fts MATCH ? "
                    f"ORDER BY bm25(docs_fts, {_BM25_WEIGHTS}) LIMIT ?",
                    (match, CANDIDATES),
                )
            ]
        pinned = list(names)
        if pinned:
            marks = ",".join("?" * len(pinned))
            rowids += [
                r[0] for r in db.execute(f"SELECT rowid FROM datasets WHERE name IN ({marks})", pinned)
            ]
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        rows = db.execute(
            f"SELECT rowid, rank_tokens, title_text, provinces, years_title, years_all, "
            f"months_title, months_all FROM docs WHERE rowid IN ({marks})",
            rowids,
        ).fetchall()
        return [
            Doc(
                rowid=r[0],
                tokens=doc_tokens(r[1]),
                title_text=r[2],
                provinces=frozenset(r[3].split("|")) if r[3] else frozenset(),
                years_title=_ints(r[4]),
                years_all=_ints(r[5]),
                months_title=_ints(r[6]),
                months_all=_ints(r[7]),
            )
            for r in rows
        ]

    def datasets(self, rowids: Sequence[int]) -> dict[int, Dataset]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self._db().execute(
            f"SELECT rowid, record FROM datasets WHERE rowid IN ({marks})", list(rowids)
        )
        return {r[0]: dataset_from_json(r[1]) for r in rows}

    def get_many(self, names: Sequence[str]) -> list[Dataset]:
        """Datasets by name, in the order asked; unknown names are left out."""
        if not names:
            return []
        marks = ",".join("?" * len(names))
        rows = self._db().execute(f"SELECT name, record FROM datasets WHERE name IN ({marks})", list(names))
        found = {r[0]: dataset_from_json(r[1]) for r in rows}
        return [found[n] for n in names if n in found]

    def get(self, name: str) -> Dataset | None:
        found = self.get_many([name])
        return found[0] if found else None

    def latest(self, limit: int = 10, offset: int = 0) -> list[Dataset]:
        rows = self._db().execute(
            "SELECT record FROM datasets ORDER BY modified DESC, rowid LIMIT ? OFFSET ?", (limit, offset)
        )
        return [dataset_from_json(r[0]) for r in rows]

    def agencies(self) -> list[tuple[str, int]]:
        """Agencies with how many datasets each, largest first."""
        rows = self._db().execute(
            "SELECT org, count(*) AS n FROM datasets WHERE org != '' GROUP BY org ORDER BY n DESC, org"
        )
        return [(r[0], r[1]) for r in rows]

    def by_agency(self, org: str, limit: int = 10, offset: int = 0) -> list[Dataset]:
        rows = self._db().execute(
            "SELECT record FROM datasets WHERE org = ? ORDER BY modified DESC, rowid LIMIT ? OFFSET ?",
            (org, limit, offset),
        )
        return [dataset_from_json(r[0]) for r in rows]

    def search(self, text: str, limit: int = 10) -> SearchResult:
        q = self.parse(text[:MAX_QUERY_CHARS])
        if q.empty:
            return SearchResult(q, (), answered=False)
        pinned = list(self.teachings.pinned(q.key)) if self.teachings and q.key else []
        docs = {d.rowid: d for d in self._candidates(q, pinned)}
        scored = sorted((score_doc(q, d) for d in docs.values()), key=lambda s: (-s.score, s.rowid))
        head = [
            replace(s, score=s.score + fuzzy_bonus(q, docs[s.rowid])) for s in scored[:FUZZY_RERANK]
        ]
        scored = sorted(head, key=lambda s: (-s.score, s.rowid)) + scored[FUZZY_RERANK:]
        top = scored[0] if scored else None
        answered = bool(top) and top.coverage >= ANSWER_COVERAGE and not top.conflict
        kept: list[Scored] = []
        if answered and top is not None:
            floor = max(ANSWER_COVERAGE * 0.8, top.coverage * FOLLOWER_RATIO)
            kept = [s for s in scored if s.coverage >= floor and not s.conflict]
        by_row = self.datasets([s.rowid for s in kept])
        hits = [Hit(by_row[s.rowid], round(s.score, 4), s.why) for s in kept]
        if pinned:
            taught = [Hit(d, 1.0, ("สอนโดยเจ้าหน้าที่",)) for d in self.get_many(pinned)]
            hits = taught + [h for h in hits if h.name not in set(pinned)]
            answered = bool(hits)
        return SearchResult(q, tuple(hits[:limit] if limit else hits), answered, total=len(hits))
