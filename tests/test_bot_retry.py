"""The retry policy every platform call goes through (bot.retry, on tenacity): the platform's wait
honoured, else backoff with jitter; attempts bounded; what is not worth a retry made once; metrics."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.retry import Policy


class Busy(Exception):
    def __init__(self, wait: float | None = None) -> None:
        super().__init__("busy")
        self.wait = wait


class Refused(Exception):
    pass


def asked(err: BaseException) -> float | None:
    return err.wait if isinstance(err, Busy) else None


@pytest.fixture
def waits(retry_waits: list[float]) -> list[float]:
    return retry_waits


def failing(*failures: BaseException, result: str = "ok") -> tuple[list[int], Any]:
    calls: list[int] = []

    async def make() -> str:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return result

    return calls, make


def counted(name: str) -> float:
    return REGISTRY.get_sample_value(f"khomun_platform_api_{name}_total", {"platform": "retry-test"}) or 0.0


POLICY = Policy("retry-test", lambda err: isinstance(err, Busy), asked, attempts=4, backoff=0.2)


async def test_the_wait_the_platform_asked_for_is_honoured(waits: list[float]) -> None:
    calls, make = failing(Busy(1.5), Busy(0.0))
    assert await POLICY.call(make) == "ok"
    assert len(calls) == 3 and waits == [1.5, 0.0]


async def test_else_exponential_backoff_with_jitter(waits: list[float]) -> None:
    for _ in range(20):
        _, make = failing(Busy(), Busy(), Busy(float("nan")))  # NaN or negative: not a wait
        await POLICY.call(make)
    firsts, seconds, thirds = waits[0::3], waits[1::3], waits[2::3]
    assert all(0.1 <= w <= 0.2 for w in firsts) and all(0.2 <= w <= 0.4 for w in seconds)
    assert all(0.4 <= w <= 0.8 for w in thirds)
    assert len(set(firsts)) > 1  # jittered: chats refused together do not come back together


async def test_attempts_are_bounded_and_the_last_failure_is_raised(waits: list[float]) -> None:
    retries, errors = counted("retries"), counted("errors")
    last = Busy(0.0)
    calls, make = failing(Busy(0.0), Busy(0.0), Busy(0.0), last, Busy(0.0))
    with pytest.raises(Busy) as raised:
        await POLICY.call(make)
    assert raised.value is last and len(calls) == 4 and len(waits) == 3
    assert counted("retries") == retries + 3 and counted("errors") == errors + 1


async def test_a_failure_not_worth_retrying_is_made_once_and_counted(waits: list[float]) -> None:
    retries, errors = counted("retries"), counted("errors")
    calls, make = failing(Busy(0.0), Refused())
    with pytest.raises(Refused):
        await POLICY.call(make)
    assert len(calls) == 2 and waits == [0.0]
    assert counted("retries") == retries + 1 and counted("errors") == errors + 1
    _, make = failing(Busy(0.0))
    assert await POLICY.call(make) == "ok"  # got through on the retry: no error counted
    assert counted("errors") == errors + 1


async def test_each_retry_is_logged_by_the_callers_hook(waits: list[float]) -> None:
    seen: list[tuple[str, int, float]] = []
    policy = Policy(
        "retry-test",
        lambda err: isinstance(err, Busy),
        asked,
        attempts=3,
        on_retry=lambda err, attempt, wait: seen.append((str(err), attempt, wait)),
        metrics=False,
    )
    _, make = failing(Busy(2.0), Busy(3.0))
    await policy.call(make)
    assert seen == [("busy", 1, 2.0), ("busy", 2, 3.0)]


async def test_a_caller_may_wait_its_own_way(waits: list[float]) -> None:
    held: list[float] = []

    async def hold(seconds: float) -> None:
        held.append(seconds)

    _, make = failing(Busy(0.7))
    await POLICY.call(make, sleep=hold)
    assert held == [0.7] and waits == []
