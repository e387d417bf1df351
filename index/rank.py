"""Scoring one dataset against a parsed query. Pure: the dataset's fields come pre-tokenised.

score = how much of what was asked the dataset covers (concepts weighted by rarity, fields by
where they match) + agreement on province, year and month - disagreement, + a little fuzzy
title similarity to break ties. The same numbers decide whether we answer at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

from .query import Concept, ParsedQuery
from .text import pieces

__all__ = ["FIELD_WEIGHTS", "Doc", "Scored", "score_doc"]

FIELD_WEIGHTS: Mapping[str, float] = {"title": 1.0, "tags": 0.9, "org": 0.8, "res": 0.7, "notes": 0.55}
_FIELD_LABEL = {"title": "ชื่อ", "tags": "แท็ก", "org": "หน่วยงาน", "res": "ไฟล์", "notes": "คำอธิบาย"}


@dataclass(frozen=True, slots=True)
class Doc:
    rowid: int
    fields: Mapping[str, frozenset[str]]
    title_text: str
    provinces: frozenset[str]
    years_title: frozenset[int]
    years_all: frozenset[int]
    months_title: frozenset[int]
    months_all: frozenset[int]


@dataclass(frozen=True, slots=True)
class Scored:
    rowid: int
    score: float
    coverage: float
    conflict: bool
    why: tuple[str, ...]


def _has(tokens: frozenset[str], token: str) -> bool:
    if token in tokens:
        return True
    parts = pieces(token)
    return bool(parts) and all(p in tokens for p in parts)


def _concept_match(c: Concept, doc: Doc) -> tuple[float, str]:
    best, where = 0.0, ""
    for field, weight in FIELD_WEIGHTS.items():
        if weight <= best:
            continue
        toks = doc.fields[field]
        for alt in c.alts:
            if all(_has(toks, t) for t in alt):
                best, where = weight, field
                break
    return best, where


def _entity(asked: frozenset, strong: frozenset, weak: frozenset) -> float:
    """+1 the dataset names what was asked, -1 it names something else, small otherwise."""
    if not asked:
        return 0.0
    if asked & strong:
        return 1.0
    if strong:
        return -1.0
    if asked & weak:
        return 0.6
    if weak:
        return -0.6
    return -0.15


def score_doc(q: ParsedQuery, doc: Doc) -> Scored:
    total = sum(c.weight for c in q.concepts)
    got = 0.0
    why: list[str] = []
    for c in q.concepts:
        m, where = _concept_match(c, doc)
        got += c.weight * m
        if m:
            why.append(f"{c.text}:{_FIELD_LABEL[where]}")
    coverage = got / total if total else 0.0

    place = _entity(q.provinces, doc.provinces, frozenset())
    year = _entity(q.years, doc.years_title, doc.years_all)
    month = _entity(q.months, doc.months_title, doc.months_all)
    for label, value in (("จังหวัด", place), ("ปี", year), ("เดือน", month)):
        if value > 0:
            why.append(label)
    conflict = place < 0 and bool(doc.provinces)
    fuzzy = fuzz.partial_ratio(q.normalized, doc.title_text) / 100 if q.normalized else 0.0
    entity_score = 0.35 * place + 0.3 * year + 0.25 * month
    score = coverage + entity_score + 0.15 * fuzzy
    if not q.concepts:  # only entities were asked: rank by them
        coverage = 1.0 if entity_score > 0 else 0.0
    return Scored(doc.rowid, score, coverage, conflict, tuple(why))
