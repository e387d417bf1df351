"""The LINE channel end to end: signed webhooks in, the fake Messaging API's recorded calls out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.line.channel import LineChannel
from bot.settings import Settings
from intents import Conversation, texts
from state import SecretKey
from tests.fakes.line_api import LOADING, PUSH, REPLY, FakeLine, serve_fake_line
from tests.fakes.serve import serve_app
from tests.fakes.services import StandInServices, real_services

SECRET = "test-channel-secret"
TOKEN = "test-access-token"
USER = "U" + "a" * 32
GROUP = "C" + "b" * 32
QUERY = "ทะเบียนวัด นครราชสีมา"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()


def event(kind: str = "message", *, source: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1700000000000,
        "source": source or {"type": "user", "userId": USER},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
    }
    e.update(extra)
    return e


def text_event(text: str, **kw: Any) -> dict[str, Any]:
    message = {"id": "1", "type": "text", "text": text, "quoteToken": "q"}
    message.update(kw.pop("message_extra", {}))
    return event("message", message=message, **kw)


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeLine]]:
    with serve_fake_line() as served:
        yield served


@asynccontextmanager
async def running(
    fake_url: str, engine: Any, services: Callable[[Settings], Any] | None = None, **change: Any
) -> AsyncIterator[tuple[LineChannel, httpx.AsyncClient, Any]]:
    """A LINE channel on the fake API, with settings ``change``d and the services ``services``
    makes from them (stand-ins by default; the caller closes real ones)."""
    settings = replace(
        Settings(),
        line_channel_secret=SECRET,
        line_channel_access_token=TOKEN,
        line_api_base_url=fake_url,
        **change,
    )
    made = services(settings) if services else StandInServices(settings, engine, Conversation(engine))
    channel = LineChannel(settings, made)
    app = Starlette(routes=channel.routes)
    await channel.startup()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://khomun.test") as client:
            yield channel, client, made
    finally:
        await channel.shutdown()


@pytest_asyncio.fixture
async def line(
    fake: tuple[str, FakeLine], engine: Any
) -> AsyncIterator[tuple[LineChannel, httpx.AsyncClient, FakeLine, StandInServices]]:
    url, api = fake
    api.reset()
    async with running(url, engine) as (channel, client, services):
        yield channel, client, api, services
    assert api.unexpected == []


async def post(client: httpx.AsyncClient, body: bytes, signature: str | None = None) -> httpx.Response:
    return await client.post(
        "/webhooks/line",
        content=body,
        headers={
            "x-line-signature": sign(body) if signature is None else signature,
            "content-type": "application/json",
        },
    )


def first_card_uris(reply_body: dict[str, Any]) -> list[str]:
    flex = next(m for m in reply_body["messages"] if m["type"] == "flex")
    bubble = flex["contents"]["contents"][0]
    return [b["action"]["uri"] for b in bubble["footer"]["contents"] if b["action"]["type"] == "uri"]


async def test_search_in_private_chat_replies_with_cards(line: Any, engine: Any, monkeypatch: Any) -> None:
    channel, client, api, services = line
    channel.loading_after = 0.05
    handle = services.handle

    def slow(*args: Any) -> Any:  # a slow search: the typing dots come first
        time.sleep(0.3)
        return handle(*args)

    monkeypatch.setattr(services, "handle", slow)
    expected = engine.search(QUERY, limit=1).hits[0].name
    e = text_event(QUERY)
    r = await post(client, webhook(e))
    assert r.status_code == 200
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["replyToken"] == e["replyToken"]
    assert reply.headers["authorization"] == f"Bearer {TOKEN}"
    assert any(expected in uri for uri in first_card_uris(reply.body))
    assert reply.body["messages"][0]["type"] == "text"
    # the loading animation was started for this 1:1 chat, before the reply
    [loading] = api.calls(LOADING, status=None)
    assert loading.body == {"chatId": USER, "loadingSeconds": 10}
    assert loading.at <= reply.at


async def test_fast_answer_needs_no_loading_animation(line: Any) -> None:
    channel, client, api, _ = line
    channel.loading_after = 5.0
    assert (await post(client, webhook(text_event(QUERY)))).status_code == 200
    await channel.drain()
    assert len(api.replies()) == 1
    assert api.calls(LOADING, status=None) == []


async def test_verify_with_no_events_is_200_and_silent(line: Any) -> None:
    channel, client, api, _ = line
    r = await post(client, b'{"destination":"Ubot","events":[]}')
    assert r.status_code == 200
    await channel.drain()
    assert api.requests == []


async def test_forged_signature_is_400_and_nothing_processed(line: Any) -> None:
    channel, client, api, services = line
    body = webhook(text_event(QUERY))
    r = await post(client, body, signature=sign(body, "not-the-secret"))
    assert r.status_code == 400
    r = await post(client, body, signature="")
    assert r.status_code == 400
    await channel.drain()
    assert api.requests == [] and services.seen == []


async def test_malformed_body_with_good_signature_is_400(line: Any) -> None:
    channel, client, api, services = line
    for body in (b"{not json", b'{"events": {}}', b"[]", b"\xff\xfe"):
        r = await post(client, body)
        assert r.status_code == 400
    # a delivery that is well formed but whose only event is not: the event is skipped
    assert (await post(client, b'{"events": [{"type": "message"}]}')).status_code == 200
    await channel.drain()
    assert api.requests == [] and services.seen == []


async def test_body_over_one_megabyte_is_413(line: Any) -> None:
    _, client, api, _ = line
    body = b'{"events": [], "pad": "' + b"x" * 1_100_000 + b'"}'
    r = await post(client, body)
    assert r.status_code == 413
    assert api.requests == []


async def test_same_event_twice_is_answered_once(line: Any) -> None:
    channel, client, api, services = line
    e = text_event(QUERY)
    await post(client, webhook(e))
    redelivered = dict(e, deliveryContext={"isRedelivery": True})
    await post(client, webhook(redelivered))
    await channel.drain()
    assert len(api.replies()) == 1
    assert len(services.seen) == 1


async def test_group_message_not_addressed_gets_no_reply(line: Any) -> None:
    channel, client, api, services = line
    group = {"type": "group", "groupId": GROUP, "userId": USER}
    await post(client, webhook(text_event("ทะเบียนวัด เชียงใหม่", source=group)))
    await channel.drain()
    assert api.requests == [] and services.seen == []


async def test_group_message_with_prefix_or_mention_is_answered(line: Any) -> None:
    channel, client, api, services = line
    group = {"type": "group", "groupId": GROUP, "userId": USER}
    mention = {"mentionees": [{"index": 0, "length": 7, "type": "user", "userId": "Ubot", "isSelf": True}]}
    await post(
        client,
        webhook(
            text_event("ข้อมูล ทะเบียนวัด นครราชสีมา", source=group),
            text_event("@khomun ทะเบียนวัด", source=group, message_extra={"mention": mention}),
        ),
    )
    await channel.drain()
    assert sorted(m.text for m in services.seen) == ["ทะเบียนวัด", "ทะเบียนวัด นครราชสีมา"]
    assert all(m.chat_id == GROUP and m.chat_type == "group" for m in services.seen)
    assert len(api.replies()) == 2
    assert api.calls(LOADING, status=None) == []  # no loading animation in groups


async def test_follow_gets_the_welcome_with_an_example(line: Any) -> None:
    channel, client, api, _ = line
    await post(client, webhook(event("follow", follow={"isUnblocked": False})))
    await channel.drain()
    [reply] = api.replies()
    text = reply.body["messages"][0]["text"]
    assert text == texts.GREETING.format(example=texts.HELP_EXAMPLES[0])


async def test_sticker_gets_help(line: Any) -> None:
    channel, client, api, _ = line
    sticker = {
        "id": "2",
        "type": "sticker",
        "packageId": "1",
        "stickerId": "1",
        "stickerResourceType": "STATIC",
        "quoteToken": "q",
    }
    await post(client, webhook(event("message", message=sticker)))
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["messages"][0]["text"].startswith(texts.HELP[:20])


async def test_postback_becomes_a_postback_message(line: Any) -> None:
    channel, client, api, services = line
    await post(client, webhook(event("postback", postback={"data": "d:1"})))
    await channel.drain()
    assert services.seen[0].postback == "d:1" and services.seen[0].text == ""
    assert len(api.replies()) == 1


async def test_reply_retried_after_a_500_gets_one_reply(line: Any) -> None:
    channel, client, api, _ = line
    api.fail(REPLY, 500)
    await post(client, webhook(text_event(QUERY)))
    await channel.drain()
    assert [r.status for r in api.calls(REPLY, status=None)] == [500, 200]
    assert len(api.replies()) == 1


async def test_429_honours_retry_after(line: Any) -> None:
    channel, client, api, _ = line
    api.fail(REPLY, 429, retry_after="0")
    await post(client, webhook(text_event(QUERY)))
    await channel.drain()
    assert [r.status for r in api.calls(REPLY, status=None)] == [429, 200]


async def test_expired_reply_token_falls_back_to_push_with_one_retry_key(line: Any) -> None:
    channel, client, api, _ = line
    api.fail(PUSH, 500)
    await post(client, webhook(text_event(QUERY, replyToken="expired-token")))
    await channel.drain()
    pushes = api.calls(PUSH, status=None)
    assert [p.status for p in pushes] == [500, 200]
    keys = {p.headers["x-line-retry-key"] for p in pushes}
    assert len(keys) == 1 and uuid.UUID(keys.pop())
    assert pushes[-1].body["to"] == USER


async def test_failing_handler_still_answers_error_and_logs_no_secrets(
    line: Any, caplog: pytest.LogCaptureFixture
) -> None:
    channel, client, api, services = line
    services.fail = True
    caplog.set_level(logging.DEBUG)
    body = webhook(text_event(QUERY))
    await post(client, body)
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["messages"] == [{"type": "text", "text": texts.ERROR}]
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "RuntimeError: boom" in caplog.text  # the traceback is there
    for secret in (TOKEN, SECRET, USER, sign(body)):
        assert secret not in logged


def test_end_to_end_through_uvicorn(fake: tuple[str, FakeLine], engine: Any) -> None:
    url, api = fake
    api.reset()
    settings = replace(
        Settings(), line_channel_secret=SECRET, line_channel_access_token=TOKEN, line_api_base_url=url
    )
    channel = LineChannel(settings, StandInServices(settings, engine, Conversation(engine)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await channel.startup()
        yield
        await channel.shutdown()

    app = Starlette(routes=channel.routes, lifespan=lifespan)
    expected = engine.search(QUERY, limit=1).hits[0].name
    with serve_app(app, lifespan="on") as base:
        body = webhook(text_event(QUERY))
        r = httpx.post(f"{base}/webhooks/line", content=body, headers={"x-line-signature": sign(body)})
        assert r.status_code == 200
        [reply] = api.wait_for(REPLY)
    assert any(expected in uri for uri in first_card_uris(reply.body))
    assert api.unexpected == []


def test_real_app_and_services_search_then_details(
    fake: tuple[str, FakeLine], engine: Any, tmp_path: Any
) -> None:
    """bot.app.create_app with the real Services (contexts, journal): a search, then the
    "details" button of the first card, answered with a details bubble."""
    from bot.app import create_app
    from bot.journal import Journal
    from bot.services import Services
    from intents import ContextStore

    url, api = fake
    api.reset()
    settings = replace(
        Settings(),
        data_dir=tmp_path,
        secret_key="test-secret-key-for-journal",
        line_channel_secret=SECRET,
        line_channel_access_token=TOKEN,
        line_api_base_url=url,
    )
    contexts = ContextStore(settings.state_path, key=settings.secret_key)
    services = Services(
        settings,
        engine,
        Conversation(engine, contexts),
        Journal(settings.state_path, settings.secret_key),
        contexts,
        SecretKey(settings.secret_key),
    )
    app = create_app(settings, services)
    expected = engine.search(QUERY, limit=1).hits[0].name
    with serve_app(app, lifespan="on") as base:
        body = webhook(text_event(QUERY))
        assert (
            httpx.post(
                f"{base}/webhooks/line", content=body, headers={"x-line-signature": sign(body)}
            ).status_code
            == 200
        )
        [reply] = api.wait_for(REPLY)
        assert any(expected in uri for uri in first_card_uris(reply.body))
        flex = next(m for m in reply.body["messages"] if m["type"] == "flex")
        footer = flex["contents"]["contents"][0]["footer"]["contents"]
        details = next(b["action"]["data"] for b in footer if b["action"]["type"] == "postback")
        body = webhook(event("postback", postback={"data": details}))
        assert (
            httpx.post(
                f"{base}/webhooks/line", content=body, headers={"x-line-signature": sign(body)}
            ).status_code
            == 200
        )
        replies = api.wait_for(REPLY, 2)
    assert len(replies) == 2
    bubble = next(m for m in replies[1].body["messages"] if m["type"] == "flex")["contents"]
    assert bubble["type"] == "bubble"
    assert any(expected in b["action"].get("uri", "") for b in bubble["footer"]["contents"])
    assert api.unexpected == []


def ascii_webhook(*events: dict[str, Any]) -> bytes:
    """As LINE could send it: JSON escapes, so lone surrogates and controls survive the encoding."""
    return json.dumps({"destination": "Ubot", "events": list(events)}).encode()


async def test_poisoned_text_is_cleaned_before_the_conversation(line: Any) -> None:
    """issue 13.1: lone surrogates and control characters reached the journal from LINE."""
    channel, client, api, services = line
    long = "ก" * 20_000
    r = await post(client, ascii_webhook(text_event("\ud800ทะเบียน\x00วัด\u202e"), text_event(long)))
    assert r.status_code == 200
    await channel.drain()
    assert sorted(m.text for m in services.seen) == sorted(["ทะเบียนวัด", "ก" * 1000])
    assert len(api.replies()) == 2


async def test_surrogate_in_event_id_is_not_a_500(line: Any) -> None:
    """issue 13.6: a lone surrogate in webhookEventId broke the de-duplication insert (500)."""
    channel, client, api, _ = line
    r = await post(client, ascii_webhook(text_event(QUERY, webhookEventId="01H\udc00X")))
    assert r.status_code == 200
    await channel.drain()
    assert len(api.replies()) == 1


async def test_one_malformed_event_does_not_drop_the_valid_ones_beside_it(
    line: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """issue 13.6: one event the SDK cannot read cost the whole signed delivery."""
    channel, client, api, services = line
    broken = [
        event("message", message="not an object"),
        event("message", message={"id": "1", "type": "text", "text": 5, "quoteToken": "q"}),
        event("postback", postback={"data": ["x"]}),
        event("message", source="nobody", message={"id": "1", "type": "text", "text": "x"}),
        {"type": "message"},
        "not an event",
    ]
    caplog.set_level(logging.INFO)
    r = await post(client, ascii_webhook(text_event(QUERY), *broken, text_event("ทะเบียนวัด")))
    assert r.status_code == 200
    await channel.drain()
    assert sorted(m.text for m in services.seen) == sorted([QUERY, "ทะเบียนวัด"])
    assert len(api.replies()) == 2
    assert not [r for r in caplog.records if r.exc_info]  # one line each, no tracebacks


async def test_deeply_nested_signed_body_is_400(line: Any) -> None:
    """issue 13.6: RecursionError in json.loads was a 500 with a traceback."""
    _, client, api, services = line
    for body in (
        b"[" * 100_000 + b"]" * 100_000,
        b'{"events":[' + b"{}," * 3 + b'{"a":' * 40 + b"1" + b"}" * 40 + b"]}",
    ):
        r = await post(client, body)
        assert r.status_code == 400
    assert api.requests == [] and services.seen == []


# -- the inbox: what was acknowledged is answered, once, even after a crash ------------------------


def left_by_a_dead_process(settings: Settings, e: dict[str, Any], age: float = 0.0) -> None:
    """The inbox row a process that accepted ``e`` and then died would leave (lease run out)."""
    from bot.inbox import Inbox

    gone = Inbox(settings.state_path, lease_seconds=0.0, owner="elsewhere:1:gone")
    source = e["source"]
    payload = {
        "chat": source["userId"],
        "type": "private",
        "user": source["userId"],
        "text": e["message"]["text"],
        "postback": "",
        "token": e["replyToken"],
        "retry": "4b7e9f3c-0000-4000-8000-000000000001",
    }
    gone.accept("line", [(e["webhookEventId"], payload)])
    if age:
        with gone._lock:
            gone._db.execute("UPDATE inbox SET received = received - ?", (age,))
    gone.close()


async def test_events_over_capacity_get_503_and_nothing_is_recorded(fake: Any, engine: Any) -> None:
    url, api = fake
    api.reset()
    async with running(url, engine, inbox_capacity=1) as (channel, client, services):
        two = webhook(text_event(QUERY), text_event("ค่าแรงขั้นต่ำ"))
        assert (await post(client, two)).status_code == 503
        await channel.drain()
        assert services.seen == [] and channel.inbox.pending() == 0
        # LINE redelivers the same body later, when there is room: it is answered, not dropped
        channel.deliveries.capacity = 2
        assert (await post(client, two)).status_code == 200
        await channel.drain()
    assert len(api.replies()) == 2


async def test_a_database_that_cannot_record_gets_503(line: Any, monkeypatch: Any) -> None:
    from bot.inbox import InboxUnavailable

    channel, client, api, services = line

    def broken(*_: Any) -> Any:
        raise InboxUnavailable

    monkeypatch.setattr(channel.inbox, "apply", broken)
    assert (await post(client, webhook(text_event(QUERY)))).status_code == 503
    await channel.drain()
    assert api.requests == [] and services.seen == []


async def test_answered_events_leave_nothing_in_the_inbox(line: Any) -> None:
    channel, client, api, _ = line
    await post(client, webhook(text_event(QUERY), text_event("สวัสดี")))
    await channel.drain()
    assert len(api.replies()) == 2
    assert channel.inbox.pending() == 0


async def test_an_event_left_by_a_dead_process_is_replied_to_with_its_token(line: Any) -> None:
    channel, client, api, services = line
    e = text_event(QUERY)
    left_by_a_dead_process(channel.settings, e)
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["replyToken"] == e["replyToken"]
    assert [m.text for m in services.seen] == [QUERY]
    assert channel.inbox.pending() == 0
    # LINE redelivers it too: already answered
    assert (await post(client, webhook(e))).status_code == 200
    await channel.drain()
    assert len(api.replies()) == 1 and api.calls(PUSH) == []


async def test_a_token_the_dead_process_used_means_answered_no_push(line: Any) -> None:
    channel, _, api, _ = line
    e = text_event(QUERY)
    left_by_a_dead_process(channel.settings, e)
    api._used_tokens.add(e["replyToken"])  # the dead process's reply got through
    await channel.deliveries.claim()
    await channel.drain()
    assert api.replies() == [] and api.calls(PUSH, status=None) == []
    assert channel.inbox.pending() == 0


async def test_an_old_event_is_pushed_with_its_own_retry_key(line: Any) -> None:
    channel, _, api, _ = line
    e = text_event(QUERY)
    left_by_a_dead_process(channel.settings, e, age=120.0)
    await channel.deliveries.claim()
    await channel.drain()
    [push] = api.calls(PUSH)
    assert api.replies() == [] and push.body["to"] == USER
    assert push.headers["x-line-retry-key"] == "4b7e9f3c-0000-4000-8000-000000000001"


async def test_a_reply_that_keeps_failing_is_tried_again_later(line: Any, monkeypatch: Any) -> None:
    from bot import background

    monkeypatch.setattr(background, "RETRY_DELAY", 0.0)
    channel, client, api, _ = line
    api.fail(REPLY, 500, times=3)  # every attempt of the first round
    e = text_event(QUERY)
    await post(client, webhook(e))
    await channel.drain()
    assert api.replies() == [] and channel.inbox.pending() == 1
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["replyToken"] == e["replyToken"] and channel.inbox.pending() == 0


async def test_chats_hanging_at_the_api_do_not_delay_the_others(line: Any) -> None:
    """issue 13.7: 150 chats hanging at LINE's API filled the shared connection pool (100) and
    delayed every other reply 9-11 s. The pool has room for every event the inbox may hold."""
    channel, client, api, _ = line
    channel.loading_after = 5.0
    hanging = [text_event("สวัสดี", source={"type": "user", "userId": f"U{i:032x}"}) for i in range(120)]
    api.hang([e["replyToken"] for e in hanging], 2.0)
    for e in hanging:
        assert (await post(client, webhook(e))).status_code == 200
    await asyncio.sleep(0.3)  # their replies are out, waiting for the API
    others = [text_event("สวัสดี", source={"type": "user", "userId": f"U{i:032x}"}) for i in range(500, 520)]
    began = time.perf_counter()
    for e in others:
        assert (await post(client, webhook(e))).status_code == 200
    tokens = {e["replyToken"] for e in others}
    deadline = began + 5
    while time.perf_counter() < deadline:
        answered = [r for r in api.replies() if r.body["replyToken"] in tokens]
        if len(answered) == len(others):
            break
        await asyncio.sleep(0.02)
    assert len(answered) == len(others)
    assert max(r.at for r in answered) - began < 1.0
    await channel.drain()
    assert len(api.replies()) == len(hanging) + len(others)


async def test_a_backlog_alone_does_not_start_the_loading_animation(line: Any) -> None:
    """issue 13.7: the loading animation fired for almost every message under a backlog (991
    extra calls per 1,000): its clock started at receipt, so waiting behind other messages for
    the one conversation thread counted as slow. It now starts when this message is taken up."""
    channel, client, api, _ = line
    channel.loading_after = 0.05  # each answer below takes a few ms; 200 of them take longer
    queued = [text_event(QUERY, source={"type": "user", "userId": f"U{i:032x}"}) for i in range(200)]
    for e in queued:
        assert (await post(client, webhook(e))).status_code == 200
    await channel.drain()
    assert len(api.replies()) == len(queued)
    assert len(api.calls(LOADING, status=None)) <= 10


async def test_retry_after_is_honoured_up_to_its_cap(line: Any, retry_waits: list[float]) -> None:
    from bot.line import channel as line_module

    channel, client, api, _ = line
    api.fail(REPLY, 429, retry_after="3600")
    api.fail(REPLY, 429, retry_after="0.05")
    await post(client, webhook(text_event(QUERY)))
    await channel.drain()
    assert [r.status for r in api.calls(REPLY, status=None)] == [429, 429, 200]
    assert retry_waits == [line_module.MAX_RETRY_AFTER, 0.05]


async def test_a_call_is_tried_at_most_three_times_with_backoff(line: Any, retry_waits: list[float]) -> None:
    channel, client, api, _ = line
    api.fail(REPLY, 500, times=3)
    await post(client, webhook(text_event(QUERY)))
    await channel.drain()
    assert [r.status for r in api.calls(REPLY, status=None)] == [500, 500, 500]
    assert 0.1 <= retry_waits[0] <= 0.2 and 0.2 <= retry_waits[1] <= 0.4 and len(retry_waits) == 2
    assert channel.inbox.pending() == 1  # handed back to the inbox, not dropped


async def test_a_4xx_other_than_429_is_not_retried(line: Any, retry_waits: list[float]) -> None:
    channel, client, api, _ = line
    api.fail(REPLY, 403)
    await post(client, webhook(text_event(QUERY)))
    await channel.drain()
    assert [r.status for r in api.calls(REPLY, status=None)] == [403] and api.calls(PUSH, status=None) == []
    api.fail(PUSH, 400)
    await post(client, webhook(text_event(QUERY, replyToken="expired-token")))
    await channel.drain()
    assert [p.status for p in api.calls(PUSH, status=None)] == [400] and retry_waits == []


async def test_answered_events_have_their_journal_rows_without_a_journal_flush(
    fake: Any, engine: Any, state_db: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """issue 11.2: the journal buffered rows for 0.5 s in a writer thread, so a process killed with
    kill -9 lost the rows of the messages it had just answered (44 in the two-instance kill test).
    An event's rows are written in the transaction that marks it answered."""
    from bot import journal
    from state import open_database

    monkeypatch.setattr(journal, "FLUSH_SECONDS", 3600.0)  # the buffered writer never wakes
    url, api = fake
    api.reset()
    made: list[Any] = []

    def services(settings: Settings) -> Any:
        made.append(real_services(settings, engine))
        return made[0]

    try:
        async with running(
            url,
            engine,
            services,
            data_dir=tmp_path,
            database_url=state_db if isinstance(state_db, str) else "",
            secret_key="test-secret-key-for-journal",
        ) as (channel, client, real):
            assert (await post(client, webhook(text_event(QUERY), text_event("สวัสดี")))).status_code == 200
            await channel.drain()
            assert len(api.replies()) == 2 and channel.inbox.pending() == 0
            db = open_database(real.settings.state_db, migrate=False)
            try:
                rows = db.execute("SELECT platform, user_hash, text FROM journal").fetchall()
            finally:
                db.close()
            assert sorted(text for _, _, text in rows) == sorted([QUERY, "สวัสดี"])
            assert {(p, u) for p, u, _ in rows} == {("line", real.journal.hash_id("line", USER))}
            assert real.journal.depth() == 0  # nothing waits in the buffer
    finally:
        for s in made:
            s.close()
