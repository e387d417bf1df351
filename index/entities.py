"""Provinces, months and years: find them in tokens, the same way for a query and a dataset.

One notion of year: a Buddhist-Era integer. 2400-2700 is BE; 1900-2100 is CE (+543); two digits
after ปี / พ.ศ. / a month / ปีงบประมาณ are BE 25xx.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from .lexicon import MONTHS, Lexicon

__all__ = ["Entities", "find_entities", "to_be_year"]

_MONTH_FORMS = {form: num for num, forms in MONTHS.items() for form in forms}
# English "may" and "mar" are also ordinary words; only count them next to a year.
_AMBIGUOUS_MONTHS = {"may", "mar", "jun", "dec"}
_YEAR_MARKERS = {"ปี", "พศ", "ปีงบประมาณ", "ปีงบ", "งบประมาณ", "งบ", "คศ", "fy", "year", "ค.ศ"}
#: Province names that are also everyday words count only after จังหวัด (จ. once dots are gone)
#: or ใน ("วัดในน่าน"; not ที่, which ที่ตากผ้า is)
_AMBIGUOUS_PLACES = {"เลย", "ตาก", "แพร่", "น่าน", "ตรัง", "พังงา"}
_PROVINCE_WORDS = {"จังหวัด", "จ", "province"}
_PLACE_MARKERS = _PROVINCE_WORDS | {"ใน"}
_FISCAL_MARKERS = {"ปีงบประมาณ", "ปีงบ", "งบประมาณ", "fy"}
#: the era said between a fiscal marker and its year (พ.ศ. is พศ once dots are gone)
_ERAS = {"พศ", "คศ"}
_MAX_SPAN = 4
#: the word before a place's name that says what kind of place it is (อ. is อ once dots are gone)
#: the word before a district's name that says it is one (อ. is อ once dots are gone)
_DISTRICT_MARKERS = {"อำเภอ", "อ", "เขต", "district"}
_RANGE = re.compile(r"^(\d{2}|\d{4})-(\d{2}|\d{4})$")
#: a fiscal year written glued, as English and newsroom Thai do: FY2017, FY2563, fy63
_GLUED_FISCAL = re.compile(r"^fy(\d{2}|\d{4})$")
_RANGE_WORDS = {"ถึง", "จนถึง", "to", "-"}
_MAX_RANGE = 40


def to_be_year(number: int, *, two_digit_ok: bool = False) -> int | None:
    if 2400 <= number <= 2700:
        return number
    if 1900 <= number <= 2100:
        return number + 543
    if two_digit_ok and 0 <= number <= 99:
        return 2500 + number
    return None


@dataclass(slots=True)
class Entities:
    provinces: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    #: fiscal years (ปีงบประมาณ 2561 runs from October 2560 to September 2561)
    fiscal: set[int] = field(default_factory=set)
    #: indexes of the tokens that named an entity (or marked one: ปี, จังหวัด)
    used: set[int] = field(default_factory=set)
    #: spans (start, end) of tokens that named a district: its province is in ``provinces``, and
    #: the name stays a word of the query (a dataset naming the town ranks first in the province)
    districts: list[tuple[int, int]] = field(default_factory=list)


#: how far (edits) a province's name, with the tokens after its short form, may be from the
#: official name: อุบล|ราช|ธาณี is อุบลราชธานี misspelt, อุบล|ราชการ is not
_REST_EDITS = 2


def _misspelt_rest(tokens: Sequence[str], start: int, said: str, place: str) -> int:
    """How many tokens from ``start`` finish the province's name after a short form of it (อุบล,
    then ราช|ธาณี): the most that bring ``said`` closest to the official name, within
    _REST_EDITS; 0 when none do."""
    best, best_distance = 0, Levenshtein.distance(said, place)
    joined = said
    for extra in range(1, min(3, len(tokens) - start) + 1):
        joined += tokens[start + extra - 1]
        distance = Levenshtein.distance(joined, place)
        if distance < best_distance and distance <= _REST_EDITS:
            best, best_distance = extra, distance
    return best


def find_entities(tokens: Sequence[str], lex: Lexicon, *, formal: bool = False) -> Entities:
    """Provinces, years and months named in ``tokens``. In ``formal`` text (dataset titles and
    tags) a province name that is also an everyday word (ตาก, เลย) counts on its own; in a chat
    message only after จังหวัด ("ไม่มีเลย" names no province)."""
    found = Entities()
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        # provinces, possibly split over up to four tokens (นคร ราชสีมา, phra nakhon si ayutthaya)
        matched = False
        for span in range(min(_MAX_SPAN, n - i), 0, -1):
            joined = "".join(tokens[i : i + span])
            prev = tokens[i - 1] if i else ""
            place = lex.places.get(joined)
            if place is None and prev in _DISTRICT_MARKERS:
                place = lex.marked_places.get(joined)  # อ.ปากช่อง, not ปากช่อง alone
            if place is None:
                continue
            if span == 1 and joined in _AMBIGUOUS_PLACES and prev not in _PLACE_MARKERS and not formal:
                continue
            if joined != place:  # a short form (อุบล): the rest of the name may follow, misspelt
                span += _misspelt_rest(tokens, i + span, joined, place)
            found.provinces.add(place)
            found.used.update(range(i, i + span))
            if joined in lex.districts:
                found.districts.append((i, i + span))
                if prev in _DISTRICT_MARKERS:
                    found.used.add(i - 1)
            if prev in _PROVINCE_WORDS:
                found.used.add(i - 1)
            i += span
            matched = True
            break
        if matched:
            continue
        month = _MONTH_FORMS.get(tok)
        if month is not None:
            nxt = tokens[i + 1] if i + 1 < n else ""
            if tok not in _AMBIGUOUS_MONTHS or nxt.isdigit():
                found.months.add(month)
                found.used.add(i)
                if i and tokens[i - 1] in ("เดือน", "month"):
                    found.used.add(i - 1)
        elif glued := _GLUED_FISCAL.match(tok):
            digits = glued.group(1)
            # two digits: 40-99 read as BE (fy63 = 2563), 00-39 as CE (FY17 = 2017 = 2560)
            year = to_be_year(
                int(digits) + (2500 if int(digits) >= 40 else 2000) if len(digits) == 2 else int(digits)
            )
            if year is not None:
                found.years.add(year)
                found.fiscal.add(year)
                found.used.add(i)
        elif years := _RANGE.match(tok):
            # 2548-2559; ปี 64-65 (short years after a marker); 2564-65 (the century said once)
            prev = tokens[i - 1] if i else ""
            a, b = years.groups()
            first = to_be_year(int(a), two_digit_ok=prev in _YEAR_MARKERS)
            century = (first // 100) * 100 if first and len(a) == 4 else None
            last = (
                century + int(b) if century and len(b) == 2 else to_be_year(int(b), two_digit_ok=bool(first))
            )
            if first and last and 0 <= last - first <= _MAX_RANGE:
                found.years.update(range(first, last + 1))
                found.used.add(i)
                if prev in _YEAR_MARKERS:
                    found.used.add(i - 1)
        elif tok.isdigit():
            prev = tokens[i - 1] if i else ""
            after_marker = prev in _YEAR_MARKERS or prev in _MONTH_FORMS
            if len(tok) == 4:
                year = to_be_year(int(tok))
            elif len(tok) == 2 and after_marker:
                year = to_be_year(int(tok), two_digit_ok=True)
            else:
                year = None
            if year is not None:
                # "2548 - 2559", "2548 ถึง 2559": every year between
                before = tokens[i - 2] if prev in _RANGE_WORDS and i > 1 else prev
                start = to_be_year(int(before)) if before.isdigit() and len(before) == 4 else None
                if start and 0 < year - start <= _MAX_RANGE and start in found.years:
                    found.years.update(range(start, year))
                found.years.add(year)
                found.used.add(i)
                # ปีงบประมาณ 2558, ปี งบ 2558 (a marker cut in two), ปีงบประมาณ พ.ศ. 2558
                era = prev in _ERAS and i > 1 and tokens[i - 2] in _FISCAL_MARKERS
                if prev in _FISCAL_MARKERS or era or (i > 1 and tokens[i - 2] + prev in _FISCAL_MARKERS):
                    found.fiscal.add(year)
                if prev in _YEAR_MARKERS:
                    found.used.add(i - 1)
                    # ปี งบ 2560: a marker the tokeniser split in two
                    if i > 1 and tokens[i - 2] + prev in _YEAR_MARKERS:
                        found.used.add(i - 2)
        i += 1
    return found
