"""The conversation: what a message wants, and the neutral reply to it."""

from .context import ChatContext, ContextStore
from .router import Conversation
from .types import Button, Card, Details, Message, Outcome, Reply, ResourceLink, Turn

__all__ = [
    "Button",
    "Card",
    "ChatContext",
    "ContextStore",
    "Conversation",
    "Details",
    "Message",
    "Outcome",
    "Reply",
    "ResourceLink",
    "Turn",
]
