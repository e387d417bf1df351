"""What every entry point (web API, LINE and Telegram webhooks, the CLI) shares: reading a body
with a size limit before parsing anything, parsing JSON that cannot hurt what comes after, cleaning
the text people send, and a one-way tag for chat ids in logs.

A body or a text is cleaned here, once, at the edge: nothing behind it (the conversation, the
journal, the state database, the logs) ever sees a lone surrogate, a control character, an
integer SQLite cannot hold, a non-finite number or JSON nested deeply enough to exhaust the stack.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

__all__ = [
    "BODY_SECONDS",
    "MAX_BODY",
    "MAX_DEPTH",
    "MAX_TEXT",
    "BadJson",
    "BodyTimeout",
    "BodyTooLarge",
    "ClientDisconnect",
    "clean_id",
    "clean_text",
    "parse_json",
    "read_body",
]

#: bytes; real LINE and Telegram webhook bodies are far smaller
MAX_BODY = 1_000_000
#: seconds a client has to send its whole body (webhooks and chat messages are a few kB)
BODY_SECONDS = 5.0
#: nesting of arrays and objects; real webhook bodies stay under 10
MAX_DEPTH = 32
#: characters of one message kept (LINE allows 5,000, Telegram 4,096; no search is that long)
MAX_TEXT = 1000
_INT64 = 2**63
_SURROGATES = re.compile("[\ud800-\udfff]")
#: C0 and C1 controls except tab and newline, bidi embeddings/overrides/isolates, lone surrogates
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


class BodyTooLarge(Exception):
    """The body is over the limit (answer 413)."""


class BodyTimeout(ClientDisconnect):
    """The body did not arrive within BODY_SECONDS (answer 408): a client sending it byte by byte
    would otherwise hold a connection and a task for as long as it likes."""


class BadJson(ValueError):
    """The body is not JSON this service accepts (answer 400); the message says why, for logs."""


async def read_body(request: Request, limit: int = MAX_BODY, seconds: float | None = None) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all, and a body that
    takes longer than ``seconds`` (BODY_SECONDS) to arrive. Raises BodyTooLarge, BodyTimeout, or
    ClientDisconnect when the client went away."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_SECONDS if seconds is None else seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout from None
    return b"".join(chunks)


async def body_or_refusal(
    request: Request, refuse: Callable[[int, str], Response], limit: int = MAX_BODY
) -> bytes | Response:
    """The raw body (``read_body``), or ``refuse(status, reason)`` when it cannot be had: 413 too
    large, 408 too slow, 400 the client went away. One mapping for every entry point."""
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        return refuse(413, f"body larger than {limit} bytes")
    except BodyTimeout:
        return refuse(408, "body not received in time")
    except ClientDisconnect:
        return refuse(400, "client went away")


def plain_refusal(status: int, reason: str) -> Response:
    """A refusal for webhooks: the platforms read the status only."""
    return PlainTextResponse(reason, status)


def _refuse_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a number")


def _finite(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise BadJson("number out of range")
    return value


def _checked(value: Any, depth: int, max_depth: int) -> Any:
    """``value`` with lone surrogates dropped from every string (keys too); raises BadJson on
    nesting deeper than ``max_depth`` and on integers outside 64 bits."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATES.sub("", value)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise BadJson("integer out of range")
        return value
    if depth >= max_depth:
        raise BadJson(f"nested deeper than {max_depth}")
    if isinstance(value, list):
        return [_checked(v, depth + 1, max_depth) for v in value]
    return {_checked(k, depth, max_depth): _checked(v, depth + 1, max_depth) for k, v in value.items()}


def parse_json(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The body as JSON, safe to hand to anything: strict UTF-8, no NaN/Infinity or numbers that
    overflow, integers within 64 bits, nesting at most ``max_depth``, lone surrogates dropped.
    Raises BadJson (a ValueError)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        raise BadJson("nested too deeply") from None
    except BadJson:
        raise
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise BadJson(type(err).__name__) from None
    return _checked(data, 0, max_depth)


def clean_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """What a person sent, safe to route, store and log: lone surrogates, control characters
    (tab and newline kept; CR becomes a newline) and bidi overrides dropped, cut to ``limit``
    characters. None when ``value`` is not a string."""
    if not isinstance(value, str):
        return None
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", value[: limit * 2])[:limit]


def clean_id(value: object) -> str | None:
    """A platform's id (chat, user, event, reply token) as given when it is 1-128 printable ASCII
    characters, else None: real ids always are."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _ID.match(value) else None


#: results a search may ask for (the API's ``limit``, ``khomun search --limit``)
SEARCH_LIMIT_MAX = 50


def search_limit(raw: str) -> int:
    """A requested number of results: a whole number from 1 to SEARCH_LIMIT_MAX, else ValueError
    with the message the API and the CLI both show."""
    if not re.fullmatch(r"[0-9]{1,4}", raw.strip()) or not 1 <= int(raw) <= SEARCH_LIMIT_MAX:
        raise ValueError(f"limit must be a whole number from 1 to {SEARCH_LIMIT_MAX}, got {raw!r}")
    return int(raw)
