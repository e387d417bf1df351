"""Reply -> LINE messages: a fixed Reply's expected JSON, and every limit under stress."""

from __future__ import annotations

import json
from dataclasses import replace

from linebot.v3.messaging import ReplyMessageRequest

from bot.line import render as rl
from intents import payload, texts
from intents.types import Button, Card, Details, Reply, ResourceLink

LONG_THAI = "ข้อมูลสถิติจำนวนวัดที่ขึ้นทะเบียนจำแนกตามจังหวัดและอำเภอของกรมการศาสนา" * 6


LIST = "k7list"


def card(
    n: int = 1, title: str = "ทะเบียนวัด จังหวัดนครราชสีมา", buttons: tuple[Button, ...] | None = None
) -> Card:
    """A card as the conversation builds it: download, details of item n of list LIST, page."""
    page = f"https://data.go.th/dataset/temple-registry-{n}"
    download = f"https://data.go.th/dataset/temple-registry-{n}/resource/1/download/temples.csv"
    if buttons is None:
        buttons = (
            Button(texts.LABEL_DOWNLOAD, download, "url"),
            Button(texts.LABEL_DETAILS, payload.details(LIST, n)),
            Button(texts.LABEL_PAGE, page, "url"),
        )
    return Card(
        name=f"temple-registry-{n}",
        title=title,
        agency="สำนักงานพระพุทธศาสนาแห่งชาติ",
        updated="31 ต.ค. 2564",
        formats=("CSV", "XLSX"),
        description="รายชื่อวัดที่ขึ้นทะเบียน",
        page_url=f"https://data.go.th/dataset/temple-registry-{n}",
        download_url=f"https://data.go.th/dataset/temple-registry-{n}/resource/1/download/temples.csv",
        buttons=buttons,
        number=n,
    )


def test_search_reply_snapshot() -> None:
    reply = Reply(
        "พบ 1 ชุดข้อมูลค่ะ",
        cards=(card(),),
        quick_replies=(Button("ดูเพิ่มเติม", "p:next"), Button("ทะเบียนวัด เชียงใหม่", "ทะเบียนวัด เชียงใหม่", "text")),
    )
    messages = rl.render(reply)
    assert messages[0] == {"type": "text", "text": "พบ 1 ชุดข้อมูลค่ะ"}
    flex = messages[1]
    assert flex["type"] == "flex"
    assert flex["altText"] == "พบ 1 ชุดข้อมูลค่ะ\n1. ทะเบียนวัด จังหวัดนครราชสีมา (สำนักงานพระพุทธศาสนาแห่งชาติ)"
    bubble = flex["contents"]["contents"][0]
    body = bubble["body"]["contents"]
    assert body[0]["text"] == "1. ทะเบียนวัด จังหวัดนครราชสีมา"
    assert body[1]["text"] == "สำนักงานพระพุทธศาสนาแห่งชาติ"
    assert body[2]["text"] == "อัปเดต 31 ต.ค. 2564 · CSV, XLSX"
    actions = [b["action"] for b in bubble["footer"]["contents"]]
    assert actions == [
        {"type": "uri", "label": texts.LABEL_DOWNLOAD, "uri": card().download_url},
        {
            "type": "postback",
            "label": texts.LABEL_DETAILS,
            "data": "d:1@k7list",
            "displayText": f"{texts.LABEL_DETAILS} 1",
        },
        {"type": "uri", "label": texts.LABEL_PAGE, "uri": card().page_url},
    ]
    assert flex["quickReply"]["items"] == [
        {
            "type": "action",
            "action": {"type": "postback", "label": "ดูเพิ่มเติม", "data": "p:next", "displayText": "ดูเพิ่มเติม"},
        },
        {
            "type": "action",
            "action": {"type": "message", "label": "ทะเบียนวัด เชียงใหม่", "text": "ทะเบียนวัด เชียงใหม่"},
        },
    ]
    # the SDK accepts it as a reply
    ReplyMessageRequest.from_dict({"replyToken": "t", "messages": messages})


def test_card_buttons_from_the_conversation_are_used_and_page_is_always_there() -> None:
    own = (Button("ดาวน์โหลด", "https://x.example/f.csv", "url"), Button("รายละเอียด", "d:7"))
    bubble = rl.render(Reply("", cards=(card(buttons=own),)))[0]["contents"]["contents"][0]
    actions = [b["action"] for b in bubble["footer"]["contents"]]
    assert [a.get("uri") or a.get("data") for a in actions] == [
        "https://x.example/f.csv",
        "d:7",
        card().page_url,
    ]


def test_twenty_results_give_at_most_twelve_bubbles_and_five_messages() -> None:
    cards = tuple(card(i, LONG_THAI) for i in range(1, 21))
    reply = Reply("x" * 12_000, cards=cards, buttons=(Button("👍 มีประโยชน์", "fb:up"),))
    messages = rl.render(reply)
    assert len(messages) <= rl.MAX_MESSAGES
    flex = next(m for m in messages if m["type"] == "flex")
    bubbles = flex["contents"]["contents"]
    assert len(bubbles) <= rl.MAX_BUBBLES
    size = len(json.dumps(flex["contents"], ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= rl.MAX_CAROUSEL_BYTES
    assert len(flex["altText"]) <= rl.MAX_ALT_TEXT
    for m in messages:
        if m["type"] == "text":
            assert len(m["text"]) <= rl.MAX_TEXT
    # the feedback buttons survive as the last bubble
    assert bubbles[-1]["body"]["contents"][0]["action"]["data"] == "fb:up"
    ReplyMessageRequest.from_dict({"replyToken": "t", "messages": messages})


def test_quick_reply_limits() -> None:
    quick = tuple(Button(f"ตัวเลือกที่ยาวมากเกินยี่สิบตัวอักษร {i}", f"f:org:{i}") for i in range(20))
    quick += (Button("too long", "x" * 301), Button("a link", "https://data.go.th", "url"))
    [message] = rl.render(Reply("เลือกได้เลยค่ะ", quick_replies=quick))
    items = message["quickReply"]["items"]
    assert len(items) == rl.MAX_QUICK_REPLIES
    for item in items:
        assert len(item["action"]["label"]) <= rl.MAX_LABEL
        assert len(item["action"].get("data", "")) <= rl.MAX_POSTBACK_DATA
        assert item["action"]["type"] != "uri"


def test_details_bubble_lists_resources_within_limits() -> None:
    resources = tuple(
        ResourceLink(f"ไฟล์ปี {2550 + i}", "CSV", f"https://data.go.th/r/{i}.csv") for i in range(30)
    )
    details = Details(card(), "คำอธิบาย " * 200, ("วัด", "ศาสนา"), "Open Government License", resources, 30)
    messages = rl.render(Reply("รายละเอียดค่ะ", details=details, buttons=(Button("👍", "fb:up"),)))
    flex = messages[-1]
    bubble = flex["contents"]
    assert bubble["type"] == "bubble"
    links = [c for c in bubble["body"]["contents"] if "action" in c]
    assert len(links) == rl.DETAILS_RESOURCES
    assert links[0]["action"]["uri"] == "https://data.go.th/r/0.csv"
    assert any("อีก 22 ไฟล์" in c.get("text", "") for c in bubble["body"]["contents"])
    footer = [b["action"] for b in bubble["footer"]["contents"]]
    assert footer[0]["uri"] == card().download_url and footer[-1]["data"] == "fb:up"
    assert "รายละเอียด" not in flex["altText"] or len(flex["altText"]) <= rl.MAX_ALT_TEXT
    ReplyMessageRequest.from_dict({"replyToken": "t", "messages": messages})


def test_text_only_reply_puts_buttons_into_quick_replies() -> None:
    [message] = rl.render(Reply("สวัสดีค่ะ", buttons=(Button("ดูหน่วยงาน", "agencies"),)))
    assert message["quickReply"]["items"][0]["action"]["data"] == "agencies"


def test_unsafe_urls_are_not_buttons() -> None:
    bad = Card("n", "t", "a", "", (), "", "javascript:alert(1)", "ftp://x/y", number=1)
    assert "footer" not in rl.render(Reply("", cards=(bad,)))[0]["contents"]["contents"][0]
    details = Button(texts.LABEL_DETAILS, payload.details(LIST, 1))
    bad = replace(bad, buttons=(Button("x", "javascript:alert(1)", "url"), details))
    bubble = rl.render(Reply("", cards=(bad,)))[0]["contents"]["contents"][0]
    assert [b["action"]["type"] for b in bubble["footer"]["contents"]] == ["postback"]
