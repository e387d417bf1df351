"""Shared fixtures: one index of the bundled catalog per test session (building takes seconds)."""

from __future__ import annotations

import os

os.environ["PYTHAINLP_OFFLINE"] = "1"
os.environ["PYTHAINLP_READ_ONLY"] = "1"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from index.build import build_index  # noqa: E402
from index.catalog import bundled_catalog_path, load_jsonl  # noqa: E402
from index.search import SearchEngine  # noqa: E402
from intents import Conversation  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled catalog, indexed once. Read-only: copy it before changing anything."""
    path = tmp_path_factory.mktemp("index") / "index.sqlite"
    build_index(load_jsonl(bundled_catalog_path()), path, source="bundled")
    return path


@pytest.fixture(scope="session")
def engine(index_path: Path) -> SearchEngine:
    return SearchEngine(index_path)


@pytest.fixture()
def conversation(engine: SearchEngine) -> Conversation:
    return Conversation(engine)
