"""What a chat channel shares once its webhook is answered: the background tasks it must finish
before shutting down, one worker thread for the blocking conversation (search, SQLite), the
durable queue of events to answer (``Deliveries``, on ``bot.inbox``), and the pooled aiohttp
session its replies go out on."""

from __future__ import annotations

import asyncio
import inspect
import logging
import ssl
import time
import urllib.request
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import aiohttp

from state import is_postgres

from .inbox import Busy, Inbox, InboxUnavailable, Pending

__all__ = ["RETRY", "SENT", "Background", "Deliveries", "https_proxy", "outbound_session"]

log = logging.getLogger(__name__)

#: what answering an event came to: the reply went out (or never will), or try again later
SENT: Literal["sent"] = "sent"
RETRY: Literal["retry"] = "retry"
Outcome = Literal["sent", "retry"]
#: seconds before an event whose reply failed is tried again (by whichever process claims it)
RETRY_DELAY = 5.0
#: seconds between two looks for events left by a dead process (or handed back for a retry)
CLAIM_EVERY = 1.0
#: seconds an inbox write waits for another writer's lock (asleep on the event loop, not in SQLite)
LOCK_WAIT = 5.0
#: seconds between two WAL checkpoints of the inbox's database (in a thread)
CHECKPOINT_EVERY = 10.0


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


class Deliveries:
    """A channel's durable queue. ``accept`` records a webhook's events in the inbox (before the
    200) and starts answering the new ones; ``answer(item, rows)`` says whether the reply went
    out, and leaves the event's journal rows in ``rows`` (``Services.handle(message, rows)``):
    they are written in the transaction that marks the event done, and not at all when the event
    is handed back for a retry (the retry writes them).
    At most ``capacity`` events are held per process (``full`` tells the webhook to answer 503).
    Every CLAIM_EVERY seconds it renews this process's leases and takes over events left by a
    dead process or handed back after a failure."""

    def __init__(
        self,
        platform: str,
        inbox: Inbox,
        background: Background,
        answer: Callable[[Pending, list[Any]], Awaitable[Outcome]],
        capacity: int,
    ) -> None:
        self.platform = platform
        self.inbox = inbox
        self.capacity = capacity
        self.in_flight = 0
        self._background = background
        self._answer = answer
        self._task: asyncio.Task[None] | None = None
        self._commit = GroupCommit(platform, inbox)

    def full(self, incoming: int = 1) -> bool:
        return self.in_flight + incoming > self.capacity

    async def accept(self, events: Sequence[tuple[str, dict[str, Any] | None]]) -> list[bool]:
        """Which events are new (InboxUnavailable when none could be recorded); the new ones with
        a payload are being answered when this returns."""
        fresh: list[bool] = await self._commit.submit(("accept", events))
        now = time.time()
        for (event_id, payload), new in zip(events, fresh, strict=True):
            if new and payload is not None:
                self._start(Pending(event_id, payload, now))
        return fresh

    async def sent(self, event_id: str, parts: int) -> None:
        """The first ``parts`` messages of the event's reply went out: a process that takes the
        event over after a crash sends only the rest (``payload["sent_parts"]``). Best effort."""
        try:
            await self._commit.submit(("sent", (event_id, parts)))
        except InboxUnavailable:
            log.warning("inbox: could not record a partly sent reply", extra={"platform": self.platform})

    def start(self) -> None:
        self._task = asyncio.create_task(self._claim_loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def claim(self) -> int:
        """Take over what is due now (also called by tests); how many were taken."""
        items = await _unlocked(self.inbox.claim, self.platform, self.capacity - self.in_flight)
        if items:
            log.info(
                "taking over unanswered webhook events",
                extra={"platform": self.platform, "events": len(items)},
            )
        for item in items:
            self._start(item)
        return len(items)

    def _start(self, item: Pending) -> None:
        self.in_flight += 1
        self._background.spawn(self._run(item))

    async def _run(self, item: Pending) -> None:
        outcome: Outcome = SENT
        rows: list[Any] = []  # the event's journal rows, gathered while it is answered
        try:
            outcome = await self._answer(item, rows)
        except Exception:
            log.exception("answering a webhook event failed", extra={"platform": self.platform})
        finally:
            self.in_flight -= 1
            try:
                if outcome == RETRY:
                    await self._commit.submit(("release", (item.event_id, RETRY_DELAY)))
                else:
                    await self._commit.submit(("done", (item.event_id, rows)))
            except InboxUnavailable:
                log.error("inbox: could not mark an event answered", extra={"platform": self.platform})

    async def _claim_loop(self) -> None:
        renewed = checkpointed = time.monotonic()
        while True:
            try:
                if time.monotonic() - renewed > self.inbox.lease_seconds / 3:
                    await _unlocked(self.inbox.renew)
                    renewed = time.monotonic()
                await self.claim()
                if time.monotonic() - checkpointed > CHECKPOINT_EVERY:
                    checkpointed = time.monotonic()
                    await asyncio.to_thread(self.inbox.checkpoint)
            except Exception:
                log.exception("inbox upkeep failed", extra={"platform": self.platform})
            await asyncio.sleep(CLAIM_EVERY)


class GroupCommit:
    """Inbox writes from one event loop, gathered per turn of the loop into one transaction
    (``Inbox.apply``): under load several webhooks and finished replies share a commit. While
    another connection holds the write lock it sleeps on the loop, not in SQLite, for up to
    LOCK_WAIT s; if a whole batch fails, each write is tried alone so one cannot cost another.

    On PostgreSQL a commit is a round trip to the server, so it runs on a thread of its own and the
    loop goes on; what is submitted meanwhile waits for that commit to end and then goes in the next
    (measured: synchronously on the loop, PostgreSQL cost about half of the webhook rate)."""

    def __init__(self, platform: str, inbox: Inbox) -> None:
        self.platform = platform
        self.inbox = inbox
        self._ops: list[tuple[str, Any]] = []
        self._futures: list[asyncio.Future[Any]] = []
        self._scheduled = False
        self._thread: ThreadPoolExecutor | None = None
        if is_postgres(inbox.path):
            self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"inbox-{platform}")

    def submit(self, op: tuple[str, Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._ops.append(op)
        self._futures.append(future)
        if not self._scheduled:
            self._scheduled = True
            if self._thread is not None:
                loop.call_soon(self._flush_in_thread)
            else:
                loop.call_soon(self._flush, time.monotonic() + LOCK_WAIT, 0.0005)
        return future

    def _flush_in_thread(self) -> None:
        ops, futures = self._ops, self._futures
        self._ops, self._futures = [], []
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(self._thread, self._apply_all, ops)
        done.add_done_callback(lambda task: self._committed(task, futures))

    def _apply_all(self, ops: list[tuple[str, Any]]) -> list[Any]:
        try:
            return self.inbox.apply(self.platform, ops)
        except Exception as err:
            failed = err if isinstance(err, InboxUnavailable) else InboxUnavailable(type(err).__name__)
            return [self._alone(op) for op in ops] if len(ops) > 1 else [failed]

    def _committed(self, task: asyncio.Future[list[Any]], futures: list[asyncio.Future[Any]]) -> None:
        if task.cancelled() or task.exception() is not None:
            err = InboxUnavailable("cancelled" if task.cancelled() else type(task.exception()).__name__)
            results: list[Any] = [err] * len(futures)
        else:
            results = task.result()
        _settle(futures, results)
        if self._ops:  # submitted while that commit ran: the next commit, now
            self._flush_in_thread()
        else:
            self._scheduled = False

    def _flush(self, deadline: float, pause: float) -> None:
        ops, futures = self._ops, self._futures
        self._ops, self._futures = [], []
        try:
            results = self.inbox.apply(self.platform, ops)
        except Busy:
            if time.monotonic() < deadline:  # again soon, with whatever joined meanwhile
                self._ops, self._futures = ops + self._ops, futures + self._futures
                asyncio.get_running_loop().call_later(pause, self._flush, deadline, min(pause * 2, 0.01))
                return
            results = [InboxUnavailable("the state database stayed locked")] * len(ops)
        except Exception as err:
            failed = err if isinstance(err, InboxUnavailable) else InboxUnavailable(type(err).__name__)
            results = [self._alone(op) for op in ops] if len(ops) > 1 else [failed]
        self._scheduled = False
        _settle(futures, results)

    def _alone(self, op: tuple[str, Any]) -> Any:
        try:
            return self.inbox.apply(self.platform, [op])[0]
        except Exception as err:
            return InboxUnavailable(type(err).__name__)


def _settle(futures: list[asyncio.Future[Any]], results: list[Any]) -> None:
    for future, result in zip(futures, results, strict=True):
        if future.done():
            continue
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)


async def _unlocked(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on an Inbox opened with ``wait=0``: while another connection holds the write
    lock, sleep on the event loop (other requests go on) and try again, for up to LOCK_WAIT s."""
    deadline = time.monotonic() + LOCK_WAIT
    pause = 0.0005
    while True:
        try:
            return fn(*args)
        except Busy:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.01)


def https_proxy() -> str | None:
    """The HTTPS proxy from the environment, read once at start-up: with ``trust_env`` aiohttp
    would read ~/.netrc and the proxy variables in a thread on every request (a third of the
    cost of sending a reply)."""
    return urllib.request.getproxies().get("https") or None


def outbound_session(pool_size: int) -> aiohttp.ClientSession:
    """A pooled session to a platform's API that never looks at the environment again."""
    connector = aiohttp.TCPConnector(limit=pool_size, ssl=ssl.create_default_context())
    return aiohttp.ClientSession(connector=connector, trust_env=False)
