"""Opening what the service needs: the index (built from the bundled catalog when missing)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from index.build import BuildStats, build_index, index_state, reindex
from index.catalog import CleanReport, bundled_catalog_path, clean_records, load_jsonl
from index.dataset import Dataset
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


def ensure_index(index_path: Path) -> None:
    """Build the index from the bundled catalog when it is missing or was written by a khomun
    with another index layout. When only the way text is cut changed (a lexicon edit, or a change
    to normalisation or tokenisation), the same datasets are indexed again, wherever they came
    from. A current index is left alone."""
    state = index_state(index_path)
    if state == "missing":
        log.info("no index yet: building it from the bundled catalog", extra={"path": str(index_path)})
        build_from_file(index_path)
    elif state == "old-layout":
        log.warning("index was built by another version: rebuilding it from the bundled catalog")
        build_from_file(index_path)
    elif state == "old-text":
        log.warning("text is cut differently since the index was built: indexing the same datasets again")
        reindex(index_path)


def open_engine(index_path: Path, teachings: Teachings | None = None) -> SearchEngine:
    ensure_index(index_path)
    return SearchEngine(index_path, teachings)
