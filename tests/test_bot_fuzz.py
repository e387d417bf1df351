"""Hostile bodies on the three public endpoints (web chat, signed LINE deliveries, Telegram updates
with the right secret): whatever hypothesis sends, the answer is never a 5xx (issue 13.6)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from tests.fakes.line_api import serve_fake_line
from tests.fakes.telegram_api import TOKEN as TG_TOKEN
from tests.fakes.telegram_api import serve_fake_telegram
from tests.test_bot_line import SECRET as LINE_SECRET
from tests.test_bot_line import TOKEN as LINE_TOKEN
from tests.test_bot_line import sign, text_event
from tests.test_bot_telegram import SECRET as TG_SECRET
from tests.test_bot_telegram import message_update

SESSION = "fuzz-session-01"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, index_path: Path) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("fuzz")
    shutil.copy(index_path, data / "index.sqlite")
    with serve_fake_line() as (line_url, _), serve_fake_telegram() as (tg_url, _):
        s = replace(
            Settings(data_dir=data, secret_key="fuzz"),
            line_channel_secret=LINE_SECRET,
            line_channel_access_token=LINE_TOKEN,
            line_api_base_url=line_url,
            telegram_bot_token=TG_TOKEN,
            telegram_webhook_secret=TG_SECRET,
            telegram_api_base_url=tg_url,
        )
        app = create_app(s)
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
        app.state.services.close()


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(alphabet=st.characters(codec=None), max_size=40)
)
values = st.recursive(
    scalars,
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)
raw_bytes = st.binary(max_size=200) | st.sampled_from(
    [b"[" * 5000, b'{"a":' * 3000, b"NaN", b"1e999", b'{"update_id": Infinity}', b"\xed\xa0\x80"]
)


def _mutate(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """``base`` with the value at ``path`` (as far as it exists) replaced."""
    out = json.loads(json.dumps(base))
    node = out
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            break
        node = node[key]
    node[path[-1]] = value
    return out


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


LINE_PATHS = st.sampled_from(
    [
        ["type"],
        ["source"],
        ["source", "userId"],
        ["message"],
        ["message", "text"],
        ["message", "type"],
        ["webhookEventId"],
        ["replyToken"],
        ["timestamp"],
        ["postback"],
        ["mode"],
        ["message", "mention"],
    ]
)
TG_PATHS = st.sampled_from(
    [
        ["update_id"],
        ["message"],
        ["message", "text"],
        ["message", "date"],
        ["message", "chat"],
        ["message", "entities"],
        ["message", "from"],
        ["message", "chat", "id"],
        ["message", "message_id"],
        ["callback_query"],
        ["inline_query"],
    ]
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=raw_bytes | values.map(_dumps), line_path=LINE_PATHS, tg_path=TG_PATHS, value=values)
def test_no_5xx_on_any_endpoint(
    client: TestClient, body: bytes, line_path: list[str], tg_path: list[str], value: Any
) -> None:
    line_event = _mutate(text_event("ทะเบียนวัด"), line_path, value)
    line_body = _dumps({"destination": "Ubot", "events": [line_event, text_event("วัด")]})
    tg_body = _dumps(_mutate(message_update("ทะเบียนวัด"), tg_path, value))
    chat_body = _dumps({"text": value, "session": SESSION, "postback": ""})
    for path, payload, headers in (
        ("/api/chat", body, {}),
        ("/api/chat", chat_body, {}),
        ("/webhooks/line", body, {"x-line-signature": sign(body)}),
        ("/webhooks/line", line_body, {"x-line-signature": sign(line_body)}),
        ("/webhooks/telegram", body, {"x-telegram-bot-api-secret-token": TG_SECRET}),
        ("/webhooks/telegram", tg_body, {"x-telegram-bot-api-secret-token": TG_SECRET}),
    ):
        r = client.post(path, content=payload, headers={"content-type": "application/json", **headers})
        assert r.status_code < 500, (path, payload[:200])
