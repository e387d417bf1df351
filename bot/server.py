"""`khomun serve`: placeholder until the web service lands (issue: conversation, LINE, Telegram, web)."""

from __future__ import annotations

from .settings import Settings


def serve(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> int:
    from intents import Conversation

    from .runtime import open_engine
    from .terminal import chat

    print("khomun serve: the web service is not built yet; starting the terminal chat instead")
    return chat(Conversation(open_engine(settings.index_path)))
