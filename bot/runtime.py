"""Opening what the service needs: the index (built from the bundled catalog when missing)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from index.build import SCHEMA_VERSION, BuildStats, build_index
from index.catalog import CleanReport, bundled_catalog_path, clean_records, load_jsonl
from index.dataset import Dataset
from index.lexicon import fingerprint
from index.search import IndexMissing, SearchEngine, Teachings

__all__ = ["build_from_ckan", "build_from_file", "ensure_index", "open_engine"]

log = logging.getLogger(__name__)


def build_from_file(index_path: Path, catalog: Path | None = None) -> tuple[BuildStats, CleanReport]:
    path = catalog or bundled_catalog_path()
    report = CleanReport()
    stats = build_index(load_jsonl(path, report), index_path, source=str(path.name))
    return stats, report


def _existing(index_path: Path) -> Iterator[Dataset]:
    try:
        engine = SearchEngine(index_path)
    except IndexMissing:
        return
    yield from engine.get_many(engine.names())


def build_from_ckan(
    index_path: Path, base_url: str, api_key: str | None = None, *, full: bool = False, progress: bool = True
) -> tuple[BuildStats, CleanReport]:
    """Harvest a CKAN portal into the index. Without ``full``, only what changed since the newest
    dataset already indexed is fetched and merged in (incremental refresh)."""
    from index.ckan import harvest

    old = {} if full else {d.name: d for d in _existing(index_path)}
    since = max((d.metadata_modified for d in old.values()), default=None) if old else None
    report = CleanReport()
    fresh = list(clean_records(harvest(base_url, api_key, since=since, progress=progress), report))
    merged = {**old, **{d.name: d for d in fresh}}
    stats = build_index(merged.values(), index_path, source=base_url)
    return stats, report


def _meta(index_path: Path) -> dict[str, str]:
    try:
        with sqlite3.connect(f"file:{index_path}?mode=ro", uri=True) as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return {}


def ensure_index(index_path: Path) -> None:
    """Build the index from the bundled catalog when it is missing or was written by an older
    version of khomun (its layout changed). When only the lexicon changed (a new synonym or place
    name changes how titles are tokenised), the same datasets are indexed again, wherever they
    came from. A current index is left alone."""
    if not index_path.exists():
        log.info("no index yet: building it from the bundled catalog", extra={"path": str(index_path)})
        build_from_file(index_path)
        return
    meta = _meta(index_path)
    if meta.get("schema_version") != str(SCHEMA_VERSION):
        log.warning("index was built by another version: rebuilding it from the bundled catalog")
        build_from_file(index_path)
    elif meta.get("lexicon") != fingerprint():
        log.warning("the lexicon changed since the index was built: indexing the same datasets again")
        build_index(list(_existing(index_path)), index_path, source=meta.get("source", ""))


def open_engine(index_path: Path, teachings: Teachings | None = None) -> SearchEngine:
    ensure_index(index_path)
    return SearchEngine(index_path, teachings)
