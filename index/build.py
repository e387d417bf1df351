"""Build the search index: a SQLite file with the datasets, an inverted index (token -> the
datasets holding it and the best field it occurs in, entities as tokens too), and what the catalog
teaches about itself (agency acronyms). Written to a temporary file and swapped in atomically, so
a reader never sees a half-built index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from sqlite_utils import Database

from .dataset import Dataset
from .entities import find_entities
from .lexicon import DATA, Lexicon, fingerprint, lexicon
from .rank import CODE_WEIGHTS, RANK_FIELDS, entity_keys
from .text import Tokenizer, has_thai, normalize, singular

__all__ = [
    "FIELDS",
    "SCHEMA_VERSION",
    "BuildStats",
    "build_index",
    "field_tokens",
    "index_state",
    "reindex",
    "text_fingerprint",
    "tokenizer_for",
]

log = logging.getLogger(__name__)

#: 12: fiscal years named anywhere in a record (the @fa: entity postings)
SCHEMA_VERSION = 12
#: Searchable fields.
FIELDS = ("title", "tags", "org", "notes", "res")
#: words never split into parts: ปีงบประมาณ marks a fiscal year, it is not about a budget
_WHOLE = frozenset({"ปีงบประมาณ", "ปีการศึกษา", "ปีปฏิทิน"})
_NOTES_CHARS = 1500
_ACRONYM_IN_PARENS = re.compile(r"([\u0e00-\u0e7f][\u0e00-\u0e7f ]{5,80}?)\s*\(([\u0e01-\u0e2e.]{2,8})\)")


@dataclass(frozen=True, slots=True)
class BuildStats:
    datasets: int
    vocabulary: int
    seconds: float
    path: Path


def field_tokens(
    tokens: Iterable[str], split: Callable[[str], tuple[str, ...]], places: Container[str] = ()
) -> dict[str, bool]:
    """What a field is indexed under: its tokens, each compound followed by its parts, without
    repeats; True for a token found only as a part of a compound (วัด in ตัวชี้วัด), which
    matches for less (index.rank.PART_DISCOUNT). Place names stay whole: อ่างทอง is a province,
    not a basin of gold."""
    out: dict[str, bool] = {}
    for tok in tokens:
        out[tok] = False
        for part in () if tok in places or tok in _WHOLE else split(tok):
            out.setdefault(part, True)
        if not has_thai(tok):
            out.setdefault(singular(tok), False)
    return out


@lru_cache(maxsize=4)
def _tokenizer(words: frozenset[str]) -> Tokenizer:
    return Tokenizer(words)


def tokenizer_for(acronyms: Iterable[str]) -> Tokenizer:
    """The tokenizer of an index whose catalog spells out these acronyms: the lexicon's domain
    words and the catalog's own. The build and the engine get the same object (cached)."""
    return _tokenizer(frozenset(lexicon().domain_words(acronyms)))


def text_fingerprint(words: Tokenizer) -> str:
    """What the index records of how it cut text: the lexicon files, and the cut of every line of
    index/data/probe.txt. A change to normalisation or tokenisation code, or to the lexicon,
    changes it, and start-up indexes the same datasets again (no version to bump by hand)."""
    digest = hashlib.sha256(fingerprint().encode())
    for line in (DATA / "probe.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest.update((" | ".join(words.tokenize(line)) + "\n").encode())
    return digest.hexdigest()[:16]


def _meta(path: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}


def _acronyms(path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT short, full FROM acronyms").fetchall())


def index_state(path: Path) -> str:
    """ "missing"; "old-layout" (written by a khomun with another SCHEMA_VERSION: build anew);
    "old-text" (the same layout, but text is now cut differently: index the same datasets
    again, see ``reindex``); or "current"."""
    if not path.exists():
        return "missing"
    meta = _meta(path)
    if meta.get("schema_version") != str(SCHEMA_VERSION):
        return "old-layout"
    if meta.get("text") != text_fingerprint(tokenizer_for(_acronyms(path))):
        return "old-text"
    return "current"


def reindex(path: Path) -> BuildStats:
    """Index the datasets of the index at ``path`` again, from the same source."""
    from .search import dataset_from_json

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        datasets = [dataset_from_json(r[0]) for r in db.execute("SELECT record FROM datasets ORDER BY rowid")]
    return build_index(datasets, path, source=_meta(path).get("source", ""))


def _fields(d: Dataset) -> dict[str, str]:
    res = dict.fromkeys(r.name for r in d.resources if r.name and not r.is_bundle)
    return {
        "title": d.title,
        "tags": " | ".join(d.tags),
        "org": d.organization,
        "notes": d.notes[:_NOTES_CHARS],
        "res": " | ".join(list(res)[:25]),
    }


def _mine_acronyms(datasets: Iterable[Dataset]) -> dict[str, str]:
    """Acronyms the catalog spells out itself: "การรถไฟฟ้าขนส่งมวลชนแห่งประเทศไทย (รฟม.)"."""
    seen: Counter[tuple[str, str]] = Counter()
    orgs = {normalize(d.organization) for d in datasets if d.organization}
    for d in datasets:
        for text in (d.title, d.notes[:_NOTES_CHARS], d.organization):
            for full, short in _ACRONYM_IN_PARENS.findall(normalize(text)):
                short = short.replace(".", "")
                full = full.strip()
                # prefer the known agency name that ends the text before the parenthesis
                for org in orgs:
                    if full.endswith(org):
                        full = org
                        break
                if len(short) >= 2 and len(full) > len(short) + 3:
                    seen[(short, full)] += 1
    best: dict[str, tuple[int, str]] = {}
    for (short, full), count in seen.items():
        if count > best.get(short, (0, ""))[0]:
            best[short] = (count, full)
    return {short: full for short, (_, full) in best.items()}


def _dataset_json(d: Dataset) -> str:
    return json.dumps(asdict(d), ensure_ascii=False, separators=(",", ":"))


def _write(
    db: Database,
    datasets: list[dict[str, object]],
    postings: _Postings,
    acronyms: dict[str, str],
    meta: dict[str, str],
) -> None:
    db.table("meta").insert_all(({"key": k, "value": v} for k, v in meta.items()), pk="key")
    db.table("datasets").insert_all(
        datasets, pk="rowid", not_null={"name", "title", "org", "modified", "period", "record"}
    )
    db.table("datasets").create_index(["name"], unique=True)
    db.table("datasets").create_index(["modified"])
    db.table("datasets").create_index(["org"])
    db.table("postings").insert_all(
        ({"token": t, "df": n, "rows": r, "codes": c} for t, n, r, c in postings.records()),
        pk="token",
        batch_size=2000,
    )
    db.table("acronyms").insert_all(({"short": k, "full": v} for k, v in acronyms.items()), pk="short")


class _Postings:
    """token -> (dataset rows, field codes), in row order."""

    def __init__(self) -> None:
        self.rows: dict[str, array[int]] = defaultdict(lambda: array("i"))
        self.codes: dict[str, array[int]] = defaultdict(lambda: array("B"))

    def add(self, row: int, best: dict[str, int]) -> None:
        for token, code in best.items():
            self.rows[token].append(row)
            self.codes[token].append(code)

    def records(self) -> Iterator[tuple[str, int, bytes, bytes]]:
        for token, rows in self.rows.items():
            yield token, len(rows), rows.tobytes(), self.codes[token].tobytes()


def _period(toks: dict[str, list[str]], lex: Lexicon) -> int:
    """The latest period a title names, as year * 100 + month (0 when it names none): lists of a
    series are shown newest first by it."""
    found = find_entities(toks["title"], lex, formal=True)
    year = max(found.years | found.fiscal, default=0)
    return year * 100 + max(found.months, default=0) if year else 0


def _entity_postings(toks: dict[str, list[str]], lex: Lexicon) -> dict[str, int]:
    in_title = find_entities(toks["title"], lex, formal=True)
    named = find_entities(toks["title"] + ["|"] + toks["tags"] + ["|"] + toks["org"], lex, formal=True)
    anywhere = find_entities([t for f in FIELDS for t in [*toks[f], "|"]], lex)
    provinces = named.provinces or find_entities(toks["res"], lex, formal=True).provinces
    keys = (
        entity_keys("p", provinces)
        + entity_keys("yt", in_title.years)
        + entity_keys("ya", anywhere.years)
        + entity_keys("mt", in_title.months)
        + entity_keys("ma", anywhere.months)
        + entity_keys("fy", in_title.fiscal)
        + entity_keys("fa", anywhere.fiscal)
    )
    return dict.fromkeys(keys, 0)


def build_index(datasets: Iterable[Dataset], path: Path, *, source: str = "") -> BuildStats:
    """Write a complete index for ``datasets`` to ``path``, atomically replacing any old one."""
    started = time.perf_counter()
    items = list(datasets)
    lex = lexicon()
    acronyms = {**_mine_acronyms(items), **lex.acronyms}
    words = tokenizer_for(acronyms)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".index-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        db = Database(tmp)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        postings = _Postings()
        rows: list[dict[str, object]] = []
        for row, d in enumerate(items):
            # entities are read from the plain token sequence: parts and de-duplication would
            # separate จังหวัด from แพร่, and ปี from 62
            plain = {f: words.tokenize(text) for f, text in _fields(d).items()}
            best: dict[str, int] = {}
            for code, f in enumerate(RANK_FIELDS):
                for t, part in field_tokens(plain[f], words.pieces, lex.places).items():
                    mine = code + len(RANK_FIELDS) if part else code
                    if t not in best or CODE_WEIGHTS[mine] > CODE_WEIGHTS[best[t]]:
                        best[t] = mine
            best.update(_entity_postings(plain, lex))
            postings.add(row, best)
            rows.append(
                {
                    "rowid": row,
                    "name": d.name,
                    "title": d.title,
                    "org": d.organization,
                    "modified": d.metadata_modified,
                    "title_text": normalize(d.title),
                    "period": _period(plain, lex),
                    "record": _dataset_json(d),
                }
            )
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "text": text_fingerprint(words),
            "datasets": str(len(items)),
            "source": source,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _write(db, rows, postings, acronyms, meta)
        db.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    vocabulary = sum(1 for t in postings.rows if not t.startswith("@"))
    log.info("index built", extra={"datasets": len(items), "seconds": round(seconds, 1)})
    return BuildStats(datasets=len(items), vocabulary=vocabulary, seconds=seconds, path=path)
