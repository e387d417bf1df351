"""Scoring every dataset at once against a parsed query.

score = how much of what was asked a dataset covers (concepts weighted by rarity, fields by where
they match) + agreement on province, year and month - disagreement, then a little fuzzy title
similarity for the best few. The same numbers decide whether we answer at all.

Vectorised with numpy over every dataset that matches any concept: no candidate cut-off can drop the
right member of a long series.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from .query import ALT_DISCOUNT, Concept, ParsedQuery

__all__ = [
    "FIELD_WEIGHTS",
    "RANK_FIELDS",
    "STRONG_MATCH",
    "Scored",
    "entity_keys",
    "fuzzy_bonuses",
    "score_all",
]

FIELD_WEIGHTS: Mapping[str, float] = {"title": 1.0, "tags": 0.9, "org": 0.8, "res": 0.7, "notes": 0.55}
#: fields from the best place to match to the least; a posting's code is an index into this
RANK_FIELDS = tuple(sorted(FIELD_WEIGHTS, key=lambda f: -FIELD_WEIGHTS[f]))
#: a word found only inside a compound of the field (ศึกษา in การศึกษาวิจัย, วัด in ตัวชี้วัด)
#: matches for this share of the field's weight
PART_DISCOUNT = 0.6
#: a posting's code -> its weight: one code per field for whole words, then one per field for parts
CODE_WEIGHTS = np.array(
    [FIELD_WEIGHTS[f] for f in RANK_FIELDS] + [PART_DISCOUNT * FIELD_WEIGHTS[f] for f in RANK_FIELDS],
    dtype=np.float32,
)
_FIELD_LABEL = {"title": "ชื่อ", "tags": "แท็ก", "org": "หน่วยงาน", "res": "ไฟล์", "notes": "คำอธิบาย"}
_LABEL_BY_WEIGHT = {round(FIELD_WEIGHTS[f], 3): _FIELD_LABEL[f] for f in RANK_FIELDS}
_LABEL_BY_WEIGHT.update(
    {round(PART_DISCOUNT * FIELD_WEIGHTS[f], 3): _FIELD_LABEL[f] + "(บางส่วน)" for f in RANK_FIELDS}
)

#: a concept matched at least this well (a whole word in the title, tags, agency or file names;
#: not only in the description or inside a compound) is part of what a dataset is about
STRONG_MATCH = 0.65

PLACE_WEIGHT, YEAR_WEIGHT, MONTH_WEIGHT = 0.35, 0.3, 0.25
#: the coverage of the topic at which agreement on province, year and month counts in full
TOPIC_FOR_ENTITIES = 0.5
FUZZY_WEIGHT = 0.15
LOCAL_PENALTY = 0.03
#: the best this many by token score get the (slower) fuzzy title comparison
FUZZY_RERANK = 20
#: how many ranked datasets a search returns at most (a few pages of results)
KEEP = 50

#: a token's postings: the rows of the datasets holding it (ascending) and its field weight in each
Sparse = tuple[np.ndarray, np.ndarray]
#: token -> its postings, or None when no dataset holds it
Postings = Callable[[str], "Sparse | None"]
_NOWHERE: Sparse = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
#: how datasets agree with an entity asked (see _entity), or None when none of the kind was asked
_Agreement = np.ndarray | None


def entity_keys(kind: str, values: object) -> list[str]:
    """Posting keys for entities: province "p", year in title "yt" / anywhere "ya", month "mt"/"ma"."""
    return [f"@{kind}:{v}" for v in values]  # type: ignore[attr-defined]


class Scored(NamedTuple):
    row: int
    score: float
    coverage: float
    conflict: bool
    why: tuple[str, ...]
    #: how well each of the query's concepts matched (0 = not at all), and whether it matched in
    #: the title (through any alternative)
    matched: tuple[float, ...] = ()
    titled: tuple[bool, ...] = ()
    #: the fuzzy title similarity bonus it got (0..FUZZY_WEIGHT)
    fuzzy: float = 0.0
    #: how it agrees with the province, and the year/month/fiscal year asked (the least agreeing
    #: of those): +1 names it, -1 names another, in between weaker evidence (see _entity); 0 when
    #: none was asked
    place: float = 0.0
    period: float = 0.0


@dataclass(frozen=True, slots=True)
class EntityMasks:
    """Which datasets name any province / any year or month (in the title, or anywhere)."""

    province: np.ndarray
    year_title: np.ndarray
    year_all: np.ndarray
    month_title: np.ndarray
    month_all: np.ndarray
    fiscal: np.ndarray
    #: ... and anywhere in the record (a file per fiscal year: "... ประจำปีงบประมาณ 2559")
    fiscal_all: np.ndarray
    #: what a dataset about one province loses when nothing local was asked (query-independent)
    local_penalty: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "local_penalty", LOCAL_PENALTY * self.province)


#: a compound -> its parts (the index's Tokenizer.pieces)
Split = Callable[[str], tuple[str, ...]]


def _token(postings: Postings, token: str, n: int, split: Split) -> Sparse:
    got = postings(token)
    if got is not None:
        return got
    parts = split(token)
    return _all_of(postings, parts, n, split) if parts else _NOWHERE


def _all_of(postings: Postings, tokens: Sequence[str], n: int, split: Split) -> Sparse:
    """The datasets holding every token, each with the weakest field weight among them."""
    rows, weights = _token(postings, tokens[0], n, split)
    for token in tokens[1:]:
        if not len(rows):
            break
        other_rows, other_weights = _token(postings, token, n, split)
        other = np.zeros(n, dtype=np.float32)
        other[other_rows] = other_weights
        theirs = other[rows]
        both = theirs > 0  # weights are above zero: a zero is a dataset without the token
        rows, weights = rows[both], np.minimum(weights[both], theirs[both])
    return rows, weights


def _alternative(postings: Postings, c: Concept, i: int, n: int, split: Split) -> Sparse:
    """The datasets matching the concept's ``i``-th alternative, and how well (the field weight,
    discounted for a synonym or translation; see ``_in_title`` for the field itself)."""
    rows, weights = _all_of(postings, c.alts[i], n, split)
    return (rows, weights * ALT_DISCOUNT) if i >= c.literal else (rows, weights)


def _in_title(c: Concept, alts: list[Sparse], position: np.ndarray, size: int) -> np.ndarray:
    """Which candidates hold the concept in their title, through any alternative."""
    out = np.zeros(size, dtype=bool)
    for i, (rows, weights) in enumerate(alts):
        title = CODE_WEIGHTS[0] * (ALT_DISCOUNT if i >= c.literal else 1.0)
        out[position[rows[weights >= title - 1e-6]]] = True
    return out


def _any(postings: Postings, keys: list[str], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for key in keys:
        got = postings(key)
        if got is not None:
            out[got[0]] = True
    return out


def _entity(
    strong: np.ndarray,
    strong_any: np.ndarray,
    weak: np.ndarray | None = None,
    weak_any: np.ndarray | None = None,
) -> np.ndarray:
    """+1 the dataset names what was asked, -1 it names something else, small otherwise."""
    out = np.full(len(strong), -0.15, dtype=np.float32)
    out[strong_any] = -1.0
    out[strong] = 1.0
    if weak is not None and weak_any is not None:
        soft = ~(strong | strong_any)
        out[soft & weak_any & ~weak] = -0.6
        out[soft & weak] = 0.6
    return out


def score_all(
    q: ParsedQuery,
    postings: Postings,
    n: int,
    masks: EntityMasks,
    titles: Callable[[list[int]], dict[int, str]],
    split: Split,
    keep: int = KEEP,
) -> list[Scored]:
    """The best ``keep`` datasets for ``q``, best first. ``split`` cuts a compound the index does
    not hold into its parts (the index's Tokenizer.pieces)."""
    found = [[_alternative(postings, c, i, n, split) for i in range(len(c.alts))] for c in q.concepts]
    # no other dataset can be eligible: scores are computed for these candidates only
    candidates = _candidates(found, n) if q.concepts else np.arange(n)
    size = len(candidates)
    position = np.empty(n, dtype=np.intp)  # a dataset's row -> its place among the candidates
    position[candidates] = np.arange(size)
    total = sum(c.weight for c in q.concepts)
    got = np.zeros(size, dtype=np.float32)
    matches: list[np.ndarray] = []
    for c, alts in zip(q.concepts, found, strict=True):
        m = _best_of(alts, position, size)
        matches.append(m)
        got += c.weight * m
    coverage = got / total if total else np.zeros(size, dtype=np.float32)

    place, year, month, fiscal = _entities(q, postings, n, masks, candidates)
    entity = _weighted_sum(
        [(PLACE_WEIGHT, place), (YEAR_WEIGHT, year), (MONTH_WEIGHT, month), (YEAR_WEIGHT, fiscal)], size
    )
    if not q.provinces:  # nothing local asked: the nationwide dataset before one province's
        entity = entity - masks.local_penalty[candidates]
    if q.concepts:
        # agreeing on the province or year asked lifts a dataset only as far as it holds the
        # topic: a province alone is never what was asked ("ค่าแรงขั้นต่ำ ลำปาง" is not Lampang's
        # temple register); disagreement counts in full
        entity = np.where(entity > 0, entity * np.minimum(1.0, coverage / TOPIC_FOR_ENTITIES), entity)
    score = coverage + entity
    if q.concepts:
        eligible = coverage > 0
    else:  # only entities were asked: rank by them
        eligible = entity > 0
        coverage = np.where(eligible, 1.0, 0.0).astype(np.float32)
    count = int(np.count_nonzero(eligible))
    if count == 0:
        return []
    # the best are picked from the whole catalog, so that ties at the cut fall as they always did
    ranked = np.full(n, np.inf, dtype=score.dtype)
    ranked[candidates[eligible]] = -score[eligible]
    k = min(keep, count)
    top = np.argpartition(ranked, k - 1)[:k] if k < n else np.arange(n)
    top = top[np.isfinite(ranked[top])]
    top = top[np.argsort(ranked[top], kind="stable")]
    at = position[top]
    # a dataset naming another province, or only other years, is another member of a series
    conflict = np.zeros(len(top), dtype=bool)
    if place is not None:
        conflict |= (place[at] < 0) & masks.province[top]
    if year is not None:
        conflict |= year[at] <= -1.0
    if fiscal is not None:
        conflict |= fiscal[at] <= -1.0
    rows = top.tolist()
    best = rows[:FUZZY_RERANK]  # only the best few are explained and compared by title
    title_text = titles(best)
    rest = len(rows) - len(best)
    bonus = fuzzy_bonuses(q, [title_text.get(r, "") for r in best]) + [0.0] * rest
    unexplained: list[tuple[str, ...]] = [()] * rest
    why = _explain(q, at[: len(best)], matches, (("จังหวัด", place), ("ปี", year), ("เดือน", month)))
    per_concept = _columns([m[at] for m in matches], len(rows))
    titled = _columns(
        [_in_title(c, alts, position, size)[at] for c, alts in zip(q.concepts, found, strict=True)], len(rows)
    )
    # agreement on what was asked, for the answer decision: 0 for a kind not asked
    place_agrees = place[at].tolist() if place is not None else [0.0] * len(rows)
    periods = [v[at] for v in (year, month, fiscal) if v is not None]
    period_agrees = np.minimum.reduce(periods).tolist() if periods else [0.0] * len(rows)
    out = [
        Scored(r, s + b, cov, con, w, m, t, b, pa, pe)
        for r, s, b, cov, con, w, m, t, pa, pe in zip(
            rows,
            score[at].tolist(),
            bonus,
            coverage[at].tolist(),
            conflict.tolist(),
            why + unexplained,
            per_concept,
            titled,
            place_agrees,
            period_agrees,
            strict=True,
        )
    ]
    out.sort(key=lambda s: (-s.score, s.row))
    return out


def _columns(columns: list[np.ndarray], n: int) -> list[tuple]:
    """Per-concept arrays over ``n`` rows -> one tuple per row."""
    if not columns:
        return [()] * n
    return list(zip(*(c.tolist() for c in columns), strict=True))


def _candidates(found: list[list[Sparse]], n: int) -> np.ndarray:
    """The rows of the datasets matching any alternative of any concept, ascending."""
    held = np.zeros(n, dtype=bool)
    for alts in found:
        for rows, _ in alts:
            held[rows] = True
    return np.flatnonzero(held)


def _best_of(alts: list[Sparse], position: np.ndarray, size: int) -> np.ndarray:
    """How well each candidate matches a concept: by its best alternative."""
    out = np.zeros(size, dtype=np.float32)
    for rows, weights in alts:
        at = position[rows]
        out[at] = np.maximum(out[at], weights)
    return out


def _entities(
    q: ParsedQuery, postings: Postings, n: int, masks: EntityMasks, candidates: np.ndarray
) -> tuple[_Agreement, _Agreement, _Agreement, _Agreement]:
    """How the candidates agree with the province, year, month and fiscal year asked (see
    ``_entity``); None for a kind not asked, which then adds nothing to the score."""

    def asked(kind: str, values: frozenset[int] | frozenset[str]) -> np.ndarray:
        return _any(postings, entity_keys(kind, values), n)[candidates]

    def dated(kind: str, values: frozenset[int], in_title: np.ndarray, anywhere: np.ndarray) -> _Agreement:
        """Title first ("t"), then anywhere in the record ("a")."""
        if not values:
            return None
        strong, weak = asked(kind + "t", values), asked(kind + "a", values)
        return _entity(strong, in_title[candidates], weak, anywhere[candidates])

    place = _entity(asked("p", q.provinces), masks.province[candidates]) if q.provinces else None
    year = dated("y", q.years, masks.year_title, masks.year_all)
    month = dated("m", q.months, masks.month_title, masks.month_all)
    # a fiscal year asked for is matched against the fiscal years the record names, not its dates:
    # in the title first, then anywhere (its files, one per fiscal year)
    fiscal = (
        _entity(
            asked("fy", q.fiscal),
            masks.fiscal[candidates],
            asked("fa", q.fiscal),
            masks.fiscal_all[candidates],
        )
        if q.fiscal
        else None
    )
    return place, year, month, fiscal


def _weighted_sum(terms: list[tuple[float, np.ndarray | None]], n: int) -> np.ndarray:
    """The sum of weight * values over the kinds asked, in order; zeros when none was."""
    out: np.ndarray | None = None
    for weight, values in terms:
        if values is not None:
            out = weight * values if out is None else out + weight * values
    return np.zeros(n, dtype=np.float32) if out is None else out


def _explain(
    q: ParsedQuery,
    at: np.ndarray,
    matches: list[np.ndarray],
    entities: tuple[tuple[str, np.ndarray | None], ...],
) -> list[tuple[str, ...]]:
    """Why the candidates at ``at`` matched: each concept with the field it matched in, then the
    entities the dataset agrees on."""
    columns: list[list[str | None]] = []
    for c, m in zip(q.concepts, matches, strict=True):
        weights = m[at].tolist()
        # a concept matches with one of a few weights: each is labelled once
        labelled = {w: f"{c.text}:{_label(w)}" for w in set(weights) if w > 0}
        columns.append([labelled.get(w) for w in weights])
    for label, v in entities:
        if v is not None:
            columns.append([label if x > 0 else None for x in v[at].tolist()])
    if not columns:
        return [()] * len(at)
    return [tuple(reason for reason in row if reason is not None) for row in zip(*columns, strict=True)]


@lru_cache(maxsize=256)  # weights are a few field weights, possibly discounted
def _label(weight: float) -> str:
    """Which field a concept matched in, from its weight (possibly discounted)."""
    for w in (weight, weight / ALT_DISCOUNT):
        label = _LABEL_BY_WEIGHT.get(round(w, 3))
        if label:
            return label
    return _FIELD_LABEL["notes"]


def fuzzy_bonuses(q: ParsedQuery, title_texts: list[str]) -> list[float]:
    """Character-level similarity of the query and each title: a tie-breaker that also forgives
    typos and word-break disagreements the token match missed."""
    if not q.normalized:
        return [0.0] * len(title_texts)
    ratios = [0.0] * len(title_texts)
    # one call for all titles: the query is prepared once
    for _, ratio, i in process.extract_iter(q.normalized, title_texts, scorer=fuzz.partial_ratio):
        ratios[i] = ratio
    return [FUZZY_WEIGHT * r / 100 if t else 0.0 for r, t in zip(ratios, title_texts, strict=True)]
