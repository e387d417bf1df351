"""Bytes of a data file -> its columns, first rows and row count. Pure: no I/O.

Thai government files are messy, so this reads them with real readers and then looks for the
table inside: CSV in UTF-8 (with or without a BOM) or TIS-620/cp874 (charset-normalizer tells
which), any delimiter the csv module's sniffer finds; XLSX, XLS and ODS through calamine. Blank
leading rows and merged title rows ("ข้อมูลจำนวนประชากร ปี 2566" across the whole width) are
skipped: the header is the first row that fills at least half the table's width.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from charset_normalizer import from_bytes

from intents.types import Preview

__all__ = ["SHOWN_ROWS", "UnreadableFile", "kind_of", "read_table"]

#: rows shown in a preview
SHOWN_ROWS = 5
#: rows looked at for the header (titles, notes and blank rows above it)
HEADER_SEARCH = 15
MAX_COLUMNS = 30
MAX_CELL = 200

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnreadableFile(ValueError):
    """Not a table any reader could make sense of (a broken file, HTML instead of CSV, ...)."""


def kind_of(data: bytes, fmt: str = "") -> str:
    """ "sheet" (XLSX, XLS, ODS) or "csv", from the bytes first and the catalog's format second."""
    if data.startswith((_ZIP, _OLE)):
        return "sheet"
    if fmt.strip().upper() in ("XLSX", "XLS", "ODS"):
        return "sheet"
    return "csv"


def read_table(data: bytes, fmt: str = "", *, truncated: bool = False) -> Preview:
    """The preview of a whole file, or of its first bytes when ``truncated`` (then the row count
    is "at least"). A truncated spreadsheet cannot be read (a ZIP keeps its index at the end)."""
    if not data.strip():
        raise UnreadableFile("empty file")
    if kind_of(data, fmt) == "sheet":
        if truncated:
            raise UnreadableFile("a spreadsheet cut short cannot be read")
        rows = _sheet_rows(data)
    else:
        rows = _csv_rows(data, truncated)
    return _shape(rows, truncated)


# -- readers ---------------------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3:  # a character cut at the end of a truncated read
            return data[: err.start].decode("utf-8")
    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise UnreadableFile("unknown text encoding")
    return data.decode(best.encoding, "replace")


def _csv_rows(data: bytes, truncated: bool) -> list[list[Any]]:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binary data, not CSV")
    if truncated:  # the last line is probably cut in the middle
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut > 0 else data
    text = _decode(data)
    head = text[:20_000].lstrip("\r\n")
    if head.lstrip().lower().startswith(("<!doctype", "<html", "<?xml", "{", "[")):
        raise UnreadableFile("HTML, XML or JSON, not CSV")
    try:
        dialect: Any = csv.Sniffer().sniff(head[:5000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as err:
        raise UnreadableFile(f"CSV: {err}") from err


def _sheet_rows(data: bytes) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if any(_filled(r) for r in rows):
                return [list(r) for r in rows]
    except Exception as err:  # calamine raises its own errors, zip and XML ones, ValueError ...
        raise UnreadableFile(f"spreadsheet: {type(err).__name__}") from err
    raise UnreadableFile("no sheet with data")


# -- finding the table -----------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    text = " ".join(str(value).replace("\ufeff", "").split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _filled(row: Iterable[Any]) -> int:
    return sum(1 for v in row if _cell(v))


def _header_at(rows: Sequence[Sequence[str]]) -> int:
    """The header's row: the first one that fills at least half the width of the rows below it
    (a merged title fills one cell of a wide table; a note above the table fills one or two)."""
    window = rows[:HEADER_SEARCH]
    width = max((_filled(r) for r in window), default=0)
    for i, row in enumerate(window):
        if _filled(row) >= max(1, math.ceil(width / 2)) and (width < 2 or _filled(row) >= 2):
            return i
    return 0


def _shape(raw: list[list[Any]], truncated: bool) -> Preview:
    rows = [[_cell(v) for v in r[:MAX_COLUMNS]] for r in raw]
    rows = [r for r in rows if any(r)]  # blank rows anywhere (leading ones above all)
    if not rows:
        raise UnreadableFile("no rows")
    at = _header_at(rows)
    header, body = rows[at], rows[at + 1 :]
    width = max(len(r) for r in rows[at:])
    # columns that are empty in the header and every row are dropped from the right
    while width > 1 and not any(len(r) >= width and r[width - 1] for r in rows[at:]):
        width -= 1
    columns = tuple((header[i] if i < len(header) and header[i] else f"#{i + 1}") for i in range(width))
    shown = tuple(tuple((r + [""] * width)[:width]) for r in body[:SHOWN_ROWS])
    return Preview(columns=columns, rows=shown, total=len(body), at_least=truncated)
