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

__all__ = ["FIELD_WEIGHTS", "Doc", "Scored", "doc_tokens", "fuzzy_bonus", "score_doc"]

FUZZY_WEIGHT = 0.15

FIELD_WEIGHTS: Mapping[str, float] = {"title": 1.0, "tags": 0.9, "org": 0.8, "res": 0.7, "notes": 0.55}
_FIELD_LABEL = {"title": "ชื่อ", "tags": "แท็ก", "org": "หน่วยงาน", "res": "ไฟล์", "notes": "คำอธิบาย"}


@dataclass(frozen=True, slots=True)
class Doc:
    rowid: int
    #: every token of the dataset -> the weight of the best field it occurs in
    tokens: Mapping[str, float]
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


_WHERE = {w: f for f, w in FIELD_WEIGHTS.items()}


#: fields from the best place to match to the least
RANK_FIELDS = tuple(sorted(FIELD_WEIGHTS, key=lambda f: -FIELD_WEIGHTS[f]))
_RANK_WEIGHTS = tuple(FIELD_WEIGHTS[f] for f in RANK_FIELDS)


def doc_tokens(rank_tokens: str) -> dict[str, float]:
    """The index's rank_tokens column (disjoint tab-separated groups, best field first) ->
    {token: weight of the best field holding it}."""
    out: dict[str, float] = {}
    for weight, group in zip(_RANK_WEIGHTS, rank_tokens.split("\t"), strict=False):
        out.update(dict.fromkeys(group.split(), weight))
    return out


def _token_weight(tokens: Mapping[str, float], token: str) -> float:
    w = tokens.get(token)
    if w is not None:
        return w
    parts = pieces(token)
    if not parts:
        return 0.0
    return min(tokens.get(p, 0.0) for p in parts)


def _concept_match(c: Concept, doc: Doc) -> tuple[float, str]:
    best = 0.0
    for alt in c.alts:
        w = min(_token_weight(doc.tokens, t) for t in alt)
        if w > best:
            best = w
    return best, _WHERE.get(best, "notes")


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
    entity_score = 0.35 * place + 0.3 * year + 0.25 * month
    score = coverage + entity_score
    if not q.concepts:  # only entities were asked: rank by them
        coverage = 1.0 if entity_score > 0 else 0.0
    return Scored(doc.rowid, score, coverage, conflict, tuple(why))


def fuzzy_bonus(q: ParsedQuery, doc: Doc) -> float:
    """Character-level similarity of the query and the title: a tie-breaker that also forgives
    typos and word-break disagreements the token match missed."""
    if not q.normalized:
        return 0.0
    return FUZZY_WEIGHT * fuzz.partial_ratio(q.normalized, doc.title_text) / 100
