"""The search engine: an opened index, a query in, ranked datasets out, or an honest "nothing".

Postings are read from the index file on demand (and kept in a bounded cache); index.rank scores
the whole catalog at once. Reads only; safe to share between threads (one connection per thread).
An engine reads the file it opened even after a rebuild swaps another one in at its path
(index.live.LiveEngine moves requests to the new one and closes the old).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import numpy as np
from cachetools import LRUCache
from pythainlp.util import eng_to_thai, thai_keyboard_dist, thai_to_eng
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .build import tokenizer_for
from .dataset import Dataset, Resource
from .decide import COMMON_PER_MILLION, answer_model, features, holds_all
from .lexicon import general_frequency, lexicon
from .query import ParsedQuery, Vocabulary, parse_query
from .rank import CODE_WEIGHTS, KEEP, STRONG_MATCH, EntityMasks, Scored, score_all
from .text import has_thai, loose_spelling, normalize, sounds_like
from .wordnet import wordnet

__all__ = ["Engine", "Hit", "IndexMissing", "SearchEngine", "SearchResult", "Teachings", "file_identity"]

#: a message longer than this is cut before searching: nobody's query is a page long
MAX_QUERY_CHARS = 200
_CHUNK = 500
#: a pythainlp stop word in at least this share of datasets carries no meaning here
STOPWORD_DF = 0.03
#: bytes of decoded postings kept in memory (a common token at 50k datasets is ~200 KB)
POSTINGS_CACHE_BYTES = 48 * 2**20
#: decoded datasets (~4.5 KB each, ~5 MB in all) and normalised titles (~0.3 KB) kept for reuse
RECORDS_CACHED = 1024
TITLES_CACHED = 4096
#: whether to answer at all is the answer model's (index.decide); these shape the list after it.
#: A dataset covering less than this share of what was asked is never listed ...
MIN_COVERAGE = 0.3
#: ... hits after the first need at least this share of the first one's score (and this score)
FOLLOWER_RATIO = 0.6
ANSWER_SCORE = 0.66
#: close matches shown with a hedge when the model is unsure
HEDGED = 3
#: ... each covering MIN_COVERAGE of what was asked, or scoring at least this share of the best
NEAR_BEST = 0.5
#: how much a word can be the topic (index.query weighs concepts by it): a word the catalog holds
#: only in descriptions, or only inside compounds, is weak evidence of what a query is about ...
WEAK_TOPIC = 0.5
#: a word general Thai uses at least this often (per million words) is a word, not a misspelling
USUAL_PER_MILLION = 1.0
#: a substitution of a key's neighbour (keyboard distance at most this: one key across, down or
#: diagonally; 0 for the same key shifted) costs this much less than another edit
NEIGHBOUR_KEYS = 1.5
FAT_FINGER_DISCOUNT = 0.5
#: a query names an agency when its words make at least this share of the agency's name
AGENCY_SHARE = 0.6
#: Thai text typed on the English layout must convert to words that can start as Thai words do
#: (a consonant or a leading vowel), not with a tone mark or a following vowel
_THAI_START = re.compile(r"^[ก-ฮเแโใไ0-9]")
_THAI_RUN = re.compile(r"[\u0e01-\u0e4f]+")
#: ... and a word it does not hold at all that only names people (แม่ค้า, ย่า, ลูกค้า) says who
#: is asking; any other unknown word is a topic the catalog may lack, and weighs in full
PERSON_TOPIC = 0.2
#: a word in fewer than this share of datasets is rare in the catalog
RARE_IN_CATALOG = 0.01
#: WordNet synonyms tried for a word the catalog lacks in titles and tags, when it has at most
#: RELATED_SENSES senses (and does not name people)
RELATED = 3
RELATED_SENSES = 2
#: ... and that general Thai uses at most this often (per million words)
RELATED_MAX_PER_MILLION = 100.0
#: at most this many other members of a series are offered when the one asked for is missing
ELSEWHERE = 3
#: a word is looked for letter for letter in the titles that hold its rarest piece when at most this
#: many do (a rare place name cut into syllables); a commoner piece says nothing of the word
WRITTEN_SO_ROWS = 20
#: partial matches kept with a result that shows nothing, for suggestions
NEAR = 5


class IndexMissing(FileNotFoundError):
    """No index at the path: build it with `khomun index build`."""


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """What tells one index file from the next at the same path: a rebuild writes a new file and
    renames it over the old one, so its inode (and modification time) differ."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


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
    #: when not answered only because the best datasets name another province or year (other
    #: members of a series): those, to offer instead of nothing
    elsewhere: tuple[Hit, ...] = ()
    #: "high": an answer; "low": close matches, to be shown with a hedge; "none": nothing shown
    confidence: str = "none"
    #: when nothing is shown: the best partial matches (never an answer; for suggestions)
    near: tuple[Hit, ...] = ()
    #: the answer model's probability that the best dataset is what was asked for
    probability: float = 0.0
    #: ``total`` is a lower bound: every candidate ranked (rank.KEEP) belongs to the answer
    at_least: bool = False
    #: why the right topic is no answer (``elsewhere`` holds it): "period", the year or month
    #: asked is named nowhere in it; "live", the value of the moment asked, and it gives none;
    #: "timetable", a timetable asked, and it is none
    unconfirmed: str = ""


class Engine(Protocol):
    """What the conversation and the service read from an index: a ``SearchEngine``, or an
    ``index.live.LiveEngine`` that moves to a rebuilt index without a restart."""

    @property
    def size(self) -> int: ...

    @property
    def meta(self) -> dict[str, str]: ...

    @property
    def identity(self) -> tuple[int, int, int, int]: ...

    def search(self, text: str, limit: int = 10) -> SearchResult: ...

    def parse(self, text: str) -> ParsedQuery: ...

    def get(self, name: str) -> Dataset | None: ...

    def get_many(self, names: Sequence[str]) -> list[Dataset]: ...

    def names(self) -> list[str]: ...

    def latest(self, limit: int = 10, offset: int = 0) -> list[Dataset]: ...

    def agencies(self) -> list[tuple[str, int]]: ...

    def by_agency(self, org: str, limit: int = 10, offset: int = 0) -> list[Dataset]: ...


def dataset_from_json(text: str) -> Dataset:
    raw = json.loads(text)
    raw["resources"] = tuple(Resource(**r) for r in raw.get("resources") or ())
    for key in ("tags", "groups", "formats"):
        raw[key] = tuple(raw.get(key) or ())
    return Dataset(**raw)


def _as_is(text: str) -> str:
    return text


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Recent(Generic[_K, _V]):
    """The ``size`` most recently used values; safe to share between threads. (An OrderedDict:
    cachetools' LRUCache costs ~8x more per insertion, and these take ~25 per search.)"""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[_K]) -> dict[_K, _V]:
        found = {}
        with self._lock:
            for key in keys:
                value = self._items.get(key)
                if value is not None:
                    self._items.move_to_end(key)
                    found[key] = value
        return found

    def put_many(self, items: Mapping[_K, _V]) -> None:
        with self._lock:
            self._items.update(items)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _nbytes(postings: tuple[np.ndarray, np.ndarray]) -> int:
    return postings[0].nbytes + postings[1].nbytes


class SearchEngine:
    """An opened index. ``search(text)`` is the one search path; ``get``/``get_many``/``latest``/
    ``agencies``/``by_agency`` serve the conversation's lists. Opening loads the vocabulary and the
    entity masks and warms the tokeniser up (~1 s), so no user waits for it."""

    def __init__(self, path: Path, teachings: Teachings | None = None) -> None:
        try:
            self.identity = file_identity(path)
        except FileNotFoundError:
            raise IndexMissing(f"no index at {path}: run `khomun index build`") from None
        self.path = path
        self.teachings = teachings
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self.closed = False
        # per engine, not per class: a class-level cache would keep every replaced engine alive
        self._correct = lru_cache(maxsize=20_000)(self._correct_word)
        self._topicness = lru_cache(maxsize=20_000)(self._topicness_of)
        self._related = lru_cache(maxsize=20_000)(self._related_words)
        self._home = self._connect()
        if file_identity(path) != self.identity:
            self._home.close()
            raise IndexMissing(f"the index at {path} was replaced while opening it: open it again")
        db = self._home
        self._local.db = db
        self.size = int(db.execute("SELECT value FROM meta WHERE key='datasets'").fetchone()[0])
        self.meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        self.df: dict[str, int] = dict(
            db.execute("SELECT token, df FROM postings WHERE token NOT LIKE '@%'").fetchall()
        )
        self._entity_tokens = frozenset(
            r[0] for r in db.execute("SELECT token FROM postings WHERE token LIKE '@%'")
        )
        self._cache: LRUCache[str, tuple[np.ndarray, np.ndarray]] = LRUCache(
            maxsize=POSTINGS_CACHE_BYTES, getsizeof=_nbytes
        )
        self._cache_lock = threading.Lock()
        self._records: _Recent[int, Dataset] = _Recent(RECORDS_CACHED)
        self._named: _Recent[str, Dataset] = _Recent(RECORDS_CACHED)  # the lists' pages, by name
        self._title_texts: _Recent[int, str] = _Recent(TITLES_CACHED)
        self._periods: _Recent[int, int] = _Recent(TITLES_CACHED)
        self._masks = EntityMasks(
            province=self._mask("@p:"),
            year_title=self._mask("@yt:"),
            year_all=self._mask("@ya:"),
            month_title=self._mask("@mt:"),
            month_all=self._mask("@ma:"),
            fiscal=self._mask("@fy:"),
            fiscal_all=self._mask("@fa:"),
        )
        self.acronyms = dict(db.execute("SELECT short, full FROM acronyms").fetchall())
        base = lexicon()
        self.lex = replace(
            base,
            fillers=base.fillers | self._meaningless(base.stopwords),
            acronyms={**self.acronyms, **base.acronyms},  # the catalog's own, then our curated ones
        )
        self.english = self.lex.english_for()
        self.tokenizer = tokenizer_for(self.acronyms)  # exactly as the build's
        self._loose: dict[str, list[str]] = defaultdict(list)
        self._by_len: dict[int, list[str]] = defaultdict(list)
        self._sound: dict[str, list[str]] = defaultdict(list)
        for tok, _ in sorted(self.df.items(), key=lambda kv: -kv[1]):
            if has_thai(tok):
                self._loose[loose_spelling(tok)].append(tok)
                if len(tok) >= 3:
                    self._by_len[len(tok)].append(tok)
                    self._sound[sounds_like(tok)].append(tok)
        self.wordnet = wordnet()
        self.general = general_frequency()
        self.vocab = Vocabulary(
            self.df,
            self.size,
            self._correct,
            self._topicness,
            self._related,
            self.tokenizer,
            self._usual,
            self.wordnet.is_person,
        )
        self.model = answer_model()
        self.tokenizer.warm_up()

    def _meaningless(self, stopwords: frozenset[str]) -> frozenset[str]:
        """The stop words that carry no meaning in this catalog: all but those that name topics,
        i.e. occur in titles or tags of a few datasets yet are not everywhere (เก็บ, ขาย)."""
        common = self.size * STOPWORD_DF
        out = set()
        for word in stopwords:
            sparse = self._sparse(word)
            if sparse is None or len(sparse[0]) >= common:
                out.add(word)
                continue
            in_titles = int((sparse[1] >= CODE_WEIGHTS[1]).sum())
            if in_titles < 2:
                out.add(word)
        return frozenset(out)

    # -- connections -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only=1")
        with self._conns_lock:
            self._conns.append(db)
        return db

    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the file the engine opened. When another file has been
        swapped in at the path since, a new connection would read that one (whose rows differ
        from this engine's vocabulary and masks): such a thread shares the first connection,
        which still reads the old file (SQLite serialises it)."""
        db = getattr(self._local, "db", None)
        if db is None:
            if self.closed:
                raise sqlite3.ProgrammingError("the index engine is closed")
            db = self._home
            if self._current_file():
                fresh = self._connect()
                if self._current_file():
                    db = fresh
                else:
                    self._forget(fresh)
            self._local.db = db
        return db

    def _current_file(self) -> bool:
        try:
            return file_identity(self.path) == self.identity
        except FileNotFoundError:
            return False

    def _forget(self, db: sqlite3.Connection) -> None:
        with self._conns_lock:
            self._conns.remove(db)
        db.close()

    def close(self) -> None:
        """Close every connection the engine opened (in any thread) and drop its caches. For an
        engine nobody uses any more (LiveEngine closes one once its last request has finished)."""
        self.closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for db in conns:
            db.close()
        with self._cache_lock:
            self._cache.clear()
        for cached in (self._correct, self._topicness, self._related):
            cached.cache_clear()  # type: ignore[attr-defined]

    @property
    def connections(self) -> int:
        """Connections open now (tests check a replaced engine leaves none behind)."""
        with self._conns_lock:
            return len(self._conns)

    # -- vocabulary helpers --------------------------------------------------------------------
    def _correct_word(self, word: str) -> str | None:
        """The catalog word a misspelling most likely meant: tone marks and silent letters first
        (``loose_spelling``), then a word that sounds the same (pythainlp's metasound key) within a
        few edits, then one edit (two for long words); ties go to the more frequent word."""
        if not has_thai(word) or len(word) < 3:
            return None
        if word in self.df:
            return word
        if self._written_so(word):
            return None
        same = self._loose.get(loose_spelling(word))
        if same:
            return same[0]
        if len(word) < 4:
            return None
        max_edits = 1 if len(word) < 8 else 2
        # written as it sounds (อำเพอ -> อำเภอ, อังกิด -> อังกฤษ): the same sound key forgives
        # one edit more
        sound = [
            (Levenshtein.distance(word, cand), -self.df[cand], cand)
            for cand in self._sound.get(sounds_like(word), ())
        ]
        near = [c for c in sound if c[0] <= max_edits + 1]
        if near:
            return min(near)[2]
        # a key pressed for its neighbour on the Thai keyboard (or on its other shift level) is
        # half an edit: one more such slip is forgiven, and it wins a tie
        best: tuple[float, int, str] | None = None
        for length in range(len(word) - max_edits - 1, len(word) + max_edits + 2):
            pool = self._by_len.get(length)
            if not pool:
                continue
            for cand, dist, _ in process.extract_iter(
                word, pool, scorer=Levenshtein.distance, score_cutoff=max_edits + 1
            ):
                cost = dist - FAT_FINGER_DISCOUNT * _fat_fingers(word, cand)
                if cost > max_edits:
                    continue
                key = (cost, -self.df[cand], cand)
                if best is None or key < best:
                    best = key
        return best[2] if best else None

    def _written_so(self, word: str) -> bool:
        """``word`` stands letter for letter in a title of the catalog, which the index cut into
        rare pieces (ชุมชนกกสะทอน: กก|สะ|ทอน): a name, not a misspelling of สะท้อน."""
        pieces = [t for t in self.tokenizer.tokenize(word, normalized=True) if t in self.df]
        if len(pieces) < 2:
            return False
        sparse = self._sparse(min(pieces, key=self.df.__getitem__))
        if sparse is None or len(sparse[0]) > WRITTEN_SO_ROWS:
            return False
        return any(word in title for title in self._titles([int(r) for r in sparse[0]]).values())

    def _topicness_of(self, token: str) -> float:
        """1 for a word some dataset holds whole in its title or tags; WEAK_TOPIC for one only
        in descriptions, file names or inside compounds; for a word the catalog lacks, PERSON_TOPIC
        when it only names people, WEAK_TOPIC when everyday Thai uses it (or its parts) often,
        else 1: a topic the catalog may lack."""
        sparse = self._sparse(token)
        if sparse is None:
            if self.wordnet.is_person(token):  # ลูกชาย, before its parts ลูก and ชาย
                return PERSON_TOPIC
            parts = self.tokenizer.pieces(token)
            if parts and all(p in self.df for p in parts):
                return min(self._topicness(p) for p in parts)
            # everyday Thai the catalog never uses (a word, or a compound of such words:
            # ไหว้พระ): context as often as a missing topic
            everyday = self._everyday(token) or (bool(parts) and all(map(self._everyday, parts)))
            return WEAK_TOPIC if everyday else 1.0
        if not bool((sparse[1] >= CODE_WEIGHTS[1]).any()) or token in self.lex.stopwords:
            # only in descriptions, or a function word that some titles happen to hold
            # (แล้ว in เมาแล้วขับ, เลย the province): a word of the sentence more often than its topic
            return WEAK_TOPIC
        # everyday Thai that the catalog uses rarely (เสาร์, ร้าน, แม่): more often the asker's
        # life than the topic
        rare_here = len(sparse[0]) < self.size * RARE_IN_CATALOG
        return WEAK_TOPIC if rare_here and self._everyday(token) else 1.0

    def _usual(self, word: str) -> bool:
        """General Thai uses ``word`` at all (a misspelling is far rarer than USUAL_PER_MILLION)."""
        return self.general.get(word, 0.0) >= USUAL_PER_MILLION

    def _everyday(self, word: str) -> bool:
        """General Thai uses ``word`` often (TNC or Phupha, see lexicon.general_frequency)."""
        return self.general.get(word, 0.0) >= COMMON_PER_MILLION

    def _related_words(self, token: str) -> tuple[str, ...]:
        """For a word no title or tag holds, up to RELATED words that share a sense with it in the
        Thai WordNet and that titles or tags do hold (ค่าแรง -> ค่าจ้าง); none for a word of many
        senses or one that names people (who asks is not what they ask)."""
        if not has_thai(token) or self._topicness(token) >= 1.0 or self.wordnet.is_person(token):
            return ()
        if len(self.wordnet.senses.get(token, ())) > RELATED_SENSES:
            return ()  # ลูก: a child, a fruit, a ball ... too many senses to guess which
        out = []
        for word in self.wordnet.synonyms(token):
            words = self.tokenizer.phrase(normalize(word))
            if self.general.get(normalize(word), 0.0) > RELATED_MAX_PER_MILLION:
                continue  # เลิก for หย่า, จ่าย for แจก: a word of so many uses says little
            if words and all(t in self.df and self._topicness(t) >= 1.0 for t in words):
                out.append(" ".join(words))
            if len(out) == RELATED:
                break
        return tuple(out)

    # -- search ----------------------------------------------------------------------------------
    def parse(self, text: str) -> ParsedQuery:
        synonyms = self.teachings.synonyms() if self.teachings else None

        def parse(t: str) -> ParsedQuery:
            return parse_query(t, self.vocab, self.lex, synonyms=synonyms, english=self.english)

        q = parse(text)
        if q.unknown:
            # words typed with the keyboard on the other layout, each on its own ("F8;bf ยอด
            # รายวัน" is โควิด ยอดรายวัน, "้นะำส กรุงเทพ" is hotel กรุงเทพ)
            retyped = " ".join(self._retype(chunk, parse) for chunk in text.split())
            if retyped != " ".join(text.split()):
                q2 = parse(retyped)
                if len(q2.unknown) < len(q.unknown) and len(q2.concepts) > len(q2.unknown):
                    return replace(q2, raw=text, corrected=q2.corrected or q2.normalized)
        return q

    @staticmethod
    def _retype(chunk: str, parse: Callable[[str], ParsedQuery]) -> str:
        """``chunk`` as it was meant when typed on the wrong keyboard layout, if that reads as
        words the catalog knows and as typed it does not; else ``chunk``. Latin letters become
        Thai only when every word they make can start a Thai word (not "hii" -> ้รร)."""

        def understood(t: str, *, exactly: bool = False) -> bool:
            q = parse(t)
            return not q.unknown and not q.empty and not (exactly and q.corrected)

        if understood(chunk):
            return chunk
        if has_thai(chunk):
            # only the Thai letters were typed on the wrong layout: "แนอรก-19" is covid-19
            other = _THAI_RUN.sub(lambda m: thai_to_eng(m.group()).lower(), chunk)
        elif any(c.isalpha() for c in chunk):
            other = eng_to_thai(chunk)
            if not all(_THAI_START.match(w) for w in other.split() if has_thai(w)):
                return chunk
        else:
            return chunk
        # retyped, it must read as it is: a slip of the layout and typos on top is a stretch
        # ("registered" is พำแรหะำพำก, which typo repair would read as เรือ and พัก)
        return other if understood(other, exactly=True) else chunk

    def _sparse(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        if token not in self.df and token not in self._entity_tokens:
            return None  # spares the index a look-up for every word it does not hold
        with self._cache_lock:
            hit = self._cache.get(token)
        if hit is not None:
            return hit
        row = self._db().execute("SELECT rows, codes FROM postings WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        value = (np.frombuffer(row[0], dtype=np.int32), CODE_WEIGHTS[np.frombuffer(row[1], dtype=np.uint8)])
        with self._cache_lock:
            self._cache[token] = value  # the least recently used go when the bytes are over
        return value

    def _mask(self, prefix: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=bool)
        for (token,) in self._db().execute(
            "SELECT token FROM postings WHERE token >= ? AND token < ?", (prefix, prefix + "\uffff")
        ):
            sparse = self._sparse(token)
            if sparse is not None:
                out[sparse[0]] = True
        return out

    def _titles(self, rows: list[int]) -> dict[int, str]:
        return self._column(self._title_texts, "title_text", _as_is, rows)

    def datasets(self, rowids: Sequence[int]) -> dict[int, Dataset]:
        # a Dataset is immutable: the cached one is shared by every search that finds it
        return self._column(self._records, "record", dataset_from_json, rowids)

    def _column(
        self, cache: _Recent[int, _V], column: str, decode: Callable[[str], _V], rowids: Sequence[int]
    ) -> dict[int, _V]:
        """The datasets' ``column``, decoded; from ``cache`` where it has them."""
        found = cache.get_many(rowids)
        missing = [r for r in rowids if r not in found]
        if missing:
            marks = ",".join("?" * len(missing))
            rows = self._db().execute(
                f"SELECT rowid, {column} FROM datasets WHERE rowid IN ({marks})", missing
            )
            fresh = {r[0]: decode(r[1]) for r in rows}
            cache.put_many(fresh)
            found.update(fresh)
        return found

    def get_many(self, names: Sequence[str]) -> list[Dataset]:
        """Datasets by name, in the order asked; unknown names are left out. Any number of names
        (asked in chunks: SQLite takes at most 32,766 parameters)."""
        found = self._named.get_many(names)
        missing = [n for n in dict.fromkeys(names) if n not in found]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db().execute(f"SELECT name, record FROM datasets WHERE name IN ({marks})", chunk)
            fresh = {r[0]: dataset_from_json(r[1]) for r in rows}
            if len(fresh) <= self._named.size:
                self._named.put_many(fresh)
            found.update(fresh)
        return [found[n] for n in names if n in found]

    def names(self) -> list[str]:
        """Every dataset name in the index."""
        return [r[0] for r in self._db().execute("SELECT name FROM datasets ORDER BY rowid")]

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

    def _agency_asked(self, q: ParsedQuery, top: Scored) -> str:
        """The agency a query names and nothing else ("สปสช. มีข้อมูลอะไรบ้าง", "ข้อมูลของกรมการ
        ขนส่งทางบก"): its datasets are the answer. Every concept must name most of the best
        dataset's agency (an acronym's full name, or the name itself): "ข้อมูลสุขภาพ" names a topic,
        not สำนักงานหลักประกันสุขภาพแห่งชาติ. "" when the query asks anything else."""
        if top.conflict or q.provinces or q.years or q.months or q.fiscal or not q.concepts:
            return ""
        org = self.datasets([top.row])[top.row].organization
        compact = normalize(org).replace(" ", "")
        if not compact:
            return ""

        def names_it(alt: tuple[str, ...]) -> bool:
            joined = "".join(alt)
            return joined in compact and len(joined) >= AGENCY_SHARE * len(compact)

        return org if all(any(names_it(alt) for alt in c.alts) for c in q.concepts) else ""

    def _agency_answer(self, q: ParsedQuery, org: str, limit: int) -> SearchResult:
        """An agency's datasets, newest first, as the answer to a query that names only it."""
        total = int(self._db().execute("SELECT count(*) FROM datasets WHERE org = ?", (org,)).fetchone()[0])
        shown = self.by_agency(org, limit=limit or total)
        hits = tuple(Hit(d, 1.0, (f"{org}:หน่วยงาน",)) for d in shown)
        return SearchResult(q, hits, answered=True, total=total, confidence="high", probability=1.0)

    def _newest_first(self, kept: list[Scored]) -> list[Scored]:
        """An answer of several members of a series, newest first by the year and month their
        titles name (recorded at build; ties, and titles naming none, keep their rank)."""
        periods = self._column(self._periods, "period", int, [s.row for s in kept])
        if len({p for p in periods.values() if p}) < 2:
            return kept  # not a series told apart by period
        return sorted(kept, key=lambda s: -periods.get(s.row, 0))

    def candidates(self, text: str) -> tuple[ParsedQuery, list[Scored]]:
        """The parsed query and its best datasets, best first, before any decision."""
        q = self.parse(text[:MAX_QUERY_CHARS])
        if q.empty:
            return q, []
        return q, score_all(q, self._sparse, self.size, self._masks, self._titles, self.tokenizer.pieces)

    def search(self, text: str, limit: int = 10) -> SearchResult:
        q, scored = self.candidates(text)
        if q.empty:
            return SearchResult(q, (), answered=False)
        pinned = list(self.teachings.pinned(q.key)) if self.teachings and q.key else []
        top = scored[0] if scored else None
        agency = self._agency_asked(q, top) if top is not None and not pinned else ""
        if agency:
            return self._agency_answer(q, agency, limit)
        confidence, p, unconfirmed = "none", 0.0, ""
        if top is not None and not top.conflict:
            p = self.model.probability(features(q, scored, self.general))
            confidence = self.model.confidence(p)
            if _taught_and_held(q, top):
                # staff taught a word of it, and the best dataset holds every concept strongly:
                # the staff's word, not the model's guess
                confidence = "high"
            unconfirmed = self.unconfirmed(q, top) if confidence != "none" else ""
            if unconfirmed:
                # the right topic, but nothing in it names the period or the moment asked: not
                # an answer; offered as what there is, like another member of a series
                confidence = "none"
            elif confidence == "high" and q.provinces and top.place <= 0:
                # a nationwide dataset for a province: it likely holds every province; said
                # with a hedge
                confidence = "low"
        kept: list[Scored] = []
        if top is not None and confidence == "high":
            kept = [top] + [s for s in scored[1:] if _follows(top, s)]
            if len(kept) > 1 and not (q.years or q.months or q.fiscal):
                kept = self._newest_first(kept)
        elif top is not None and confidence == "low":
            # close to what was asked, or to the best of them: a long message covers little of
            # itself with any one dataset, and the runner-up is as likely the one meant
            kept = [s for s in scored[:HEDGED] if _close(s) or _near_best(s, top)] or [top]
        elsewhere: list[Scored] = []
        if top is not None and unconfirmed:
            # what there is of the same kind: datasets that hold what the best one holds
            elsewhere = [top] + [s for s in scored[1:ELSEWHERE] if _close(s) and holds_all(top, s)]
        elif top is not None and top.conflict:
            elsewhere = [
                s
                for s in scored[:ELSEWHERE]
                if s.conflict and s.score >= ANSWER_SCORE and s.coverage >= MIN_COVERAGE
            ]
        answered = bool(kept)
        # the answer filled every candidate place: there are more like them than were ranked
        at_least = confidence == "high" and len(scored) >= KEEP and len(kept) >= KEEP
        # nothing to show: the best partial matches, for suggesting what is near
        near = scored[:NEAR] if not kept and not elsewhere else []
        total = len(kept)
        if limit:
            kept = kept[:limit]
        by_row = self.datasets([s.row for s in kept + elsewhere + near])

        def hit(s: Scored) -> Hit:
            return Hit(by_row[s.row], round(s.score, 4), s.why)

        hits = [hit(s) for s in kept]
        if pinned:
            taught = [Hit(d, 1.0, ("สอนโดยเจ้าหน้าที่",)) for d in self.get_many(pinned)]
            hits = taught + [h for h in hits if h.name not in set(pinned)]
            total += len(taught)
            answered = bool(hits)
            confidence = "high" if answered else confidence
        shown = tuple(hits[:limit] if limit else hits)
        return SearchResult(
            q,
            shown,
            answered,
            total=total,
            elsewhere=() if answered else tuple(map(hit, elsewhere)),
            near=() if answered else tuple(map(hit, near)),
            confidence=confidence if answered else "none",
            probability=round(p, 4),
            at_least=at_least and answered and not pinned,
            unconfirmed=unconfirmed if elsewhere and not answered else "",
        )

    def unconfirmed(self, q: ParsedQuery, top: Scored) -> str:
        """Why ``top``, right in topic, is not the answer: "period" (a year or month asked that it
        names nowhere), "live" (the value of the moment asked, and it gives no daily or live
        figures: lexicon live.tsv), "timetable" (a timetable asked, and it is none: timetable.tsv),
        or "" when it is."""
        if period_unconfirmed(q, top):
            return "period"
        if q.live and not self._says_any(top.row, self.lex.live_holds):
            return "live"
        if q.timetable and not self._says_any(top.row, self.lex.timetable_holds):
            return "timetable"
        return ""

    def _says_any(self, row: int, words: frozenset[str]) -> bool:
        d = self.datasets([row])[row]
        text = normalize(" ".join([d.title, d.notes, *d.tags, *(r.name for r in d.resources)]))
        return any(word in text for word in words)


def _near_best(s: Scored, top: Scored) -> bool:
    """A candidate at least NEAR_BEST as good as the best: close too, whatever share it covers."""
    return not s.conflict and s.score >= NEAR_BEST * top.score


def _close(s: Scored) -> bool:
    """A candidate worth showing as a close match: it names no other province or period, and
    covers enough of what was asked."""
    return not s.conflict and s.coverage >= MIN_COVERAGE


@lru_cache(maxsize=4096)
def _neighbour_keys(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are next to each other on the Thai (Kedmanee) keyboard, or the two
    shift levels of one key (pythainlp's thai_keyboard_dist)."""
    try:
        return thai_keyboard_dist(a, b) <= NEIGHBOUR_KEYS
    except ValueError:  # not on the keyboard (Latin, digits)
        return False


def _fat_fingers(typed: str, word: str) -> int:
    """How many of the edits from ``typed`` to ``word`` are a key pressed for its neighbour."""
    return sum(
        op.tag == "replace" and _neighbour_keys(typed[op.src_pos], word[op.dest_pos])
        for op in Levenshtein.editops(typed, word)
    )


def _taught_and_held(q: ParsedQuery, top: Scored) -> bool:
    """A concept of ``q`` comes from a staff teaching and ``top`` holds every concept strongly."""
    return any(c.kind == "taught" for c in q.concepts) and all(m >= STRONG_MATCH for m in top.matched)


def period_unconfirmed(q: ParsedQuery, top: Scored) -> bool:
    """A year, month or fiscal year was asked and the best dataset names none of it anywhere (a
    series without 2565 for "ปี 2565"): it may hold it, or not."""
    return bool(q.years or q.months or q.fiscal) and top.period <= 0


def _follows(top: Scored, other: Scored) -> bool:
    """Whether ``other`` belongs in the list that ``top`` answers: it scores nearly as well, names
    no other province or period, and holds every concept that ``top`` holds in a strong field
    (title, tags, agency, files): "รายชื่อวัด ลำพูน" lists temple registers, not every list of
    Lamphun that shares the word รายชื่อ."""
    if other.conflict or other.coverage < MIN_COVERAGE:
        return False
    if other.score < min(top.score, max(ANSWER_SCORE * 0.85, top.score * FOLLOWER_RATIO)):
        return False
    return holds_all(top, other)
