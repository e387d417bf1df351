"""Reply -> Telegram payloads: a fixed Reply's expected JSON, and every limit under stress."""

from __future__ import annotations

from bot import render_telegram as rt
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
        "<b>1. ทะเบียนวัด &lt;จังหวัด&gt; นครราชสีมา &amp; อำเภอ</b>\n"
        "สำนักงานพระพุทธศาสนาแห่งชาติ (พศ.)\n"
        "อัปเดต 31 ต.ค. 2564 · CSV\n"
        "<i>รายชื่อวัด</i>\n"
        '<a href="https://data.go.th/dataset/temple-registry-1">https://data.go.th/dataset/temple-registry-1</a>'
    )
    assert msg["reply_markup"]["inline_keyboard"] == [
        [
            {"text": f"1. {texts.LABEL_DOWNLOAD}", "url": card().download_url},
            {"text": f"1. {texts.LABEL_DETAILS}", "callback_data": "d:1@k7list"},
            {"text": "1. data.go.th", "url": card().page_url},
        ],
        [{"text": "ดูเพิ่มเติม", "callback_data": "p:next"}],
    ]


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
    assert len(messages[-1]["reply_markup"]["inline_keyboard"]) == 20


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
