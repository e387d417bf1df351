"""The web service: the try-out chat page, /api/chat, /api/search, /healthz, limits and errors,
end to end through a real uvicorn server, and (with Chromium) a browser."""

from __future__ import annotations

import json
import re
import shutil
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.app import CHANNELS, ChannelUnavailable, create_app
from bot.server import uvicorn_options
from bot.settings import Settings
from bot.web import MAX_BODY, MAX_TEXT
from intents import texts
from tests.browser import CHROMIUM, launch, screenshots_dir

SESSION = "test-session-0001"
ROOT = Path(__file__).resolve().parent.parent


def _chat(client: TestClient, text: str = "", postback: str = "", session: str = SESSION) -> dict:
    res = client.post("/api/chat", json={"text": text, "session": session, "postback": postback})
    assert res.status_code == 200, res.text
    return res.json()


def test_chat_flow_and_journal(client: TestClient, app: Starlette, settings: Settings) -> None:
    found = _chat(client, "ทะเบียนวัด เชียงใหม่")
    assert found["outcome"]["intent"] == "search" and found["outcome"]["answered"]
    card = found["reply"]["cards"][0]
    assert {"title", "agency", "updated", "formats", "description", "page_url", "download_url"} <= card.keys()
    assert any(b["kind"] == "url" and b["data"] == card["page_url"] for b in card["buttons"])
    pressed = next(b for b in card["buttons"] if b["kind"] == "postback")
    details = _chat(client, postback=pressed["data"])
    assert details["outcome"]["intent"] == "details" and details["reply"]["details"]["resources"]
    feedback = _chat(client, postback="fb:up")
    assert feedback["outcome"]["intent"] == "feedback"
    app.state.services.journal.flush()
    db = sqlite3.connect(settings.state_path)
    rows = db.execute("SELECT intent, platform, feedback FROM journal ORDER BY id").fetchall()
    assert ("search", "web", "useful") in rows and ("details", "web", None) in rows
    assert SESSION.encode() not in settings.state_path.read_bytes()


def test_chat_without_text_is_answered_politely(client: TestClient) -> None:
    body = _chat(client, "")
    assert body["outcome"]["intent"] == "empty" and "ค่ะ" in body["reply"]["text"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        (b"{not json", 400, "JSON"),
        (b"[1, 2]", 400, "object"),
        (json.dumps({"text": "x"}).encode(), 400, "session"),
        (json.dumps({"text": 5, "session": SESSION}).encode(), 400, "text must be a string"),
        (json.dumps({"text": "x", "session": "a b"}).encode(), 400, "session"),
        (json.dumps({"text": "", "session": SESSION, "postback": "d:" + "1" * 80}).encode(), 400, "postback"),
    ],
)
def test_chat_rejects_bad_requests(client: TestClient, payload: bytes, status: int, message: str) -> None:
    res = client.post("/api/chat", content=payload, headers={"content-type": "application/json"})
    assert res.status_code == status and message in res.json()["error"]


def test_chat_limits(client: TestClient) -> None:
    long = client.post("/api/chat", json={"text": "ก" * (MAX_TEXT + 1), "session": SESSION})
    assert long.status_code == 400 and str(MAX_TEXT) in long.json()["error"]
    assert long.json()["reply"]["text"] == texts.TOO_LONG.format(limit=MAX_TEXT)
    huge = client.post(
        "/api/chat", content=b"x" * (MAX_BODY + 1), headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413 and "error" in huge.json()


def test_search_api(client: TestClient) -> None:
    res = client.get("/api/search", params={"q": "ทะเบียนวัด เชียงใหม่", "limit": 3})
    body = res.json()
    assert res.status_code == 200 and body["answered"] and 1 <= len(body["results"]) <= 3
    first = body["results"][0]
    assert set(first) == {"name", "title", "agency", "page_url", "download_url", "score"}
    assert first["page_url"].startswith("https://data.go.th/dataset/")
    assert client.get("/api/search").status_code == 400
    assert client.get("/api/search", params={"q": "x", "limit": "lots"}).status_code == 400
    nothing = client.get("/api/search", params={"q": "ราคาทองคำวันนี้"}).json()
    assert nothing["answered"] is False


def test_healthz(client: TestClient, app: Starlette) -> None:
    body = client.get("/healthz").json()
    assert body["ok"] is True and body["datasets"] == app.state.services.engine.size > 1000
    assert re.match(r"\d{4}-\d\d-\d\dT", body["built_at"])


def test_page_has_no_cdn_and_escapes(client: TestClient) -> None:
    res = client.get("/")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    html = res.text
    assert texts.WEB_HEADING in html and 'lang="th"' in html and "width=device-width" in html
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/static/"), src
    js = client.get("/static/chat.js").text
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document.write", js) and "/api/chat" in js
    assert not re.search(r"https?://", html + js + client.get("/static/chat.css").text)


def test_errors_are_generic_json_for_the_api(settings: Settings, app: Starlette) -> None:
    services = app.state.services

    class Exploding:
        def search(self, *args: object) -> None:
            raise RuntimeError("secret detail")

    broken = create_app(settings, services)
    real = services.engine
    try:
        services.engine = Exploding()  # type: ignore[assignment]
        with TestClient(broken, raise_server_exceptions=False) as c:
            res = c.get("/api/search", params={"q": "x"})
    finally:
        services.engine = real
    assert res.status_code == 500 and res.json() == {"error": "internal error"}


def test_disabled_channels_are_logged(
    settings: Settings, app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="bot.app"):
        create_app(settings, app.state.services)
    assert any("line disabled" in r.getMessage() for r in caplog.records)
    assert any("telegram disabled" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("platform", ["line", "telegram"])
def test_a_configured_channel_that_cannot_be_imported_stops_the_start(
    settings: Settings, app: Starlette, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    """issue 10.6: with its credentials set, a channel whose module is broken is an error at
    start-up, not a feature quietly missing."""
    [module] = [m for p, m, _, _ in CHANNELS if p == platform]
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError, as a broken module would
    credentials = {
        "line": {"line_channel_secret": "s", "line_channel_access_token": "t"},
        "telegram": {"telegram_bot_token": "123:abc"},
    }[platform]
    configured = replace(settings, **credentials)
    with pytest.raises(ChannelUnavailable, match=f"{platform} credentials are set but {module}"):
        create_app(configured, app.state.services)
    # not configured: its module is not even imported, and the service starts
    assert create_app(settings, app.state.services).state.channels == []


class LiveServer:
    def __init__(self, app: Starlette) -> None:
        options = {**uvicorn_options(Settings()), "log_level": "warning"}  # as `khomun serve`
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options))  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, index_path: Path) -> Iterator[str]:
    """A real server with its own state (its journal writes on its own schedule)."""
    data = tmp_path_factory.mktemp("live-data")
    shutil.copy(index_path, data / "index.sqlite")
    app = create_app(Settings(data_dir=data, secret_key="test-secret"))
    with LiveServer(app) as url:
        yield url
    app.state.services.close()


def test_end_to_end_through_uvicorn(live: str) -> None:
    res = httpx.post(f"{live}/api/chat", json={"text": "ทะเบียนวัด เชียงใหม่", "session": "live-session-1"})
    assert res.status_code == 200
    body = res.json()
    assert body["outcome"]["answered"] and body["reply"]["cards"]
    more = httpx.post(f"{live}/api/chat", json={"text": "เพิ่มเติม", "session": "live-session-1"}).json()
    assert more["outcome"]["intent"] == "more"
    assert httpx.get(f"{live}/healthz").json()["ok"] is True


def test_web_chips_keep_whole_labels(client: TestClient) -> None:
    """LINE cuts quick-reply labels to 20 characters; the web chat shows them whole."""
    reply = _chat(client, "ไฟฟ้า", session="whole-labels-1")["reply"]
    labels = [b["label"] for b in reply["quick_replies"]]
    assert "กรมพัฒนาพลังงานทดแทนและอนุรักษ์พลังงาน" in labels, labels  # 38 characters
    assert not any(label.endswith("…") for label in labels)


def test_page_names_a_favicon_that_is_served(client: TestClient) -> None:
    html = client.get("/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon, "no favicon link"
    for path in (icon.group(1), "/favicon.ico"):
        res = client.get(path)
        assert res.status_code == 200 and res.headers["content-type"].startswith("image/svg+xml"), path
        assert res.text.lstrip().startswith("<svg") and "</svg>" in res.text


#: for every card button visible in the area its scrolling container shows: is it what a tap at its
#: centre reaches (nothing sticky drawn over it)? The page's own scroll area is the viewport.
_COVERED_BUTTONS = """() => {
  function scroller(node) {
    for (var p = node.parentElement; p; p = p.parentElement) {
      var s = getComputedStyle(p);
      if (/(auto|scroll)/.test(s.overflowY) && p.scrollHeight > p.clientHeight) {
        return p.getBoundingClientRect();
      }
    }
    return {top: 0, bottom: window.innerHeight};
  }
  var covered = [], seen = 0;
  document.querySelectorAll(".card .buttons a, .card .buttons button").forEach(function (b) {
    var r = b.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2, box = scroller(b);
    if (y < Math.max(0, box.top) || y > Math.min(window.innerHeight, box.bottom)) { return; }
    seen += 1;
    var hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === b || b.contains(hit))) {
      covered.push(b.textContent + " under " + (hit && (hit.id || hit.className)));
    }
  });
  return {covered: covered, seen: seen};
}"""

_FIRST_CARD = """() => {
  var lists = document.querySelectorAll(".cards"), list = lists[lists.length - 1];
  var first = list.firstElementChild.getBoundingClientRect();
  var last = list.lastElementChild.getBoundingClientRect();
  var lead = list.previousElementSibling.getBoundingClientRect();
  return {firstBottom: first.bottom, last: last.top, lead: lead.top, height: window.innerHeight};
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_phone_reply_starts_at_its_first_card_and_chips_never_cover_buttons(
    live: str, update_golden: bool, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="th-TH"
            )
            outside: list[str] = []
            missing: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(live) else outside.append(r.url))
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            page.goto(live + "/")
            for n, text in enumerate(("ทะเบียนวัด เชียงใหม่", "ขอข้อมูลโรงพยาบาลหน่อยค่ะ"), start=1):
                page.fill("#text", text)
                page.press("#text", "Enter")
                page.wait_for_function("n => document.querySelectorAll('.cards').length === n", arg=n)
            at = page.evaluate(_FIRST_CARD)
            # the reply is read from its start: its lead and first card in view, not its last card
            assert at["lead"] >= 0 and at["firstBottom"] <= at["height"] * 0.75, at
            assert at["last"] > at["height"], at
            assert "พยาบาล" in page.inner_text(".cards >> nth=-1 >> .card h2 >> nth=0")
            chips = page.locator("#chips .chip").all_inner_texts()
            assert "สำนักงานปลัดกระทรวงสาธารณสุข" in chips, chips  # whole, not cut to 20
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
            shots = screenshots_dir(update_golden, tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "webchat-phone.png"))
            # whatever the scroll position, every card button in view can be tapped
            seen = 0
            for _ in range(40):
                found = page.evaluate(_COVERED_BUTTONS)
                assert not found["covered"], found
                seen += found["seen"]
                done = page.evaluate(
                    "() => { var s = document.getElementById('scroll') || document.scrollingElement;"
                    " var before = s.scrollTop; s.scrollTop += 150; return s.scrollTop === before; }"
                )
                if done:
                    break
            assert seen > 10
            assert not outside and not missing, (outside, missing)
        finally:
            browser.close()


class FakeChannel:
    """The channel contract: Channel(settings, services), .routes, async startup()/shutdown()."""

    events: ClassVar[list[str]] = []

    def __init__(self, settings: Settings, services: object) -> None:
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route

        async def hook(request: object) -> PlainTextResponse:
            return PlainTextResponse("hooked")

        self.routes = [Route("/webhooks/fake", hook, methods=["POST"])]

    async def startup(self) -> None:
        self.events.append("startup")

    async def shutdown(self) -> None:
        self.events.append("shutdown")


def test_channels_plug_in_through_the_contract(
    settings: Settings, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.app

    monkeypatch.setattr(bot.app, "CHANNELS", (("fake", __name__, "FakeChannel", "line_enabled"),))
    enabled = replace(settings, line_channel_secret="s", line_channel_access_token="t")
    FakeChannel.events.clear()
    with TestClient(create_app(enabled, app.state.services)) as c:
        assert c.post("/webhooks/fake").text == "hooked"
        assert FakeChannel.events == ["startup"]
    assert FakeChannel.events == ["startup", "shutdown"]


def test_poisoned_texts_are_cleaned_at_the_edge_and_every_row_is_saved(
    client: TestClient, app: Starlette, settings: Settings
) -> None:
    """issue 13.1: a lone surrogate in /api/chat cost the journal its whole batch; control
    characters and bidi overrides reached the staff pages."""
    app.state.services.journal.flush()
    db = sqlite3.connect(settings.state_path)
    before = db.execute("SELECT count(*) FROM journal").fetchone()[0]
    poisoned = [
        b'{"text":"\\ud800","session":"abcdefgh12"}',
        b'{"text":"\\udfff\\u0e27\\u0e31\\u0e14\\u0000\\u202e","session":"abcdefgh13"}',
        b'{"text":"x","postback":"\\ud800","session":"abcdefgh14"}',
    ]
    for i in range(20):
        _chat(client, f"ทะเบียนวัด {i}", session=f"good-session-{i:03d}")
        if i < len(poisoned):
            res = client.post("/api/chat", content=poisoned[i], headers={"content-type": "application/json"})
            assert res.status_code == 200, res.text
    app.state.services.journal.flush()
    rows = [r[0] for r in db.execute("SELECT text FROM journal ORDER BY id").fetchall()[before:]]
    # an earlier test's reply may still be on its way to the journal: count this test's rows
    ours = sorted(r for r in rows if r.startswith("ทะเบียนวัด ") or r in ("", "วัด", "x"))
    assert ours == sorted([f"ทะเบียนวัด {i}" for i in range(20)] + ["", "วัด", "x"]), rows
    assert not any(c in "".join(rows) for c in "\x00\u202e")


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"text":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"text":"x","session":"abcdefgh12","n":1e999}',
        b'{"text":"x","session":"abcdefgh12","n":NaN}',
        b'{"text":"x","session":"abcdefgh12","n":' + b"9" * 30 + b"}",
    ],
)
def test_chat_refuses_hostile_json_with_400(client: TestClient, payload: bytes) -> None:
    """issue 13.6: deeply nested JSON was a RecursionError (500 with a traceback)."""
    res = client.post("/api/chat", content=payload, headers={"content-type": "application/json"})
    assert res.status_code == 400 and "error" in res.json()


def test_search_cleans_its_query(client: TestClient) -> None:
    res = client.get("/api/search", params={"q": "\x00\u202eทะเบียนวัด\x07 เชียงใหม่"})
    assert res.status_code == 200 and res.json()["query"] == "ทะเบียนวัด เชียงใหม่"
    assert client.get("/api/search", params={"q": "\x00\x01"}).status_code == 400


def test_unanswered_inline_queries_reach_the_staff_queue(app: Starlette, settings: Settings) -> None:
    from bot.staff import data as staff_data
    from intents import Message

    services = app.state.services
    services.journal.settle_seconds = 0.0
    asked = Message("telegram", "inline:42", text="ราคาทองคำแท่งวันนี้", user_id="42", chat_type="inline")
    turn = services.handle_inline(asked, 0, 50)
    assert turn.outcome.intent == "search" and not turn.outcome.answered and not turn.reply.cards
    found = services.handle_inline(Message("telegram", "inline:42", text="ทะเบียนวัด", user_id="42"), 0, 50)
    assert found.outcome.answered and len(found.reply.cards) > 1
    deadline = time.monotonic() + 5
    db = staff_data.connect(settings.state_path)
    labels: list[str] = []
    while "ราคาทองคำแท่งวันนี้" not in labels and time.monotonic() < deadline:
        services.journal.flush()
        today = datetime.now(staff_data.BANGKOK).date()
        window = staff_data.Window.days(today - timedelta(days=1), today + timedelta(days=1))
        labels = [g.label for g in staff_data.unanswered_groups(db, window)]
    assert "ราคาทองคำแท่งวันนี้" in labels


def _slow_client(url: str, head: bytes, body: bytes, pause: float, limit: float) -> tuple[bytes, float]:
    """Send ``head``, then ``body`` a byte every ``pause`` s (for at most ``limit`` s): the first
    answer, and how long it took to come."""
    host, port = url.removeprefix("http://").split(":")
    began = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=limit) as sock:
        sock.sendall(head)
        sock.settimeout(pause)
        for byte in body:
            if time.monotonic() - began > limit:
                break
            try:
                sock.sendall(bytes([byte]))
                answer = sock.recv(65536)
            except TimeoutError:
                continue
            return answer, time.monotonic() - began
        sock.settimeout(limit)
        return sock.recv(65536), time.monotonic() - began


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_client_sending_byte_by_byte_is_cut_off(
    live: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13.7: a client sending its headers or its body a byte at a time held a connection
    for as long as it liked (40 s in the attack). Both now have a deadline: 408."""
    from bot import requests as requests_module
    from bot import slow_clients

    monkeypatch.setattr(slow_clients, "HEADER_SECONDS", 0.5)
    monkeypatch.setattr(requests_module, "BODY_SECONDS", 0.5)
    body = json.dumps({"text": "ทะเบียนวัด", "session": "slow-client-01"}).encode()
    head = (
        b"POST /api/chat HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    if where == "headers":
        answer, took = _slow_client(live, b"", head + body, 0.05, 8)
    else:
        answer, took = _slow_client(live, head, body, 0.05, 8)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert took < 2.0
