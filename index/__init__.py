"""The catalog and Thai search: ingestion into SQLite, query understanding, ranking."""

from .build import BuildStats, build_index
from .dataset import Dataset, Resource
from .search import Hit, IndexMissing, SearchEngine, SearchResult, Teachings

__all__ = [
    "BuildStats",
    "Dataset",
    "Hit",
    "IndexMissing",
    "Resource",
    "SearchEngine",
    "SearchResult",
    "Teachings",
    "build_index",
]
