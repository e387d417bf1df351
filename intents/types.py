"""Neutral values that every channel shares: a Message in, a Reply and an Outcome out.

Renderers (LINE Flex, Telegram HTML, the web chat) turn a Reply into platform JSON; nothing here
knows any platform's limits or formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: where a message came from; the journal and the staff pages group by it
Platform = Literal["line", "telegram", "web", "cli", "eval"]
#: a private chat, a LINE group or room, or a Telegram inline query (outside any chat)
ChatType = Literal["private", "group", "inline"]


@dataclass(frozen=True, slots=True)
class Message:
    """One thing a user sent: text they typed, or the payload of a button they pressed."""

    platform: Platform
    chat_id: str
    text: str = ""
    user_id: str = ""
    postback: str = ""
    chat_type: ChatType = "private"


@dataclass(frozen=True, slots=True)
class Button:
    """A button or quick reply. ``kind`` "postback" sends ``data`` back to us (a short key, never
    Thai text: platforms cap payloads at 64-300 bytes); "url" opens ``data``; "text" sends ``data``
    as if the user typed it."""

    label: str
    data: str
    kind: Literal["postback", "url", "text"] = "postback"


@dataclass(frozen=True, slots=True)
class ResourceLink:
    name: str
    format: str
    url: str


@dataclass(frozen=True, slots=True)
class Card:
    """A dataset summary as users see it."""

    name: str
    title: str
    agency: str
    updated: str
    formats: tuple[str, ...]
    description: str
    page_url: str
    download_url: str | None = None
    buttons: tuple[Button, ...] = ()
    number: int = 0  # position in the list shown ("อันที่ 2"), 0 when not in a list


@dataclass(frozen=True, slots=True)
class Details:
    """Everything about one dataset, for the "details" answer."""

    card: Card
    description: str
    tags: tuple[str, ...]
    license: str
    resources: tuple[ResourceLink, ...]
    num_resources: int


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """A dataset's data file whose first rows the user asked to see (fetched by the channel after
    the conversation has answered: the conversation never waits on a download)."""

    dataset: str
    title: str
    url: str
    format: str
    resource_name: str


@dataclass(frozen=True, slots=True)
class Preview:
    """What a data file holds: its columns, its first rows and how many rows it has (``at_least``
    when the file was cut before its end)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    at_least: bool = False
    resource_name: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    cards: tuple[Card, ...] = ()
    details: Details | None = None
    buttons: tuple[Button, ...] = ()
    quick_replies: tuple[Button, ...] = ()
    #: asked for a preview (to be fetched), and the preview once fetched
    preview_of: PreviewRequest | None = None
    preview: Preview | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened, for the journal and the eval."""

    intent: str
    query: str = ""
    normalized: str = ""
    hits: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    answered: bool = True
    corrected: str = ""
    #: the query reduced to what matters (fillers dropped, words sorted): groups unanswered
    #: variants together and keys staff teachings
    key: str = ""
    #: for a search: "high" (an answer), "low" (close matches, shown hedged) or "none"
    confidence: str = ""


@dataclass(frozen=True, slots=True)
class Turn:
    reply: Reply
    outcome: Outcome
    #: how long the conversation took to answer, for the journal and the eval
    ms: float = 0.0
    #: the user's verdict on the list ("useful" / "not_useful") when this turn records one
    feedback: str = ""
