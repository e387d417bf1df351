"""Curated word lists shipped in index/data/: provinces and their everyday names, months, agency
acronyms, filler words, everyday->formal synonyms and the English->Thai glossary.

Loaded once per process (immutable), merged with what the catalog itself teaches (acronyms in
parentheses after agency names) when an index is opened.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import cast

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

import geothai
from pythainlp.corpus import phupha, thai_stopwords, tnc
from pythainlp.corpus import provinces as _pythainlp_provinces
from pythainlp.corpus.th_en_translit import TRANSLITERATE_DICT, TRANSLITERATE_EN

from .text import english_stem, has_thai, normalize, thai_sound
from .wordnet import wordnet

__all__ = ["MONTHS", "Lexicon", "fingerprint", "general_frequency", "lexicon"]

DATA = Path(__file__).with_name("data")

#: Month number -> every common written form (normalised, dots removed).
MONTHS: dict[int, tuple[str, ...]] = {
    1: ("มกราคม", "มกรา", "มค", "jan", "january"),
    2: ("กุมภาพันธ์", "กุมภา", "กพ", "feb", "february"),
    3: ("มีนาคม", "มีนา", "มีค", "mar", "march"),
    4: ("เมษายน", "เมษา", "เมย", "apr", "april"),
    5: ("พฤษภาคม", "พฤษภา", "พค", "may"),
    6: ("มิถุนายน", "มิถุนา", "มิย", "jun", "june"),
    7: ("กรกฎาคม", "กรกฎา", "กค", "jul", "july"),
    8: ("สิงหาคม", "สิงหา", "สค", "aug", "august"),
    9: ("กันยายน", "กันยา", "กย", "sep", "sept", "september"),
    10: ("ตุลาคม", "ตุลา", "ตค", "oct", "october"),
    11: ("พฤศจิกายน", "พฤศจิกา", "พย", "nov", "november"),
    12: ("ธันวาคม", "ธันวา", "ธค", "dec", "december"),
}


#: the files whose words shape tokenisation and the index
FILES = ("acronyms.tsv", "fillers.txt", "glossary.tsv", "places.tsv", "synonyms.tsv")


def fingerprint() -> str:
    """A short hash of the lexicon files. The index records it, and start-up re-indexes the same
    datasets when it differs (a new word changes how titles are tokenised)."""
    # the places come from geothai's districts, filtered by pythainlp's WordNet and word frequencies
    digest = hashlib.sha256(f"geothai {version('geothai')}\0pythainlp {version('pythainlp')}\0".encode())
    for name in FILES:
        path = DATA / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()[:16]


def _rows(name: str) -> Iterator[list[str]]:
    path = DATA / name
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        yield [f.strip() for f in line.split("\t")]


def _alternatives(field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize(a) for a in field.split("|") if a.strip()))


@dataclass(frozen=True, slots=True)
class Lexicon:
    #: every written form of a province (normalised) -> official Thai name
    places: dict[str, str]
    #: district names that are also words (ท่าเรือ, ปากช่อง): a place only after อำเภอ, อ. or เขต
    marked_places: dict[str, str]
    #: every district name of places and marked_places (a district is also a word of the query)
    districts: frozenset[str]
    #: sentence-final particles (particles.txt): never part of a misspelt word
    particles: frozenset[str]
    acronyms: dict[str, str]
    synonyms: dict[str, tuple[str, ...]]
    glossary: dict[str, tuple[str, ...]]
    fillers: frozenset[str]
    #: pythainlp's Thai stop words: some are topics in this catalog (เก็บ, ขาย), so the engine
    #: counts one as filler only where the catalog says it carries no meaning (see SearchEngine)
    stopwords: frozenset[str]
    #: English loanword -> Thai spellings (pythainlp's bundled transliteration table, inverted)
    loanwords: dict[str, tuple[str, ...]]
    #: words for the form or scope of the data (รายชื่อ, สถิติ, ทั่วประเทศ): never the topic
    genre: frozenset[str] = frozenset()
    #: the glossary by the stems of its English words (registered -> regist): the forms it lacks
    glossary_stems: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: how a province's Thai name sounds (text.thai_sound) -> the names that sound so (the key
    #: is coarse: กาญจนบุรี and กาฬสินธุ์ share one)
    place_sounds: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: words asking for the value of the moment (รายชั่วโมง, real-time), and the words by which a
    #: dataset says it gives one (ประจำวัน, รายชั่วโมง): live.tsv
    live_asks: frozenset[str] = frozenset()
    live_holds: frozenset[str] = frozenset()
    #: the same for a timetable (ตารางเวลา, timetable): timetable.tsv
    timetable_asks: frozenset[str] = frozenset()
    timetable_holds: frozenset[str] = frozenset()

    def english_for(self) -> dict[str, tuple[str, ...]]:
        """The glossary inverted: Thai catalog term -> English words, for the catalog's English
        titles (a Thai query for ยอดขาย LPG reaches "Sale of LPG"); English acronyms too
        (กฟน -> การไฟฟ้านครหลวง -> MEA)."""
        out: dict[str, list[str]] = {}
        english_acronyms = {a: (full,) for a, full in self.acronyms.items() if not has_thai(a)}
        for en, thais in [*self.glossary.items(), *english_acronyms.items()]:
            for th in thais:
                if not has_thai(th):
                    continue
                for key in {th, th.removeprefix("การ"), th.removeprefix("ความ")}:
                    if len(key) > 2:
                        out.setdefault(key, []).append(en)
        return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}

    def domain_words(self, acronyms: Iterable[str] = ()) -> set[str]:
        """Words the tokeniser must keep whole: places, acronyms (ours and the catalog's),
        months, fillers. The index build and the engine must pass the same ``acronyms``."""
        words = set(self.places) | set(self.marked_places) | set(self.acronyms) | set(acronyms)
        words |= self.fillers
        for forms in MONTHS.values():
            words.update(forms)
        return words


def _places() -> dict[str, str]:
    places: dict[str, str] = {}
    official = set()
    for p in cast(list[dict[str, str]], _pythainlp_provinces(details=True)):
        name = p["name_th"]
        official.add(name)
        places[normalize(name)] = name
        places[normalize(p["name_en"])] = name
        # the tokens of "chiang mai" are matched glued (index.entities joins them)
        places[normalize(p["name_en"]).replace(" ", "")] = name
        # not the three-letter English codes: LPG is Lampang's, and a gas (places.tsv has bkk)
        abbr = normalize(p["abbr_th"])
        if len(abbr) > 2:  # two-letter codes (กบ, ชม) collide with ordinary words
            places[abbr] = name
    for row in _rows("places.tsv"):
        if len(row) >= 2 and row[1] in official:
            places[normalize(row[0]).replace(".", "")] = row[1]
    for name, province in _districts()[0].items():
        if province in official:
            places.setdefault(name, province)
    return places


#: a district's name stands for its province only when general Thai rarely uses it as a word
#: (per million words): เวียง, พาน and สอง are districts and everyday words
DISTRICT_MAX_FREQUENCY = 20.0


@lru_cache(maxsize=1)
def _districts() -> tuple[dict[str, str], dict[str, str]]:
    """Thailand's 928 districts (geothai, DOPA's list) -> their province: people name the town,
    not the province (หาดใหญ่, หัวหิน, บางเขน, วารินชำราบ). Two tables: the names that stand
    for their province alone, and those that do only after อำเภอ, อ. or เขต because they are also
    words: general Thai uses them often, the Thai WordNet knows them (ท่าเรือ a pier, สีชมพู
    pink), or they have three letters or fewer (สอง, ลอง). A name two provinces share is in
    neither."""
    general = general_frequency()
    words = wordnet().senses
    names: dict[str, set[str]] = {}
    for province in geothai.provinces():
        for district in geothai.districts(province.code):
            name = normalize(district.name_th.removeprefix("เขต"))
            names.setdefault(name, set()).add(province.name_th)
    alone: dict[str, str] = {}
    marked: dict[str, str] = {}
    for name, provinces in names.items():
        if len(provinces) != 1:
            continue
        word = len(name) <= 3 or general.get(name, 0.0) >= DISTRICT_MAX_FREQUENCY or name in words
        (marked if word else alone)[name] = next(iter(provinces))
    return alone, marked


def _place_sounds(places: dict[str, str]) -> dict[str, tuple[str, ...]]:
    by_sound: dict[str, set[str]] = {}
    for name in set(places.values()):
        by_sound.setdefault(thai_sound(name), set()).add(name)
    return {key: tuple(sorted(names)) for key, names in by_sound.items()}


def _stems(glossary: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, thai in glossary.items():  # the file's order: its first entry for a stem wins
        out.setdefault(" ".join(english_stem(w) for w in key.split()), thai)
    return out


def _loanwords() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for thai, entry in TRANSLITERATE_DICT.items():
        for raw in entry[TRANSLITERATE_EN]:
            en = str(raw).lower().strip()
            if en and " " not in en:
                out.setdefault(en, []).append(thai)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    places = _places()
    acronyms = {
        normalize(r[0]).replace(".", ""): normalize(r[1]) for r in _rows("acronyms.tsv") if len(r) >= 2
    }
    synonyms = {normalize(r[0]): _alternatives(r[1]) for r in _rows("synonyms.tsv") if len(r) >= 2}
    glossary = {normalize(r[0]): _alternatives(r[1]) for r in _rows("glossary.tsv") if len(r) >= 2}
    fillers = {normalize(w[0]) for w in _rows("fillers.txt") if w}
    return Lexicon(
        places=places,
        marked_places=_districts()[1],
        districts=frozenset(_districts()[0]) | frozenset(_districts()[1]),
        particles=frozenset(normalize(w[0]) for w in _rows("particles.txt") if w),
        acronyms=acronyms,
        synonyms=synonyms,
        glossary=glossary,
        glossary_stems=_stems(glossary),
        place_sounds=_place_sounds(places),
        fillers=frozenset(fillers),
        stopwords=frozenset(normalize(w) for w in thai_stopwords()),
        loanwords=_loanwords(),
        genre=frozenset(normalize(w[0]) for w in _rows("genre.txt") if w),
        live_asks=_marked("live.tsv", "ask"),
        live_holds=_marked("live.tsv", "hold"),
        timetable_asks=_marked("timetable.tsv", "ask"),
        timetable_holds=_marked("timetable.tsv", "hold"),
    )


def _marked(name: str, mark: str) -> frozenset[str]:
    """The words of ``name`` (rows "mark<TAB>word") marked ``mark``."""
    return frozenset(normalize(r[1]) for r in _rows(name) if len(r) >= 2 and r[0] == mark)


@lru_cache(maxsize=1)
def general_frequency() -> dict[str, float]:
    """How often general Thai uses a word, per million words: the larger of the Thai National
    Corpus (written Thai) and Phupha (the Thai web, Common Crawl), both shipped with pythainlp.
    A word the catalog lacks but Thai uses all the time is more likely context ("แฟน", "ขับรถ")
    than a topic the catalog is missing."""
    out: dict[str, float] = {}
    for freqs in (tnc.word_freqs(), phupha.word_freqs()):
        total = sum(n for _, n in freqs) or 1
        for word, n in freqs:  # the corpora's words are already in normal form
            out[word] = max(out.get(word, 0.0), n * 1e6 / total)
    return out
