"""Two `khomun serve` instances sharing one PostgreSQL state database, Debian's haproxy in front
(round robin), against the fake LINE and Telegram APIs: what one instance knows, the other knows;
a kill -9 of one under load loses nothing acknowledged. tests/cluster.py has the pieces.

Skipped when PostgreSQL or haproxy is absent (CI installs both and sets KHOMUN_REQUIRE_POSTGRES).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.search import SearchEngine
from tests.cluster import (
    STAFF_TOKEN,
    World,
    haproxy,
    kill_under_load,
    line_webhook,
    misses,
    telegram_webhook,
    two_instances,
)
from tests.pg_cluster import Cluster

pytestmark = pytest.mark.slow

TEMPLES = "ทะเบียนวัด เชียงใหม่"
#: ข้อมูลราคาสินค้าเกษตรรายวัน: the catalog has no gold prices, so a pin is what answers
GOLD = "34"
LOAD_TEXTS = ["ทะเบียนวัด นครราชสีมา", "ค่าแรงขั้นต่ำ", "สวัสดีค่ะ", "bike lanes in Bangkok", "ฝุ่น PM2.5"]


@pytest.fixture(scope="module")
def world(postgres: Cluster, index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if haproxy() is None:
        reason = "haproxy not found: apt-get install haproxy"
        if os.environ.get("KHOMUN_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    url = postgres.database_url()
    try:
        with two_instances(index_path, url, tmp_path_factory.mktemp("multi")) as world:
            yield world
    finally:
        postgres.drop(url)


def wait_until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def post_both(bases: list[str], path: str, body: bytes, headers: dict[str, str]) -> list[int]:
    """The same body posted to every base at once (a redelivery racing the first delivery)."""
    statuses = [0] * len(bases)
    gate = threading.Barrier(len(bases))

    def one(k: int) -> None:
        gate.wait()
        statuses[k] = httpx.post(bases[k] + path, content=body, headers=headers, timeout=10).status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(bases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def line_replies(world: World, token: str) -> list[Any]:
    return [r for r in world.line.replies() if r.body.get("replyToken") == token]


def line_ask(world: World, base: str, user: str, text: str = "", postback: str = "") -> Any:
    """One LINE event to one instance; its one reply (the fake's record)."""
    _, token, body, headers = line_webhook(user, text, postback=postback)
    assert httpx.post(base + "/webhooks/line", content=body, headers=headers, timeout=10).status_code == 200
    assert wait_until(lambda: line_replies(world, token), 10), f"no reply to {text or postback!r}"
    (reply,) = line_replies(world, token)
    return reply


def postbacks(node: Any) -> list[dict[str, Any]]:
    """Every postback action in a LINE message tree."""
    if isinstance(node, dict):
        found = [node] if node.get("type") == "postback" and "data" in node else []
        return found + [a for v in node.values() for a in postbacks(v)]
    if isinstance(node, list):
        return [a for v in node for a in postbacks(v)]
    return []


# -- (a) one event, two instances, one answer -------------------------------------------------------
def test_an_event_delivered_to_both_instances_is_answered_once(world: World) -> None:
    bases = [world.a.base, world.b.base]
    _, token, body, headers = line_webhook("U" + "a1" * 16, "ค่าแรงขั้นต่ำ")
    assert post_both(bases, "/webhooks/line", body, headers) == [200, 200]
    update, chat = int(time.time() * 1000) % 10**9, 700_000_001
    tg_body, tg_headers = telegram_webhook(update, chat, "ค่าแรงขั้นต่ำ")
    assert post_both(bases, "/webhooks/telegram", tg_body, tg_headers) == [200, 200]
    # and once more each, later, as a platform redelivers
    for base in bases:
        assert httpx.post(base + "/webhooks/line", content=body, headers=headers).status_code == 200
        assert httpx.post(base + "/webhooks/telegram", content=tg_body, headers=tg_headers).status_code == 200

    def tg_sent() -> list[Any]:
        return [c for c in world.tg.of("sendMessage") if str(c.params.get("chat_id")) == str(chat)]

    assert wait_until(lambda: line_replies(world, token) and tg_sent(), 10)
    time.sleep(1.0)  # a second answer would come now
    assert len(line_replies(world, token)) == 1
    texts = [c.params["text"] for c in tg_sent()]
    assert len(texts) == len(set(texts)) >= 1  # one reply (a long one may come in parts)
    assert world.line.unexpected == [] and world.tg.unexpected == []


# -- (b) a list shown by one instance, paged and pressed on the other -------------------------------
def test_a_list_from_one_instance_is_followed_up_on_the_other(world: World, engine: SearchEngine) -> None:
    user = "U" + "b2" * 16
    first = line_ask(world, world.a.base, user, TEMPLES)
    assert first.headers["x-khomun-instance"] == "a"
    second_card = [a for a in postbacks(first.body) if a.get("displayText", "").endswith(" 2")]
    assert second_card, "the carousel's second card has no postback button"
    titles = [h.dataset.title for h in engine.search(TEMPLES).hits]
    assert len(titles) >= 2 and titles[0] != titles[1]
    shown = json.dumps(first.body, ensure_ascii=False)
    assert titles[0] in shown and titles[1] in shown

    again = line_ask(world, world.b.base, user, "อันที่ 2")
    assert again.headers["x-khomun-instance"] == "b"
    details = json.dumps(again.body, ensure_ascii=False)
    assert titles[1] in details and titles[0] not in details

    pressed = line_ask(world, world.b.base, user, postback=second_card[0]["data"])
    assert pressed.headers["x-khomun-instance"] == "b"
    assert titles[1] in json.dumps(pressed.body, ensure_ascii=False)


# -- (c) a teaching saved on one instance answers on the other --------------------------------------
def login(base: str) -> tuple[httpx.Client, str]:
    """A staff session on ``base``: the client with its cookie, and the CSRF token of its forms."""
    client = httpx.Client(base_url=base, timeout=10, follow_redirects=False)
    r = client.post("/staff/login", data={"token": STAFF_TOKEN, "next": "/staff/"})
    assert r.status_code == 303, r.text
    page = client.get("/staff/teachings")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, "no CSRF field on the teachings page"
    return client, csrf.group(1)


def test_a_teaching_saved_on_one_instance_answers_on_the_other_within_a_second(
    world: World, engine: SearchEngine
) -> None:
    text = "ราคาทองวันนี้"

    def top_on_b() -> str:
        results = httpx.get(world.b.base + "/api/search", params={"q": text}, timeout=5).json()["results"]
        return str(results[0]["name"]) if results else ""

    assert top_on_b() != GOLD
    staff, csrf = login(world.a.base)
    form = {"csrf": csrf, "example": text, "name": [GOLD], "key": [engine.parse(text).key]}
    saved = staff.post("/staff/teach/pin", data=form)
    at = time.monotonic()
    assert saved.status_code == 303, saved.text
    assert wait_until(lambda: top_on_b() == GOLD, 1.0), "B did not answer with the teaching within 1 s"
    print(f"\nteaching on A answered by B after {time.monotonic() - at:.2f} s")
    staff.close()


# -- (d) staff sessions and the login lockout are shared --------------------------------------------
def test_a_session_from_one_instance_works_on_the_other_and_logout_ends_it_on_both(
    world: World,
) -> None:
    staff, _ = login(world.a.base)
    cookies = dict(staff.cookies)
    on_b = httpx.Client(base_url=world.b.base, cookies=cookies, timeout=10, follow_redirects=False)
    page = on_b.get("/staff/teachings")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    assert on_b.post("/staff/logout", data={"csrf": csrf.group(1)}).status_code == 303
    again = httpx.get(world.a.base + "/staff/teachings", cookies=cookies, follow_redirects=False)
    assert again.status_code in (302, 303, 401) and again.status_code != 200
    staff.close()
    on_b.close()


def test_the_login_lockout_is_shared(world: World) -> None:
    guesser = {"x-forwarded-for": "198.51.100.7"}  # believed: KHOMUN_TRUSTED_PROXIES=127.0.0.1
    for k in range(5):
        base = world.a.base if k % 2 == 0 else world.b.base  # spread over both instances
        r = httpx.post(base + "/staff/login", data={"token": f"wrong-{k}"}, headers=guesser)
        assert r.status_code == 401
    for base in (world.a.base, world.b.base):
        locked = httpx.post(base + "/staff/login", data={"token": STAFF_TOKEN}, headers=guesser)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    other = {"x-forwarded-for": "198.51.100.8"}  # someone else is not locked out
    assert httpx.post(world.b.base + "/staff/login", data={"token": "nope"}, headers=other).status_code == 401


# -- (e) load through the balancer, kill -9 one instance midway ---------------------------------------
@pytest.mark.skipif(
    not os.environ.get("KHOMUN_SLOW_TESTS"), reason="~30 s: `make multi` (KHOMUN_SLOW_TESTS=1) runs it"
)
async def test_kill_9_one_instance_under_load_through_the_balancer(world: World) -> None:
    load, rejoin = await kill_under_load(world, LOAD_TEXTS, count=1000, concurrency=20)
    print("\nkill -9 under load:", json.dumps(load.summary(), ensure_ascii=False))
    assert misses(world, load, rejoin, 1000) == [], load.summary()
