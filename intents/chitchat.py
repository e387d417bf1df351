"""Recognising small talk: greetings, thanks, requests for help. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

from index.lexicon import lexicon
from index.text import normalize, tokenize

__all__ = ["detect_chitchat"]

#: particles as chat spells them, also after normalize() shortened "ค่าาา" to "ค่า"
_PARTICLE = r"(ค่ะ|ค่า|คะ|ครับ|คับ|ค้าบ|คร้าบ|จ้า|จ้ะ|ฮะ|ฮับ|งับ)"
_GREETING = re.compile(
    rf"^(สวัสดี|หวัดดี|อรุณสวัสดิ์|ดีจ้า|ดี{_PARTICLE}|hello|hi|hey|good (morning|afternoon|evening)|/start)"
)
_THANKS = re.compile(r"^(ขอบคุณ|ขอบใจ|thanks?|thx|ty\b|ขอบพระคุณ|แต๊งกิ้ว|แต้งกิ้ว|เทงกิ้ว)")
_HELP = re.compile(
    r"^(/help|help|ช่วยด้วย|วิธีใช้|วิธีค้นหา|ใช้ยังไง|ใช้งานยังไง|ทำอะไรได้|ค้นอะไรได้)"
    r"|^(น้อง|บอท|น้องบอท)?\s*มีข้อมูลอะไร\s*(ให้)?\s*(ได้)?\s*บ้าง"
    r"|(ช่วย|ค้นหา|ค้น|หา|ทำ)\s*(ข้อมูล)?\s*อะไร\s*(ได้)?\s*บ้าง"
    r"|(พิมพ์|ค้นหา|ค้น|ถาม|ใช้งาน|ใช้)\s*(ยังไง|อย่างไร|ไง)"
    r"|what can you do|how (do|can) i (use|search)|how to (use|search)"
)
_TAIL = re.compile(r"[\s!?.,~😊🙏👍❤️]*(ครับ|คับ|ค่ะ|คะ|จ้า|จ้ะ|นะ|มาก|มากๆ|ๆ|เลย|ได้ข้อมูลแล้ว|แล้ว|bot|บอท)*")
#: praise or "got it", alone or before thanks ("เยี่ยมเลย ขอบคุณครับ", "ได้แล้วค่ะ ขอบคุณนะคะ")
_PRAISE = re.compile(
    r"^(เยี่ยม|สุดยอด|เก่งมาก|ดีมาก|ได้แล้ว|เจอแล้ว|great|awesome|perfect|nice|cool|โอเค|ok(ay)?)[\s!.,]*(เลย|มาก|ครับ|ค่ะ|จ้า)*[\s!.,]*"
)
#: besides fillers, what may follow each without making it a request
_COMPANIONS = {
    # "ดีครับ มีใครอยู่มั้ย", "hi there"
    "greeting": frozenset(
        {"ใคร", "อยู่", "ว่าง", "ตอนเช้า", "ตอนสาย", "ตอนบ่าย", "ตอนเย็น", "ยามเช้า", "เช้า", "บ่าย", "เย็น"}
        | {"there", "anyone", "everyone", "all", "guys", "you", "morning"}
    ),
    # "ขอบใจมากนะ ได้ไฟล์แล้ว", "thank you so much for the data"
    "thanks": frozenset(
        {
            "มาก",
            "เลย",
            "แล้ว",
            "เจอ",
            "ไฟล์",
            "ข้อมูล",
            "ครบ",
            "ได้ที่",
            "ต้องการ",
            "เรียบร้อย",
            "ตามที่",
            "ช่วย",
            "ที่",
            "สำหรับ",
            "จริงๆ",
            "ประโยชน์",
            "you",
            "so",
            "much",
            "very",
            "for",
            "the",
            "data",
            "help",
            "your",
            "a",
            "lot",
        }
    ),
}


@lru_cache(maxsize=1)
def _small_talk_words() -> frozenset[str]:
    """Words that can follow a greeting or thanks without making it a request."""
    extra = {"bot", "บอ", "ท", "ทุกคน", "จ้า"}  # บอ|ท: how newmm splits บอทนี้
    return lexicon().fillers | extra


def detect_chitchat(text: str) -> str | None:
    """ "greeting", "thanks" or "help" when the whole message is small talk, else None."""
    t = normalize(text)
    if not t:
        return None
    if _HELP.search(t):
        return "help"
    praise = _PRAISE.match(t)
    if praise and not _TAIL.sub("", t[praise.end() :]):
        return "thanks"  # "เยี่ยมเลยครับ", "โอเคค่ะ": an answer was good; say you're welcome
    for intent, pattern in (("greeting", _GREETING), ("thanks", _THANKS)):
        said = t[praise.end() :] if intent == "thanks" and praise else t
        m = pattern.match(said)
        if m:
            rest = said[m.end() :]
            # "สวัสดีครับ ขอข้อมูลวัด" is a search that starts politely; "hi there" is not
            allowed = _small_talk_words() | _COMPANIONS[intent]
            words = [
                w for w in tokenize(rest, normalized=True) if w.strip(" !?.,~") and not _TAIL.fullmatch(w)
            ]
            if len(_TAIL.sub("", rest)) <= 3 or all(w in allowed for w in words):
                return intent
    return None
