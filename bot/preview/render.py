"""A Preview (columns, first rows, row count) for each platform. Pure.

LINE: a Flex bubble laid out as a table (one horizontal box per row; at most ``LINE_COLUMNS``
columns, each cell clipped); Telegram: a ``<pre>`` block of aligned columns (a phone shows about 40
characters of monospace, so wide tables are cut to their first columns); ``khomun chat``: the same
columns as plain text. The web chat renders the neutral JSON as an HTML table itself
(bot/static/chat.js).
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any

from intents import texts
from intents.cards import shorten
from intents.types import Preview

__all__ = ["LINE_COLUMNS", "TELEGRAM_WIDTH", "flex_table", "plain_table", "pre_table"]

LINE_COLUMNS = 4
LINE_CELL = 40
TELEGRAM_WIDTH = 60  # characters of a <pre> line
TELEGRAM_CELL = 16

Json = dict[str, Any]


def _row(cells: list[str], header: bool) -> Json:
    return {
        "type": "box",
        "layout": "horizontal",
        "spacing": "sm",
        "contents": [
            {
                "type": "text",
                "text": shorten(c, LINE_CELL) or "-",
                "size": "xxs",
                "wrap": True,
                "maxLines": 3,
                "flex": 1,
                **({"weight": "bold", "color": "#1a1a1a"} if header else {"color": "#444444"}),
            }
            for c in cells
        ],
    }


def flex_table(preview: Preview, title: str) -> Json:
    """A LINE Flex bubble: the file's name, a header row, the first rows, the row count."""
    width = min(len(preview.columns), LINE_COLUMNS)
    body: list[Json] = [
        {
            "type": "text",
            "text": shorten(title, 120) or texts.LABEL_PREVIEW,
            "weight": "bold",
            "size": "sm",
            "wrap": True,
        },
        _row(list(preview.columns[:width]), True),
        {"type": "separator"},
    ]
    for r in preview.rows:
        body.append(_row(list(r[:width]), False))
    notes = []
    if len(preview.columns) > width:
        notes.append(texts.PREVIEW_MORE_COLUMNS.format(n=len(preview.columns) - width))
    rows = texts.PREVIEW_AT_LEAST if preview.at_least else texts.PREVIEW_TOTAL
    notes.append(rows.format(n=preview.total))
    body.append({"type": "text", "text": " · ".join(notes), "size": "xxs", "color": "#888888", "wrap": True})
    return {
        "type": "bubble",
        "size": "giga",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }


def _width(text: str) -> int:
    """Columns ``text`` takes in monospace: Thai vowel and tone marks take none, wide CJK two."""
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn"
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _fit(text: str, width: int) -> str:
    out = ""
    for ch in text:
        if _width(out + ch) > width:
            return out[:-1] + "…" if out else "…"
        out += ch
    return out + " " * (width - _width(out))


def _aligned(preview: Preview) -> tuple[str, str]:
    """The table as aligned monospace lines (as many columns as fit ``TELEGRAM_WIDTH``), and the
    note under it (columns left out, the row count)."""
    rows = [list(preview.columns), *(list(r) for r in preview.rows)]
    widths: list[int] = []
    used = 0
    for i in range(len(preview.columns)):
        w = min(TELEGRAM_CELL, max(_width(r[i]) if i < len(r) else 0 for r in rows))
        w = max(w, 1)
        if widths and used + w + 2 > TELEGRAM_WIDTH:
            break
        widths.append(w)
        used += w + 2
    lines = []
    for n, r in enumerate(rows):
        cells = [_fit(r[i] if i < len(r) else "", w) for i, w in enumerate(widths)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * min(used, TELEGRAM_WIDTH))
    notes = []
    if len(widths) < len(preview.columns):
        notes.append(texts.PREVIEW_MORE_COLUMNS.format(n=len(preview.columns) - len(widths)))
    rows_note = texts.PREVIEW_AT_LEAST if preview.at_least else texts.PREVIEW_TOTAL
    notes.append(rows_note.format(n=preview.total))
    return "\n".join(lines), " · ".join(notes)


def pre_table(preview: Preview) -> str:
    """The table as Telegram HTML: a <pre> block of aligned columns, then the row count."""
    table, notes = _aligned(preview)
    return "<pre>" + html.escape(table) + "</pre>\n" + html.escape(notes)


def plain_table(preview: Preview) -> str:
    """The table as plain text (``khomun chat``): the same aligned columns, then the row count."""
    table, notes = _aligned(preview)
    return table + "\n" + notes
