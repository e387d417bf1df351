"""Recognising small talk: greetings, thanks, requests for help. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

from index.lexicon import lexicon
from index.text import normalize, tokenize

__all__ = ["detect_chitchat"]

_GREETING = re.compile(r"^(สวัสดี|หวัดดี|ดีจ้า|ดีค่ะ|ดีครับ|hello|hi|hey|good (morning|afternoon|evening)|/start)")
_THANKS = re.compile(r"^(ขอบคุณ|ขอบใจ|thank|thx|ty\b|ขอบพระคุณ)")
_HELP = re.compile(
    r"^(/help|help|ช่วยด้วย|วิธีใช้|ใช้ยังไง|ใช้งานยังไง|ทำอะไรได้|ค้นอะไรได้)"
    r"|(ใช้ยังไง|ใช้อย่างไร|ใช้งานยังไง|ทำอะไรได้บ้าง|ค้นหาอะไรได้บ้าง|ค้นอะไรได้บ้าง|ช่วยอะไรได้บ้าง)"
)
_TAIL = re.compile(r"[\s!?.,~😊🙏👍❤️]*(ครับ|คับ|ค่ะ|คะ|จ้า|จ้ะ|นะ|มาก|มากๆ|ๆ|เลย|ได้ข้อมูลแล้ว|แล้ว|bot|บอท)*")


@lru_cache(maxsize=1)
def _small_talk_words() -> frozenset[str]:
    """Words that can follow a greeting or thanks without making it a request."""
    extra = {"there", "everyone", "all", "guys", "bot", "บอท", "น้อง", "ทุกคน", "จ้า", "นะคะ", "นะครับ"}
    return lexicon().fillers | extra


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
            rest = _TAIL.sub("", t[m.end() :]).strip()
            # "สวัสดีครับ ขอข้อมูลวัด" is a search that starts politely; "hi there" is not
            if len(rest) <= 3 or all(w in _small_talk_words() for w in tokenize(rest, normalized=True)):
                return intent
    return None
