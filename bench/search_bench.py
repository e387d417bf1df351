#!/usr/bin/env python3
"""Search speed: per-message handling time through Conversation.route, index build time and memory,
on the bundled catalog and on a generated large one.

usage: python bench/search_bench.py [--sizes 1237,50000] [--rounds 3] [--out docs/bench-search.json]

The query set is the judged development set plus every query with its province, month and year
swapped (so the large catalog's synthetic series are exercised): 400+ distinct messages, each
handled in a fresh chat. Times are wall-clock in one process, after start-up warm-up.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.build import build_index  # noqa: E402
from index.catalog import bundled_catalog_path, load_jsonl  # noqa: E402
from index.search import SearchEngine  # noqa: E402
from intents import Conversation, Message  # noqa: E402

VARIANTS = [("เชียงใหม่", "ขอนแก่น"), ("กรุงเทพ", "ภูเก็ต"), ("2560", "2563"), ("มิ.ย.", "ก.ย."), ("62", "58")]


def queries() -> list[str]:
    base = [
        json.loads(line)["q"]
        for line in (ROOT / "tests/data/dev-queries.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    out = list(base)
    for old, new in VARIANTS:
        out += [q.replace(old, new) for q in base if old in q]
    out += [f"{q} ปี 25{60 + i % 7}" for i, q in enumerate(base)]
    out += [f"ขอ{q}หน่อยค่ะ" for q in base]
    out += [q.split()[0] for q in base if " " in q]
    return list(dict.fromkeys(out))


def catalog_for(size: int, tmp: Path) -> Path:
    bundled = bundled_catalog_path()
    if size <= 1237:
        return bundled
    path = tmp / f"catalog-{size}.jsonl"
    raw = tmp / "bundled.jsonl"
    if not raw.exists():
        import gzip

        raw.write_bytes(gzip.decompress(bundled.read_bytes()))
    with path.open("w", encoding="utf-8") as out:
        subprocess.run(
            [sys.executable, str(ROOT / "bench/scale_catalog.py"), str(size), str(raw)],
            stdout=out,
            check=True,
        )
    return path


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench(size: int, rounds: int, tmp: Path) -> dict[str, object]:
    catalog = catalog_for(size, tmp)
    index = tmp / f"index-{size}.sqlite"
    datasets = list(load_jsonl(catalog))
    started = time.perf_counter()
    build_index(datasets, index)
    build_s = time.perf_counter() - started
    del datasets
    gc.collect()
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        served = pool.submit(measure_queries, str(index), rounds).result()
    return {
        "datasets": size,
        **served,
        "build_s": round(build_s, 1),
        "build_peak_mb": peak_rss_mb(),
        "index_mb": round(index.stat().st_size / 2**20, 1),
    }


def peak_rss_mb() -> int:
    """This process's peak resident memory (VmHWM: unlike getrusage, not inherited from the parent
    a spawned process was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def measure_queries(index: str, rounds: int) -> dict[str, object]:
    """In a fresh process: open the index, answer every query ``rounds`` times, report times and
    this process's peak memory (what a serving process needs)."""
    started = time.perf_counter()
    conversation = Conversation(SearchEngine(Path(index)))
    open_s = time.perf_counter() - started
    qs = queries()
    for q in qs[:20]:  # warm-up: caches, page cache
        conversation.route(Message(platform="eval", chat_id="warm", text=q))
    times: list[float] = []
    for r in range(rounds):
        for i, q in enumerate(qs):
            t = time.perf_counter()
            conversation.route(Message(platform="eval", chat_id=f"b{r}-{i}", text=q))
            times.append((time.perf_counter() - t) * 1000)
    return {
        "messages": len(times),
        "distinct_queries": len(qs),
        "p50_ms": round(pct(times, 50), 2),
        "p90_ms": round(pct(times, 90), 2),
        "p99_ms": round(pct(times, 99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "open_s": round(open_s, 2),
        "serving_peak_mb": peak_rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1237,50000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="also write the figures as JSON here")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="khomun-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            row = bench(size, args.rounds, Path(tmp))
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
