"""Previews end to end: details offer "ดูตัวอย่างข้อมูล", the card reply never waits for it, and the
button shows the file's table on the web chat, LINE (a Flex table) and Telegram (a <pre> block)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from linebot.v3.messaging import ReplyMessageRequest
from starlette.testclient import TestClient

from bot.app import create_app
from bot.line import render as render_line
from bot.settings import Settings
from bot.telegram import render as render_telegram
from index.dataset import Resource
from intents import texts
from intents.types import Preview, Reply
from tests.browser import CHROMIUM, launch, screenshots_dir
from tests.fakes.files import TEMPLES_ID, serve_fake_files
from tests.fakes.serve import serve_app
from tests.portal_index import build_changed_index

TEMPLES = "item_2df6add3-2ebd-455c-8020-af962accbee2"  # รายงานทะเบียนวัดจังหวัดเชียงใหม่
SESSION = "preview-session-01"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    with serve_fake_files() as files:
        url = files.url(f"/dataset/temples/resource/{TEMPLES_ID}/download/temples.csv")
        data = tmp_path_factory.mktemp("data")
        csv = Resource("ทะเบียนวัด เชียงใหม่", "CSV", url)
        build_changed_index(data / "index.sqlite", {TEMPLES: lambda d: replace(d, resources=(csv,))})
        settings = Settings(data_dir=data, secret_key="k", fetch_allow_hosts="localhost")
        app = create_app(settings)
        with TestClient(app) as client:
            yield client, files
        app.state.services.close()


def chat(client: TestClient, text: str = "", postback: str = "") -> dict:
    res = client.post("/api/chat", json={"text": text, "postback": postback, "session": SESSION})
    assert res.status_code == 200, res.text
    return res.json()["reply"]


def test_details_offer_a_preview_and_the_button_shows_the_table(web) -> None:
    client, files = web
    found = chat(client, "ทะเบียนวัด เชียงใหม่")
    number = next(c["number"] for c in found["cards"] if c["name"] == TEMPLES)
    details_button = next(
        b for b in found["cards"][number - 1]["buttons"] if b["label"] == texts.LABEL_DETAILS
    )
    before = files.hits["temples"]
    details = chat(client, postback=details_button["data"])
    assert files.hits["temples"] == before  # details never fetch the file
    [preview_button] = [b for b in details["buttons"] if b["label"] == texts.LABEL_PREVIEW]
    shown = chat(client, postback=preview_button["data"])
    assert shown["preview"]["columns"] == ["ลำดับ", "ชื่อวัด", "อำเภอ", "จังหวัด"]
    assert len(shown["preview"]["rows"]) == 5 and shown["preview"]["total"] == 37
    assert "ทั้งหมด 37 แถว" in shown["text"]


def test_a_dataset_without_a_table_file_offers_no_preview(web) -> None:
    client, _ = web
    found = chat(client, "ทะเบียนวัด เชียงใหม่")
    other = next(c for c in found["cards"] if c["name"] != TEMPLES)
    details = chat(
        client, postback=next(b["data"] for b in other["buttons"] if b["label"] == texts.LABEL_DETAILS)
    )
    labels = [b["label"] for b in details["buttons"]]
    formats = details["details"]["card"]["formats"]
    assert (texts.LABEL_PREVIEW in labels) == bool({"CSV", "XLSX", "XLS"} & set(formats[:1]))


PREVIEW = Preview(
    columns=("จังหวัด", "ชาย", "หญิง", "รวม", "หมายเหตุ", "ปี"),
    rows=tuple((f"จังหวัดที่ {i}", "876000", "921000", "1797000", "", "2566") for i in range(5)),
    total=38128,
    at_least=True,
    resource_name="population.xlsx",
)


def test_line_shows_a_flex_table_within_limits() -> None:
    messages = render_line.render(Reply("ตัวอย่าง", preview=PREVIEW))
    ReplyMessageRequest.from_dict({"replyToken": "t", "messages": messages})
    flex = messages[-1]["contents"]
    header = flex["body"]["contents"][1]["contents"]
    assert [c["text"] for c in header] == ["จังหวัด", "ชาย", "หญิง", "รวม"]  # at most 4 columns on a phone
    text = str(flex)
    assert "อย่างน้อย 38,128 แถว" in text and "และอีก 2 คอลัมน์" in text


def test_telegram_shows_a_pre_block_of_aligned_columns() -> None:
    [message] = render_telegram.render(Reply("ตัวอย่าง", preview=PREVIEW))
    assert message["parse_mode"] == "HTML"
    pre = message["text"].split("<pre>", 1)[1].split("</pre>", 1)[0]
    lines = pre.splitlines()
    assert lines[0].startswith("จังหวัด") and "ชาย" in lines[0] and lines[1].startswith("---")
    assert len(lines) == 7 and "อย่างน้อย 38,128 แถว" in message["text"]
    assert render_telegram.tg_len(message["text"]) <= render_telegram.MAX_TEXT


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_browser_shows_a_preview_table_on_a_phone(
    tmp_path_factory, update_golden: bool, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with serve_fake_files() as files:
        url = files.url(f"/dataset/temples/resource/{TEMPLES_ID}/download/temples.csv")
        data = tmp_path_factory.mktemp("browser-data")
        csv = Resource("ทะเบียนวัด เชียงใหม่", "CSV", url)
        build_changed_index(data / "index.sqlite", {TEMPLES: lambda d: replace(d, resources=(csv,))})
        app = create_app(Settings(data_dir=data, secret_key="k", fetch_allow_hosts="localhost"))
        with serve_app(app, lifespan="on") as live, sync_playwright() as p:
            browser = launch(p)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
                page.goto(live + "/")
                page.fill("#text", "รายงานทะเบียนวัดจังหวัดเชียงใหม่")
                page.press("#text", "Enter")
                page.wait_for_selector(".card h2", timeout=10_000)
                page.locator(".card").filter(has_text="รายงานทะเบียนวัดจังหวัดเชียงใหม่").first.get_by_text(
                    texts.LABEL_DETAILS
                ).click()
                page.wait_for_selector(".card.details", timeout=10_000)
                page.get_by_text(texts.LABEL_PREVIEW).last.click()
                page.wait_for_selector(".preview table", timeout=10_000)
                assert page.locator(".preview th").all_inner_texts() == ["ลำดับ", "ชื่อวัด", "อำเภอ", "จังหวัด"]
                assert page.locator(".preview tbody tr").count() == 5
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                shots = screenshots_dir(update_golden, tmp_path)
                shots.mkdir(parents=True, exist_ok=True)
                page.locator(".preview").scroll_into_view_if_needed()
                page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                page.screenshot(path=str(shots / "preview.png"))
            finally:
                browser.close()
        app.state.services.close()
