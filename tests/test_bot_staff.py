"""The staff pages and CLI: access, CSRF, escaping, grouping, CSV, teaching, purge, digest."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from bot.settings import Settings
from bot.staff import cli as staff_cli
from bot.staff import data
from bot.staff.pages import staff_routes
from index.search import SearchEngine
from index.teachings import TeachingStore
from state import SecretKey
from tests.fakes.line_api import PUSH, FakeLine
from tests.fakes.serve import serve_app

TOKEN = "staff-s3cret-token"
#: ข้อมูลราคาสินค้าเกษตรรายวัน (the catalog has no gold prices; any dataset shows a pin works)
GOLD = "34"
XSS = "<script>alert(1)</script>"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def staff_engine(index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    copy = tmp_path_factory.mktemp("staff-index") / "index.sqlite"
    shutil.copy(index_path, copy)
    return SearchEngine(copy)


@pytest.fixture()
def world(staff_engine: SearchEngine, tmp_path: Path) -> Iterator[SimpleNamespace]:
    settings = Settings(data_dir=tmp_path, staff_token=TOKEN)
    store = TeachingStore(settings.state_path)
    staff_engine.teachings = store
    services = SimpleNamespace(
        settings=settings, engine=staff_engine, secret=SecretKey(settings.secret_key or "k")
    )
    db = data.connect(settings.state_path)
    yield SimpleNamespace(settings=settings, engine=staff_engine, store=store, db=db, services=services)
    staff_engine.teachings = None
    db.close()
    store.close()


def client_for(services: SimpleNamespace) -> TestClient:
    app = Starlette(routes=[Mount("/staff", routes=staff_routes(services))])
    return TestClient(app, follow_redirects=False)


def log(
    w: SimpleNamespace,
    text: str,
    *,
    platform: str = "line",
    answered: bool = False,
    ago: timedelta = timedelta(hours=1),
    feedback: str | None = None,
    intent: str = "search",
    confidence: str = "",
    results: tuple[str, ...] = (),
) -> None:
    q = w.engine.parse(text)
    ts = data.iso(datetime.now(UTC) - ago)
    found = json.dumps([{"name": n, "score": 0.5} for n in results])
    w.db.execute(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms, feedback, confidence) "
        "VALUES (?, ?, 'private', 'u1', ?, ?, ?, ?, ?, ?, 12.5, ?, ?)",
        (ts, platform, text, q.normalized, q.key, intent, found, int(answered), feedback, confidence),
    )


def gold_variants(w: SimpleNamespace) -> None:
    log(w, "ราคาทอง", platform="line")
    log(w, "ราคาทองคำวันนี้", platform="telegram")
    log(w, "ราคาทองวันนี้ครับ", platform="web", ago=timedelta(hours=3))
    log(w, "ราคาทอง", platform="telegram", ago=timedelta(days=2))
    log(w, "ข้อมูลรถไฟฟ้า", answered=True)
    log(w, "ข้อมูลรถไฟฟ้า", answered=True, feedback="not_useful")
    log(w, "สวัสดี", intent="greeting", answered=True)


def login(client: TestClient) -> str:
    page = client.post("/staff/login", data={"token": TOKEN, "next": "/staff/unanswered"})
    assert page.status_code == 303 and page.headers["location"] == "/staff/unanswered"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    html = client.get("/staff/teachings").text
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1) if 'name="csrf"' in html else ""


def test_pages_are_off_without_a_staff_token(world: SimpleNamespace) -> None:
    world.services.settings = replace(world.settings, staff_token="")
    client = client_for(world.services)
    for path in ("/staff/", "/staff/login", "/staff/unanswered.csv"):
        response = client.get(path)
        assert response.status_code == 503 and "STAFF_TOKEN" in response.text


def test_no_token_no_data(world: SimpleNamespace) -> None:
    gold_variants(world)
    client = client_for(world.services)
    for path in ("/staff/", "/staff/unanswered", "/staff/teachings", "/staff/teach?q=x"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/staff/login?next=")
    for path in ("/staff/unanswered.csv", "/staff/unanswered.json"):
        response = client.get(path)
        assert response.status_code == 401 and "ราคา" not in response.text
        wrong = client.get(path, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    assert client.post("/staff/teach/pin", data={"key": "ทอง ราคา", "name": GOLD}).status_code == 401
    assert client.post("/staff/login", data={"token": "nope"}).status_code == 401
    assert world.store.active() == []


def test_bearer_works_on_every_route(world: SimpleNamespace) -> None:
    gold_variants(world)
    client = client_for(world.services)
    assert client.get("/staff/", headers=BEARER).status_code == 200
    groups = client.get("/staff/unanswered.json", headers=BEARER).json()
    assert groups[0]["count"] == 4 and groups[0]["keys"][0] == "ทอง ราคา"
    # bearer requests carry no cookie, so they need no CSRF field
    done = client.post("/staff/teach/pin", data={"key": "ทอง ราคา", "name": GOLD}, headers=BEARER)
    assert done.status_code == 303
    assert world.store.pinned("ทอง ราคา") == (GOLD,)


def test_login_csrf_and_logout(world: SimpleNamespace) -> None:
    client = client_for(world.services)
    assert client.get("/staff/login").status_code == 200
    evil = client.post("/staff/login", data={"token": TOKEN, "next": "//evil.example/x"})
    assert evil.headers["location"] == "/staff/"
    csrf = login(client)
    assert csrf
    assert client.get("/staff/").status_code == 200
    form = {"word": "ซ่าหริ่ม", "terms": "คุณภาพอากาศ"}
    assert client.post("/staff/teach/synonym", data=form).status_code == 403
    assert client.post("/staff/teach/synonym", data={**form, "csrf": "forged"}).status_code == 403
    assert world.store.active() == []
    assert client.post("/staff/teach/synonym", data={**form, "csrf": csrf}).status_code == 303
    assert world.engine.search("ซ่าหริ่ม").hits[0].name == "air_pollution"
    assert client.post("/staff/logout", data={"csrf": csrf}).status_code == 303
    client.cookies.clear()
    assert client.get("/staff/").status_code == 303


def test_user_text_is_escaped(world: SimpleNamespace) -> None:
    log(world, XSS)
    log(world, '"><img src=x onerror=alert(2)>')
    client = client_for(world.services)
    for path in ("/staff/", "/staff/unanswered"):
        html = client.get(path, headers=BEARER).text
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" in client.get("/staff/", headers=BEARER).text  # the chart, inline, no script


def test_three_gold_variants_make_one_group(world: SimpleNamespace) -> None:
    gold_variants(world)
    today = datetime.now(UTC).date()
    window = data.Window.days(today - timedelta(days=3), today + timedelta(days=1))
    groups = data.unanswered_groups(world.db, window)
    assert [g.count for g in groups] == [4, 1]
    gold = groups[0]
    assert set(gold.examples) == {"ราคาทอง", "ราคาทองคำวันนี้", "ราคาทองวันนี้ครับ"}
    assert gold.label == "ราคาทอง" and set(gold.platforms) == {"line", "telegram", "web"}
    assert groups[1].label == "ข้อมูลรถไฟฟ้า"  # answered, but the user said not useful
    assert data.near("ข้อมูล รถไฟฟ้า", "รถไฟฟ้า") and not data.near("ทอง ราคา", "รถไฟฟ้า")


def test_unanswered_page_filters_and_csv(world: SimpleNamespace) -> None:
    gold_variants(world)
    client = client_for(world.services)
    page = client.get("/staff/unanswered?platform=web", headers=BEARER).text
    assert "ราคาทองวันนี้ครับ" in page and "ข้อมูลรถไฟฟ้า" not in page
    today = datetime.now(data.BANGKOK).date()
    span = f"from={today - timedelta(days=30)}&to={today - timedelta(days=5)}"
    old = client.get(f"/staff/unanswered.csv?{span}", headers=BEARER)
    assert old.content.decode("utf-8-sig").count("\n") == 1  # the header only
    response = client.get("/staff/unanswered.csv", headers=BEARER)
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = [line.split(",") for line in raw.decode("utf-8-sig").strip().splitlines()]
    assert rows[0][:2] == ["query", "count"]
    assert rows[1][:2] == ["ราคาทอง", "4"] and rows[2][:2] == ["ข้อมูลรถไฟฟ้า", "1"]


def test_teach_from_a_group_answers_the_same_query_at_once(world: SimpleNamespace) -> None:
    gold_variants(world)
    client = client_for(world.services)
    assert [h.name for h in world.engine.search("ราคาทองวันนี้ครับ").hits][:1] != [GOLD]
    csrf = login(client)
    unanswered = client.get("/staff/unanswered").text
    link = re.search(r'href="(/staff/teach\?[^"]+)"', unanswered).group(1).replace("&amp;", "&")
    teach = client.get(link)
    assert teach.status_code == 200 and 'type="checkbox" name="name"' in teach.text  # candidates
    keys = re.findall(r'name="key" value="([^"]+)"', teach.text)
    expected = {world.engine.parse(t).key for t in ("ราคาทอง", "ราคาทองคำวันนี้", "ราคาทองวันนี้ครับ")}
    assert set(keys) == expected
    form = {"csrf": csrf, "example": "ราคาทอง", "name": [GOLD], "key": sorted(set(keys))}
    done = client.post("/staff/teach/pin", data=form)
    assert done.status_code == 303 and done.headers["location"] == "/staff/teachings?done=saved"
    for text in ("ราคาทอง", "ราคาทองวันนี้ครับ", "ราคาทองคำวันนี้"):
        result = world.engine.search(text)
        assert result.answered and result.hits[0].name == GOLD, text
    listing = client.get("/staff/teachings?done=saved").text
    assert "บันทึกแล้ว" in listing and f"<code>{GOLD}</code>" in listing
    ids = re.findall(r'name="id" value="(\d+)"', listing)
    for ident in ids:
        undo = {"csrf": csrf, "kind": "pin", "id": ident}
        assert client.post("/staff/teachings/undo", data=undo).status_code == 303
    assert [h.name for h in world.engine.search("ราคาทอง").hits][:1] != [GOLD]
    free = client.get("/staff/teach?q=x&search=" + "คุณภาพอากาศ").text
    assert "air_pollution" in free


def test_purge_keeps_the_retention_period(world: SimpleNamespace, capsys: pytest.CaptureFixture[str]) -> None:
    log(world, "เก่ามาก", ago=timedelta(days=200))
    log(world, "ใหม่", ago=timedelta(days=10))
    settings = replace(world.settings, retention_days=180)
    assert staff_cli.purge(settings) == 0
    assert [r[0] for r in world.db.execute("SELECT text FROM journal")] == ["ใหม่"]
    assert "purged 1" in capsys.readouterr().out


def test_unanswered_cli(world: SimpleNamespace, capsys: pytest.CaptureFixture[str]) -> None:
    gold_variants(world)
    assert staff_cli.unanswered(world.settings, since="24h") == 0
    out = capsys.readouterr().out
    assert "    3  ราคาทอง" in out and "ข้อมูลรถไฟฟ้า" in out
    assert staff_cli.unanswered(world.settings, since="2000-01-01", csv=True) == 0
    assert capsys.readouterr().out.startswith("\ufeffquery,count")
    assert staff_cli.unanswered(world.settings, since="soon") == 2


class FakeTelegram:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.app = Starlette(routes=[Route("/{path:path}", self.record, methods=["POST", "GET"])])

    async def record(self, request: Request) -> JSONResponse:
        self.sent.append((request.url.path, json.loads(await request.body())))
        return JSONResponse({"ok": True, "result": {"message_id": len(self.sent)}})


def test_digest_sends_to_telegram_and_line(
    world: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    gold_variants(world)
    log(world, XSS)
    log(world, "ข้อมูลเก่า", ago=timedelta(days=400))
    telegram, line = FakeTelegram(), FakeLine()
    with serve_app(telegram.app) as tg_url, serve_app(line.app) as line_url:
        settings = replace(
            world.settings,
            telegram_bot_token="123:tg-secret",
            telegram_api_base_url=tg_url,
            staff_telegram_chat_id="-1001",
            line_channel_access_token="line-secret",
            line_api_base_url=line_url,
            staff_line_to="Cstaffgroup",
            public_url="https://khomun.example",
        )
        assert staff_cli.digest(settings, top=2) == 0
    [(path, body)] = telegram.sent
    assert path == "/bot123:tg-secret/sendMessage" and body["chat_id"] == "-1001"
    text = str(body["text"])
    assert "1. ราคาทอง ×3" in text and "https://khomun.example/staff/unanswered" in text
    assert "3." not in text  # top 2
    [push] = line.calls(PUSH)
    assert push.body["to"] == "Cstaffgroup" and push.body["messages"][0]["text"] == text
    assert push.headers["x-line-retry-key"] and line.unexpected == []
    out = capsys.readouterr().out
    assert "sent to telegram" in out and "sent to line" in out
    assert "tg-secret" not in out and "line-secret" not in out
    assert "purged 1" in out


def test_digest_reports_a_failed_send_without_the_token(
    world: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    log(world, "ราคาทอง")
    line = FakeLine()
    line.fail(PUSH, 500)
    with serve_app(line.app) as line_url:
        settings = replace(
            world.settings,
            line_channel_access_token="line-secret",
            line_api_base_url=line_url,
            staff_line_to="U1",
        )
        assert staff_cli.digest(settings) == 1
    err = capsys.readouterr().err
    assert "line to U1 failed: LINE answered HTTP 500" in err and "line-secret" not in err
    assert staff_cli.digest(replace(settings, staff_line_to="")) == 2  # nowhere to send


def test_digest_with_nothing_to_send(world: SimpleNamespace, capsys: pytest.CaptureFixture[str]) -> None:
    log(world, "ข้อมูลรถไฟฟ้า", answered=True)
    assert staff_cli.digest(replace(world.settings, staff_telegram_chat_id="-1")) == 0
    assert "ไม่มี" in capsys.readouterr().out


def test_guessing_the_token_is_throttled(world: SimpleNamespace, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(world.services)
    for _ in range(5):
        assert client.post("/staff/login", data={"token": "guess"}).status_code == 401
    locked = client.post("/staff/login", data={"token": TOKEN})  # the login form waits now
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
    assert "ผิดหลายครั้ง" in locked.text
    nope = {"Authorization": "Bearer nope"}
    assert client.get("/staff/", headers=nope).status_code == 429  # wrong bearers too
    # issue 13.4: a valid credential from the same address is never locked out
    assert client.get("/staff/", headers=BEARER).status_code == 200
    assert "testclient" not in caplog.text and "locked" in caplog.text  # the address is hashed


def test_wrong_bearer_tokens_count_a_missing_session_does_not(world: SimpleNamespace) -> None:
    client = client_for(world.services)
    for _ in range(10):
        assert client.get("/staff/").status_code == 303  # no cookie yet: sent to the login page
    assert client.get("/staff/", headers=BEARER).status_code == 200
    for _ in range(5):
        assert client.get("/staff/", headers={"Authorization": "Bearer nope"}).status_code == 303
    assert client.get("/staff/", headers={"Authorization": "Bearer nope"}).status_code == 429
    assert client.get("/staff/", headers=BEARER).status_code == 200


def test_throttle_forgets_failures_after_the_window() -> None:
    from bot.staff.auth import LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(max_failures=2, window=60, clock=lambda: now[0], key=SecretKey("k"))
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.wait("a") == 61 and throttle.wait("b") == 0
    now[0] += 30
    assert throttle.wait("a") == 31
    now[0] += 31
    assert throttle.wait("a") == 0


def test_csv_cells_never_run_as_formulas_and_times_are_thai() -> None:
    import csv
    import io
    from collections import Counter

    formula = '=HYPERLINK("https://evil.example","x")'
    g = data.Group(keys=["x"], count=2, first_seen="2024-05-01T07:03:09.123456+00:00")
    g.last_seen = "2024-05-01T08:00:00.500000+00:00"
    g.platforms, g.examples = Counter({"line": 2}), Counter({formula: 2})
    text = data.groups_csv([g]).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    assert row[0].startswith("'=") and all(not c.startswith(("=", "+", "-", "@", "\t")) for c in row)
    assert row[header.index("first_seen_thai_time")] == "2024-05-01 14:03:09"
    assert row[header.index("line")] == "2" and row[header.index("telegram")] == "0"
    for bad in ("+1", "-2", "@SUM(A1)", "\tx"):
        assert data.csv_cell(bad).startswith("'")


def test_topics_that_only_share_a_year_stay_apart() -> None:
    assert not data.near("ฝุ่น 2566", "ภาษี 2566")
    assert not data.near("ข้าว ราคา 2566", "ทอง ราคา 2566")
    assert not data.near("2566", "ภาษี 2566")
    assert data.near("ทะเบียน วัด 2566", "ทะเบียน วัด 2567") and data.near("2566", "2566")
    rows = [
        ("2026-01-01T00:00:00.000Z", "line", t, k, k)
        for t, k in (
            ("ฝุ่น 2566", "ฝุ่น 2566"),
            ("ภาษี 2566", "ภาษี 2566"),
            ("ภาษี 2566", "ภาษี 2566"),
            ("ทะเบียนวัด 2567", "ทะเบียน วัด 2567"),
            ("ทะเบียนวัด 2566", "ทะเบียน วัด 2566"),
        )
    ]
    assert sorted(len(g.keys) for g in data.group_rows(rows)) == [1, 1, 2]


JUNK = "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮะาิีึืุูเแโใไ่้๊๋"


def test_grouping_is_not_quadratic(world: SimpleNamespace) -> None:
    """issue 13.3: 6,000 junk queries took 29 s to group (every key against every group). With
    20,000 distinct queries, all sharing a word, the real variants still group, in well under a
    second (bench/staff_bench.py measures 100,000)."""
    import random
    import time

    rng = random.Random(1)
    ts = data.iso(datetime.now(UTC) - timedelta(hours=1))
    rows, keys = [], set()
    while len(keys) < 20_000:
        key = " ".join(sorted({"".join(rng.choices(JUNK, k=rng.randint(4, 9))), "ข้อมูล"}))
        if key not in keys:
            keys.add(key)
            rows.append((ts, "line", key.replace(" ", ""), key, key))
    world.db.execute("BEGIN")
    world.db.executemany(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms) VALUES (?, ?, 'private', 'u', ?, ?, ?, 'search', '[]', 0, 1.0)",
        rows,
    )
    world.db.execute("COMMIT")
    for _ in range(3):
        gold_variants(world)
    today = datetime.now(data.BANGKOK).date()
    window = data.Window.days(today - timedelta(days=1), today)
    start = time.perf_counter()
    groups, total = data.unanswered_page(world.db, window, 200)
    took = time.perf_counter() - start
    gold = next(g for g in groups if g.label == "ราคาทอง")
    assert gold.count == 9 and set(gold.examples) == {"ราคาทอง", "ราคาทองคำวันนี้", "ราคาทองวันนี้ครับ"}
    assert total > 19_000 and len(groups) == 200 and max(len(g.keys) for g in groups) < 50
    assert took < 2.0, took
    page = client_for(world.services).get("/staff/unanswered", headers=BEARER).text
    assert "แสดง 200 กลุ่ม" in page


def test_a_valid_cookie_outlives_a_lockout_and_logout_ends_it_server_side(world: SimpleNamespace) -> None:
    """issue 13.4: after 5 wrong tokens from an office proxy's address the real staff got 429 for
    15 minutes; and a logged-out cookie stayed valid for 12 hours."""
    client = client_for(world.services)
    login(client)
    cookie = client.cookies.get("khomun_staff")
    for _ in range(6):
        client.post("/staff/login", data={"token": "guess"})
    assert client.get("/staff/").status_code == 200
    page = client.get("/staff/teachings").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/staff/logout", data={"csrf": csrf}).status_code == 303
    thief = client_for(world.services)
    thief.cookies.set("khomun_staff", cookie, path="/staff")
    assert thief.get("/staff/").status_code == 303  # the old cookie no longer works


def test_failures_are_also_throttled_globally() -> None:
    """issue 13.4: rotating X-Forwarded-For behind a trusted proxy gave 300 guesses in 0.2 s."""
    from bot.staff.auth import GLOBAL_MAX_FAILURES, LoginThrottle

    throttle = LoginThrottle(max_failures=5, window=60, key=SecretKey("k"))
    for i in range(GLOBAL_MAX_FAILURES):
        assert throttle.wait(f"10.0.{i // 250}.{i % 250}") == 0
        throttle.failed(f"10.0.{i // 250}.{i % 250}")
    assert throttle.wait("192.0.2.1") > 0  # a fresh address waits too


def test_forwarded_for_is_trusted_only_from_configured_proxies() -> None:
    from bot.server import uvicorn_options

    assert uvicorn_options(Settings())["proxy_headers"] is False
    opts = uvicorn_options(Settings.from_env({"KHOMUN_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}))
    assert opts["proxy_headers"] is True and opts["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2"


def test_low_confidence_and_not_useful_answers_are_listed_with_what_the_bot_gave(
    world: SimpleNamespace,
) -> None:
    temples = [h.name for h in world.engine.search("ทะเบียนวัด", limit=3).hits]
    title = world.engine.get(temples[0]).title
    for text in ("ทะเบียนวัดหน่อย", "ทะเบียนวัด"):
        log(world, text, answered=True, confidence="low", results=tuple(temples))
    log(world, "ข้อมูลรถไฟฟ้า", answered=True, confidence="high", results=(GOLD,), feedback="not_useful")
    log(world, "ข้อมูลรถไฟฟ้า", answered=True, confidence="high", results=(GOLD,))  # fine: not listed
    today = datetime.now(data.BANGKOK).date()
    window = data.Window.days(today - timedelta(days=1), today)
    [low] = data.review_groups(world.db, window, "low")
    assert low.count == 2 and low.top_results == temples
    [bad] = data.review_groups(world.db, window, "not_useful")
    assert bad.count == 1 and bad.top_results == [GOLD]

    html = client_for(world.services).get("/staff/unanswered", headers=BEARER).text
    low_part = html[html.index('id="low"') : html.index('id="not-useful"')]
    assert "ทะเบียนวัดหน่อย" in low_part and title in low_part and f"<code>{temples[0]}</code>" in low_part
    assert "สอนบอท" in low_part  # each group can be taught from here
    bad_part = html[html.index('id="not-useful"') :]
    assert "ข้อมูลรถไฟฟ้า" in bad_part and world.engine.get(GOLD).title in bad_part


def test_staff_times_are_thai_time_and_say_so(world: SimpleNamespace) -> None:
    log(world, "ราคาทอง", ago=timedelta(minutes=5))
    html = client_for(world.services).get("/staff/unanswered", headers=BEARER).text
    thai = (datetime.now(UTC) - timedelta(minutes=5)).astimezone(data.BANGKOK).strftime("%Y-%m-%d %H:%M")
    assert thai in html and "(เวลาไทย)" in html


def test_an_older_journal_gains_the_confidence_column(tmp_path: Path) -> None:
    from bot.journal import Journal
    from intents import Message, Outcome, Reply, Turn

    path = tmp_path / "state.sqlite"
    old = sqlite3.connect(path)  # the journal as the first release made it: no chat_hash, no confidence
    old.execute(
        "CREATE TABLE journal (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, platform TEXT NOT NULL, "
        "chat_type TEXT NOT NULL, user_hash TEXT NOT NULL, text TEXT NOT NULL, normalized TEXT NOT NULL, "
        "query_key TEXT NOT NULL, intent TEXT NOT NULL, results TEXT NOT NULL, answered INTEGER NOT NULL, "
        "latency_ms REAL NOT NULL, feedback TEXT)"
    )
    old.execute(
        "INSERT INTO journal VALUES (1, '2026-01-01T00:00:00Z', 'line', 'private', 'u', 'วัด', 'วัด', 'วัด', "
        "'search', '[]', 1, 3.0, NULL)"
    )
    old.commit()
    journal = Journal(path, "k")
    turn = Turn(Reply("x"), Outcome("search", query="ทะเบียนวัด", answered=True, confidence="low"))
    journal.record(Message("web", "session-1", text="ทะเบียนวัด"), turn)
    journal.close()
    rows = old.execute("SELECT text, confidence, chat_hash FROM journal ORDER BY id").fetchall()
    assert rows[0] == ("วัด", "", "") and rows[1][:2] == ("ทะเบียนวัด", "low")
    data.connect(path).close()  # the staff side opens it too, and adds nothing twice


def test_the_overview_never_reads_every_unanswered_key_into_python(world: SimpleNamespace) -> None:
    """issue 13.3: with 100,000 distinct unanswered queries the overview took 0.8 s, most of it
    handing every key's count to Python to sort there, and ranking the most asked searches
    through the table. Its top lists are ranked by SQLite through covering partial indexes, and
    only the first keys come back."""
    now = datetime.now(UTC)
    rows = [
        (data.iso(now - timedelta(minutes=i % 600)), "line", f"คำ{i}", f"คำ{i}", f"คำ{i}")
        for i in range(5000)
    ]
    rows.sort()
    world.db.execute("BEGIN")
    world.db.executemany(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms) VALUES (?, ?, 'private', 'u', ?, ?, ?, 'search', '[]', 0, 1.0)",
        rows,
    )
    world.db.execute("COMMIT")
    today = datetime.now(data.BANGKOK).date()
    window = data.Window.days(today - timedelta(days=1), today)
    statements: list[tuple[str, Any]] = []

    class Rows(list):  # type: ignore[type-arg]
        def fetchall(self) -> list[Any]:
            return list(self)

        def fetchone(self) -> Any:
            return self[0] if self else None

    class Counting:
        """The connection, remembering each statement and handing back what it fetched."""

        dialect = world.db.dialect

        def execute(self, sql: str, params: Any = ()) -> Rows:
            statements.append((sql, params))
            return Rows(world.db.execute(sql, params).fetchall())

    groups, total = data.unanswered_page(Counting(), window, 10)  # type: ignore[arg-type]
    top = data.top_queries(Counting(), window, 10)  # type: ignore[arg-type]
    assert total > 4000 and len(groups) == 10 and len(top) == 10
    fetched = sum(len(world.db.execute(sql, params).fetchall()) for sql, params in statements)
    assert fetched < data.MERGE_KEYS + 1000  # not one row per key (5,000)
    for sql, params in statements:
        plan = " ".join(r[-1] for r in world.db.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "journal_ts" not in plan and "SCAN journal" not in plan.replace("SCAN journal USING", ""), (
            sql,
            plan,
        )


def test_sessions_are_signed_with_the_generated_secret_key(tmp_path: Path, index_path: Path) -> None:
    """issue 10.8: without KHOMUN_SECRET_KEY a session cookie was signed with a key derived from
    STAFF_TOKEN alone, so any deployment sharing the token (a staging copy) made cookies this one
    took. Now the key is the generated secret (<data dir>/secret.key)."""
    from bot.app import create_app
    from bot.staff.auth import COOKIE

    def service(folder: str) -> Starlette:
        data = tmp_path / folder
        data.mkdir(exist_ok=True)
        shutil.copy(index_path, data / "index.sqlite")
        return create_app(Settings(data_dir=data, staff_token=TOKEN))

    def opens(app: Starlette, cookie: str) -> bool:
        with TestClient(app, follow_redirects=False) as client:
            client.cookies.set(COOKIE, cookie)
            return client.get("/staff/").status_code == 200

    here = service("here")
    with TestClient(here, follow_redirects=False) as client:
        login(client)
        cookie = client.cookies[COOKIE]
    assert (tmp_path / "here" / "secret.key").exists()
    assert opens(service("here"), cookie)  # restarted on the same data: the same generated key
    assert not opens(service("staging"), cookie)  # the same STAFF_TOKEN, another secret
