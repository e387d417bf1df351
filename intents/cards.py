"""Dataset -> Card and Details: what users see of a dataset. Pure."""

from __future__ import annotations

import re
from datetime import datetime

from index.dataset import Dataset

from .types import Card, Details, ResourceLink

__all__ = ["dataset_formats", "make_card", "make_details", "shorten", "thai_date"]

THAI_MONTHS_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
DESCRIPTION_CHARS = 160
_WS = re.compile(r"\s+")


def thai_date(iso: str) -> str:
    """ "2021-10-31T08:00:00" -> "31 ต.ค. 2564"; "" when unknown."""
    try:
        d = datetime.fromisoformat(iso[:19])
    except (ValueError, TypeError):
        return ""
    return f"{d.day} {THAI_MONTHS_SHORT[d.month - 1]} {d.year + 543}"


def shorten(text: str, limit: int) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def dataset_formats(d: Dataset) -> tuple[str, ...]:
    """The formats of the dataset's real files (not the "All resource data" bundle), upper case."""
    found = d.formats or tuple(r.format for r in d.resources if r.format and not r.is_bundle)
    return tuple(dict.fromkeys(f.upper() for f in found if f))


def make_card(d: Dataset, number: int = 0) -> Card:
    best = d.best_resource
    formats = dataset_formats(d)
    return Card(
        name=d.name,
        title=d.title,
        agency=d.organization,
        updated=thai_date(d.metadata_modified),
        formats=formats,
        description=shorten(d.notes, DESCRIPTION_CHARS),
        page_url=d.page_url,
        download_url=best.url if best else None,
        buttons=(),
        number=number,
    )


def make_details(d: Dataset, card: Card | None = None) -> Details:
    return Details(
        card=card or make_card(d),
        description=_WS.sub(" ", d.notes).strip(),
        tags=d.tags,
        license=d.license,
        resources=tuple(ResourceLink(r.name, r.format, r.url) for r in d.resources),
        num_resources=d.num_resources or len(d.resources),
    )
