"""A light stand-in for bot.services.Services in channel tests: a real Conversation, no journal,
and a switch to make handling fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.preview.fetch import PreviewCache, Previewer
from bot.settings import Settings
from intents import Conversation, Message, Turn
from state import SecretKey

__all__ = ["StandInServices", "real_services"]


@dataclass
class StandInServices:
    """Records what it was asked to handle; raises when ``fail`` is set."""

    settings: Settings
    engine: Any
    conversation: Conversation
    seen: list[Message] = field(default_factory=list)
    inline: list[Message] = field(default_factory=list)
    fail: bool = False
    previews: Previewer = field(default_factory=lambda: Previewer(PreviewCache(":memory:")))
    secret: SecretKey = field(default_factory=lambda: SecretKey("stand-in-secret"))

    @property
    def follows(self) -> Any:
        return self.conversation.follows

    async def complete(self, turn: Turn) -> Turn:
        return await self.previews.complete(turn)

    def handle(self, message: Message, journal_rows: list[Any] | None = None) -> Turn:
        self.seen.append(message)
        if self.fail:
            raise RuntimeError("boom")
        return self.conversation.route(message)

    def handle_inline(self, message: Message, offset: int, page: int) -> Turn:
        self.inline.append(message)
        return self.conversation.inline(message, offset, page)


def real_services(settings: Settings, engine: Any) -> Any:
    """bot.services.Services on ``settings.state_db`` (contexts, journal, follows) around a shared
    engine; ``close()`` it."""
    from bot.journal import Journal
    from bot.services import Services
    from intents import ContextStore
    from intents.follows import FollowStore

    secret = SecretKey(settings.secret_key or "real-services-secret")
    contexts = ContextStore(settings.state_db, key=secret)
    conversation = Conversation(engine, contexts, FollowStore(settings.state_db))
    return Services(settings, engine, conversation, Journal(settings.state_db, secret), contexts, secret)
