"""What a chat channel shares once its webhook is answered: the background tasks it must finish
before shutting down, one worker thread for the blocking conversation (search, SQLite), and the
pooled aiohttp session its replies go out on."""

from __future__ import annotations

import asyncio
import inspect
import ssl
import urllib.request
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp

__all__ = ["Background", "https_proxy", "outbound_session"]


class Background:
    """One worker thread (the conversation and the journal see one message at a time, and the
    event loop stays free to acknowledge webhooks while a search runs) and the tasks in flight."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._worker: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=self.name)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` after the webhook has answered; ``drain`` waits for it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on the worker thread (awaited too when it returns an awaitable)."""
        result = await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def drain(self) -> None:
        """Wait until every task spawned so far (and any it spawned) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        await self.drain()
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None


def https_proxy() -> str | None:
    """The HTTPS proxy from the environment, read once at start-up: with ``trust_env`` aiohttp
    would read ~/.netrc and the proxy variables in a thread on every request (a third of the
    cost of sending a reply)."""
    return urllib.request.getproxies().get("https") or None


def outbound_session(pool_size: int) -> aiohttp.ClientSession:
    """A pooled session to a platform's API that never looks at the environment again."""
    connector = aiohttp.TCPConnector(limit=pool_size, ssl=ssl.create_default_context())
    return aiohttp.ClientSession(connector=connector, trust_env=False)
