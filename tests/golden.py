"""Golden TSV files: input<TAB>expected, compared as a whole so a pythainlp upgrade shows up as a
readable diff. Rewrite with `pytest --update-golden`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"


def check_golden(name: str, fn: Callable[[str], str], update: bool) -> None:
    path = DATA / name
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    cases = [ln.split("\t")[0] for ln in lines if ln.strip() and not ln.startswith("#")]
    actual = [f"{case}\t{fn(case)}" for case in cases]
    if update:
        path.write_text("\n".join(header + actual) + "\n", encoding="utf-8")
        return
    expected = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    assert actual == expected, "golden file differs; run pytest --update-golden and review the diff"
