"""Catalog ingestion: raw CKAN or JSONL records in, clean Datasets out, with a report of what was fixed."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit

from index.dataset import Dataset, Resource

__all__ = [
    "CleanReport",
    "bundled_catalog_path",
    "clean_record",
    "clean_records",
    "load_jsonl",
    "normalise_format",
]

MAX_EXAMPLES = 20

_NAME = re.compile(r"[a-z0-9_-]{2,100}")  # CKAN's own rule for dataset names
_INVISIBLE = re.compile("[\x00-\x08\x7f\u00ad\u200b-\u200d\u2060\ufeff\ufffd]")
_TAG = re.compile(r"<!--.*?-->|</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>", re.DOTALL)
_INLINE_TAGS = frozenset({"a", "b", "i", "u", "em", "strong", "span", "font", "small", "sub", "sup"})
_FORMAT_ALIASES = {"XSL": "XLS"}
_LICENSE_KEYS = ("license", "license_title", "license_id")  # ours, then CKAN's
_MAP_EXTENSIONS = {"kml": "KML", "gml": "GML"}
_KNOWN_EXTENSIONS = frozenset(
    {"csv", "tsv", "txt", "xls", "xlsx", "ods", "json", "geojson", "xml", "kml", "kmz", "gml", "shp"}
    | {"zip", "rar", "7z", "gz", "pdf", "doc", "docx", "odt", "ppt", "pptx", "rdf"}
    | {"jpg", "jpeg", "png", "gif", "tif", "tiff"}
)


@dataclass(slots=True)
class CleanReport:
    """What a load did: records read, kept and skipped, and what had to be cleaned."""

    read: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line or position, reason)
    html_entities: int = 0  # records whose text held HTML entities or markup
    invisible_chars: int = 0  # records with U+FFFD, zero-width or control characters removed
    broken_tags: int = 0  # tags repaired or dropped (U+FFFD, invisible, empty, duplicate)
    format_fixes: int = 0  # resource format labels changed
    untitled: int = 0  # records given a fallback title
    duplicates: int = 0  # records replaced by a later one with the same name

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, position: int, reason: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((position, reason))

    def summary(self) -> str:
        lines = [f"Read {self.read:,} records: kept {self.kept:,}, skipped {self.skipped_total:,}."]
        if self.skipped:
            reasons = ", ".join(f"{reason} {n:,}" for reason, n in self.skipped.most_common())
            where = ", ".join(str(pos) for pos, _ in self.examples)
            lines.append(f"Skipped: {reasons} (at {where}).")
        lines.append(
            f"Cleaned: HTML in {self.html_entities:,} records, invisible characters in "
            f"{self.invisible_chars:,}, {self.broken_tags:,} broken tags, {self.format_fixes:,} format "
            f"labels, {self.untitled:,} untitled, {self.duplicates:,} duplicates."
        )
        return "\n".join(lines)


class _Cleaned(NamedTuple):
    dataset: Dataset | None
    skip_reason: str
    fixes: Counter[str]


class _BadLine(NamedTuple):
    reason: str


def bundled_catalog_path() -> Path:
    """The catalog snapshot shipped with the package (see index/data/SOURCES.md)."""
    return Path(__file__).with_name("data") / "datagoth.jsonl.gz"


def clean_record(raw: Mapping[str, Any]) -> Dataset | None:
    """A clean Dataset from a JSONL or CKAN package_search record; None if it has no usable name."""
    return _clean(raw).dataset


def clean_records(raws: Iterable[object], report: CleanReport | None = None) -> Iterator[Dataset]:
    """Clean records (e.g. from `harvest`), de-duplicated by name (the last one wins)."""
    return _keep(enumerate(raws, 1), report if report is not None else CleanReport())


def load_jsonl(path: Path, report: CleanReport | None = None) -> Iterator[Dataset]:
    """Clean datasets from a .jsonl or .jsonl.gz file; bad lines are skipped and reported."""
    report = report if report is not None else CleanReport()
    with _open_text(Path(path)) as lines:
        yield from _keep(_parse_lines(lines), report)


def normalise_format(label: object, url: str = "") -> str:
    """An upper-case format label; fixes XSL and MAP, and guesses a blank one from the URL."""
    fmt = _INVISIBLE.sub("", label).strip().lstrip(".").strip().upper() if isinstance(label, str) else ""
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    ext = _url_extension(url)
    if fmt == "MAP":
        return _MAP_EXTENSIONS.get(ext, fmt)
    if not fmt and ext in _KNOWN_EXTENSIONS:
        return ext.upper()
    return fmt


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            yield number, _BadLine("blank line")
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, RecursionError):
            yield number, _BadLine("malformed JSON")


def _keep(numbered: Iterable[tuple[int, object]], report: CleanReport) -> Iterator[Dataset]:
    by_name: dict[str, Dataset] = {}
    for position, value in numbered:
        report.read += 1
        cleaned = _Cleaned(None, value.reason, Counter()) if isinstance(value, _BadLine) else _clean(value)
        if cleaned.dataset is None:
            report.skip(position, cleaned.skip_reason)
            continue
        fixes = cleaned.fixes
        report.html_entities += fixes["html"] > 0
        report.invisible_chars += fixes["invisible"] > 0
        report.broken_tags += fixes["broken_tags"]
        report.format_fixes += fixes["format_fixes"]
        report.untitled += fixes["untitled"]
        if cleaned.dataset.name in by_name:
            report.duplicates += 1
            del by_name[cleaned.dataset.name]  # the later record also takes the later place
        by_name[cleaned.dataset.name] = cleaned.dataset
    report.kept += len(by_name)
    yield from by_name.values()


def _clean(raw: object) -> _Cleaned:
    if not isinstance(raw, Mapping):
        return _Cleaned(None, "not an object", Counter())
    try:
        return _clean_mapping(raw)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return _Cleaned(None, "unreadable record", Counter())


def _clean_mapping(raw: Mapping[str, Any]) -> _Cleaned:
    fixes: Counter[str] = Counter()
    name = raw.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not _NAME.fullmatch(name):
        return _Cleaned(None, "no usable name", fixes)
    resources = _resources(raw.get("resources"), fixes)
    title = _text(raw.get("title"), fixes)
    if not title:
        fixes["untitled"] += 1
        named = [r.name for r in resources if r.name and not r.is_bundle]
        title = named[0] if named else name
    num_resources = raw.get("num_resources")
    if isinstance(num_resources, str) and num_resources.strip().isdecimal():
        num_resources = int(num_resources)
    if not isinstance(num_resources, int) or isinstance(num_resources, bool):
        num_resources = 0
    dataset = Dataset(
        name=name,
        title=title,
        id=_plain(raw.get("id")),
        notes=_text(raw.get("notes"), fixes),
        tags=_tags(raw.get("tags"), fixes),
        organization=_text(_label(raw.get("organization")), fixes),
        groups=_distinct(_text(_label(g), fixes) for g in _items(raw.get("groups"))),
        license=_first_plain(raw, _LICENSE_KEYS),
        metadata_modified=_plain(raw.get("metadata_modified")),
        resources=resources,
        num_resources=max(num_resources, len(resources)),
        formats=_distinct(r.format for r in resources if not r.is_bundle),
    )
    return _Cleaned(dataset, "", fixes)


def _resources(value: object, fixes: Counter[str]) -> tuple[Resource, ...]:
    out = []
    for item in _items(value):
        if not isinstance(item, Mapping):
            continue
        url = _plain(item.get("url"))
        name = _text(item.get("name"), fixes)
        if not (url or name):
            continue
        raw_format = item.get("format")
        fmt = normalise_format(raw_format, url)
        fixes["format_fixes"] += fmt != (raw_format if isinstance(raw_format, str) else "")
        out.append(Resource(name=name, format=fmt, url=url))
    return tuple(out)


def _tags(value: object, fixes: Counter[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out = []
    for item in _items(value):
        raw = (item.get("name") or item.get("display_name")) if isinstance(item, Mapping) else item
        tag = _text(raw, Counter())
        key = tag.casefold()
        if tag != raw or not tag or key in seen:
            fixes["broken_tags"] += 1
        if tag and key not in seen:
            seen.add(key)
            out.append(tag)
    return tuple(out)


def _text(value: object, fixes: Counter[str]) -> str:
    """Display text: entities unescaped, markup and invisible characters removed, spaces collapsed."""
    if not isinstance(value, str):
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""
    text = value
    for _ in range(2):  # "&amp;nbsp;" is common: unescape twice at most
        if "&" not in text:
            break
        text = html.unescape(text)
    text = _TAG.sub(_tag_space, text)
    fixes["html"] += text != value
    visible = _INVISIBLE.sub("", text)
    fixes["invisible"] += visible != text
    return " ".join(visible.split())


def _tag_space(match: re.Match[str]) -> str:
    tag = (match.group(1) or "").lower()
    return "" if tag in _INLINE_TAGS else " "


def _plain(value: object) -> str:
    return _INVISIBLE.sub("", value).strip() if isinstance(value, str) else ""


def _first_plain(raw: Mapping[str, Any], keys: Iterable[str]) -> str:
    return next((text for text in (_plain(raw.get(k)) for k in keys) if text), "")


def _label(value: object) -> object:
    """The title of a CKAN object ({title, display_name, name}) or the string itself."""
    if isinstance(value, Mapping):
        return value.get("title") or value.get("display_name") or value.get("name")
    return value


def _items(value: object) -> list[Any] | tuple[Any, ...]:
    return value if isinstance(value, list | tuple) else ()


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _url_extension(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""
