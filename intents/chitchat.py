"""Recognising small talk by the kinds of words in it: greetings, thanks, requests for help. Pure.

A message is small talk when every word in it is of a small-talk kind: greeting words, gratitude
and praise words, help/usage words (with a question or a request), words about the bot, and the
words that keep them company ("มากๆ", "มีใครอยู่ไหม", "ได้ไฟล์แล้ว"); particles, emoji and laughter
("555", "ฮ่าๆ") are set aside first. One word of anything else (a topic: "วัด", "โรงพยาบาล") makes it
a search: a polite start ("สวัสดีค่ะ ขอข้อมูลวัด") does not hide a request.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.lexicon import lexicon
from index.text import has_thai, normalize, plain_tokenizer, strip_tones, tokenize

__all__ = ["detect_chitchat"]

_DATA = Path(__file__).parent / "data" / "smalltalk.txt"


@lru_cache(maxsize=1)
def kinds() -> dict[str, frozenset[str]]:
    """The word lists of intents/data/smalltalk.txt, by kind ("particles", "greeting", ...)."""
    out: dict[str, set[str]] = {}
    kind = ""
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            kind = line[1:-1]
            out.setdefault(kind, set())
        else:
            out[kind].update(normalize(w) for w in line.split())
    return {k: frozenset(v) for k, v in out.items()}


#: greetings and thanks as one run of letters, which the tokeniser may cut (หวัด|ดี)
_OPENING = re.compile(r"^(สวัสดี|หวัดดี|ฮัลโหล|ฮัลโล|ฮาโหล|ฮาโล|อรุณสวัสดิ์|ดีจ้า|ยูฮู้ว|ยูฮู้|ยูฮู|/start)")
_THANKS = "(ขอบคุณ|ขอบใจ|ขอบพระคุณ|แต๊งกิ้ว|แต้งกิ้ว|เทงกิ้ว)"
_THANKS_OPENING = re.compile("^" + _THANKS)
_THANKS_ANYWHERE = re.compile(_THANKS)
_LAUGHTER = re.compile(r"(?<![0-9])5{3,}(?![0-9])|(?:ฮ่า|ฮา)(?:ฮ่า|ฮา|ๆ|\s)*|(?:ha){2,}|\blol\b|อิอิ|คิคิ|ๆ")
_PUNCT = re.compile(r"[!?.,~:;()\[\]\"'“”…]+")
#: a letter typed three or more times for warmth ("ฮัลโหลลล", "แต๊งกิ้ววว") counts once
_STRETCHED = re.compile(r"(\D)\1{2,}")
_DOUBLED = re.compile(r"(\D)\1+")
#: the shortest greeting or thanks that may be matched with one letter wrong
_FUZZY_MIN = 5
#: the longest run of tokens a word or phrase of the word lists may have been cut into ("ได้|แล้ว",
#: "เฮ|ล|โหล", "คร้าบ|บ")
_PHRASE_TOKENS = 4


def _symbol(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Cs") or ch in "\u200d\ufe0f"


def _strip_symbols(text: str) -> str:
    """Emoji, pictographs and their joiners out; Thai marks (category Mn) stay."""
    return "".join(" " if _symbol(ch) else ch for ch in text)


def _emoji(text: str, after_answer: bool = False) -> str | None:
    """What the emoji of a message say by their Unicode names (smalltalk.txt's [emoji-greeting] and
    [emoji-thanks]: a waving hand, a thumbs up, a heart): "greeting", "thanks" or None. A wai
    ([emoji-either]) is thanks after an answer, a greeting before one."""
    k = kinds()
    names = {w for ch in text if _symbol(ch) for w in unicodedata.name(ch, "").lower().split()}
    if names & k["emoji-thanks"] or (after_answer and names & k["emoji-either"]):
        return "thanks"
    if names & (k["emoji-greeting"] | k["emoji-either"]):
        return "greeting"
    return None


@lru_cache(maxsize=1)
def _fillers() -> frozenset[str]:
    return lexicon().fillers


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Every word and phrase of the small-talk word lists."""
    return frozenset().union(*kinds().values())


@lru_cache(maxsize=1)
def _toneless() -> dict[str, str]:
    """The word lists' words by their spelling without tone marks."""
    return {strip_tones(w): w for w in sorted(_vocabulary())}


def _known(word: str) -> str:
    """A word of the word lists as typed, with its doubled letters once ("hii", "คร้าบบ"), or
    with other tone marks ("เฮลโล่", "ขอบคุณค๊ะ"); else the word as typed."""
    vocabulary = _vocabulary()
    if word in vocabulary:
        return word
    single = _DOUBLED.sub(r"\1", word)
    if single in vocabulary:
        return single
    toneless = _toneless().get(strip_tones(single))
    if toneless:
        return toneless
    # a greeting or thanks misspelt by one letter (สวัดดี, ขอบคุง): long words only, so a short
    # topic word is never taken for one
    if len(single) >= _FUZZY_MIN and has_thai(single):
        near = process.extractOne(single, _courtesy(), scorer=Levenshtein.distance, score_cutoff=1)
        if near:
            return str(near[0])
    return word


@lru_cache(maxsize=1)
def _courtesy() -> list[str]:
    k = kinds()
    return sorted(w for w in k["greeting"] | k["gratitude"] if len(w) >= _FUZZY_MIN and has_thai(w))


def _phrases(tokens: list[str]) -> list[str]:
    """Tokens joined back into the word lists' phrases the tokeniser cut ("ได้|แล้ว" -> "ได้แล้ว",
    "เป็น|ไง|บ้าง" -> "เป็นไงบ้าง"), longest first."""
    vocabulary = _vocabulary()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(_PHRASE_TOKENS, len(tokens) - i), 1, -1):
            joined = _known("".join(tokens[i : i + n]))
            if joined in vocabulary:
                out.append(joined)
                i += n
                break
        else:
            word = _known(tokens[i])
            parts = [] if word in vocabulary else plain_tokenizer().pieces(word)
            # a compound of the word lists' words (เมนูหลัก): its words
            out.extend(parts if parts and all(p in vocabulary for p in parts) else [word])
            i += 1
    return out


def _clean(text: str) -> str:
    """Emoji, laughter and punctuation out, stretched letters once, thanks cut loose."""
    t = _STRETCHED.sub(r"\1", _strip_symbols(text))
    t = _THANKS_ANYWHERE.sub(r" \1 ", t)  # "ขอบคุณค่า" is not ขอบ|คุณค่า
    t = _LAUGHTER.sub(" ", t)
    return _PUNCT.sub(" ", t).strip()


def _words(text: str) -> list[str]:
    return _phrases([w.strip() for w in tokenize(normalize(_clean(text)), normalized=True) if w.strip()])


def detect_chitchat(text: str, *, after_answer: bool = False) -> str | None:
    """ "greeting", "thanks" or "help" when the whole message is small talk, else None.
    ``after_answer``: the chat has a list on screen (a wai then thanks for it)."""
    t = _STRETCHED.sub(r"\1", normalize(text))
    if not t:
        return None
    if t.startswith("/help"):
        return "help"
    k = kinds()
    asked = "?" in t
    emoji = _emoji(t, after_answer)
    t = normalize(_clean(t))
    opening = _OPENING.match(t) or _THANKS_OPENING.match(t)
    rest = t[opening.end() :] if opening else t
    words = [w for w in _words(rest) if w not in k["particles"]]
    greeting = bool(opening and _OPENING.match(t)) or any(w in k["greeting"] for w in words)
    greeting = greeting or bool(words and words[0] in ("ดี", "ดีจ้า"))
    thanks = bool(opening and _THANKS_OPENING.match(t)) or any(w in k["gratitude"] for w in words)
    if not words:
        if greeting or thanks:
            return "greeting" if greeting else "thanks"
        return emoji or ("help" if asked else None)  # "??": what can I do here?
    praise = any(w in k["praise"] for w in words)
    # question particles are particles too (บ่): look for them before particles were set aside
    question = asked or any(w in k["question"] for w in _words(rest))
    # calling the bot, or asking whether anyone is there ("น้องบอทจ๋า", "มีใครอยู่ไหม"): a hello
    hail = all(w in k["bot"] or w in k["presence"] or w in k["question"] for w in words) and any(
        w in k["bot"] or w in k["presence"] for w in words
    )
    greeting = greeting or hail or (emoji == "greeting" and not question)
    thanks = thanks or (emoji == "thanks" and not question)
    about_bot = any(w in k["bot"] for w in words) or "ข้อมูล" in words
    service = question and any(w in k["service"] for w in words)
    help_ = (
        any(w in k["help-request"] for w in words)
        or (question and any(w in k["help"] for w in words))
        or (question and about_bot and not greeting and "ใคร" not in words)
        or ("วิธี" in words and any(w in k["usage"] for w in words))
        or service
    )

    allowed = k["greeting"] | k["gratitude"] | k["praise"] | k["bot"] | k["particles"]
    if help_:
        allowed |= k["help"] | k["help-request"] | k["question"] | k["with-help"] | k["service"]
    if thanks or praise:
        allowed |= k["with-thanks"]
    if greeting:
        allowed |= k["with-greeting"] | k["question"] | k["presence"]
    fillers = _fillers()

    def small(w: str) -> bool:  # a word of these kinds, or a compound of them ("ได้ที่")
        parts = plain_tokenizer().pieces(w)
        return (
            w in allowed or w in fillers or (bool(parts) and all(p in allowed or p in fillers for p in parts))
        )

    topic = [w for w in words if not small(w)]
    if topic and not (greeting and words[0] == "ดี" and topic == ["ดี"]):
        return None
    if thanks and not help_:
        return "thanks"
    if help_:
        return "help"
    if praise and not greeting:
        return "thanks"  # "เยี่ยมเลยครับ", "โอเคค่ะ": an answer was good; say you're welcome
    if greeting:
        return "greeting"
    return None


def chat_signal(text: str) -> str | None:
    """The small talk a message carries even when other words come with it ("ขอบพระคุณอย่างสูง
    ครับ ช่วยงานข่าวได้เยอะเลย", "สวัสดีตอนเย็นครับ ทำงานเลิกแล้ว"): "thanks", "greeting" or
    "help", or None. Only a hint: the router answers it as small talk when the message has no
    topic the catalog answers (see Conversation._route)."""
    t = _STRETCHED.sub(r"\1", normalize(text))
    if not t:
        return None
    k = kinds()
    words = _words(t)
    if _THANKS_OPENING.match(t) or any(w in k["gratitude"] for w in words):
        return "thanks"
    if _OPENING.match(t) or any(w in k["greeting"] for w in words):
        return "greeting"
    # how to use the bot, said in words only such a question has ("แนะนำ" alone recommends a
    # restaurant as often as it asks for help)
    meta = (k["usage"] - {"ใช้", "use"}) | k["meta"]  # "ต้องใช้เอกสารอะไร" is no question about us
    if any(w in meta for w in words):
        return "help"
    asked = "?" in t or any(w in k["question"] for w in words)
    if asked and any(w in k["bot-name"] for w in words) and "ใคร" not in words:  # who we are is no help
        return "help"
    return None
