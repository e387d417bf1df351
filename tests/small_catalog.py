"""A small slice of the bundled catalog as a JSONL file (indexed in about a second), and a dataset
the bundled catalog lacks, for tests that rebuild an index while it is served."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

from index.catalog import bundled_catalog_path

__all__ = ["EXTRA", "EXTRA_QUERY", "write_catalog"]

#: a dataset no slice of the bundled catalog holds, and a query that answers it with confidence
EXTRA = {
    "name": "elephant-census-khao-yai",
    "title": "ทะเบียนช้างป่า อุทยานแห่งชาติเขาใหญ่",
    "organization": "กรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช",
    "tags": ["ช้างป่า", "สัตว์ป่า"],
    "metadata_modified": "2026-11-01T00:00:00",
    "resources": [{"name": "ทะเบียนช้าง", "format": "CSV", "url": "https://data.go.th/elephants.csv"}],
}
EXTRA_QUERY = "ทะเบียนช้างป่า"


def write_catalog(path: Path, size: int = 200, *, extra: bool = False) -> Path:
    """The first ``size`` datasets of the bundled catalog (and EXTRA) as JSONL at ``path``."""
    with gzip.open(bundled_catalog_path(), "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in itertools.islice(f, size)]
    if extra:
        lines.append(json.dumps(EXTRA, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
