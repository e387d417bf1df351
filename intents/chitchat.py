"""Recognising small talk: greetings, thanks, requests for help. Pure."""

from __future__ import annotations

import re

from index.text import normalize

__all__ = ["detect_chitchat"]

_GREETING = re.compile(r"^(สวัสดี|หวัดดี|ดีจ้า|ดีค่ะ|ดีครับ|hello|hi|hey|good (morning|afternoon|evening)|/start)")
_THANKS = re.compile(r"^(ขอบคุณ|ขอบใจ|thank|thx|ty\b|ขอบพระคุณ)")
_HELP = re.compile(
    r"^(/help|help|ช่วยด้วย|วิธีใช้|ใช้ยังไง|ใช้งานยังไง|ทำอะไรได้|ค้นอะไรได้)"
    r"|(ใช้ยังไง|ใช้อย่างไร|ใช้งานยังไง|ทำอะไรได้บ้าง|ค้นหาอะไรได้บ้าง|ค้นอะไรได้บ้าง|ช่วยอะไรได้บ้าง)"
)
_TAIL = re.compile(r"[\s!?.,~😊🙏👍❤️]*(ครับ|คับ|ค่ะ|คะ|จ้า|จ้ะ|นะ|มาก|มากๆ|ๆ|เลย|ได้ข้อมูลแล้ว|แล้ว|bot|บอท)*")


def detect_chitchat(text: str) -> str | None:
    """ "greeting", "thanks" or "help" when the whole message is small talk, else None."""
    t = normalize(text)
    if not t:
        return None
    if _HELP.search(t):
        return "help"
    for intent, pattern in (("greeting", _GREETING), ("thanks", _THANKS)):
        m = pattern.match(t)
        if m:
            rest = t[m.end() :]
            # "สวัสดีครับ ขอข้อมูลวัด" is a search that starts politely
            if len(_TAIL.sub("", rest).strip()) <= 3:
                return intent
    return None
