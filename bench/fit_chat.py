#!/usr/bin/env python3
"""Fit the small-talk model (intents/chatmodel.py) on judged sets, judge it per held-out chat set.

usage: python bench/fit_chat.py tests/data/*-queries.jsonl [--write]

Every line of the sets is an example: greeting, thanks and help as judged; search and none lines
(and requests wrapped in small talk) are "search". Tf-idf of character n-grams (intents.chatmodel
.ngrams), multinomial logistic regression (scikit-learn). Each chat set (one with small-talk lines)
is then judged by a model fitted on every other set: how often its small talk is recognised where
the words' kinds say nothing (their detector returns None), at the router's CHAT_MIN, and how many
of its requests the model would take for small talk. --write saves intents/data/chat_model.json
(a model fitted on everything).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from bot.evaluate import load_judged  # noqa: E402
from intents import chatmodel  # noqa: E402
from intents.chitchat import detect_chitchat  # noqa: E402

CHAT = ("greeting", "thanks", "help")
C = 3.0
#: an n-gram in fewer examples than this is left out (noise, and a smaller file)
MIN_DF = 2


def fit(texts: list[str], labels: list[str]) -> tuple[TfidfVectorizer, LogisticRegression]:
    vec = TfidfVectorizer(analyzer=chatmodel.ngrams, min_df=MIN_DF, sublinear_tf=True)
    x = vec.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(x, labels)
    return vec, model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--write", action="store_true", help=f"save the model to {chatmodel.MODEL_PATH}")
    args = ap.parse_args()
    rows = []
    for path in args.sets:
        for item in load_judged(path):
            expect = str(item["expect"])
            rows.append((path.name, str(item["q"]), expect if expect in CHAT else "search"))
    names = np.array([r[0] for r in rows])
    texts = [r[1] for r in rows]
    labels = np.array([r[2] for r in rows])
    total_ok = total_chat = total_taken = total_requests = 0
    for name in dict.fromkeys(names):
        held = names == name
        if not any(labels[held] != "search"):
            continue  # no small talk to judge
        vec, model = fit([t for t, h in zip(texts, held, strict=True) if not h], list(labels[~held]))
        idx = np.where(held)[0]
        proba = model.predict_proba(vec.transform([texts[i] for i in idx]))
        ok = chat = taken = requests = 0
        for i, p in zip(idx, proba, strict=True):
            guess, sure = model.classes_[p.argmax()], p.max()
            unknown = detect_chitchat(texts[i]) is None  # only there does the router ask the model
            said = guess if unknown and guess != "search" and sure >= chatmodel.CHAT_MIN else None
            if labels[i] in CHAT:
                chat += 1
                ok += detect_chitchat(texts[i]) == labels[i] or said == labels[i]
            else:
                requests += 1
                taken += said is not None
        print(f"{name:<22} small talk recognised {ok}/{chat} = {ok / chat:.3f}; ", end="")
        print(f"requests taken for it {taken}/{requests}")
        total_ok, total_chat, total_taken, total_requests = (
            total_ok + ok,
            total_chat + chat,
            total_taken + taken,
            total_requests + requests,
        )
    if total_chat:
        print(
            f"held out, all chat sets: {total_ok}/{total_chat} = {total_ok / total_chat:.3f}; "
            f"requests taken for small talk {total_taken}/{total_requests}"
        )
    if args.write:
        vec, model = fit(texts, list(labels))
        idf = vec.idf_
        features = {
            gram: [round(float(idf[j]), 5), [round(float(w), 5) for w in model.coef_[:, j]]]
            for gram, j in vec.vocabulary_.items()
        }
        chatmodel.MODEL_PATH.write_text(
            json.dumps(
                {
                    "classes": [str(c) for c in model.classes_],
                    "intercepts": [round(float(b), 6) for b in model.intercept_],
                    "fitted_on": [p.name for p in args.sets],
                    "examples": len(texts),
                    "features": dict(sorted(features.items())),
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n",
            encoding="utf-8",
        )
        chatmodel.chat_model.cache_clear()
        print(f"wrote {chatmodel.MODEL_PATH} ({len(features)} n-grams)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
