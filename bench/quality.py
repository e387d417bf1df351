#!/usr/bin/env python3
"""Search quality beside a simple baseline, per kind, on judged query sets.

usage: python bench/quality.py tests/data/*-queries.jsonl [--out docs/quality.md]

khomun: `Conversation.route` on a fresh index of the bundled catalog (what users get, with its
answer decision). Baseline: pythainlp's dictionary word break (newmm, its own dictionary only) and
BM25 (rank_bm25's Okapi) over title, tags, agency and description; it never abstains, so its
abstention on "none" queries is 0 and its confidently-wrong rate is every search it misses.

Columns: hit@1 / hit@3 for khomun and BM25; "wrong" = answered with confidence and nothing
relevant in the top 3, as a share of the search queries; "none" = abstention on expect=none.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pythainlp.tokenize import word_tokenize  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402

from bot.evaluate import EvalReport, load_judged, run_eval  # noqa: E402
from index.build import build_index  # noqa: E402
from index.catalog import bundled_catalog_path, load_jsonl  # noqa: E402
from index.dataset import Dataset  # noqa: E402
from index.search import SearchEngine  # noqa: E402
from intents import Conversation  # noqa: E402


def _words(text: str) -> list[str]:
    return [w for w in word_tokenize(text.lower(), engine="newmm", keep_whitespace=False) if w.strip()]


class Baseline:
    """Dictionary word break + BM25 over the whole record; the top ten, always."""

    def __init__(self, datasets: list[Dataset]) -> None:
        self.names = [d.name for d in datasets]
        docs = [" ".join([d.title, " ".join(d.tags), d.organization, d.notes]) for d in datasets]
        self.bm25 = BM25Okapi([_words(doc) for doc in docs])

    def search(self, text: str, k: int = 10) -> list[str]:
        scores = self.bm25.get_scores(_words(text))
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [self.names[i] for i in order]


def _baseline_hits(baseline: Baseline, items: list[dict[str, object]]) -> dict[str, list[tuple[bool, bool]]]:
    by_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for item in items:
        if item["expect"] != "search":
            continue
        relevant = set(item.get("relevant") or [])  # type: ignore[arg-type]
        got = baseline.search(str(item["q"]))
        by_kind[str(item.get("kind", "search"))].append((got[0] in relevant, bool(relevant & set(got[:3]))))
    return by_kind


def _khomun_hits(
    report: EvalReport, items: list[dict[str, object]]
) -> dict[str, list[tuple[bool, bool, bool]]]:
    by_kind: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    for item, row in zip(items, report.ranked, strict=True):
        if item["expect"] != "search":
            continue
        relevant = set(item.get("relevant") or [])  # type: ignore[arg-type]
        results = list(row["results"]) if row["intent"] == "search" else []  # type: ignore[call-overload]
        top3 = bool(relevant & set(results[:3]))
        confident = bool(results) and row["confidence"] == "high"
        by_kind[str(item.get("kind", "search"))].append(
            (bool(results) and results[0] in relevant, top3, confident and not top3)
        )
    return by_kind


def _share(values: list[bool]) -> str:
    return f"{sum(values) / len(values):.2f}" if values else "-"


def report_set(path: Path, conversation: Conversation, baseline: Baseline) -> str:
    items = list(load_judged(path))
    report = run_eval(conversation, items)
    ours, theirs = _khomun_hits(report, items), _baseline_hits(baseline, items)
    lines = [
        f"### {path.name}",
        "",
        "| kind | n | khomun hit@1 | khomun hit@3 | BM25 hit@1 | BM25 hit@3 | confidently wrong |",
        "|---|---|---|---|---|---|---|",
    ]
    everything: tuple[list[tuple[bool, bool, bool]], list[tuple[bool, bool]]] = ([], [])
    for kind in sorted(ours):
        a, b = ours[kind], theirs[kind]
        everything[0].extend(a)
        everything[1].extend(b)
        lines.append(
            f"| {kind} | {len(a)} | {_share([x[0] for x in a])} | {_share([x[1] for x in a])} "
            f"| {_share([x[0] for x in b])} | {_share([x[1] for x in b])} | {_share([x[2] for x in a])} |"
        )
    a, b = everything
    lines.append(
        f"| **all searches** | {len(a)} | {_share([x[0] for x in a])} | {_share([x[1] for x in a])} "
        f"| {_share([x[0] for x in b])} | {_share([x[1] for x in b])} | {_share([x[2] for x in a])} |"
    )
    lines.append("")
    lines.append(
        f"Abstention on none: khomun {_share(report.none_ok)} ({sum(report.none_ok)}/{len(report.none_ok)}),"
        f" BM25 0.00 (never abstains). Chat intents: {_share(report.chat_ok)}"
        f" ({sum(report.chat_ok)}/{len(report.chat_ok)})."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, help="also write the tables to this file")
    args = ap.parse_args()
    datasets = list(load_jsonl(bundled_catalog_path()))
    baseline = Baseline(datasets)
    with tempfile.TemporaryDirectory(prefix="khomun-quality-") as tmp:
        index = Path(tmp) / "index.sqlite"
        build_index(datasets, index)
        conversation = Conversation(SearchEngine(index))
        out = "\n".join(report_set(path, conversation, baseline) for path in args.sets)
    print(out)
    if args.out:
        args.out.write_text(out, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
