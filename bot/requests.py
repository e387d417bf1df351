"""What every HTTP entry point (web API, LINE and Telegram webhooks) shares: reading a body with a
size limit before parsing anything, and a one-way tag for chat ids in logs."""

from __future__ import annotations

import hashlib

from starlette.requests import ClientDisconnect, Request

__all__ = ["MAX_BODY", "BodyTooLarge", "ClientDisconnect", "hashed", "read_body"]

#: bytes; real LINE and Telegram webhook bodies are far smaller
MAX_BODY = 1_000_000


class BodyTooLarge(Exception):
    """The body is over the limit (answer 413)."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refusing more than ``limit`` bytes without reading them all. Raises
    BodyTooLarge, or ClientDisconnect when the client went away."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def hashed(value: str) -> str:
    """A short one-way tag for logs: the same chat gives the same tag, the id never appears."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12] if value else ""
