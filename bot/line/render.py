"""Reply -> LINE Messaging API message objects (plain JSON dicts). Pure: no I/O, no clock, no env.

A search answer becomes a text message (the lead sentence) and a Flex carousel of dataset cards;
details become a Flex bubble listing the resources; quick replies ride on the last message (LINE
only shows the last message's). Every platform limit is a named constant below (PLATFORMS.md).
"""

from __future__ import annotations

import json
from typing import Any

from intents import texts
from intents.cards import shorten
from intents.types import Button, Card, Details, Reply

__all__ = [
    "MAX_ALT_TEXT",
    "MAX_BUBBLES",
    "MAX_CAROUSEL_BYTES",
    "MAX_LABEL",
    "MAX_MESSAGES",
    "MAX_POSTBACK_DATA",
    "MAX_QUICK_REPLIES",
    "MAX_TEXT",
    "action",
    "alt_text",
    "render",
]

# -- LINE limits (PLATFORMS.md) -------------------------------------------------------------------
MAX_MESSAGES = 5  # messages per reply / push
MAX_BUBBLES = 12  # bubbles per carousel
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # characters in a button / quick-reply label
MAX_POSTBACK_DATA = 300  # characters
MAX_ALT_TEXT = 1500
MAX_TEXT = 5000
MAX_CAROUSEL_BYTES = 50_000  # JSON size of one carousel
MAX_URI = 1000  # characters in a uri action

# -- what we show inside cards (our choices, well within the limits) ---------------------------
TITLE_LINES = 3
DESCRIPTION_LINES = 4
DETAILS_RESOURCES = 8  # resources listed in a details bubble
DETAILS_DESCRIPTION = 400

Json = dict[str, Any]


def _uri_ok(uri: str | None) -> bool:
    return uri is not None and uri.startswith(("https://", "http://")) and len(uri) <= MAX_URI


def action(button: Button, *, quick: bool = False) -> Json | None:
    """A LINE action for a neutral Button, or None when it cannot be expressed within the limits
    (postback data too long, a bad URI, or a URI in a quick reply, which LINE does not allow)."""
    label = shorten(button.label, MAX_LABEL)
    if not label:
        return None
    if button.kind == "url":
        if quick or not _uri_ok(button.data):
            return None
        return {"type": "uri", "label": label, "uri": button.data}
    if button.kind == "text":
        if not button.data or len(button.data) > 300:
            return None
        return {"type": "message", "label": label, "text": button.data}
    if not button.data or len(button.data) > MAX_POSTBACK_DATA:
        return None
    return {"type": "postback", "label": label, "data": button.data, "displayText": button.label[:300]}


def _quick_reply(buttons: tuple[Button, ...]) -> Json | None:
    items = []
    for b in buttons:
        a = action(b, quick=True)
        if a is not None:
            items.append({"type": "action", "action": a})
        if len(items) == MAX_QUICK_REPLIES:
            break
    return {"items": items} if items else None


def _footer_button(a: Json, style: str = "link") -> Json:
    return {"type": "button", "style": style, "height": "sm", "action": a}


def default_buttons(card: Card) -> tuple[Button, ...]:
    """The card's own buttons (the conversation builds them, details payload included), or for a
    card from outside a list: download (best file) and the page on data.go.th."""
    if card.buttons:
        return card.buttons
    out = []
    if card.download_url:
        out.append(Button(texts.LABEL_DOWNLOAD, card.download_url, "url"))
    out.append(Button(texts.LABEL_PAGE, card.page_url, "url"))
    return tuple(out)


def _card_actions(card: Card) -> list[Json]:
    """Download (best file), details (postback), data.go.th page (always)."""
    out = [a for a in (action(b) for b in default_buttons(card)) if a is not None]
    for a in out:  # "รายละเอียด 2" in the chat says which card was pressed
        if a["type"] == "postback" and card.number:
            a["displayText"] = f"{a['label']} {card.number}"
    if _uri_ok(card.page_url) and not any(a.get("uri") == card.page_url for a in out):
        out.append({"type": "uri", "label": texts.LABEL_PAGE, "uri": card.page_url})
    return out


def _meta_lines(card: Card) -> list[Json]:
    lines: list[Json] = []
    if card.agency:
        lines.append(
            {
                "type": "text",
                "text": shorten(card.agency, 120),
                "size": "sm",
                "color": "#555555",
                "wrap": True,
                "maxLines": 2,
            }
        )
    facts = []
    if card.updated:
        facts.append(f"{texts.WEB_UPDATED} {card.updated}")
    if card.formats:
        facts.append(", ".join(card.formats[:6]))
    if facts:
        lines.append(
            {
                "type": "text",
                "text": shorten(" · ".join(facts), 120),
                "size": "xs",
                "color": "#888888",
                "wrap": True,
            }
        )
    return lines


def card_bubble(card: Card) -> Json:
    title = f"{card.number}. {card.title}" if card.number else card.title
    body: list[Json] = [
        {
            "type": "text",
            "text": shorten(title, 200),
            "weight": "bold",
            "size": "md",
            "wrap": True,
            "maxLines": TITLE_LINES,
        },
        *_meta_lines(card),
    ]
    if card.description:
        body.append(
            {
                "type": "text",
                "text": shorten(card.description, 300),
                "size": "sm",
                "wrap": True,
                "maxLines": DESCRIPTION_LINES,
                "margin": "md",
            }
        )
    bubble: Json = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    actions = _card_actions(card)
    if actions:
        buttons = [_footer_button(a, "primary" if i == 0 else "link") for i, a in enumerate(actions)]
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


def _buttons_bubble(buttons: tuple[Button, ...]) -> Json | None:
    actions = [a for a in (action(b) for b in buttons) if a is not None]
    if not actions:
        return None
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "justifyContent": "center",
            "contents": [_footer_button(a) for a in actions[:8]],
        },
    }


def alt_text(reply: Reply) -> str:
    """What notifications and old clients show: the lead sentence and the numbered titles."""
    lines = [reply.text] if reply.text else []
    for i, card in enumerate(reply.cards, start=1):
        lines.append(
            f"{card.number or i}. {card.title} ({card.agency})"
            if card.agency
            else f"{card.number or i}. {card.title}"
        )
    if reply.details is not None:
        d = reply.details.card
        lines.append(f"{d.title} ({d.agency})" if d.agency else d.title)
    text = "\n".join(lines) or texts.BOT_NAME
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1] + "…"


def _carousel(reply: Reply) -> Json | None:
    extra = _buttons_bubble(reply.buttons)
    room = MAX_BUBBLES - (1 if extra else 0)
    bubbles = [card_bubble(c) for c in reply.cards[:room]]
    if extra:
        bubbles.append(extra)
    if not bubbles:
        return None
    carousel: Json = {"type": "carousel", "contents": bubbles}
    # Long Thai titles and descriptions are clipped already; drop cards from the end if still too big
    while len(bubbles) > 1 and _size(carousel) > MAX_CAROUSEL_BYTES:
        del bubbles[-2 if extra else -1]
    return carousel


def _size(obj: Json) -> int:
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def details_bubble(details: Details, buttons: tuple[Button, ...] = ()) -> Json:
    card = details.card
    body: list[Json] = [
        {"type": "text", "text": shorten(card.title, 300), "weight": "bold", "size": "md", "wrap": True},
        *_meta_lines(card),
    ]
    if details.license:
        body.append(
            {
                "type": "text",
                "text": shorten(f"{texts.WEB_LICENSE}: {details.license}", 120),
                "size": "xs",
                "color": "#888888",
                "wrap": True,
            }
        )
    if details.description:
        body.append(
            {
                "type": "text",
                "text": shorten(details.description, DETAILS_DESCRIPTION),
                "size": "sm",
                "wrap": True,
                "margin": "md",
            }
        )
    shown = 0
    for r in details.resources:
        if shown == DETAILS_RESOURCES:
            break
        if not _uri_ok(r.url):
            continue
        label = shorten(
            f"{r.name or r.format or r.url}" + (f" ({r.format})" if r.format and r.name else ""), 80
        )
        body.append(
            {
                "type": "text",
                "text": f"• {label}",
                "size": "sm",
                "color": "#1a73e8",
                "wrap": True,
                "maxLines": 2,
                "action": {
                    "type": "uri",
                    "label": shorten(r.name or texts.LABEL_DOWNLOAD, MAX_LABEL),
                    "uri": r.url,
                },
            }
        )
        shown += 1
    hidden = max(details.num_resources, len(details.resources)) - shown
    if hidden > 0:
        body.append(
            {
                "type": "text",
                "text": texts.MORE_RESOURCES.format(n=hidden),
                "size": "xs",
                "color": "#888888",
                "wrap": True,
            }
        )
    actions: list[Json] = []
    if _uri_ok(card.download_url):
        actions.append({"type": "uri", "label": texts.LABEL_DOWNLOAD, "uri": card.download_url})
    if _uri_ok(card.page_url):
        actions.append({"type": "uri", "label": texts.LABEL_PAGE, "uri": card.page_url})
    actions += [a for a in (action(b) for b in buttons) if a is not None]
    bubble: Json = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    if actions:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                _footer_button(a, "primary" if i == 0 else "link") for i, a in enumerate(actions[:6])
            ],
        }
    return bubble


def _texts(text: str, room: int) -> list[Json]:
    chunks: list[str] = []
    rest = text.strip()
    while rest and len(chunks) < room:
        if len(rest) <= MAX_TEXT:
            chunks.append(rest)
            break
        cut = rest.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        chunks.append(rest[:cut])
        rest = rest[cut:].strip()
    if chunks and len(chunks[-1]) > MAX_TEXT:
        chunks[-1] = shorten(chunks[-1], MAX_TEXT)
    return [{"type": "text", "text": c} for c in chunks]


def render(reply: Reply) -> list[Json]:
    """The messages for one reply (at most MAX_MESSAGES), quick replies on the last one."""
    flex: Json | None = None
    if reply.preview is not None:
        from ..preview.render import flex_table

        name = reply.preview.resource_name or texts.LABEL_PREVIEW
        flex = {"type": "flex", "altText": alt_text(reply), "contents": flex_table(reply.preview, name)}
    elif reply.details is not None:
        flex = {
            "type": "flex",
            "altText": alt_text(reply),
            "contents": details_bubble(reply.details, reply.buttons),
        }
    elif reply.cards:
        carousel = _carousel(reply)
        if carousel is not None:
            flex = {"type": "flex", "altText": alt_text(reply), "contents": carousel}
    quick_buttons = reply.quick_replies
    if flex is None and reply.buttons:
        quick_buttons = reply.buttons + reply.quick_replies  # nowhere else to put them
    messages = _texts(reply.text, MAX_MESSAGES - (1 if flex else 0))
    if flex is not None:
        messages.append(flex)
    if not messages:
        messages = [{"type": "text", "text": "…"}]
    quick = _quick_reply(quick_buttons)
    if quick is not None:
        messages[-1]["quickReply"] = quick
    return messages[:MAX_MESSAGES]
