"""A real Chromium on the real app: log in, see an unanswered query, teach it, the bot now answers.

Skipped when Debian's /usr/bin/chromium is absent (never `playwright install`). With
`pytest --update-golden` it saves screenshots of the staff pages to docs/screenshots/staff-*.png.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from bot.staff.data import iso
from tests.browser import CHROMIUM, launch, screenshots_dir
from tests.fakes.serve import serve_app

TOKEN = "browser-staff-token"
VEGETABLES = "34"  # ข้อมูลราคาสินค้าเกษตรรายวัน

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]


def _backfill(state: Path, key: Any) -> None:
    """A fortnight of made-up traffic (marked unanswered whatever today's engine says), so the
    chart has something to show and "ราคาผักสด" is among the unanswered."""
    db = sqlite3.connect(state)
    now = datetime.now(UTC)
    rows = []
    for day in range(1, 14):
        for i in range((day * 7) % 11 + 3):
            missed = i % 4 == 0
            ts = iso(now - timedelta(days=day, minutes=i * 7))
            text = "ข้อมูลรถไฟฟ้า" if not missed else ("ราคาผักสดวันนี้" if i % 8 else "ซ่าหริ่ม")
            rows.append((ts, ["line", "telegram", "web"][i % 3], text, text, key(text), int(not missed)))
    db.executemany(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms) VALUES (?, ?, 'private', 'u', ?, ?, ?, 'search', '[]', ?, 20)",
        rows,
    )
    db.commit()
    db.close()


@pytest.fixture()
def live(index_path: Path, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    settings = Settings(data_dir=tmp_path, staff_token=TOKEN)
    shutil.copy(index_path, settings.index_path)
    app = create_app(settings)
    with serve_app(app, lifespan="on") as base:
        yield base, app.state.services
    app.state.services.close()


def chat(base: str, text: str) -> dict[str, Any]:
    """One message from a new web user (so no conversation context carries over)."""
    session = f"browser-{uuid.uuid4().hex[:12]}"
    response = httpx.post(f"{base}/api/chat", json={"text": text, "session": session}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_staff_teach_in_a_real_browser(live: tuple[str, Any], update_golden: bool, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, services = live
    asked = ("ราคาทองวันนี้ครับ", "ราคาทอง", "ราคาทองคำวันนี้", "<script>alert(1)</script>", "ราคาผักสดวันนี้ครับ")
    for text in (*asked, "ข้อมูลรถไฟฟ้า"):
        chat(base, text)
    assert chat(base, "ราคาผักสด")["outcome"]["hits"][:1] != [VEGETABLES]
    services.journal.flush()
    _backfill(services.settings.state_path, lambda text: services.engine.parse(text).key)
    shots = screenshots_dir(update_golden, tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="th-TH")
        alerts: list[str] = []
        page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
        page.goto(f"{base}/staff/")
        assert "/staff/login" in page.url
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/staff/")
        assert page.locator("svg.pygal-chart").count() == 1
        page.screenshot(path=str(shots / "staff-overview.png"), full_page=True)

        page.click("text=คำถามที่ตอบไม่ได้ >> nth=0")
        page.wait_for_url(f"{base}/staff/unanswered")
        assert page.locator("td.query", has_text="<script>alert(1)</script>").count() == 1
        page.screenshot(path=str(shots / "staff-unanswered.png"), full_page=True)

        row = page.locator("tr", has_text="ราคาผักสด").first
        assert int(row.locator("td.num").inner_text()) >= 12

        row.locator("a", has_text="สอนบอท").click()
        page.wait_for_url(f"{base}/staff/teach?*")
        page.check(f"input[name=name][value='{VEGETABLES}']")
        page.screenshot(path=str(shots / "staff-teach.png"), full_page=True)
        page.click("text=ให้คำถามนี้ตอบด้วยชุดข้อมูลที่เลือก")
        page.wait_for_url(f"{base}/staff/teachings?done=saved")
        assert "ข้อมูลราคาสินค้าเกษตรรายวัน" in page.content() and f"<code>{VEGETABLES}</code>" in page.content()
        page.screenshot(path=str(shots / "staff-teachings.png"), full_page=True)
        browser.close()
    assert alerts == []

    for text in ("ราคาผักสด", "ราคาผักสดวันนี้ครับ"):
        reply = chat(base, text)
        assert reply["outcome"]["answered"] and reply["outcome"]["hits"][0] == VEGETABLES, text


_PHONE_CHECKS = """() => {
  var rows = Array.from(document.querySelectorAll("table.groups tbody tr"));
  var nav = Array.from(document.querySelectorAll(".bar a, .bar button")).map(function (a) {
    var range = document.createRange();
    range.selectNodeContents(a);  // one line box per line the words take
    var tops = new Set(Array.from(range.getClientRects()).map(function (r) { return Math.round(r.top); }));
    return {text: a.textContent.trim(), lines: tops.size};
  });
  return {
    width: document.documentElement.scrollWidth,
    rows: rows.length,
    cards: rows.filter(function (r) {
      var box = r.getBoundingClientRect();
      return getComputedStyle(r).display === "block" && box.left >= 0 && box.right <= window.innerWidth;
    }).length,
    nav: nav,
  };
}"""


def test_staff_pages_on_a_phone(live: tuple[str, Any], update_golden: bool, tmp_path: Path) -> None:
    """390x844: the unanswered groups are cards with a teach button a thumb can reach, the nav
    words never break, nothing scrolls sideways."""
    from playwright.sync_api import sync_playwright

    base, services = live
    for text in ("ราคาทองวันนี้ครับ", "ค่าไฟฟ้ารายเดือนของหมู่บ้านเล็ก ๆ ในอำเภอแม่ริม"):
        chat(base, text)
    services.journal.flush()
    _backfill(services.settings.state_path, lambda text: services.engine.parse(text).key)
    shots = screenshots_dir(update_golden, tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="th-TH")
        page.goto(f"{base}/staff/login?next=/staff/unanswered")
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/staff/unanswered")
        found = page.evaluate(_PHONE_CHECKS)
        assert found["width"] <= 390, found
        assert found["rows"] >= 3 and found["cards"] == found["rows"], found
        assert all(item["lines"] == 1 for item in found["nav"]), found["nav"]
        page.screenshot(path=str(shots / "staff-phone.png"))
        teach = page.locator("table.groups a.button", has_text="สอนบอท").first
        teach.scroll_into_view_if_needed()
        box = teach.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 36, box
        hit = page.evaluate(
            "([x, y]) => { var e = document.elementFromPoint(x, y); return !!e && !!e.closest('a.button'); }",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert hit
        teach.click()
        page.wait_for_url(f"{base}/staff/teach?*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        browser.close()
