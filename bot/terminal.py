"""`khomun chat`: the whole conversation in a terminal. Buttons are listed as [#1] [#2] ...: type
"#1" to press one (a typed "2" still means "item 2 of the list", as on LINE); a card's details
button says which card it opens; a number with no button says so rather than searching for it.
A preview ("ดูตัวอย่างข้อมูล") is fetched as on the other surfaces (``Previewer.complete``) and shown
as a plain-text table (``bot.preview.render.plain_table``)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace

from intents import Button, Conversation, Message, Reply, texts

from .preview.fetch import Previewer
from .preview.render import plain_table
from .requests import clean_text

__all__ = ["chat", "choices", "render_text"]


def choices(reply: Reply) -> list[Button]:
    """The buttons a user can press, in the order they are numbered: card buttons that send
    something back (details, labelled with the card's number), then the reply's buttons, then
    its quick replies."""
    found = [
        replace(b, label=texts.TERMINAL_DETAILS.format(n=card.number)) if card.number else b
        for card in reply.cards
        for b in card.buttons
        if b.kind != "url"
    ]
    if reply.details:
        found += [b for b in reply.details.card.buttons if b.kind != "url"]
    return found + list(reply.buttons) + list(reply.quick_replies)


def render_text(reply: Reply) -> str:
    lines = [reply.text]
    for card in reply.cards:
        lines.append(f"\n{card.number}. {card.title}")
        lines.append(f"   {card.agency} · {texts.WEB_UPDATED} {card.updated} · {', '.join(card.formats)}")
        if card.download_url:
            lines.append(f"   {texts.TERMINAL_DOWNLOAD} {card.download_url}")
        lines.append(f"   {card.page_url}")
    if reply.details:
        d = reply.details
        lines.append(
            f"\n{d.description}\n{texts.WEB_TAGS}: {', '.join(d.tags)}\n{texts.WEB_LICENSE}: {d.license}"
        )
        lines.extend(f"  - {r.name} [{r.format}] {r.url}" for r in d.resources)
    if reply.preview:
        lines.append("\n" + plain_table(reply.preview))
    numbered = choices(reply)
    if numbered:
        lines.append("\n" + "  ".join(f"[#{i}] {b.label}" for i, b in enumerate(numbered, start=1)))
    return "\n".join(lines)


def chat(conversation: Conversation, previews: Previewer | None = None) -> int:
    """Talk until Ctrl-D; ``previews`` fetches the previews asked for (without it, only the
    conversation's "opening the file" line is shown)."""
    print(texts.TERMINAL_INTRO)
    last: list[Button] = []
    while True:
        try:
            text = clean_text(input("> ")) or ""
        except EOFError:
            print()
            return 0
        message = Message(platform="cli", chat_id="terminal", user_id="terminal", text=text)
        pick = text.strip()
        if pick.startswith("#") and pick[1:].isdigit() and not 1 <= int(pick[1:]) <= len(last):
            n = int(pick[1:])
            print(texts.TERMINAL_NO_BUTTON.format(n=n, last=len(last)) if last else texts.TERMINAL_NO_BUTTONS)
            continue
        if pick.startswith("#") and pick[1:].isdigit():
            button = last[int(pick[1:]) - 1]
            if button.kind == "url":
                print(button.data)
                continue
            typed = button.kind == "text"
            message = Message(
                platform="cli",
                chat_id="terminal",
                user_id="terminal",
                text=button.data if typed else "",
                postback="" if typed else button.data,
            )
        turn = conversation.route(message)
        if previews is not None and turn.reply.preview_of is not None:
            turn = asyncio.run(previews.complete(turn))
        last = choices(turn.reply)
        print(render_text(turn.reply), flush=True)
        sys.stdout.flush()
