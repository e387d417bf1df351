"""The bundled catalog with a few datasets changed, indexed: their files on a fake portal, or
modified later (a catalog refresh), for previews and alerts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from index.build import build_index
from index.catalog import bundled_catalog_path, load_jsonl
from index.dataset import Dataset

__all__ = ["build_changed_index"]


def build_changed_index(path: Path, changes: Mapping[str, Callable[[Dataset], Dataset]]) -> Path:
    """Index the bundled catalog at ``path`` with ``changes[name](dataset)`` applied."""
    datasets = [changes[d.name](d) if d.name in changes else d for d in load_jsonl(bundled_catalog_path())]
    build_index(datasets, path, source="test")
    return path


def modified(when: str) -> Callable[[Dataset], Dataset]:
    return lambda d: replace(d, metadata_modified=when)
