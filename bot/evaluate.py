"""`khomun eval`: run a judged query file through the conversation and measure what users get."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from intents import Conversation, Message

__all__ = ["EvalReport", "JudgedQuery", "load_judged", "run_eval"]

SEARCH_METRICS = ("hit@1", "hit@3", "hit@5", "mrr@10")


class JudgedQuery(TypedDict):
    """One line of a judged query file (tests/data/*-queries.jsonl); other fields are notes."""

    q: str
    #: "search", "none" (nothing should be found) or the chat intent expected
    expect: str
    #: for expect=search: the dataset names that answer it
    relevant: NotRequired[list[str]]
    #: for expect=search: the kind of query, reported separately
    kind: NotRequired[str]


@dataclass(slots=True)
class EvalReport:
    search: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_kind: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    none_ok: list[bool] = field(default_factory=list)
    #: per search query: answered with confidence and nothing relevant in the top 3
    wrong: list[bool] = field(default_factory=list)
    chat_ok: list[bool] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    ranked: list[dict[str, object]] = field(default_factory=list)

    def metric(self, name: str) -> float:
        values = self.search.get(name) or [0.0]
        return sum(values) / len(values)

    @property
    def abstention(self) -> float:
        return sum(self.none_ok) / len(self.none_ok) if self.none_ok else 1.0

    @property
    def intent_accuracy(self) -> float:
        return sum(self.chat_ok) / len(self.chat_ok) if self.chat_ok else 1.0

    @property
    def confidently_wrong(self) -> float:
        return sum(self.wrong) / len(self.wrong) if self.wrong else 0.0

    def percentile(self, p: float) -> float:
        if not self.ms:
            return 0.0
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def table(self) -> str:
        n = len(self.search.get("hit@1", []))
        lines = [f"{'':<12}{'n':>4}" + "".join(f"{m:>9}" for m in SEARCH_METRICS)]
        lines.append(f"{'search':<12}{n:>4}" + "".join(f"{self.metric(m):>9.3f}" for m in SEARCH_METRICS))
        for kind in sorted(self.by_kind):
            vals = self.by_kind[kind]
            k = len(vals["hit@1"])
            row = "".join(f"{sum(vals[m]) / k:>9.3f}" for m in SEARCH_METRICS)
            lines.append(f"  {kind:<10}{k:>4}{row}")
        lines.append(
            f"confidently wrong:          {self.confidently_wrong:.3f} ({sum(self.wrong)}/{len(self.wrong)})"
        )
        for label, ok in (
            ("abstention on expect=none:", self.none_ok),
            ("chat intent accuracy:     ", self.chat_ok),
        ):
            share = f"{sum(ok) / len(ok):.3f}" if ok else "n/a"
            lines.append(f"{label} {share} ({sum(ok)}/{len(ok)})")
        mean = statistics.fmean(self.ms) if self.ms else 0.0
        lines.append(
            f"latency ms: p50 {self.percentile(50):.2f}  p99 {self.percentile(99):.2f}  mean {mean:.2f}"
        )
        return "\n".join(lines)


def load_judged(path: Path) -> Iterator[JudgedQuery]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from None
        if not isinstance(item, dict) or "q" not in item or "expect" not in item:
            raise ValueError(f"{path}:{number}: needs the fields q and expect")
        yield cast(JudgedQuery, item)


def run_eval(conversation: Conversation, items: Iterable[JudgedQuery]) -> EvalReport:
    report = EvalReport()
    for n, item in enumerate(items):
        q, expect = str(item["q"]), str(item["expect"])
        turn = conversation.route(Message(platform="eval", chat_id=f"eval-{n}", text=q))
        out = turn.outcome
        results = list(out.hits[:10]) if out.answered else []
        ms = turn.ms
        report.ms.append(ms)
        report.ranked.append(
            {
                "q": q,
                "intent": out.intent,
                "answered": out.answered,
                "confidence": out.confidence or ("high" if out.answered else "none"),
                "results": results,
                "ms": round(ms, 3),
            }
        )
        if expect == "search":
            relevant = set(item.get("relevant") or [])
            got = results if out.intent == "search" else []
            rank = next((i + 1 for i, name in enumerate(got) if name in relevant), None)
            values = {
                "hit@1": float(rank == 1),
                "hit@3": float(rank is not None and rank <= 3),
                "hit@5": float(rank is not None and rank <= 5),
                "mrr@10": 1.0 / rank if rank else 0.0,
            }
            confident = out.intent == "search" and out.answered and out.confidence != "low"
            report.wrong.append(confident and not values["hit@3"])
            kind = str(item.get("kind", "search"))
            for m, v in values.items():
                report.search[m].append(v)
                report.by_kind[kind][m].append(v)
        elif expect == "none":
            # nothing found, said as a search or as "I did not understand" ("???", "1+1")
            report.none_ok.append(out.intent in ("search", "fallback", "empty") and not results)
        else:
            report.chat_ok.append(out.intent == expect and not turn.reply.cards)
    return report
