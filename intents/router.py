"""One path for every message: detect what it wants, hand it to one handler, return a Turn.

Every channel (LINE, Telegram, the web chat, `khomun chat`, `khomun eval`) calls
``Conversation.route``; there is exactly one search path, so the eval measures what users get.
"""

from __future__ import annotations

import logging
import time

from index.search import SearchEngine

from . import texts
from .cards import make_card
from .chitchat import detect_chitchat
from .types import Message, Outcome, Reply, Turn

__all__ = ["Conversation"]

log = logging.getLogger(__name__)

PAGE_SIZE = 5


class Conversation:
    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine

    def route(self, message: Message) -> Turn:
        started = time.perf_counter()
        try:
            turn = self._route(message)
        except Exception:
            log.exception("handler failed", extra={"platform": message.platform})
            turn = Turn(Reply(texts.ERROR), Outcome(intent="error", query=message.text, answered=False))
        turn.extra["ms"] = (time.perf_counter() - started) * 1000
        return turn

    def _route(self, message: Message) -> Turn:
        text = message.text.strip()
        if not text:
            return Turn(
                Reply(texts.EMPTY.format(example=texts.HELP_EXAMPLES[0])),
                Outcome(intent="empty", answered=False),
            )
        intent = detect_chitchat(text)
        if intent == "greeting":
            return Turn(Reply(texts.GREETING.format(example=texts.HELP_EXAMPLES[0])), Outcome("greeting"))
        if intent == "thanks":
            return Turn(Reply(texts.THANKS), Outcome("thanks"))
        if intent == "help":
            examples = "\n".join(f"• {e}" for e in texts.HELP_EXAMPLES)
            return Turn(Reply(texts.HELP.format(examples=examples)), Outcome("help"))
        return self.search(text)

    def search(self, text: str) -> Turn:
        result = self.engine.search(text, limit=10)
        q = result.query
        outcome = Outcome(
            intent="search",
            query=text,
            normalized=q.normalized,
            hits=tuple(h.name for h in result.hits),
            scores=tuple(h.score for h in result.hits),
            answered=result.answered,
            corrected=q.corrected,
            key=q.key,
        )
        if not result.answered:
            return Turn(Reply(texts.NOT_FOUND.format(query=text[:80])), outcome)
        cards = tuple(make_card(h.dataset, i + 1) for i, h in enumerate(result.hits[:PAGE_SIZE]))
        lead = texts.FOUND.format(count=result.total, query=text[:80])
        if q.corrected:
            lead = texts.DID_YOU_MEAN.format(corrected=q.corrected) + "\n" + lead
        return Turn(Reply(lead, cards=cards), outcome)
