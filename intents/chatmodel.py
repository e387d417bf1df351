"""Small talk the kinds of words do not know yet: a character n-gram model of greeting, thanks, help
and search, fitted on every judged chat and search set (bench/fit_chat.py, judged per held-out set).

The kinds of words (intents/chitchat.py) are exact but each new blind set brings ways to say hello
or ask for help they lack ("ยินดีที่ได้รู้จัก", "คุยกับเจ้าหน้าที่ได้ไหม"). Character n-grams carry
what such messages share with the ones seen (ได้ไหม, ใช้, ขอบ, สวัส). The router asks the model
only about a message it would search, and answers as small talk only when the search shows nothing
and the model is sure (CHAT_MIN), or only hedged and the model is all but certain
(CHAT_OVER_HEDGE). Pure: numbers from a JSON file, no scikit-learn at run time.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.text import normalize

__all__ = ["CHAT_MIN", "CHAT_OVER_HEDGE", "ChatModel", "chat_model", "ngrams"]

MODEL_PATH = Path(__file__).with_name("data") / "chat_model.json"
#: the model answers as small talk from this probability (per held-out set, no request of a chat
#: set changes at it; at 0.6 two questions the catalog cannot answer, "งวดนี้หวยออกอะไร", got the
#: help text instead of "not found"; bench/fit_chat.py prints the figures)
CHAT_MIN = 0.7
#: and over a search that only hedged (close matches, "ยังไม่แน่ใจ") from this one: on the arrival
#: rows of the last four fresh chat sets it changed no request
CHAT_OVER_HEDGE = 0.85
NGRAMS = (1, 3)


def ngrams(text: str) -> list[str]:
    """Character n-grams of each word padded with a space at both ends (scikit-learn's "char_wb"),
    of the normalised text. The fit and the router use this one function."""
    out: list[str] = []
    for word in normalize(text).split():
        padded = f" {word} "
        for n in range(NGRAMS[0], NGRAMS[1] + 1):
            out.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return out


@dataclass(frozen=True, slots=True)
class ChatModel:
    classes: tuple[str, ...]
    #: n-gram -> (its idf, its weight for each class)
    features: dict[str, tuple[float, tuple[float, ...]]]
    intercepts: tuple[float, ...]

    def classify(self, text: str) -> tuple[str, float]:
        """The likeliest of greeting, thanks, help and search, and its probability (tf-idf with
        sublinear counts, l2-normalised, then a multinomial logistic regression)."""
        counts = Counter(g for g in ngrams(text) if g in self.features)
        values = {g: (1 + math.log(n)) * self.features[g][0] for g, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        scores = list(self.intercepts)
        for g, v in values.items():
            for k, w in enumerate(self.features[g][1]):
                scores[k] += w * v / norm
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        best = max(range(len(scores)), key=scores.__getitem__)
        return self.classes[best], exp[best] / sum(exp)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ChatModel:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            classes=tuple(raw["classes"]),
            features={g: (float(f[0]), tuple(f[1])) for g, f in raw["features"].items()},
            intercepts=tuple(raw["intercepts"]),
        )


@lru_cache(maxsize=1)
def chat_model() -> ChatModel | None:
    """The fitted model, or None before `make fit` has made one."""
    return ChatModel.load() if MODEL_PATH.exists() else None
