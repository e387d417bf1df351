"""Build the search index: a SQLite file with the datasets, their pre-tokenised fields, an FTS5
table over them, the vocabulary with document frequencies, and what the catalog teaches about
itself (agency acronyms). Written to a temporary file and swapped in atomically, so a reader never
sees a half-built index.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .dataset import Dataset
from .entities import find_entities
from .lexicon import lexicon
from .rank import RANK_FIELDS
from .text import normalize, pieces, set_domain_words, tokenize

__all__ = ["FIELDS", "SCHEMA_VERSION", "BuildStats", "build_index", "field_tokens", "rank_tokens"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
#: Searchable fields, in FTS column order.
FIELDS = ("title", "tags", "org", "notes", "res")
_NOTES_CHARS = 1500
_ACRONYM_IN_PARENS = re.compile(r"([\u0e00-\u0e7f][\u0e00-\u0e7f ]{5,80}?)\s*\(([\u0e01-\u0e2e.]{2,8})\)")
FTS_TOKENIZER = "unicode61 categories 'L* N* Co M*'"


@dataclass(frozen=True, slots=True)
class BuildStats:
    datasets: int
    vocabulary: int
    seconds: float
    path: Path


def field_tokens(text: str) -> list[str]:
    """Tokens of one field, each compound followed by its parts, without repeats."""
    out: dict[str, None] = {}
    for tok in tokenize(text):
        out[tok] = None
        for part in pieces(tok):
            out[part] = None
    return list(out)


def rank_tokens(toks: dict[str, list[str]]) -> str:
    """Every token once, in the group of the best field it occurs in (RANK_FIELDS order), groups
    separated by tabs: the ranker turns this into {token: field weight} at C speed."""
    seen: set[str] = set()
    groups = []
    for f in RANK_FIELDS:
        group = [t for t in toks[f] if t not in seen]
        seen.update(group)
        groups.append(" ".join(group))
    return "\t".join(groups)


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


def _create_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE datasets (
            rowid INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
            org TEXT NOT NULL, modified TEXT NOT NULL, record TEXT NOT NULL);
        CREATE TABLE docs (
            rowid INTEGER PRIMARY KEY, title TEXT, tags TEXT, org TEXT, notes TEXT, res TEXT,
            title_text TEXT, rank_tokens TEXT, provinces TEXT, years_title TEXT, years_all TEXT,
            months_title TEXT, months_all TEXT);
        CREATE VIRTUAL TABLE docs_fts USING fts5(
            title, tags, org, notes, res, content='docs', content_rowid='rowid',
            tokenize="{FTS_TOKENIZER}");
        CREATE TABLE vocab (token TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE acronyms (short TEXT PRIMARY KEY, full TEXT NOT NULL) WITHOUT ROWID;
        CREATE INDEX datasets_modified ON datasets(modified);
        CREATE INDEX datasets_org ON datasets(org);
        """
    )


def _ints(values: Iterable[int]) -> str:
    return " ".join(str(v) for v in sorted(values))


def build_index(datasets: Iterable[Dataset], path: Path, *, source: str = "") -> BuildStats:
    """Write a complete index for ``datasets`` to ``path``, atomically replacing any old one."""
    started = time.perf_counter()
    items = list(datasets)
    lex = lexicon()
    acronyms = {**_mine_acronyms(items), **lex.acronyms}
    set_domain_words(lex.domain_words() | set(acronyms))

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".index-", suffix=".sqlite", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        db = sqlite3.connect(tmp)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        _create_schema(db)
        df: Counter[str] = Counter()
        ds_rows, doc_rows = [], []
        for rowid, d in enumerate(items, start=1):
            toks = {f: field_tokens(text) for f, text in _fields(d).items()}
            df.update(set().union(*map(set, toks.values())))
            in_title = find_entities(toks["title"], lex)
            named = find_entities(toks["title"] + ["|"] + toks["tags"] + ["|"] + toks["org"], lex)
            everywhere = find_entities(
                [t for f in ("title", "tags", "org", "res", "notes") for t in [*toks[f], "|"]], lex
            )
            provinces = named.provinces or find_entities(toks["res"], lex).provinces
            ds_rows.append(
                (rowid, d.name, d.title, d.organization, d.metadata_modified, _dataset_json(d))
            )
            doc_rows.append(
                (
                    rowid,
                    *(" ".join(toks[f]) for f in FIELDS),
                    normalize(d.title),
                    rank_tokens(toks),
                    "|".join(sorted(provinces)),
                    _ints(in_title.years),
                    _ints(everywhere.years),
                    _ints(in_title.months),
                    _ints(everywhere.months),
                )
            )
        db.executemany("INSERT INTO datasets VALUES (?,?,?,?,?,?)", ds_rows)
        db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", doc_rows)
        db.execute("INSERT INTO docs_fts(docs_fts) VALUES ('rebuild')")
        db.executemany("INSERT INTO vocab VALUES (?,?)", df.items())
        db.executemany("INSERT INTO acronyms VALUES (?,?)", acronyms.items())
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "datasets": str(len(items)),
            "source": source,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        db.executemany("INSERT INTO meta VALUES (?,?)", meta.items())
        db.execute("INSERT INTO docs_fts(docs_fts) VALUES ('optimize')")
        db.commit()
        db.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    seconds = time.perf_counter() - started
    log.info("index built", extra={"datasets": len(items), "seconds": round(seconds, 1)})
    return BuildStats(datasets=len(items), vocabulary=len(df), seconds=seconds, path=path)
