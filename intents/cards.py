"""Dataset -> Card and Details: what users see of a dataset. Pure."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from pythainlp.util import thai_strftime

from index.dataset import Dataset

from . import texts
from .types import Card, Details, ResourceLink

__all__ = [
    "dataset_formats",
    "license_name",
    "make_card",
    "make_details",
    "plain",
    "resource_name",
    "safe_url",
    "shorten",
    "thai_date",
]

DESCRIPTION_CHARS = 160
_WS = re.compile(r"\s+")
#: catalog markup that must not reach users: [text](url) links, **bold**, __bold__, `code`, # headings
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"\*{1,3}|_{2,3}|`+|^#{1,6}\s*|^>\s*", re.MULTILINE)


def plain(text: str) -> str:
    """Catalog text as users should read it: markdown marks out, whitespace collapsed."""
    return _WS.sub(" ", _MD_MARKS.sub("", _MD_LINK.sub(r"\1", text or ""))).strip()


def safe_url(url: str) -> str:
    """A valid URI: non-ASCII characters and spaces percent-encoded, existing escapes kept (LINE
    rejects a whole reply over one raw Thai path)."""
    return quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~")


def license_name(license: str) -> str:
    """The licence in Thai when we know it ("Creative Commons Attributions" -> ครีเอทีฟคอมมอนส์ ...)."""
    return texts.LICENSES.get(license.strip().lower(), license)


def resource_name(name: str) -> str:
    """A file's name for users; the portal's "All resource data" bundle in Thai."""
    return texts.ALL_RESOURCES if name.strip().lower() == "all resource data" else plain(name)


def thai_date(iso: str) -> str:
    """ "2021-10-31T08:00:00" -> "31 ต.ค. 2564"; "" when unknown."""
    try:
        d = datetime.fromisoformat(iso[:19])
    except (ValueError, TypeError):
        return ""
    return thai_strftime(d, "%-d %b %Y")  # pythainlp: Thai month abbreviations, Buddhist Era


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
        title=plain(d.title),
        agency=d.organization,
        updated=thai_date(d.metadata_modified),
        formats=formats,
        description=shorten(plain(d.notes), DESCRIPTION_CHARS),
        page_url=safe_url(d.page_url),
        download_url=safe_url(best.url) if best else None,
        buttons=(),
        number=number,
    )


def make_details(d: Dataset, card: Card | None = None) -> Details:
    return Details(
        card=card or make_card(d),
        description=plain(d.notes),
        tags=d.tags,
        license=license_name(d.license),
        resources=tuple(ResourceLink(resource_name(r.name), r.format, safe_url(r.url)) for r in d.resources),
        num_resources=d.num_resources or len(d.resources),
    )
