"""python-telegram-bot's networking on aiohttp instead of httpx.

PTB's extension point for this is ``telegram.request.BaseRequest``: it builds the request data and
turns status codes into TelegramErrors; a subclass only moves bytes. We already run aiohttp for
LINE, and under load PTB's default HTTPXRequest cost about a fifth of all the CPU a Telegram
message takes (httpx and httpcore per request, plus an import lookup inside httpcore each time);
aiohttp does the same work for a fraction of that (docs/benchmarks.md). Bodies go as JSON.

khomun never uploads files, so multipart requests are refused rather than half supported. The
session is ``bot.background.outbound_session``, as LINE's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from ..background import https_proxy, outbound_session

__all__ = ["AiohttpRequest", "MaybeDelivered"]

_TOKEN_IN_URL = re.compile(r"/bot[^/\s'\"]+/")


class MaybeDelivered(TimedOut):
    """The request was (or may have been) written, and no answer came: a read timeout, or the
    connection reset or closed after it was open. The Bot API may well have acted on it (a
    sendMessage may have reached the user). Only a failure to connect proves it never arrived;
    for calls that are not idempotent, resending after anything else is not safe (Telegram has no
    retry key, LINE does)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "Sent, but no answer came: it may have been delivered")


#: failures before anything was written: the request surely never reached the API
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.InvalidURL)


class AiohttpRequest(BaseRequest):
    """A pooled aiohttp session; timeouts in seconds (PTB's per-call overrides are honoured)."""

    def __init__(
        self,
        *,
        pool_size: int = 64,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._proxy = https_proxy()
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = outbound_session(self._pool_size)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest does not upload files")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = None if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        # aiohttp has no write timeout; our requests are a few kB, and the read clock starts after
        timeout = aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(
                method,
                url,
                data=_json(request_data),
                headers=self._headers,
                timeout=timeout,
                proxy=self._proxy,
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as err:  # never reached the API: safe to try again
            raise TimedOut from err
        except TimeoutError as err:  # sent, unanswered (aiohttp's SocketTimeoutError)
            raise MaybeDelivered from err
        except aiohttp.ClientError as err:
            # some aiohttp errors quote the URL, and Bot API URLs carry the bot token
            detail = f"aiohttp.{type(err).__name__}: " + _TOKEN_IN_URL.sub("/bot<token>/", str(err))
            if isinstance(err, _NOT_SENT):  # refused, DNS, TLS handshake: safe to try again
                raise NetworkError(detail) from None
            # reset or closed once connected (ServerDisconnectedError, ClientOSError), a broken
            # answer: the API may have processed the request before the answer was lost
            raise MaybeDelivered(detail) from None


def _json(request_data: RequestData | None) -> bytes:
    """The parameters as one UTF-8 JSON body (the Bot API takes application/json). PTB's own
    encoding is a form with JSON strings inside, and percent-encoding Thai text byte by byte was
    a twentieth of a Telegram message's CPU."""
    params = request_data.parameters if request_data is not None else {}
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
