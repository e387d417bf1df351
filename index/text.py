"""Thai text normalisation and tokenisation: one pipeline for the catalog and for queries.

Pure functions over strings, and the Tokenizer: pythainlp's newmm with its dictionary widened by
an index's domain words (agency acronyms, province names), one object per index.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import snowballstemmer
from pythainlp.corpus import thai_words, tnc
from pythainlp.soundex import soundex
from pythainlp.tokenize import word_tokenize
from pythainlp.util import Trie, dict_trie, thai_digit_to_arabic_digit
from pythainlp.util import normalize as thai_normalize

__all__ = [
    "THAI_RE",
    "Tokenizer",
    "has_thai",
    "loose_spelling",
    "normalize",
    "plain_tokenizer",
    "singular",
    "sounds_like",
    "strip_tones",
    "tokenize",
]

THAI_RE = re.compile(r"[\u0e00-\u0e7f]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufffd]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
# A Thai abbreviation written with dots: กทม. รฟม. ก.พ. รพ.สต. -> the letters without dots.
_THAI_ABBR = re.compile(r"(?<![\u0e00-\u0e7f])(?:[\u0e01-\u0e4e]{1,4}\.)+")
_RUNS = re.compile(r"[\u0e00-\u0e7f]+|[a-z0-9]+(?:[.\-_][a-z0-9]+)*")
_LATIN_SPLIT = re.compile(r"[-_]")
_TONES = str.maketrans("", "", "\u0e48\u0e49\u0e4a\u0e4b\u0e4c")
_SILENT = re.compile("[\u0e01-\u0e2e][\u0e34\u0e38]?\u0e4c")
_REPEAT = re.compile(r"([\u0e00-\u0e7f])\1{2,}|ๆ")


def _unrepeat(m: re.Match[str]) -> str:
    """A letter typed three times or more at the end of a word is drawn out (มากกก, ค่าาา): once.
    Exactly three inside a run are more often a word ending in the letter the next word begins
    with, doubled (ใน|นนทบุรี, คน|นนท์), and a run of only that letter is an acronym (สสส): kept.
    ๆ goes."""
    if m.group(1) is None:
        return ""
    text, start, end = m.string, m.start(), m.end()
    before = start > 0 and has_thai(text[start - 1])
    after = end < len(text) and has_thai(text[end])
    if not before and not after:
        return m.group(0)
    if after and end - start == 3:
        return m.group(0)
    return m.group(1)


def normalize(text: str) -> str:
    """Canonical form for matching: NFC, no zero-width or control characters, Thai vowel and tone
    order fixed, Thai digits as ASCII, lower case, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(_normalize_chunk(chunk) for chunk in text.split())


@lru_cache(maxsize=100_000)
def _normalize_chunk(chunk: str) -> str:
    if has_thai(chunk):
        chunk = thai_normalize(chunk)
        chunk = thai_digit_to_arabic_digit(chunk).replace("ฯลฯ", " ").replace("ฯ", "")
    return _SPACES.sub(" ", chunk.lower()).strip()


def has_thai(text: str) -> bool:
    return THAI_RE.search(text) is not None


def strip_tones(word: str) -> str:
    """A tone-insensitive key: ว่าง and วาง, ก๊าซ and กาซ share one."""
    return word.translate(_TONES)


def loose_spelling(word: str) -> str:
    """The key of the commonest Thai misspellings: tone marks, and silent letters (a consonant,
    maybe with ิ or ุ, under the thanthakhat ์) left out or added: สงกราน and สงกรานต์ share one."""
    return strip_tones(_SILENT.sub("", word))


def sounds_like(word: str) -> str:
    """A key shared by Thai words that sound alike (pythainlp's metasound): final consonants of
    one sound class, ภ/พ, ศ/ษ/ส, vowels written long or short."""
    return soundex(word, engine="metasound")


@lru_cache(maxsize=20_000)
def thai_sound(word: str) -> str:
    """How ``word`` sounds, as pythainlp's lk82 key: กาละสิน and กาฬสินธุ์ share one."""
    return str(soundex(word, engine="lk82"))


def _undot(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "") + " "


#: a letter and a sentence particle: the shape of a few rare dictionary words (นคะ, ภคะ) that
#: swallow the last letter of the word before a particle ("ใกล้บ้านคะ" -> ใกล้|บ้า|นคะ)
_LETTER_AND_PARTICLE = re.compile(r"^[ก-ฮ](?:คะ|ค่ะ|ค่า|ครับ|คับ|นะ|จ้า|จ้ะ|ฮะ)$")
#: per million words of the Thai National Corpus: ชนะ (to win) is a word people use, นคะ is not
_RARE_PER_MILLION = 1.0


@lru_cache(maxsize=1)
def _base_words() -> frozenset[str]:
    words = thai_words()
    freqs = dict(tnc.word_freqs())
    total = sum(freqs.values()) or 1
    swallowing = {
        w
        for w in words
        if _LETTER_AND_PARTICLE.match(w) and freqs.get(w, 0) * 1e6 / total < _RARE_PER_MILLION
    }
    return frozenset(words - swallowing)


class Tokenizer:
    """pythainlp's newmm over its dictionary widened by ``domain_words`` (province names, agency
    acronyms, months, fillers: what the catalog needs kept whole). One per index: the build and
    the engine make theirs from the same words, so a query is cut as the catalog was. Immutable
    after construction and safe to share between threads; results are cached per instance."""

    def __init__(self, domain_words: Iterable[str] = ()) -> None:
        # two-letter words (อย, รพ) would cut ordinary words apart (หน่อย -> หน่ อย): leave them out
        self.domain_words = frozenset(w for w in domain_words if len(w) > 2 and has_thai(w) and " " not in w)
        self.words = _base_words() | self.domain_words
        self._trie: Trie | None = None
        self._run = lru_cache(maxsize=200_000)(self._tokenize_run)
        #: the words of a normalised phrase of the lexicon (a synonym, a translation): the same
        #: few thousand recur in every query, so they are tokenised once
        self.phrase = lru_cache(maxsize=50_000)(self._phrase)
        self.pieces = lru_cache(maxsize=200_000)(self._pieces)

    def _tokenize_run(self, run: str) -> tuple[str, ...]:
        if not has_thai(run):
            return (run,)
        if self._trie is None:
            self._trie = dict_trie(set(self.words))
        words = word_tokenize(run, engine="newmm", custom_dict=self._trie, keep_whitespace=False)
        return tuple(w for w in words if w.strip())

    def tokenize(self, text: str, *, normalized: bool = False) -> list[str]:
        """Words of ``text``: Thai runs segmented by newmm, Latin and digit runs kept whole
        (``pm2.5``, ``1111``, ``co2``). Punctuation is dropped."""
        if not normalized:
            text = normalize(text)
        text = _THAI_ABBR.sub(_undot, text)
        text = _REPEAT.sub(_unrepeat, text)
        out: list[str] = []
        for run in _RUNS.findall(text):
            out.extend(self._run(run))
        return out

    def _phrase(self, phrase: str) -> tuple[str, ...]:
        return tuple(self.tokenize(phrase, normalized=True))

    def _pieces(self, word: str) -> tuple[str, ...]:
        """The parts of a compound (สวนสาธารณะ -> สวน, สาธารณะ), so that a query for a part finds
        the whole and the other way round. The fewest dictionary words of two or more letters
        that spell ``word`` exactly; () when it is not such a compound."""
        n = len(word)
        if not has_thai(word):
            # covid-19 -> covid, 19; pm2.5 stays whole (its parts mean nothing alone)
            parts = tuple(p for p in _LATIN_SPLIT.split(word) if p)
            return parts if len(parts) > 1 else ()
        if n < 4:
            return ()
        words = self.words
        best: list[tuple[str, ...] | None] = [None] * (n + 1)
        best[0] = ()
        for end in range(2, n + 1):
            for start in range(0, end - 1):
                prev = best[start]
                if prev is None or (start == 0 and end == n):
                    continue
                part = word[start:end]
                if part in words:
                    cand = (*prev, part)
                    cur = best[end]
                    if cur is None or len(cand) < len(cur):
                        best[end] = cand
        return best[n] or ()

    def is_word(self, word: str) -> bool:
        """A word of the Thai dictionary (or of our domain words): not a misspelling, even if
        the catalog never uses it."""
        return word in self.words

    def warm_up(self) -> None:
        """Build the dictionary trie now, not on a user's first message (~0.7 s)."""
        self.tokenize("ข้อมูลสวนสาธารณะในกรุงเทพมหานคร")


@lru_cache(maxsize=1)
def plain_tokenizer() -> Tokenizer:
    """pythainlp's dictionary alone: for text that is not matched against an index (small talk)."""
    return Tokenizer()


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """``text`` cut by the plain tokenizer (no catalog words): see Tokenizer.tokenize."""
    return plain_tokenizer().tokenize(text, normalized=normalized)


_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()


@lru_cache(maxsize=20_000)
def english_stem(word: str) -> str:
    """An English word's Snowball stem (registered, register -> regist): a glossary entry in one
    form reaches the others. (A stemmer object is not safe to share between threads unlocked.)"""
    with _STEMMER_LOCK:
        return str(_STEMMER.stemWord(word))


def singular(word: str) -> str:
    """English plural -> singular, roughly: lanes -> lane, vacancies -> vacancy."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
