"""Reply -> Telegram payloads: a fixed Reply's expected JSON, and every limit under stress."""

from __future__ import annotations

import re

from bot.telegram import render as rt
from intents import payload, texts
from intents.types import Button, Card, Details, Reply, ResourceLink

LONG_THAI = "ข้อมูลสถิติจำนวนวัดที่ขึ้นทะเบียนจำแนกตามจังหวัดและอำเภอของกรมการศาสนา" * 6


def card(n: int = 1, title: str = "ทะเบียนวัด <จังหวัด> นครราชสีมา & อำเภอ", description: str = "รายชื่อวัด") -> Card:
    return Card(
        name=f"temple-registry-{n}",
        title=title,
        agency="สำนักงานพระพุทธศาสนาแห่งชาติ (พศ.)",
        updated="31 ต.ค. 2564",
        formats=("CSV",),
        description=description,
        page_url=f"https://data.go.th/dataset/temple-registry-{n}",
        download_url=f"https://data.go.th/dataset/temple-registry-{n}/resource/1/download/a.csv?x=1&y=2",
        buttons=(
            Button(
                texts.LABEL_DOWNLOAD,
                f"https://data.go.th/dataset/temple-registry-{n}/resource/1/download/a.csv?x=1&y=2",
                "url",
            ),
            Button(texts.LABEL_DETAILS, payload.details("k7list", n)),
            Button(texts.LABEL_PAGE, f"https://data.go.th/dataset/temple-registry-{n}", "url"),
        ),
        number=n,
    )


def test_search_reply_snapshot() -> None:
    reply = Reply("พบ 1 ชุดข้อมูลค่ะ", cards=(card(),), quick_replies=(Button("ดูเพิ่มเติม", "p:next"),))
    [msg] = rt.render(reply)
    assert msg["parse_mode"] == "HTML"
    assert msg["link_preview_options"] == {"is_disabled": True}
    assert msg["text"] == (
        "พบ 1 ชุดข้อมูลค่ะ\n\n"
        '<b>1. <a href="https://data.go.th/dataset/temple-registry-1">'
        "ทะเบียนวัด &lt;จังหวัด&gt; นครราชสีมา &amp; อำเภอ</a></b>\n"
        "สำนักงานพระพุทธศาสนาแห่งชาติ (พศ.)\n"
        "อัปเดต 31 ต.ค. 2564 · CSV · "
        '<a href="https://data.go.th/dataset/temple-registry-1/resource/1/download/a.csv?x=1&amp;y=2">'
        "ดาวน์โหลด</a>\n"
        "<i>รายชื่อวัด</i>"
    )
    assert msg["reply_markup"]["inline_keyboard"] == [
        [{"text": "1", "callback_data": "d:1@k7list"}],
        [{"text": "ดูเพิ่มเติม", "callback_data": "p:next"}],
    ]


def test_a_page_of_results_has_numbers_then_more_and_narrowing_and_no_printed_links() -> None:
    """A search page (five results, feedback, "more" and nine narrowing choices) had 27 buttons,
    three per result, with every page URL printed again in the text."""
    quick = (
        Button("ดูเพิ่มเติม", payload.more("k7list")),
        *(
            Button(f"หน่วยงานที่ {i} ที่มีชื่อยาวมากจนเกินหน้าจอโทรศัพท์", payload.narrow("k7list", "org", i))
            for i in range(3)
        ),
        *(Button(f"ปี {2560 + i}", payload.narrow("k7list", "yr", i)) for i in range(3)),
        *(
            Button(f"ไฟล์ {f}", payload.narrow("k7list", "fmt", i))
            for i, f in enumerate(("CSV", "XLS", "PDF"))
        ),
    )
    feedback = (
        Button("มีประโยชน์", payload.feedback(True, "k7list")),
        Button("ไม่ตรง", payload.feedback(False, "k7list")),
    )
    reply = Reply(
        "เจอ 12 ชุดข้อมูลค่ะ", cards=tuple(card(i) for i in range(1, 6)), buttons=feedback, quick_replies=quick
    )
    [msg] = rt.render(reply)
    keyboard = msg["reply_markup"]["inline_keyboard"]
    buttons = [b for row in keyboard for b in row]
    assert len(buttons) <= rt.MAX_LIST_BUTTONS == 8
    assert keyboard[0] == [{"text": str(i), "callback_data": f"d:{i}@k7list"} for i in range(1, 6)]
    assert keyboard[1][0]["text"] == "ดูเพิ่มเติม" and len(keyboard[1]) == 3
    assert all("url" not in b for b in buttons)  # the links are in the text, not repeated as buttons
    assert all(len(b["text"]) <= rt.LABEL_CHARS for b in buttons)
    visible = re.sub(r"<[^>]+>", "", msg["text"])
    assert "http" not in visible and "data.go.th/dataset" not in visible
    for i in range(1, 6):
        assert f'href="https://data.go.th/dataset/temple-registry-{i}"' in msg["text"]


def test_callback_data_never_passes_64_bytes() -> None:
    thai = Button("ค้นหา", "ทะเบียนวัดจังหวัดนครราชสีมาและบุรีรัมย์", "text")  # > 64 bytes in UTF-8
    short = Button("วัด", "วัด", "text")
    long_key = Button("x", "f:org:" + "9" * 70)
    reply = Reply("เลือกค่ะ", quick_replies=(thai, short, long_key, Button("ok", "fb:up")))
    [msg] = rt.render(reply)
    buttons = [b for row in msg["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["t:วัด", "fb:up"]
    for b in buttons:
        assert len(b["callback_data"].encode("utf-8")) <= rt.MAX_CALLBACK_BYTES


def test_long_lists_are_split_under_4096_and_keyboard_on_the_last() -> None:
    cards = tuple(card(i, LONG_THAI, LONG_THAI * 3) for i in range(1, 21))
    messages = rt.render(Reply("พบ 20 ชุดข้อมูลค่ะ", cards=cards))
    assert len(messages) > 1
    for m in messages:
        assert rt.tg_len(m["text"]) <= rt.MAX_TEXT
        assert m["text"].count("<b>") == m["text"].count("</b>")  # no block cut in half
    assert all("reply_markup" not in m for m in messages[:-1])
    rows = messages[-1]["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in rows for b in row] == [str(i) for i in range(1, 21)]
    assert all(len(row) <= rt.MAX_ROW for row in rows)


def test_details_message_lists_resources_within_the_limit() -> None:
    resources = tuple(
        ResourceLink(f"ไฟล์ข้อมูลปี {2500 + i} " + "ยาว" * 20, "CSV", f"https://data.go.th/r/{i}.csv")
        for i in range(200)
    )
    details = Details(card(), "คำอธิบาย " * 500, ("วัด",), "Open Government License", resources, 200)
    [msg] = rt.render(Reply("รายละเอียดค่ะ", details=details, buttons=(Button("👍", "fb:up"),)))
    assert rt.tg_len(msg["text"]) <= rt.MAX_TEXT
    assert "https://data.go.th/r/0.csv" in msg["text"]
    assert "และอีก" in msg["text"]
    assert card().page_url not in re.sub(r"<[^>]+>", "", msg["text"])  # the title links there
    keyboard = msg["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["url"] == card().download_url
    assert keyboard[-1] == [{"text": "👍", "callback_data": "fb:up"}]


def test_inline_results_at_most_50_with_a_citation_line() -> None:
    cards = [card(i) for i in range(1, 80)]
    results = rt.inline_results(cards)
    assert len(results) == rt.MAX_INLINE_RESULTS
    first = results[0]
    assert first["type"] == "article" and first["id"] == "temple-registry-1"
    text = first["input_message_content"]["message_text"]
    assert text.endswith(
        "ที่มา: “ทะเบียนวัด &lt;จังหวัด&gt; นครราชสีมา &amp; อำเภอ”, สำนักงานพระพุทธศาสนาแห่งชาติ (พศ.), "
        "อัปเดต 31 ต.ค. 2564, https://data.go.th/dataset/temple-registry-1"
    )
    assert first["reply_markup"]["inline_keyboard"][0][0]["text"] == texts.LABEL_DOWNLOAD
    assert len({r["id"] for r in results}) == len(results)
    assert all(len(r["id"].encode()) <= 64 for r in results)


def test_thai_names_get_ascii_inline_ids() -> None:
    [result] = rt.inline_results([Card("ชื่อไทย", "t", "a", "", (), "", "https://data.go.th/d/x")])
    assert result["id"].isascii() and len(result["id"]) <= 64


def test_payloads_are_valid_bot_api_objects() -> None:
    """The channel sends the keyboard and preview options as this JSON (PTB ``api_kwargs``): they
    must read back through PTB's own models unchanged."""
    from telegram import InlineKeyboardMarkup, LinkPreviewOptions

    replies = [
        Reply("พบ 2 ชุดข้อมูลค่ะ", cards=(card(1), card(2)), quick_replies=(Button("ดูเพิ่มเติม", "p:next"),)),
        Reply("เลือกค่ะ", quick_replies=(Button("ค้นหา", "วัด", "text"), Button("👍", "fb:up"))),
    ]
    for msg in [m for r in replies for m in rt.render(r)]:
        markup = msg["reply_markup"]
        assert InlineKeyboardMarkup.de_json(markup, None).to_dict() == markup
        preview = msg["link_preview_options"]
        assert LinkPreviewOptions.de_json(preview, None).to_dict() == preview == {"is_disabled": True}
