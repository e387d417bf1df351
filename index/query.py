"""Understanding a query: from what a user typed to weighted concepts and entities.

A concept is one thing the user asked about, with every way the catalog may say it: the word as
typed, its catalog spelling after typo correction, the formal term for an everyday word, the Thai
for an English word, an acronym's full name. Pure: the vocabulary is passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pythainlp.util import thaiword_to_num
from rapidfuzz.distance import Levenshtein

from .entities import find_entities
from .lexicon import Lexicon
from .text import (
    Tokenizer,
    english_stem,
    has_thai,
    loose_spelling,
    normalize,
    plain_tokenizer,
    singular,
    strip_tones,
    thai_sound,
)

__all__ = ["Concept", "ParsedQuery", "Vocabulary", "parse_query"]

_MAX_NGRAM = 4
#: a Thai token in at most this many datasets may be a typo of a commoner word
_RARE_DF = 2
_LATIN_WORD = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
#: words of thanks and greeting, which no catalog word holds inside it (tests check the catalog)
COURTESY = re.compile(r"(สวัสดี|ขอบคุณ|ขอบพระคุณ|ขอบใจ|แต๊งกิ้ว|แต้งกิ้ว|เทงกิ้ว)")
#: words that link the parts of a phrase ("ที่ปรึกษา ใน พระมหากษัตริย์"): a synonym key is also
#: read with up to _MAX_LINKS of them inside it
LINKS = frozenset({"ใน", "ของ", "ที่", "แห่ง", "และ", "กับ", "หรือ", "ตาม", "สำหรับ", "เพื่อ"})
_MAX_LINKS = 2
#: a Thai consonant typed twice in a row
_DOUBLED_THAI = re.compile(r"((?!ร)[ก-ฮ])\1")  # not ร: รร is how Thai writes -an (ธรรม)


@dataclass(frozen=True, slots=True)
class Concept:
    text: str
    #: each alternative is a tuple of tokens that must all occur
    alts: tuple[tuple[str, ...], ...]
    weight: float
    kind: str = "word"
    #: how many of the first alternatives are what the user literally typed; the rest (synonyms,
    #: translations, expansions) count a little less, so the literal word wins a tie
    literal: int = 1


#: a match through a synonym or translation counts this much of a literal match
ALT_DISCOUNT = 0.9
#: concepts said in other words than the catalog's (a table maps them to its names)
_SAID_OTHERWISE = frozenset({"synonym", "acronym", "english", "taught"})
#: a word for the form or scope of the data (lexicon genre.txt) weighs this share of its rarity
GENRE_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    raw: str
    normalized: str
    concepts: tuple[Concept, ...]
    provinces: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    fiscal: frozenset[int] = frozenset()
    #: what we understood, when it differs from what was typed (typo, keyboard layout)
    corrected: str = ""
    unknown: tuple[str, ...] = ()
    key: str = ""
    #: the value of the moment is asked (รายชั่วโมง, real-time): a period few datasets hold
    live: bool = False
    #: a timetable is asked (ตารางเวลารถไฟ): a kind of data few datasets are
    timetable: bool = False

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.provinces and not self.years and not self.months


@dataclass(slots=True)
class Vocabulary:
    """What the index knows: token document frequencies and the catalog size."""

    df: Mapping[str, int]
    size: int
    correct: Callable[[str], str | None] = field(default=lambda w: None)
    #: how much a token can be what a query is about, 0..1 (see SearchEngine._topicness)
    topicness: Callable[[str], float] = field(default=lambda w: 1.0)
    #: words of the same meaning that the catalog uses, for a word it does not (SearchEngine._related)
    related: Callable[[str], tuple[str, ...]] = field(default=lambda w: ())
    #: how the index cut its text: queries are cut the same way
    words: Tokenizer = field(default_factory=plain_tokenizer)
    #: general Thai uses the word (a corpus frequency): a real word, never a misspelling
    usual: Callable[[str], bool] = field(default=lambda w: False)
    #: the word names people (the Thai WordNet): who is asking, when the catalog lacks it
    person: Callable[[str], bool] = field(default=lambda w: False)

    def idf(self, token: str) -> float:
        n = self.df.get(token, 0)
        if n == 0:
            parts = self.words.pieces(token)
            if parts and all(p in self.df for p in parts):
                n = max(1, min(self.df[p] for p in parts) // 2)
        return math.log(1 + (self.size + 1) / (n + 0.5))

    def known_compound(self, token: str) -> bool:
        parts = self.words.pieces(token)
        return bool(parts) and all(self.df.get(p, 0) > _RARE_DF for p in parts)

    def known(self, token: str) -> bool:
        if token in self.df:
            return True
        parts = self.words.pieces(token)
        return bool(parts) and all(p in self.df for p in parts)


def _lookup_ngrams(
    tokens: Sequence[str], used: set[int], lex: Lexicon, extra_synonyms: Mapping[str, Sequence[str]]
) -> list[tuple[int, int, str, tuple[str, ...], tuple[str, ...]]]:
    """Spans of tokens that a table knows: (start, end, kind, alternatives as phrases, the words
    of the key as typed)."""
    found = []
    is_latin = [_LATIN_WORD.match(t) is not None for t in tokens]
    is_digits = [t.isdigit() for t in tokens]
    i = 0
    while i < len(tokens):
        hit = None
        for span in range(min(_MAX_NGRAM, len(tokens) - i), 0, -1):
            if not used.isdisjoint(range(i, i + span)):
                continue
            window = tokens[i : i + span]
            if span == 1 and window[0] in lex.fillers:
                continue
            latin = all(is_latin[i : i + span]) and not all(is_digits[i : i + span])
            key = " ".join(window) if latin else "".join(window)
            if latin:
                key_s = " ".join(singular(t) for t in window)
                stems = " ".join(english_stem(t) for t in window)
                if key_s in lex.glossary or key in lex.glossary:
                    hit = (i, i + span, "english", lex.glossary.get(key_s) or lex.glossary[key])
                elif stems in lex.glossary_stems and not all(t.isdigit() for t in window):
                    hit = (i, i + span, "english", lex.glossary_stems[stems])
                elif span == 1 and key in lex.acronyms:
                    hit = (i, i + 1, "acronym", (lex.acronyms[key],))
                elif span == 1 and key in lex.loanwords:
                    hit = (i, i + 1, "english", lex.loanwords[key])
            elif key in extra_synonyms:
                hit = (i, i + span, "taught", tuple(extra_synonyms[key]))
            elif key in lex.synonyms:
                hit = (i, i + span, "synonym", lex.synonyms[key])
            elif key in lex.acronyms and span == 1:
                hit = (i, i + 1, "acronym", (lex.acronyms[key],))
            if hit:
                break
        own = tuple(tokens[hit[0] : hit[1]]) if hit else ()
        if hit is None and not is_latin[i] and tokens[i] not in LINKS and i not in used:
            hit = _linked(tokens, i, used, extra_synonyms, lex.synonyms)
            own = tuple(t for t in tokens[hit[0] : hit[1]] if t not in LINKS) if hit else ()
        if hit:
            start, end, kind, phrases = hit
            # one more step: an acronym's or a word's expansion may itself have a catalog synonym
            more = tuple(alt for p in phrases for alt in lex.synonyms.get(p.replace(" ", ""), ()))
            found.append((start, end, kind, tuple(dict.fromkeys(phrases + more)), own))
            i = end
        else:
            i += 1
    return found


def _linked(
    tokens: Sequence[str],
    i: int,
    used: set[int],
    *tables: Mapping[str, Sequence[str]],
) -> tuple[int, int, str, tuple[str, ...]] | None:
    """A Thai synonym key said with a linking word inside it (ที่ปรึกษา|ใน|พระมหากษัตริย์ for the
    key ที่ปรึกษาพระมหากษัตริย์, รถ|ที่|ขน|สารเคมี): the span, links included, read as the key."""
    content, j, skipped = [i], i + 1, 0
    while j < len(tokens) and len(content) < _MAX_NGRAM and j not in used:
        if tokens[j] in LINKS:
            if skipped == _MAX_LINKS:
                break
            skipped += 1
        elif _LATIN_WORD.match(tokens[j]):
            break
        else:
            content.append(j)
        j += 1
    for n in range(len(content), 1, -1):
        if content[n - 1] - i + 1 == n:
            continue  # no link inside: the plain windows were tried already
        key = "".join(tokens[c] for c in content[:n])
        for kind, table in zip(("taught", "synonym"), tables, strict=True):
            if key in table:
                return i, content[n - 1] + 1, kind, tuple(table[key])
    return None


def _recut(joined: str, fixed: str, words: Tokenizer) -> bool:
    """``joined`` is ``fixed`` followed or preceded by a dictionary word: a misplaced cut."""
    rest = joined.removeprefix(fixed) if joined.startswith(fixed) else joined.removesuffix(fixed)
    return rest != joined and (words.is_word(rest) or rest.isdigit())


def _silent_slip(typed: str, word: str) -> bool:
    """``typed`` differs from ``word`` in a silent letter (under the thanthakhat), not only in tone."""
    return loose_spelling(typed) == loose_spelling(word) and strip_tones(typed) != strip_tones(word)


def _repair(
    tokens: Sequence[str],
    i: int,
    used: set[int],
    vocab: Vocabulary,
    suspicious: Sequence[bool],
    particles: frozenset[str] = frozenset(),
) -> tuple[int, str] | None:
    """A misspelling, or a word the tokeniser broke apart, starting at token i: the span it
    covers and the catalog word it means. Windows of four tokens down to one are tried, each
    only when it holds an unknown or barely-known token (``suspicious``, one flag per token)."""
    for span in (4, 3, 2, 1):
        window = tokens[i : i + span]
        if len(window) < span or not used.isdisjoint(range(i, i + span)):
            continue
        joined = "".join(window)
        if span > 1 and not any(t in particles for t in window):
            # a key pressed twice (อัตตรา): the tokeniser cuts it into real words (อัต|ตรา), so no
            # token looks misspelt; the word without the doubled letter is the catalog's
            single = _DOUBLED_THAI.sub(r"\1", joined)
            if single != joined and vocab.df.get(single, 0) > _RARE_DF and not vocab.words.is_word(joined):
                return span, single
        if not any(suspicious[i : i + span]):
            continue
        if span > 1 and any(t in particles for t in window):
            continue  # a particle and the next word are not one misspelt word (นะ|เดี๋ยว)
        if span == 1 and (vocab.known(joined) or vocab.words.is_word(joined)):
            # a real word the catalog does not use is not a typo (ทอง is not ท่อง), but the
            # dictionary lists some misspellings of silent letters (มัคคุเทศน์ for มัคคุเทศก์)
            # (those are rare in real text: ไฟล์ is a word people use, not a slip for ไฟ)
            fixed = None if vocab.known(joined) or vocab.usual(joined) else vocab.correct(joined)
            return (span, fixed) if fixed and _silent_slip(joined, fixed) else None
        if joined in vocab.df and vocab.df[joined] > _RARE_DF:
            return span, joined
        fixed = vocab.correct(joined)
        if fixed and not _drops_word(window, fixed, vocab):
            return span, fixed
    return None


def _drops_word(window: Sequence[str], fixed: str, vocab: Vocabulary) -> bool:
    """``fixed`` is ``window`` without one of its tokens, a real word: that is no typo but a
    second topic the catalog lacks (ปริมาณ|ฝน is rain, not ปริมาณ; สถิติ|หวย is the lottery)."""
    return len(window) > 1 and any(
        len(tok) > 1 and vocab.usual(tok) and "".join(window[:k]) + "".join(window[k + 1 :]) == fixed
        for k, tok in enumerate(window)
    )


def _people(tokens: list[str], vocab: Vocabulary) -> list[str]:
    """Tokens with a word for people that the tokeniser cut in two or three joined back (ลูก|ชาย ->
    ลูกชาย, หลาน|สาว): whole, it says who is asking; in halves, "child" and "male" weigh as topics."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in (3, 2):
            joined = "".join(tokens[i : i + n])
            if i + n <= len(tokens) and joined not in vocab.df and vocab.person(joined):
                out.append(joined)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _misspelt_provinces(tokens: Sequence[str], used: set[int], lex: Lexicon) -> list[tuple[int, int, str]]:
    """A province's name spelt as it sounds, which the tokeniser cut into ordinary words
    (กา|ละ|สิน for กาฬสินธุ์, สุ|พัน|บุรี): two to four tokens that sound like one province
    (pythainlp's lk82 key) and are a few letters from its name, silent letters aside (a third of
    them at most).
    One-token slips (ขอนแกน) are typo repair's."""
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        for span in range(min(_MAX_NGRAM, len(tokens) - i), 1, -1):
            window = tokens[i : i + span]
            joined = "".join(window)
            if not used.isdisjoint(range(i, i + span)) or not all(map(has_thai, window)) or len(joined) < 5:
                continue
            # silent letters aside: กาละสิน is two edits from กาฬสิน(ธุ์)
            near = [
                (min(Levenshtein.distance(joined, n), Levenshtein.distance(joined, loose_spelling(n))), n)
                for n in lex.place_sounds.get(thai_sound(joined), ())
            ]
            distance, name = min(near, default=(99, ""))
            if distance <= max(2, len(name) // 3):
                # the name's last letters may be a token of their own (สุ|ริน|ทร): take it along
                end = i + span
                if end < len(tokens) and end not in used and has_thai(tokens[end]):
                    closer = Levenshtein.distance(joined + tokens[end], name) < Levenshtein.distance(
                        joined, name
                    )
                    end += closer
                found.append((i, end, name))
                i = end
                break
        else:
            i += 1
    return found


def _count(tok: str, vocab: Vocabulary) -> bool:
    """A number that is no year or month is a count, a price or an arithmetic, not a topic ("-2+3",
    "กี่ 2 คน", "วันละ 330", "สองรอบ", laughter "555"), unless the catalog names something by it
    (hotlines and codes: 1584, 1669)."""
    if tok.isdigit():
        return len(tok) < 3 or tok not in vocab.df or set(tok) == {"5"}
    if not has_thai(tok):
        return False
    try:
        thaiword_to_num(tok)  # สอง, สิบ, สามร้อย (not สองแถว or สามล้อ, which are words)
    except ValueError:
        return False
    return True


def parse_query(
    text: str,
    vocab: Vocabulary,
    lex: Lexicon,
    *,
    synonyms: Mapping[str, Sequence[str]] | None = None,
    english: Mapping[str, Sequence[str]] | None = None,
) -> ParsedQuery:
    """What ``text`` asks for. ``english`` maps Thai catalog terms to English words (the inverted
    glossary), so Thai queries also reach the catalog's English titles."""
    normalized = normalize(text)
    tokens: list[str] = []
    # the moment asked is a period, not a word of the topic: taken out before tokenising
    moment = _words_pattern(lex.live_asks)
    live = bool(moment and moment.search(normalized))
    timetable = bool((asked := _words_pattern(lex.timetable_asks)) and asked.search(normalized))
    # thanks and greetings are cut loose first: "ขอบคุณค่า" is ขอบคุณ|ค่า, not ขอบ|คุณค่า
    courteous = COURTESY.sub(r" \1 ", moment.sub(" ", normalized) if live and moment else normalized)
    words = vocab.words
    pieces, phrase_tokens = words.pieces, words.phrase
    for tok in words.tokenize(courteous, normalized=True):
        # a compound the catalog only knows in parts (ค่าแรงขั้นต่ำ): look at the parts
        # (not when a part is a form word: ตารางเวลา is a timetable, not a table of time; nor
        # when a table knows it whole: น่านฟ้า is airspace, not the province น่าน and the sky)
        whole_known = tok in vocab.df or tok in lex.fillers or tok in lex.synonyms or tok in lex.acronyms
        parts = () if whole_known else pieces(tok)
        whole = not parts or not all(p in vocab.df for p in parts) or any(p in lex.genre for p in parts)
        tokens.extend((tok,) if whole else parts)
    tokens = _people(tokens, vocab)
    ents = find_entities(tokens, lex)
    used = set(ents.used)
    provinces = set(ents.provinces)
    corrections: list[tuple[str, str]] = []
    for start, end, name in _misspelt_provinces(tokens, used, lex):
        provinces.add(name)
        used.update(range(start, end))
        joined = "".join(tokens[start:end])
        if not _recut(joined, name, vocab.words):  # เชียง|รายปี is cut wrong, not misspelt
            corrections.append((joined, name))

    concepts: list[Concept] = []
    unknown: list[str] = []

    def is_filler(tok: str) -> bool:
        if tok in lex.fillers:
            return True
        # a compound of filler words is filler (ที่ไหน), unless titles or tags use it whole as a
        # word (ผู้ใช้, users: ผู้ and ใช้ are each everywhere)
        parts = pieces(tok)
        return bool(parts) and all(p in lex.fillers for p in parts) and vocab.topicness(tok) < 1.0

    def add(text_: str, alts: list[tuple[str, ...]], kind: str, literal: int = 1) -> None:
        alts = [a for a in alts if a]
        if english:  # the English for each Thai way of saying it, as a whole phrase
            phrases = {"".join(alt) for alt in alts if all(has_thai(t) for t in alt)}
            alts += [phrase_tokens(en) for th in phrases for en in english.get(th, ())]
        alts = list(dict.fromkeys(alts))
        if alts and all(c.text != text_ for c in concepts):
            known = [alt for alt in alts if all(vocab.known(t) for t in alt)] or alts
            # as specific as the first name of it the catalog knows (the literal word first), or,
            # when it was said in other words, as that name if rarer: รถขนสารเคมี is as specific as
            # วัตถุอันตราย, not as รถ and ขน
            weight = max(
                sum(vocab.idf(t) for t in alt) / len(alt) for alt in known[: 1 + (kind in _SAID_OTHERWISE)]
            )
            if "".join(alts[0]) in lex.genre or text_ in lex.genre or text_ in lex.places or kind == "place":
                # a form or scope word, a province's name said as a word (น่าน without จังหวัด),
                # or a district's beside its province: never what the query is about on its own
                weight *= GENRE_WEIGHT
            # words the catalog never puts in a title or tag, or that only name who is asking,
            # weigh less: "แม่ค้าขายปลาค่ะ ..." is about fish prices, not about the market woman.
            # A word the catalog lacks altogether weighs in full unless it names people: how much
            # a missing everyday word counts is the answer model's to say (unmatched_common)
            if kind != "unknown" or vocab.person(text_):
                weight *= max(min(vocab.topicness(t) for t in alt) for alt in alts)
            concepts.append(Concept(text_, tuple(alts), weight, kind, literal))

    for start, end in ents.districts:  # the town, beside its province (a place word: weighs little)
        own = tuple(tokens[start:end])
        add("".join(own), [own], "place")

    for start, end, kind, phrases, own in _lookup_ngrams(tokens, used, lex, synonyms or {}):
        used.update(range(start, end))
        places = {lex.places.get(p) for p in phrases}
        if kind == "acronym" and len(places) == 1 and None not in places:
            provinces.update(p for p in places if p)  # BMA, กทม: a province, not a topic
            continue
        alts = [own] if all(vocab.known(t) for t in own) else []
        add(" ".join(own), alts + [phrase_tokens(p) for p in phrases], kind, literal=len(alts))

    def suspicious(tok: str) -> bool:
        return (
            has_thai(tok)
            and not is_filler(tok)
            and vocab.df.get(tok, 0) <= _RARE_DF
            and not vocab.known_compound(tok)
        )

    suspects = [suspicious(t) for t in tokens]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if i in used:
            i += 1
            continue
        repair = _repair(tokens, i, used, vocab, suspects, lex.particles)
        if repair:
            span, fixed = repair
            joined = "".join(tokens[i : i + span])
            # a word cut in the wrong place (เชียง|รายปี for เชียงราย|ปี) is no typo: only a
            # change of letters is said back to the user
            if fixed != joined and not _recut(joined, fixed, vocab.words):
                corrections.append((joined, fixed))
            place = lex.places.get(fixed)
            if place:
                provinces.add(place)
                if fixed in lex.districts:  # the town is also what the query names
                    add(fixed, [phrase_tokens(fixed)], "place", literal=0)
            elif fixed not in lex.fillers:
                add(fixed, [(fixed,)], "corrected" if fixed != joined else "word", literal=0)
            i += span
            continue
        if is_filler(tok) or (len(tok) == 1 and has_thai(tok)) or _count(tok, vocab):
            i += 1
            continue
        related = [phrase_tokens(r) for r in vocab.related(tok)]
        if vocab.known(tok) or tok.isdigit():
            add(tok, [(tok,), *related], "word")
        elif _LATIN_WORD.match(tok) and singular(tok) in vocab.df:
            add(tok, [(singular(tok),)], "word")
        elif related:  # a word the catalog lacks, but says another way (WordNet)
            add(tok, related, "related", literal=0)
        else:
            unknown.append(tok)
            add(tok, [(tok,)], "unknown")
        i += 1

    corrected = normalized
    for wrong, right in corrections:
        corrected = corrected.replace(wrong, right, 1)
    key_words = sorted({c.alts[0][0] if c.kind != "unknown" else c.text for c in concepts})
    # every entity that picks a member of a series is in the key: a pin for June's figures must
    # not answer December's
    entity_words = [
        *sorted(provinces),
        *(str(y) for y in sorted(ents.years)),
        *(f"m{m}" for m in sorted(ents.months)),
        *(f"fy{y}" for y in sorted(ents.fiscal)),
        *(["now"] if live else []),
        *(["timetable"] if timetable else []),
    ]
    key = " ".join(key_words + entity_words)
    return ParsedQuery(
        raw=text,
        normalized=normalized,
        concepts=tuple(concepts),
        provinces=frozenset(provinces),
        years=frozenset(ents.years),
        months=frozenset(ents.months),
        fiscal=frozenset(ents.fiscal),
        corrected=corrected if corrections else "",
        unknown=tuple(unknown),
        key=key,
        live=live,
        timetable=timetable,
    )


@lru_cache(maxsize=4)
def _words_pattern(asks: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern of ``asks`` (the words asking for the moment, or a timetable): Thai ones
    wherever they are (Thai has no spaces), English ones as whole words."""
    words = sorted(asks, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(w) if has_thai(w) else rf"\b{re.escape(w)}\b" for w in words))
