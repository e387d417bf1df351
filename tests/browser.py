"""Debian's chromium driven by Playwright, as the browser tests launch it (never
`playwright install`: that downloads a browser, which this machine cannot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: no sandbox as root; no background networking, which this machine's closed network refuses
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def screenshots_dir(update: bool, fallback: Path) -> Path:
    """Where the browser tests save what users see: docs/screenshots with `pytest
    --update-golden` (the ``update_golden`` fixture), else ``fallback``, so an ordinary test run
    leaves the checkout untouched."""
    return DOCS_SHOTS if update else fallback


DOCS_SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
