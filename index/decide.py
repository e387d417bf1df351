"""Whether to answer: a small logistic model of "the best dataset is what was asked for".

Hand-tuned thresholds on one score answered chatty questions too rarely (every word around the
topic counted against it) and generic matches too often (one province or one common word). The
model reads a handful of features of the query and its best candidates, and its weights are
fitted on every judged query set we have (bench/fit_answer.py, cross-validated; the out-of-fold
figures are in docs/search.md). Three honest outcomes follow from its probability: an answer
("high"), close matches shown with a hedge ("low"), or nothing ("none").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .query import ParsedQuery
from .rank import FUZZY_WEIGHT, STRONG_MATCH, Scored

__all__ = ["FEATURES", "AnswerModel", "answer_model", "features", "holds_all"]

MODEL_PATH = Path(__file__).with_name("data") / "answer_model.json"

#: words general Thai uses at least this often (per million) are "common" (see general_frequency)
COMMON_PER_MILLION = 20.0

FEATURES = (
    "coverage",  # the share of the query's weight the best dataset covers (index.rank)
    "score",  # coverage + entity agreement + title similarity
    "margin",  # how far it leads the next dataset
    "title_share",  # the share of the query's weight found in its title
    "strong_share",  # the share of the query's weight it holds in title, tags, agency or files
    "unmatched_rare",  # weight of concepts it lacks that general Thai rarely uses: a missing topic
    "unmatched_common",  # weight of concepts it lacks that general Thai uses all the time: context
    "unknown",  # the share of the query's weight the catalog knows by no name at all
    "concepts",  # how many concepts were asked (log)
    "place",  # +1 the province asked is its province, -1 it names another, 0 none asked
    "period",  # the same for the year, month or fiscal year asked (weaker evidence in between)
    "fuzzy",  # character similarity of query and title (0..1)
    "corrected",  # the query needed typo repair or a keyboard-layout fix
)


def holds_all(top: Scored, other: Scored) -> bool:
    """Whether ``other`` holds every concept that ``top`` holds strongly, as strongly."""
    return all(
        o >= STRONG_MATCH for t, o in zip(top.matched, other.matched, strict=True) if t >= STRONG_MATCH
    )


def features(q: ParsedQuery, scored: Sequence[Scored], general: Mapping[str, float]) -> list[float]:
    """The features of answering ``q`` with ``scored[0]`` (the candidates best first)."""
    top = scored[0]
    # the lead over the first dataset that is not another answer of the same kind (a follower
    # holds everything the best one holds strongly: near-duplicates and series members)
    second = next((s.score for s in scored[1:] if not holds_all(top, s)), 0.0)
    weights = [c.weight for c in q.concepts]
    total = sum(weights) or 1.0
    matched = top.matched or (0.0,) * len(weights)
    titled = top.titled or (False,) * len(weights)
    strong = sum(w for w, m in zip(weights, matched, strict=True) if m >= STRONG_MATCH)
    rare = common = unknown = 0.0
    for c, m in zip(q.concepts, matched, strict=True):
        if c.kind == "unknown":
            unknown += c.weight
        if m > 0:
            continue
        if general.get(c.text, 0.0) >= COMMON_PER_MILLION:
            common += c.weight
        else:
            rare += c.weight
    return [
        top.coverage,
        top.score,
        top.score - second,
        sum(w for w, t in zip(weights, titled, strict=True) if t) / total,
        strong / total,
        rare / total,
        common / total,
        unknown / total,
        math.log1p(len(weights)),
        top.place,
        top.period,
        top.fuzzy / FUZZY_WEIGHT,
        1.0 if q.corrected else 0.0,
    ]


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """Standardised logistic regression: p = sigmoid(b + sum(w * (x - mean) / scale))."""

    weights: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    #: answer at or above ``high``; show close matches with a hedge at or above ``low``
    high: float
    low: float

    def probability(self, x: Sequence[float]) -> float:
        z = self.intercept + sum(
            w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def confidence(self, p: float) -> str:
        return "high" if p >= self.high else "low" if p >= self.low else "none"

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AnswerModel:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on other features: refit with bench/fit_answer.py")
        return cls(
            weights=tuple(raw["weights"]),
            intercept=float(raw["intercept"]),
            mean=tuple(raw["mean"]),
            scale=tuple(raw["scale"]),
            high=float(raw["high"]),
            low=float(raw["low"]),
        )


@lru_cache(maxsize=1)
def answer_model() -> AnswerModel:
    return AnswerModel.load()
