"""The button payload grammar: what a button sends back to us, built and read in one place. Pure.

A payload is short printable ASCII, never Thai (LINE allows 300 characters of postback data,
Telegram 64 bytes of callback_data; ours stay under MAX_PAYLOAD_BYTES). Buttons that act on a
list shown in the chat carry that list's id after ``@``, so a button on an older carousel acts on
the list it came from, and one whose list is gone says so:

====================  ================================================================
``d:<n>@<list>``      details of item n (1-based, as numbered on the card) of the list
``p:next@<list>``     the next page of the list
``f:<k>:<i>@<list>``  narrow the list by facet k ("org", "fmt", "yr"), choice i
``f:clear@<list>``    the list as found, without filters
``fb:up[@<list>]``    feedback on the list: useful; ``fb:down`` not useful
``a:<i>``             datasets of agency i (in SearchEngine.agencies() order)
``ag:<i>``            the agency list from position i
``ex:<i>``            search example query i
``x:no``              "not what I meant" after a corrected query
``pv:<n>@<list>``     a preview of item n's data file (its columns and first rows)
``fo@<list>``         follow the search that made the list (alerts on new or updated datasets)
``fa:<i>``            follow agency i (in SearchEngine.agencies() order)
``uf:<id>``           stop following follow ``id`` (a number); ``fl`` the chat's follows
``latest``            the newest datasets; ``help`` the help text; ``agencies`` the agencies
====================  ================================================================

Telegram has no "send this text" button, so a text button travels as callback data ``t:<text>``
(``text_data`` / ``text_of``); its text may be Thai and must fit Telegram's 64 bytes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

__all__ = [
    "ACTIONS",
    "LIST_ACTIONS",
    "MAX_PAYLOAD_BYTES",
    "Payload",
    "agencies",
    "agency",
    "clear",
    "decode",
    "details",
    "encode",
    "example",
    "feedback",
    "follow",
    "follow_agency",
    "following",
    "latest",
    "more",
    "narrow",
    "new_list_id",
    "not_meant",
    "preview",
    "show_help",
    "text_data",
    "text_of",
    "unfollow",
]

#: the tightest platform limit (Telegram's callback_data); every payload we build is far shorter
MAX_PAYLOAD_BYTES = 64
LIST_ID_CHARS = 6
FACETS = ("org", "fmt", "yr")
#: actions that only mean something together with the list they were shown with
LIST_ACTIONS = frozenset({"details", "more", "narrow", "preview", "follow"})
ACTIONS = LIST_ACTIONS | {
    "feedback",
    "agency",
    "agencies",
    "example",
    "not_meant",
    "latest",
    "help",
    "follow_agency",
    "unfollow",
    "following",
}

_TEXT_PREFIX = "t:"
_LIST_ID = re.compile(r"^[a-z0-9]{1,12}$")
_WHOLE = re.compile(r"^[A-Za-z0-9:_.\-]{1,48}(?:@[a-z0-9]{1,12})?$")
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True)
class Payload:
    """What a button asks for. ``arg`` is the item number ("3"), the facet and choice ("org:1"
    or "clear"), the agency or example index, or "useful"/"not_useful"; ``list_id`` names the
    list the button was shown with ("" for buttons that need no list)."""

    action: str
    arg: str = ""
    list_id: str = ""


def new_list_id() -> str:
    """A fresh list id: random, so a button from a forgotten conversation never matches a new list."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(LIST_ID_CHARS))


def _index(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6


def _follow_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 12 and int(text) > 0


def encode(p: Payload) -> str:
    """The payload string for ``p``; ValueError for anything the grammar cannot say."""
    if p.list_id and not _LIST_ID.match(p.list_id):
        raise ValueError(f"bad list id {p.list_id!r}")
    if p.action in LIST_ACTIONS and not p.list_id:
        raise ValueError(f"{p.action} needs a list id")
    if p.action == "details" and _index(p.arg) and int(p.arg) > 0:
        body = f"d:{int(p.arg)}"
    elif p.action == "more" and not p.arg:
        body = "p:next"
    elif p.action == "narrow" and (p.arg == "clear" or _facet(p.arg)):
        body = f"f:{p.arg}"
    elif p.action == "feedback" and p.arg in ("useful", "not_useful"):
        body = "fb:up" if p.arg == "useful" else "fb:down"
    elif p.action in ("agency", "agencies", "example") and _index(p.arg):
        head = {"agency": "a", "agencies": "ag", "example": "ex"}[p.action]
        body = f"{head}:{int(p.arg)}"
    elif p.action == "not_meant" and not p.arg:
        body = "x:no"
    elif p.action in ("latest", "help") and not p.arg:
        body = p.action
    elif p.action == "preview" and _index(p.arg) and int(p.arg) > 0:
        body = f"pv:{int(p.arg)}"
    elif p.action == "follow" and not p.arg:
        body = "fo"
    elif p.action == "follow_agency" and _index(p.arg):
        body = f"fa:{int(p.arg)}"
    elif p.action == "unfollow" and _follow_id(p.arg):
        body = f"uf:{int(p.arg)}"
    elif p.action == "following" and not p.arg:
        body = "fl"
    else:
        raise ValueError(f"no payload for {p!r}")
    return f"{body}@{p.list_id}" if p.list_id else body


def _facet(arg: str) -> bool:
    kind, _, i = arg.partition(":")
    return kind in FACETS and _index(i)


def decode(data: str) -> Payload | None:
    """The Payload a button sent, or None for anything malformed, unknown or too long."""
    data = data.strip()
    if len(data.encode("utf-8")) > MAX_PAYLOAD_BYTES or not _WHOLE.match(data):
        return None
    body, _, list_id = data.partition("@")
    head, _, rest = body.partition(":")
    p: Payload | None = None
    if head == "d" and _index(rest) and int(rest) > 0:
        p = Payload("details", str(int(rest)), list_id)
    elif body == "p:next":
        p = Payload("more", "", list_id)
    elif head == "f" and (rest == "clear" or _facet(rest)):
        kind, _, i = rest.partition(":")
        p = Payload("narrow", rest if rest == "clear" else f"{kind}:{int(i)}", list_id)
    elif body in ("fb:up", "fb:down"):
        p = Payload("feedback", "useful" if body == "fb:up" else "not_useful", list_id)
    elif head in ("a", "ag", "ex") and _index(rest) and not list_id:
        p = Payload({"a": "agency", "ag": "agencies", "ex": "example"}[head], str(int(rest)))
    elif body == "x:no" and not list_id:
        p = Payload("not_meant")
    elif body in ("latest", "help") and not list_id:
        p = Payload(body)
    elif body == "agencies" and not list_id:
        p = Payload("agencies", "0")
    elif head == "pv" and _index(rest) and int(rest) > 0:
        p = Payload("preview", str(int(rest)), list_id)
    elif body == "fo":
        p = Payload("follow", "", list_id)
    elif head == "fa" and _index(rest) and not list_id:
        p = Payload("follow_agency", str(int(rest)))
    elif head == "uf" and _follow_id(rest) and not list_id:
        p = Payload("unfollow", str(int(rest)))
    elif body == "fl" and not list_id:
        p = Payload("following")
    if p is None or (p.action in LIST_ACTIONS and not p.list_id):
        return None
    return p


# -- builders the conversation uses -----------------------------------------------------------------
def details(list_id: str, n: int) -> str:
    return encode(Payload("details", str(n), list_id))


def more(list_id: str) -> str:
    return encode(Payload("more", "", list_id))


def narrow(list_id: str, kind: str, i: int) -> str:
    return encode(Payload("narrow", f"{kind}:{i}", list_id))


def clear(list_id: str) -> str:
    return encode(Payload("narrow", "clear", list_id))


def feedback(useful: bool, list_id: str = "") -> str:
    return encode(Payload("feedback", "useful" if useful else "not_useful", list_id))


def agency(i: int) -> str:
    return encode(Payload("agency", str(i)))


def agencies(start: int = 0) -> str:
    return encode(Payload("agencies", str(start)))


def example(i: int) -> str:
    return encode(Payload("example", str(i)))


def not_meant() -> str:
    return encode(Payload("not_meant"))


def latest() -> str:
    return encode(Payload("latest"))


def show_help() -> str:
    return encode(Payload("help"))


def preview(list_id: str, n: int) -> str:
    return encode(Payload("preview", str(n), list_id))


def follow(list_id: str) -> str:
    return encode(Payload("follow", "", list_id))


def follow_agency(i: int) -> str:
    return encode(Payload("follow_agency", str(i)))


def unfollow(follow_id: int) -> str:
    return encode(Payload("unfollow", str(follow_id)))


def following() -> str:
    return encode(Payload("following"))


# -- Telegram's text buttons --------------------------------------------------------------------------
def text_data(text: str) -> str | None:
    """Callback data that stands for typing ``text``; None when it would pass MAX_PAYLOAD_BYTES."""
    data = _TEXT_PREFIX + text
    return data if text and len(data.encode("utf-8")) <= MAX_PAYLOAD_BYTES else None


def text_of(data: str) -> str | None:
    """The text a ``text_data`` payload stands for, or None when ``data`` is not one."""
    return data[len(_TEXT_PREFIX) :] if data.startswith(_TEXT_PREFIX) and len(data) > 2 else None
