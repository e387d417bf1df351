#!/usr/bin/env python3
"""Fit the answer model (index/decide.py) on judged query sets, report it out of fold, save it.

usage: python bench/fit_answer.py tests/data/*-queries.jsonl [--write]

Every search and none query of the sets is run to its candidates; a query whose best candidate
names another province or period (the engine never answers those) or that has none is left out.
Label: the best candidate is relevant (never, for a none query). Logistic regression on
standardised features (scikit-learn), 5-fold stratified cross-validation repeated ten times: the
thresholds are chosen on the out-of-fold probabilities, so the figures printed are what unseen
queries of the same kinds would get, not what the model memorised. --write saves index/data/answer_model.json
(a model fitted on everything, with those thresholds).

Thresholds: "high" is the lowest probability at which confident answers stay at most
MAX_WRONG wrong (nothing relevant in the top 3) among search queries and at most MAX_FALSE of
the none queries; "low" adds hedged answers while at most MAX_SHOWN_NONE of none queries see
any dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import RepeatedStratifiedKFold  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from bot.evaluate import load_judged  # noqa: E402
from index import decide, search  # noqa: E402
from index.build import build_index  # noqa: E402
from index.catalog import bundled_catalog_path, load_jsonl  # noqa: E402
from index.decide import FEATURES, MODEL_PATH, AnswerModel, features  # noqa: E402

MAX_WRONG = 0.03
MAX_FALSE = 0.05
MAX_SHOWN_NONE = 0.15
C = 0.3
REPEATS = 10


def collect(
    engine: search.SearchEngine, paths: list[Path]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features, label (top 1 relevant), top 3 relevant, whether the query expects search,
    whether the engine shows nothing whatever the model says (a period asked that the best dataset
    does not name, or the moment asked of a dataset that gives no live figures: SearchEngine.search
    offers the series instead), and which set it came from."""
    xs, top1, top3, wants, gated, sets = [], [], [], [], [], []
    for n, path in enumerate(paths):
        for item in load_judged(path):
            expect = item["expect"]
            if expect not in ("search", "none"):
                continue
            q, scored = engine.candidates(str(item["q"]))
            if not scored or scored[0].conflict:
                continue
            relevant = set(item.get("relevant") or [])  # type: ignore[arg-type]
            order = {s.row: i for i, s in enumerate(scored[:3])}
            by_rank = sorted(
                engine.datasets([s.row for s in scored[:3]]).items(), key=lambda kv: order[kv[0]]
            )
            names = [d.name for _, d in by_rank]
            xs.append(features(q, scored, engine.general))
            top1.append(bool(names) and names[0] in relevant)
            top3.append(bool(relevant & set(names)))
            wants.append(expect == "search")
            gated.append(bool(engine.unconfirmed(q, scored[0])))
            sets.append(n)
    return np.array(xs), np.array(top1), np.array(top3), np.array(wants), np.array(gated), np.array(sets)


def thresholds(p: np.ndarray, top3: np.ndarray, wants: np.ndarray, gated: np.ndarray) -> tuple[float, float]:
    """``gated`` none-queries are never shown anything, so they do not count against "low"."""
    searches, nones = max(1, int(wants.sum())), max(1, int((~wants).sum()))
    high = 1.0
    for t in sorted(set(np.round(p, 4)), reverse=True):
        shown = p >= t
        wrong = (shown & wants & ~top3).sum() / searches
        false = (shown & ~wants).sum() / nones
        if wrong > MAX_WRONG or false > MAX_FALSE:
            break
        high = float(t)
    low = high
    for t in sorted({float(x) for x in np.round(p, 4) if x < high}, reverse=True):
        if ((p >= t) & ~wants & ~gated).sum() / nones > MAX_SHOWN_NONE:
            break
        low = t
    return high, low


def report(
    label: str,
    p: np.ndarray,
    top1: np.ndarray,
    top3: np.ndarray,
    wants: np.ndarray,
    gated: np.ndarray,
    hi: float,
    lo: float,
) -> None:
    searches, nones = max(1, int(wants.sum())), max(1, int((~wants).sum()))
    high, shown = (p >= hi) & ~gated, (p >= lo) & ~gated

    def share(mask: np.ndarray, of: int) -> str:
        return f"{mask.sum() / of:.3f}"

    print(
        f"{label}: searches {int(wants.sum())}, none {int((~wants).sum())} | "
        f"answered confidently {share(high & wants, searches)}, right at 1 {share(high & top1, searches)} | "
        f"shown (hedged too) {share(shown & wants, searches)}, top-3 right {share(shown & top3, searches)} | "
        f"confidently wrong {share(high & wants & ~top3, searches)} | "
        f"none shown anything {share(shown & ~wants, nones)}"
    )


def fit(
    x: np.ndarray, top1: np.ndarray, top3: np.ndarray, wants: np.ndarray, gated: np.ndarray
) -> tuple[StandardScaler, LogisticRegression, float, float, np.ndarray]:
    """The model fitted on everything, with thresholds chosen on out-of-fold probabilities
    (averaged over REPEATS shuffles of the folds: thresholds chosen on one shuffle move with
    which few none-queries land in which fold), and those probabilities."""
    oof = np.zeros(len(x))
    folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=REPEATS, random_state=7)
    for train, test in folds.split(x, top1):
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(C=C, max_iter=1000).fit(scaler.transform(x[train]), top1[train])
        oof[test] += model.predict_proba(scaler.transform(x[test]))[:, 1] / REPEATS
    hi, lo = thresholds(oof, top3, wants, gated)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, max_iter=1000).fit(scaler.transform(x), top1)
    return scaler, model, hi, lo, oof


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--write", action="store_true", help=f"save the model to {MODEL_PATH}")
    ap.add_argument(
        "--by-set",
        nargs="*",
        type=Path,
        default=[],
        metavar="SET",
        help="also judge each of these sets by a model fitted on every other set given (leave one set out): "
        "how a fresh set written by someone else fares, which folds of mixed sets overstate",
    )
    args = ap.parse_args()
    # candidates and features need no model: a placeholder lets the engine open before one exists
    placeholder = AnswerModel(
        (0.0,) * len(FEATURES), 0.0, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), 1, 1
    )
    search.answer_model = lambda: placeholder  # type: ignore[assignment]
    paths = list(dict.fromkeys([*args.sets, *args.by_set]))
    with tempfile.TemporaryDirectory(prefix="khomun-fit-") as tmp:
        index = Path(tmp) / "index.sqlite"
        build_index(list(load_jsonl(bundled_catalog_path())), index)
        engine = search.SearchEngine(index)
        x, top1, top3, wants, gated, sets = collect(engine, paths)
    for held in args.by_set:
        out = sets == paths.index(held)
        scaler, model, hi, lo, _ = fit(x[~out], top1[~out], top3[~out], wants[~out], gated[~out])
        p = model.predict_proba(scaler.transform(x[out]))[:, 1]
        report(f"{held.name:<22}", p, top1[out], top3[out], wants[out], gated[out], hi, lo)
    scaler, model, hi, lo, oof = fit(x, top1, top3, wants, gated)
    print(f"thresholds from out-of-fold probabilities: high {hi:.4f}, low {lo:.4f}")
    report("out of fold", oof, top1, top3, wants, gated, hi, lo)
    fitted = model.predict_proba(scaler.transform(x))[:, 1]
    report("in sample  ", fitted, top1, top3, wants, gated, hi, lo)
    for name, w in sorted(zip(FEATURES, model.coef_[0], strict=True), key=lambda kv: -abs(kv[1])):
        print(f"  {name:<18}{w:+.3f}")
    if args.write:
        MODEL_PATH.write_text(
            json.dumps(
                {
                    "features": list(FEATURES),
                    "weights": [round(float(w), 6) for w in model.coef_[0]],
                    "intercept": round(float(model.intercept_[0]), 6),
                    "mean": [round(float(m), 6) for m in scaler.mean_],
                    "scale": [round(float(s), 6) for s in scaler.scale_],
                    "high": hi,
                    "low": lo,
                    "fitted_on": [p.name for p in paths],
                    "queries": len(x),
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        decide.answer_model.cache_clear()
        print(f"wrote {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
