"""The staff pages with a journal full of junk: N distinct unanswered queries in the window.

    .venv/bin/python bench/staff_bench.py --rows 100000

Builds a state database of N unanswered searches (every one a different query; half share the
word "ข้อมูล", the worst case for grouping by shared words, some share a year) over 13 days, in
time order as the journal writes them, plus a few real variants that must still group, then
times the grouping and each staff page through the ASGI app with the bearer token. Prints one
line per measurement (seconds, best of --repeat).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.settings import Settings
from bot.staff import data
from bot.staff.pages import staff_routes
from state import SecretKey

TOKEN = "bench-staff-token"
THAI = "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮะาิีึืุูเแโใไ่้๊๋"
REAL = [("ราคาทอง", "ทอง ราคา"), ("ราคาทองคำวันนี้", "ทอง ราคา"), ("ราคาทองวันนี้ครับ", "ทอง ราคา วันนี้")]


#: the unanswered page looks up the titles of reviewed answers' datasets; this journal has none
NO_DATASETS = SimpleNamespace(get_many=lambda names: [])


def junk_word(rng: random.Random) -> str:
    return "".join(rng.choice(THAI) for _ in range(rng.randint(3, 9)))


def build(path: Path, rows: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    db = data.connect(path)
    now = datetime.now(UTC)
    seen: set[str] = set()
    batch = []
    while len(seen) < rows:
        words = [junk_word(rng) for _ in range(rng.randint(1, 3))]
        if len(seen) % 2:
            words.append("ข้อมูล")
        if len(seen) % 7 == 0:
            words.append(str(rng.choice((2565, 2566, 2567))))
        key = " ".join(sorted(words))
        if key in seen:
            continue
        seen.add(key)
        ts = data.iso(now - timedelta(minutes=rng.randint(1, 60 * 24 * 13)))
        text = "".join(words)
        batch.append((ts, rng.choice(("line", "telegram", "web")), text, key, key))
    for _ in range(20):
        for text, key in REAL:
            batch.append((data.iso(now - timedelta(hours=2)), "line", text, key, key))
    batch.sort()  # the journal is written as messages come: in time order
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, "
        "results, answered, latency_ms) VALUES (?, ?, 'private', 'u', ?, ?, ?, 'search', '[]', 0, 1.0)",
        batch,
    )
    db.execute("COMMIT")
    db.close()


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="khomun-staff-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), staff_token=TOKEN)
        start = time.perf_counter()
        build(settings.state_path, args.rows)
        print(f"built {args.rows:,} distinct unanswered queries in {time.perf_counter() - start:.1f} s")
        db = data.connect(settings.state_path)
        today = datetime.now(data.BANGKOK).date()
        window = data.Window.days(today - timedelta(days=29), today)
        groups = data.unanswered_groups(db, window)
        top = groups[0]
        print(f"groups: {len(groups):,}; largest: {top.label} x{top.count} ({len(top.keys)} keys)")
        print(
            f"unanswered_groups (all): {best(lambda: data.unanswered_groups(db, window), args.repeat):.3f} s"
        )
        db.close()
        app = Starlette(
            routes=[
                Mount(
                    "/staff",
                    routes=staff_routes(
                        SimpleNamespace(settings=settings, engine=NO_DATASETS, secret=SecretKey("bench"))
                    ),
                )
            ]
        )
        client = TestClient(app)
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        for path in ("/staff/", "/staff/unanswered", "/staff/unanswered.json", "/staff/unanswered.csv"):

            def get(path: str = path) -> None:
                r = client.get(path, headers=bearer)
                assert r.status_code == 200, (path, r.status_code)

            print(f"GET {path}: {best(get, args.repeat):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
