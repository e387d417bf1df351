"""`khomun chat`: the conversation in a terminal."""

from __future__ import annotations

import sys

from intents import Conversation, Message, Reply

__all__ = ["chat", "render_text"]


def render_text(reply: Reply) -> str:
    lines = [reply.text]
    for card in reply.cards:
        lines.append(f"\n{card.number}. {card.title}")
        lines.append(f"   {card.agency} · อัปเดต {card.updated} · {', '.join(card.formats)}")
        if card.download_url:
            lines.append(f"   ดาวน์โหลด: {card.download_url}")
        lines.append(f"   {card.page_url}")
    if reply.details:
        d = reply.details
        lines.append(f"\n{d.description}\nแท็ก: {', '.join(d.tags)}\nสัญญาอนุญาต: {d.license}")
        lines.extend(f"  - {r.name} [{r.format}] {r.url}" for r in d.resources)
    if reply.quick_replies:
        lines.append("\n" + " | ".join(b.label for b in reply.quick_replies))
    return "\n".join(lines)


def chat(conversation: Conversation) -> int:
    print("khomun: พิมพ์คำค้น (Ctrl-D เพื่อออก)")
    while True:
        try:
            text = input("> ")
        except EOFError:
            print()
            return 0
        turn = conversation.route(Message(platform="cli", chat_id="terminal", user_id="terminal", text=text))
        print(render_text(turn.reply), flush=True)
        sys.stdout.flush()
