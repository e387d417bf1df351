"""One path for every message: detect what it wants, hand it to one handler, return a Turn.

Every channel (LINE, Telegram, the web chat, `khomun chat`, `khomun eval`) calls
``Conversation.route``; there is exactly one search path, so the eval measures what users get.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from index.search import Engine
from state import SecretKey

from . import texts
from .chatmodel import CHAT_MIN, CHAT_OVER_HEDGE, chat_model
from .chitchat import chat_signal
from .context import ChatContext, ContextStore
from .follows import FollowStore
from .handlers import LIST_LIMIT, Handlers
from .listing import PAGE_SIZE
from .types import Message, Outcome, Reply, Turn
from .understand import Intent, detect

__all__ = ["PAGE_SIZE", "Conversation"]

log = logging.getLogger(__name__)


def _small_talk_guess(text: str) -> tuple[str, float]:
    """greeting, thanks or help when the small-talk model is sure of it (intents.chatmodel), and
    how sure; ("", 0.0) otherwise."""
    model = chat_model()
    if model is None:
        return "", 0.0
    kind, sure = model.classify(text)
    return (kind, sure) if kind != "search" and sure >= CHAT_MIN else ("", 0.0)


class Conversation:
    """The bot's side of every chat. ``contexts`` remembers what each chat was shown (an
    in-memory store when not given: fine for one process, forgotten on restart)."""

    def __init__(
        self, engine: Engine, contexts: ContextStore | None = None, follows: FollowStore | None = None
    ) -> None:
        self.engine = engine
        self.contexts = contexts if contexts is not None else ContextStore(key=SecretKey.ephemeral())
        self.handlers = Handlers(engine, follows)
        self.follows = self.handlers.follows

    def route(self, message: Message) -> Turn:
        """Never raises: a failing handler still gets the user a polite reply (intent "error")."""
        started = time.perf_counter()
        try:
            turn = self._route(message)
        except Exception:
            log.exception("handler failed", extra={"platform": message.platform})
            turn = Turn(Reply(texts.ERROR), Outcome(intent="error", query=message.text, answered=False))
        return replace(turn, ms=(time.perf_counter() - started) * 1000)

    def inline(self, message: Message, offset: int = 0, page: int = 50) -> Turn:
        """An inline query (Telegram's ``@bot คำค้น``): the search a typed message gets, results
        ``offset`` to ``offset + page`` (one more when there is a next page), outside any chat
        (no context read or stored). Never raises, like ``route``."""
        started = time.perf_counter()
        try:
            turn = self.handlers.inline(message.text.strip(), max(0, offset), max(1, page))
        except Exception:
            log.exception("inline search failed", extra={"platform": message.platform})
            turn = Turn(Reply(texts.ERROR), Outcome(intent="error", query=message.text, answered=False))
        return replace(turn, ms=(time.perf_counter() - started) * 1000)

    def _route(self, message: Message) -> Turn:
        ctx = self.contexts.get(message.platform, message.chat_id)
        stored = ctx
        intent = detect(message.text, message.postback, has_list=ctx.has_list)
        if intent.name == "search" and ctx.has_list and self.handlers.follow_up(message.text):
            intent = Intent("refine")  # narrows the list on screen: no topic of its own
        searched = None
        if intent.name == "search":
            # thanks or a greeting with words around it: small talk, unless those words are a
            # topic the catalog answers ("สวัสดีค่ะ ขอข้อมูลวัด" is a search, made once); and
            # small talk in words the kinds lack, when the n-gram model is sure of it
            signal = chat_signal(message.text)
            guess, sure = _small_talk_guess(message.text)
            if signal or guess:
                searched = self.engine.search(intent.arg, limit=LIST_LIMIT)
                # small talk, unless the search answers it; a hedged look at close matches
                # gives way when the model is all but certain ("ขอบคุณค่ะ ได้รายงานสถิติครบแล้ว")
                hedged_only = searched.answered and searched.confidence == "low" and sure >= CHAT_OVER_HEDGE
                if not searched.answered or hedged_only:
                    intent, searched = Intent(signal or guess), None
        if intent.list_id:  # a button shown with a list acts on that list, if the chat still has it
            shown = ctx.switch_to(intent.list_id)
            if shown is None:
                return self.handlers.expired(intent, message, ctx)[0]
            ctx = shown
        if searched is not None:
            turn, new_ctx = self.handlers.run_search(intent.arg, ctx, searched)
        else:
            turn, new_ctx = self.handlers.handle(intent, message, ctx)
        new_ctx = new_ctx if new_ctx is not None else ctx
        if new_ctx != stored:
            self.contexts.put(message.platform, message.chat_id, new_ctx)
        return turn

    def context(self, message: Message) -> ChatContext:
        return self.contexts.get(message.platform, message.chat_id)
