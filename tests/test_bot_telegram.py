"""The Telegram channel end to end: webhook updates in, the fake Bot API's recorded calls out."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from bot.settings import Settings
from bot.telegram import render as render_telegram
from bot.telegram.channel import COMMANDS, TelegramChannel
from bot.telegram.cli import set_webhook
from intents import Conversation, texts
from tests.chaos_proxy import ResettingProxy
from tests.fakes.serve import serve_app
from tests.fakes.services import StandInServices, real_services
from tests.fakes.telegram_api import BOT_USERNAME, TOKEN, FakeTelegram, serve_fake_telegram

SECRET = "s3cret_token-for-tests"
USER_ID = 777000111
GROUP_ID = -100200300
QUERY = "ทะเบียนวัด นครราชสีมา"
_ids = itertools.count(1)


def user() -> dict[str, Any]:
    return {"id": USER_ID, "is_bot": False, "first_name": "ข่าว", "language_code": "th"}


def message_update(text: str, chat_id: int = USER_ID, *, command: bool = False) -> dict[str, Any]:
    chat = (
        {"id": chat_id, "type": "private", "first_name": "ข่าว"}
        if chat_id > 0
        else {
            "id": chat_id,
            "type": "supergroup",
            "title": "newsroom",
        }
    )
    msg: dict[str, Any] = {
        "message_id": next(_ids),
        "date": 1700000000,
        "chat": chat,
        "from": user(),
        "text": text,
    }
    if command:
        length = len(text.split()[0])
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": next(_ids), "message": msg}


def callback_update(data: str, chat_id: int = USER_ID) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "ข่าว"}
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)),
            "from": user(),
            "chat_instance": "42",
            "data": data,
            "message": {
                "message_id": 5,
                "date": 1700000000,
                "chat": chat,
                "text": "…",
                "from": {"id": 123456, "is_bot": True, "first_name": "k"},
            },
        },
    }


def inline_update(query: str, offset: str = "") -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "inline_query": {"id": str(next(_ids)), "from": user(), "query": query, "offset": offset},
    }


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[str, FakeTelegram]]:
    with serve_fake_telegram() as served:
        yield served


def settings_for(url: str, secret: str = SECRET) -> Settings:
    return replace(
        Settings(), telegram_bot_token=TOKEN, telegram_webhook_secret=secret, telegram_api_base_url=url
    )


@asynccontextmanager
async def running(
    url: str,
    engine: Any,
    secret: str = SECRET,
    services: Callable[[Settings], Any] | None = None,
    **change: Any,
) -> AsyncIterator[tuple[TelegramChannel, httpx.AsyncClient, Any]]:
    """A Telegram channel on the fake API, with settings ``change``d and the services ``services``
    makes from them (stand-ins by default; the caller closes real ones)."""
    settings = replace(settings_for(url, secret), **change)
    made = services(settings) if services else StandInServices(settings, engine, Conversation(engine))
    channel = TelegramChannel(settings, made)
    await channel.startup()
    try:
        app = Starlette(routes=channel.routes)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://khomun.test"
        ) as client:
            yield channel, client, made
    finally:
        await channel.shutdown()


@pytest_asyncio.fixture
async def tg(
    fake: tuple[str, FakeTelegram], engine: Any
) -> AsyncIterator[tuple[TelegramChannel, httpx.AsyncClient, FakeTelegram, StandInServices]]:
    url, api = fake
    api.reset()
    async with running(url, engine) as (channel, client, services):
        api.reset()  # forget getMe / setMyCommands from startup
        yield channel, client, api, services
        assert channel.errors == []
    assert api.unexpected == []


async def post(client: httpx.AsyncClient, update: Any, secret: str | None = SECRET) -> httpx.Response:
    headers = {"x-telegram-bot-api-secret-token": secret} if secret is not None else {}
    if isinstance(update, bytes):
        return await client.post("/webhooks/telegram", content=update, headers=headers)
    return await client.post("/webhooks/telegram", json=update, headers=headers)


async def test_startup_calls_get_me_and_sets_commands_in_thai_and_english(fake: Any, engine: Any) -> None:
    url, api = fake
    api.reset()
    async with running(url, engine) as (channel, _, _):
        assert channel.app.bot.username == BOT_USERNAME
    assert len(api.of("getMe")) == 1
    calls = api.of("setMyCommands")
    langs = {c.params.get("language_code") for c in calls}
    assert {"th", "en"} <= langs
    th = next(c for c in calls if c.params.get("language_code") == "th")
    assert [c["command"] for c in th.params["commands"]] == list(COMMANDS)
    assert api.unexpected == []


async def test_set_commands_failure_does_not_stop_startup(fake: Any, engine: Any) -> None:
    url, api = fake
    api.reset()
    api.fail("setMyCommands", 400, times=1)
    async with running(url, engine) as (channel, client, _):
        r = await post(client, message_update("/start", command=True))
        assert r.status_code == 200
        await channel.drain()
    assert len(api.of("sendMessage")) == 1


async def test_wrong_or_missing_secret_is_403(tg: Any) -> None:
    channel, client, api, services = tg
    assert (await post(client, message_update(QUERY), secret="wrong")).status_code == 403
    assert (await post(client, message_update(QUERY), secret=None)).status_code == 403
    await channel.drain()
    assert api.calls == [] and services.seen == []


async def test_bad_json_is_400_and_big_body_413(tg: Any) -> None:
    _, client, api, _ = tg
    assert (await post(client, b"{nope")).status_code == 400
    assert (await post(client, b'{"no_update_id": 1}')).status_code == 400
    assert (await post(client, b'{"update_id": 1, "pad": "' + b"x" * 1_100_000 + b'"}')).status_code == 413
    assert api.calls == []


async def test_start_sends_the_greeting(tg: Any) -> None:
    channel, client, api, _ = tg
    await post(client, message_update("/start", command=True))
    await channel.drain()
    [sent] = api.of("sendMessage")
    assert sent.params["chat_id"] == USER_ID or str(sent.params["chat_id"]) == str(USER_ID)
    assert sent.params["parse_mode"] == "HTML"
    assert sent.params["text"].startswith("สวัสดีค่ะ")


async def test_text_search_sends_html_with_an_inline_keyboard(tg: Any, engine: Any) -> None:
    channel, client, api, _ = tg
    expected = engine.search(QUERY, limit=1).hits[0].name
    await post(client, message_update(QUERY))
    await channel.drain()
    [sent] = api.of("sendMessage")
    assert sent.params["parse_mode"] == "HTML"
    assert "<b>1. " in sent.params["text"] and f"/dataset/{expected}" in sent.params["text"]
    assert len(sent.params["text"]) <= render_telegram.MAX_TEXT
    keyboard = sent.params["reply_markup"]["inline_keyboard"]
    assert sum(len(row) for row in keyboard) <= render_telegram.MAX_LIST_BUTTONS
    details = [b for b in keyboard[0] if b["text"] == "1"]
    assert details and details[0]["callback_data"].startswith("d:1@")
    for row in keyboard:
        for b in row:
            assert len(b.get("callback_data", "").encode()) <= render_telegram.MAX_CALLBACK_BYTES


async def test_search_command_and_group_rules(tg: Any) -> None:
    channel, client, api, services = tg
    await post(client, message_update(f"/search@{BOT_USERNAME} {QUERY}", GROUP_ID, command=True))
    await post(client, message_update("ทะเบียนวัด เชียงใหม่", GROUP_ID))  # not addressed: ignored
    await post(client, message_update(f"@{BOT_USERNAME} ทะเบียนวัด", GROUP_ID))
    await post(client, message_update("/search@someother_bot วัด", GROUP_ID, command=True))  # not ours
    await channel.drain()
    assert sorted(m.text for m in services.seen) == sorted([QUERY, "ทะเบียนวัด"])
    assert all(m.chat_type == "group" and m.chat_id == str(GROUP_ID) for m in services.seen)
    assert len(api.of("sendMessage")) == 2


async def test_callback_query_is_answered_and_routed_as_postback(tg: Any) -> None:
    channel, client, api, services = tg
    await post(client, callback_update("d:1"))
    await post(client, callback_update("t:ทะเบียนวัด"))
    await channel.drain()
    assert len(api.of("answerCallbackQuery")) == 2
    assert sorted((m.postback, m.text) for m in services.seen) == [("", "ทะเบียนวัด"), ("d:1", "")]
    assert len(api.of("sendMessage")) == 2


async def test_inline_query_results_at_most_50_with_citation(tg: Any) -> None:
    channel, client, api, _ = tg
    await post(client, inline_update("ข้อมูล"))
    await post(client, inline_update(QUERY))
    await channel.drain()
    calls = api.of("answerInlineQuery")
    assert len(calls) == 2
    for call in calls:
        results = call.params["results"]
        assert len(results) <= render_telegram.MAX_INLINE_RESULTS
        assert int(call.params["cache_time"]) > 0
        assert len(str(call.params.get("next_offset", "")).encode()) <= 64
    results = next(c for c in calls if c.params["results"]).params["results"]
    first = results[0]
    assert first["type"] == "article"
    assert "ที่มา:" in first["input_message_content"]["message_text"]
    assert first["input_message_content"]["parse_mode"] == "HTML"


async def test_inline_queries_go_through_the_conversation(tg: Any) -> None:
    """Inline mode called the engine directly: its queries were never journaled, and the
    unanswered ones never reached staff."""
    channel, client, api, services = tg
    await post(client, inline_update(QUERY))
    await post(client, inline_update("ราคาทองคำแท่งวันนี้"))
    await channel.drain()
    assert [m.text for m in services.inline] == [QUERY, "ราคาทองคำแท่งวันนี้"]
    assert all(m.chat_type == "inline" and m.platform == "telegram" and m.user_id for m in services.inline)
    assert services.seen == []  # not a chat message: no list kept, nothing sent to a chat
    answered, missed = (c.params["results"] for c in api.of("answerInlineQuery"))
    assert answered and missed == []


async def test_inline_query_pages_with_next_offset(tg: Any, engine: Any) -> None:
    channel, client, api, _ = tg
    query = "ข้อมูล"
    total = len(engine.search(query, limit=200).hits)
    await post(client, inline_update(query))
    await channel.drain()
    [call] = api.of("answerInlineQuery")
    if total > 50:
        assert call.params["next_offset"] == "50"
        api.reset()
        await post(client, inline_update(query, offset="50"))
        await channel.drain()
        [call] = api.of("answerInlineQuery")
        assert call.params["results"]
    else:
        assert call.params.get("next_offset", "") == ""


async def test_duplicate_update_id_is_handled_once(tg: Any) -> None:
    channel, client, api, services = tg
    update = message_update(QUERY)
    assert (await post(client, update)).status_code == 200
    assert (await post(client, update)).status_code == 200
    await channel.drain()
    assert len(services.seen) == 1
    assert len(api.of("sendMessage")) == 1


async def test_retry_after_is_honoured(tg: Any) -> None:
    channel, client, api, _ = tg
    api.fail("sendMessage", 429, retry_after=0)
    api.fail("sendMessage", 500)
    await post(client, message_update("/help", command=True))
    await channel.drain()
    assert [c.status for c in api.of("sendMessage", status=None)] == [429, 500, 200]


async def test_failing_handler_still_answers_error(tg: Any, caplog: pytest.LogCaptureFixture) -> None:
    channel, client, api, services = tg
    services.fail = True
    caplog.set_level(logging.DEBUG)
    await post(client, message_update(QUERY))
    await channel.drain()
    [sent] = api.of("sendMessage")
    assert sent.params["text"] == texts.ERROR
    assert "RuntimeError: boom" in caplog.text
    assert TOKEN not in caplog.text and SECRET not in caplog.text
    # the chat is named by a keyed tag: a Telegram id is a small number, so a plain hash of it
    # is found by hashing them all
    [failed] = [r for r in caplog.records if r.getMessage() == "Telegram update handling failed"]
    assert failed.chat == services.secret.hash_id("log", "telegram", str(USER_ID))
    assert failed.chat != hashlib.sha256(str(USER_ID).encode()).hexdigest()[:12]


async def test_no_secret_configured_accepts_and_warns(
    fake: Any, engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url, api = fake
    api.reset()
    caplog.set_level(logging.WARNING)
    async with running(url, engine, secret="") as (channel, client, _):
        assert (await post(client, message_update("/help", command=True), secret=None)).status_code == 200
        await channel.drain()
    assert "TELEGRAM_WEBHOOK_SECRET" in caplog.text
    assert api.unexpected == []


def test_set_webhook_cli_registers_the_secret(fake: Any, capsys: pytest.CaptureFixture[str]) -> None:
    url, api = fake
    api.reset()
    assert set_webhook(settings_for(url), "https://khomun.example/webhooks/telegram") == 0
    [call] = api.of("setWebhook")
    assert call.params["url"] == "https://khomun.example/webhooks/telegram"
    assert call.params["secret_token"] == SECRET
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err and SECRET not in out.out + out.err
    assert "https://khomun.example/webhooks/telegram" in out.out
    assert set_webhook(settings_for(url), "http://insecure.example/hook") == 2


def test_end_to_end_through_uvicorn(fake: Any, engine: Any) -> None:
    url, api = fake
    api.reset()
    settings = settings_for(url)
    channel = TelegramChannel(settings, StandInServices(settings, engine, Conversation(engine)))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await channel.startup()
        yield
        await channel.shutdown()

    app = Starlette(routes=channel.routes, lifespan=lifespan)
    with serve_app(app, lifespan="on") as base:
        r = httpx.post(
            f"{base}/webhooks/telegram",
            json=message_update(QUERY),
            headers={"x-telegram-bot-api-secret-token": SECRET},
        )
        assert r.status_code == 200
        [sent] = api.wait_for("sendMessage")
    assert "inline_keyboard" in sent.params["reply_markup"]
    assert channel.errors == []
    assert api.unexpected == []


async def test_telegram_down_at_startup_does_not_crash_and_recovers(fake: Any, engine: Any) -> None:
    url, api = fake
    api.reset()
    api.fail("getMe", 500, times=1)
    async with running(url, engine) as (channel, client, _):
        r = await post(client, message_update("/help", command=True))
        assert r.status_code == 200  # kept in the inbox; getMe is tried again in the background
        await channel.drain()
        assert channel.app.running
        assert len(api.of("sendMessage")) == 1
        assert channel.errors == []
    assert api.unexpected == []


def raw_update(update_id: str = "", **message: str) -> bytes:
    """An update written by hand, for values json.dumps cannot produce (Infinity, 1e400, ...)."""
    uid = update_id or str(next(_ids))
    fields = {
        "message_id": str(next(_ids)),
        "date": "1700000000",
        "chat": json.dumps({"id": USER_ID, "type": "private", "first_name": "x"}),
        "from": json.dumps(user()),
        "text": json.dumps(QUERY),
        **message,
    }
    body = ",".join(f'"{k}":{v}' for k, v in fields.items())
    return f'{{"update_id":{uid},"message":{{{body}}}}}'.encode()


@pytest.mark.parametrize(
    ("update_id", "message"),
    [
        ("Infinity", {}),
        ("-Infinity", {}),
        ("NaN", {}),
        ("1e999", {}),
        ("1.5", {}),
        ('"12"', {}),
        ("true", {}),
        (str(2**64), {}),
        ("", {"date": "1e400"}),
        ("", {"date": str(2**62)}),
        ("", {"entities": '"bot_command"'}),
        ("", {"entities": '[{"type": "bot_command", "offset": "x", "length": 1e400}]'}),
        ("", {"text": str(2**64)}),
        ("", {"chat": '"private"'}),
        ("", {"from": "[]"}),
        ("", {"reply_to_message": '{"a":' * 40 + "1" + "}" * 40}),
    ],
)
async def test_malformed_update_is_400_one_line_and_not_marked_seen(
    tg: Any, update_id: str, message: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """issue 13.6: update_id Infinity/1e999 and date 1e400 were 500s with tracebacks, and an update
    that failed after the de-duplication was already marked seen."""
    channel, client, api, services = tg
    caplog.set_level(logging.INFO)
    uid = next(_ids)
    body = raw_update(update_id or str(uid), **message)
    r = await post(client, body)
    assert r.status_code == 400
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    await channel.drain()
    assert services.seen == [] and api.of("sendMessage") == []
    # the same update_id, well formed this time, is still answered
    good = message_update(QUERY)
    good["update_id"] = uid
    assert (await post(client, good)).status_code == 200
    await channel.drain()
    assert len(api.of("sendMessage")) >= 1


async def test_deeply_nested_update_is_400(tg: Any) -> None:
    _, client, api, services = tg
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"update_id":' * 50_000 + b"1" + b"}" * 50_000):
        assert (await post(client, body)).status_code == 400
    assert services.seen == [] and api.calls == []


async def test_texts_are_cleaned_before_the_conversation(tg: Any) -> None:
    """issue 13.1: surrogates, controls and non-string texts from Telegram."""
    channel, client, _, services = tg
    assert (await post(client, raw_update(text='"\\ud800ทะเบียน\\u0000วัด\\u202e"'))).status_code == 200
    assert (await post(client, raw_update(text="12345"))).status_code == 400  # a number, not a text
    assert (await post(client, raw_update(text=json.dumps("ก" * 5000)))).status_code == 200
    callback = callback_update("\ud800d:1")
    assert (await post(client, json.dumps(callback).encode())).status_code == 200
    inline = inline_update("x")
    inline["inline_query"]["query"] = 7
    assert (await post(client, inline)).status_code == 400
    await channel.drain()
    assert [m.text for m in services.seen if m.text] == ["ทะเบียนวัด", "ก" * 1000]
    assert [m.postback for m in services.seen if m.postback] == ["d:1"]


async def test_slow_api_never_sends_a_reply_twice(
    fake: Any, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13.5: sendMessage was retried after the read timeout, and the API hanging longer than
    that gave 100 of 100 users their reply two or more times. A timed-out send is ambiguous."""
    from bot.telegram import channel as tg_module

    url, api = fake
    api.reset()
    monkeypatch.setattr(tg_module, "READ_TIMEOUT", 0.3)
    async with running(url, engine) as (channel, client, _):
        api.reset()
        api.hang("sendMessage", 0.8)
        chats = [USER_ID + i for i in range(10)]
        for chat in chats:
            update = message_update("/help", command=True)
            update["message"]["chat"]["id"] = chat
            assert (await post(client, update)).status_code == 200
        await channel.drain()
        api.hang("sendMessage", 0)
        await asyncio.sleep(1.0)  # let the hung calls land
        per_chat = [
            len([c for c in api.of("sendMessage") if int(c.params["chat_id"]) == chat]) for chat in chats
        ]
        assert per_chat == [1] * len(chats)


async def test_follow_commands_save_list_and_remove_follows(tg: Any) -> None:
    channel, client, api, services = tg
    await post(client, message_update("/follow bike lanes in Bangkok", command=True))
    await channel.drain()
    [f] = services.follows.of_chat("telegram", str(USER_ID))
    assert f.query == "bike lanes in bangkok"
    await post(client, message_update(f"/following@{BOT_USERNAME}", command=True))
    await channel.drain()
    listed = api.of("sendMessage")[-1].params
    assert any(
        b["callback_data"] == f"uf:{f.id}" for row in listed["reply_markup"]["inline_keyboard"] for b in row
    )
    await post(client, message_update("/unfollow ทั้งหมด", command=True))
    await channel.drain()
    assert services.follows.of_chat("telegram", str(USER_ID)) == []
    assert channel.errors == []


# -- the inbox: what was acknowledged is answered, once, even after a crash ------------------------


def test_the_inbox_keeps_only_what_answering_needs() -> None:
    from bot.telegram.channel import minimal_update

    m = minimal_update(message_update("/search วัด", command=True))
    assert m is not None
    assert m["message"]["from"] == {"id": USER_ID, "is_bot": False, "first_name": ""}
    assert m["message"]["chat"] == {"id": USER_ID, "type": "private"}
    assert m["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert "ข่าว" not in str(m) and "language_code" not in str(m)
    c = minimal_update(callback_update("d:1"))
    assert c is not None and c["callback_query"]["data"] == "d:1" and "ข่าว" not in str(c)
    assert minimal_update(inline_update("วัด")) is None
    assert minimal_update({"update_id": 1, "edited_message": {}}) is None


async def test_an_update_left_by_a_dead_process_is_answered_once(tg: Any) -> None:
    from bot.inbox import Inbox
    from bot.telegram.channel import minimal_update

    channel, client, api, services = tg
    update = message_update(QUERY)
    gone = Inbox(channel.settings.state_path, lease_seconds=0.0, owner="elsewhere:1:gone")
    gone.accept("telegram", [(str(update["update_id"]), minimal_update(update))])
    gone.close()
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    assert [m.text for m in services.seen] == [QUERY]
    assert api.of("sendMessage") and all(
        str(c.params["chat_id"]) == str(USER_ID) for c in api.of("sendMessage")
    )
    sent = len(api.of("sendMessage"))
    # Telegram retries the same update: already answered
    assert (await post(client, update)).status_code == 200
    await channel.drain()
    assert len(api.of("sendMessage")) == sent and channel.inbox.pending() == 0


async def test_updates_over_capacity_get_503_then_are_answered_on_retry(tg: Any) -> None:
    channel, client, _, services = tg
    channel.deliveries.capacity = 0
    update = message_update(QUERY)
    assert (await post(client, update)).status_code == 503
    assert (await post(client, inline_update(""))).status_code == 200  # not kept: not refused
    await channel.drain()
    assert services.seen == [] and channel.inbox.pending() == 0
    channel.deliveries.capacity = 1
    assert (await post(client, update)).status_code == 200
    await channel.drain()
    assert [m.text for m in services.seen] == [QUERY] and channel.inbox.pending() == 0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_a_rate_limit_that_outlasts_the_retries_is_tried_again_later(tg: Any, monkeypatch: Any) -> None:
    from bot.telegram import channel as telegram

    monkeypatch.setattr(telegram, "MAX_RETRY_AFTER", 0.01)
    channel, client, api, _ = tg
    api.fail("sendMessage", 429, times=3, retry_after=1)
    await post(client, message_update("สวัสดี"))
    await channel.drain()
    assert api.of("sendMessage") == [] and channel.inbox.pending() == 1
    channel.inbox.release("telegram", next(iter(_pending_ids(channel))), 0.0)
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    assert len(api.of("sendMessage")) >= 1 and channel.inbox.pending() == 0


def _pending_ids(channel: Any) -> list[str]:
    with channel.inbox._lock:
        keys = channel.inbox._db.execute("SELECT key FROM inbox").fetchall()
    return [k.split(":", 1)[1] for (k,) in keys]


async def test_a_reset_after_the_api_processed_a_send_is_not_resent(fake: Any, engine: Any) -> None:
    """issue 13.5 after resets: the soak saw Telegram replies sent twice when a connection was
    reset after the Bot API processed a sendMessage; that is as ambiguous as a read timeout."""
    url, api = fake
    proxy = ResettingProxy(url)
    proxied = await proxy.start()
    try:
        async with running(proxied, engine) as (channel, client, _):
            api.reset()
            chats = [USER_ID + 100 + i for i in range(5)]
            proxy.reset_after = len(chats)
            for chat in chats:
                update = message_update("/help", command=True)
                update["message"]["chat"]["id"] = chat
                assert (await post(client, update)).status_code == 200
                await channel.drain()
            assert proxy.resets == len(chats)
            per_chat = [
                len([c for c in api.of("sendMessage") if int(c.params["chat_id"]) == chat]) for chat in chats
            ]
            assert per_chat == [1] * len(chats)
            assert channel.errors == []
    finally:
        await proxy.stop()


async def test_webhooks_do_not_wait_for_get_me_while_telegram_is_unreachable(
    fake: Any, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13.7: with Telegram's API unreachable at start-up, each webhook waited in turn for
    its own getMe (503 after 5, 10, ... 40 s). Start-up tries in the background with backoff;
    webhooks are accepted into the inbox at once and answered when the channel is ready."""
    from bot.telegram import channel as tg_module

    url, api = fake
    api.reset()
    monkeypatch.setattr(tg_module, "READ_TIMEOUT", 0.3)
    monkeypatch.setattr(tg_module, "STARTUP_WAIT", 0.1)
    monkeypatch.setattr(tg_module, "START_BACKOFF", 0.1)
    monkeypatch.setattr(tg_module, "MAX_START_BACKOFF", 0.2)
    api.hang("getMe", 1.0)  # every getMe times out
    async with running(url, engine) as (channel, client, _):
        chats = [USER_ID + 200 + i for i in range(8)]
        updates = []
        for chat in chats:
            update = message_update("/help", command=True)
            update["message"]["chat"]["id"] = chat
            updates.append(update)
        loop = asyncio.get_running_loop()
        began = loop.time()
        answers = await asyncio.gather(*(post(client, u) for u in updates))
        assert [r.status_code for r in answers] == [200] * len(chats)
        assert loop.time() - began < 0.5
        assert api.of("sendMessage") == []
        api.hang("getMe", 0)
        await channel.drain()
        assert channel.app.running
        sends = api.of("sendMessage")
        assert sorted(int(c.params["chat_id"]) for c in sends) == chats


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_a_reply_in_several_messages_is_resumed_not_resent(
    tg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13 (what a crash can lose): a reply split in several messages whose first parts went
    out before the process stopped was sent again from the start by the process that took the
    update over. Each part sent is recorded in the inbox row, and a takeover sends only the rest."""
    from bot.telegram import channel as telegram

    monkeypatch.setattr(telegram, "MAX_RETRY_AFTER", 0.01)
    channel, client, api, _ = tg
    parts = [{"text": f"ส่วนที่ {i}"} for i in (1, 2, 3)]
    monkeypatch.setattr(render_telegram, "render", lambda reply: [dict(p) for p in parts])

    def refuse_the_third(call: Any) -> None:  # after part 2: the API refuses part 3 for now
        if call.method == "sendMessage" and call.params.get("text") == "ส่วนที่ 2":
            api.fail("sendMessage", 429, times=3, retry_after=1)

    api.listeners.append(refuse_the_third)
    try:
        update = message_update(QUERY)
        assert (await post(client, update)).status_code == 200
        await channel.drain()
    finally:
        api.listeners.remove(refuse_the_third)
    assert [c.params["text"] for c in api.of("sendMessage")] == ["ส่วนที่ 1", "ส่วนที่ 2"]
    with channel.inbox._lock:
        [(payload,)] = channel.inbox._db.execute("SELECT payload FROM inbox").fetchall()
        channel.inbox._db.execute("UPDATE inbox SET lease_until = 0")  # due now, as after a crash
    assert json.loads(payload)["sent_parts"] == 2
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    assert [c.params["text"] for c in api.of("sendMessage")] == ["ส่วนที่ 1", "ส่วนที่ 2", "ส่วนที่ 3"]
    assert channel.inbox.pending() == 0


async def test_a_server_error_that_outlasts_the_retries_is_tried_again_later(
    tg: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The soak: three 500s in a row for one sendMessage gave a traceback and the reply was never
    sent (the update was marked answered). It stays in the inbox and is tried again."""
    channel, client, api, _ = tg
    caplog.set_level(logging.INFO)
    api.fail("sendMessage", 500, times=3)
    await post(client, message_update("สวัสดี"))
    await channel.drain()
    assert api.of("sendMessage") == [] and channel.inbox.pending() == 1
    assert not [r for r in caplog.records if r.exc_info]
    channel.inbox.release("telegram", next(iter(_pending_ids(channel))), 0.0)
    assert await channel.deliveries.claim() == 1
    await channel.drain()
    assert len(api.of("sendMessage")) == 1 and channel.inbox.pending() == 0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter(int)
async def test_retry_after_is_honoured_up_to_its_cap(tg: Any, retry_waits: list[float]) -> None:
    from bot.telegram import channel as telegram

    channel, client, api, _ = tg
    api.fail("sendMessage", 429, retry_after=3600)
    api.fail("sendMessage", 429, retry_after=2)
    await post(client, message_update("/help", command=True))
    await channel.drain()
    assert [c.status for c in api.of("sendMessage", status=None)] == [429, 429, 200]
    assert retry_waits == [telegram.MAX_RETRY_AFTER, 2.0]


async def test_sends_are_tried_at_most_three_times_and_counted(tg: Any, retry_waits: list[float]) -> None:
    from prometheus_client import REGISTRY

    def now(name: str) -> float:
        return REGISTRY.get_sample_value(f"khomun_platform_api_{name}_total", {"platform": "telegram"}) or 0.0

    channel, client, api, _ = tg
    retries, errors = now("retries"), now("errors")
    api.fail("sendMessage", 500, times=3)
    await post(client, message_update("/help", command=True))
    await channel.drain()
    assert [c.status for c in api.of("sendMessage", status=None)] == [500, 500, 500]
    assert 0.1 <= retry_waits[0] <= 0.2 and 0.2 <= retry_waits[1] <= 0.4 and len(retry_waits) == 2
    assert now("retries") == retries + 2 and now("errors") == errors + 1
    assert channel.inbox.pending() == 1  # handed back to the inbox, not dropped


async def test_a_bad_request_is_not_retried(tg: Any, retry_waits: list[float]) -> None:
    channel, client, api, _ = tg
    api.fail("sendMessage", 400)
    await post(client, message_update("/help", command=True))
    await channel.drain()
    assert [c.status for c in api.of("sendMessage", status=None)] == [400] and retry_waits == []


async def test_start_up_tries_get_me_again_with_doubling_capped_backoff(
    fake: Any, engine: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.telegram import channel as tg_module

    url, api = fake
    api.reset()
    monkeypatch.setattr(tg_module, "START_BACKOFF", 0.05)
    monkeypatch.setattr(tg_module, "MAX_START_BACKOFF", 0.1)
    api.fail("getMe", 500, times=3)
    caplog.set_level(logging.ERROR, logger="bot.telegram.channel")
    async with running(url, engine) as (channel, _, _):
        await asyncio.wait_for(channel._ready.wait(), 5)
        tries = [r for r in caplog.records if r.getMessage() == "Telegram unreachable at startup; will retry"]
        assert [r.seconds for r in tries] == [0.05, 0.1, 0.1]
        assert [c.status for c in api.of("getMe", status=None)] == [500, 500, 500, 200]


async def test_answered_updates_have_their_journal_rows_without_a_journal_flush(
    fake: tuple[str, FakeTelegram], engine: Any, state_db: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """issue 11.2: a process killed right after answering lost the journal rows still in the
    writer's 0.5 s buffer. An update's rows (a search, a button press) are written in the
    transaction that marks it answered; an inline query keeps the buffered writer."""
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
            services=services,
            data_dir=tmp_path,
            database_url=state_db if isinstance(state_db, str) else "",
            secret_key="test-secret-key-for-journal",
        ) as (channel, client, real):
            for update in (message_update(QUERY), callback_update("help")):
                assert (await post(client, update)).status_code == 200
            await channel.drain()
            assert len(api.of("sendMessage")) >= 2 and channel.inbox.pending() == 0
            db = open_database(real.settings.state_db, migrate=False)
            try:
                rows = db.execute("SELECT platform, text FROM journal").fetchall()
            finally:
                db.close()
            assert sorted(text for _, text in rows) == sorted([QUERY, "help"])
            assert {p for p, _ in rows} == {"telegram"} and real.journal.depth() == 0
            assert channel.errors == []
    finally:
        for s in made:
            s.close()
