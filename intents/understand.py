"""What a message wants: one Intent from its text or button payload. Pure.

Button payloads are read by intents.payload (the one place that builds and parses them); a
payload that names a list carries its id in ``Intent.list_id``, resolved later against the chat's
stored lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import normalize

from . import payload
from .chitchat import detect_chitchat
from .payload import MAX_PAYLOAD_BYTES

__all__ = ["MAX_PAYLOAD_BYTES", "Intent", "detect", "parse_postback"]

_ORDINALS = {
    "แรก": 1,
    "หนึ่ง": 1,
    "สอง": 2,
    "สาม": 3,
    "สี่": 4,
    "ห้า": 5,
    "หก": 6,
    "เจ็ด": 7,
    "แปด": 8,
    "เก้า": 9,
    "สิบ": 10,
    "first": 1,
    "second": 2,
    "third": 3,
}
_PARTICLES = r"(?:\s*(?:หน่อย|ครับ|คับ|ค่ะ|คะ|จ้า|จ้ะ|นะ|ด้วย|please|pls))*"
_NUMBER = r"(\d{1,2}|" + "|".join(_ORDINALS) + ")"
_DETAILS_MARKED = re.compile(
    r"^(?:ขอ|ดู|เปิด|show|details?|info)?\s*(?:ดู)?\s*(?:รายละเอียด|ข้อมูล)?\s*(?:ของ)?\s*"
    r"(?:อัน|ตัว|ชุด|รายการ|ข้อ|ลำดับ|เบอร์|no\.?|#|item|number)\s*(?:ที่)?\s*" + _NUMBER + _PARTICLES + "$"
)
_DETAILS_WORD = re.compile(r"^(?:ขอ|ดู)?\s*รายละเอียด\s*(?:ที่)?\s*" + _NUMBER + _PARTICLES + "$")
#: the item first, then what is wanted of it: "อันที่สองขอรายละเอียดหน่อย", "ตัวที่ 3 ขอดูค่ะ"
_DETAILS_ITEM_FIRST = re.compile(
    r"^(?:อัน|ตัว|ชุด|รายการ|ข้อ|ลำดับ|เบอร์)\s*(?:ที่)?\s*"
    + _NUMBER
    + r"\s*(?:ขอ|ดู|เปิด)\s*(?:ดู)?\s*(?:รายละเอียด|ข้อมูล)?"
    + _PARTICLES
    + "$"
)
_BARE_NUMBER = re.compile(r"^(\d{1,2})" + _PARTICLES + "$")
_MORE = re.compile(
    r"^(?:/more|more|next|เพิ่มเติม|ดูเพิ่ม|ดูเพิ่มเติม|ขอเพิ่ม|ขอเพิ่มเติม|ขออีก|อีก|มีอีกไหม|มีอีกมั้ย"
    r"|มีอีกไหม|ถัดไป|หน้าถัดไป|ต่อ|ดูต่อ|หน้าต่อไป|show more|more results)" + _PARTICLES + "$"
)
_AGENCIES = re.compile(
    r"^(?:/agencies|agencies|หน่วยงาน|รายชื่อหน่วยงาน|หน่วยงานทั้งหมด|ดูหน่วยงาน|มีหน่วยงานอะไรบ้าง"
    r"|หน่วยงานอะไรบ้าง)" + _PARTICLES + "$"
)
_LATEST = re.compile(
    r"^(?:/latest|latest|new|ล่าสุด|ใหม่ล่าสุด|ข้อมูลล่าสุด|ชุดข้อมูลล่าสุด|ข้อมูลใหม่|ชุดข้อมูลใหม่"
    r"|อัปเดตล่าสุด|อัพเดทล่าสุด)" + _PARTICLES + "$"
)

_UNFOLLOW = re.compile(
    r"^(?:/unfollow|unfollow|เลิกติดตาม|ยกเลิกการติดตาม|ยกเลิกติดตาม)(?:\s*เรื่อง)?\s*(.*?)" + _PARTICLES + "$"
)
_UNFOLLOW_ALL = re.compile(r"^(?:ทั้งหมด|ทุกเรื่อง|all)$")
_FOLLOWING = re.compile(
    r"^(?:/following|following|รายการที่ติดตาม|รายการติดตาม|เรื่องที่ติดตาม|ติดตามอะไรอยู่(?:บ้าง)?"
    r"|ติดตามเรื่องอะไรอยู่(?:บ้าง)?|ดูที่ติดตาม)" + _PARTICLES + "$"
)
#: "ติดตาม ค่าฝุ่น", "ติดตามเรื่องค่าฝุ่น", "/follow pm2.5"; not "ติดตามผลการเลือกตั้ง" (a search: monitoring)
_FOLLOW = re.compile(r"^(?:(?:/follow|follow|ขอติดตาม|ติดตาม)(?:\s*เรื่อง\s*|\s+)(.+)|/follow|ติดตาม)$")


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    #: the item number, facet, index or feedback value, as the handler needs it
    arg: str = ""
    #: True when the intent came from a button, False when typed
    button: bool = False
    #: the list the button was shown with ("" when typed or not about a list)
    list_id: str = ""


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _ORDINALS[word]


#: button actions answered by another intent's handler ("not what I meant" -> the fallback)
POSTBACK_ALIASES = {"not_meant": "fallback"}


def parse_postback(data: str) -> Intent:
    """A button payload -> Intent; anything unknown or malformed -> "stale"."""
    p = payload.decode(data)
    if p is None:
        return Intent("stale")
    if p.action in POSTBACK_ALIASES:
        return Intent(POSTBACK_ALIASES[p.action], button=True)
    return Intent(p.action, p.arg, button=True, list_id=p.list_id)


def detect(text: str, postback: str = "", *, has_list: bool = False) -> Intent:
    """The one intent of a message. ``has_list`` says whether the chat has a list on screen, which
    turns a bare "2" into "details of item 2" instead of a search for 2."""
    if postback:
        return parse_postback(postback)
    t = normalize(text)
    if not t:
        return Intent("empty")
    chat = detect_chitchat(t, after_answer=has_list)
    if chat:
        return Intent(chat)
    m = _UNFOLLOW.match(t)
    if m:
        rest = m.group(1).strip()
        return Intent("unfollow_text", "all" if _UNFOLLOW_ALL.match(rest) else rest)
    if _FOLLOWING.match(t):
        return Intent("following")
    m = _FOLLOW.match(t)
    if m:
        return Intent("follow_query", (m.group(1) or "").strip())
    if _MORE.match(t):
        return Intent("more")
    if _AGENCIES.match(t):
        return Intent("agencies", "0")
    if _LATEST.match(t):
        return Intent("latest")
    m = _DETAILS_MARKED.match(t) or _DETAILS_WORD.match(t) or _DETAILS_ITEM_FIRST.match(t)
    if m:
        return Intent("details", str(_number(m.group(1))))
    m = _BARE_NUMBER.match(t)
    if m and has_list:
        return Intent("details", m.group(1))
    return Intent("search", text.strip())
