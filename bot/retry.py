"""How calls to the messaging platforms' APIs are tried again: one policy, on tenacity, for the
LINE channel, the Telegram channel and ``khomun alerts send``.

A call is made at most ``attempts`` times. Between two tries it waits what the platform asked
(LINE's ``Retry-After``, Telegram's ``retry_after``; each caller reads and caps it, since the caps
differ), else exponential backoff with "equal jitter": ``backoff``, then twice that, ..., of which
half is fixed and half random, so chats refused together do not all come back together. Which
failures are worth another try is the caller's to say (``retry``): never a Telegram send that may
have been delivered, nor a LINE 4xx other than 429, for instance. ``metrics.API_RETRIES`` counts
each retry and ``metrics.API_ERRORS`` each call that failed for good (unless ``metrics`` is off:
the alerts command runs outside the service, where nobody scrapes them).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from . import metrics

__all__ = ["Policy", "pause"]

T = TypeVar("T")

#: how a retry is waited for; tests replace it to see the waits without spending them
pause: Callable[[float], Awaitable[None]] = asyncio.sleep


def _not_asked(err: BaseException) -> float | None:
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    """How one kind of call is retried."""

    platform: str  # the metrics label ("line", "telegram")
    retry: Callable[[BaseException], bool]  # is this failure worth another try?
    #: the wait the platform asked for in this failure (seconds, already capped), or None
    asked: Callable[[BaseException], float | None] = _not_asked
    attempts: int = 3
    backoff: float = 0.2  # seconds before the first retry, doubled for each one after
    #: a log line for a retry: (the failure, the attempt that failed (1-based), seconds to wait)
    on_retry: Callable[[BaseException, int, float], None] | None = None
    metrics: bool = True

    def wait(self, failure: BaseException | None, attempt: int) -> float:
        """Seconds to wait after ``attempt`` (1-based) failed with ``failure``."""
        asked = self.asked(failure) if failure is not None else None
        if asked is not None and math.isfinite(asked) and asked >= 0:
            return asked
        ceiling = self.backoff * 2 ** (attempt - 1)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    async def call(
        self, make: Callable[[], Awaitable[T]], *, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> T:
        """``await make()`` until it succeeds, fails for good or the attempts are spent; the last
        failure is raised as it was. ``sleep`` waits between tries (default ``pause``)."""

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            return self.wait(failure, state.attempt_number)

        def before_sleep(state: RetryCallState) -> None:
            if self.metrics:
                metrics.API_RETRIES.labels(self.platform).inc()
            failure = state.outcome.exception() if state.outcome else None
            if self.on_retry is not None and failure is not None and state.next_action is not None:
                self.on_retry(failure, state.attempt_number, state.next_action.sleep)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait,
            retry=retry_if_exception(self.retry),
            sleep=sleep or pause,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await make()
        except Exception:
            if self.metrics:
                metrics.API_ERRORS.labels(self.platform).inc()
            raise
        raise AssertionError("unreachable")
