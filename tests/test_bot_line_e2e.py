"""Issue 12 through LINE end to end: a data preview asked for from a details bubble, and a follow
typed in chat then forgotten when the user blocks the bot. Signed webhooks in, the fake Messaging
API's recorded calls out (and, for the preview, the fake portal's file in between)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bot.app import create_app
from bot.settings import Settings
from index.dataset import Resource
from intents import texts
from intents.payload import decode
from tests import test_bot_line
from tests.fakes.files import TEMPLES_ID, serve_fake_files
from tests.fakes.line_api import PUSH, REPLY, FakeLine
from tests.fakes.serve import serve_app
from tests.portal_index import build_changed_index
from tests.test_bot_line import GROUP, SECRET, TOKEN, USER, event, post, sign, text_event, webhook

# the fixtures of test_bot_line: the fake LINE API, and a LINE channel with stand-in services on it
fake = test_bot_line.fake
line = test_bot_line.line

TEMPLES = "item_2df6add3-2ebd-455c-8020-af962accbee2"  # รายงานทะเบียนวัดจังหวัดเชียงใหม่
FOLLOW_QUERY = "ทะเบียนวัด เชียงใหม่"


def postbacks(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, data) of every postback button anywhere in a Flex message."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("type") == "postback":
                found.append((action.get("label", ""), action["data"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message)
    return found


def texts_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" and "text" in node else []
        return own + [t for v in node.values() for t in texts_in(v)]
    if isinstance(node, list):
        return [t for v in node for t in texts_in(v)]
    return []


def test_preview_through_line_shows_the_files_table_as_flex(tmp_path: Path) -> None:
    """Search, "ดูรายละเอียด" on the temples card, then "ดูตัวอย่างข้อมูล": the reply to that
    chat is a Flex table of the cp874 CSV the fake portal serves."""
    api = FakeLine()
    with serve_app(api.app) as line_url, serve_fake_files() as files:
        csv = Resource(
            "ทะเบียนวัด เชียงใหม่",
            "CSV",
            files.url(f"/dataset/temples/resource/{TEMPLES_ID}/download/temples.csv"),
        )
        build_changed_index(tmp_path / "index.sqlite", {TEMPLES: lambda d: replace(d, resources=(csv,))})
        settings = replace(
            Settings(),
            data_dir=tmp_path,
            secret_key="test-secret-key-for-journal",
            line_channel_secret=SECRET,
            line_channel_access_token=TOKEN,
            line_api_base_url=line_url,
            fetch_allow_hosts="localhost",
        )
        app = create_app(settings)

        def send(*events: dict[str, Any]) -> None:
            body = webhook(*events)
            r = httpx.post(f"{base}/webhooks/line", content=body, headers={"x-line-signature": sign(body)})
            assert r.status_code == 200, r.text

        try:
            with serve_app(app, lifespan="on") as base:
                send(text_event(FOLLOW_QUERY))
                [found] = api.wait_for(REPLY)
                [cards] = [m for m in found.body["messages"] if m["type"] == "flex"]
                [temples_card] = [b for b in cards["contents"]["contents"] if TEMPLES in str(b)]
                [details] = [d for label, d in postbacks(temples_card) if label == texts.LABEL_DETAILS]
                hits_before = files.hits["temples"]
                details_event = event("postback", postback={"data": details})
                send(details_event)
                details_reply = api.wait_for(REPLY, 2)[-1]
                assert details_reply.body["replyToken"] == details_event["replyToken"]
                assert TEMPLES in str(details_reply.body)
                [preview_data] = [
                    data
                    for message in details_reply.body["messages"]
                    for label, data in postbacks(message)
                    if label == texts.LABEL_PREVIEW
                ]
                decoded = decode(preview_data)
                assert decoded is not None and decoded.action == "preview"
                assert files.hits["temples"] == hits_before  # details never fetch the file
                shown_event = event("postback", postback={"data": preview_data})
                send(shown_event)
                replies = api.wait_for(REPLY, len(api.replies()) + 1)
                shown = next(r for r in replies if r.body["replyToken"] == shown_event["replyToken"])
        finally:
            app.state.services.close()
    assert files.hits["temples"] == hits_before + 1  # the preview button fetched the file, once
    [flex] = [m for m in shown.body["messages"] if m["type"] == "flex"]
    body = flex["contents"]["body"]["contents"]
    header = [c["text"] for c in body[1]["contents"]]
    assert header == ["ลำดับ", "ชื่อวัด", "อำเภอ", "จังหวัด"]
    first_row = [c["text"] for c in body[3]["contents"]]
    assert first_row == ["1", "วัดที่ 1", "เมืองเชียงใหม่", "เชียงใหม่"]  # decoded from cp874
    assert texts.PREVIEW_TOTAL.format(n=37) in texts_in(flex)  # the row count
    assert len(body) == 3 + 5 + 1  # title, header, separator, the first 5 rows, the count
    # every answer was a reply with its event's token: nothing pushed
    assert api.calls(PUSH, status=None) == [] and api.unexpected == []


async def test_follow_through_line_is_stored_and_a_block_forgets_it(line: Any) -> None:
    channel, client, api, services = line
    typed = text_event(f"ติดตาม {FOLLOW_QUERY}")
    assert (await post(client, webhook(typed))).status_code == 200
    await channel.drain()
    [reply] = api.replies()
    assert reply.body["replyToken"] == typed["replyToken"]
    said = " ".join(m.get("text", "") for m in reply.body["messages"])
    assert said.startswith("ติดตามเรื่อง") and "ไม่เกินวันละครั้ง" in said  # FOLLOWED_LINE
    [f] = services.follows.of_chat("line", USER)
    assert f.query == FOLLOW_QUERY and f.kind == "query"
    # someone else's block deletes nothing of this user's
    other = "U" + "c" * 32
    await post(client, webhook(event("unfollow", source={"type": "user", "userId": other})))
    await channel.drain()
    assert len(services.follows.of_chat("line", USER)) == 1
    # a group's leave is not a block
    await post(client, webhook(event("leave", source={"type": "group", "groupId": GROUP})))
    await channel.drain()
    assert len(services.follows.of_chat("line", USER)) == 1
    blocked = event("unfollow")
    blocked.pop("replyToken")  # LINE sends none: nobody to answer
    assert (await post(client, webhook(blocked))).status_code == 200
    await channel.drain()
    assert services.follows.of_chat("line", USER) == []
    assert len(api.replies()) == 1 and api.calls(PUSH, status=None) == []
