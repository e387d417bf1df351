"""What operators watch, in Prometheus's text format at ``GET /metrics`` (prometheus-client).

With ``khomun serve --workers N`` every worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (``use_private_dir`` makes a private one under the data folder and
empties it at start, before the workers start), and whichever worker answers the scrape adds them
all up (``MultiProcessCollector``). The index's age and size are read when scraped.

Labels hold only bounded values (platform, intent, outcome): never a query, an id or a token.
"""

from __future__ import annotations

import calendar
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = [
    "API_ERRORS",
    "API_RETRIES",
    "JOURNAL_QUEUE",
    "MESSAGES",
    "OUTCOMES",
    "REPLY_SECONDS",
    "SEARCH_SECONDS",
    "count_turn",
    "render",
    "use_private_dir",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

MESSAGES = Counter("khomun_messages", "Messages handled, by platform and intent", ["platform", "intent"])
OUTCOMES = Counter(
    "khomun_search_outcomes",
    "Searches by outcome: answered (high confidence), low_confidence (close matches shown with a "
    "hedge) or unanswered",
    ["platform", "outcome"],
)
SEARCH_SECONDS = Histogram(
    "khomun_search_seconds",
    "Time one search takes in the engine",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
REPLY_SECONDS = Histogram(
    "khomun_reply_seconds",
    "From a message taken in to its reply sent (the platform API call included)",
    ["platform"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
API_ERRORS = Counter(
    "khomun_platform_api_errors", "Platform API calls that failed for good (after retries)", ["platform"]
)
API_RETRIES = Counter("khomun_platform_api_retries", "Platform API calls tried again", ["platform"])
JOURNAL_QUEUE = Gauge(
    "khomun_journal_queue_depth",
    "Journal rows taken in and not yet written (each process's writer updates it every 0.5 s)",
    multiprocess_mode="livesum",
)

#: Outcome.confidence -> the outcome label
_OUTCOME = {"high": "answered", "low": "low_confidence", "none": "unanswered"}


def count_turn(platform: str, turn: Any) -> None:
    """One handled message: its intent, and for a search how it went."""
    out = turn.outcome
    MESSAGES.labels(platform, out.intent).inc()
    outcome = _OUTCOME.get(out.confidence)
    if outcome is not None:
        OUTCOMES.labels(platform, outcome).inc()


def use_private_dir(data_dir: Path) -> Path:
    """For ``--workers N``: an empty folder only this service uses, named in the environment the
    workers inherit (prometheus-client reads it when imported, so before they start)."""
    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)  # values of a previous run would add up with these
    folder.mkdir(mode=0o700, parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def mark_process_dead() -> None:
    """A worker stopping: its live gauges stop counting."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


class _IndexCollector(Collector):
    """The index being served, read when scraped."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        built = self.engine.meta.get("built_at", "")
        try:
            age = time.time() - calendar.timegm(time.strptime(built, "%Y-%m-%dT%H:%M:%SZ"))
        except ValueError:
            age = float("nan")
        yield GaugeMetricFamily("khomun_index_age_seconds", "Seconds since the index was built", value=age)
        yield GaugeMetricFamily(
            "khomun_index_datasets", "Datasets in the index being served", value=self.engine.size
        )


def render(services: Any) -> bytes:
    """The exposition text: every worker's values in multiprocess mode, else this process's
    (with prometheus-client's process and Python metrics)."""
    JOURNAL_QUEUE.set(services.journal.depth())
    scrape = CollectorRegistry()
    scrape.register(_IndexCollector(services.engine))
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
        return generate_latest(scrape)
    return generate_latest(REGISTRY) + generate_latest(scrape)
