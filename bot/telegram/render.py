"""Reply -> Telegram Bot API payloads (plain JSON dicts). Pure: no I/O, no clock, no env.

Text is HTML (parse_mode "HTML", every value passed through ``html.escape``): MarkdownV2 breaks on
the ``.``, ``-`` and ``(`` of agency names. A search answer is one message with numbered results
(each title links to its data.go.th page, "ดาวน์โหลด" to its best file: no URL is printed, and no
button repeats a link the text holds) and a small inline keyboard: one row of numbers that open
each result's details (where the download and page buttons are), then paging and narrowing, at most
MAX_LIST_BUTTONS in all. Split at result boundaries when it would pass 4096 characters. Inline-mode
results are articles that share one dataset card with a citation line. Limits: PLATFORMS.md.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from typing import Any

from intents import payload, texts
from intents.cards import shorten
from intents.types import Button, Card, Details, Reply

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_INLINE_RESULTS",
    "MAX_TEXT",
    "callback_data",
    "card_html",
    "details_html",
    "inline_results",
    "render",
    "tg_len",
]

# -- Telegram limits (PLATFORMS.md) ---------------------------------------------------------------
MAX_TEXT = 4096  # characters (UTF-16 code units) per message
MAX_CALLBACK_BYTES = 64  # bytes of callback_data, UTF-8
MAX_INLINE_RESULTS = 50  # results per answerInlineQuery
MAX_INLINE_ID_BYTES = 64
MAX_OFFSET_BYTES = 64  # next_offset
MAX_ROW = 8  # buttons per keyboard row

# -- our choices ----------------------------------------------------------------------------------
QUICK_PER_ROW = 3
#: buttons on a list of results: the numbers, then "more" and narrowing (a phone shows them all)
MAX_LIST_BUTTONS = 8
#: button labels longer than this are cut (agency names run to 80 characters; a phone shows ~30)
LABEL_CHARS = 32
DESCRIPTION_CHARS = 300
DETAILS_DESCRIPTION = 1200
INLINE_DESCRIPTION = 200

Json = dict[str, Any]


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); an upper bound before entity parsing."""
    return len(text.encode("utf-16-le")) // 2


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _url_ok(url: str | None) -> bool:
    return url is not None and url.startswith(("https://", "http://"))


def callback_data(button: Button) -> str | None:
    """The callback_data for a postback or text Button, None when it would pass 64 bytes."""
    if button.kind == "text":  # the channel turns it back into typed text (payload.text_of)
        return payload.text_data(button.data)
    if not button.data or len(button.data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    return button.data


def _button(button: Button) -> Json | None:
    label = shorten(button.label, LABEL_CHARS)
    if button.kind == "url":
        return {"text": label, "url": button.data} if _url_ok(button.data) else None
    data = callback_data(button)
    return {"text": label, "callback_data": data} if data else None


def _rows(buttons: Sequence[Button], per_row: int = QUICK_PER_ROW) -> list[list[Json]]:
    made = [b for b in (_button(x) for x in buttons) if b is not None]
    return [made[i : i + per_row] for i in range(0, len(made), per_row)]


def _number(card: Card, n: int) -> Json | None:
    """The result's number as a button that opens its details (the card's postback button)."""
    for b in card.buttons:
        if b.kind == "postback":
            data = callback_data(b)
            return {"text": str(n), "callback_data": data} if data else None
    return None


def _list_keyboard(reply: Reply) -> list[list[Json]]:
    """Numbers in one row (details of each result), then paging and narrowing, then feedback,
    MAX_LIST_BUTTONS in all: every link is already in the text."""
    numbers = [b for b in (_number(c, c.number or i) for i, c in enumerate(reply.cards, 1)) if b]
    keyboard = [numbers[i : i + MAX_ROW] for i in range(0, len(numbers), MAX_ROW)]
    room = max(0, MAX_LIST_BUTTONS - len(numbers))
    rest = [b for b in (_button(x) for x in (*reply.quick_replies, *reply.buttons)) if b and "url" not in b]
    rest = rest[:room]
    keyboard += [rest[i : i + QUICK_PER_ROW] for i in range(0, len(rest), QUICK_PER_ROW)]
    return keyboard


def _link(url: str | None, text: str) -> str:
    return f'<a href="{_e(url)}">{text}</a>' if url and _url_ok(url) else text


def card_html(card: Card, n: int = 0, *, description: int = DESCRIPTION_CHARS) -> str:
    """A result: its title links to its page, "ดาวน์โหลด" to its best file (no URL printed)."""
    title = _e(shorten(card.title, 300))
    lines = [f"<b>{n}. {_link(card.page_url, title)}</b>" if n else f"<b>{_link(card.page_url, title)}</b>"]
    if card.agency:
        lines.append(_e(card.agency))
    facts = []
    if card.updated:
        facts.append(_e(f"{texts.WEB_UPDATED} {card.updated}"))
    if card.formats:
        facts.append(_e(", ".join(card.formats[:8])))
    if _url_ok(card.download_url):
        facts.append(_link(card.download_url, _e(texts.LABEL_DOWNLOAD)))
    if facts:
        lines.append(" · ".join(facts))
    if card.description and description:
        lines.append(f"<i>{_e(shorten(card.description, description))}</i>")
    return "\n".join(lines)


def _pack(blocks: list[str]) -> list[str]:
    """Join blocks with blank lines into as few messages as fit MAX_TEXT; never split a block
    (HTML tags stay whole); a single block too long is cut and closed by its caller's clipping."""
    out: list[str] = []
    current = ""
    for block in blocks:
        if tg_len(block) > MAX_TEXT:
            block = _e(shorten(html.unescape(block), MAX_TEXT // 2))  # pathological: drop markup
        candidate = f"{current}\n\n{block}" if current else block
        if tg_len(candidate) <= MAX_TEXT:
            current = candidate
        else:
            out.append(current)
            current = block
    if current:
        out.append(current)
    return out


def details_html(details: Details) -> str:
    card = details.card
    head = [f"<b>{_link(card.page_url, _e(shorten(card.title, 300)))}</b>"]
    if card.agency:
        head.append(_e(card.agency))
    facts = [
        f"{texts.WEB_UPDATED} {card.updated}" if card.updated else "",
        f"{texts.WEB_LICENSE}: {details.license}" if details.license else "",
    ]
    if any(facts):
        head.append(_e(" · ".join(f for f in facts if f)))
    if details.tags:
        head.append(_e(f"{texts.WEB_TAGS}: " + ", ".join(details.tags[:12])))
    if details.description:
        head.append("\n" + _e(shorten(details.description, DETAILS_DESCRIPTION)))
    text = "\n".join(head)
    listed = 0
    lines = [f"\n\n<b>{texts.WEB_RESOURCES} ({max(details.num_resources, len(details.resources))})</b>"]
    budget = MAX_TEXT - tg_len(text) - 200  # leave room for the "and N more" line
    for r in details.resources:
        if not _url_ok(r.url):
            continue
        name = _e(shorten(r.name or r.format or r.url, 120))
        fmt = f" ({_e(r.format)})" if r.format else ""
        line = f'\n• <a href="{_e(r.url)}">{name}</a>{fmt}'
        if tg_len(line) > budget:
            break
        budget -= tg_len(line)
        lines.append(line)
        listed += 1
    hidden = max(details.num_resources, len(details.resources)) - listed
    if hidden > 0 and listed:
        lines.append("\n" + _e(texts.MORE_RESOURCES.format(n=hidden)))
    return text + ("".join(lines) if listed else "")


def _message(text: str, keyboard: list[list[Json]] | None = None) -> Json:
    msg: Json = {"text": text, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
    if keyboard:
        msg["reply_markup"] = {"inline_keyboard": keyboard}
    return msg


def render(reply: Reply) -> list[Json]:
    """sendMessage payloads (without chat_id) for one reply; the keyboard rides on the last one."""
    keyboard: list[list[Json]] = []
    blocks = [_e(reply.text)] if reply.text.strip() else []
    if reply.preview is not None:
        from ..preview.render import pre_table

        blocks.append(pre_table(reply.preview))
    if reply.details is not None:
        blocks.append(details_html(reply.details))
        card = reply.details.card
        row = []
        if _url_ok(card.download_url):
            row.append({"text": texts.LABEL_DOWNLOAD, "url": card.download_url})
        if _url_ok(card.page_url):
            row.append({"text": texts.LABEL_PAGE, "url": card.page_url})
        if row:
            keyboard.append(row)
    for i, card in enumerate(reply.cards, start=1):
        blocks.append(card_html(card, card.number or i))
    if reply.cards:
        keyboard += _list_keyboard(reply)
    else:
        keyboard += _rows(reply.buttons)
        keyboard += _rows(reply.quick_replies)
    out = [_message(t) for t in _pack(blocks) or ["…"]]
    if keyboard:
        out[-1]["reply_markup"] = {"inline_keyboard": keyboard}
    return out


def _inline_id(name: str) -> str:
    if name and name.isascii() and len(name) <= MAX_INLINE_ID_BYTES:
        return name
    return hashlib.sha1(name.encode("utf-8")).hexdigest()


def citation(card: Card) -> str:
    """ที่มา: title, agency, updated, link: what a journalist pastes under a chart."""
    parts = [
        f"“{card.title}”",
        card.agency,
        f"{texts.WEB_UPDATED} {card.updated}" if card.updated else "",
        card.page_url,
    ]
    return f"{texts.SOURCE}: " + ", ".join(p for p in parts if p)


def inline_results(cards: Sequence[Card]) -> list[Json]:
    """InlineQueryResultArticle dicts, at most MAX_INLINE_RESULTS: each shares one card."""
    out: list[Json] = []
    seen: set[str] = set()
    for card in cards:
        rid = _inline_id(card.name)
        if rid in seen:
            continue
        seen.add(rid)
        text = card_html(card, 0, description=DESCRIPTION_CHARS) + "\n\n" + _e(citation(card))
        if tg_len(text) > MAX_TEXT:
            text = _e(shorten(citation(card), MAX_TEXT))
        row = []
        if _url_ok(card.download_url):
            row.append({"text": texts.LABEL_DOWNLOAD, "url": card.download_url})
        if _url_ok(card.page_url):
            row.append({"text": texts.LABEL_PAGE, "url": card.page_url})
        article: Json = {
            "type": "article",
            "id": rid,
            "title": shorten(card.title, 200),
            "description": shorten(
                " · ".join(x for x in (card.agency, card.updated) if x), INLINE_DESCRIPTION
            ),
            "input_message_content": {
                "message_text": text,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            },
        }
        if row:
            article["reply_markup"] = {"inline_keyboard": [row]}
        if _url_ok(card.page_url):
            article["url"] = card.page_url
        out.append(article)
        if len(out) == MAX_INLINE_RESULTS:
            break
    return out
