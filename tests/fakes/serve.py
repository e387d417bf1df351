"""Any ASGI app on real uvicorn, bound to a free port on 127.0.0.1, in a thread: the fake APIs
and the service under test are served this way."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

__all__ = ["loopback_server", "serve_app"]


def loopback_server(app: ASGIApp, *, lifespan: str = "off") -> tuple[uvicorn.Server, socket.socket]:
    """A uvicorn server for ``app`` and its socket, bound to a free port on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # accepted connections inherit this: without it, a keep-alive response written in two parts
    # waits for the client's delayed ACK (~40 ms per request on Linux loopback)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    # httptools and uvloop when installed (uvicorn[standard]): the benchmark's fake APIs must not
    # be what limits it
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan=lifespan, ws="none")
    return uvicorn.Server(config), sock


@contextmanager
def serve_app(app: ASGIApp, *, lifespan: str = "off") -> Iterator[str]:
    """Serve ``app`` with real uvicorn on 127.0.0.1, a free port, in a thread; yield its base URL."""
    server, sock = loopback_server(app, lifespan=lifespan)
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
