"""Scoring every dataset at once against a parsed query.

score = how much of what was asked a dataset covers (concepts weighted by rarity, fields by where
they match) + agreement on province, year and month - disagreement, then a little fuzzy title
similarity for the best few. The same numbers decide whether we answer at all.

Vectorised over the whole catalog with numpy: each token's postings become a dense array of field
weights, so no candidate cut-off can drop the right member of a long series.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .query import ALT_DISCOUNT, ParsedQuery
from .text import pieces

__all__ = [
    "FIELD_WEIGHTS",
    "RANK_FIELDS",
    "Scored",
    "entity_keys",
    "fuzzy_bonus",
    "score_all",
]

FIELD_WEIGHTS: Mapping[str, float] = {"title": 1.0, "tags": 0.9, "org": 0.8, "res": 0.7, "notes": 0.55}
#: fields from the best place to match to the least; a posting's code is an index into this
RANK_FIELDS = tuple(sorted(FIELD_WEIGHTS, key=lambda f: -FIELD_WEIGHTS[f]))
CODE_WEIGHTS = np.array([FIELD_WEIGHTS[f] for f in RANK_FIELDS], dtype=np.float32)
_FIELD_LABEL = {"title": "ชื่อ", "tags": "แท็ก", "org": "หน่วยงาน", "res": "ไฟล์", "notes": "คำอธิบาย"}
_LABEL_BY_WEIGHT = {round(FIELD_WEIGHTS[f], 3): _FIELD_LABEL[f] for f in RANK_FIELDS}

PLACE_WEIGHT, YEAR_WEIGHT, MONTH_WEIGHT = 0.35, 0.3, 0.25
FUZZY_WEIGHT = 0.15
LOCAL_PENALTY = 0.03
#: the best this many by token score get the (slower) fuzzy title comparison
FUZZY_RERANK = 20
#: how many ranked datasets a search returns at most (a few pages of results)
KEEP = 50

#: token -> dense array of field weights over the catalog (zeros where absent), or None
Dense = Callable[[str], "np.ndarray | None"]


def entity_keys(kind: str, values: object) -> list[str]:
    """Posting keys for entities: province "p", year in title "yt" / anywhere "ya", month "mt"/"ma"."""
    return [f"@{kind}:{v}" for v in values]  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Scored:
    row: int
    score: float
    coverage: float
    conflict: bool
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntityMasks:
    """Which datasets name any province / any year or month (in the title, or anywhere)."""

    province: np.ndarray
    year_title: np.ndarray
    year_all: np.ndarray
    month_title: np.ndarray
    month_all: np.ndarray
    fiscal: np.ndarray


def _token(dense: Dense, token: str, n: int) -> np.ndarray:
    got = dense(token)
    if got is not None:
        return got
    parts = pieces(token)
    if not parts:
        return np.zeros(n, dtype=np.float32)
    out = _token(dense, parts[0], n)
    for p in parts[1:]:
        out = np.minimum(out, _token(dense, p, n))
    return out


def _any(dense: Dense, keys: list[str], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for key in keys:
        got = dense(key)
        if got is not None:
            out |= got > 0
    return out


def _entity(
    asked: bool,
    strong: np.ndarray,
    strong_any: np.ndarray,
    weak: np.ndarray | None = None,
    weak_any: np.ndarray | None = None,
) -> np.ndarray:
    """+1 the dataset names what was asked, -1 it names something else, small otherwise; all
    zeros when nothing of the kind was asked."""
    if not asked:
        return np.zeros(len(strong), dtype=np.float32)
    out = np.where(strong, 1.0, np.where(strong_any, -1.0, -0.15)).astype(np.float32)
    if weak is not None and weak_any is not None:
        soft = ~strong & ~strong_any
        out = np.where(soft & weak, 0.6, np.where(soft & weak_any & ~weak, -0.6, out)).astype(np.float32)
    return out


def score_all(
    q: ParsedQuery,
    dense: Dense,
    n: int,
    masks: EntityMasks,
    titles: Callable[[list[int]], dict[int, str]],
    keep: int = KEEP,
) -> list[Scored]:
    """The best ``keep`` datasets for ``q``, best first."""
    total = sum(c.weight for c in q.concepts)
    got = np.zeros(n, dtype=np.float32)
    matches: list[np.ndarray] = []
    for c in q.concepts:
        m = np.zeros(n, dtype=np.float32)
        for i, alt in enumerate(c.alts):
            a = _token(dense, alt[0], n)
            for t in alt[1:]:
                a = np.minimum(a, _token(dense, t, n))
            if i >= c.literal:
                a = a * ALT_DISCOUNT
            np.maximum(m, a, out=m)
        matches.append(m)
        got += c.weight * m
    coverage = got / total if total else np.zeros(n, dtype=np.float32)

    place = _entity(bool(q.provinces), _any(dense, entity_keys("p", q.provinces), n), masks.province)
    year = _entity(
        bool(q.years),
        _any(dense, entity_keys("yt", q.years), n),
        masks.year_title,
        _any(dense, entity_keys("ya", q.years), n),
        masks.year_all,
    )
    month = _entity(
        bool(q.months),
        _any(dense, entity_keys("mt", q.months), n),
        masks.month_title,
        _any(dense, entity_keys("ma", q.months), n),
        masks.month_all,
    )
    # a fiscal year asked for is matched against the fiscal year a title names, not its dates
    fiscal = _entity(bool(q.fiscal), _any(dense, entity_keys("fy", q.fiscal), n), masks.fiscal)
    entity = PLACE_WEIGHT * place + YEAR_WEIGHT * year + MONTH_WEIGHT * month + YEAR_WEIGHT * fiscal
    if not q.provinces:  # nothing local asked: the nationwide dataset before one province's
        entity = entity - LOCAL_PENALTY * masks.province
    score = coverage + entity
    if q.concepts:
        eligible = coverage > 0
    else:  # only entities were asked: rank by them
        eligible = entity > 0
        coverage = np.where(eligible, 1.0, 0.0).astype(np.float32)
    score = np.where(eligible, score, -np.inf)
    count = int(eligible.sum())
    if count == 0:
        return []
    k = min(keep, count)
    top = np.argpartition(-score, k - 1)[:k] if k < n else np.arange(n)
    top = top[np.isfinite(score[top])]
    top = top[np.argsort(-score[top], kind="stable")]
    # a dataset naming another province, or only other years, is another member of a series
    conflict = np.zeros(len(top), dtype=bool)
    if q.provinces:
        conflict |= (place[top] < 0) & masks.province[top]
    if q.years:
        conflict |= year[top] <= -1.0
    if q.fiscal:
        conflict |= fiscal[top] <= -1.0
    rows = [int(r) for r in top]
    at_top = [m[top] for m in matches]
    entities = [(label, v[top]) for label, v in (("จังหวัด", place), ("ปี", year), ("เดือน", month))]
    fuzzy_rows = set(rows[:FUZZY_RERANK])
    title_text = titles(rows[:FUZZY_RERANK])
    out = []
    for i, r in enumerate(rows):
        bonus = 0.0
        why: tuple[str, ...] = ()
        if r in fuzzy_rows:  # only the best few are explained and compared by title
            bonus = fuzzy_bonus(q, title_text.get(r, ""))
            why = tuple(
                [
                    f"{c.text}:{_label(float(m[i]))}"
                    for c, m in zip(q.concepts, at_top, strict=True)
                    if m[i] > 0
                ]
                + [label for label, v in entities if v[i] > 0]
            )
        out.append(Scored(r, float(score[r]) + bonus, float(coverage[r]), bool(conflict[i]), why))
    out.sort(key=lambda s: (-s.score, s.row))
    return out


def _label(weight: float) -> str:
    """Which field a concept matched in, from its weight (possibly discounted)."""
    for w in (weight, weight / ALT_DISCOUNT):
        label = _LABEL_BY_WEIGHT.get(round(w, 3))
        if label:
            return label
    return _FIELD_LABEL["notes"]


def fuzzy_bonus(q: ParsedQuery, title_text: str) -> float:
    """Character-level similarity of the query and the title: a tie-breaker that also forgives
    typos and word-break disagreements the token match missed."""
    if not q.normalized or not title_text:
        return 0.0
    return FUZZY_WEIGHT * fuzz.partial_ratio(q.normalized, title_text) / 100
