"""A deadline for a request's line and headers, which uvicorn does not have.

uvicorn closes an idle keep-alive connection (``timeout_keep_alive``) but waits as long as a client
likes for the headers of a request: a client that opens a connection and sends a header byte now
and then holds a connection and its memory for good, and a few hundred of them hold the server.
``HeaderDeadline`` is uvicorn's httptools protocol with one timer: from the connection's first
moment (and from the first byte of each later request on it) the headers must be complete within
``HEADER_SECONDS``, or the client gets 408 and the connection is closed. The body has its own
deadline, in ``bot.requests.read_body``.

``khomun serve`` passes it to uvicorn as ``http="bot.slow_clients:HeaderDeadline"``.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_SECONDS", "HeaderDeadline"]

log = logging.getLogger(__name__)

#: seconds a client has to send a request's line and headers
HEADER_SECONDS = 5.0
_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 15\r\nconnection: close\r\n\r\nrequest timeout"
)


class HeaderDeadline(HttpToolsProtocol):
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # a later request on a kept-alive connection: its headers have a deadline too

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(HEADER_SECONDS, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        log.info("request headers not received in time; connection closed")
        self.transport.write(_TIMEOUT)
        self.transport.close()
