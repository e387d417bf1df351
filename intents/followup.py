"""Typed follow-ups: does a message narrow the list on screen, or start a new search? Pure.

"เฉพาะเชียงใหม่", "เอาแค่ไฟล์ csv", "ของปีล่าสุด", "ปี 2560 ล่ะ", "ของกรมไหนบ้าง" narrow (or ask about)
the list on screen; "ค่าแรงขั้นต่ำ 2565" starts a new search. The test is whether the message has a
topic of its own: its words are set aside when they are kinds of words that only refine a list
(scope words, file formats, "the latest", an agency question, particles), and what is left is
parsed as a query; a refinement is a message whose remainder holds no concept, only provinces and
years, and which asks for at least one refinement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.lexicon import lexicon
from index.query import ParsedQuery
from index.text import normalize, tokenize

__all__ = ["FORMAT_WORDS", "Refinement", "refinement"]

#: words that scope a list without naming a topic ("only", "of", "the one in", "how about")
SCOPE_WORDS = frozenset(
    {
        "เฉพาะ",
        "แค่",
        "เอาแค่",
        "เอา",
        "เพียง",
        "เท่านั้น",
        "ของ",
        "ที่",
        "ใน",
        "ปี",
        "พ.ศ.",
        "พศ",
        "จังหวัด",
        "จ.",
        "ไฟล์",
        "แบบ",
        "เป็น",
        "ชนิด",
        "รูปแบบ",
        "นามสกุล",
        "ล่ะ",
        "ละ",
        "แล้ว",
        "มี",
        "ไหม",
        "มั้ย",
        "หรือเปล่า",
        "ขอ",
        "อยากได้",
        "ได้",
        "บ้าง",
        "ด้วย",
        "อัน",
        "ชุด",
        "ข้อมูล",
        "only",
        "just",
        "in",
        "of",
        "for",
        "the",
        "file",
        "files",
        "format",
        "year",
        "as",
    }
)
#: how people name a file format -> the format as the catalog writes it
FORMAT_WORDS = {
    "csv": "CSV",
    "xlsx": "XLSX",
    "xls": "XLS",
    "excel": "XLSX",
    "เอกเซล": "XLSX",
    "เอ็กเซล": "XLSX",
    "json": "JSON",
    "geojson": "GEOJSON",
    "xml": "XML",
    "kml": "KML",
    "shp": "SHP",
    "shapefile": "SHP",
    "pdf": "PDF",
    "docx": "DOCX",
    "doc": "DOC",
    "zip": "ZIP",
    "txt": "TXT",
    "api": "API",
}
#: "the most recent one"
LATEST_WORDS = frozenset({"ล่าสุด", "ใหม่สุด", "ใหม่ที่สุด", "ปีล่าสุด", "latest", "newest", "recent", "most"})
#: "which agencies?" needs an agency word and a question word
AGENCY_WORDS = frozenset({"กรม", "หน่วยงาน", "องค์กร", "กระทรวง", "ใคร", "agency", "agencies", "who"})
QUESTION_WORDS = frozenset({"ไหน", "อะไร", "ใด", "บ้าง", "ใคร", "which", "what", "who"})


@dataclass(frozen=True, slots=True)
class Refinement:
    """What a follow-up asks of the list on screen."""

    provinces: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    formats: frozenset[str] = frozenset()
    latest_year: bool = False
    agencies: bool = False

    @property
    def filters(self) -> bool:
        return bool(self.provinces or self.years or self.formats or self.latest_year)


def _words(text: str) -> list[str]:
    return [w for w in tokenize(normalize(text), normalized=True) if w.strip(" ?!.,~")]


def refinement(text: str, parse: Callable[[str], ParsedQuery]) -> Refinement | None:
    """The refinement ``text`` asks for, or None when it has a topic of its own (or asks nothing
    of a list). ``parse`` is the engine's query understanding (SearchEngine.parse)."""
    words = _words(text)
    if not words:
        return None
    fillers = lexicon().fillers
    formats = {FORMAT_WORDS[w] for w in words if w in FORMAT_WORDS}
    latest = any(w in LATEST_WORDS for w in words)
    agencies = any(w in AGENCY_WORDS for w in words) and any(w in QUESTION_WORDS for w in words)
    set_aside = SCOPE_WORDS | LATEST_WORDS | QUESTION_WORDS | FORMAT_WORDS.keys() | fillers
    if agencies:
        set_aside |= AGENCY_WORDS
    rest = " ".join(w for w in words if w not in set_aside)
    q = parse(rest) if rest else None
    if q is not None and (q.concepts or q.months):
        return None  # a topic of its own (or a month, which only a new search can honour)
    found = Refinement(
        provinces=q.provinces if q else frozenset(),
        years=q.years if q else frozenset(),
        formats=frozenset(formats),
        latest_year=latest,
        agencies=agencies,
    )
    return found if found.filters or found.agencies else None
