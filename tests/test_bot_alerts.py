"""`khomun alerts send` against the fake Telegram and LINE APIs: one message per follower, never a
dataset twice, Telegram's limits, LINE's costs; LINE's unfollow event forgets the user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bot import alerts
from bot.line.channel import LineChannel
from bot.settings import Settings
from index.search import SearchEngine
from intents import Conversation
from intents.follows import FollowStore
from state import SecretKey
from tests.fakes.line_api import MULTICAST, QUOTA, FakeLine, serve_fake_line
from tests.fakes.services import StandInServices
from tests.fakes.telegram_api import TOKEN, FakeTelegram, serve_fake_telegram
from tests.portal_index import build_changed_index, modified

LATER = "2030-01-02T03:04:05"
PARK, BIKE = "public_park", "bike_way"
SINCE = "2025-01-01T00:00:00"  # after every bundled dataset, before the refreshed ones


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """The catalog after a refresh that updated the park and bike-lane datasets."""
    path = tmp_path_factory.mktemp("refreshed") / "index.sqlite"
    return SearchEngine(build_changed_index(path, {PARK: modified(LATER), BIKE: modified(LATER)}))


@pytest.fixture(scope="module")
def telegram() -> Iterator[tuple[str, FakeTelegram]]:
    with serve_fake_telegram() as served:
        yield served


@pytest.fixture(scope="module")
def line_api() -> Iterator[tuple[str, FakeLine]]:
    with serve_fake_line() as served:
        yield served


def store_with(*follows: tuple[str, str, str]) -> FollowStore:
    store = FollowStore()
    for platform, chat, query in follows:
        store.add(platform, chat, "query", query, query, SINCE)
    return store


#: the service's secret key (alerts name chats by their keyed tag)
KEY = SecretKey("alerts-test-secret")


def run_alerts(*args: Any, **kwargs: Any) -> Any:
    return alerts.run(*args, secret=KEY, **kwargs)


def tg_settings(url: str) -> Settings:
    return Settings(telegram_bot_token=TOKEN, telegram_api_base_url=url)


def line_settings(url: str, cap: int = 200) -> Settings:
    return Settings(line_channel_access_token="tok", line_api_base_url=url, line_push_monthly_cap=cap)


async def test_one_message_per_follower_and_never_twice(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    store = store_with(
        ("telegram", "1", "สวนสาธารณะ กรุงเทพ"),
        ("telegram", "1", "bike lanes in Bangkok"),
        ("telegram", "2", "bike lanes in Bangkok"),
        ("telegram", "3", "ทะเบียนวัด เชียงใหม่"),
    )
    report = await run_alerts(tg_settings(url), refreshed, store)
    sends = {c.params["chat_id"]: c.params["text"] for c in api.of("sendMessage")}
    assert set(sends) == {"1", "2"} and report.sent == 2  # chat 3's temples did not change
    assert "สวนสาธารณะ" in sends["1"] and "/dataset/bike_way" in sends["1"]
    assert "/dataset/bike_way" in sends["2"] and "public_park" not in sends["2"]
    again = await run_alerts(tg_settings(url), refreshed, store)
    assert again.sent == 0 and len(api.of("sendMessage")) == 2
    assert api.unexpected == []


async def test_a_send_that_may_have_arrived_is_never_sent_again(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    api.hang("sendMessage", 1.0)
    store = store_with(("telegram", "7", "bike lanes in Bangkok"))
    async with httpx.AsyncClient(timeout=0.3) as client:  # the "crash": no answer to the send
        first = await run_alerts(tg_settings(url), refreshed, store, client=client)
    assert first.failed == 1
    api.reset()
    second = await run_alerts(tg_settings(url), refreshed, store)
    assert second.sent == 0 and api.of("sendMessage") == []


async def test_a_failed_send_is_released_for_the_next_run(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    api.fail("sendMessage", 400)
    store = store_with(("telegram", "8", "bike lanes in Bangkok"))
    assert (await run_alerts(tg_settings(url), refreshed, store)).failed == 1
    assert (await run_alerts(tg_settings(url), refreshed, store)).sent == 1


async def test_429_retry_after_is_honoured(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    api.fail("sendMessage", 429, retry_after=1)
    store = store_with(("telegram", "9", "bike lanes in Bangkok"))
    report = await run_alerts(tg_settings(url), refreshed, store)
    calls = api.of("sendMessage", status=None)
    assert report.sent == 1 and [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.95


async def test_a_blocked_bot_forgets_the_chat(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    api.fail("sendMessage", 403)
    store = store_with(("telegram", "10", "bike lanes in Bangkok"), ("telegram", "10", "สวนสาธารณะ กรุงเทพ"))
    report = await run_alerts(tg_settings(url), refreshed, store)
    assert report.blocked == 1 and store.of_chat("telegram", "10") == []


async def test_sends_are_paced_under_telegrams_overall_limit(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    store = store_with(*[("telegram", str(100 + i), "bike lanes in Bangkok") for i in range(12)])
    await run_alerts(tg_settings(url), refreshed, store)
    times = sorted(c.at for c in api.of("sendMessage"))
    assert len(times) == 12
    assert (times[-1] - times[0]) >= 11 / alerts.TELEGRAM_PER_SECOND * 0.9  # ≤ 25/s, under 30/s


async def test_dry_run_sends_and_records_nothing(refreshed, telegram) -> None:
    url, api = telegram
    api.reset()
    store = store_with(("telegram", "11", "bike lanes in Bangkok"))
    report = await run_alerts(tg_settings(url), refreshed, store, dry_run=True)
    assert len(report.lines) == 1 and "11" not in report.lines[0]  # the chat id is hashed
    # keyed: not the plain sha256 that anyone could compute for every numeric id
    assert KEY.hash_id("log", "telegram", "11") in report.lines[0]
    assert hashlib.sha256(b"11").hexdigest()[:12] not in report.lines[0]
    assert api.of("sendMessage") == [] and (await run_alerts(tg_settings(url), refreshed, store)).sent == 1


async def test_line_multicasts_identical_alerts_once_a_day(refreshed, line_api) -> None:
    url, api = line_api
    api.reset()
    api.quota, api.usage = None, 0
    users = [f"U{i:032d}" for i in range(3)]
    store = store_with(*[("line", u, "bike lanes in Bangkok") for u in users])
    report = await run_alerts(line_settings(url), refreshed, store)
    [call] = api.calls(MULTICAST)
    assert sorted(call.body["to"]) == users and report.sent == 3
    assert call.headers.get("x-line-retry-key")
    # a new dataset the same day waits for tomorrow: one push per user per day
    store.add("line", users[0], "query", "สวนสาธารณะ กรุงเทพ", "สวนสาธารณะ", SINCE)
    later = await run_alerts(line_settings(url), refreshed, store)
    assert later.skipped_daily == 1 and len(api.calls(MULTICAST)) == 1
    assert api.unexpected == []


async def test_line_stops_at_the_monthly_cap_and_at_lines_quota(refreshed, line_api) -> None:
    url, api = line_api
    api.reset()
    api.quota, api.usage = None, 0
    users = [f"Ucap{i:029d}" for i in range(3)]
    store = store_with(*[("line", u, "bike lanes in Bangkok") for u in users])
    capped = await run_alerts(line_settings(url, cap=2), refreshed, store)
    assert capped.sent == 2 and capped.skipped_budget == 1
    assert len(api.calls(MULTICAST)[0].body["to"]) == 2
    api.reset()
    api.quota, api.usage = 10, 10  # the account's quota is spent
    others = store_with(*[("line", f"Uq{i:030d}", "bike lanes in Bangkok") for i in range(2)])
    spent = await run_alerts(line_settings(url), refreshed, others)
    assert spent.sent == 0 and spent.skipped_budget == 2
    assert api.calls(QUOTA) and api.calls(MULTICAST, status=None) == []


def _sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


async def test_line_unfollow_event_deletes_that_users_follows(engine, line_api, tmp_path: Path) -> None:
    url, _ = line_api
    settings = replace(
        Settings(data_dir=tmp_path),
        line_channel_secret="s",
        line_channel_access_token="t",
        line_api_base_url=url,
    )
    conversation = Conversation(engine, follows=FollowStore())
    user = "U" + "f" * 32
    conversation.follows.add("line", user, "query", "bike lanes in Bangkok", "bike lanes", SINCE)
    conversation.follows.add("line", "U" + "e" * 32, "query", "bike lanes in Bangkok", "bike lanes", SINCE)
    channel = LineChannel(settings, StandInServices(settings, engine, conversation))
    await channel.startup()
    try:
        event = {
            "type": "unfollow",
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": uuid.uuid4().hex[:26].upper(),
            "deliveryContext": {"isRedelivery": False},
        }
        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        transport = httpx.ASGITransport(app=Starlette(routes=channel.routes))
        async with httpx.AsyncClient(transport=transport, base_url="http://khomun.test") as client:
            r = await client.post(
                "/webhooks/line", content=body, headers={"x-line-signature": _sign(body, "s")}
            )
        assert r.status_code == 200
        await channel.drain()
    finally:
        await channel.shutdown()
    assert conversation.follows.of_chat("line", user) == []
    assert len(conversation.follows.of_chat("line", "U" + "e" * 32)) == 1


async def test_a_rate_limit_that_outlasts_the_retries_leaves_the_alert_for_the_next_run(
    refreshed, telegram
) -> None:
    url, api = telegram
    api.reset()
    api.fail("sendMessage", 429, times=3, retry_after=0)
    store = store_with(("telegram", "12", "bike lanes in Bangkok"))
    report = await run_alerts(tg_settings(url), refreshed, store)
    assert [c.status for c in api.of("sendMessage", status=None)] == [429, 429, 429] and report.failed == 1
    assert (await run_alerts(tg_settings(url), refreshed, store)).sent == 1


def test_the_wait_a_rate_limit_asks_for_is_capped() -> None:
    def limited(seconds: int) -> BaseException:
        body = {"ok": False, "error_code": 429, "parameters": {"retry_after": seconds}}
        return alerts._Refused(httpx.Response(429, json=body))

    assert alerts._TELEGRAM.wait(limited(3), 1) == 3.0
    assert alerts._TELEGRAM.wait(limited(3600), 1) == alerts.MAX_RETRY_AFTER
    assert alerts._LINE.wait(limited(3600), 1) == alerts.LINE_MAX_RETRY_AFTER
    assert 0.25 <= alerts._TELEGRAM.wait(alerts._Refused(httpx.Response(502)), 1) <= 0.5  # backoff


async def test_line_multicast_retries_with_one_key_and_honours_retry_after(
    refreshed, line_api, retry_waits: list[float]
) -> None:
    waits = retry_waits
    url, api = line_api
    api.reset()
    api.quota, api.usage = None, 0
    api.fail(MULTICAST, 429, retry_after="3600")
    api.fail(MULTICAST, 500)
    users = [f"Uretry{i:027d}" for i in range(2)]
    store = store_with(*[("line", u, "bike lanes in Bangkok") for u in users])
    report = await run_alerts(line_settings(url), refreshed, store)
    calls = api.calls(MULTICAST, status=None)
    assert [c.status for c in calls] == [429, 500, 200] and report.sent == 2
    assert len({c.headers["x-line-retry-key"] for c in calls}) == 1
    assert waits[0] == alerts.LINE_MAX_RETRY_AFTER and 0.5 <= waits[1] <= 1.0
    api.fail(MULTICAST, 400)
    others = [f"Uother{i:027d}" for i in range(2)]
    refused = await run_alerts(
        line_settings(url), refreshed, store_with(*[("line", u, "bike lanes in Bangkok") for u in others])
    )
    assert refused.failed == 2 and [c.status for c in api.calls(MULTICAST, status=None)][3:] == [400]
