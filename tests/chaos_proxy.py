"""A TCP proxy on 127.0.0.1 in front of a fake API that resets connections on demand.

``reset_after = n``: the next n requests reach the API and are processed, then the connection is
reset (RST) before the answer gets back: the client cannot tell whether it was delivered.
``reset_before = n``: the next n requests are read from the client and the connection reset
without forwarding them. Runs in the caller's event loop.
"""

from __future__ import annotations

import asyncio
import socket

__all__ = ["ResettingProxy"]

_LINGER_0 = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close with RST, not FIN


def reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_0)
    writer.transport.abort()


class ResettingProxy:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.reset_after = 0
        self.reset_before = 0
        self.resets = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        """Stop listening and cut the connections still open."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await asyncio.sleep(0)  # the aborted transports close on the next turn of the loop

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            reset(writer)
            return
        cut = asyncio.Event()

        async def requests() -> None:
            while chunk := await reader.read(65536):
                if self.reset_before > 0:
                    self.reset_before -= 1
                    self.resets += 1
                    cut.set()
                    return
                up_writer.write(chunk)
                await up_writer.drain()

        async def responses() -> None:
            while chunk := await up_reader.read(65536):
                if self.reset_after > 0:
                    self.reset_after -= 1
                    self.resets += 1
                    cut.set()
                    return
                writer.write(chunk)
                await writer.drain()

        tasks = [asyncio.ensure_future(requests()), asyncio.ensure_future(responses())]
        waiter = asyncio.ensure_future(cut.wait())
        try:
            await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
        except OSError:
            pass
        finally:
            for task in [*tasks, waiter]:
                task.cancel()
            await asyncio.gather(*tasks, waiter, return_exceptions=True)
            reset(writer)
            up_writer.transport.abort()
